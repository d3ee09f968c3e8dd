//! Why a commerce operation failed, typed by what the caller should do next.

use std::time::Duration;

/// Why a commerce operation failed. A failed write changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// The referenced record does not exist.
    #[error("{what} not found: {id}")]
    NotFound {
        /// The kind of record, e.g. "order".
        what: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// The operation is not allowed in the record's current state, or the platform
    /// refused it (its own message, e.g. Shopify's `userErrors`).
    #[error("{0}")]
    Rejected(String),
    /// The platform asks us to slow down.
    #[error("the platform is rate limiting requests{}", retry_after.map(|d| format!("; retry after {:.1} s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// How long to wait, when the platform says.
        retry_after: Option<Duration>,
    },
    /// The credentials are wrong, expired or revoked: retrying will not help.
    #[error("the platform refused our credentials: {0}")]
    Unauthorized(String),
    /// The credentials lack a permission this operation needs.
    #[error("the app is missing the access scope `{scope}` ({detail})")]
    MissingScope {
        /// The scope to grant, e.g. `write_orders`.
        scope: String,
        /// What the platform said.
        detail: String,
    },
    /// The record changed since it was read (a compare-and-set failed), or it already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// This store cannot do this at all.
    #[error("{0}")]
    Unsupported(String),
    /// The connection to the store is set up wrongly (no such shop, a bad address).
    #[error("the store connection is not set up right: {0}")]
    Misconfigured(String),
    /// A write was sent but its answer was lost: it may or may not have taken effect.
    #[error("{0}")]
    OutcomeUnknown(String),
    /// The backing store could not be reached or failed; trying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl CommerceError {
    /// Shorthand for a failed precondition.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::Rejected(message.into())
    }

    /// Shorthand for a missing record.
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            id: id.into(),
        }
    }

    /// A stable code saying what to do next.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Rejected(_) => "rejected",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unauthorized(_) => "unauthorized",
            Self::MissingScope { .. } => "missing_scope",
            Self::Conflict(_) => "conflict",
            Self::Unsupported(_) => "unsupported",
            Self::Misconfigured(_) => "misconfigured",
            Self::OutcomeUnknown(_) => "outcome_unknown",
            Self::Unavailable(_) => "unavailable",
            Self::Corrupt(_) => "internal",
        }
    }

    /// What to do about it, for a model and for the person it talks to.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => {
                "look the id up first (e.g. from the user's or order's details)"
            }
            Self::Rejected(_) => "the store's rules do not allow this; explain why to the user",
            Self::RateLimited { .. } => "the platform is busy; try again in a moment",
            Self::Unauthorized(_) => {
                "the shop's access token is wrong or was revoked; the shop owner must reconnect (`shopkeeper connect`)"
            }
            Self::MissingScope { .. } => {
                "the shop owner must grant this permission to the app, then run `shopkeeper connect` again"
            }
            Self::Conflict(_) => "the record changed meanwhile; read it again before retrying",
            Self::Unsupported(_) => "this store cannot do that; tell the user",
            Self::Misconfigured(_) => {
                "the shop owner must fix the store's settings in shopkeeper.toml (`shopkeeper connect`)"
            }
            Self::OutcomeUnknown(_) => {
                "do not retry: whether it happened is being checked with the store; tell the user"
            }
            Self::Unavailable(_) => "the store is unavailable; try again later",
            Self::Corrupt(_) => "this is a bug in Shopkeeper; report it",
        }
    }
}
