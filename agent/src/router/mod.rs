//! The offline brain: a `ChatModel` that uses no language model. It classifies a
//! request by embedding similarity to the example requests written in the tool
//! definitions (plus greeting, help and thanks), fills the tool's arguments from
//! the request and the conversation by its JSON schema, asks for exactly what is
//! missing, and answers from `prompts/router.md.j2` with the tool's result. Calls
//! go through the same registry and approvals as a language model's.

pub mod classify;
pub mod eval;
pub mod extract;

use crate::llm::{ChatModel, ChatRequest, LlmError, ModelReply, TextSink};
use crate::message::{Message, ToolCallRequest};
use crate::prompts::Prompts;
use classify::{CHAT_EXAMPLES, Classifier, Scored};
use minijinja::context;
use serde_json::{Map, Value};
use shopkeeper_memory::embed::Embedder;
use shopkeeper_tools::ToolInfo;
use std::collections::HashMap;
use std::sync::Arc;

/// When the router answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouterSettings {
    /// Least similarity to a label's closest example for the router to act on it.
    pub threshold: f32,
    /// Least lead of the best label over the runner-up.
    pub margin: f32,
}

impl Default for RouterSettings {
    /// Chosen on the labelled set (`shopkeeper bench router`).
    fn default() -> Self {
        Self {
            threshold: 0.55,
            margin: 0.02,
        }
    }
}

/// What the router makes of the latest request.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Call a tool with these arguments.
    Call {
        /// The tool.
        tool: String,
        /// Its arguments.
        arguments: Map<String, Value>,
        /// Similarity of the request to the tool's closest example.
        score: f32,
    },
    /// The tool is clear but required arguments are not: ask for them.
    Ask {
        /// The tool.
        tool: String,
        /// Its required parameters the conversation has not stated.
        missing: Vec<String>,
        /// Similarity to the tool's closest example.
        score: f32,
    },
    /// The tool needs a product id and the request names the product: search for it
    /// first (`search_products` with these arguments), then call the tool.
    Resolve {
        /// The tool to call once the product is found.
        tool: String,
        /// Arguments of the search.
        arguments: Map<String, Value>,
        /// Similarity to the tool's closest example.
        score: f32,
    },
    /// Greeting, help or thanks.
    Chat {
        /// The intent.
        intent: String,
        /// Similarity to its closest example.
        score: f32,
    },
    /// Not confident: say so rather than guess.
    Unknown {
        /// The closest label, for diagnostics.
        best: Option<Scored>,
    },
}

impl Route {
    /// The tool or intent chosen, or `unknown`.
    pub fn label(&self) -> &str {
        match self {
            Self::Call { tool, .. } | Self::Ask { tool, .. } | Self::Resolve { tool, .. } => tool,
            Self::Chat { intent, .. } => intent,
            Self::Unknown { .. } => "unknown",
        }
    }
}

/// Routes requests to tools without a language model.
pub struct RouterModel {
    classifier: Classifier,
    schemas: HashMap<String, Value>,
    prompts: Prompts,
    store_name: String,
    settings: RouterSettings,
}

impl std::fmt::Debug for RouterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterModel")
            .field("tools", &self.schemas.len())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn llm_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::InvalidResponse(format!("offline router: {e}"))
}

/// What was said before the latest request, newest first: earlier requests, tool
/// results and the arguments of earlier calls (where an order id or email may be).
fn context_of(messages: &[Message], request_at: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (_, m) in messages
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, _)| *i != request_at)
    {
        match m {
            Message::User { content } => out.push(content.clone()),
            Message::Tool { content, .. } => out.push(content.clone()),
            Message::Assistant { tool_calls, .. } => {
                out.extend(tool_calls.iter().map(|c| c.arguments.clone()));
            }
        }
    }
    out
}

impl RouterModel {
    /// A router over `tools` (their examples, or their description where they have none).
    pub async fn new(
        embedder: Arc<dyn Embedder>,
        tools: &[ToolInfo],
        prompts: Prompts,
        store_name: &str,
        products: Vec<String>,
        settings: RouterSettings,
    ) -> Result<Self, LlmError> {
        let mut labelled: Vec<(String, Vec<String>)> = tools
            .iter()
            .map(|t| {
                let examples: Vec<String> = if t.examples.is_empty() {
                    vec![t.description.to_string()]
                } else {
                    t.examples.iter().map(|e| e.to_string()).collect()
                };
                (t.name.to_string(), examples)
            })
            .collect();
        labelled.extend(CHAT_EXAMPLES.iter().map(|(intent, examples)| {
            (
                intent.to_string(),
                examples.iter().map(|e| e.to_string()).collect(),
            )
        }));
        let classifier = Classifier::new(embedder, labelled, products)
            .await
            .map_err(llm_err)?;
        Ok(Self {
            classifier,
            schemas: tools
                .iter()
                .map(|t| (t.name.to_string(), t.parameters.clone()))
                .collect(),
            prompts,
            store_name: store_name.to_string(),
            settings,
        })
    }

