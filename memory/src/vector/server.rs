//! The Qdrant server backend (gRPC through qdrant-client), for stores whose vectors
//! outgrow one process. One collection holds every shop and kind; each search
//! filters on both, through keyword payload indexes created with the collection.

use super::{
    Condition as Where, Hit, Kind, Point, VectorError, VectorStore, payload, point_uuid,
    source_and_hash,
};
use async_trait::async_trait;
use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, HnswConfigDiffBuilder, PointId, PointStruct,
    PointsIdsList, QueryPointsBuilder, Range, ScrollPointsBuilder, SearchParamsBuilder,
    UpsertPointsBuilder, VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Vectors in a collection of a Qdrant server.
pub struct ServerStore {
    client: Qdrant,
    collection: String,
    dimensions: usize,
    ef: u64,
}

impl std::fmt::Debug for ServerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStore")
            .field("collection", &self.collection)
            .field("dimensions", &self.dimensions)
            .finish_non_exhaustive()
    }
}

fn server_err(e: impl std::fmt::Display) -> VectorError {
    VectorError::Store(format!("qdrant server: {e}"))
}

fn scope(shop: &str, kind: Kind, extra: &[Where]) -> Filter {
    let mut must = vec![
        Condition::matches("shop", shop.to_string()),
        Condition::matches("kind", kind.as_str().to_string()),
    ];
    for c in extra {
        must.push(match c {
            Where::Keyword { field, value } => Condition::matches(field.as_str(), value.clone()),
            Where::Flag { field, value } => Condition::matches(field.as_str(), *value),
            Where::AnyOf { field, values } => Condition::matches(field.as_str(), values.clone()),
            Where::Range { field, gte, lte } => Condition::range(
                field.as_str(),
                Range {
                    gte: *gte,
                    lte: *lte,
                    ..Range::default()
                },
            ),
        });
    }
    Filter::must(must)
}

fn point_id(shop: &str, kind: Kind, source_id: &str) -> PointId {
    PointId::from(point_uuid(shop, kind, source_id).to_string())
}

fn to_json(payload: HashMap<String, qdrant_client::qdrant::Value>) -> Map<String, Value> {
    payload
        .into_iter()
        .map(|(k, v)| (k, v.into_json()))
        .collect()
}

impl ServerStore {
    /// Connects to the server at `url` (its gRPC port, usually 6334) and creates
    /// `collection` for `dimensions`-d cosine vectors if it does not exist.
    pub async fn connect(
        url: &str,
        api_key: Option<String>,
        collection: &str,
        dimensions: usize,
    ) -> Result<Self, VectorError> {
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .skip_compatibility_check()
            .build()
            .map_err(server_err)?;
        let tuning = super::Tuning::default();
        if !client
            .collection_exists(collection)
            .await
            .map_err(server_err)?
        {
            client
                .create_collection(
                    CreateCollectionBuilder::new(collection)
                        .vectors_config(VectorParamsBuilder::new(
                            dimensions as u64,
                            Distance::Cosine,
                        ))
                        .hnsw_config(
                            HnswConfigDiffBuilder::default()
                                .m(tuning.m as u64)
                                .ef_construct(tuning.ef_construct as u64),
                        ),
                )
                .await
                .map_err(server_err)?;
            for field in ["shop", "kind", "source_id"] {
                client
                    .create_field_index(
                        CreateFieldIndexCollectionBuilder::new(
                            collection,
                            field,
                            FieldType::Keyword,
                        )
                        .wait(true),
                    )
                    .await
                    .map_err(server_err)?;
            }
        }
        Ok(Self {
            client,
            collection: collection.to_string(),
            dimensions,
            ef: tuning.ef as u64,
        })
    }

    /// Drops the collection and everything in it.
    pub async fn drop_collection(&self) -> Result<(), VectorError> {
        self.client
            .delete_collection(self.collection.as_str())
            .await
            .map(|_| ())
            .map_err(server_err)
    }
}

#[async_trait]
impl VectorStore for ServerStore {
    async fn upsert(&self, points: Vec<Point>) -> Result<(), VectorError> {
        if let Some(p) = points.iter().find(|p| p.vector.len() != self.dimensions) {
            return Err(VectorError::Dimensions {
                expected: self.dimensions,
                got: p.vector.len(),
            });
        }
        if points.is_empty() {
            return Ok(());
        }
        let structs: Vec<PointStruct> = points
            .iter()
            .map(|p| {
                PointStruct::new(
                    point_id(&p.shop, p.kind, &p.source_id),
                    p.vector.clone(),
                    Payload::from(payload(p)),
                )
            })
            .collect();
        self.client
            .upsert_points(UpsertPointsBuilder::new(self.collection.as_str(), structs).wait(true))
            .await
            .map(|_| ())
            .map_err(server_err)
    }

    async fn delete(
        &self,
        shop: &str,
        kind: Kind,
        source_ids: &[String],
    ) -> Result<(), VectorError> {
        if source_ids.is_empty() {
            return Ok(());
        }
        let ids = PointsIdsList {
            ids: source_ids
                .iter()
                .map(|id| point_id(shop, kind, id))
                .collect(),
        };
        self.client
            .delete_points(
                DeletePointsBuilder::new(self.collection.as_str())
                    .points(ids)
                    .wait(true),
            )
            .await
            .map(|_| ())
            .map_err(server_err)
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
        let found = self
            .client
            .query(
                QueryPointsBuilder::new(self.collection.as_str())
                    .query(query.to_vec())
                    .filter(scope(shop, kind, conditions))
                    .params(SearchParamsBuilder::default().hnsw_ef(self.ef.max(k as u64)))
                    .limit(k as u64)
                    .with_payload(true),
            )
            .await
            .map_err(server_err)?;
        Ok(found
            .result
            .into_iter()
            .map(|p| Hit::new(to_json(p.payload), p.score))
            .collect())
    }

    async fn count(&self, shop: &str, kind: Kind) -> Result<u64, VectorError> {
        let counted = self
            .client
            .count(
                CountPointsBuilder::new(self.collection.as_str())
                    .filter(scope(shop, kind, &[]))
                    .exact(true),
            )
            .await
            .map_err(server_err)?;
        Ok(counted.result.map_or(0, |r| r.count))
    }

    async fn content_hashes(
        &self,
        shop: &str,
        kind: Kind,
    ) -> Result<HashMap<String, String>, VectorError> {
        let mut hashes = HashMap::new();
        let mut offset: Option<PointId> = None;
        loop {
            let mut request = ScrollPointsBuilder::new(self.collection.as_str())
                .filter(scope(shop, kind, &[]))
                .limit(1000)
                .with_payload(true)
                .with_vectors(false);
            if let Some(o) = offset.take() {
                request = request.offset(o);
            }
            let page = self.client.scroll(request).await.map_err(server_err)?;
            hashes.extend(
                page.result
                    .into_iter()
                    .filter_map(|p| source_and_hash(&to_json(p.payload))),
            );
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(hashes),
            }
        }
    }
}
