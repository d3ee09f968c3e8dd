//! The embedded vector store: scoped by shop and kind, upserts replace, deletes
//! remove, and everything survives a reopen.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "embedded-vectors")]

use serde_json::{Map, Value, json};
use shopkeeper_memory::vector::edge::EdgeStore;
use shopkeeper_memory::vector::{Kind, Point, VectorError, VectorStore};

fn point(shop: &str, kind: Kind, id: &str, v: [f32; 4]) -> Point {
    let mut extra = Map::new();
    extra.insert("name".into(), Value::String(format!("{id} of {shop}")));
    Point {
        shop: shop.into(),
        kind,
        source_id: id.into(),
        vector: v.to_vec(),
        extra,
    }
}

#[tokio::test]
async fn search_is_scoped_to_shop_and_kind_and_ordered_by_similarity() {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&dir.path().join("vectors"), 4)
        .await
        .unwrap();
    store
        .upsert(vec![
            point("acme", Kind::Product, "p1", [1.0, 0.0, 0.0, 0.0]),
            point("acme", Kind::Product, "p2", [0.7, 0.7, 0.0, 0.0]),
            point("acme", Kind::Product, "p3", [0.0, 0.0, 1.0, 0.0]),
            point("acme", Kind::Customer, "c1", [1.0, 0.0, 0.0, 0.0]),
            point("other", Kind::Product, "x1", [1.0, 0.0, 0.0, 0.0]),
        ])
        .await
        .unwrap();
    let hits = store
        .search("acme", Kind::Product, &[1.0, 0.1, 0.0, 0.0], 10)
        .await
        .unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.source_id.as_str()).collect();
    assert_eq!(
        ids,
        ["p1", "p2", "p3"],
        "only acme's products, nearest first"
    );
    assert!(hits[0].score > hits[1].score && hits[1].score > hits[2].score);
    assert_eq!(hits[0].payload["shop"], json!("acme"));
    assert_eq!(hits[0].payload["kind"], json!("product"));
    assert_eq!(hits[0].payload["name"], json!("p1 of acme"));
    assert_eq!(store.count("acme", Kind::Product).await.unwrap(), 3);
    assert_eq!(store.count("acme", Kind::Customer).await.unwrap(), 1);
    assert_eq!(store.count("other", Kind::Customer).await.unwrap(), 0);
    assert_eq!(
        store
            .search("acme", Kind::Product, &[1.0, 0.0, 0.0, 0.0], 1)
            .await
            .unwrap()
            .len(),
        1,
        "top-k"
    );
    let wrong = store
        .search("acme", Kind::Product, &[1.0, 0.0], 3)
        .await
        .unwrap_err();
    assert!(matches!(
        wrong,
        VectorError::Dimensions {
            expected: 4,
            got: 2
        }
    ));
}

#[tokio::test]
async fn upserts_replace_deletes_remove_and_a_reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors");
    {
        let store = EdgeStore::open(&path, 4).await.unwrap();
        store
            .upsert(vec![
                point("acme", Kind::Note, "n1", [1.0, 0.0, 0.0, 0.0]),
                point("acme", Kind::Note, "n2", [0.0, 1.0, 0.0, 0.0]),
            ])
            .await
            .unwrap();
        // The same record again: replaced, not duplicated.
        store
            .upsert(vec![point("acme", Kind::Note, "n1", [0.0, 0.0, 0.0, 1.0])])
            .await
            .unwrap();
        assert_eq!(store.count("acme", Kind::Note).await.unwrap(), 2);
        let top = store
            .search("acme", Kind::Note, &[0.0, 0.0, 0.0, 1.0], 1)
            .await
            .unwrap();
        assert_eq!(top[0].source_id, "n1", "the new vector replaced the old");
        store
            .delete("acme", Kind::Note, &["n2".to_string()])
            .await
            .unwrap();
        assert_eq!(store.count("acme", Kind::Note).await.unwrap(), 1);
        store.flush().await.unwrap();
    }
    let reopened = EdgeStore::open(&path, 4).await.unwrap();
    assert_eq!(reopened.count("acme", Kind::Note).await.unwrap(), 1);
    let top = reopened
        .search("acme", Kind::Note, &[0.0, 0.0, 0.0, 1.0], 5)
        .await
        .unwrap();
    assert_eq!(
        top.iter().map(|h| h.source_id.as_str()).collect::<Vec<_>>(),
        ["n1"]
    );
}
