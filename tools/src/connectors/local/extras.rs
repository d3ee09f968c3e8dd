//! What the built-in store keeps beside its τ²-shaped records: platform facts (tags,
//! refunds by line, returns), when records changed, each write's result under its
//! idempotency key, its own events, and the messages it would send customers. Every
//! one is written in the transaction of the change it belongs to.

use super::unavailable;
use crate::commerce::CommerceError;
use crate::commerce::model::{CancelReason, Refund};
use crate::commerce::request::{IdempotencyKey, LineQuantity, ReturnReason};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopkeeper_memory::events::EventType;
use sqlx::SqliteConnection;

/// A return opened through the platform tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ReturnRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// What comes back.
    pub lines: Vec<LineQuantity>,
    /// Why.
    pub reason: ReturnReason,
    /// The customer's words.
    pub note: Option<String>,
}

/// Platform facts about an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct OrderExtras {
    /// Tags.
    pub tags: Vec<String>,
    /// The reason a platform cancellation gave.
    pub cancel_reason: Option<CancelReason>,
    /// When it was cancelled through the platform tools.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Refunds made through the platform tools, with their lines.
    pub refunds: Vec<Refund>,
    /// Returns opened through the platform tools.
    pub returns: Vec<ReturnRecord>,
}

/// Platform facts about a customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct CustomerExtras {
    /// Tags.
    pub tags: Vec<String>,
}

async fn load<T: DeserializeOwned + Default>(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: &str,
) -> Result<T, CommerceError> {
    let doc: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    match doc {
        None => Ok(T::default()),
        Some(d) => serde_json::from_str(&d)
            .map_err(|e| CommerceError::Corrupt(format!("extras of {id}: {e}"))),
    }
}

async fn save<T: Serialize>(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: &str,
    value: &T,
) -> Result<(), CommerceError> {
    let doc = serde_json::to_string(value).map_err(|e| CommerceError::Corrupt(e.to_string()))?;
    sqlx::query(sql)
        .bind(id)
        .bind(doc)
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// An order's extras (empty when it has none).
pub(super) async fn order_extras(
    conn: &mut SqliteConnection,
    order_id: &str,
) -> Result<OrderExtras, CommerceError> {
    load(
        conn,
        "SELECT doc FROM order_extras WHERE order_id = ?",
        order_id,
    )
    .await
}

/// Saves an order's extras.
pub(super) async fn save_order_extras(
    conn: &mut SqliteConnection,
    order_id: &str,
    extras: &OrderExtras,
) -> Result<(), CommerceError> {
    save(
        conn,
        "INSERT OR REPLACE INTO order_extras (order_id, doc) VALUES (?, ?)",
        order_id,
        extras,
    )
    .await
}

/// A customer's extras (empty when they have none).
pub(super) async fn customer_extras(
    conn: &mut SqliteConnection,
    user_id: &str,
) -> Result<CustomerExtras, CommerceError> {
    load(
        conn,
        "SELECT doc FROM customer_extras WHERE user_id = ?",
        user_id,
    )
    .await
}

/// Saves a customer's extras.
pub(super) async fn save_customer_extras(
    conn: &mut SqliteConnection,
    user_id: &str,
    extras: &CustomerExtras,
) -> Result<(), CommerceError> {
    save(
        conn,
        "INSERT OR REPLACE INTO customer_extras (user_id, doc) VALUES (?, ?)",
        user_id,
        extras,
    )
    .await
}

/// Which kind of record a time belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecordKind {
    Order,
    Customer,
    Product,
}

impl RecordKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Customer => "customer",
            Self::Product => "product",
        }
    }
}

/// A time as stored: RFC 3339 in UTC with milliseconds, so text order is time order.
pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored time.
pub(super) fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Records that a record changed now.
pub(super) async fn touch(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), CommerceError> {
    sqlx::query("INSERT OR REPLACE INTO record_times (kind, id, updated_at) VALUES (?, ?, ?)")
        .bind(kind.as_str())
        .bind(id)
        .bind(stamp(at))
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// When a record last changed, if it changed since the seed.
pub(super) async fn changed_at(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
) -> Result<Option<DateTime<Utc>>, CommerceError> {
    let at: Option<String> =
        sqlx::query_scalar("SELECT updated_at FROM record_times WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(conn)
            .await
            .map_err(unavailable)?;
    Ok(at.as_deref().and_then(parse_stamp))
}

/// The result a write with `key` recorded, if one did.
pub(super) async fn recorded(
    conn: &mut SqliteConnection,
    key: &IdempotencyKey,
) -> Result<Option<Value>, CommerceError> {
    let result: Option<String> = sqlx::query_scalar("SELECT result FROM writes WHERE key = ?")
        .bind(key.as_str())
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    result
        .map(|r| {
            serde_json::from_str(&r)
                .map_err(|e| CommerceError::Corrupt(format!("write {key}: {e}")))
        })
        .transpose()
}

/// Records a write's result under its key.
pub(super) async fn record<T: Serialize>(
    conn: &mut SqliteConnection,
    key: &IdempotencyKey,
    result: &T,
    at: DateTime<Utc>,
) -> Result<(), CommerceError> {
    let text = serde_json::to_string(result).map_err(|e| CommerceError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT INTO writes (key, result, at) VALUES (?, ?, ?)")
        .bind(key.as_str())
        .bind(text)
        .bind(stamp(at))
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Queues an event of the store's own write, for the event log.
pub(super) async fn emit(
    conn: &mut SqliteConnection,
    kind: EventType,
    data: Value,
    at: DateTime<Utc>,
) -> Result<(), CommerceError> {
    sqlx::query("INSERT INTO store_events (id, type, occurred_at, data) VALUES (?, ?, ?, ?)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(kind.as_str())
        .bind(stamp(at))
        .bind(data.to_string())
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Keeps a message the store would send a customer.
pub(super) async fn notify(
    conn: &mut SqliteConnection,
    recipient: &str,
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<(), CommerceError> {
    sqlx::query(
        "INSERT INTO customer_outbox (id, recipient, subject, body, at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(stamp(at))
    .execute(conn)
    .await
    .map_err(unavailable)?;
    Ok(())
}
