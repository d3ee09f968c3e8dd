//! Approvals, the execution ledger, the outbox and the audit log: the durable
//! records behind human approval steps. Decisions are compare-and-set updates,
//! so exactly one of several concurrent deciders wins.

use crate::db::{AppDb, DbError, now_millis};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// An approval request and its decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRow {
    /// The approval's id.
    pub id: String,
    /// The agent run that asked, if any.
    pub run_id: Option<String>,
    /// Its conversation, if any.
    pub conversation_id: Option<String>,
    /// The model's tool call id, if any.
    pub call_id: Option<String>,
    /// The tool.
    pub tool: String,
    /// Canonical JSON of the arguments.
    pub arguments: String,
    /// sha256 of `arguments`.
    pub arguments_hash: String,
    /// What the call will do, rendered by the tool.
    pub summary: String,
    /// The tool's effect.
    pub effect: String,
    /// The least role that may decide.
    pub required_role: String,
    /// `pending`, `approved`, `rejected` or `expired`.
    pub status: String,
    /// Who asked.
    pub requested_by: String,
    /// Where it was asked.
    pub channel: String,
    /// When it was asked (Unix ms).
    pub requested_at: i64,
    /// When it expires (Unix ms).
    pub expires_at: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (Unix ms).
    pub decided_at: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The arguments before an edit.
    pub original_arguments: Option<String>,
    /// The tool message content once resolved (result, rejection, expiry).
    pub result: Option<String>,
    /// JSON list of chat messages showing this approval's card.
    pub cards: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    /// Time-ordered id.
    pub id: String,
    /// When (Unix ms).
    pub at: i64,
    /// Who: a person, `agent`, `policy` or `system`.
    pub actor: String,
    /// What happened, e.g. `approval_requested`.
    pub action: String,
    /// What it concerns, e.g. an approval id.
    pub subject: String,
    /// Details as JSON.
    pub detail: String,
}

impl AuditRow {
    /// A new entry stamped now.
    pub fn new(actor: &str, action: &str, subject: &str, detail: serde_json::Value) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            at: now_millis(),
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.to_string(),
        }
    }
}

/// A notification to deliver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    /// The entry's id.
    pub id: String,
    /// What it announces, e.g. `approval_requested`.
    pub topic: String,
    /// The payload as JSON.
    pub payload: String,
}

impl OutboxRow {
    /// A new entry.
    pub fn new(topic: &str, payload: serde_json::Value) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            topic: topic.into(),
            payload: payload.to_string(),
        }
    }
}

/// An execution ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionRow {
    /// The idempotency key.
    pub idempotency_key: String,
    /// The approval it executes.
    pub approval_id: String,
    /// The tool.
    pub tool: String,
    /// Canonical JSON of the arguments.
    pub arguments: String,
    /// `intended`, `started`, `succeeded` or `failed`.
    pub state: String,
    /// The result or error, once finished.
    pub result: Option<String>,
    /// Last state change (Unix ms).
    pub updated_at: i64,
}

/// Records written together with a run checkpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alongside {
    /// New approvals.
    pub approvals: Vec<ApprovalRow>,
    /// Notifications.
    pub outbox: Vec<OutboxRow>,
    /// Audit entries.
    pub audit: Vec<AuditRow>,
}

const APPROVAL_COLUMNS: &str = "id, run_id, conversation_id, call_id, tool, arguments, arguments_hash, summary, effect, \
     required_role, status, requested_by, channel, requested_at, expires_at, decided_by, decided_at, reason, \
     original_arguments, result, cards";

const EXECUTION_COLUMNS: &str =
    "idempotency_key, approval_id, tool, arguments, state, result, updated_at";

