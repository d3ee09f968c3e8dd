//! A scripted OpenAI-compatible server on loopback: the model stand-in for tests,
//! benchmarks and demos. It speaks the real Chat Completions wire protocol
//! (JSON and server-sent events), replays a script, and records every request.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::task::JoinHandle;

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A chat completion: text and/or tool calls `(name, arguments as JSON text)`.
    Message {
        /// The text.
        content: Option<String>,
        /// Tool calls.
        tool_calls: Vec<(String, String)>,
    },
    /// An HTTP error, e.g. 429 with a `Retry-After` header.
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After` value, if any.
        retry_after: Option<String>,
    },
}

impl Reply {
    /// A plain text answer.
    pub fn text(content: &str) -> Self {
        Self::Message {
            content: Some(content.into()),
            tool_calls: Vec::new(),
        }
    }

    /// Tool calls with JSON arguments.
    pub fn tools(calls: &[(&str, Value)]) -> Self {
        Self::Message {
            content: None,
            tool_calls: calls
                .iter()
                .map(|(n, a)| (n.to_string(), a.to_string()))
                .collect(),
        }
    }

    /// A tool call whose arguments are exactly `raw` (e.g. malformed JSON).
    pub fn raw_tool(name: &str, raw: &str) -> Self {
        Self::Message {
            content: None,
            tool_calls: vec![(name.into(), raw.into())],
        }
    }

    /// An HTTP error status.
    pub fn status(status: u16, retry_after: Option<&str>) -> Self {
        Self::Status {
            status,
            retry_after: retry_after.map(Into::into),
        }
    }
}

/// Computes a reply from the request instead of a fixed queue.
pub type Responder = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

#[derive(Default)]
struct Script {
    queue: VecDeque<Reply>,
    responder: Option<Responder>,
    requests: Vec<Value>,
    record: bool,
    calls: u64,
}

/// The running server; stops when dropped.
pub struct ScriptedServer {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Starts a server that answers with `replies` in order, then 500s.
    pub async fn start(replies: Vec<Reply>) -> std::io::Result<Self> {
        Self::spawn(Script {
            queue: replies.into(),
            record: true,
            ..Script::default()
        })
        .await
    }

    /// Starts a server that answers every request with `responder(request)`; requests are
    /// not recorded, so it can serve benchmarks indefinitely.
    pub async fn with_responder(responder: Responder) -> std::io::Result<Self> {
        Self::spawn(Script {
            responder: Some(responder),
            ..Script::default()
        })
        .await
    }

    async fn spawn(script: Script) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let script = Arc::new(Mutex::new(script));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .with_state(script.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "scripted model server stopped");
            }
        });
        Ok(Self { addr, script, task })
    }

    /// The base URL to configure as `OPENAI_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request body received so far (queue mode only).
    pub fn requests(&self) -> Vec<Value> {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
            .clone()
    }

    /// Scripted replies not yet used.
    pub fn remaining(&self) -> usize {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queue
            .len()
    }
}

async fn chat(State(script): State<Arc<Mutex<Script>>>, Json(request): Json<Value>) -> Response {
    let (reply, n) = {
        let mut s = script.lock().unwrap_or_else(PoisonError::into_inner);
        s.calls += 1;
        let n = s.calls;
        let reply = match &s.responder {
            Some(f) => Some(f(&request)),
            None => s.queue.pop_front(),
        };
        if s.record {
            s.requests.push(request.clone());
        }
        (reply, n)
    };
    let Some(reply) = reply else {
        return error(500, None, "the script has no more replies");
    };
    let (content, calls) = match reply {
        Reply::Status {
            status,
            retry_after,
        } => {
            return error(status, retry_after.as_deref(), "scripted failure");
        }
        Reply::Message {
            content,
            tool_calls,
        } => (content, tool_calls),
    };
    let prompt_tokens = 10 * request["messages"].as_array().map_or(0, Vec::len) as u64;
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": 7, "total_tokens": prompt_tokens + 7});
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| json!({"id": format!("call_{n}_{i}"), "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    if request["stream"] == true {
        return sse(n, content.as_deref(), &tool_calls, finish, usage);
    }
    let mut message = json!({"role": "assistant", "content": content});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    Json(json!({
        "id": format!("chatcmpl-{n}"), "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }))
    .into_response()
}

/// Deterministic 8-dimensional embeddings (from the text's bytes), returned in reverse
/// order with their indices, as servers may; `dimensions` in the request changes the size.
async fn embeddings(Json(request): Json<Value>) -> Response {
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => return error(400, None, "input must be a string or a list of strings"),
    };
    let dims = request["dimensions"].as_u64().unwrap_or(8) as usize;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| {
            let mut v = vec![0.0f32; dims];
            for (k, b) in text.bytes().enumerate() {
                v[k % dims] += f32::from(b) / 255.0;
            }
            json!({"object": "embedding", "index": i, "embedding": v})
        })
        .collect();
    Json(json!({"object": "list", "data": data, "model": request["model"], "usage": {"prompt_tokens": 0, "total_tokens": 0}})).into_response()
}

/// The same answer as a stream of chunks: text in pieces, each tool call's arguments split in two.
fn sse(
    n: u64,
    content: Option<&str>,
    tool_calls: &[Value],
    finish: &str,
    usage: Value,
) -> Response {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk", "created": 0, "model": "scripted",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    if let Some(text) = content {
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(8) {
            events.push(chunk(
                json!({"content": piece.iter().collect::<String>()}),
                None,
            ));
        }
    }
    for (i, call) in tool_calls.iter().enumerate() {
        let args = call["function"]["arguments"].as_str().unwrap_or_default();
        let mid = args
            .char_indices()
            .nth(args.chars().count() / 2)
            .map_or(0, |(b, _)| b);
        events.push(chunk(json!({"tool_calls": [{"index": i, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": &args[..mid]}}]}), None));
        events.push(chunk(
            json!({"tool_calls": [{"index": i, "function": {"arguments": &args[mid..]}}]}),
            None,
        ));
    }
    events.push(chunk(json!({}), Some(finish)));
    events.push(json!({"id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk", "created": 0, "model": "scripted", "choices": [], "usage": usage}));
    let mut body = String::new();
    for e in events {
        body.push_str("data: ");
        body.push_str(&e.to_string());
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    (StatusCode::OK, headers, body).into_response()
}

fn error(status: u16, retry_after: Option<&str>, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert("retry-after", v);
    }
    let kind = if status == 429 {
        "rate_limit_error"
    } else {
        "server_error"
    };
    (
        code,
        headers,
        Json(json!({"error": {"message": message, "type": kind, "param": null, "code": null}})),
    )
        .into_response()
}
