//! An OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM, llama.cpp...).

use super::{EmbedError, Embedder};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// Embeddings from an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiEmbedder {
    client: reqwest::Client,
    base_url: String,
    api_key: String,
    model: String,
    dimensions: usize,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl OpenAiEmbedder {
    /// An embedder for `model` at `base_url` (up to `/v1`), producing `dimensions`-d vectors.
    pub fn new(
        base_url: &str,
        api_key: &str,
        model: &str,
        dimensions: usize,
        timeout: Duration,
    ) -> Result<Self, EmbedError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| EmbedError::Transport(e.to_string()))?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').into(),
            api_key: api_key.into(),
            model: model.into(),
            dimensions,
        })
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let response = self
            .client
            .post(format!("{}/embeddings", self.base_url))
            .bearer_auth(&self.api_key)
            .json(&json!({"model": self.model, "input": texts}))
            .send()
            .await
            .map_err(|e| EmbedError::Transport(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let message = response.text().await.unwrap_or_default();
            return Err(EmbedError::Http {
                status: status.as_u16(),
                message: message.chars().take(300).collect(),
            });
        }
        let mut answer: Answer = response
            .json()
            .await
            .map_err(|e| EmbedError::Invalid(e.to_string()))?;
        if answer.data.len() != texts.len() {
            return Err(EmbedError::Invalid(format!(
                "{} embeddings for {} texts",
                answer.data.len(),
                texts.len()
            )));
        }
        answer.data.sort_by_key(|i| i.index);
        let mut out = Vec::with_capacity(texts.len());
        for item in answer.data {
            if item.embedding.len() != self.dimensions {
                return Err(EmbedError::Invalid(format!(
                    "{} dimensions, expected {}",
                    item.embedding.len(),
                    self.dimensions
                )));
            }
            let norm: f32 = item.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
            out.push(if norm > 0.0 {
                item.embedding.iter().map(|x| x / norm).collect()
            } else {
                item.embedding
            });
        }
        Ok(out)
    }
}
