//! A fake Telegram Bot API server on loopback, for tests and benchmarks: it speaks the
//! real wire protocol (`/bot<token>/<method>`, JSON in, `{"ok": ..., "result": ...}` out),
//! serves queued updates to `getUpdates` long polls, and records every call.

use crate::loopback::{CallLog, Loopback};
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The bot's own user, as `getMe` returns it.
pub const BOT_USER_ID: u64 = 900_000_001;
/// The bot's username.
pub const BOT_USERNAME: &str = "shopkeeper_test_bot";

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update: u64,
    next_message: i64,
}

struct Shared {
    token: String,
    inner: Mutex<Inner>,
    arrived: Notify,
    /// Method, parameters, when it arrived.
    calls: CallLog<(String, Value, Instant)>,
    /// Keep every call; otherwise only `sendMessage` (what benchmarks count).
    record: bool,
    /// `sendMessage` calls so far, and a signal when one arrives.
    sent: AtomicUsize,
    sent_changed: Notify,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_update(&self) -> u64 {
        let mut inner = self.lock();
        inner.next_update += 1;
        inner.next_update - 1
    }

    fn next_message(&self) -> i64 {
        let mut inner = self.lock();
        inner.next_message += 1;
        inner.next_message - 1
    }
}

/// A text message from `user` in `chat`, as Telegram shapes it.
fn text_message(message_id: i64, chat: i64, user: u64, text: &str) -> Value {
    json!({"message_id": message_id, "date": now_secs(), "chat": chat_json(chat),
           "from": user_json(user), "text": text})
}

/// The running fake; stops when dropped.
pub struct FakeBotApi {
    server: Loopback,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeBotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBotApi")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn chat_json(chat: i64) -> Value {
    if chat > 0 {
        json!({"id": chat, "type": "private", "first_name": format!("User {chat}")})
    } else {
        json!({"id": chat, "type": "supergroup", "title": format!("Group {chat}")})
    }
}

fn user_json(user: u64) -> Value {
    json!({"id": user, "is_bot": false, "first_name": format!("User {user}")})
}

impl FakeBotApi {
    /// Starts a fake that accepts `token` and records every call.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        Self::spawn(token, true).await
    }

    /// Starts a fake that keeps only counts (for benchmarks that run long).
    pub async fn start_unrecorded(token: &str) -> std::io::Result<Self> {
        Self::spawn(token, false).await
    }

    async fn spawn(token: &str, record: bool) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: token.into(),
            inner: Mutex::new(Inner {
                next_update: 1,
                next_message: 1,
                ..Inner::default()
            }),
            arrived: Notify::new(),
            calls: CallLog::default(),
            record,
            sent: AtomicUsize::new(0),
            sent_changed: Notify::new(),
        });
        let app = axum::Router::new()
            .route("/{bot}/{method}", post(method))
            .with_state(shared.clone());
        let server = Loopback::start(app).await?;
        Ok(Self { server, shared })
    }

    /// The URL to configure as `[telegram] api_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    fn push(&self, kind: &str, body: Value) -> u64 {
        let id = self.shared.next_update();
        self.shared
            .lock()
            .updates
            .push_back(json!({"update_id": id, kind: body}));
        self.shared.arrived.notify_waiters();
        id
    }

    /// Queues a text message from `user` in `chat` (positive: a private chat); returns
    /// the update id.
    pub fn push_message(&self, chat: i64, user: u64, text: &str) -> u64 {
        let message_id = self.shared.next_message();
        self.push("message", text_message(message_id, chat, user, text))
    }

    /// Queues a button click by `user` on the bot's message `message_id` in `chat`.
    pub fn push_click(&self, chat: i64, user: u64, message_id: i64, data: &str) -> String {
        let query_id = format!("cb{}", uuid::Uuid::now_v7().simple());
        self.push(
            "callback_query",
            json!({"id": query_id, "from": user_json(user), "chat_instance": format!("ci{chat}"),
                   "data": data,
                   "message": {"message_id": message_id, "date": now_secs(), "chat": chat_json(chat),
                               "from": {"id": BOT_USER_ID, "is_bot": true, "first_name": "Shopkeeper"},
                               "text": "card"}}),
        );
        query_id
    }

    /// A webhook body: the update JSON for a text message (not queued).
    pub fn message_update(&self, chat: i64, user: u64, text: &str) -> Value {
        let id = self.shared.next_update();
        let message = text_message(self.shared.next_message(), chat, user, text);
        json!({"update_id": id, "message": message})
    }

    /// Every call so far: method name and JSON parameters.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.shared.calls.with(untimed)
    }

    /// Calls of one method.
    pub fn calls_of(&self, method: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|(m, _)| m == method)
            .map(|(_, p)| p)
            .collect()
    }

    /// Waits until `done(calls)` holds, or `timeout` passes; returns the calls then.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[(String, Value)]) -> bool,
    ) -> Vec<(String, Value)> {
        let calls = self
            .shared
            .calls
            .wait_for(timeout, |calls| done(&untimed(calls)))
            .await;
        untimed(&calls)
    }

    /// How many `sendMessage` calls arrived so far.
    pub fn sent(&self) -> usize {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// Waits until `total` `sendMessage` calls have arrived, or `timeout` passes; whether
    /// they did. Woken by each arrival, so a benchmark waiting here costs no CPU.
    pub async fn wait_sent(&self, total: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.sent_changed.notified();
            if self.sent() >= total {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.sent() >= total;
            }
        }
    }

    /// `sendMessage` calls received after `since` (for benchmarks), with times.
    pub fn messages_since(&self, since: Instant) -> Vec<(Value, Instant)> {
        self.shared.calls.with(|calls| {
            calls
                .iter()
                .filter(|(m, _, t)| m == "sendMessage" && *t >= since)
                .map(|(_, p, t)| (p.clone(), *t))
                .collect()
        })
    }
}

