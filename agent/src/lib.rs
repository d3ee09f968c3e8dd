//! Shopkeeper's agent: LLM providers behind a `ChatModel` trait, the run as a
//! sans-IO state machine, the driver that does its I/O, configuration and prompts.
//! It plans over the tool layer's registry (`shopkeeper_tools`).

pub mod approvals;
pub mod config;
pub mod driver;
pub mod listing_writer;
pub mod llm;
pub mod message;
pub mod prompts;
pub mod router;
pub mod run;

pub use approvals::{Approvals, Decided, Decider};
pub use config::Config;
pub use driver::{Agent, AgentError, AgentSettings, AwaitingCall, Observer, Outcome, Silent};
pub use llm::{ChatModel, LlmError};
pub use message::{Message, ToolCallRequest, Usage};
pub use run::{Run, RunStatus, Step};

/// Installs the process-wide TLS crypto provider (ring). Call once at start-up, before any
/// HTTP client is built: the dependency tree links more than one provider, and rustls
/// refuses to pick one on its own.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
