//! `shopkeeper serve`: the chat fronts (Telegram, Slack, Discord) in one process, next to
//! the outbox relay; `--check` validates their configuration without connecting.

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
    let report = channels.check(&config.staff);
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
    let Some(mut ops) = Ops::with_agent(explicit).await? else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    let Some(agent) = ops.agent.take() else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    let hub = Arc::new(Hub::new(
        Arc::new(agent),
        Directory::new(&ops.config.staff),
        &ops.config.store_name,
    ));
    for line in &report.lines {
        eprintln!("{line}");
    }
    if ops.offline {
        eprintln!("offline mode: the local router answers (no language model configured)");
    }
    // Runs until the process is stopped; every step is durable, so stopping is safe.
    shopkeeper_channels::serve::run(hub, &channels, std::future::pending()).await?;
    ops.close().await;
    Ok(ExitCode::SUCCESS)
}
