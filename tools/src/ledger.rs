//! The execution ledger: every approved call runs under an idempotency key and
//! moves `intended -> started -> succeeded | failed`. A call found `started`
//! after a crash is reconciled with the store before anything is retried.

use crate::canonical::{sha256_hex, to_canonical_string};
use crate::error::ToolError;
use crate::registry::Registry;
use crate::tool::{CallContext, Reconciliation};
use serde_json::{Value, json};
use shopkeeper_memory::crash;
use shopkeeper_memory::{AppDb, ApprovalRow, AuditRow, ExecutionRow};

/// How long a `started` entry belongs to the process running it; after that, recovery
/// may take it over. Longer than any tool call may take.
pub const DEFAULT_LEASE_MS: i64 = 120_000;

/// What executing an approved call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The approval.
    pub approval_id: String,
    /// Whether the call took effect.
    pub ok: bool,
    /// The tool message content: the result, or the error as JSON.
    pub content: String,
    /// True when this call found the outcome already recorded (nothing ran again).
    pub already_recorded: bool,
}

/// Canonical JSON of arguments and its sha256.
pub fn canonical_arguments(args: &Value) -> (String, String) {
    let text = to_canonical_string(args);
    let hash = sha256_hex(text.as_bytes());
    (text, hash)
}

impl Registry {
    /// Runs an approved call exactly once: the only way a call that needs approval runs.
    /// Calling it again (or after a crash) returns the recorded outcome or reconciles with
    /// the store; it never applies the call twice.
    pub async fn execute_approved(
        &self,
        db: &AppDb,
        approval_id: &str,
    ) -> Result<Executed, ToolError> {
        let approval = db
            .approval(approval_id)
            .await?
            .ok_or_else(|| ToolError::NotAllowed(format!("no approval {approval_id}")))?;
        if approval.status != "approved" {
            return Err(ToolError::NotAllowed(format!(
                "approval {approval_id} is {}, not approved",
                approval.status
            )));
        }
        let args: Value = serde_json::from_str(&approval.arguments).map_err(|e| {
            ToolError::NotAllowed(format!(
                "approval {approval_id} holds unreadable arguments: {e}"
            ))
        })?;
        let (canonical, hash) = canonical_arguments(&args);
        if hash != approval.arguments_hash {
            return Err(ToolError::NotAllowed(format!(
                "approval {approval_id}: arguments do not match what was approved"
            )));
        }
        self.validate(&approval.tool, &args)?;
        db.intend_execution(&ExecutionRow {
            idempotency_key: approval.id.clone(),
            approval_id: approval.id.clone(),
            tool: approval.tool.clone(),
            arguments: canonical,
            state: "intended".into(),
            result: None,
            updated_at: 0,
        })
        .await?;
        let entry = db.execution(&approval.id).await?.ok_or_else(|| {
            ToolError::NotAllowed(format!("ledger entry for {approval_id} vanished"))
        })?;
        match entry.state.as_str() {
            "succeeded" | "failed" => Ok(Executed {
                approval_id: approval.id,
                ok: entry.state == "succeeded",
                content: entry.result.unwrap_or_default(),
                already_recorded: true,
            }),
            "intended" => {
                let audit = AuditRow::new(
                    "system",
                    "execution_started",
                    &approval.id,
                    json!({"tool": approval.tool}),
                );
                if !db
                    .move_execution(&approval.id, "intended", "started", None, audit)
                    .await?
                {
                    return Err(ToolError::NotAllowed(format!(
                        "approval {approval_id} is being executed by another process"
                    )));
                }
                crash::point("after_execution_started");
                self.run_and_record(db, &approval, args).await
            }
            _ => Err(ToolError::NotAllowed(format!(
                "approval {approval_id} was started and has no recorded outcome; recovery will reconcile it with the store"
            ))),
        }
    }

