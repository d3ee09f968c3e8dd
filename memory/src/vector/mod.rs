//! Vector memory: points for products, customers, tickets and notes, every one
//! tagged with its shop, kind and source id, and every search filtered on them.

#[cfg(feature = "embedded-vectors")]
pub mod edge;
#[cfg(feature = "qdrant-server")]
pub mod server;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

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

impl Hit {
    /// A hit from a point's payload (which names its source id) and its score.
    pub fn new(payload: Map<String, Value>, score: f32) -> Self {
        let source_id = payload
            .get("source_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Self {
            source_id,
            score,
            payload,
        }
    }
}

/// Source id and content hash from a point's payload, if it has both.
pub fn source_and_hash(payload: &Map<String, Value>) -> Option<(String, String)> {
    match (payload.get("source_id"), payload.get(CONTENT_HASH)) {
        (Some(Value::String(id)), Some(Value::String(hash))) => Some((id.clone(), hash.clone())),
        _ => None,
    }
}

/// The payload field holding the hash of the content a point was embedded from.
pub const CONTENT_HASH: &str = "content_hash";

/// A condition on a payload field, beyond the shop and kind every search filters on.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The field equals this string.
    Keyword {
        /// The payload field.
        field: String,
        /// The value it must have.
        value: String,
    },
    /// The field is this boolean.
    Flag {
        /// The payload field.
        field: String,
        /// The value it must have.
        value: bool,
    },
    /// The field (a string or a list of strings) holds at least one of these values.
    AnyOf {
        /// The payload field.
        field: String,
        /// The values, any of which matches.
        values: Vec<String>,
    },
    /// The field is a number within these bounds (inclusive).
    Range {
        /// The payload field.
        field: String,
        /// Lower bound, if any.
        gte: Option<f64>,
        /// Upper bound, if any.
        lte: Option<f64>,
    },
}

/// How the HNSW graph is built and searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Links per node.
    pub m: usize,
    /// Beam width while building.
    pub ef_construct: usize,
    /// Beam width while searching.
    pub ef: usize,
    /// Keep an int8 copy of the vectors (scalar quantization): the graph is searched on it,
    /// then twice the asked-for number of candidates are rescored on the full vectors.
    pub quantized: bool,
}

impl Default for Tuning {
    /// Denser links than Qdrant's defaults (16/100), a narrower search beam than before:
    /// measured with `shopkeeper bench memory` (half the points in another shop, so the
    /// filter works): 1M product titles (`catalog`) recall@10 0.995 at p99 6.3 ms (ef 512:
    /// 0.998 at 10.1 ms); 100k titles each embedded by the model, 0.975 (ef 512: 0.998).
    fn default() -> Self {
        Self {
            m: 32,
            ef_construct: 200,
            ef: 128,
            quantized: false,
        }
    }
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
    /// The `k` nearest points of `shop` and `kind` to `query` meeting every condition, best first.
    async fn search_where(
        &self,
        shop: &str,
        kind: Kind,
        query: &[f32],
        k: usize,
        conditions: &[Condition],
    ) -> Result<Vec<Hit>, VectorError>;
    /// The `k` nearest points of `shop` and `kind` to `query`, best first.
    async fn search(
        &self,
        shop: &str,
        kind: Kind,
        query: &[f32],
        k: usize,
    ) -> Result<Vec<Hit>, VectorError> {
        self.search_where(shop, kind, query, k, &[]).await
    }
    /// How many points `shop` holds of `kind`.
    async fn count(&self, shop: &str, kind: Kind) -> Result<u64, VectorError>;
    /// Source id -> content hash (the payload's `content_hash`) of every point of `shop` and
    /// `kind`: what an incremental sync compares against.
    async fn content_hashes(
        &self,
        shop: &str,
        kind: Kind,
    ) -> Result<HashMap<String, String>, VectorError>;
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
