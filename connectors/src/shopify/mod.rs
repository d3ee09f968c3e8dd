//! Shopify (Admin GraphQL API): the shop behind `Commerce`, cost-paced and throttle-aware;
//! full exports through bulk operations; webhooks verified, stored once and normalized into
//! the event log; `connect`'s checks of credentials and scopes.

pub mod bulk;
pub mod client;
pub mod config;
#[cfg(feature = "shopify-fake")]
pub mod fake;
pub mod mapping;
pub mod queries;
pub mod scopes;
pub mod store;
pub mod webhooks;

pub use client::{Graphql, ShopifyError};
pub use config::{API_VERSION, ShopifyConfig};
pub use store::{CONNECTOR, ShopifyStore};
