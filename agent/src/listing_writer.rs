//! Listings written by the configured model as structured output against the
//! listing type's JSON schema; the catalog tool validates what comes back.

use crate::llm::openai::OpenAiModel;
use crate::prompts::Prompts;
use async_trait::async_trait;
use serde_json::json;
use shopkeeper_tools::catalog::ListingWriter;
use shopkeeper_tools::catalog::listing::{Listing, ListingInput};
use shopkeeper_tools::schema::parameters_schema;

/// A `ListingWriter` backed by an OpenAI-compatible model.
#[derive(Debug, Clone)]
pub struct ModelListingWriter {
    model: OpenAiModel,
    prompts: Prompts,
    store_name: String,
}

impl ModelListingWriter {
    /// Writes listings with `model`, instructed by the `listing.md.j2` prompt.
    pub fn new(model: OpenAiModel, prompts: Prompts, store_name: String) -> Self {
        Self {
            model,
            prompts,
            store_name,
        }
    }
}

#[async_trait]
impl ListingWriter for ModelListingWriter {
    async fn write(
        &self,
        input: &ListingInput,
        categories: &[(String, String)],
    ) -> Result<Listing, String> {
        let system = self
            .prompts
            .listing(&self.store_name)
            .map_err(|e| e.to_string())?;
        let candidates: Vec<_> = categories
            .iter()
            .map(|(gid, path)| json!({"gid": gid, "path": path}))
            .collect();
        let user = json!({"product": input, "category_candidates": candidates}).to_string();
        let schema = parameters_schema::<Listing>();
        let value = self
            .model
            .structured(&system, &user, "product_listing", &schema)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_value(value)
            .map_err(|e| format!("the model's listing does not fit the schema: {e}"))
    }
}
