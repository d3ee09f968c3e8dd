//! The event log: one table for everything that happens in a shop. A platform's webhook,
//! the built-in store's own write, or an event pushed by hand is stored once (the
//! source's event id is the de-duplication key) before anyone acknowledges it; memory
//! sync and workflows read it from here.
//!
//! `processed_at`, `attempts` and `error` are memory's own progress through the log. A
//! second consumer (workflows) keeps its progress in its own table, keyed by consumer and
//! event id, so neither can skip or hold back the other; events are never rewritten.

use crate::db::{AppDb, DbError, now_millis};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The normalized kinds of event every connector maps its own topics onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// An order was placed.
    #[serde(rename = "order.created")]
    OrderCreated,
    /// An order changed (paid, edited, fulfilled, refunded, tagged...).
    #[serde(rename = "order.updated")]
    OrderUpdated,
    /// An order was cancelled.
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// A checkout was started.
    #[serde(rename = "checkout.created")]
    CheckoutCreated,
    /// A checkout changed (contact details, lines).
    #[serde(rename = "checkout.updated")]
    CheckoutUpdated,
    /// A checkout became an order.
    #[serde(rename = "checkout.completed")]
    CheckoutCompleted,
    /// A product was created.
    #[serde(rename = "product.created")]
    ProductCreated,
    /// A product changed.
    #[serde(rename = "product.updated")]
    ProductUpdated,
    /// A product was deleted.
    #[serde(rename = "product.deleted")]
    ProductDeleted,
    /// Stock of an item changed somewhere.
    #[serde(rename = "inventory.changed")]
    InventoryChanged,
    /// A customer account was created.
    #[serde(rename = "customer.created")]
    CustomerCreated,
    /// A customer account changed.
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    /// A support ticket was opened.
    #[serde(rename = "ticket.created")]
    TicketCreated,
    /// A support ticket changed.
    #[serde(rename = "ticket.updated")]
    TicketUpdated,
}

impl EventType {
    /// Every type, in a fixed order.
    pub const ALL: [EventType; 14] = [
        Self::OrderCreated,
        Self::OrderUpdated,
        Self::OrderCancelled,
        Self::CheckoutCreated,
        Self::CheckoutUpdated,
        Self::CheckoutCompleted,
        Self::ProductCreated,
        Self::ProductUpdated,
        Self::ProductDeleted,
        Self::InventoryChanged,
        Self::CustomerCreated,
        Self::CustomerUpdated,
        Self::TicketCreated,
        Self::TicketUpdated,
    ];

    /// The type's name, e.g. `order.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "order.created",
            Self::OrderUpdated => "order.updated",
            Self::OrderCancelled => "order.cancelled",
            Self::CheckoutCreated => "checkout.created",
            Self::CheckoutUpdated => "checkout.updated",
            Self::CheckoutCompleted => "checkout.completed",
            Self::ProductCreated => "product.created",
            Self::ProductUpdated => "product.updated",
            Self::ProductDeleted => "product.deleted",
            Self::InventoryChanged => "inventory.changed",
            Self::CustomerCreated => "customer.created",
            Self::CustomerUpdated => "customer.updated",
            Self::TicketCreated => "ticket.created",
            Self::TicketUpdated => "ticket.updated",
        }
    }

    /// Parses a type's name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The shop it happened in.
    pub shop_id: String,
    /// Where it came from: `shopify`, `local`, `api`, `cli`...
    pub source: String,
    /// The source's own name for it, e.g. `orders/create`.
    pub topic: String,
    /// The source's id of the event: the same id from the same source is the same event.
    pub external_id: String,
    /// The normalized type, when the topic has one.
    pub event_type: Option<EventType>,
    /// When it happened (Unix ms).
    pub occurred_at: i64,
    /// The body as it arrived.
    pub payload: String,
    /// The normalized form, shared by every connector.
    pub data: Option<Value>,
}

/// Whether storing an event added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now, with this id.
    New(String),
    /// Already stored (the source sent it again), with this id.
    Duplicate(String),
}

