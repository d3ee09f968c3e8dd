//! The OpenAI-compatible Chat Completions provider (OpenAI, Azure OpenAI, Ollama,
//! vLLM, llama.cpp's server, LM Studio, OpenRouter), on async-openai.

use super::retry::{RetryPolicy, RetryingHttp};
use super::{ChatModel, ChatRequest, LlmError, ModelReply, TextSink};
use crate::message::{Message, ToolCallRequest, Usage};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// Settings of an OpenAI-compatible endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiSettings {
    /// Base URL up to `/v1`, e.g. `http://localhost:11434/v1` for Ollama.
    pub base_url: String,
    /// API key; local servers accept any.
    pub api_key: String,
    /// Model name, e.g. `gpt-4o-mini` or `llama3.1`.
    pub model: String,
    /// Sampling temperature; `None` leaves the server's default.
    pub temperature: Option<f32>,
    /// How long the server may stay silent (connecting, or between streamed bytes).
    pub timeout: Duration,
    /// Retries on 429, 5xx and connection errors.
    pub retry: RetryPolicy,
    /// Stream answers token by token when a sink is given.
    pub stream: bool,
}

/// A chat model behind an OpenAI-compatible HTTP API.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    client: Client<OpenAIConfig>,
    settings: OpenAiSettings,
}

impl OpenAiModel {
    /// Builds the client; no request is sent yet.
    pub fn new(settings: OpenAiSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .read_timeout(settings.timeout)
            .build()
            .map_err(|e| LlmError::Transport(e.to_string()))?;
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.trim_end_matches('/'))
            .with_api_key(settings.api_key.clone());
        let client =
            Client::with_config(config).with_http_service(RetryingHttp::new(http, settings.retry));
        Ok(Self { client, settings })
    }

    fn body(&self, request: ChatRequest<'_>, stream: bool) -> Value {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        messages.push(json!({"role": "system", "content": request.system}));
        messages.extend(request.messages.iter().map(wire_message));
        let mut body =
            json!({"model": self.settings.model, "messages": messages, "stream": stream});
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
                .collect();
        }
        if let Some(t) = self.settings.temperature {
            body["temperature"] = json!(t);
        }
        if stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }
}

fn wire_message(m: &Message) -> Value {
    match m {
        Message::User { content } => json!({"role": "user", "content": content}),
        Message::Assistant {
            content,
            tool_calls,
        } => {
            let mut v = json!({"role": "assistant", "content": content});
            if !tool_calls.is_empty() {
                v["tool_calls"] = tool_calls
                    .iter()
                    .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                    .collect();
            }
            v
        }
        Message::Tool {
            tool_call_id,
            content,
        } => {
            json!({"role": "tool", "tool_call_id": tool_call_id, "content": content})
        }
    }
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireMessage,
}

#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize, Clone, Copy)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
        }
    }
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    choices: Vec<WireChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChunkChoice {
    #[serde(default)]
    delta: WireDelta,
}

#[derive(Deserialize, Default)]
struct WireDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCallDelta>,
}

#[derive(Deserialize)]
struct WireToolCallDelta {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunctionDelta>,
}

#[derive(Deserialize)]
struct WireFunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// Some servers leave tool call ids empty; the run needs them unique per turn.
fn call_id(id: String, index: usize) -> String {
    if id.is_empty() {
        format!("call_{index}")
    } else {
        id
    }
}

fn map_error(e: OpenAIError, timeout: Duration) -> LlmError {
    match e {
        OpenAIError::ApiError(api) => LlmError::Http {
            status: api.status_code.as_u16(),
            message: api.api_error.message,
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout(timeout),
        OpenAIError::Reqwest(e) => match e.status() {
            Some(status) => LlmError::Http {
                status: status.as_u16(),
                message: e.to_string(),
            },
            None => LlmError::Transport(e.to_string()),
        },
        OpenAIError::JSONDeserialize(e, body) => {
            LlmError::InvalidResponse(format!("{e}: {}", truncate(&body)))
        }
        OpenAIError::StreamError(e) => LlmError::Transport(e.to_string()),
        other => LlmError::Transport(other.to_string()),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

impl OpenAiModel {
    /// Asks for one JSON object matching `schema` (structured output), e.g. a product listing.
    pub async fn structured(
        &self,
        system: &str,
        user: &str,
        name: &str,
        schema: &Value,
    ) -> Result<Value, LlmError> {
        let mut body = json!({
            "model": self.settings.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}},
            "stream": false,
        });
        if let Some(t) = self.settings.temperature {
            body["temperature"] = json!(t);
        }
        let response: WireResponse = self
            .client
            .chat()
            .create_byot(body)
            .await
            .map_err(|e| map_error(e, self.settings.timeout))?;
        let content = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .unwrap_or_default();
        serde_json::from_str(content.trim())
            .map_err(|e| LlmError::InvalidResponse(format!("not the requested JSON: {e}")))
    }
}

#[async_trait]
impl ChatModel for OpenAiModel {
    fn describe(&self) -> String {
        format!("{} at {}", self.settings.model, self.settings.base_url)
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        sink: Option<TextSink<'_>>,
    ) -> Result<ModelReply, LlmError> {
        let timeout = self.settings.timeout;
        let chat = self.client.chat();
        let Some(sink) = sink.filter(|_| self.settings.stream) else {
            let response: WireResponse = chat
                .create_byot(self.body(request, false))
                .await
                .map_err(|e| map_error(e, timeout))?;
            let message = response
                .choices
                .into_iter()
                .next()
                .map(|c| c.message)
                .unwrap_or_default();
            return Ok(ModelReply {
                content: message.content.filter(|c| !c.is_empty()),
                tool_calls: message
                    .tool_calls
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| ToolCallRequest {
                        id: call_id(c.id, i),
                        name: c.function.name,
                        arguments: c.function.arguments,
                    })
                    .collect(),
                usage: response.usage.map(Usage::from).unwrap_or_default(),
            });
        };

        let mut stream = chat
            .create_stream_byot::<Value, WireChunk>(self.body(request, true))
            .await
            .map_err(|e| map_error(e, timeout))?;
        let mut text = String::new();
        let mut calls: BTreeMap<usize, (String, String, String)> = BTreeMap::new();
        let mut usage = Usage::default();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| map_error(e, timeout))?;
            if let Some(u) = chunk.usage {
                usage = u.into();
            }
            for choice in chunk.choices {
                if let Some(delta) = choice.delta.content.filter(|d| !d.is_empty()) {
                    sink(&delta);
                    text.push_str(&delta);
                }
                for call in choice.delta.tool_calls {
                    let entry = calls.entry(call.index).or_default();
                    if let Some(id) = call.id {
                        entry.0.push_str(&id);
                    }
                    if let Some(f) = call.function {
                        entry.1.push_str(f.name.as_deref().unwrap_or_default());
                        entry.2.push_str(f.arguments.as_deref().unwrap_or_default());
                    }
                }
            }
        }
        Ok(ModelReply {
            content: (!text.is_empty()).then_some(text),
            tool_calls: calls
                .into_iter()
                .map(|(i, (id, name, arguments))| ToolCallRequest {
                    id: call_id(id, i),
                    name,
                    arguments,
                })
                .collect(),
            usage,
        })
    }
}
