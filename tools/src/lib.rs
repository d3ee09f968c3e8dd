//! Shopkeeper's tool layer: the `Tool` trait and registry the agent plans over,
//! the domain traits tools are written against, and the connectors that
//! implement them (today the built-in store).

pub mod canonical;
pub mod commerce;
pub mod connectors;
pub mod effect;
pub mod error;
pub mod registry;
pub mod retail;
pub mod schema;
pub mod tool;

pub use commerce::{Commerce, CommerceError};
pub use connectors::local::{LocalStore, Semantics};
pub use effect::Effect;
pub use error::ToolError;
pub use registry::{Registry, ToolCall, ToolInfo};
pub use tool::Tool;

use std::sync::Arc;

/// A registry with every tool over the built-in store.
pub fn local_registry(store: LocalStore) -> Result<Registry, ToolError> {
    let mut registry = Registry::new();
    retail::register(&mut registry, Arc::new(store))?;
    Ok(registry)
}
