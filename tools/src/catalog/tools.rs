//! Catalog tools: draft a listing, create and update products, adjust stock,
//! suggest bundles, look up taxonomy categories.

use super::listing::{Listing, ListingInput, ListingStatus, diff, plain_draft};
use super::{ListingWriter, PurchaseHistory, taxonomy};
use crate::commerce::query::ProductRef;
use crate::commerce::{Capability, Commerce, CommerceError};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::registry::Registry;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// What catalog tools act on.
#[derive(Clone)]
pub struct Shelf {
    commerce: Arc<dyn Commerce>,
    history: Option<Arc<dyn PurchaseHistory>>,
    writer: Option<Arc<dyn ListingWriter>>,
}

/// Registers the catalog tools over `commerce`; `history` (the built-in store's orders)
/// serves bundle suggestions, `writer` drafts listings with a model when one is configured.
pub fn register(
    registry: &mut Registry,
    commerce: Arc<dyn Commerce>,
    history: Option<Arc<dyn PurchaseHistory>>,
    writer: Option<Arc<dyn ListingWriter>>,
) -> Result<(), ToolError> {
    let s = || Shelf {
        commerce: commerce.clone(),
        history: history.clone(),
        writer: writer.clone(),
    };
    registry.register(DraftProductListing(s()))?;
    registry.register_capable(
        CreateProduct(s()),
        Capability::WriteProducts,
        commerce.as_ref(),
    )?;
    registry.register_capable(
        UpdateProduct(s()),
        Capability::WriteProducts,
        commerce.as_ref(),
    )?;
    let no_history = history
        .is_none()
        .then(|| "bundle suggestions need the order history of the built-in store".to_string());
    registry.register_if(SuggestBundles(s()), no_history)?;
    registry.register(SearchCategories)?;
    registry.register_capable(
        GetProductListing(s()),
        Capability::ReadProducts,
        commerce.as_ref(),
    )?;
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

    async fn call(&self, input: ListingInput, _ctx: &CallContext) -> Result<Value, ToolError> {
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
    const DESCRIPTION: &'static str = "Create a new product in the store from a listing (as a draft unless the listing says active). Returns the product as created.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "publish the drafted listing",
        "create the product from this listing",
    ];

    async fn call(&self, a: CreateArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        checked(Self::NAME, &a.listing)?;
        let product = self
            .0
            .commerce
            .create_product(&a.listing.to_draft(), &ctx.key)
            .await?;
        to_value(&product)
    }

    async fn render(&self, a: &CreateArgs) -> String {
        let status = format!("{:?}", a.listing.status).to_lowercase();
        let mut text = format!("Create a new {status} product \"{}\":", a.listing.title);
        for line in diff(None, &a.listing, &self.0.commerce.shop().currency) {
            text.push_str("\n  ");
            text.push_str(&line);
        }
        for p in a.listing.problems() {
            text.push_str(&format!("\n  ! {p}"));
        }
        text
    }

    async fn reconcile(&self, a: &CreateArgs, ctx: &CallContext) -> Reconciliation {
        let store = &self.0.commerce;
        if let Ok(Some(done)) = store.recorded_write(&ctx.key).await {
            return Reconciliation::Applied(done);
        }
        // Creating refuses a handle that is taken, so a product with it is the one we made.
        match store.product(&ProductRef::Handle(a.listing.handle())).await {
            Ok(p) => to_value(&p).map_or(Reconciliation::Unknown, Reconciliation::Applied),
            Err(CommerceError::NotFound { .. }) => Reconciliation::NotApplied,
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
    /// The product's id, such as '6086499569' or 'gid://shopify/Product/1'.
    pub product_id: String,
    /// The fields to change.
    pub changes: ListingChanges,
}

impl Shelf {
    async fn listing(&self, product_id: &str) -> Result<Listing, ToolError> {
        let p = self
            .commerce
            .product(&ProductRef::Id(product_id.to_string()))
            .await?;
        Ok(Listing::of_product(&p))
    }
}

/// `update_product`.
pub struct UpdateProduct(Shelf);

#[async_trait]
impl Tool for UpdateProduct {
    type Args = UpdateArgs;
    const NAME: &'static str = "update_product";
    const DESCRIPTION: &'static str = "Change a product's listing fields (title, description, SEO fields, tags, vendor, type, category, status). Returns the product as it stands after the change.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "change the title of product 6086499569",
        "update the description of product 8310926033",
    ];

    async fn call(&self, a: UpdateArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        let old = self.0.listing(&a.product_id).await?;
        let new = a.changes.apply(&old);
        checked(Self::NAME, &new)?;
        let product = self
            .0
            .commerce
            .update_product(&a.product_id, &new.changes_from(&old), &ctx.key)
            .await?;
        to_value(&product)
    }

    async fn render(&self, a: &UpdateArgs) -> String {
        match self.0.listing(&a.product_id).await {
            Ok(old) => {
                let new = a.changes.apply(&old);
                let mut text = format!(
                    "Change the listing of product {} \"{}\":",
                    a.product_id, old.title
                );
                for line in diff(Some(&old), &new, &self.0.commerce.shop().currency) {
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

    async fn reconcile(&self, a: &UpdateArgs, _ctx: &CallContext) -> Reconciliation {
        // Setting fields twice sets them once: equal fields mean it took effect.
        match self
            .0
            .commerce
            .product(&ProductRef::Id(a.product_id.clone()))
            .await
        {
            Ok(p) => {
                let l = Listing::of_product(&p);
                if a.changes.apply(&l) == l {
                    to_value(&p).map_or(Reconciliation::Unknown, Reconciliation::Applied)
                } else {
                    Reconciliation::NotApplied
                }
            }
            Err(_) => Reconciliation::Unknown,
        }
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

    async fn call(&self, a: BundleArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let Some(history) = &self.0.history else {
            return Err(ToolError::NotOffered {
                tool: Self::NAME.into(),
                reason: "no order history is available".into(),
            });
        };
        self.0
            .commerce
            .product(&ProductRef::Id(a.product_id.clone()))
            .await?;
        let (orders, with) = history
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

    async fn call(&self, a: CategoryArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
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
    /// The product's id, such as '6086499569' or 'gid://shopify/Product/1'.
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

    async fn call(&self, a: ListingArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let l = self.0.listing(&a.product_id).await?;
        Ok(
            json!({"product_id": a.product_id, "listing": to_value(&l)?, "category_name": category_name(&l.category)}),
        )
    }

    async fn render(&self, a: &ListingArgs) -> String {
        format!("Show the listing of product {}", a.product_id)
    }
}
