//! A fake Slack Web API on loopback for tests: `auth.test`, `chat.postMessage`,
//! `chat.update` and `chat.postEphemeral` answered as Slack does, every call recorded;
//! and request signing as Slack signs the requests it sends to an app.

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::any;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The bot's own user id, as `auth.test` returns it.
pub const BOT_USER: &str = "UBOT0001";

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<(String, Value)>>,
    next_ts: Mutex<u64>,
    called: Notify,
}

/// The running fake; stops when dropped.
pub struct FakeSlackApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for FakeSlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSlackApi")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeSlackApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}`: Slack's request signature.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

impl FakeSlackApi {
    /// Starts the fake.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .route("/api/{method}", any(method))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake Slack API stopped");
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// The URL to configure as `[slack] api_url`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Every call so far: method and parameters.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `done(calls)` holds, or `timeout` passes; returns the calls then.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[(String, Value)]) -> bool,
    ) -> Vec<(String, Value)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.called.notified();
            let calls = self.calls();
            if done(&calls) || tokio::time::Instant::now() >= deadline {
                return calls;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    body: axum::body::Bytes,
) -> Json<Value> {
    let params: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({}));
    let ts = {
        let mut next = shared
            .next_ts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        format!("1700000000.{:06}", *next)
    };
    let channel = params.get("channel").cloned().unwrap_or(Value::Null);
    let reply = match method.as_str() {
        "auth.test" => json!({"ok": true, "url": "https://shop.slack.com/", "team": "Shop",
                              "user": "shopkeeper", "team_id": "T0001", "user_id": BOT_USER,
                              "bot_id": "B0001"}),
        "chat.postMessage" => {
            json!({"ok": true, "channel": channel, "ts": ts,
                   "message": {"type": "message", "ts": ts, "text": params.get("text"), "bot_id": "B0001"}})
        }
        "chat.update" => json!({"ok": true, "channel": channel, "ts": params.get("ts"),
                                "message": {"text": params.get("text")}}),
        "chat.postEphemeral" => json!({"ok": true, "message_ts": ts}),
        _ => json!({"ok": false, "error": "unknown_method"}),
    };
    let mut recorded = params;
    if method == "chat.postMessage" {
        recorded["ts"] = json!(ts);
    }
    shared
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((method, recorded));
    shared.called.notify_waiters();
    Json(reply)
}
