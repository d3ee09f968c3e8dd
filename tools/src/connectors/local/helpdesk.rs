//! The built-in store's helpdesk: tickets in SQLite.

use super::{LocalStore, unavailable};
use crate::commerce::CommerceError;
use crate::helpdesk::{Helpdesk, Ticket, TicketChange, TicketFilter, now};
use async_trait::async_trait;
use sqlx::SqliteConnection;

fn decode(id: &str, doc: &str) -> Result<Ticket, CommerceError> {
    serde_json::from_str(doc).map_err(|e| CommerceError::Corrupt(format!("ticket {id}: {e}")))
}

/// Inserts or replaces a ticket.
pub(super) async fn save(conn: &mut SqliteConnection, t: &Ticket) -> Result<(), CommerceError> {
    let doc = serde_json::to_string(t).map_err(|e| CommerceError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT OR REPLACE INTO tickets (id, status, priority, assignee, user_id, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&t.id)
        .bind(t.status.as_str())
        .bind(t.priority.as_str())
        .bind(&t.assignee)
        .bind(&t.user_id)
        .bind(&t.updated_at)
        .bind(doc)
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

async fn load(conn: &mut SqliteConnection, id: &str) -> Result<Ticket, CommerceError> {
    let doc: String = sqlx::query_scalar("SELECT doc FROM tickets WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| CommerceError::not_found("ticket", id))?;
    decode(id, &doc)
}

#[async_trait]
impl Helpdesk for LocalStore {
    async fn list_tickets(&self, f: &TicketFilter) -> Result<Vec<Ticket>, CommerceError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, doc FROM tickets WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR priority = ?2) \
             AND (?3 IS NULL OR assignee = ?3) AND (?4 IS NULL OR user_id = ?4) \
             AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = ?5)) \
             ORDER BY updated_at DESC, id DESC LIMIT ?6",
        )
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.priority.map(|p| p.as_str()))
        .bind(&f.assignee)
        .bind(&f.user_id)
        .bind(&f.tag)
        .bind(i64::from(f.limit.unwrap_or(20).min(200)))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|(id, doc)| decode(id, doc)).collect()
    }

    async fn ticket(&self, id: &str) -> Result<Ticket, CommerceError> {
        load(&mut *self.conn().await?, id).await
    }

    async fn update_ticket(&self, id: &str, change: TicketChange) -> Result<Ticket, CommerceError> {
        let mut tx = self.begin_write().await?;
        let mut ticket = load(&mut tx, id).await?;
        change(&mut ticket)?;
        ticket.updated_at = now();
        save(&mut tx, &ticket).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(ticket)
    }
}
