//! Catalog tools: draft a listing, create and update products, adjust stock,
//! suggest bundles, look up taxonomy categories.

use super::listing::{Listing, ListingInput, ListingStatus, diff, plain_draft};
use super::{Catalog, ListingWriter, taxonomy};
use crate::commerce::Commerce;
use crate::effect::Effect;
use crate::error::ToolError;
use crate::registry::Registry;
use crate::tool::{Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// What catalog tools act on.
#[derive(Clone)]
pub struct Shelf {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn Commerce>,
    writer: Option<Arc<dyn ListingWriter>>,
}

/// Registers the catalog tools; `writer` drafts listings with a model when one is configured.
pub fn register(
    registry: &mut Registry,
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn Commerce>,
    writer: Option<Arc<dyn ListingWriter>>,
) -> Result<(), ToolError> {
    let s = || Shelf {
        catalog: catalog.clone(),
        store: store.clone(),
        writer: writer.clone(),
    };
    registry.register(DraftProductListing(s()))?;
    registry.register(CreateProduct(s()))?;
    registry.register(UpdateProduct(s()))?;
    registry.register(AdjustInventory(s()))?;
    registry.register(SuggestBundles(s()))?;
    registry.register(SearchCategories)?;
    registry.register(GetProductListing(s()))?;
    Ok(())
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ToolError> {
    serde_json::to_value(v).map_err(|e| ToolError::Definition(e.to_string()))
}

fn checked(tool: &str, listing: &Listing) -> Result<(), ToolError> {
    let problems = listing.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ToolError::InvalidArguments {
            tool: tool.into(),
            problems,
        })
    }
}

fn category_name(gid: &str) -> String {
    taxonomy::get(gid).map_or_else(|| "(unknown category)".into(), |c| c.full_name())
}

/// `draft_product_listing`.
pub struct DraftProductListing(Shelf);

#[async_trait]
impl Tool for DraftProductListing {
    type Args = ListingInput;
    const NAME: &'static str = "draft_product_listing";
    const DESCRIPTION: &'static str = "Draft a product listing (title, HTML description, SEO title and meta description, tags, taxonomy category, variants) from a product's facts. Returns a validated draft; nothing is created until create_product.";
    const EFFECT: Effect = Effect::Draft;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "write a listing for our new linen shirt",
        "draft a product listing for a bamboo cutting board",
        "create a product description for a wool beanie",
    ];

    async fn call(&self, input: ListingInput) -> Result<Value, ToolError> {
        let query = format!(
            "{} {}",
            input.product_type.clone().unwrap_or_default(),
            input.name
        );
        let candidates: Vec<(String, String)> = taxonomy::search(&query, 8)
            .into_iter()
            .map(|(c, _)| (c.gid.to_string(), c.full_name()))
            .collect();
        let mut rejected = Vec::new();
        if let Some(writer) = &self.0.writer {
            match writer.write(&input, &candidates).await {
                Ok(mut listing) => {
                    // The model may not invent variants or prices: those come from the input.
                    let plain = plain_draft(&input);
                    listing.variants = plain.variants;
                    listing.status = ListingStatus::Draft;
                    let problems = listing.problems();
                    if problems.is_empty() {
                        return Ok(
                            json!({"listing": to_value(&listing)?, "category_name": category_name(&listing.category), "source": "model"}),
                        );
                    }
                    rejected = problems;
                }
                Err(e) => rejected.push(e),
            }
        }
        let listing = plain_draft(&input);
        checked(Self::NAME, &listing)?;
        Ok(
            json!({"listing": to_value(&listing)?, "category_name": category_name(&listing.category), "source": "plain", "model_draft_rejected": rejected}),
        )
    }

    async fn render(&self, input: &ListingInput) -> String {
        format!("Draft a listing for {}", input.name)
    }
}

/// Arguments of `create_product`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// The listing, usually from draft_product_listing.
    pub listing: Listing,
}

/// `create_product`.
pub struct CreateProduct(Shelf);

