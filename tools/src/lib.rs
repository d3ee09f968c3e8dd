//! Shopkeeper's tool layer: the `Tool` trait and registry the agent plans over, the
//! domain traits tools are written against (`Commerce` for storefronts, the τ²-bench
//! `RetailStore`, `Helpdesk`), the tools over them, and the built-in store.

pub mod canonical;
pub mod catalog;
pub mod commerce;
pub mod connectors;
pub mod effect;
pub mod error;
pub mod helpdesk;
pub mod ledger;
pub mod platform;
pub mod policy;
pub mod recall;
pub mod registry;
pub mod retail;
pub mod schema;
pub mod secret;
pub mod tool;

pub use commerce::{Capability, Commerce, CommerceError};
pub use connectors::local::{LocalStore, Semantics};
pub use effect::Effect;
pub use error::ToolError;
pub use ledger::Executed;
pub use policy::{Caller, Policy, Requirement, Role};
pub use registry::{Registry, ToolCall, ToolInfo};
pub use tool::{CallContext, Reconciliation, Tool};

use std::sync::Arc;

/// The store the tools act on: the built-in one (with its τ²-bench customer-service
/// tools and helpdesk), or a connected platform.
#[derive(Clone)]
pub enum ActiveStore {
    /// The built-in store.
    Local(Arc<LocalStore>),
    /// A platform connector (Shopify...).
    Connected(Arc<dyn Commerce>),
}

impl ActiveStore {
    /// The store as the platform tools see it.
    pub fn commerce(&self) -> Arc<dyn Commerce> {
        match self {
            Self::Local(s) => s.clone(),
            Self::Connected(c) => c.clone(),
        }
    }

    /// The helpdesk that goes with it (the built-in store's own, for now).
    pub fn helpdesk(&self) -> Option<Arc<dyn helpdesk::Helpdesk>> {
        match self {
            Self::Local(s) => Some(s.clone()),
            Self::Connected(_) => None,
        }
    }
}

/// A registry with every tool over the built-in store, governed by `policy`.
pub fn local_registry(store: LocalStore, policy: Policy) -> Result<Registry, ToolError> {
    registry_for(&ActiveStore::Local(Arc::new(store)), policy, None)
}

/// `local_registry`, with a listing writer (e.g. a language model) for `draft_product_listing`.
pub fn local_registry_with(
    store: LocalStore,
    policy: Policy,
    writer: Option<Arc<dyn catalog::ListingWriter>>,
) -> Result<Registry, ToolError> {
    registry_for(&ActiveStore::Local(Arc::new(store)), policy, writer)
}

/// The tools over `store` under `policy` (memory tools are added by whoever opens memory);
/// tools the store cannot serve are listed as not offered, with the reason.
pub fn registry_for(
    store: &ActiveStore,
    policy: Policy,
    writer: Option<Arc<dyn catalog::ListingWriter>>,
) -> Result<Registry, ToolError> {
    let mut registry = Registry::new(policy);
    platform::register(&mut registry, store.commerce())?;
    match store {
        ActiveStore::Local(local) => {
            retail::register(&mut registry, local.clone())?;
            helpdesk::tools::register(&mut registry, local.clone(), local.clone())?;
            catalog::tools::register(&mut registry, local.clone(), Some(local.clone()), writer)?;
        }
        ActiveStore::Connected(commerce) => {
            let reason = format!(
                "the τ²-bench customer-service tools and the demo helpdesk serve the built-in store only; this shop uses {}",
                commerce.shop().connector
            );
            retail::register_not_offered(&mut registry, &reason)?;
            helpdesk::tools::register_not_offered(&mut registry, &reason)?;
            catalog::tools::register(&mut registry, commerce.clone(), None, writer)?;
        }
    }
    Ok(registry)
}

/// A tool result as the content of a tool message: strings as they are, anything else as JSON.
pub fn result_content(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
