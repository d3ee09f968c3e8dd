//! Which intent a request is: cosine similarity of its embedding to the example
//! requests of every tool and conversational intent, computed once up front.

use shopkeeper_memory::embed::{EmbedError, Embedder, dot};
use std::sync::Arc;

/// A conversational intent, answered without a tool.
pub const GREETING: &str = "greeting";
/// Asking what Shopkeeper can do.
pub const HELP: &str = "help";
/// Thanks, goodbyes.
pub const THANKS: &str = "thanks";

/// Example requests of the conversational intents.
pub const CHAT_EXAMPLES: &[(&str, &[&str])] = &[
    (
        GREETING,
        &[
            "hi",
            "hello",
            "hey there",
            "good morning",
            "hi shopkeeper",
            "hello, anyone there?",
        ],
    ),
    (
        HELP,
        &[
            "what can you do",
            "help",
            "how does this work",
            "what can I ask you",
            "which commands are there",
            "what are you able to help me with",
        ],
    ),
    (
        THANKS,
        &[
            "thanks",
            "thank you so much",
            "great, thanks",
            "bye",
            "that's all, cheers",
            "perfect, thank you",
        ],
    ),
];

/// A label and how close the request is to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// A tool name or a conversational intent.
    pub label: String,
    /// Highest cosine similarity to one of its examples.
    pub score: f32,
}

/// Example embeddings per label.
pub struct Classifier {
    embedder: Arc<dyn Embedder>,
    examples: Vec<(String, Vec<f32>)>,
    products: Vec<String>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("examples", &self.examples.len())
            .finish_non_exhaustive()
    }
}

impl Classifier {
    /// Embeds every `(label, examples)` once; `products` are the catalog's product names,
    /// masked like identifiers (a product's name says nothing about what is asked of it).
    pub async fn new(
        embedder: Arc<dyn Embedder>,
        labelled: Vec<(String, Vec<String>)>,
        products: Vec<String>,
    ) -> Result<Self, EmbedError> {
        let mut products: Vec<String> = products.into_iter().map(|p| p.to_lowercase()).collect();
        // Longest first, so "smart watch" is masked before "watch".
        products.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let (labels, texts): (Vec<String>, Vec<String>) = labelled
            .into_iter()
            .flat_map(|(label, texts)| texts.into_iter().map(move |t| (label.clone(), t)))
            .unzip();
        let masked: Vec<String> = texts
            .iter()
            .map(|t| super::extract::mask(t, &products))
            .collect();
        let vectors = embedder.embed(&masked).await?;
        Ok(Self {
            embedder,
            examples: labels.into_iter().zip(vectors).collect(),
            products,
        })
    }

    /// The catalog product `text` names, if any (lower case).
    pub fn product_in(&self, text: &str) -> Option<&str> {
        let lower = text.to_lowercase();
        self.products
            .iter()
            .find(|p| lower.contains(p.as_str()))
            .map(String::as_str)
    }

    /// Every label with its best similarity to `text`, best first.
    pub async fn rank(&self, text: &str) -> Result<Vec<Scored>, EmbedError> {
        let query = self
            .embedder
            .embed(&[super::extract::mask(text, &self.products)])
            .await?
            .pop()
            .unwrap_or_default();
        let mut best: Vec<Scored> = Vec::new();
        for (label, v) in &self.examples {
            // Vectors are L2-normalised: the dot product is the cosine.
            let score = dot(&query, v);
            match best.iter_mut().find(|s| &s.label == label) {
                Some(s) if s.score < score => s.score = score,
                Some(_) => {}
                None => best.push(Scored {
                    label: label.clone(),
                    score,
                }),
            }
        }
        best.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(best)
    }
}
