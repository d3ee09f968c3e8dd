//! The same contract for every vector backend: filters on payload fields, content
//! hashes for incremental sync, deletes. The embedded store always runs; a Qdrant
//! server runs where `QDRANT_URL` points at one (its gRPC port).

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Map, json};
use shopkeeper_memory::vector::{CONTENT_HASH, Condition, Kind, Point, VectorStore};
use std::collections::HashMap;

fn product(shop: &str, id: &str, v: [f32; 4], price: f64, available: bool) -> Point {
    let mut extra = Map::new();
    extra.insert("min_price".into(), json!(price));
    extra.insert("available".into(), json!(available));
    extra.insert(CONTENT_HASH.into(), json!(format!("h-{id}")));
    extra.insert("tokens".into(), json!([id, "shared"]));
    Point {
        shop: shop.into(),
        kind: Kind::Product,
        source_id: id.into(),
        vector: v.to_vec(),
        extra,
    }
}

async fn contract(store: &dyn VectorStore, shop: &str) {
    store
        .upsert(vec![
            product(shop, "cheap", [1.0, 0.0, 0.0, 0.0], 10.0, true),
            product(shop, "dear", [0.9, 0.1, 0.0, 0.0], 500.0, true),
            product(shop, "gone", [0.8, 0.2, 0.0, 0.0], 20.0, false),
            product(
                &format!("{shop}-other"),
                "x",
                [1.0, 0.0, 0.0, 0.0],
                1.0,
                true,
            ),
        ])
        .await
        .unwrap();
    let q = [1.0, 0.0, 0.0, 0.0];
    let ids = |hits: Vec<shopkeeper_memory::vector::Hit>| -> Vec<String> {
        hits.into_iter().map(|h| h.source_id).collect()
    };
    let all = store.search(shop, Kind::Product, &q, 10).await.unwrap();
    assert_eq!(ids(all), ["cheap", "dear", "gone"]);
    let in_stock = store
        .search_where(
            shop,
            Kind::Product,
            &q,
            10,
            &[Condition::Flag {
                field: "available".into(),
                value: true,
            }],
        )
        .await
        .unwrap();
    assert_eq!(ids(in_stock), ["cheap", "dear"]);
    let under_100 = store
        .search_where(
            shop,
            Kind::Product,
            &q,
            10,
            &[Condition::Range {
                field: "min_price".into(),
                gte: None,
                lte: Some(100.0),
            }],
        )
        .await
        .unwrap();
    assert_eq!(ids(under_100), ["cheap", "gone"]);
    let both = store
        .search_where(
            shop,
            Kind::Product,
            &q,
            10,
            &[
                Condition::Range {
                    field: "min_price".into(),
                    gte: Some(15.0),
                    lte: None,
                },
                Condition::Keyword {
                    field: "source_id".into(),
                    value: "gone".into(),
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(ids(both), ["gone"]);
    let any = store
        .search_where(
            shop,
            Kind::Product,
            &q,
            10,
            &[Condition::AnyOf {
                field: "tokens".into(),
                values: vec!["dear".into(), "gone".into(), "nothing".into()],
            }],
        )
        .await
        .unwrap();
    assert_eq!(ids(any), ["dear", "gone"]);

    let hashes = store.content_hashes(shop, Kind::Product).await.unwrap();
    let expected: HashMap<String, String> = ["cheap", "dear", "gone"]
        .iter()
        .map(|id| (id.to_string(), format!("h-{id}")))
        .collect();
    assert_eq!(hashes, expected);
    assert!(
        store
            .content_hashes(shop, Kind::Customer)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .delete(shop, Kind::Product, &["gone".to_string()])
        .await
        .unwrap();
    assert_eq!(store.count(shop, Kind::Product).await.unwrap(), 2);
    assert_eq!(
        store
            .count(&format!("{shop}-other"), Kind::Product)
            .await
            .unwrap(),
        1
    );
}

#[cfg(feature = "embedded-vectors")]
#[tokio::test]
async fn embedded_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = shopkeeper_memory::vector::edge::EdgeStore::open(&dir.path().join("v"), 4)
        .await
        .unwrap();
    contract(&store, "acme").await;
    // Many points: hashes page through the whole set.
    let many: Vec<Point> = (0..2500)
        .map(|i| {
            product(
                "bulk",
                &format!("p{i}"),
                [1.0, i as f32, 0.5, 0.0],
                1.0,
                true,
            )
        })
        .collect();
    store.upsert(many).await.unwrap();
    assert_eq!(
        store
            .content_hashes("bulk", Kind::Product)
            .await
            .unwrap()
            .len(),
        2500
    );
    drop(store);
}

#[cfg(feature = "qdrant-server")]
#[tokio::test]
async fn qdrant_server_keeps_the_contract() {
    let Ok(url) = std::env::var("QDRANT_URL") else {
        eprintln!("notice: QDRANT_URL is not set; skipping the Qdrant server test");
        return;
    };
    let collection = format!("shopkeeper_test_{}", std::process::id());
    let store = shopkeeper_memory::vector::server::ServerStore::connect(
        &url,
        std::env::var("QDRANT_API_KEY").ok(),
        &collection,
        4,
    )
    .await
    .unwrap();
    contract(&store, "acme").await;
    store.drop_collection().await.unwrap();
}
