//! Shopkeeper's connectors: the platforms a shop runs on, each behind the domain traits
//! of the tool layer (`Commerce` for storefronts), all sharing one HTTP layer. One folder
//! and one cargo feature per platform.

pub mod http;
#[cfg(feature = "shopify")]
pub mod shopify;
