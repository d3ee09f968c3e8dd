//! The catalog editor: listings with the fields a storefront needs, the Shopify
//! product taxonomy, and the tools that draft, create and change products.

pub mod listing;
pub mod taxonomy;
pub mod tools;

use crate::commerce::CommerceError;
use async_trait::async_trait;
use listing::{Listing, ListingInput};
use serde::Serialize;

/// Another product bought in the same orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoPurchase {
    /// Its product id.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// Orders holding both products.
    pub orders: u64,
}

/// Listings, product creation, stock and purchase patterns: what catalog tools need.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// A product's listing (derived from the product when it has none yet).
    async fn listing(&self, product_id: &str) -> Result<Listing, CommerceError>;
    /// Creates a product from a listing; returns its id and the listing with item ids.
    async fn create_product(&self, listing: Listing) -> Result<(String, Listing), CommerceError>;
    /// Replaces a product's listing fields (its variants keep their ids).
    async fn update_listing(
        &self,
        product_id: &str,
        listing: Listing,
    ) -> Result<Listing, CommerceError>;
    /// Changes a variant's stock by `delta`; returns its product id and the new quantity.
    async fn adjust_inventory(
        &self,
        item_id: &str,
        delta: i64,
    ) -> Result<(String, i64), CommerceError>;
    /// How many orders hold `product_id`, and the products most often bought with it.
    async fn co_purchases(
        &self,
        product_id: &str,
        limit: u32,
    ) -> Result<(u64, Vec<CoPurchase>), CommerceError>;
    /// The id of a product with exactly this title, if any.
    async fn product_titled(&self, title: &str) -> Result<Option<String>, CommerceError>;
}

/// Writes a listing from an input, e.g. with a language model; the result is validated
/// by the caller, which falls back to a plain draft.
#[async_trait]
pub trait ListingWriter: Send + Sync {
    /// A listing for `input`, choosing its category among `categories` (GID, path).
    async fn write(
        &self,
        input: &ListingInput,
        categories: &[(String, String)],
    ) -> Result<Listing, String>;
}
