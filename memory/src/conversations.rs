//! Conversations, their messages and agent run checkpoints.
//!
//! Messages and run records are opaque JSON here: their format belongs to the
//! agent, which versions it; this module only keeps them safe and in order.

use crate::approvals::{Alongside, insert_alongside};
use crate::db::{AppDb, DbError, now_millis};
use serde_json::Value;
use sqlx::Row;

/// A stored run checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// The run's id.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Its status, as the agent names it.
    pub status: String,
    /// The agent's versioned record of the run.
    pub record: Value,
}

/// Who a conversation is with and where it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationInfo {
    /// The conversation's id.
    pub id: String,
    /// Where it happens, e.g. `cli`, `telegram`.
    pub channel: String,
    /// The participant's role, e.g. `staff`, `customer`.
    pub role: String,
}

impl AppDb {
    /// Creates a conversation if it does not exist yet.
    pub async fn ensure_conversation(&self, info: &ConversationInfo) -> Result<(), DbError> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO conversations (id, channel, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&info.id)
        .bind(&info.channel)
        .bind(&info.role)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A conversation by id, if it exists.
    pub async fn conversation(&self, id: &str) -> Result<Option<ConversationInfo>, DbError> {
        let row = sqlx::query("SELECT id, channel, role FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(ConversationInfo {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                role: r.try_get("role")?,
            })
        })
        .transpose()
    }

    /// Every message of a conversation, in order.
    pub async fn messages(&self, conversation_id: &str) -> Result<Vec<Value>, DbError> {
        let rows = sqlx::query("SELECT body FROM messages WHERE conversation_id = $1 ORDER BY seq")
            .bind(conversation_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                serde_json::from_str(&body).map_err(|e| DbError::Corrupt(format!("message: {e}")))
            })
            .collect()
    }

    /// Stores a run checkpoint and the conversation's messages from `first_seq` on, in one
    /// transaction. Messages already stored are kept as they are, so a retried checkpoint
    /// never duplicates or rewrites history.
    pub async fn checkpoint(
        &self,
        run: &StoredRun,
        first_seq: usize,
        messages: &[Value],
    ) -> Result<(), DbError> {
        self.checkpoint_with(run, first_seq, messages, &Alongside::default())
            .await
    }

    /// A checkpoint that also stores approvals, notifications and audit entries, all in
    /// the same transaction: a run never waits on an approval that was not stored.
    pub async fn checkpoint_with(
        &self,
        run: &StoredRun,
        first_seq: usize,
        messages: &[Value],
        extra: &Alongside,
    ) -> Result<(), DbError> {
        let now = now_millis();
        let record =
            serde_json::to_string(&run.record).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let mut tx = self.pool().begin().await?;
        if !messages.is_empty() {
            // One statement for all new messages: each statement is a round trip to the driver.
            let mut sql = String::from(
                "INSERT INTO messages (conversation_id, seq, body, created_at) VALUES ",
            );
            for k in 0..messages.len() {
                if k > 0 {
                    sql.push_str(", ");
                }
                let b = 4 * k;
                sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
            }
            sql.push_str(" ON CONFLICT (conversation_id, seq) DO NOTHING");
            let mut query = sqlx::query(&sql);
            for (offset, message) in messages.iter().enumerate() {
                let body =
                    serde_json::to_string(message).map_err(|e| DbError::Corrupt(e.to_string()))?;
                query = query
                    .bind(&run.conversation_id)
                    .bind((first_seq + offset) as i64)
                    .bind(body)
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO runs (id, conversation_id, status, record, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record, \
             updated_at = excluded.updated_at",
        )
        .bind(&run.id)
        .bind(&run.conversation_id)
        .bind(&run.status)
        .bind(record)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_alongside(&mut tx, extra).await?;
        if !messages.is_empty() {
            sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&run.conversation_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A run by id.
    pub async fn run(&self, id: &str) -> Result<Option<StoredRun>, DbError> {
        let row = sqlx::query("SELECT id, conversation_id, status, record FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| decode_run(&r)).transpose()
    }

    /// The most recent run of a conversation.
    pub async fn latest_run(&self, conversation_id: &str) -> Result<Option<StoredRun>, DbError> {
        let row = sqlx::query(
            "SELECT id, conversation_id, status, record FROM runs WHERE conversation_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(conversation_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| decode_run(&r)).transpose()
    }
}

fn decode_run(r: &sqlx::any::AnyRow) -> Result<StoredRun, DbError> {
    let record: String = r.try_get("record")?;
    Ok(StoredRun {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        status: r.try_get("status")?,
        record: serde_json::from_str(&record).map_err(|e| DbError::Corrupt(format!("run: {e}")))?,
    })
}
