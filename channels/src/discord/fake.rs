//! A fake Discord on loopback for tests: the REST routes the front uses (current user,
//! gateway URL, create and edit message, typing, interaction callback) answered with
//! Discord's JSON shapes, every call recorded; a gateway WebSocket (hello, identify, READY,
//! heartbeat acks, then the dispatches a test pushes); and event bodies as Discord sends them.

use crate::loopback::{CallLog, Loopback};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// The bot's own user id.
pub const BOT_ID: u64 = 900_000_000_000_000_001;

/// A call: HTTP method, path after `/api/v10/`, JSON body.
pub type Call = (String, String, Value);

/// The bodies of the messages posted to `channel`, in order.
pub fn posts_to(calls: &[Call], channel: u64) -> Vec<Value> {
    let path = format!("channels/{channel}/messages");
    calls
        .iter()
        .filter(|(m, p, _)| m == "POST" && *p == path)
        .map(|(_, _, b)| b.clone())
        .collect()
}

#[derive(Debug, Default)]
struct Shared {
    calls: CallLog<Call>,
    next_id: Mutex<u64>,
    gateway_url: String,
    dispatches: Mutex<VecDeque<(String, Value)>>,
    pushed: Notify,
}

/// The running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeDiscordApi {
    server: Loopback,
    shared: Arc<Shared>,
    gateway: JoinHandle<()>,
}

impl Drop for FakeDiscordApi {
    fn drop(&mut self) {
        self.gateway.abort();
    }
}

fn user(id: u64, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
           "global_name": null, "avatar": null, "bot": bot})
}

/// A message as Discord shapes it (gateway `MESSAGE_CREATE` and REST replies alike).
pub fn message(id: u64, channel: u64, author: u64, content: &str, guild: Option<u64>) -> Value {
    let mentions: Vec<Value> = if content.contains(&format!("<@{BOT_ID}>")) {
        vec![user(BOT_ID, true)]
    } else {
        Vec::new()
    };
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(),
        "author": user(author, author == BOT_ID), "content": content,
        "timestamp": "2026-11-29T10:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": mentions, "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "components": []
    });
    if let Some(g) = guild {
        m["guild_id"] = json!(g.to_string());
    }
    m
}

/// A button click (`INTERACTION_CREATE` of a message component) by `user` on `message_id`.
pub fn click(id: u64, channel: u64, user_id: u64, message_id: u64, custom_id: &str) -> Value {
    json!({
        "id": id.to_string(), "application_id": "42", "type": 3, "token": format!("tok{id}"),
        "version": 1, "channel_id": channel.to_string(),
        "user": user(user_id, false),
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": message(message_id, channel, BOT_ID, "card", None),
        "locale": "en-US", "app_permissions": "0", "entitlements": [],
        "attachment_size_limit": 10_485_760, "context": 1,
        "authorizing_integration_owners": {}
    })
}

impl FakeDiscordApi {
    /// Starts the fake.
    pub async fn start() -> std::io::Result<Self> {
        let sockets = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let shared = Arc::new(Shared {
            next_id: Mutex::new(1_000),
            gateway_url: format!("ws://{}", sockets.local_addr()?),
            ..Shared::default()
        });
        let gateway = tokio::spawn(accept_gateways(sockets, shared.clone()));
        let app = axum::Router::new()
            .route("/api/v10/{*path}", any(route))
            .with_state(shared.clone());
        let server = Loopback::start(app).await?;
        Ok(Self {
            server,
            shared,
            gateway,
        })
    }

    /// Sends a gateway dispatch (`MESSAGE_CREATE`, `INTERACTION_CREATE`, ...) once a
    /// client is identified.
    pub fn dispatch(&self, event: &str, data: Value) {
        self.shared
            .dispatches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back((event.into(), data));
        self.shared.pushed.notify_waiters();
    }

    /// The URL to configure as `[discord] api_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every call so far: method, path (after `/api/v10/`) and JSON body.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.all()
    }

    /// Waits until `done(calls)` holds, or `timeout` passes; returns the calls then.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        self.shared.calls.wait_for(timeout, done).await
    }
}

async fn route(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(path): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared
        .calls
        .push((method.to_string(), path.clone(), body.clone()));
    let parts: Vec<&str> = path.split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["users", "@me"]) => Json(user(BOT_ID, true)).into_response(),
        ("GET", ["gateway"]) => Json(json!({"url": shared.gateway_url})).into_response(),
        ("GET", ["gateway", "bot"]) => Json(json!({
            "url": shared.gateway_url, "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0,
                                    "max_concurrency": 1}
        }))
        .into_response(),
        ("POST", ["channels", channel, "messages"]) => {
            let id = {
                let mut next = shared
                    .next_id
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                *next += 1;
                *next
            };
            let channel = channel.parse().unwrap_or(0);
            let content = body["content"].as_str().unwrap_or("");
            Json(message(id, channel, BOT_ID, content, None)).into_response()
        }
        ("PATCH", ["channels", channel, "messages", id]) => {
            let content = body["content"].as_str().unwrap_or("");
            Json(message(
                id.parse().unwrap_or(0),
                channel.parse().unwrap_or(0),
                BOT_ID,
                content,
                None,
            ))
            .into_response()
        }
        ("POST", ["channels", _, "typing"]) | ("POST", ["interactions", _, _, "callback"]) => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "404: Not Found", "code": 0})),
        )
            .into_response(),
    }
}

async fn accept_gateways(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(gateway(stream, shared.clone()));
    }
}

/// One gateway session: hello; READY after identify (recorded as `gateway identify`);
/// heartbeats acknowledged; then the pushed dispatches, numbered.
async fn gateway(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45_000}});
    if ws.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    let mut seq = 0u64;
    let mut identified = false;
    loop {
        let pushed = shared.pushed.notified();
        if identified {
            let next = shared
                .dispatches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            if let Some((event, data)) = next {
                seq += 1;
                let frame = json!({"op": 0, "t": event, "s": seq, "d": data});
                if ws.send(Message::text(frame.to_string())).await.is_err() {
                    return;
                }
                continue;
            }
        }
        let frame = tokio::select! {
            _ = pushed => continue,
            frame = ws.next() => frame,
        };
        let Some(Ok(Message::Text(text))) = frame else {
            match frame {
                Some(Ok(_)) => continue,
                _ => return,
            }
        };
        let payload: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        let reply = match payload["op"].as_u64() {
            // Identify: the session is ready.
            Some(2) => {
                shared
                    .calls
                    .push(("GATEWAY".into(), "identify".into(), payload["d"].clone()));
                identified = true;
                seq += 1;
                json!({"op": 0, "t": "READY", "s": seq, "d": {
                    "v": 10, "user": user(BOT_ID, true), "guilds": [], "session_id": "fake-session",
                    "resume_gateway_url": shared.gateway_url, "shard": [0, 1],
                    "application": {"id": "42", "flags": 0}
                }})
            }
            // Heartbeat: acknowledged.
            Some(1) => json!({"op": 11}),
            _ => continue,
        };
        if ws.send(Message::text(reply.to_string())).await.is_err() {
            return;
        }
    }
}
