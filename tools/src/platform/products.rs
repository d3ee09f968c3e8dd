//! Product lookups by id, handle or SKU.

use super::{Shop, to_value};
use crate::commerce::request::product_ref;
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Arguments of `get_product`: exactly one of id, handle or sku.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProductArgs {
    /// The product's id, e.g. "gid://shopify/Product/1" or "6086499569".
    #[serde(default)]
    pub id: Option<String>,
    /// The product's URL handle, e.g. "classic-t-shirt".
    #[serde(default)]
    pub handle: Option<String>,
    /// The SKU of one of its variants, e.g. "TSHIRT-BLU-M".
    #[serde(default)]
    pub sku: Option<String>,
}

/// `get_product`.
pub struct GetProduct(pub Shop);

#[async_trait]
impl Tool for GetProduct {
    type Args = GetProductArgs;
    const NAME: &'static str = "get_product";
    const DESCRIPTION: &'static str = "Get a product by its id, URL handle or a variant's SKU (give exactly one): title, status, vendor, type, tags, description, and every variant with SKU, options, price, stock and availability.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show the product with sku TSHIRT-BLU-M",
        "what is sku HOODIE-GRY-L",
        "show product with handle classic-t-shirt",
    ];

    async fn call(&self, a: GetProductArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let Some(by) = product_ref(a.id.as_deref(), a.handle.as_deref(), a.sku.as_deref()) else {
            return Err(ToolError::invalid(
                Self::NAME,
                "give exactly one of id, handle or sku",
            ));
        };
        to_value(&self.0.product(&by).await?)
    }

    async fn render(&self, a: &GetProductArgs) -> String {
        match product_ref(a.id.as_deref(), a.handle.as_deref(), a.sku.as_deref()) {
            Some(by) => format!("Show the {by}"),
            None => "Show a product".into(),
        }
    }
}