    fn confident<'a>(&self, ranked: &'a [Scored]) -> Option<&'a Scored> {
        let best = ranked.first()?;
        let lead = best.score - ranked.get(1).map_or(0.0, |s| s.score);
        (best.score >= self.settings.threshold && lead >= self.settings.margin).then_some(best)
    }

    /// The route for the latest request of `messages`.
    pub async fn route(&self, messages: &[Message]) -> Result<Route, LlmError> {
        // After a product-name lookup the router made itself, the request is the last
        // user message and the lookup's result is context; then it resolves no further.
        let resolving = !matches!(messages.last(), Some(Message::Tool { .. }));
        let Some((at, content)) = messages
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, m)| match m {
                Message::User { content } => Some((i, content)),
                _ => None,
            })
        else {
            return Ok(Route::Unknown { best: None });
        };
        let upto = &messages[..=at];
        let ranked = self.classifier.rank(content).await.map_err(llm_err)?;
        // Two orders in one request are two requests: better to say so than do half.
        if extract::distinct_orders(content) > 1 {
            return Ok(Route::Unknown {
                best: ranked.first().cloned(),
            });
        }
        let mut chosen = self.confident(&ranked).cloned();
        let mut text = content.clone();
        // A follow-up ("#W2378156, I no longer need it") after a question: read it
        // together with the request that raised the question.
        if chosen.is_none()
            && let Some(previous) = upto.iter().rev().skip(1).find_map(|m| match m {
                Message::User { content } => Some(content),
                _ => None,
            })
            && matches!(upto.iter().rev().nth(1), Some(Message::Assistant { tool_calls, .. }) if tool_calls.is_empty())
        {
            let joined = format!("{previous} {content}");
            let again = self.classifier.rank(&joined).await.map_err(llm_err)?;
            if let Some(best) = self.confident(&again) {
                chosen = Some(best.clone());
                text = joined;
            }
        }
        let Some(best) = chosen else {
            return Ok(Route::Unknown {
                best: ranked.first().cloned(),
            });
        };
        let Some(schema) = self.schemas.get(&best.label) else {
            return Ok(Route::Chat {
                intent: best.label,
                score: best.score,
            });
        };
        let found = extract::extract(schema, &text, &context_of(messages, at));
        // A product named rather than numbered: look it up first, then call the tool
        // with the best match's id (see `complete`).
        if resolving
            && found.missing == ["product_id"]
            && let Some(search) = self.schemas.get(SEARCH_PRODUCTS)
            && let Some(query) = self
                .classifier
                .product_in(&text)
                .map(Value::from)
                .or_else(|| {
                    extract::extract(search, &text, &[])
                        .arguments
                        .remove("query")
                })
        {
            let mut arguments = Map::new();
            arguments.insert("query".into(), query);
            arguments.insert("limit".into(), Value::from(1));
            return Ok(Route::Resolve {
                tool: best.label,
                arguments,
                score: best.score,
            });
        }
        Ok(if found.missing.is_empty() {
            Route::Call {
                tool: best.label,
                arguments: found.arguments,
                score: best.score,
            }
        } else {
            Route::Ask {
                tool: best.label,
                missing: found.missing,
                score: best.score,
            }
        })
    }

    /// Each missing parameter as its schema describes it (first sentence), else its name.
    fn describe_missing(&self, tool: &str, missing: &[String]) -> Vec<String> {
        let schema = self.schemas.get(tool);
        missing
            .iter()
            .map(|m| {
                schema
                    .and_then(|s| s["properties"][m]["description"].as_str())
                    .and_then(|d| d.split(". ").next())
                    .map(|d| {
                        let d = d.trim_end_matches('.');
                        let mut chars = d.chars();
                        chars.next().map_or_else(String::new, |c| {
                            c.to_lowercase().collect::<String>() + chars.as_str()
                        })
                    })
                    .unwrap_or_else(|| m.replace('_', " "))
            })
            .collect()
    }

    fn render(&self, vars: minijinja::Value) -> Result<String, LlmError> {
        self.prompts.router_answer(vars).map_err(llm_err)
    }

    /// The answer to a tool's result.
    fn answer_result(&self, messages: &[Message]) -> Result<String, LlmError> {
        let Some(Message::Tool {
            tool_call_id,
            content,
        }) = messages.last()
        else {
            return self.render(context! { kind => "unknown", store_name => &self.store_name });
        };
        let tool = messages
            .iter()
            .rev()
            .find_map(|m| match m {
                Message::Assistant { tool_calls, .. } => tool_calls
                    .iter()
                    .find(|c| &c.id == tool_call_id)
                    .map(|c| c.name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let result: Value =
            serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.clone()));
        let kind = if result.get("error").is_some() && result.get("message").is_some() {
            "error"
        } else {
            "result"
        };
        let rendered = self.render(context! {
            kind, tool => &tool, result => minijinja::Value::from(minijinja::value::Serde(&result)),
            store_name => &self.store_name,
        });
        // A reply never fails on a result: a template that cannot show it (an overriding
        // template, a shape it did not foresee) gives way to the result itself.
        Ok(rendered.unwrap_or_else(|e| {
            tracing::warn!(tool, error = %e, "router template failed; answering with the plain result");
            plain_result(&result)
        }))
    }
}

