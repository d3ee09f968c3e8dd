//! Human approval steps: turning a run's gated calls into durable approvals,
//! deciding them (approve, reject, edit; one winner), expiring them, and
//! recovering after a crash. Nothing here waits in memory for a person.

use crate::run::Run;
use serde_json::{Value, json};
use shopkeeper_memory::crash;
use shopkeeper_memory::db::now_millis;
use shopkeeper_memory::{Alongside, AppDb, ApprovalRow, AuditRow, DbError, Decision, OutboxRow};
use shopkeeper_tools::ledger::{DEFAULT_LEASE_MS, canonical_arguments};
use shopkeeper_tools::{Caller, Executed, Registry, Requirement, Role, ToolError};
use std::sync::Arc;

/// Who decides an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider {
    /// Their name, as recorded in the audit log.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Whether they decide from a customer-facing conversation (which can never approve).
    pub customer_facing: bool,
}

impl Decider {
    /// The person at the shop's own terminal: the owner.
    pub fn terminal(name: Option<&str>, role: Role) -> Self {
        Self {
            name: name.unwrap_or("cli").into(),
            role,
            customer_facing: false,
        }
    }
}

/// Why a decision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    /// No approval has this id.
    #[error("no approval {0}")]
    NotFound(String),
    /// The application database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The tool layer refused (validation, policy) or failed.
    #[error(transparent)]
    Tool(#[from] ToolError),
}

/// The outcome of a decision attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// This decision won; for approvals and edits, the call ran (once).
    Applied {
        /// The approval as it now stands.
        approval: ApprovalRow,
        /// What the call produced, for approvals and edits.
        executed: Option<Executed>,
    },
    /// Someone decided first (or it expired); nothing changed.
    AlreadyDecided(ApprovalRow),
    /// The decider may not decide this one; nothing changed.
    NotAuthorised(String),
}

/// What `prepare` made of a run's gated calls.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Approval ids given to calls, by index into the run's pending calls.
    pub assigned: Vec<(usize, String)>,
    /// Results of calls the policy decided at once (allowed and run, or denied).
    pub immediate: Vec<(usize, String)>,
    /// Rows to store with the run's checkpoint, in the same transaction.
    pub alongside: Alongside,
}

/// The approvals service over the application database and the tool registry.
#[derive(Debug, Clone)]
pub struct Approvals {
    db: AppDb,
    registry: Arc<Registry>,
    lease_ms: i64,
}

/// Where an approval request comes from, when a run asked.
#[derive(Debug, Clone, Copy)]
struct Origin<'a> {
    run_id: &'a str,
    conversation_id: &'a str,
    call_id: &'a str,
}

/// `staff@cli`: the requester's role and channel, as stored on the approval.
fn requester(caller: &Caller) -> String {
    format!("{}@{}", caller.role.as_str(), caller.channel)
}

fn caller_of(approval: &ApprovalRow) -> Caller {
    let role = approval
        .requested_by
        .split('@')
        .next()
        .and_then(Role::parse)
        .unwrap_or(Role::Customer);
    Caller::new(&approval.channel, role)
}

