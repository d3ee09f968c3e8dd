//! all-MiniLM-L6-v2 run in-process on candle: BERT forward pass, masked mean
//! pooling, L2 normalisation, in batches.

use super::models::{MINILM, verify};
use super::{EmbedError, Embedder};
use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use std::sync::Arc;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Sentences per forward pass.
const BATCH: usize = 32;
/// The model was trained on at most 256 word pieces.
const MAX_TOKENS: usize = 256;

/// The local MiniLM embedder (384 dimensions).
#[derive(Clone)]
pub struct MiniLm {
    inner: Arc<Inner>,
}

struct Inner {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MiniLm")
    }
}

fn model_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Model(e.to_string())
}

impl MiniLm {
    /// Loads the verified files from `dir` (see `shopkeeper models fetch`).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        verify(dir, &MINILM)?;
        let device = Device::Cpu;
        let config: Config =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).map_err(model_err)?)
                .map_err(model_err)?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(model_err)?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(model_err)?;
        let weights = std::fs::read(dir.join("model.safetensors")).map_err(model_err)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(model_err)?;
        let model = BertModel::load(vb, &config).map_err(model_err)?;
        Ok(Self {
            inner: Arc::new(Inner {
                model,
                tokenizer,
                device,
            }),
        })
    }

    /// Embeds on the calling thread (CPU-bound; `embed` moves it off the async runtime).
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.inner.batch(batch)?);
        }
        Ok(out)
    }
}

impl Inner {
    fn batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(model_err)?;
        let ids: Vec<Tensor> = encodings
            .iter()
            .map(|e| Tensor::new(e.get_ids(), &self.device))
            .collect::<Result<_, _>>()
            .map_err(model_err)?;
        let masks: Vec<Tensor> = encodings
            .iter()
            .map(|e| Tensor::new(e.get_attention_mask(), &self.device))
            .collect::<Result<_, _>>()
            .map_err(model_err)?;
        let ids = Tensor::stack(&ids, 0).map_err(model_err)?;
        let mask = Tensor::stack(&masks, 0).map_err(model_err)?;
        let token_types = ids.zeros_like().map_err(model_err)?;
        let hidden = self
            .model
            .forward(&ids, &token_types, Some(&mask))
            .map_err(model_err)?;
        // Mean over real tokens only: padding must not dilute short sentences.
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(model_err)?
            .unsqueeze(2)
            .map_err(model_err)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|t| t.sum(1))
            .map_err(model_err)?;
        let counts = mask.sum(1).map_err(model_err)?;
        let mean = summed.broadcast_div(&counts).map_err(model_err)?;
        let norms = mean
            .sqr()
            .and_then(|t| t.sum_keepdim(1))
            .and_then(|t| t.sqrt())
            .map_err(model_err)?;
        let unit = mean.broadcast_div(&norms).map_err(model_err)?;
        unit.to_vec2::<f32>().map_err(model_err)
    }
}

#[async_trait]
impl Embedder for MiniLm {
    fn model(&self) -> &str {
        MINILM.name
    }

    fn dimensions(&self) -> usize {
        384
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let this = self.clone();
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || this.embed_blocking(&texts))
            .await
            .map_err(model_err)?
    }
}
