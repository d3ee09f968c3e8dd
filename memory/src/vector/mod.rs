//! Vector memory: points for products, customers, tickets and notes, every one
//! tagged with its shop, kind and source id, and every search filtered on them.

#[cfg(feature = "embedded-vectors")]
pub mod edge;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a point stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A product of the catalog.
    Product,
    /// A customer.
    Customer,
    /// A support ticket.
    Ticket,
    /// A note someone asked Shopkeeper to remember.
    Note,
}

impl Kind {
    /// The kind's name, as stored in payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Customer => "customer",
            Self::Ticket => "ticket",
            Self::Note => "note",
        }
    }
}

/// A vector with what it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The shop it belongs to.
    pub shop: String,
    /// What it stands for.
    pub kind: Kind,
    /// The record's id in its source (a product id, a user id...).
    pub source_id: String,
    /// The embedding.
    pub vector: Vec<f32>,
    /// Anything else to keep with it (e.g. a content hash, a name).
    pub extra: Map<String, Value>,
}

/// A search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The record's id in its source.
    pub source_id: String,
    /// Cosine similarity to the query.
    pub score: f32,
    /// The point's payload (shop, kind, source_id and the extras).
    pub payload: Map<String, Value>,
}

/// Why the vector store failed.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// The store could not be opened or written.
    #[error("vector store: {0}")]
    Store(String),
    /// A vector has the wrong number of dimensions.
    #[error("vector has {got} dimensions; the store holds {expected}")]
    Dimensions {
        /// What the store expects.
        expected: usize,
        /// What was given.
        got: usize,
    },
}

/// Where vectors live: upsert, delete, filtered top-k search, count.
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// Inserts or replaces points (a point is identified by shop, kind and source id).
    async fn upsert(&self, points: Vec<Point>) -> Result<(), VectorError>;
    /// Removes the points of these source ids.
    async fn delete(
        &self,
        shop: &str,
        kind: Kind,
        source_ids: &[String],
    ) -> Result<(), VectorError>;
    /// The `k` nearest points of `shop` and `kind` to `query`, best first.
    async fn search(
        &self,
        shop: &str,
        kind: Kind,
        query: &[f32],
        k: usize,
    ) -> Result<Vec<Hit>, VectorError>;
    /// How many points `shop` holds of `kind`.
    async fn count(&self, shop: &str, kind: Kind) -> Result<u64, VectorError>;
}

/// A stable UUID for (shop, kind, source id): the same record always lands on the same point.
pub fn point_uuid(shop: &str, kind: Kind, source_id: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest =
        Sha256::digest(format!("{shop}\u{1f}{}\u{1f}{source_id}", kind.as_str()).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The payload stored with a point: `shop`, `kind`, `source_id`, then the extras.
pub fn payload(point: &Point) -> Map<String, Value> {
    let mut map = point.extra.clone();
    map.insert("shop".into(), Value::String(point.shop.clone()));
    map.insert("kind".into(), Value::String(point.kind.as_str().into()));
    map.insert("source_id".into(), Value::String(point.source_id.clone()));
    map
}
