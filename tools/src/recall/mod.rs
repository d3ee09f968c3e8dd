//! Memory the agent can search: products and customers embedded into the vector
//! store, customer profiles that join a person's records across connectors, and
//! notes it was asked to remember.

pub mod apply;
pub mod documents;
pub mod lexical;
pub mod sync;
pub mod timeline;
pub mod tools;

use crate::error::ToolError;
use shopkeeper_memory::embed::Embedder;
use shopkeeper_memory::profiles::Profiles;
use shopkeeper_memory::vector::VectorStore;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The embedding model and the vector store, opened together.
#[derive(Clone)]
pub struct Backends {
    /// Turns text into vectors.
    pub embedder: Arc<dyn Embedder>,
    /// Holds the vectors.
    pub vectors: Arc<dyn VectorStore>,
}

/// Opens the backends on first use; fails with a message that says how to set them up.
pub type Opener =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Backends, String>> + Send>> + Send + Sync>;

/// A shop's memory: profiles at once, embeddings and vectors when first needed
/// (loading the model costs time that commands which never search should not pay).
#[derive(Clone)]
pub struct Recall {
    shop: String,
    profiles: Profiles,
    backends: Arc<OnceCell<Backends>>,
    opener: Opener,
}

impl std::fmt::Debug for Recall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recall")
            .field("shop", &self.shop)
            .finish_non_exhaustive()
    }
}

impl Recall {
    /// Memory for `shop`, opening the backends through `opener` on first use.
    pub fn new(shop: impl Into<String>, profiles: Profiles, opener: Opener) -> Self {
        Self {
            shop: shop.into(),
            profiles,
            backends: Arc::new(OnceCell::new()),
            opener,
        }
    }

    /// Memory for `shop` over backends already open.
    pub fn with_backends(shop: impl Into<String>, profiles: Profiles, backends: Backends) -> Self {
        let ready = backends.clone();
        Self {
            shop: shop.into(),
            profiles,
            backends: Arc::new(OnceCell::new_with(Some(backends))),
            opener: Arc::new(move || {
                let b = ready.clone();
                Box::pin(async move { Ok(b) })
            }),
        }
    }

    /// The shop this memory belongs to.
    pub fn shop(&self) -> &str {
        &self.shop
    }

    /// Customer profiles and notes.
    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// The embedding model and vector store, opened on first call.
    pub async fn backends(&self) -> Result<&Backends, ToolError> {
        self.backends
            .get_or_try_init(|| (self.opener)())
            .await
            .map_err(ToolError::Memory)
    }

    /// One text's vector.
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>, ToolError> {
        let backends = self.backends().await?;
        backends
            .embedder
            .embed(&[text.to_string()])
            .await
            .map_err(|e| ToolError::Memory(e.to_string()))?
            .pop()
            .ok_or_else(|| ToolError::Memory("the embedder returned no vector".into()))
    }
}
