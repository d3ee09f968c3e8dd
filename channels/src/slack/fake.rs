//! A fake Slack on loopback for tests: the Web API (`auth.test`, `chat.postMessage`,
//! `chat.update`, `chat.postEphemeral`, `apps.connections.open`) answered as Slack does,
//! every call recorded; a Socket Mode WebSocket that says hello, delivers envelopes and
//! records their acknowledgements; and request signing as Slack signs what it sends.

use crate::loopback::{CallLog, Loopback};
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::any;
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// The bot's own user id, as `auth.test` returns it.
pub const BOT_USER: &str = "UBOT0001";

#[derive(Debug, Default)]
struct Shared {
    calls: CallLog<(String, Value)>,
    next_ts: Mutex<u64>,
    socket_url: String,
    envelopes: Mutex<VecDeque<String>>,
    pushed: Notify,
}

impl Shared {
    fn record(&self, method: &str, params: Value) {
        self.calls.push((method.into(), params));
    }
}

/// The running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeSlackApi {
    server: Loopback,
    shared: Arc<Shared>,
    socket: JoinHandle<()>,
}

impl Drop for FakeSlackApi {
    fn drop(&mut self) {
        self.socket.abort();
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
        let sockets = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let shared = Arc::new(Shared {
            socket_url: format!("ws://{}/link", sockets.local_addr()?),
            ..Shared::default()
        });
        let socket = tokio::spawn(accept_sockets(sockets, shared.clone()));
        let app = axum::Router::new()
            .route("/api/{method}", any(method))
            .with_state(shared.clone());
        let server = Loopback::start(app).await?;
        Ok(Self {
            server,
            shared,
            socket,
        })
    }

    /// Delivers an Events API payload over Socket Mode; returns its envelope id.
    pub fn push_event(&self, payload: Value) -> String {
        self.push("events_api", payload)
    }

    /// Delivers an interactivity payload (a button click) over Socket Mode.
    pub fn push_interaction(&self, payload: Value) -> String {
        self.push("interactive", payload)
    }

    fn push(&self, kind: &str, payload: Value) -> String {
        let id = format!("env-{}", uuid::Uuid::now_v7().simple());
        let envelope = json!({"envelope_id": id, "type": kind, "payload": payload,
                              "accepts_response_payload": false});
        self.shared
            .envelopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(envelope.to_string());
        self.shared.pushed.notify_waiters();
        id
    }

    /// The URL to configure as `[slack] api_url`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.server.addr())
    }

    /// Every call so far: method and parameters.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.shared.calls.all()
    }

    /// Waits until `done(calls)` holds, or `timeout` passes; returns the calls then.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[(String, Value)]) -> bool,
    ) -> Vec<(String, Value)> {
        self.shared.calls.wait_for(timeout, done).await
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
        "apps.connections.open" => json!({"ok": true, "url": shared.socket_url}),
        _ => json!({"ok": false, "error": "unknown_method"}),
    };
    let mut recorded = params;
    if method == "chat.postMessage" {
        recorded["ts"] = json!(ts);
    }
    shared.record(&method, recorded);
    Json(reply)
}

async fn accept_sockets(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(socket(stream, shared.clone()));
    }
}

/// One Socket Mode connection: hello, then queued envelopes out and acknowledgements in
/// (recorded as `ack` calls with the envelope id).
async fn socket(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let hello = json!({"type": "hello", "num_connections": 1,
                       "connection_info": {"app_id": "A0001"},
                       "debug_info": {"host": "fake", "approximate_connection_time": 3600}});
    if ws.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    shared.record("socket.hello", json!({}));
    loop {
        let pushed = shared.pushed.notified();
        let next = shared
            .envelopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        if let Some(envelope) = next {
            if ws.send(Message::text(envelope)).await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = pushed => {}
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let ack: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                    shared.record("ack", ack);
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
