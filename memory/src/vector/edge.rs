//! The embedded vector store: Qdrant's own engine (qdrant-edge) in-process,
//! persisted in a folder of the data directory. Its API is synchronous, so every
//! call runs on the blocking pool.

pub use super::Tuning;
use super::{
    Condition as Where, Hit, Kind, Point, VectorError, VectorStore, payload, point_uuid,
    source_and_hash,
};
use async_trait::async_trait;
use qdrant_edge::{
    Condition, CountRequest, CreateIndex, DEFAULT_VECTOR_NAME, Distance, EdgeConfig, EdgeShard,
    EdgeVectorParams, FieldCondition, FieldIndexOperations, Filter, HnswIndexConfig, JsonPath,
    Match, MatchValue, NamedQuery, PayloadFieldSchema, PayloadSchemaType, PointId,
    PointInsertOperations, PointOperations, PointStruct, QuantizationConfig,
    QuantizationSearchParams, QueryEnum, ScrollRequest, SearchParams, SearchRequest,
    UpdateOperation, ValueVariants, Vectors, WithPayloadInterface, WithVector,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// How an embedded store is laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Segments (each searched in turn).
    pub segments: usize,
    /// Points stored.
    pub points: usize,
    /// Vectors in a segment's HNSW graph (the rest are scanned).
    pub indexed: usize,
}

/// Vectors in an in-process Qdrant shard.
#[derive(Clone)]
pub struct EdgeStore {
    shard: Arc<EdgeShard>,
    dimensions: usize,
    tuning: Tuning,
}

impl std::fmt::Debug for EdgeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeStore")
            .field("dimensions", &self.dimensions)
            .finish_non_exhaustive()
    }
}

fn store_err(e: impl std::fmt::Display) -> VectorError {
    VectorError::Store(e.to_string())
}

fn path(field: &str) -> Result<JsonPath, VectorError> {
    field
        .parse()
        .map_err(|()| VectorError::Store(format!("invalid payload field {field:?}")))
}

fn keyword(field: &str, value: &str) -> Result<Condition, VectorError> {
    Ok(Condition::Field(FieldCondition::new_match(
        path(field)?,
        Match::Value(MatchValue {
            value: ValueVariants::String(value.to_string()),
        }),
    )))
}

/// One of our conditions as Qdrant's: built from Qdrant's REST form, which keeps the
/// engine's float wrapper types out of our code.
fn condition(c: &Where) -> Result<Condition, VectorError> {
    let rest = match c {
        Where::Keyword { field, value } => json!({"key": field, "match": {"value": value}}),
        Where::Flag { field, value } => json!({"key": field, "match": {"value": value}}),
        Where::AnyOf { field, values } => json!({"key": field, "match": {"any": values}}),
        Where::Range { field, gte, lte } => {
            json!({"key": field, "range": {"gte": gte, "lte": lte}})
        }
    };
    serde_json::from_value(rest).map_err(|e| VectorError::Store(format!("condition {c:?}: {e}")))
}