impl RouterModel {
    /// The reply for a route already computed.
    pub fn reply(&self, route: Route, sink: Option<TextSink<'_>>) -> Result<ModelReply, LlmError> {
        let text = match route {
            Route::Call {
                tool, arguments, ..
            } => return Ok(call_reply(ROUTED_CALL_PREFIX, tool, arguments)),
            Route::Resolve { arguments, .. } => {
                return Ok(call_reply(
                    RESOLVE_PREFIX,
                    SEARCH_PRODUCTS.into(),
                    arguments,
                ));
            }
            Route::Ask { tool, missing, .. } => self.render(context! {
                kind => "ask", missing => self.describe_missing(&tool, &missing), tool,
                store_name => &self.store_name,
            })?,
            Route::Chat { intent, .. } => {
                self.render(context! { kind => intent, store_name => &self.store_name })?
            }
            Route::Unknown { .. } => {
                self.render(context! { kind => "unknown", store_name => &self.store_name })?
            }
        };
        Ok(text_reply(text, sink))
    }

    /// The answer to the tool result that ends `messages`.
    pub fn reply_to_result(
        &self,
        messages: &[Message],
        sink: Option<TextSink<'_>>,
    ) -> Result<ModelReply, LlmError> {
        Ok(text_reply(self.answer_result(messages)?, sink))
    }
}

/// A result as text when no template shows it: strings as they are, the rest as JSON.
fn plain_result(result: &Value) -> String {
    match result {
        Value::String(s) => s.clone(),
        other => format!(
            "Done. Result:\n{}",
            serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string())
        ),
    }
}

/// Ids of the calls the router makes start with this, so a result can be told apart.
pub const ROUTED_CALL_PREFIX: &str = "route_";
/// Ids of the product lookups the router makes to resolve a name to an id.
const RESOLVE_PREFIX: &str = "route_resolve_";
/// The tool that resolves product names.
const SEARCH_PRODUCTS: &str = "search_products";

/// A reply that calls `tool`, with an id starting with `prefix`.
fn call_reply(prefix: &str, tool: String, arguments: Map<String, Value>) -> ModelReply {
    ModelReply {
        content: None,
        tool_calls: vec![ToolCallRequest {
            id: format!("{prefix}{}", uuid::Uuid::now_v7().simple()),
            name: tool,
            arguments: Value::Object(arguments).to_string(),
        }],
        usage: Default::default(),
    }
}

fn text_reply(text: String, sink: Option<TextSink<'_>>) -> ModelReply {
    if let Some(sink) = sink {
        sink(&text);
    }
    ModelReply {
        content: Some(text),
        tool_calls: Vec::new(),
        usage: Default::default(),
    }
}

#[async_trait::async_trait]
impl ChatModel for RouterModel {
    fn describe(&self) -> String {
        "offline router (no language model)".into()
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        sink: Option<TextSink<'_>>,
    ) -> Result<ModelReply, LlmError> {
        match request.messages.last() {
            // A lookup the router made to resolve a product name: route the request again.
            Some(Message::Tool { tool_call_id, .. })
                if !tool_call_id.starts_with(RESOLVE_PREFIX) =>
            {
                self.reply_to_result(request.messages, sink)
            }
            _ => {
                let route = self.route(request.messages).await?;
                self.reply(route, sink)
            }
        }
    }
}

/// The router answers what it is confident about; the language model everything else.
pub struct RouterFirst {
    router: RouterModel,
    llm: Arc<dyn ChatModel>,
}

impl RouterFirst {
    /// `router` in front of `llm`.
    pub fn new(router: RouterModel, llm: Arc<dyn ChatModel>) -> Self {
        Self { router, llm }
    }
}

#[async_trait::async_trait]
impl ChatModel for RouterFirst {
    fn describe(&self) -> String {
        format!("{} (offline router first)", self.llm.describe())
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        sink: Option<TextSink<'_>>,
    ) -> Result<ModelReply, LlmError> {
        match request.messages.last() {
            Some(Message::Tool { tool_call_id, .. })
                if tool_call_id.starts_with(ROUTED_CALL_PREFIX) =>
            {
                self.router.complete(request, sink).await
            }
            Some(Message::User { .. }) => match self.router.route(request.messages).await? {
                route @ (Route::Call { .. } | Route::Chat { .. } | Route::Resolve { .. }) => {
                    self.router.reply(route, sink)
                }
                _ => self.llm.complete(request, sink).await,
            },
            _ => self.llm.complete(request, sink).await,
        }
    }
}
