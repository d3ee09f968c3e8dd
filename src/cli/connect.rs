//! Which store the shop runs on (`[shopify]`, else the built-in one), and
//! `shopkeeper connect shopify`: credentials, plan, scopes, counts, webhook subscriptions.

use super::session::load_config;
use anyhow::Context;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

/// Exit status when the connection is not usable.
const EXIT_NOT_USABLE: u8 = 2;

#[derive(Debug, Subcommand)]
pub enum ConnectCommand {
    /// Check the Shopify connection: credentials, plan, scopes against what the tools need,
    /// counts; exit 0 when usable, 2 with one `error:` line per problem.
    Shopify {
        /// Also subscribe the topics Shopkeeper uses to this URL (e.g.
        /// https://shop.example.com/webhooks/shopify).
        #[arg(long, value_name = "URL")]
        register_webhooks: Option<String>,
    },
}

#[cfg(feature = "shopify")]
pub use enabled::*;

#[cfg(feature = "shopify")]
mod enabled {
    use super::*;
    use shopkeeper_connectors::shopify::webhooks::TOPICS;
    use shopkeeper_connectors::shopify::{ShopifyConfig, ShopifyStore, queries, scopes};
    use shopkeeper_tools::commerce::{Capability, Commerce};
    use shopkeeper_tools::{ActiveStore, Policy, registry_for};
    use std::collections::BTreeSet;
    use std::sync::Arc;

