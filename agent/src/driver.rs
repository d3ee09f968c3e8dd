//! The driver: does the I/O a run asks for (model calls, tool calls, checkpoints)
//! and feeds the outcomes back, until the run is done or waits for a human.

use crate::approvals::{ApprovalError, Approvals};
use crate::llm::{ChatModel, ChatRequest, ToolSpec};
use crate::message::{Message, ToolCallRequest, Usage};
use crate::run::{RecordError, Run, RunStatus, Step, error_content};
use futures::StreamExt;
use serde_json::{Value, json};
use shopkeeper_memory::crash;
use shopkeeper_memory::{Alongside, AppDb, ConversationInfo, DbError, StoredRun};
use shopkeeper_tools::result_content;
use shopkeeper_tools::{Caller, Effect, Registry, Role};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The agent loop's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgentSettings {
    /// Model calls allowed per run.
    pub max_turns: u32,
    /// How long one tool call may take.
    pub tool_timeout: Duration,
    /// Read tools of one turn run at most this many at a time.
    pub tool_concurrency: usize,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            max_turns: 12,
            tool_timeout: Duration::from_secs(30),
            tool_concurrency: 4,
        }
    }
}

/// Hears what a run does as it happens (for chat fronts); every method defaults to nothing.
pub trait Observer: Send + Sync {
    /// Model text as it streams.
    fn text(&self, _delta: &str) {}
    /// A model call finished (text that streamed belongs to it).
    fn model_done(&self) {}
    /// A tool call starts.
    fn tool_started(&self, _call: &ToolCallRequest) {}
    /// A tool call finished.
    fn tool_finished(&self, _call: &ToolCallRequest, _ok: bool) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// A call waiting for a human decision.
#[derive(Debug, Clone, PartialEq)]
pub struct AwaitingCall {
    /// The approval deciding it.
    pub approval_id: String,
    /// The least role that may decide.
    pub required_role: String,
    /// The model's call id.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// Its effect.
    pub effect: Effect,
    /// The validated arguments.
    pub arguments: Value,
    /// What it will do, rendered by the tool.
    pub summary: String,
}

/// How a run ended (for now).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The run.
    pub run_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Where it stands.
    pub status: RunStatus,
    /// The model's answer, when done.
    pub answer: Option<String>,
    /// Calls waiting for approval.
    pub awaiting: Vec<AwaitingCall>,
    /// Tokens used by the run.
    pub usage: Usage,
    /// Model calls made.
    pub turns: u32,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Why the agent could not carry on.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The application database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A stored run cannot be resumed.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A stored message cannot be read.
    #[error("stored conversation is corrupt: {0}")]
    Corrupt(String),
    /// No such run.
    #[error("no run {0}")]
    NoSuchRun(String),
    /// Approvals could not be prepared.
    #[error(transparent)]
    Approvals(#[from] ApprovalError),
}

/// The agent: a model, the tools, and the conversation store.
pub struct Agent {
    model: Arc<dyn ChatModel>,
    registry: Arc<Registry>,
    db: AppDb,
    system: String,
    customer_system: Option<String>,
    tools: Vec<ToolSpec>,
    settings: AgentSettings,
    approvals: Approvals,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model.describe())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// An agent over every tool of `registry`.
    pub fn new(
        model: Arc<dyn ChatModel>,
        registry: Arc<Registry>,
        db: AppDb,
        system: String,
        settings: AgentSettings,
    ) -> Self {
        let tools = registry
            .list()
            .map(|t| ToolSpec {
                name: t.name.into(),
                description: t.description.into(),
                parameters: t.parameters.clone(),
            })
            .collect();
        let approvals = Approvals::new(db.clone(), registry.clone());
        Self {
            model,
            registry,
            db,
            system,
            customer_system: None,
            tools,
            settings,
            approvals,
        }
    }

    /// The system prompt for conversations with customers (by default the staff one).
    pub fn with_customer_prompt(mut self, system: String) -> Self {
        self.customer_system = Some(system);
        self
    }

    /// The approvals service over the same database and tools.
    pub fn approvals(&self) -> &Approvals {
        &self.approvals
    }

    /// What the model is, e.g. `gpt-4o-mini at https://api.openai.com/v1`.
    pub fn model(&self) -> String {
        self.model.describe()
    }

    /// The conversation store.
    pub fn db(&self) -> &AppDb {
        &self.db
    }

