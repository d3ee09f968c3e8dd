//! Shopkeeper's agent: LLM providers, the run state machine and its driver,
//! approval policy and the execution ledger. It plans over the tool layer's
//! registry; see `shopkeeper_tools`.

pub use shopkeeper_tools::{Registry, ToolCall};
