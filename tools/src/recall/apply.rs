//! Applies the event log to memory: a changed product or customer is re-embedded, a
//! deleted product forgotten, an order refreshes its customer (their document and profile).
//! Records are read fresh from the store, never from the event: webhooks arrive out of
//! order, and the store is the truth.

use super::Recall;
use super::sync::{forget_product, refresh_customer, refresh_product};
use crate::commerce::query::{OrderRef, ProductRef};
use crate::commerce::{Commerce, CommerceError};
use crate::error::ToolError;
use serde_json::Value;
use shopkeeper_memory::AppDb;
use shopkeeper_memory::events::{EventRow, EventType};

/// What applying did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Events applied.
    pub applied: usize,
    /// Events that failed this time (retried later, up to a limit).
    pub failed: usize,
}

fn text<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

async fn apply_one(store: &dyn Commerce, recall: &Recall, e: &EventRow) -> Result<(), ToolError> {
    let Some(kind) = e.event_type.as_deref().and_then(EventType::parse) else {
        return Ok(()); // a topic with no normalized form changes nothing in memory
    };
    let data = e.data_value().unwrap_or(Value::Null);
    match kind {
        EventType::ProductCreated | EventType::ProductUpdated | EventType::InventoryChanged => {
            let id = text(&data, &["product", "id"]).or_else(|| text(&data, &["product_id"]));
            let Some(id) = id else { return Ok(()) };
            match store.product(&ProductRef::Id(id.to_string())).await {
                Ok(p) => refresh_product(recall, &p).await,
                Err(CommerceError::NotFound { .. }) => forget_product(recall, id).await,
                Err(e) => Err(e.into()),
            }
        }
        EventType::ProductDeleted => match text(&data, &["product", "id"]) {
            Some(id) => forget_product(recall, id).await,
            None => Ok(()),
        },
        EventType::CustomerCreated | EventType::CustomerUpdated => {
            let Some(id) = text(&data, &["customer", "id"]) else {
                return Ok(());
            };
            let c = store.customer(id).await?;
            refresh_customer(store, recall, &c).await
        }
        EventType::OrderCreated | EventType::OrderUpdated | EventType::OrderCancelled => {
            let customer = match text(&data, &["order", "customer_id"]) {
                Some(c) => Some(c.to_string()),
                None => match text(&data, &["order", "id"]) {
                    Some(id) => {
                        store
                            .order(&OrderRef::Id(id.to_string()))
                            .await?
                            .customer_id
                    }
                    None => None,
                },
            };
            match customer {
                Some(id) => {
                    let c = store.customer(&id).await?;
                    refresh_customer(store, recall, &c).await
                }
                None => Ok(()), // a guest order: nobody's profile to refresh
            }
        }
        _ => Ok(()),
    }
}

/// Applies up to `limit` events of the shop that memory has not applied yet, oldest
/// first. Without memory set up (no embedding model), nothing is applied and the events
/// wait: the next `sync` covers them.
pub async fn apply_events(
    store: &dyn Commerce,
    recall: &Recall,
    db: &AppDb,
    limit: u32,
) -> Result<Applied, ToolError> {
    let mut done = Applied::default();
    let events = db.unprocessed_events(recall.shop(), limit).await?;
    if events.is_empty() || recall.backends().await.is_err() {
        return Ok(done);
    }
    for e in &events {
        let outcome = apply_one(store, recall, e).await;
        match &outcome {
            Ok(()) => done.applied += 1,
            Err(err) => {
                done.failed += 1;
                tracing::warn!(event = %e.id, error = %err, "applying an event to memory failed");
            }
        }
        db.finish_event(&e.id, outcome.map_err(|e| e.to_string()))
            .await?;
    }
    Ok(done)
}

/// Marks every event received before `until` (Unix ms) applied: a full sync read the
/// store afterwards, so memory holds what they changed.
pub async fn covered_by_sync(recall: &Recall, db: &AppDb, until: i64) -> Result<u64, ToolError> {
    Ok(db.mark_events_covered(recall.shop(), until).await?)
}