/// Scalar (int8) quantization, kept in RAM; built from Qdrant's REST form because the
/// engine does not re-export the wrapper type.
fn int8() -> Result<QuantizationConfig, VectorError> {
    serde_json::from_value(
        json!({"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}),
    )
    .map_err(|e| VectorError::Store(format!("quantization config: {e}")))
}

fn scope(shop: &str, kind: Kind, extra: &[Where]) -> Result<Filter, VectorError> {
    let mut must = vec![keyword("shop", shop)?, keyword("kind", kind.as_str())?];
    for c in extra {
        must.push(condition(c)?);
    }
    Ok(Filter {
        should: None,
        min_should: None,
        must: Some(must),
        must_not: None,
    })
}

fn payload_map(payload: Option<qdrant_edge::Payload>) -> Map<String, Value> {
    payload
        .map(|pl| pl.0.into_iter().collect())
        .unwrap_or_default()
}

impl EdgeStore {
    /// Opens (creating if needed) the store in `dir` for `dimensions`-d cosine vectors.
    pub async fn open(dir: &Path, dimensions: usize) -> Result<Self, VectorError> {
        Self::open_tuned(dir, dimensions, Tuning::default()).await
    }

    /// `open`, with explicit HNSW settings (the build settings apply to a new store).
    pub async fn open_tuned(
        dir: &Path,
        dimensions: usize,
        tuning: Tuning,
    ) -> Result<Self, VectorError> {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || {
            // qdrant-edge wants its folder to exist.
            std::fs::create_dir_all(&dir).map_err(store_err)?;
            let config = EdgeConfig {
                vectors: HashMap::from([(
                    DEFAULT_VECTOR_NAME.to_string(),
                    EdgeVectorParams::builder(dimensions, Distance::Cosine).build(),
                )]),
                hnsw_config: HnswIndexConfig {
                    m: tuning.m,
                    ef_construct: tuning.ef_construct,
                    ..HnswIndexConfig::default()
                },
                quantization_config: if tuning.quantized {
                    Some(int8()?)
                } else {
                    None
                },
                ..EdgeConfig::default()
            };
            let shard = EdgeShard::load(&dir, Some(config)).map_err(store_err)?;
            for field in ["shop", "kind", "source_id"] {
                shard
                    .update(UpdateOperation::FieldIndexOperation(
                        FieldIndexOperations::CreateIndex(CreateIndex {
                            field_name: path(field)?,
                            field_schema: Some(PayloadFieldSchema::FieldType(
                                PayloadSchemaType::Keyword,
                            )),
                        }),
                    ))
                    .map_err(store_err)?;
            }
            Ok(Self {
                shard: Arc::new(shard),
                dimensions,
                tuning,
            })
        })
        .await
        .map_err(store_err)?
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&EdgeShard) -> Result<T, VectorError> + Send + 'static,
    ) -> Result<T, VectorError> {
        let shard = self.shard.clone();
        tokio::task::spawn_blocking(move || f(&shard))
            .await
            .map_err(store_err)?
    }

    /// The same store, searched with beam width `ef` (the graph is not rebuilt).
    pub fn with_ef(&self, ef: usize) -> Self {
        Self {
            tuning: Tuning { ef, ..self.tuning },
            ..self.clone()
        }
    }

    /// Builds the HNSW index and merges segments (Qdrant's optimizers), e.g. after a bulk load.
    pub async fn optimize(&self) -> Result<(), VectorError> {
        self.blocking(|s| s.optimize().map(|_| ()).map_err(store_err))
            .await
    }

    /// How the shard is laid out: segments, and how many vectors are in a graph index.
    pub async fn layout(&self) -> Result<Layout, VectorError> {
        self.blocking(|s| {
            let info = s.info();
            Ok(Layout {
                segments: info.segments_count,
                points: info.points_count,
                indexed: info.indexed_vectors_count,
            })
        })
        .await
    }

    /// Writes everything to disk.
    pub async fn flush(&self) -> Result<(), VectorError> {
        self.blocking(|s| {
            s.flush();
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl VectorStore for EdgeStore {
    async fn upsert(&self, points: Vec<Point>) -> Result<(), VectorError> {
        if let Some(p) = points.iter().find(|p| p.vector.len() != self.dimensions) {
            return Err(VectorError::Dimensions {
                expected: self.dimensions,
                got: p.vector.len(),
            });
        }
        let structs = points
            .iter()
            .map(|p| {
                let id = PointId::Uuid(point_uuid(&p.shop, p.kind, &p.source_id));
                PointStruct::new(
                    id,
                    Vectors::from(p.vector.clone()),
                    Value::Object(payload(p)),
                )
                .into()
            })
            .collect();
        self.blocking(move |s| {
            s.update(UpdateOperation::PointOperation(
                PointOperations::UpsertPoints(PointInsertOperations::PointsList(structs)),
            ))
            .map_err(store_err)
        })
        .await
    }

    async fn delete(
        &self,
        shop: &str,
        kind: Kind,
        source_ids: &[String],
    ) -> Result<(), VectorError> {
        let ids: Vec<PointId> = source_ids
            .iter()
            .map(|id| PointId::Uuid(point_uuid(shop, kind, id)))
            .collect();
        self.blocking(move |s| {
            s.update(UpdateOperation::PointOperation(
                PointOperations::DeletePoints { ids },
            ))
            .map_err(store_err)
        })
        .await
    }

    async fn search_where(
        &self,
        shop: &str,
        kind: Kind,
        query: &[f32],
        k: usize,
        conditions: &[Where],
    ) -> Result<Vec<Hit>, VectorError> {
        if query.len() != self.dimensions {
            return Err(VectorError::Dimensions {
                expected: self.dimensions,
                got: query.len(),
            });
        }
        let request = SearchRequest {
            query: QueryEnum::Nearest(NamedQuery {
                query: query.to_vec().into(),
                using: None,
            }),
            filter: Some(scope(shop, kind, conditions)?),
            params: Some(SearchParams {
                hnsw_ef: Some(self.tuning.ef.max(k)),
                quantization: self.tuning.quantized.then_some(QuantizationSearchParams {
                    ignore: false,
                    rescore: Some(true),
                    oversampling: Some(2.0),
                }),
                ..SearchParams::default()
            }),
            limit: k,
            offset: 0,
            with_payload: Some(WithPayloadInterface::Bool(true)),
            with_vector: Some(WithVector::Bool(false)),
            score_threshold: None,
        };
        let found = self
            .blocking(move |s| s.search(request).map_err(store_err))
            .await?;
        Ok(found
            .into_iter()
            .map(|p| Hit::new(payload_map(p.payload), p.score))
            .collect())
    }

    async fn count(&self, shop: &str, kind: Kind) -> Result<u64, VectorError> {
        let request = CountRequest {
            filter: Some(scope(shop, kind, &[])?),
            exact: true,
        };
        self.blocking(move |s| s.count(request).map(|n| n as u64).map_err(store_err))
            .await
    }

    async fn content_hashes(
        &self,
        shop: &str,
        kind: Kind,
    ) -> Result<HashMap<String, String>, VectorError> {
        let filter = scope(shop, kind, &[])?;
        self.blocking(move |s| {
            let mut hashes = HashMap::new();
            let mut offset = None;
            loop {
                let (records, next) = s
                    .scroll(ScrollRequest {
                        offset,
                        limit: Some(1000),
                        filter: Some(filter.clone()),
                        with_payload: Some(WithPayloadInterface::Bool(true)),
                        with_vector: WithVector::Bool(false),
                        order_by: None,
                    })
                    .map_err(store_err)?;
                hashes.extend(
                    records
                        .into_iter()
                        .filter_map(|r| source_and_hash(&payload_map(r.payload))),
                );
                match next {
                    Some(n) => offset = Some(n),
                    None => return Ok(hashes),
                }
            }
        })
        .await
    }
}
