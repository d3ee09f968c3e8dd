//! `shopkeeper bench telegram`: the Telegram front end to end — this binary's `serve`
//! against the fake Bot API and a scripted model on loopback — in messages per second
//! and latency from update to reply.

use super::store::{ms, pct};
use anyhow::Context;
use serde_json::Value;
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_channels::telegram::fake::FakeBotApi;
use std::collections::HashMap;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "100000:BENCH-token-not-secret";

/// Kills the `serve` child and removes its data directory, however the bench ends.
struct Served {
    child: std::process::Child,
    home: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Waits until the Bot API has received `total` replies in all.
async fn wait_replies(api: &FakeBotApi, total: usize, limit: Duration) -> anyhow::Result<()> {
    anyhow::ensure!(
        api.wait_sent(total, limit).await,
        "only {} of {total} replies within {limit:?}",
        api.sent()
    );
    Ok(())
}

pub async fn run(messages: usize, chats: usize, samples: usize) -> anyhow::Result<ExitCode> {
    let api = FakeBotApi::start_unrecorded(TOKEN).await?;
    let model = ScriptedServer::with_responder(Arc::new(|_: &Value| {
        Reply::text("Your order **#W1** is on its way.")
    }))
    .await?;
    let home =
        std::env::temp_dir().join(format!("shopkeeper-bench-telegram-{}", std::process::id()));
    std::fs::create_dir_all(&home)?;
    std::fs::write(
        home.join("shopkeeper.toml"),
        format!(
            "[llm]\nbase_url = \"{}\"\nmodel = \"scripted\"\nstream = false\n\n[telegram]\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n",
            model.base_url(),
            api.url()
        ),
    )?;
    let exe = std::env::current_exe().context("finding this binary")?;
    let child = std::process::Command::new(exe)
        .arg("serve")
        .current_dir(&home)
        .env("SHOPKEEPER_HOME", &home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("SHOPKEEPER_TELEGRAM_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting `shopkeeper serve`")?;
    let _served = Served { child, home };

    // Ready when the first reply comes back (store seeded, bot polling).
    let started = Instant::now();
    api.push_message(1, 1, "hello");
    wait_replies(&api, 1, Duration::from_secs(120)).await?;
    println!(
        "telegram front: `shopkeeper serve` ↔ fake Bot API (long polling) ↔ scripted model, loopback"
    );
    println!("  start-up to first reply {}", ms(started.elapsed()));

    // Latency: one message at a time, update queued → reply received by the Bot API.
    let mut alone = Vec::with_capacity(samples);
    for i in 0..samples {
        let (t, before) = (Instant::now(), api.sent());
        api.push_message(2, 2, &format!("where is my order? ({i})"));
        wait_replies(&api, before + 1, Duration::from_secs(60)).await?;
        let replies = api.messages_since(t);
        alone.push(
            replies
                .first()
                .map_or(t.elapsed(), |(_, at)| at.duration_since(t)),
        );
    }
    println!(
        "  one at a time ({samples} messages): update → reply p50 {}  p99 {}",
        ms(pct(&mut alone, 50.0)),
        ms(pct(&mut alone, 99.0))
    );

    // Throughput: a burst across `chats` chats; each chat's replies answer its messages in order.
    let chats = chats.max(1);
    let (t0, before) = (Instant::now(), api.sent());
    let mut pushed: HashMap<i64, Vec<Instant>> = HashMap::new();
    for i in 0..messages {
        let chat = 1000 + (i % chats) as i64;
        pushed.entry(chat).or_default().push(Instant::now());
        api.push_message(chat, chat as u64, &format!("status of order #W{i}?"));
    }
    wait_replies(&api, before + messages, Duration::from_secs(600)).await?;
    let elapsed = t0.elapsed();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut burst = Vec::with_capacity(messages);
    for (reply, at) in api.messages_since(t0) {
        let chat = reply["chat_id"].as_i64().unwrap_or_default();
        let k = seen.entry(chat).or_default();
        if let Some(sent) = pushed.get(&chat).and_then(|v| v.get(*k)) {
            burst.push(at.duration_since(*sent));
        }
        *k += 1;
    }
    println!(
        "  burst of {messages} messages over {chats} chats: {:.0} messages/s ({:.2} s); update → reply p50 {}  p99 {}",
        messages as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        ms(pct(&mut burst, 50.0)),
        ms(pct(&mut burst, 99.0))
    );
    Ok(ExitCode::SUCCESS)
}
