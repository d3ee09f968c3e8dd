//! The agent run as a sans-IO state machine: `next_step` says what must happen
//! next, the driver does it and feeds the outcome back. Everything that decides
//! is here and testable without a network; the run serialises to a versioned
//! record so it can stop between any two steps and resume in another process.

use crate::llm::ModelReply;
use crate::message::{Message, ToolCallRequest, Usage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shopkeeper_tools::{Caller, Effect, Registry, Role, ToolError};

fn default_role() -> Role {
    Role::Staff
}

/// The version of the run record written by this build.
pub const RUN_RECORD_VERSION: u32 = 1;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The model must be called.
    CallingModel,
    /// Read and draft tools of the current turn must run.
    CallingTools,
    /// Calls that change the world wait for a human decision.
    AwaitingApproval,
    /// The model answered without calling tools.
    Done,
    /// The turn budget ran out before the model answered.
    MaxTurns,
    /// The model could not be reached; the run cannot go on.
    Failed,
    /// The person moved on before the pending calls were decided.
    Superseded,
}

impl RunStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallingModel => "calling_model",
            Self::CallingTools => "calling_tools",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Done => "done",
            Self::MaxTurns => "max_turns",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }

    /// Whether nothing more will happen in this run.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Done | Self::MaxTurns | Self::Failed | Self::Superseded
        )
    }
}

/// What the run will do with one tool call of the current turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disposition {
    /// A read or draft: run it now.
    Execute,
    /// It changes the world: a human must approve it first.
    Gated {
        /// The tool's effect.
        effect: Effect,
    },
    /// Refused before running (unknown tool, bad arguments); the error is the result.
    Refused,
}

/// One tool call of the current turn and, once known, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCall {
    /// The model's request.
    pub call: ToolCallRequest,
    /// The parsed arguments (null when they did not parse).
    pub arguments: Value,
    /// What happens to it.
    pub disposition: Disposition,
    /// The tool message content, once there is one.
    pub result: Option<String>,
    /// The approval that decides a gated call, once requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send the conversation to the model.
    CallModel,
    /// Run these calls (indices into `Run::pending`), results in the same order.
    CallTools(Vec<usize>),
    /// These calls (indices into `Run::pending`) wait for approval; stop here.
    AwaitApproval(Vec<usize>),
    /// The run is over.
    Done,
}

/// One agent run: from a person's message to the model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Record format version.
    pub version: u32,
    /// The run's id.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Where it stands.
    pub status: RunStatus,
    /// Model calls made so far.
    pub turns: u32,
    /// Model calls allowed.
    pub max_turns: u32,
    /// Tokens used so far.
    pub usage: Usage,
    /// The current turn's tool calls.
    pub pending: Vec<PlannedCall>,
    /// The model's final answer, once done.
    pub answer: Option<String>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
    /// The channel the run's conversation happens on (for policy).
    #[serde(default)]
    pub channel: String,
    /// The role of the person the run acts for (for policy).
    #[serde(default = "default_role")]
    pub role: Role,
    /// The conversation's messages (stored in the message log, not in the record).
    #[serde(skip)]
    pub messages: Vec<Message>,
}

/// Why a run record cannot be resumed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Written by a newer build.
    #[error("run record version {0} is newer than this build understands ({RUN_RECORD_VERSION})")]
    TooNew(u32),
    /// Not a run record.
    #[error("invalid run record: {0}")]
    Invalid(#[from] serde_json::Error),
}

impl Run {
    /// Starts a run for `text`, after the conversation's earlier `history`.
    pub fn start(
        id: String,
        conversation_id: String,
        caller: &Caller,
        history: Vec<Message>,
        text: &str,
        max_turns: u32,
    ) -> Self {
        let mut messages = history;
        messages.push(Message::User {
            content: text.to_string(),
        });
        Self {
            version: RUN_RECORD_VERSION,
            id,
            conversation_id,
            status: RunStatus::CallingModel,
            turns: 0,
            max_turns: max_turns.max(1),
            usage: Usage::default(),
            pending: Vec::new(),
            answer: None,
            error: None,
            channel: caller.channel.clone(),
            role: caller.role,
            messages,
        }
    }

    /// Who the run acts for, as the policy sees it.
    pub fn caller(&self) -> Caller {
        Caller::new(&self.channel, self.role)
    }

