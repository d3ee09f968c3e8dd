//! The local MiniLM embedder against reference vectors computed by an independent
//! route (a NumPy BERT forward pass, `scripts/minilm_reference.py`).

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "local-embeddings")]

use serde_json::Value;
use shopkeeper_memory::DataDir;
use shopkeeper_memory::embed::minilm::MiniLm;
use shopkeeper_memory::embed::models::{MINILM, model_dir, verify};
use shopkeeper_memory::embed::{Embedder, cosine};

const REFERENCE: &str = include_str!("fixtures/minilm_reference.json");

/// The installed model, or `None` with a notice (CI fetches it; see .ci/run).
fn model() -> Option<MiniLm> {
    let dir = model_dir(&DataDir::resolve().ok()?, &MINILM);
    if verify(&dir, &MINILM).is_err() {
        eprintln!(
            "notice: no embedding model in {}; run `shopkeeper models fetch` (or set SHOPKEEPER_MODEL_DIR) to run this test",
            dir.display()
        );
        return None;
    }
    Some(MiniLm::load(&dir).unwrap())
}

#[tokio::test]
async fn vectors_match_an_independent_implementation() {
    let Some(model) = model() else { return };
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let sentences: Vec<String> = reference["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let ours = model.embed(&sentences).await.unwrap();
    assert_eq!(ours.len(), sentences.len());
    for (i, v) in ours.iter().enumerate() {
        assert_eq!(v.len(), 384);
        let expected: Vec<f32> = reference["vectors"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let c = cosine(v, &expected);
        assert!(c >= 0.999, "{:?}: cosine {c}", sentences[i]);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "L2-normalised");
    }
}

#[tokio::test]
async fn padding_in_a_batch_does_not_change_a_vector() {
    let Some(model) = model() else { return };
    let short = "blue shirt".to_string();
    let long = "a much longer sentence about a stainless steel water bottle that keeps drinks cold all day".to_string();
    let alone = model.embed(std::slice::from_ref(&short)).await.unwrap();
    let batched = model.embed(&[short, long]).await.unwrap();
    assert!(cosine(&alone[0], &batched[0]) > 0.9999);
    let similar = model
        .embed(&[
            "linen shirt, blue".into(),
            "blue linen shirt".into(),
            "garden hose 50ft".into(),
        ])
        .await
        .unwrap();
    assert!(
        cosine(&similar[0], &similar[1]) > cosine(&similar[0], &similar[2]),
        "meaning, not noise"
    );
}