    /// The conversation's messages so far.
    pub async fn history(&self, conversation_id: &str) -> Result<Vec<Message>, AgentError> {
        self.db
            .messages(conversation_id)
            .await?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| AgentError::Corrupt(e.to_string())))
            .collect()
    }

    /// Handles a person's message: runs the model and tools until an answer, an
    /// approval wait, the turn budget, or a model failure.
    pub async fn send(
        &self,
        conversation: &ConversationInfo,
        text: &str,
        observer: &dyn Observer,
    ) -> Result<Outcome, AgentError> {
        self.db.ensure_conversation(conversation).await?;
        let mut history = self.history(&conversation.id).await?;
        let mut persisted = history.len();
        if let Some(previous) = self.db.latest_run(&conversation.id).await? {
            let mut run = Run::from_record(previous.record, history)?;
            if !run.status.is_final() {
                // The person moved on: pending approvals are withdrawn (or, if decided in the
                // meantime, their outcome is used), and interrupted calls get a result, so the
                // conversation stays well-formed.
                let mut decided = Vec::new();
                for (i, p) in run.pending.iter().enumerate() {
                    if let (None, Some(id)) = (&p.result, &p.approval_id) {
                        decided.push((i, self.approvals.withdraw(id).await?));
                    }
                }
                if !decided.is_empty() {
                    run.on_tool_results(decided);
                }
                run.supersede();
                self.checkpoint(&run, &mut persisted).await?;
            }
            history = run.messages;
        }
        let role = Role::parse(&conversation.role).unwrap_or(Role::Customer);
        let run = Run::start(
            uuid::Uuid::now_v7().to_string(),
            conversation.id.clone(),
            &Caller::new(&conversation.channel, role),
            history,
            text,
            self.settings.max_turns,
        );
        self.drive(run, persisted, observer).await
    }

    /// A stored run with the conversation's messages, and how many of them are stored.
    async fn load_run(&self, run_id: &str) -> Result<(Run, usize), AgentError> {
        let stored = self
            .db
            .run(run_id)
            .await?
            .ok_or_else(|| AgentError::NoSuchRun(run_id.into()))?;
        let history = self.history(&stored.conversation_id).await?;
        let persisted = history.len();
        Ok((Run::from_record(stored.record, history)?, persisted))
    }

    /// Continues a stored run from where it stopped.
    pub async fn resume(
        &self,
        run_id: &str,
        observer: &dyn Observer,
    ) -> Result<Outcome, AgentError> {
        let (run, persisted) = self.load_run(run_id).await?;
        self.drive(run, persisted, observer).await
    }

    /// Resumes a run whose approvals are all decided (and their calls run). Exactly one
    /// caller wins the resumption; the others get `None`.
    pub async fn resume_decided(
        &self,
        run_id: &str,
        observer: &dyn Observer,
    ) -> Result<Option<Outcome>, AgentError> {
        if !self
            .db
            .claim_run(run_id, RunStatus::AwaitingApproval.as_str(), "resuming")
            .await?
        {
            return Ok(None);
        }
        crash::point("after_run_resumed");
        let (mut run, persisted) = self.load_run(run_id).await?;
        let approvals = self.db.approvals_of_run(run_id).await?;
        let results: Vec<(usize, String)> = run
            .pending
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let id = p.approval_id.as_ref()?;
                let result = approvals.iter().find(|a| &a.id == id)?.result.clone()?;
                Some((i, result))
            })
            .collect();
        run.on_tool_results(results);
        Ok(Some(self.drive(run, persisted, observer).await?))
    }

    async fn drive(
        &self,
        mut run: Run,
        mut persisted: usize,
        observer: &dyn Observer,
    ) -> Result<Outcome, AgentError> {
        let span =
            tracing::info_span!("run", run_id = %run.id, conversation_id = %run.conversation_id);
        async {
            loop {
                match run.next_step() {
                    Step::CallModel => self.call_model(&mut run, observer).await,
                    Step::CallTools(indices) => {
                        let results = self.call_tools(&run, &indices, observer).await;
                        run.on_tool_results(results);
                    }
                    Step::AwaitApproval(indices)
                        if indices
                            .iter()
                            .any(|&i| run.pending[i].approval_id.is_none()) =>
                    {
                        let fresh: Vec<usize> = indices
                            .into_iter()
                            .filter(|&i| run.pending[i].approval_id.is_none())
                            .collect();
                        let prepared = self.approvals.prepare(&run, &fresh, &run.caller()).await?;
                        for (i, id) in prepared.assigned {
                            run.pending[i].approval_id = Some(id);
                        }
                        if !prepared.immediate.is_empty() {
                            run.on_tool_results(prepared.immediate);
                        }
                        // The approvals, their notifications and the paused run: one transaction.
                        self.checkpoint_with(&run, &mut persisted, &prepared.alongside)
                            .await?;
                        crash::point("after_approval_stored");
                        continue;
                    }
                    Step::AwaitApproval(_) | Step::Done => {
                        self.checkpoint(&run, &mut persisted).await?;
                        tracing::info!(
                            status = run.status.as_str(),
                            turns = run.turns,
                            prompt_tokens = run.usage.prompt_tokens,
                            completion_tokens = run.usage.completion_tokens,
                            "run stopped"
                        );
                        return Ok(self.outcome(&run).await);
                    }
                }
                // Reads and drafts are safe to redo, so a reply that only asks for them is
                // saved together with their results: one durable write per turn, not two.
                if !matches!(run.next_step(), Step::CallTools(_)) {
                    self.checkpoint(&run, &mut persisted).await?;
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn call_model(&self, run: &mut Run, observer: &dyn Observer) {
        let system = match (&self.customer_system, run.role) {
            (Some(customer), Role::Customer) => customer,
            _ => &self.system,
        };
        let request = ChatRequest {
            system,
            messages: &run.messages,
            tools: &self.tools,
        };
        let sink = |delta: &str| observer.text(delta);
        let started = std::time::Instant::now();
        let reply = self
            .model
            .complete(request, Some(&sink))
            .instrument(tracing::info_span!("model_call", turn = run.turns + 1))
            .await;
        observer.model_done();
        match reply {
            Ok(reply) => {
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    tool_calls = reply.tool_calls.len(),
                    prompt_tokens = reply.usage.prompt_tokens,
                    "model answered"
                );
                run.on_model_reply(reply, &self.registry);
            }
            Err(e) => {
                tracing::warn!(error = %e, "model call failed");
                run.on_model_error(e.to_string());
            }
        }
    }

    /// Runs read and draft calls, at most `tool_concurrency` at once; results keep call order.
    async fn call_tools(
        &self,
        run: &Run,
        indices: &[usize],
        observer: &dyn Observer,
    ) -> Vec<(usize, String)> {
        let caller = run.caller();
        let caller = &caller;
        let calls: Vec<(usize, ToolCallRequest, Value)> = indices
            .iter()
            .filter_map(|&i| {
                run.pending
                    .get(i)
                    .map(|p| (i, p.call.clone(), p.arguments.clone()))
            })
            .collect();
        futures::stream::iter(calls)
            .map(|(index, call, arguments)| async move {
                observer.tool_started(&call);
                let (ok, content) = self.call_one(caller, &call.name, arguments).await;
                observer.tool_finished(&call, ok);
                (index, content)
            })
            .buffered(self.settings.tool_concurrency.max(1))
            .collect()
            .await
    }

    async fn call_one(&self, caller: &Caller, name: &str, arguments: Value) -> (bool, String) {
        // The run only plans reads and drafts for execution; check again at the door.
        match self.registry.info(name).map(|i| i.effect) {
            Ok(Effect::Read | Effect::Draft) => {}
            Ok(effect) => {
                return (false, json!({"error": "not_allowed", "message": format!("{name} ({effect}) needs a human's approval")}).to_string());
            }
            Err(e) => return (false, error_content(&e)),
        }
        match tokio::time::timeout(self.settings.tool_timeout, self.registry.call(caller, name, arguments)).await {
            Ok(Ok(value)) => (true, result_content(&value)),
            Ok(Err(e)) => (false, error_content(&e)),
            Err(_) => (
                false,
                json!({"error": "timeout", "message": format!("{name} did not finish within {:?}", self.settings.tool_timeout), "hint": "try again later"}).to_string(),
            ),
        }
    }

    async fn checkpoint(&self, run: &Run, persisted: &mut usize) -> Result<(), AgentError> {
        self.checkpoint_with(run, persisted, &Alongside::default())
            .await
    }

    async fn checkpoint_with(
        &self,
        run: &Run,
        persisted: &mut usize,
        extra: &Alongside,
    ) -> Result<(), AgentError> {
        let stored = StoredRun {
            id: run.id.clone(),
            conversation_id: run.conversation_id.clone(),
            status: run.status.as_str().into(),
            record: run.to_record(),
        };
        let new: Vec<Value> = run.messages[(*persisted).min(run.messages.len())..]
            .iter()
            .map(|m| serde_json::to_value(m).map_err(|e| AgentError::Corrupt(e.to_string())))
            .collect::<Result<_, _>>()?;
        self.db
            .checkpoint_with(&stored, *persisted, &new, extra)
            .await?;
        *persisted = run.messages.len();
        Ok(())
    }

    async fn outcome(&self, run: &Run) -> Outcome {
        let mut awaiting = Vec::new();
        if let Step::AwaitApproval(indices) = run.next_step() {
            let rows = self.db.approvals_of_run(&run.id).await.unwrap_or_default();
            for i in indices {
                let p = &run.pending[i];
                let Some(row) = p
                    .approval_id
                    .as_ref()
                    .and_then(|id| rows.iter().find(|r| &r.id == id))
                else {
                    continue;
                };
                let effect = match p.disposition {
                    crate::run::Disposition::Gated { effect } => effect,
                    _ => Effect::Write,
                };
                awaiting.push(AwaitingCall {
                    approval_id: row.id.clone(),
                    required_role: row.required_role.clone(),
                    call_id: p.call.id.clone(),
                    tool: p.call.name.clone(),
                    effect,
                    arguments: p.arguments.clone(),
                    summary: row.summary.clone(),
                });
            }
        }
        Outcome {
            run_id: run.id.clone(),
            conversation_id: run.conversation_id.clone(),
            status: run.status,
            answer: run.answer.clone(),
            awaiting,
            usage: run.usage,
            turns: run.turns,
            error: run.error.clone(),
        }
    }
}