fn execution_from(r: &AnyRow) -> Result<ExecutionRow, sqlx::Error> {
    Ok(ExecutionRow {
        idempotency_key: r.try_get("idempotency_key")?,
        approval_id: r.try_get("approval_id")?,
        tool: r.try_get("tool")?,
        arguments: r.try_get("arguments")?,
        state: r.try_get("state")?,
        result: r.try_get("result")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn approval_from(r: &AnyRow) -> Result<ApprovalRow, sqlx::Error> {
    Ok(ApprovalRow {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        conversation_id: r.try_get("conversation_id")?,
        call_id: r.try_get("call_id")?,
        tool: r.try_get("tool")?,
        arguments: r.try_get("arguments")?,
        arguments_hash: r.try_get("arguments_hash")?,
        summary: r.try_get("summary")?,
        effect: r.try_get("effect")?,
        required_role: r.try_get("required_role")?,
        status: r.try_get("status")?,
        requested_by: r.try_get("requested_by")?,
        channel: r.try_get("channel")?,
        requested_at: r.try_get("requested_at")?,
        expires_at: r.try_get("expires_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        reason: r.try_get("reason")?,
        original_arguments: r.try_get("original_arguments")?,
        result: r.try_get("result")?,
        cards: r.try_get("cards")?,
    })
}

pub(crate) async fn insert_alongside(
    tx: &mut Transaction<'_, Any>,
    extra: &Alongside,
) -> Result<(), DbError> {
    for a in &extra.approvals {
        sqlx::query(&format!(
            "INSERT INTO approvals ({APPROVAL_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&a.id)
        .bind(&a.run_id)
        .bind(&a.conversation_id)
        .bind(&a.call_id)
        .bind(&a.tool)
        .bind(&a.arguments)
        .bind(&a.arguments_hash)
        .bind(&a.summary)
        .bind(&a.effect)
        .bind(&a.required_role)
        .bind(&a.status)
        .bind(&a.requested_by)
        .bind(&a.channel)
        .bind(a.requested_at)
        .bind(a.expires_at)
        .bind(&a.decided_by)
        .bind(a.decided_at)
        .bind(&a.reason)
        .bind(&a.original_arguments)
        .bind(&a.result)
        .bind(&a.cards)
        .execute(&mut **tx)
        .await?;
    }
    for o in &extra.outbox {
        sqlx::query("INSERT INTO outbox (id, topic, payload, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&o.id)
            .bind(&o.topic)
            .bind(&o.payload)
            .bind(now_millis())
            .execute(&mut **tx)
            .await?;
    }
    for e in &extra.audit {
        insert_audit(tx, e).await?;
    }
    Ok(())
}

async fn insert_audit(tx: &mut Transaction<'_, Any>, e: &AuditRow) -> Result<(), DbError> {
    sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&e.id)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(&e.detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The one parameter of an approvals query.
enum Bind<'a> {
    None,
    Text(&'a str),
    Int(i64),
}

/// A decision to record: the new status and what goes with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// `approved`, `rejected` or `expired`.
    pub status: &'a str,
    /// Who decided.
    pub by: &'a str,
    /// Why (rejections).
    pub reason: Option<&'a str>,
    /// New canonical arguments, hash and summary (edits).
    pub edited: Option<(&'a str, &'a str, &'a str)>,
    /// The tool message content, when the decision resolves the call (rejection, expiry).
    pub result: Option<&'a str>,
}

impl AppDb {
    /// Stores approvals, notifications and audit entries in one transaction.
    pub async fn record(&self, extra: &Alongside) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await?;
        insert_alongside(&mut tx, extra).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends one audit entry.
    pub async fn audit(&self, entry: AuditRow) -> Result<(), DbError> {
        self.record(&Alongside {
            audit: vec![entry],
            ..Alongside::default()
        })
        .await
    }

    /// An approval by id.
    pub async fn approval(&self, id: &str) -> Result<Option<ApprovalRow>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| approval_from(&r)).transpose()?)
    }

    /// Approvals, newest first; only those with `status` when given.
    pub async fn approvals(&self, status: Option<&str>) -> Result<Vec<ApprovalRow>, DbError> {
        match status {
            Some(s) => {
                self.select_approvals(
                    "status = $1 ORDER BY requested_at DESC, id DESC",
                    Bind::Text(s),
                )
                .await
            }
            None => {
                self.select_approvals("1 = 1 ORDER BY requested_at DESC, id DESC", Bind::None)
                    .await
            }
        }
    }

    async fn select_approvals(
        &self,
        condition: &str,
        bind: Bind<'_>,
    ) -> Result<Vec<ApprovalRow>, DbError> {
        let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE {condition}");
        let query = sqlx::query(&sql);
        let query = match bind {
            Bind::None => query,
            Bind::Text(t) => query.bind(t),
            Bind::Int(i) => query.bind(i),
        };
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows.iter().map(approval_from).collect::<Result<_, _>>()?)
    }

    /// The approvals a run asked for.
    pub async fn approvals_of_run(&self, run_id: &str) -> Result<Vec<ApprovalRow>, DbError> {
        self.select_approvals("run_id = $1 ORDER BY requested_at, id", Bind::Text(run_id))
            .await
    }

    /// Compare-and-set `pending -> decision.status` (only if not expired, unless expiring),
    /// with an audit entry in the same transaction. `false` when another decision won.
    pub async fn decide(
        &self,
        id: &str,
        decision: &Decision<'_>,
        audit: AuditRow,
    ) -> Result<bool, DbError> {
        let now = now_millis();
        let mut tx = self.pool().begin().await?;
        let (arguments, hash, summary) = match decision.edited {
            Some((a, h, s)) => (Some(a), Some(h), Some(s)),
            None => (None, None, None),
        };
        let expiry_guard = if decision.status == "expired" {
            "expires_at <= $10"
        } else {
            "expires_at > $10"
        };
        let done = sqlx::query(&format!(
            "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4, \
             original_arguments = CASE WHEN $5 IS NULL THEN original_arguments ELSE arguments END, \
             arguments = COALESCE($5, arguments), arguments_hash = COALESCE($6, arguments_hash), \
             summary = COALESCE($7, summary), result = COALESCE($8, result) \
             WHERE id = $9 AND status = 'pending' AND {expiry_guard}"
        ))
        .bind(decision.status)
        .bind(decision.by)
        .bind(now)
        .bind(decision.reason)
        .bind(arguments)
        .bind(hash)
        .bind(summary)
        .bind(decision.result)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            insert_audit(&mut tx, &audit).await?;
            let payload = serde_json::json!({"approval_id": id, "status": decision.status, "by": decision.by, "at": now});
            insert_alongside(
                &mut tx,
                &Alongside {
                    outbox: vec![OutboxRow::new("approval_decided", payload)],
                    ..Alongside::default()
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Pending approvals whose expiry has passed.
    pub async fn due_for_expiry(&self) -> Result<Vec<ApprovalRow>, DbError> {
        self.select_approvals(
            "status = 'pending' AND expires_at <= $1",
            Bind::Int(now_millis()),
        )
        .await
    }

    /// Approved approvals whose result is not recorded yet (execution pending or interrupted).
    pub async fn approved_without_result(&self) -> Result<Vec<ApprovalRow>, DbError> {
        self.select_approvals(
            "status = 'approved' AND result IS NULL ORDER BY decided_at",
            Bind::None,
        )
        .await
    }

    /// Records the tool message content that resolves an approval (once).
    pub async fn set_approval_result(&self, id: &str, result: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE approvals SET result = $1 WHERE id = $2 AND result IS NULL")
            .bind(result)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Adds a chat message reference to an approval's cards.
    pub async fn set_approval_cards(&self, id: &str, cards: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE approvals SET cards = $1 WHERE id = $2")
            .bind(cards)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The ledger entry for a key.
    pub async fn execution(&self, key: &str) -> Result<Option<ExecutionRow>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE idempotency_key = $1"
        ))
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| execution_from(&r)).transpose()?)
    }

    /// Ledger entries left `started` for longer than `lease_ms`: their process is presumed dead.
    pub async fn stale_executions(&self, lease_ms: i64) -> Result<Vec<ExecutionRow>, DbError> {
        let rows = sqlx::query(&format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE state = 'started' AND updated_at <= $1 ORDER BY updated_at"))
            .bind(now_millis() - lease_ms)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(execution_from).collect::<Result<_, _>>()?)
    }

    /// Takes over a stale `started` entry (compare-and-set on its timestamp), so exactly one
    /// recovering process reconciles it.
    pub async fn take_over_execution(
        &self,
        row: &ExecutionRow,
        audit: AuditRow,
    ) -> Result<bool, DbError> {
        let query = sqlx::query("UPDATE executions SET updated_at = $1 WHERE idempotency_key = $2 AND state = 'started' AND updated_at = $3")
            .bind(now_millis().max(row.updated_at + 1))
            .bind(&row.idempotency_key)
            .bind(row.updated_at);
        self.update_once(query, &audit).await
    }

    /// Runs a compare-and-set update; when it changed exactly one row, appends `audit` in
    /// the same transaction. Returns whether it won.
    async fn update_once<'q>(
        &self,
        query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        audit: &AuditRow,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool().begin().await?;
        let won = query.execute(&mut *tx).await?.rows_affected() == 1;
        if won {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(won)
    }

    /// Creates the ledger entry in state `intended`, unless it exists.
    pub async fn intend_execution(&self, row: &ExecutionRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO executions (idempotency_key, approval_id, tool, arguments, state, updated_at) \
             VALUES ($1, $2, $3, $4, 'intended', $5) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&row.idempotency_key)
        .bind(&row.approval_id)
        .bind(&row.tool)
        .bind(&row.arguments)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Compare-and-set a ledger entry's state, with an audit entry; `false` if it was not in `from`.
    pub async fn move_execution(
        &self,
        key: &str,
        from: &str,
        to: &str,
        result: Option<&str>,
        audit: AuditRow,
    ) -> Result<bool, DbError> {
        let query = sqlx::query("UPDATE executions SET state = $1, result = COALESCE($2, result), updated_at = $3 WHERE idempotency_key = $4 AND state = $5")
            .bind(to)
            .bind(result)
            .bind(now_millis())
            .bind(key)
            .bind(from);
        self.update_once(query, &audit).await
    }

    /// Compare-and-set a run's status; `false` if it was not in `from`.
    pub async fn claim_run(&self, run_id: &str, from: &str, to: &str) -> Result<bool, DbError> {
        Ok(sqlx::query(
            "UPDATE runs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to)
        .bind(now_millis())
        .bind(run_id)
        .bind(from)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1)
    }

    /// Runs in `status` whose last change is older than `lease_ms`.
    pub async fn stale_runs(&self, status: &str, lease_ms: i64) -> Result<Vec<String>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM runs WHERE status = $1 AND updated_at <= $2 ORDER BY updated_at",
        )
        .bind(status)
        .bind(now_millis() - lease_ms)
        .fetch_all(self.pool())
        .await?)
    }

    /// Runs in `status` that asked for approvals and have a result for every one of them,
    /// oldest change first.
    pub async fn runs_settled(&self, status: &str) -> Result<Vec<String>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT r.id FROM runs r WHERE r.status = $1 \
             AND EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = r.id) \
             AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = r.id AND a.result IS NULL) \
             ORDER BY r.updated_at",
        )
        .bind(status)
        .fetch_all(self.pool())
        .await?)
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditRow>, DbError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Notifications not delivered yet, oldest first.
    pub async fn undelivered(&self) -> Result<Vec<OutboxRow>, DbError> {
        let rows = sqlx::query("SELECT id, topic, payload FROM outbox WHERE delivered_at IS NULL ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    topic: r.try_get("topic")?,
                    payload: r.try_get("payload")?,
                })
            })
            .collect()
    }

    /// Claims a notification for `relay` (compare-and-set): `false` when it was delivered,
    /// or another relay claimed it less than `lease_ms` ago.
    pub async fn claim_notification(
        &self,
        id: &str,
        relay: &str,
        lease_ms: i64,
    ) -> Result<bool, DbError> {
        let now = now_millis();
        let claimed = sqlx::query(
            "UPDATE outbox SET claimed_by = $1, claimed_at = $2 WHERE id = $3 AND delivered_at IS NULL \
             AND (claimed_at IS NULL OR claimed_at <= $4 OR claimed_by = $1)",
        )
        .bind(relay)
        .bind(now)
        .bind(id)
        .bind(now.saturating_sub(lease_ms))
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Marks a notification delivered.
    pub async fn mark_delivered(&self, id: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
