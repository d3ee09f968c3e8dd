//! Embeddings: text to vectors, by a local model run in-process (the default) or
//! an OpenAI-compatible `/embeddings` endpoint.

#[cfg(feature = "local-embeddings")]
pub mod minilm;
pub mod models;
pub mod openai;

use async_trait::async_trait;

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model's files are not in the data directory.
    #[error("the embedding model is not installed in {dir}: run `shopkeeper models fetch`")]
    NoModel {
        /// Where they were looked for.
        dir: String,
    },
    /// A model file exists but does not match its pinned checksum.
    #[error(
        "{file} does not match its pinned sha256 (got {got}); run `shopkeeper models fetch` again"
    )]
    Checksum {
        /// The file.
        file: String,
        /// Its actual sha256.
        got: String,
    },
    /// The model could not be loaded or run.
    #[error("embedding model error: {0}")]
    Model(String),
    /// The embeddings endpoint answered with an error.
    #[error("the embeddings server answered {status}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// The endpoint could not be reached.
    #[error("cannot reach the embeddings server: {0}")]
    Transport(String),
    /// The endpoint's answer is not a list of embeddings.
    #[error("invalid embeddings answer: {0}")]
    Invalid(String),
}

/// Turns texts into vectors of a fixed dimension, L2-normalised.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name.
    fn model(&self) -> &str;
    /// The vectors' dimension.
    fn dimensions(&self) -> usize;
    /// One vector per text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Dot product of two vectors: the cosine similarity when both have length 1.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot = dot(a, b);
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
