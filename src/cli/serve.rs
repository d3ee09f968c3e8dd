//! `shopkeeper serve`: the chat fronts (Telegram, Slack, Discord) and Shopify's webhook
//! intake in one process, next to the outbox relay and the event worker; `--check`
//! validates their configuration without connecting.

use super::session::{EXIT_NOT_CONFIGURED, Ops, load_config};
use anyhow::Context;
use shopkeeper_channels::{ChannelsConfig, Directory, Hub};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit status when the fronts' configuration is not usable.
const EXIT_BAD_CONFIG: u8 = 2;

/// The fronts' configuration from `source`, the file the rest came from, then the
/// environment.
pub(super) fn channels_config(source: Option<&Path>) -> anyhow::Result<ChannelsConfig> {
    let mut config = match source {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            ChannelsConfig::from_toml(&text)
                .with_context(|| format!("invalid {}", path.display()))?
        }
        None => ChannelsConfig::default(),
    };
    config.apply_env(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    Ok(config)
}

pub async fn run(explicit: Option<&Path>, check: bool) -> anyhow::Result<ExitCode> {
    let (config, _, source) = load_config(explicit)?;
    let channels = channels_config(source.as_deref())?;
    let mut report = channels.check(&config.staff);
    let intake = webhook_intake(source.as_deref(), &channels, &mut report)?;
    if !channels.any_front() && !intake {
        report.problems.push(
            "nothing to serve: no front is configured (add [telegram], [slack] or [discord] to shopkeeper.toml, \
             or set SHOPKEEPER_TELEGRAM_TOKEN, SHOPKEEPER_SLACK_BOT_TOKEN, SHOPKEEPER_DISCORD_TOKEN) \
             and no [shopify] webhook_secret"
                .into(),
        );
    }
    if check || !report.problems.is_empty() {
        for line in &report.lines {
            println!("ok: {line}");
        }
        for problem in &report.problems {
            println!("error: {problem}");
        }
        if !report.problems.is_empty() {
            return Ok(ExitCode::from(EXIT_BAD_CONFIG));
        }
        println!("configuration is valid");
        return Ok(ExitCode::SUCCESS);
    }
    for line in &report.lines {
        eprintln!("{line}");
    }
    // Webhooks alone need no language model: only the chat fronts do.
    let (ops, agent) = if channels.any_front() {
        let Some(mut ops) = Ops::with_agent(explicit).await? else {
            return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
        };
        let Some(agent) = ops.agent.take() else {
            return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
        };
        (ops, Some(agent))
    } else {
        (Ops::open(explicit).await?, None)
    };
    let routes = if intake {
        webhook_routes(source.as_deref(), &ops)?
    } else {
        None
    };
    let events = tokio::spawn(apply_events(
        ops.store().clone(),
        ops.recall.clone(),
        ops.db().clone(),
    ));
    // Runs until the process is stopped; every step is durable, so stopping is safe.
    match agent {
        Some(agent) => {
            let hub = Arc::new(Hub::new(
                Arc::new(agent),
                Directory::new(&ops.config.staff),
                &ops.config.store_name,
            ));
            if ops.offline {
                eprintln!("offline mode: the local router answers (no language model configured)");
            }
            shopkeeper_channels::serve::run(hub, &channels, routes, std::future::pending()).await?;
        }
        None => {
            let router = routes.unwrap_or_default();
            shopkeeper_channels::serve::listen_on(&channels.serve.listen, router)
                .await?
                .await;
        }
    }
    events.abort();
    ops.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Whether `[shopify]` asks for webhook intake (it has a webhook secret); says so in the report.
#[cfg(feature = "shopify")]
fn webhook_intake(
    source: Option<&Path>,
    channels: &ChannelsConfig,
    report: &mut shopkeeper_channels::config::CheckReport,
) -> anyhow::Result<bool> {
    let Some(shopify) = super::connect::shopify_config(source)? else {
        return Ok(false);
    };
    if shopify.webhook_secret.is_none() {
        report.lines.push(
            "shopify: no webhook_secret, so no webhook intake (events come from `sync` only)"
                .into(),
        );
        return Ok(false);
    }
    match channels.serve.listen.parse::<std::net::SocketAddr>() {
        Ok(addr) => report.lines.push(format!(
            "shopify webhooks: POST {} on {addr}",
            shopkeeper_connectors::shopify::webhooks::PATH
        )),
        Err(e) => report.problems.push(format!(
            "[serve] listen = {:?} is not an address: {e}",
            channels.serve.listen
        )),
    }
    Ok(true)
}

#[cfg(not(feature = "shopify"))]
fn webhook_intake(
    _: Option<&Path>,
    _: &ChannelsConfig,
    _: &mut shopkeeper_channels::config::CheckReport,
) -> anyhow::Result<bool> {
    Ok(false)
}

/// The Shopify webhook route, storing deliveries in the application database.
#[cfg(feature = "shopify")]
fn webhook_routes(source: Option<&Path>, ops: &Ops) -> anyhow::Result<Option<axum::Router>> {
    let Some(shopify) = super::connect::shopify_config(source)? else {
        return Ok(None);
    };
    let Some(secret) = shopify.webhook_secret.clone() else {
        return Ok(None);
    };
    let intake = shopkeeper_connectors::shopify::webhooks::Intake {
        db: ops.db().clone(),
        secret,
        shop: shopify.domain(),
    };
    Ok(Some(shopkeeper_connectors::shopify::webhooks::router(
        Arc::new(intake),
    )))
}

#[cfg(not(feature = "shopify"))]
fn webhook_routes(_: Option<&Path>, _: &Ops) -> anyhow::Result<Option<axum::Router>> {
    Ok(None)
}

/// How often the event log is read for what memory has not applied yet.
const EVENTS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps memory in step with the event log: the built-in store's own events are moved in,
/// then every stored event (webhooks too) is applied.
async fn apply_events(
    store: shopkeeper_tools::ActiveStore,
    recall: shopkeeper_tools::recall::Recall,
    db: shopkeeper_memory::AppDb,
) {
    loop {
        if let shopkeeper_tools::ActiveStore::Local(local) = &store
            && let Err(e) = local.relay_events(&db).await
        {
            tracing::warn!(error = %e, "moving the store's events to the event log failed");
        }
        let commerce = store.commerce();
        if let Err(e) =
            shopkeeper_tools::recall::apply::apply_events(commerce.as_ref(), &recall, &db, 200)
                .await
        {
            tracing::warn!(error = %e, "applying events to memory failed");
        }
        tokio::time::sleep(EVENTS_EVERY).await;
    }
}