#[async_trait]
impl Tool for CreateProduct {
    type Args = CreateArgs;
    const NAME: &'static str = "create_product";
    const DESCRIPTION: &'static str = "Create a new product in the store from a listing (as a draft unless the listing says active).";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "publish the drafted listing",
        "create the product from this listing",
    ];

    async fn call(&self, a: CreateArgs) -> Result<Value, ToolError> {
        checked(Self::NAME, &a.listing)?;
        let (product_id, listing) = self.0.catalog.create_product(a.listing).await?;
        Ok(json!({"product_id": product_id, "listing": to_value(&listing)?}))
    }

    async fn render(&self, a: &CreateArgs) -> String {
        let status = format!("{:?}", a.listing.status).to_lowercase();
        let mut text = format!("Create a new {status} product \"{}\":", a.listing.title);
        for line in diff(None, &a.listing) {
            text.push_str("\n  ");
            text.push_str(&line);
        }
        for p in a.listing.problems() {
            text.push_str(&format!("\n  ! {p}"));
        }
        text
    }

    async fn reconcile(&self, a: &CreateArgs) -> Reconciliation {
        match self.0.catalog.product_titled(&a.listing.title).await {
            Ok(Some(id)) => match self.0.catalog.listing(&id).await {
                Ok(l) => Reconciliation::Applied(json!({"product_id": id, "listing": l})),
                Err(_) => Reconciliation::Unknown,
            },
            Ok(None) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// Listing fields to change; fields left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingChanges {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New HTML description.
    #[serde(default)]
    pub description_html: Option<String>,
    /// New SEO title (at most 70 characters).
    #[serde(default)]
    pub seo_title: Option<String>,
    /// New meta description (at most 320 characters).
    #[serde(default)]
    pub seo_description: Option<String>,
    /// New tags (replacing the old ones).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// New vendor.
    #[serde(default)]
    pub vendor: Option<String>,
    /// New product type.
    #[serde(default)]
    pub product_type: Option<String>,
    /// New taxonomy category GID.
    #[serde(default)]
    pub category: Option<String>,
    /// draft or active.
    #[serde(default)]
    pub status: Option<ListingStatus>,
}

impl ListingChanges {
    fn apply(&self, l: &Listing) -> Listing {
        let mut n = l.clone();
        let set = |dst: &mut String, src: &Option<String>| {
            if let Some(v) = src {
                dst.clone_from(v);
            }
        };
        set(&mut n.title, &self.title);
        set(&mut n.description_html, &self.description_html);
        set(&mut n.seo_title, &self.seo_title);
        set(&mut n.seo_description, &self.seo_description);
        set(&mut n.vendor, &self.vendor);
        set(&mut n.product_type, &self.product_type);
        set(&mut n.category, &self.category);
        if let Some(t) = &self.tags {
            n.tags.clone_from(t);
        }
        if let Some(s) = self.status {
            n.status = s;
        }
        n
    }
}

/// Arguments of `update_product`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// The product id, such as '6086499569'.
    pub product_id: String,
    /// The fields to change.
    pub changes: ListingChanges,
}

/// `update_product`.
pub struct UpdateProduct(Shelf);

