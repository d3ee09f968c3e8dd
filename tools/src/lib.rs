//! Shopkeeper's tool layer: the `Tool` trait and registry the agent plans over,
//! the domain traits tools are written against, and the connectors that
//! implement them (today the built-in store).

pub mod canonical;
pub mod catalog;
pub mod commerce;
pub mod connectors;
pub mod effect;
pub mod error;
pub mod helpdesk;
pub mod ledger;
pub mod policy;
pub mod recall;
pub mod registry;
pub mod retail;
pub mod schema;
pub mod tool;

pub use commerce::{Commerce, CommerceError};
pub use connectors::local::{LocalStore, Semantics};
pub use effect::Effect;
pub use error::ToolError;
pub use ledger::Executed;
pub use policy::{Caller, Policy, Requirement, Role};
pub use registry::{Registry, ToolCall, ToolInfo};
pub use tool::{Reconciliation, Tool};

use std::sync::Arc;

/// A registry with every tool over the built-in store, governed by `policy`.
pub fn local_registry(store: LocalStore, policy: Policy) -> Result<Registry, ToolError> {
    local_registry_with(store, policy, None)
}

/// `local_registry`, with a listing writer (e.g. a language model) for `draft_product_listing`.
pub fn local_registry_with(
    store: LocalStore,
    policy: Policy,
    writer: Option<Arc<dyn catalog::ListingWriter>>,
) -> Result<Registry, ToolError> {
    let mut registry = Registry::new(policy);
    let store = Arc::new(store);
    retail::register(&mut registry, store.clone())?;
    helpdesk::tools::register(&mut registry, store.clone(), store.clone())?;
    catalog::tools::register(&mut registry, store.clone(), store, writer)?;
    Ok(registry)
}

/// A tool result as the content of a tool message: strings as they are, anything else as JSON.
pub fn result_content(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