    /// `[shopify]` from the configuration file, then the environment; `None` when neither
    /// names a shop.
    pub fn shopify_config(source: Option<&Path>) -> anyhow::Result<Option<ShopifyConfig>> {
        let from_file = match source {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                ShopifyConfig::from_toml(&text)
                    .with_context(|| format!("invalid {}", path.display()))?
            }
            None => None,
        };
        Ok(ShopifyConfig::apply_env(from_file, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        }))
    }

    /// The store the configuration names: Shopify when `[shopify]` is there.
    pub async fn connected_store(source: Option<&Path>) -> anyhow::Result<Option<ActiveStore>> {
        let Some(config) = shopify_config(source)? else {
            return Ok(None);
        };
        let store = ShopifyStore::open(&config)
            .await
            .with_context(|| format!("connecting to the Shopify shop {}", config.domain()))?;
        Ok(Some(ActiveStore::Connected(Arc::new(store))))
    }

    pub async fn run(explicit: Option<&Path>, cmd: ConnectCommand) -> anyhow::Result<ExitCode> {
        let ConnectCommand::Shopify { register_webhooks } = cmd;
        let (_, _, source) = load_config(explicit)?;
        let Some(config) = shopify_config(source.as_deref())? else {
            println!(
                "error: no [shopify] section in shopkeeper.toml (or SHOPKEEPER_SHOPIFY_SHOP and SHOPKEEPER_SHOPIFY_TOKEN)"
            );
            return Ok(ExitCode::from(EXIT_NOT_USABLE));
        };
        let problems = config.problems();
        if !problems.is_empty() {
            for p in problems {
                println!("error: [shopify] {p}");
            }
            return Ok(ExitCode::from(EXIT_NOT_USABLE));
        }
        let store = match ShopifyStore::open(&config).await {
            Ok(s) => s,
            Err(e) => {
                println!("error: {e} ({})", e.hint());
                return Ok(ExitCode::from(EXIT_NOT_USABLE));
            }
        };
        let mut errors = Vec::new();
        let info = store.info().await?;
        println!(
            "ok: shop {} ({}), plan {}{}, currency {}",
            info.shop.name,
            info.shop.myshopify_domain,
            info.shop.plan.public_display_name,
            if info.shop.plan.partner_development {
                " (development store)"
            } else {
                ""
            },
            info.shop.currency_code
        );
        println!(
            "ok: Admin API {} at {}",
            config.api_version,
            config.endpoint()
        );
        let granted: BTreeSet<String> = info
            .current_app_installation
            .access_scopes
            .iter()
            .map(|s| s.handle.clone())
            .collect();
        // Which tools each capability carries, from the registry the agent would use.
        let registry = registry_for(
            &ActiveStore::Connected(Arc::new(ShopifyStore::new(&config, store.currency())?)),
            Policy::default(),
            None,
        )?;
        let mut lacking: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for c in Capability::all() {
            for scope in scopes::lacking(c, &granted) {
                let tools = lacking.entry(scope).or_default();
                for t in registry.list_all().filter(|t| t.capability == Some(c)) {
                    if !tools.contains(&t.name) {
                        tools.push(t.name);
                    }
                }
            }
        }
        println!(
            "ok: {} access scopes granted{}",
            granted.len(),
            if lacking.is_empty() {
                ", all the tools need".to_string()
            } else {
                String::new()
            }
        );
        for (scope, tools) in &lacking {
            errors.push(format!(
                "missing access scope {scope}: disables {}",
                if tools.is_empty() {
                    "a capability no tool uses yet".to_string()
                } else {
                    tools.join(", ")
                }
            ));
        }
        match store.counts().await {
            Ok(c) => println!(
                "ok: {} products, {} orders, {} customers",
                c.products, c.orders, c.customers
            ),
            Err(e) => errors.push(format!("cannot count records: {e}")),
        }
        if let Some(url) = register_webhooks {
            match register(&store, &url).await {
                Ok((added, had)) => println!(
                    "ok: webhooks: {added} topics subscribed to {url}{}",
                    if had > 0 {
                        format!(" ({had} already were)")
                    } else {
                        String::new()
                    }
                ),
                Err(e) => errors.push(format!("cannot subscribe webhooks: {e}")),
            }
            if config.webhook_secret.is_none() {
                errors.push(
                    "no webhook_secret (or SHOPKEEPER_SHOPIFY_WEBHOOK_SECRET): serve cannot verify deliveries"
                        .into(),
                );
            }
        }
        for e in &errors {
            println!("error: {e}");
        }
        Ok(if errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_NOT_USABLE)
        })
    }

    /// Subscribes every topic not yet subscribed to `url`; returns (added, already there).
    async fn register(store: &ShopifyStore, url: &str) -> anyhow::Result<(usize, usize)> {
        let existing: serde_json::Value =
            store.run(&queries::WEBHOOKS, serde_json::json!({})).await?;
        let have: BTreeSet<String> = existing["webhookSubscriptions"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["uri"] == url)
            .filter_map(|w| w["topic"].as_str().map(String::from))
            .collect();
        let mut added = 0;
        for topic in TOPICS.iter().filter(|t| !have.contains(**t)) {
            let done: serde_json::Value = store
                .run(
                    &queries::WEBHOOK_CREATE,
                    serde_json::json!({"topic": topic, "uri": url}),
                )
                .await?;
            if let Some(e) = shopkeeper_connectors::shopify::client::user_errors(
                &done["webhookSubscriptionCreate"],
            ) {
                anyhow::bail!("{topic}: {e}");
            }
            added += 1;
        }
        Ok((added, have.len()))
    }
}

#[cfg(not(feature = "shopify"))]
pub async fn run(_: Option<&Path>, _: ConnectCommand) -> anyhow::Result<ExitCode> {
    println!("error: this build has no Shopify connector (feature `shopify`)");
    Ok(ExitCode::from(EXIT_NOT_USABLE))
}

#[cfg(not(feature = "shopify"))]
pub async fn connected_store(
    source: Option<&Path>,
) -> anyhow::Result<Option<shopkeeper_tools::ActiveStore>> {
    if let Some(path) = source
        && std::fs::read_to_string(path)?.contains("[shopify]")
    {
        anyhow::bail!(
            "this build has no Shopify connector (feature `shopify`), but {} has [shopify]",
            path.display()
        );
    }
    Ok(None)
}