impl Approvals {
    /// The service. Recovery takes over executions left `started` for longer than the
    /// lease (`SHOPKEEPER_RECOVERY_LEASE_MS`, default two minutes).
    pub fn new(db: AppDb, registry: Arc<Registry>) -> Self {
        let lease_ms = std::env::var("SHOPKEEPER_RECOVERY_LEASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_LEASE_MS);
        Self {
            db,
            registry,
            lease_ms,
        }
    }

    /// The application database.
    pub fn db(&self) -> &AppDb {
        &self.db
    }

    /// Turns a run's gated calls into approvals (or, where the policy says so, runs or
    /// refuses them at once). Nothing is stored here: the rows go into the run's checkpoint.
    pub async fn prepare(
        &self,
        run: &Run,
        indices: &[usize],
        caller: &Caller,
    ) -> Result<Prepared, ApprovalError> {
        let mut prepared = Prepared::default();
        for &index in indices {
            let Some(p) = run.pending.get(index) else {
                continue;
            };
            let (tool, args) = (&p.call.name, &p.arguments);
            match self.registry.requirement(caller, tool, args).await {
                Ok(Requirement::Allow) => {
                    let content = match self.registry.call(caller, tool, args.clone()).await {
                        Ok(v) => shopkeeper_tools::result_content(&v),
                        Err(e) => e.to_json().to_string(),
                    };
                    prepared.alongside.audit.push(AuditRow::new(
                        "policy",
                        "executed_without_approval",
                        tool,
                        json!({"run_id": run.id, "arguments": args, "result": content}),
                    ));
                    prepared.immediate.push((index, content));
                }
                Ok(Requirement::Deny) => {
                    let e =
                        ToolError::NotAllowed(format!("the shop's policy does not allow `{tool}`"));
                    prepared.alongside.audit.push(AuditRow::new(
                        "policy",
                        "denied",
                        tool,
                        json!({"run_id": run.id, "arguments": args}),
                    ));
                    prepared.immediate.push((index, e.to_json().to_string()));
                }
                Ok(Requirement::Approve(required_role)) => {
                    let origin = Origin {
                        run_id: &run.id,
                        conversation_id: &run.conversation_id,
                        call_id: &p.call.id,
                    };
                    let (row, outbox, audit) = self
                        .new_request(caller, tool, args, required_role, Some(origin))
                        .await?;
                    prepared.assigned.push((index, row.id.clone()));
                    prepared.alongside.outbox.push(outbox);
                    prepared.alongside.audit.push(audit);
                    prepared.alongside.approvals.push(row);
                }
                Err(e) => prepared.immediate.push((index, e.to_json().to_string())),
            }
        }
        Ok(prepared)
    }

    /// Asks for approval of a call made outside any run (e.g. `shopkeeper tool call`).
    pub async fn request(
        &self,
        caller: &Caller,
        tool: &str,
        args: &Value,
    ) -> Result<Result<ApprovalRow, Requirement>, ApprovalError> {
        let requirement = self.registry.requirement(caller, tool, args).await?;
        let Requirement::Approve(required_role) = requirement else {
            return Ok(Err(requirement));
        };
        let (row, outbox, audit) = self
            .new_request(caller, tool, args, required_role, None)
            .await?;
        self.db
            .record(&Alongside {
                approvals: vec![row.clone()],
                outbox: vec![outbox],
                audit: vec![audit],
            })
            .await?;
        Ok(Ok(row))
    }

    /// A pending approval for `tool(args)`, with the notification and audit entry announcing it.
    async fn new_request(
        &self,
        caller: &Caller,
        tool: &str,
        args: &Value,
        required_role: Role,
        origin: Option<Origin<'_>>,
    ) -> Result<(ApprovalRow, OutboxRow, AuditRow), ApprovalError> {
        let now = now_millis();
        let summary = self.registry.render(tool, args).await?;
        let (arguments, arguments_hash) = canonical_arguments(args);
        let effect = self.registry.info(tool)?.effect;
        let expiry_ms = (self.registry.policy().expiry_minutes as i64).saturating_mul(60_000);
        let row = ApprovalRow {
            id: uuid::Uuid::now_v7().to_string(),
            run_id: origin.map(|o| o.run_id.to_string()),
            conversation_id: origin.map(|o| o.conversation_id.to_string()),
            call_id: origin.map(|o| o.call_id.to_string()),
            tool: tool.into(),
            arguments,
            arguments_hash,
            summary,
            effect: effect.as_str().into(),
            required_role: required_role.as_str().into(),
            status: "pending".into(),
            requested_by: requester(caller),
            channel: caller.channel.clone(),
            requested_at: now,
            expires_at: now.saturating_add(expiry_ms),
            decided_by: None,
            decided_at: None,
            reason: None,
            original_arguments: None,
            result: None,
            cards: "[]".into(),
        };
        let announced = json!({"approval_id": row.id, "tool": tool, "summary": row.summary, "required_role": required_role, "conversation_id": row.conversation_id});
        let outbox = OutboxRow::new("approval_requested", announced);
        let audit = AuditRow::new(
            &row.requested_by,
            "approval_requested",
            &row.id,
            json!({"tool": tool, "arguments": args, "summary": row.summary, "required_role": required_role, "run_id": row.run_id}),
        );
        Ok((row, outbox, audit))
    }

    /// Sweeps expiries, then loads the approval if it is still pending and `decider` may decide it.
    async fn open_decision(
        &self,
        id: &str,
        decider: &Decider,
    ) -> Result<Result<ApprovalRow, Decided>, ApprovalError> {
        self.sweep().await?;
        let approval = self.load(id).await?;
        if approval.status != "pending" {
            return Ok(Err(Decided::AlreadyDecided(approval)));
        }
        if let Err(why) = Self::authorise(decider, &approval) {
            self.db
                .audit(AuditRow::new(
                    &decider.name,
                    "decision_refused",
                    id,
                    json!({"why": why}),
                ))
                .await?;
            return Ok(Err(Decided::NotAuthorised(why)));
        }
        Ok(Ok(approval))
    }

    async fn load(&self, id: &str) -> Result<ApprovalRow, ApprovalError> {
        self.db
            .approval(id)
            .await?
            .ok_or_else(|| ApprovalError::NotFound(id.into()))
    }

    /// Whether `decider` may decide `approval`, and if not, why (the decision methods check
    /// it again; fronts use it to answer a click at once).
    pub fn authorise(decider: &Decider, approval: &ApprovalRow) -> Result<(), String> {
        let required = Role::parse(&approval.required_role).unwrap_or(Role::Owner);
        if decider.customer_facing {
            return Err("a customer-facing conversation can never decide approvals".into());
        }
        if !decider.role.may_approve(required) {
            return Err(format!(
                "{} is {} but this approval needs {} or above",
                decider.name, decider.role, required
            ));
        }
        Ok(())
    }

    /// Approves (compare-and-set; one winner) and runs the call once through the ledger.
    pub async fn approve(&self, id: &str, decider: &Decider) -> Result<Decided, ApprovalError> {
        let approval = match self.open_decision(id, decider).await? {
            Ok(approval) => approval,
            Err(decided) => return Ok(decided),
        };
        let decision = Decision {
            status: "approved",
            by: &decider.name,
            reason: None,
            edited: None,
            result: None,
        };
        let audit = AuditRow::new(
            &decider.name,
            "approved",
            id,
            json!({"role": decider.role, "tool": approval.tool}),
        );
        self.approve_and_run(id, &decision, audit).await
    }

    /// Rejects with a reason; the model hears the reason as the call's result.
    pub async fn reject(
        &self,
        id: &str,
        decider: &Decider,
        reason: &str,
    ) -> Result<Decided, ApprovalError> {
        if let Err(decided) = self.open_decision(id, decider).await? {
            return Ok(decided);
        }
        let result = json!({"error": "rejected", "message": format!("{} rejected this call: {reason}", decider.name), "hint": "tell the user; do not retry the same call"}).to_string();
        let decision = Decision {
            status: "rejected",
            by: &decider.name,
            reason: Some(reason),
            edited: None,
            result: Some(&result),
        };
        let audit = AuditRow::new(
            &decider.name,
            "rejected",
            id,
            json!({"role": decider.role, "reason": reason}),
        );
        if !self.db.decide(id, &decision, audit).await? {
            return Ok(Decided::AlreadyDecided(self.load(id).await?));
        }
        Ok(Decided::Applied {
            approval: self.load(id).await?,
            executed: None,
        })
    }

    /// Approves with new arguments, re-validated against the schema and the policy, then runs them.
    pub async fn edit(
        &self,
        id: &str,
        decider: &Decider,
        new_args: Value,
    ) -> Result<Decided, ApprovalError> {
        let approval = match self.open_decision(id, decider).await? {
            Ok(approval) => approval,
            Err(decided) => return Ok(decided),
        };
        let caller = caller_of(&approval);
        match self
            .registry
            .requirement(&caller, &approval.tool, &new_args)
            .await?
        {
            Requirement::Deny => {
                return Ok(Decided::NotAuthorised(format!(
                    "the policy does not allow {} with these arguments",
                    approval.tool
                )));
            }
            Requirement::Approve(role) if !decider.role.may_approve(role) => {
                return Ok(Decided::NotAuthorised(format!(
                    "with these arguments {} needs {role} or above; {} is {}",
                    approval.tool, decider.name, decider.role
                )));
            }
            _ => {}
        }
        let summary = self.registry.render(&approval.tool, &new_args).await?;
        let (arguments, hash) = canonical_arguments(&new_args);
        let decision = Decision {
            status: "approved",
            by: &decider.name,
            reason: None,
            edited: Some((&arguments, &hash, &summary)),
            result: None,
        };
        let audit = AuditRow::new(
            &decider.name,
            "edited_and_approved",
            id,
            json!({"role": decider.role, "from": approval.arguments, "to": new_args}),
        );
        self.approve_and_run(id, &decision, audit).await
    }

    /// Records an approving decision (compare-and-set) and, if it won, runs the call once.
    async fn approve_and_run(
        &self,
        id: &str,
        decision: &Decision<'_>,
        audit: AuditRow,
    ) -> Result<Decided, ApprovalError> {
        if !self.db.decide(id, decision, audit).await? {
            return Ok(Decided::AlreadyDecided(self.load(id).await?));
        }
        crash::point("after_decision");
        let executed = self.execute(id).await?;
        Ok(Decided::Applied {
            approval: self.load(id).await?,
            executed: Some(executed),
        })
    }

    /// Runs an approved call through the ledger and records its result on the approval.
    async fn execute(&self, id: &str) -> Result<Executed, ApprovalError> {
        let executed = self.registry.execute_approved(&self.db, id).await?;
        self.record_result(id, &executed).await?;
        Ok(executed)
    }

    async fn record_result(&self, id: &str, executed: &Executed) -> Result<(), ApprovalError> {
        let approval = self.load(id).await?;
        let content = match &approval.original_arguments {
            // The model asked for something else; say what a human changed.
            Some(_) => json!({"note": "a human edited the arguments before approving", "arguments": serde_json::from_str::<Value>(&approval.arguments).unwrap_or(Value::Null), "result": serde_json::from_str::<Value>(&executed.content).unwrap_or_else(|_| Value::String(executed.content.clone()))}).to_string(),
            None => executed.content.clone(),
        };
        self.db.set_approval_result(id, &content).await?;
        Ok(())
    }

    /// Withdraws a pending approval because its conversation moved on; returns the content
    /// the model should see for that call (the withdrawal, or the outcome if a decision won).
    pub async fn withdraw(&self, id: &str) -> Result<String, ApprovalError> {
        let result = json!({"error": "withdrawn", "message": "not run: the conversation moved on before anyone approved it", "hint": "ask again if it is still needed"}).to_string();
        let decision = Decision {
            status: "rejected",
            by: "system",
            reason: Some("withdrawn: the conversation moved on"),
            edited: None,
            result: Some(&result),
        };
        if self
            .db
            .decide(
                id,
                &decision,
                AuditRow::new("system", "withdrawn", id, json!({})),
            )
            .await?
        {
            return Ok(result);
        }
        let approval = self.load(id).await?;
        Ok(approval.result.unwrap_or_else(|| {
            json!({"status": approval.status, "message": format!("{} by {}; its outcome is not recorded yet", approval.status, approval.decided_by.unwrap_or_default())}).to_string()
        }))
    }

    /// Expires pending approvals past their time; the model hears it as the call's result.
    pub async fn sweep(&self) -> Result<Vec<ApprovalRow>, ApprovalError> {
        let mut expired = Vec::new();
        for approval in self.db.due_for_expiry().await? {
            let result = json!({"error": "expired", "message": "nobody decided this call in time; it was not run", "hint": "tell the user it was not done"}).to_string();
            let decision = Decision {
                status: "expired",
                by: "system",
                reason: None,
                edited: None,
                result: Some(&result),
            };
            if self
                .db
                .decide(
                    &approval.id,
                    &decision,
                    AuditRow::new(
                        "system",
                        "expired",
                        &approval.id,
                        json!({"tool": approval.tool}),
                    ),
                )
                .await?
            {
                expired.push(approval);
            }
        }
        Ok(expired)
    }

    /// After a crash: reconciles executions left `started`, runs approved calls that never
    /// ran, and copies outcomes onto their approvals. Returns what it finished.
    pub async fn recover(&self) -> Result<Vec<Executed>, ApprovalError> {
        let mut finished = Vec::new();
        for entry in self.db.stale_executions(self.lease_ms).await? {
            let audit = AuditRow::new(
                "system",
                "recovery_took_over",
                &entry.approval_id,
                json!({"tool": entry.tool}),
            );
            if !self.db.take_over_execution(&entry, audit).await? {
                continue;
            }
            let approval = self.load(&entry.approval_id).await?;
            let executed = self.registry.reconcile_started(&self.db, &approval).await?;
            self.record_result(&approval.id, &executed).await?;
            finished.push(executed);
        }
        let now = now_millis();
        for approval in self.db.approved_without_result().await? {
            // The process that approved it runs it right after deciding: another process
            // starting at that moment must not take it over before the lease runs out.
            if approval
                .decided_at
                .is_some_and(|at| now.saturating_sub(at) < self.lease_ms)
            {
                continue;
            }
            match self.registry.execute_approved(&self.db, &approval.id).await {
                Ok(executed) => {
                    self.record_result(&approval.id, &executed).await?;
                    finished.push(executed);
                }
                // Started by a process that may still be running: its lease has not run out.
                Err(ToolError::NotAllowed(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(finished)
    }

    /// Runs waiting on approvals that are all resolved now (and runs whose resumption was
    /// interrupted longer than the lease ago).
    pub async fn runs_ready(&self) -> Result<Vec<String>, ApprovalError> {
        for stale in self.db.stale_runs("resuming", self.lease_ms).await? {
            self.db
                .claim_run(&stale, "resuming", "awaiting_approval")
                .await?;
        }
        Ok(self.db.runs_settled("awaiting_approval").await?)
    }
}
