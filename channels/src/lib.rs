//! Shopkeeper's chat fronts. Every front (Telegram, Slack, Discord) has one shape: it
//! maps platform users to staff or customers, chats and threads to conversations, renders
//! replies and approval cards, and hands messages and button clicks to the [`Hub`], which
//! talks to the agent and the approvals service. Cards for approvals made anywhere reach
//! the approvers' chats through the outbox ([`Hub::flush`]).

pub mod config;
#[cfg(feature = "discord")]
pub mod discord;
pub mod front;
pub mod hub;
pub mod lanes;
#[cfg(any(feature = "telegram", feature = "slack", feature = "discord"))]
pub mod loopback;
pub mod people;
pub mod render;
pub mod serve;
#[cfg(feature = "slack")]
pub mod slack;
#[cfg(feature = "telegram")]
pub mod telegram;

pub use config::{ChannelsConfig, Secret};
pub use front::{Card, CardRef, Click, ClickAction, Front, Inbound, Place};
pub use hub::Hub;
pub use people::{Directory, Person};

/// The platforms a front can run on: a conversation whose channel is one of these lives
/// in a chat, and `serve` answers it there.
pub const PLATFORMS: &[&str] = &[TELEGRAM, SLACK, DISCORD];

/// The sections of `shopkeeper.toml` this crate reads.
pub const SECTIONS: &[&str] = &["serve", TELEGRAM, SLACK, DISCORD];
/// Telegram's platform name (a `Place`'s and a conversation's channel).
pub const TELEGRAM: &str = "telegram";
/// Slack's platform name.
pub const SLACK: &str = "slack";
/// Discord's platform name.
pub const DISCORD: &str = "discord";

/// Why a front could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The platform's API refused or could not be reached.
    #[error("{platform}: {message}")]
    Platform {
        /// Which platform.
        platform: &'static str,
        /// What went wrong.
        message: String,
    },
    /// No front is running for this platform.
    #[error("no {0} front is running")]
    NoFront(String),
    /// The application database failed.
    #[error(transparent)]
    Db(#[from] shopkeeper_memory::DbError),
    /// The agent could not carry on.
    #[error(transparent)]
    Agent(#[from] shopkeeper_agent::AgentError),
    /// An approval could not be decided.
    #[error(transparent)]
    Approval(#[from] shopkeeper_agent::approvals::ApprovalError),
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// Listening for webhooks failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

impl ChannelError {
    /// A platform error from anything printable.
    pub fn platform(platform: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Platform {
            platform,
            message: e.to_string(),
        }
    }
}