fn untimed(calls: &[(String, Value, Instant)]) -> Vec<(String, Value)> {
    calls
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect()
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Json<Value> {
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    }
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let params: Value = match content_type.split_once("boundary=") {
        Some((_, boundary)) => form_fields(boundary.trim_matches('"'), &body),
        None => serde_json::from_slice(&body).unwrap_or_else(|_| json!({})),
    };
    // Telegram matches method names case-insensitively (teloxide sends `GetMe`); record them
    // as the Bot API documents them.
    let method = KNOWN
        .iter()
        .find(|m| m.eq_ignore_ascii_case(&method))
        .map_or(method, |m| (*m).to_string());
    let result = match method.as_str() {
        "getUpdates" => {
            return Json(json!({"ok": true, "result": updates(&shared, &params).await}));
        }
        "getMe" => json!({"id": BOT_USER_ID, "is_bot": true, "first_name": "Shopkeeper",
                          "username": BOT_USERNAME, "can_join_groups": true,
                          "can_read_all_group_messages": false, "supports_inline_queries": false,
                          "has_main_web_app": false}),
        "sendMessage" | "editMessageText" => {
            let chat = params.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let message_id = params
                .get("message_id")
                .and_then(Value::as_i64)
                .unwrap_or_else(|| shared.next_message());
            let mut message = json!({"message_id": message_id, "date": now_secs(),
                "chat": chat_json(chat),
                "from": {"id": BOT_USER_ID, "is_bot": true, "first_name": "Shopkeeper"},
                "text": params.get("text").cloned().unwrap_or(Value::Null)});
            if let Some(markup) = params.get("reply_markup") {
                message["reply_markup"] = markup.clone();
            }
            message
        }
        "answerCallbackQuery" | "sendChatAction" | "setWebhook" | "deleteWebhook" => json!(true),
        other => {
            return Json(
                json!({"ok": false, "error_code": 404, "description": format!("Not Found: method {other}")}),
            );
        }
    };
    if method == "sendMessage" || method == "editMessageText" {
        // What the test inspects: the parameters, plus the message id the bot got back.
        let mut recorded = params.clone();
        recorded["message_id"] = result["message_id"].clone();
        record(&shared, &method, recorded);
    } else {
        record(&shared, &method, params);
    }
    Json(json!({"ok": true, "result": result}))
}

/// The text fields of a `multipart/form-data` body (teloxide sends `setWebhook` so, as it
/// may carry a certificate file); values that are JSON are kept as JSON.
fn form_fields(boundary: &str, body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        fields.insert(name.into(), parsed);
    }
    Value::Object(fields)
}

const KNOWN: &[&str] = &[
    "getUpdates",
    "getMe",
    "sendMessage",
    "editMessageText",
    "answerCallbackQuery",
    "sendChatAction",
    "setWebhook",
    "deleteWebhook",
];

fn record(shared: &Shared, method: &str, params: Value) {
    let sent = method == "sendMessage";
    if shared.record || sent {
        shared.calls.push((method.into(), params, Instant::now()));
    }
    if sent {
        shared.sent.fetch_add(1, Ordering::SeqCst);
        shared.sent_changed.notify_waiters();
    }
}

async fn updates(shared: &Shared, params: &Value) -> Value {
    let offset = params.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.arrived.notified();
        {
            let mut inner = shared.lock();
            // Confirmed updates are forgotten, as Telegram does.
            while inner
                .updates
                .front()
                .and_then(|u| u["update_id"].as_u64())
                .is_some_and(|id| id < offset)
            {
                inner.updates.pop_front();
            }
            if !inner.updates.is_empty() {
                return Value::Array(inner.updates.iter().take(100).cloned().collect());
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return json!([]);
        }
    }
}
