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

/// What the shop's order history says about products bought together.
#[async_trait]
pub trait PurchaseHistory: Send + Sync {
    /// How many orders hold `product_id`, and the products most often bought with it.
    async fn co_purchases(
        &self,
        product_id: &str,
        limit: u32,
    ) -> Result<(u64, Vec<CoPurchase>), CommerceError>;
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