#[async_trait]
impl Tool for UpdateProduct {
    type Args = UpdateArgs;
    const NAME: &'static str = "update_product";
    const DESCRIPTION: &'static str = "Change a product's listing fields (title, description, SEO fields, tags, vendor, type, category, status).";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "change the title of product 6086499569",
        "update the description of product 8310926033",
    ];

    async fn call(&self, a: UpdateArgs) -> Result<Value, ToolError> {
        let old = self.0.catalog.listing(&a.product_id).await?;
        let new = a.changes.apply(&old);
        checked(Self::NAME, &new)?;
        let saved = self.0.catalog.update_listing(&a.product_id, new).await?;
        Ok(json!({"product_id": a.product_id, "listing": to_value(&saved)?}))
    }

    async fn render(&self, a: &UpdateArgs) -> String {
        match self.0.catalog.listing(&a.product_id).await {
            Ok(old) => {
                let new = a.changes.apply(&old);
                let mut text = format!(
                    "Change the listing of product {} \"{}\":",
                    a.product_id, old.title
                );
                for line in diff(Some(&old), &new) {
                    text.push_str("\n  ");
                    text.push_str(&line);
                }
                for p in new.problems() {
                    text.push_str(&format!("\n  ! {p}"));
                }
                text
            }
            Err(e) => format!("Change the listing of product {} ({e})", a.product_id),
        }
    }

    async fn reconcile(&self, a: &UpdateArgs) -> Reconciliation {
        match self.0.catalog.listing(&a.product_id).await {
            Ok(l) if a.changes.apply(&l) == l => {
                Reconciliation::Applied(json!({"product_id": a.product_id, "listing": l}))
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// Arguments of `adjust_inventory`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryArgs {
    /// The item (variant) id, such as '9612497925'.
    pub item_id: String,
    /// Units to add (positive) or remove (negative).
    pub delta: i64,
    /// Why, e.g. "restock from supplier" or "damaged in warehouse".
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// `adjust_inventory`.
pub struct AdjustInventory(Shelf);

#[async_trait]
impl Tool for AdjustInventory {
    type Args = InventoryArgs;
    const NAME: &'static str = "adjust_inventory";
    const DESCRIPTION: &'static str = "Add or remove stock of a product variant, with a reason. A variant with no stock left becomes unavailable.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "add 10 units of item 1151293680 restock",
        "remove 3 of item 8293778132, damaged",
        "we received 25 more of item 4983901480",
    ];

    async fn call(&self, a: InventoryArgs) -> Result<Value, ToolError> {
        if a.delta == 0 {
            return Err(ToolError::invalid(Self::NAME, "delta must not be 0"));
        }
        let (product_id, quantity) = self.0.catalog.adjust_inventory(&a.item_id, a.delta).await?;
        Ok(
            json!({"item_id": a.item_id, "product_id": product_id, "inventory_quantity": quantity, "reason": a.reason}),
        )
    }

    async fn render(&self, a: &InventoryArgs) -> String {
        let name = match self.0.store.item(&a.item_id).await {
            Ok(v) => {
                let opts: Vec<String> = v.options.values().cloned().collect();
                format!("item {} ({})", a.item_id, opts.join(", "))
            }
            Err(_) => format!("item {} (not found)", a.item_id),
        };
        let sign = if a.delta > 0 { "+" } else { "" };
        format!(
            "Adjust stock of {name} by {sign}{} — reason: {}",
            a.delta, a.reason
        )
    }
}

/// Arguments of `suggest_bundles`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleArgs {
    /// The product id, such as '6086499569'.
    pub product_id: String,
    /// How many suggestions (default 5).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `suggest_bundles`.
pub struct SuggestBundles(Shelf);

#[async_trait]
impl Tool for SuggestBundles {
    type Args = BundleArgs;
    const NAME: &'static str = "suggest_bundles";
    const DESCRIPTION: &'static str = "Suggest products to bundle with a product: those most often bought in the same orders, with counts.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "what goes well with the office chair",
        "what sells well with product 6086499569",
        "suggest a bundle for product 8310926033",
        "what do people buy together with 1656367028",
    ];

    async fn call(&self, a: BundleArgs) -> Result<Value, ToolError> {
        self.0.store.product(&a.product_id).await?;
        let (orders, with) = self
            .0
            .catalog
            .co_purchases(&a.product_id, a.limit.unwrap_or(5).clamp(1, 50))
            .await?;
        let suggestions: Vec<Value> = with
            .iter()
            .map(|c| json!({"product_id": c.product_id, "name": c.name, "orders_together": c.orders,
                            "share_of_orders": if orders == 0 { 0.0 } else { c.orders as f64 / orders as f64 }}))
            .collect();
        Ok(
            json!({"product_id": a.product_id, "orders_with_product": orders, "suggestions": suggestions}),
        )
    }

    async fn render(&self, a: &BundleArgs) -> String {
        format!("Suggest bundles for product {}", a.product_id)
    }
}

/// Arguments of `search_categories`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryArgs {
    /// Words describing the product, e.g. "linen shirt".
    pub query: String,
    /// How many results (default 5).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `search_categories`.
pub struct SearchCategories;

#[async_trait]
impl Tool for SearchCategories {
    type Args = CategoryArgs;
    const NAME: &'static str = "search_categories";
    const DESCRIPTION: &'static str = "Search the Shopify Standard Product Taxonomy for a product's category; returns GIDs with their full paths, best first.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "which category fits a linen shirt",
        "find the taxonomy category for yoga mats",
        "search categories for coffee makers",
    ];

    async fn call(&self, a: CategoryArgs) -> Result<Value, ToolError> {
        let found: Vec<Value> =
            taxonomy::search(&a.query, a.limit.unwrap_or(5).clamp(1, 25) as usize)
                .into_iter()
                .map(|(c, _)| json!({"gid": c.gid, "path": c.full_name()}))
                .collect();
        Ok(Value::Array(found))
    }

    async fn render(&self, a: &CategoryArgs) -> String {
        format!("Search product categories for {:?}", a.query)
    }
}

/// Arguments naming a product.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingArgs {
    /// The product id, such as '6086499569'.
    pub product_id: String,
}

/// `get_product_listing`.
pub struct GetProductListing(Shelf);

#[async_trait]
impl Tool for GetProductListing {
    type Args = ListingArgs;
    const NAME: &'static str = "get_product_listing";
    const DESCRIPTION: &'static str = "Get a product's listing: title, description, SEO fields, tags, category, status, and per-variant SKU, price and stock.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show the listing of product 6086499569",
        "what is the SEO title of product 8310926033",
        "get the listing for 1656367028",
    ];

    async fn call(&self, a: ListingArgs) -> Result<Value, ToolError> {
        let l = self.0.catalog.listing(&a.product_id).await?;
        Ok(
            json!({"product_id": a.product_id, "listing": to_value(&l)?, "category_name": category_name(&l.category)}),
        )
    }

    async fn render(&self, a: &ListingArgs) -> String {
        format!("Show the listing of product {}", a.product_id)
    }
}