    /// Reconciles a call found `started` with no outcome (the process died mid-call):
    /// applied -> recorded as succeeded; not applied -> run now, once; unknown -> failed,
    /// for a human to check. The caller must hold the entry (see `AppDb::take_over_execution`).
    pub async fn reconcile_started(
        &self,
        db: &AppDb,
        approval: &ApprovalRow,
    ) -> Result<Executed, ToolError> {
        let args: Value = serde_json::from_str(&approval.arguments).map_err(|e| {
            ToolError::NotAllowed(format!(
                "approval {} holds unreadable arguments: {e}",
                approval.id
            ))
        })?;
        let tool = self.tool(&approval.tool)?;
        match tool
            .reconcile_value(args.clone(), &CallContext::keyed(&approval.id))
            .await?
        {
            Reconciliation::Applied(record) => {
                let content = crate::result_content(&record);
                let audit = AuditRow::new(
                    "system",
                    "execution_reconciled",
                    &approval.id,
                    json!({"tool": approval.tool, "found": "applied"}),
                );
                db.move_execution(&approval.id, "started", "succeeded", Some(&content), audit)
                    .await?;
                Ok(Executed {
                    approval_id: approval.id.clone(),
                    ok: true,
                    content,
                    already_recorded: false,
                })
            }
            Reconciliation::NotApplied => {
                let audit = AuditRow::new(
                    "system",
                    "execution_reconciled",
                    &approval.id,
                    json!({"tool": approval.tool, "found": "not applied; running it now"}),
                );
                db.audit(audit).await?;
                self.run_and_record(db, approval, args).await
            }
            Reconciliation::Unknown => {
                let content = json!({"error": "outcome_unknown", "message": format!("{} was interrupted and the store cannot tell whether it took effect; a human must check before retrying", approval.tool)}).to_string();
                let audit = AuditRow::new(
                    "system",
                    "execution_reconciled",
                    &approval.id,
                    json!({"tool": approval.tool, "found": "unknown"}),
                );
                db.move_execution(&approval.id, "started", "failed", Some(&content), audit)
                    .await?;
                Ok(Executed {
                    approval_id: approval.id.clone(),
                    ok: false,
                    content,
                    already_recorded: false,
                })
            }
        }
    }

    async fn run_and_record(
        &self,
        db: &AppDb,
        approval: &ApprovalRow,
        args: Value,
    ) -> Result<Executed, ToolError> {
        let tool = self.tool(&approval.tool)?;
        // The approval is the write: its id is the key the connector hands the platform.
        let ctx = CallContext::keyed(&approval.id);
        let mut outcome = tool.call_value(args.clone(), &ctx).await;
        // The connector has answered (the platform may have changed); nothing is recorded yet.
        crash::point("after_tool_returned");
        // The answer was lost on the way: ask the store what happened before recording
        // anything, so a write that took effect is never recorded as failed (and retried).
        if let Err(e) = &outcome
            && e.kind() == "outcome_unknown"
        {
            let found = tool.reconcile_value(args, &ctx).await?;
            let audit = AuditRow::new(
                "system",
                "execution_reconciled",
                &approval.id,
                json!({"tool": approval.tool, "after": e.to_string(), "found": format!("{found:?}")}),
            );
            db.audit(audit).await?;
            if let Reconciliation::Applied(record) = found {
                outcome = Ok(record);
            }
        }
        let (ok, content) = match &outcome {
            Ok(v) => (true, crate::result_content(v)),
            Err(e) => (false, e.to_json().to_string()),
        };
        let (state, action) = if ok {
            ("succeeded", "execution_succeeded")
        } else {
            ("failed", "execution_failed")
        };
        let audit = AuditRow::new(
            "system",
            action,
            &approval.id,
            json!({"tool": approval.tool, "result": content}),
        );
        db.move_execution(&approval.id, "started", state, Some(&content), audit)
            .await?;
        crash::point("after_execution_finished");
        Ok(Executed {
            approval_id: approval.id.clone(),
            ok,
            content,
            already_recorded: false,
        })
    }
}