impl Recorded {
    /// The stored event's id.
    pub fn id(&self) -> &str {
        match self {
            Self::New(id) | Self::Duplicate(id) => id,
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    /// Our id (time-ordered).
    pub id: String,
    /// The shop.
    pub shop_id: String,
    /// Where it came from.
    pub source: String,
    /// The source's name for it.
    pub topic: String,
    /// The source's id of it.
    pub external_id: String,
    /// The normalized type, if any.
    pub event_type: Option<String>,
    /// When it happened (Unix ms).
    pub occurred_at: i64,
    /// When we stored it (Unix ms).
    pub received_at: i64,
    /// When memory finished applying it (Unix ms), if it has.
    pub processed_at: Option<i64>,
    /// How many times applying it failed.
    pub attempts: i64,
    /// The last failure, if any.
    pub error: Option<String>,
    /// The body as it arrived.
    pub payload: String,
    /// The normalized form (JSON), if any.
    pub data: Option<String>,
}

impl EventRow {
    /// The normalized form, parsed.
    pub fn data_value(&self) -> Option<Value> {
        self.data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only from this source.
    pub source: Option<String>,
    /// Only of this normalized type.
    pub event_type: Option<String>,
    /// At most this many (newest first).
    pub limit: u32,
}

const COLUMNS: &str = "id, shop_id, source, topic, external_id, event_type, occurred_at, \
     received_at, processed_at, attempts, error, payload, data";

fn row(r: &AnyRow) -> Result<EventRow, sqlx::Error> {
    Ok(EventRow {
        id: r.try_get("id")?,
        shop_id: r.try_get("shop_id")?,
        source: r.try_get("source")?,
        topic: r.try_get("topic")?,
        external_id: r.try_get("external_id")?,
        event_type: r.try_get("event_type")?,
        occurred_at: r.try_get("occurred_at")?,
        received_at: r.try_get("received_at")?,
        processed_at: r.try_get("processed_at")?,
        attempts: r.try_get("attempts")?,
        error: r.try_get("error")?,
        payload: r.try_get("payload")?,
        data: r.try_get("data")?,
    })
}

/// After this many failures an event is left for a person to look at.
pub const MAX_ATTEMPTS: i64 = 5;

impl AppDb {
    /// Stores an event once: a second delivery with the same source and external id is
    /// reported as a duplicate and changes nothing. Returns once the event is durable.
    pub async fn record_event(&self, event: &NewEvent) -> Result<Recorded, DbError> {
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = sqlx::query(
            "INSERT INTO events (id, shop_id, source, topic, external_id, event_type, occurred_at, \
             received_at, payload, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (source, external_id) DO NOTHING",
        )
        .bind(&id)
        .bind(&event.shop_id)
        .bind(&event.source)
        .bind(&event.topic)
        .bind(&event.external_id)
        .bind(event.event_type.map(EventType::as_str))
        .bind(event.occurred_at)
        .bind(now_millis())
        .bind(&event.payload)
        .bind(event.data.as_ref().map(Value::to_string))
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Recorded::New(id));
        }
        let existing: String =
            sqlx::query_scalar("SELECT id FROM events WHERE source = $1 AND external_id = $2")
                .bind(&event.source)
                .bind(&event.external_id)
                .fetch_one(self.pool())
                .await?;
        Ok(Recorded::Duplicate(existing))
    }

    /// Events, newest first, filtered.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<EventRow>, DbError> {
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events \
             WHERE ($1 IS NULL OR source = $1) AND ($2 IS NULL OR event_type = $2) \
             ORDER BY received_at DESC, id DESC LIMIT $3"
        ))
        .bind(filter.source.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// One event by id.
    pub async fn event(&self, id: &str) -> Result<Option<EventRow>, DbError> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM events WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.map(|r| row(&r)).transpose()?)
    }

    /// Events of `shop_id` that memory has not applied yet (nor given up on), oldest first.
    pub async fn unprocessed_events(
        &self,
        shop_id: &str,
        limit: u32,
    ) -> Result<Vec<EventRow>, DbError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events WHERE shop_id = $1 AND processed_at IS NULL \
             AND attempts < $2 ORDER BY received_at, id LIMIT $3"
        ))
        .bind(shop_id)
        .bind(MAX_ATTEMPTS)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// When memory of `shop_id` last caught up with its store (Unix ms), if it ever did.
    pub async fn sync_mark(&self, shop_id: &str) -> Result<Option<i64>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT synced_at FROM sync_marks WHERE shop_id = $1 AND kind = 'all'",
        )
        .bind(shop_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Records that memory of `shop_id` caught up with its store as of `at` (Unix ms).
    pub async fn set_sync_mark(&self, shop_id: &str, at: i64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sync_marks (shop_id, kind, synced_at) VALUES ($1, 'all', $2) \
             ON CONFLICT (shop_id, kind) DO UPDATE SET synced_at = excluded.synced_at",
        )
        .bind(shop_id)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks every unapplied event of `shop_id` received before `until` (Unix ms) applied;
    /// returns how many.
    pub async fn mark_events_covered(&self, shop_id: &str, until: i64) -> Result<u64, DbError> {
        Ok(sqlx::query(
            "UPDATE events SET processed_at = $1, error = NULL              WHERE shop_id = $2 AND processed_at IS NULL AND received_at < $3",
        )
        .bind(now_millis())
        .bind(shop_id)
        .bind(until)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Marks an event applied, or counts a failed attempt with its error.
    pub async fn finish_event(&self, id: &str, outcome: Result<(), String>) -> Result<(), DbError> {
        match outcome {
            Ok(()) => {
                sqlx::query("UPDATE events SET processed_at = $1, error = NULL WHERE id = $2")
                    .bind(now_millis())
                    .bind(id)
                    .execute(self.pool())
                    .await?;
            }
            Err(error) => {
                sqlx::query("UPDATE events SET attempts = attempts + 1, error = $1 WHERE id = $2")
                    .bind(error)
                    .bind(id)
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }
}
