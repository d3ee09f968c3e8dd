//! Moves the events of the store's own writes into the application's event log.

use super::{LocalStore, unavailable};
use crate::commerce::CommerceError;
use shopkeeper_memory::AppDb;
use shopkeeper_memory::events::{EventType, NewEvent};

/// Events moved per round.
const BATCH: i64 = 500;

impl LocalStore {
    /// Copies queued events into `log` (each once: the event log de-duplicates by id),
    /// then forgets them here; returns how many were new to the log. A crash between the
    /// two steps copies them again, harmlessly.
    pub async fn relay_events(&self, log: &AppDb) -> Result<usize, CommerceError> {
        let mut added = 0;
        loop {
            let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                "SELECT seq, id, type, occurred_at, data FROM store_events ORDER BY seq LIMIT ?",
            )
            .bind(BATCH)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(unavailable)?;
            let Some(last) = rows.last().map(|r| r.0) else {
                return Ok(added);
            };
            for (_, id, kind, occurred_at, data) in &rows {
                let occurred =
                    super::extras::parse_stamp(occurred_at).map_or(0, |t| t.timestamp_millis());
                let event = NewEvent {
                    shop_id: self.shop.id.to_string(),
                    source: super::platform::CONNECTOR.into(),
                    topic: kind.clone(),
                    external_id: id.clone(),
                    event_type: EventType::parse(kind),
                    occurred_at: occurred,
                    payload: data.clone(),
                    data: serde_json::from_str(data).ok(),
                };
                let recorded = log
                    .record_event(&event)
                    .await
                    .map_err(|e| CommerceError::Unavailable(e.to_string()))?;
                if matches!(recorded, shopkeeper_memory::events::Recorded::New(_)) {
                    added += 1;
                }
            }
            sqlx::query("DELETE FROM store_events WHERE seq <= ?")
                .bind(last)
                .execute(&mut *self.conn().await?)
                .await
                .map_err(unavailable)?;
        }
    }
}
