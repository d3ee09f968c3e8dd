//! Running the configured fronts in one process: connect each, receive updates (polling,
//! sockets or webhooks on one HTTP listener), and relay the outbox on a timer.

use crate::ChannelError;
use crate::config::ChannelsConfig;
use crate::hub::Hub;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Binds `addr` and returns the task serving `router` on it (webhooks of the fronts and
/// of the platforms).
pub async fn listen_on(
    addr: &str,
    router: axum::Router,
) -> Result<impl Future<Output = ()> + Send + 'static, ChannelError> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| ChannelError::Config(format!("[serve] listen: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ChannelError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    tracing::info!(%addr, "listening for webhooks");
    Ok(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "webhook listener stopped");
        }
    })
}

/// Connects every configured front, then runs them until `shutdown` completes. `extra`
/// routes (a platform's webhooks) are served on the same listener.
pub async fn run(
    hub: Arc<Hub>,
    config: &ChannelsConfig,
    extra: Option<axum::Router>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ChannelError> {
    let mut tasks = JoinSet::new();
    let listen = config.needs_listener() || extra.is_some();
    #[cfg_attr(not(any(feature = "telegram", feature = "slack")), allow(unused_mut))]
    let mut router = extra.unwrap_or_default();
    #[cfg(feature = "telegram")]
    if let Some(t) = &config.telegram {
        use crate::config::TelegramMode;
        let telegram = Arc::new(crate::telegram::Telegram::new(t)?);
        telegram.connect().await?;
        hub.attach(telegram.clone());
        match t.mode {
            TelegramMode::Polling => {
                tasks.spawn(telegram.poll(hub.clone()));
            }
            TelegramMode::Webhook => router = router.merge(telegram.router(hub.clone())),
        }
        tracing::info!(mode = ?t.mode, "telegram front running");
    }
    #[cfg(feature = "slack")]
    if let Some(s) = &config.slack {
        use crate::config::SlackMode;
        let slack = Arc::new(crate::slack::Slack::new(s)?);
        slack.connect().await?;
        hub.attach(slack.clone());
        match s.mode {
            SlackMode::Socket => {
                let hub = hub.clone();
                tasks.spawn(async move {
                    if let Err(e) = slack.socket_mode(hub).await {
                        tracing::error!(error = %e, "slack Socket Mode stopped");
                    }
                });
            }
            SlackMode::Events => router = router.merge(slack.router(hub.clone())),
        }
        tracing::info!(mode = ?s.mode, "slack front running");
    }
    #[cfg(feature = "discord")]
    if let Some(d) = &config.discord {
        let discord = Arc::new(crate::discord::Discord::new(d)?);
        discord.connect().await?;
        hub.attach(discord.clone());
        let hub = hub.clone();
        tasks.spawn(async move {
            if let Err(e) = discord.gateway(hub).await {
                tracing::error!(error = %e, "discord gateway stopped");
            }
        });
        tracing::info!("discord front running");
    }
    if listen {
        tasks.spawn(listen_on(&config.serve.listen, router).await?);
    }
    let relay = hub.clone();
    let every = Duration::from_millis(config.serve.relay_interval_ms.max(50));
    tasks.spawn(async move {
        loop {
            if let Err(e) = relay.flush().await {
                tracing::warn!(error = %e, "outbox relay failed");
            }
            tokio::time::sleep(every).await;
        }
    });
    shutdown.await;
    tasks.shutdown().await;
    Ok(())
}