    /// The record to store (everything but the messages).
    pub fn to_record(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Rebuilds a run from its record and the conversation's messages.
    pub fn from_record(record: Value, messages: Vec<Message>) -> Result<Self, RecordError> {
        let version = record.get("version").and_then(Value::as_u64).unwrap_or(0) as u32;
        if version > RUN_RECORD_VERSION {
            return Err(RecordError::TooNew(version));
        }
        let mut run: Run = serde_json::from_value(record)?;
        run.messages = messages;
        Ok(run)
    }

    /// What must happen next.
    pub fn next_step(&self) -> Step {
        let waiting = |want: fn(&Disposition) -> bool| -> Vec<usize> {
            self.pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.result.is_none() && want(&p.disposition))
                .map(|(i, _)| i)
                .collect()
        };
        match self.status {
            RunStatus::CallingModel => Step::CallModel,
            RunStatus::CallingTools => Step::CallTools(waiting(|d| *d == Disposition::Execute)),
            RunStatus::AwaitingApproval => {
                Step::AwaitApproval(waiting(|d| matches!(d, Disposition::Gated { .. })))
            }
            _ => Step::Done,
        }
    }

    /// Takes the model's reply: an answer ends the run; tool calls are planned.
    pub fn on_model_reply(&mut self, reply: ModelReply, registry: &Registry) {
        self.turns += 1;
        self.usage.add(reply.usage);
        self.messages.push(Message::Assistant {
            content: reply.content.clone(),
            tool_calls: reply.tool_calls.clone(),
        });
        if reply.tool_calls.is_empty() {
            self.answer = Some(reply.content.unwrap_or_default());
            self.status = RunStatus::Done;
            return;
        }
        self.pending = reply
            .tool_calls
            .into_iter()
            .map(|call| plan(call, registry))
            .collect();
        self.advance();
    }

    /// Takes the results of executed calls, by index into `pending`.
    pub fn on_tool_results(&mut self, results: Vec<(usize, String)>) {
        for (index, content) in results {
            if let Some(p) = self.pending.get_mut(index) {
                p.result = Some(content);
            }
        }
        self.advance();
    }

    /// Records that the model could not be reached.
    pub fn on_model_error(&mut self, error: String) {
        self.error = Some(error);
        self.status = RunStatus::Failed;
    }

    /// Ends a run whose gated calls the person left undecided by moving on: each gets a
    /// result saying it was not run, so the conversation stays well-formed.
    pub fn supersede(&mut self) {
        for p in &mut self.pending {
            if p.result.is_none() {
                p.result = Some(
                    json!({"error": "not_run", "message": "not run: the user sent a new message before this call was approved"})
                        .to_string(),
                );
            }
        }
        self.flush_results();
        self.status = RunStatus::Superseded;
    }

    /// Moves on once the turn's calls are resolved as far as they can be now.
    fn advance(&mut self) {
        let open = |d: fn(&Disposition) -> bool| {
            self.pending
                .iter()
                .any(|p| p.result.is_none() && d(&p.disposition))
        };
        if open(|d| *d == Disposition::Execute) {
            self.status = RunStatus::CallingTools;
        } else if open(|d| matches!(d, Disposition::Gated { .. })) {
            self.status = RunStatus::AwaitingApproval;
        } else {
            self.flush_results();
            self.status = if self.turns >= self.max_turns {
                RunStatus::MaxTurns
            } else {
                RunStatus::CallingModel
            };
        }
    }

    /// Appends the turn's results as tool messages, in call order.
    fn flush_results(&mut self) {
        for p in self.pending.drain(..) {
            self.messages.push(Message::Tool {
                tool_call_id: p.call.id,
                content: p.result.unwrap_or_default(),
            });
        }
    }
}

/// Decides what happens to one call: refused with an error the model can fix, run now, or gated.
fn plan(call: ToolCallRequest, registry: &Registry) -> PlannedCall {
    let checked = Registry::parse_arguments(&call.name, &call.arguments).and_then(|args| {
        registry
            .validate(&call.name, &args)
            .map(|info| (args, info.effect))
    });
    match checked {
        Ok((arguments, effect)) => PlannedCall {
            call,
            arguments,
            disposition: match effect {
                Effect::Read | Effect::Draft => Disposition::Execute,
                effect => Disposition::Gated { effect },
            },
            result: None,
            approval_id: None,
        },
        Err(e) => PlannedCall {
            call,
            arguments: Value::Null,
            disposition: Disposition::Refused,
            result: Some(error_content(&e)),
            approval_id: None,
        },
    }
}

/// A tool error as the content of a tool message.
pub fn error_content(e: &ToolError) -> String {
    e.to_json().to_string()
}
