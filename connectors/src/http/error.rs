//! What went wrong talking to a platform, typed by what to do about it.

use std::time::Duration;

/// Why a request to a platform failed. Messages never carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The platform asks us to slow down (HTTP 429, or its own throttle signal).
    #[error("{host} is rate limiting requests{}", retry_after.map(|d| format!(" (retry after {:.1} s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The platform's host.
        host: String,
        /// How long it asks us to wait, when it says.
        retry_after: Option<Duration>,
    },
    /// The credentials are wrong, expired or revoked (HTTP 401): retrying will not help.
    #[error("{host} refused the credentials (HTTP 401): {detail}")]
    Unauthorized {
        /// The platform's host.
        host: String,
        /// What it said.
        detail: String,
    },
    /// The credentials do not allow this (HTTP 403), e.g. a missing access scope.
    #[error("{host} refused access (HTTP 403): {detail}")]
    Forbidden {
        /// The platform's host.
        host: String,
        /// What it said.
        detail: String,
    },
    /// Nothing is there (HTTP 404): a wrong shop address, or a record that does not exist.
    #[error("{host} has nothing at {path} (HTTP 404)")]
    NotFound {
        /// The platform's host.
        host: String,
        /// The path asked for.
        path: String,
    },
    /// The platform refused the request as it is (HTTP 4xx other than the above).
    #[error("{host} refused the request (HTTP {status}): {detail}")]
    Rejected {
        /// The platform's host.
        host: String,
        /// The status code.
        status: u16,
        /// What it said.
        detail: String,
    },
    /// The platform failed or is down (HTTP 5xx); trying later may work.
    #[error("{host} is unavailable (HTTP {status})")]
    Unavailable {
        /// The platform's host.
        host: String,
        /// The status code.
        status: u16,
    },
    /// The platform could not be reached: nothing was sent.
    #[error("cannot reach {host}: {detail}")]
    Unreachable {
        /// The platform's host.
        host: String,
        /// Why (DNS, refused connection, TLS).
        detail: String,
    },
    /// The request was sent but no answer came (a timeout, a dropped connection): a
    /// write may or may not have taken effect.
    #[error("no answer from {host}: {detail}; the request may or may not have taken effect")]
    NoAnswer {
        /// The platform's host.
        host: String,
        /// What happened.
        detail: String,
    },
    /// The answer is not what the protocol promises.
    #[error("{host} answered something unexpected: {detail}")]
    Protocol {
        /// The platform's host.
        host: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The request could not be built (a bug or a bad configuration value).
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// Whether a request may be sent again when its first answer is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Sending it twice does no harm: reads, and writes the platform deduplicates by key.
    Safe,
    /// It must not run twice: resend only when the platform surely did not process it.
    Unsafe,
}

impl HttpError {
    /// How long the platform asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether sending the request again may succeed and cannot apply it twice.
    pub fn retryable(&self, replay: Replay) -> bool {
        match self {
            // Throttled and unreachable requests were never processed.
            Self::RateLimited { .. } | Self::Unreachable { .. } => true,
            // A gateway error or a lost answer may hide a write that happened.
            Self::Unavailable { .. } | Self::NoAnswer { .. } => replay == Replay::Safe,
            _ => false,
        }
    }
}
