//! The OpenAI-compatible embeddings client against the scripted server on loopback.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shopkeeper_agent::llm::scripted::ScriptedServer;
use shopkeeper_memory::embed::openai::OpenAiEmbedder;
use shopkeeper_memory::embed::{EmbedError, Embedder, cosine};
use std::time::Duration;

#[tokio::test]
async fn embeddings_come_back_in_input_order_and_normalised() {
    shopkeeper_agent::install_crypto_provider();
    let server = ScriptedServer::start(Vec::new()).await.unwrap();
    let embedder = OpenAiEmbedder::new(
        &server.base_url(),
        "test",
        "text-embedding-3-small",
        8,
        Duration::from_secs(5),
    )
    .unwrap();
    let texts = vec![
        "blue shirt".to_string(),
        "water bottle".to_string(),
        "blue shirt".to_string(),
    ];
    let v = embedder.embed(&texts).await.unwrap();
    assert_eq!(v.len(), 3);
    assert!(
        cosine(&v[0], &v[2]) > 0.9999,
        "same text, same vector, despite the reversed answer"
    );
    assert!(cosine(&v[0], &v[1]) < 0.9999);
    assert!(
        v.iter()
            .all(|x| (x.iter().map(|a| a * a).sum::<f32>().sqrt() - 1.0).abs() < 1e-5)
    );
    assert!(embedder.embed(&[]).await.unwrap().is_empty());

    let wrong =
        OpenAiEmbedder::new(&server.base_url(), "test", "m", 384, Duration::from_secs(5)).unwrap();
    assert!(
        matches!(wrong.embed(&texts).await, Err(EmbedError::Invalid(_))),
        "a dimension mismatch is an error"
    );
    let nowhere = OpenAiEmbedder::new(
        "http://127.0.0.1:9/v1",
        "test",
        "m",
        8,
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(
        nowhere.embed(&texts).await,
        Err(EmbedError::Transport(_))
    ));
}
