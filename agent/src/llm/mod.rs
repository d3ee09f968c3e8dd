//! Language model providers behind one `ChatModel` trait.

pub mod openai;
pub mod retry;
pub mod scripted;

use crate::message::{Message, ToolCallRequest, Usage};
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// JSON schema of its arguments.
    pub parameters: Value,
}

/// One request to the model.
#[derive(Debug, Clone, Copy)]
pub struct ChatRequest<'a> {
    /// The system prompt.
    pub system: &'a str,
    /// The conversation so far.
    pub messages: &'a [Message],
    /// The tools it may call.
    pub tools: &'a [ToolSpec],
}

/// The model's answer to one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelReply {
    /// Text, if any.
    pub content: Option<String>,
    /// Tool calls, in order.
    pub tool_calls: Vec<ToolCallRequest>,
    /// Tokens used.
    pub usage: Usage,
}

/// Receives text as the model produces it.
pub type TextSink<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// Why a model call failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No model is configured.
    #[error("no language model is configured")]
    NotConfigured,
    /// The server answered with an error status (after retries, where retrying made sense).
    #[error("the model server answered {status}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the model server: {0}")]
    Transport(String),
    /// The call took longer than the configured timeout.
    #[error("the model did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The answer was not a valid chat completion.
    #[error("the model server sent an invalid answer: {0}")]
    InvalidResponse(String),
}

/// A chat model that can call tools.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// A short description, e.g. `gpt-4o-mini at https://api.openai.com/v1`.
    fn describe(&self) -> String;

    /// Sends the conversation; streams text to `sink` when one is given.
    async fn complete(
        &self,
        request: ChatRequest<'_>,
        sink: Option<TextSink<'_>>,
    ) -> Result<ModelReply, LlmError>;
}
