//! One HTTP layer for every connector: timeouts, retries with exponential backoff and
//! jitter on 429 / 5xx / connection errors (only where resending cannot apply a write
//! twice), `Retry-After`, typed errors that say what to do, secrets kept out of errors and
//! logs, a pacer for rate-limit buckets, pagination and webhook-signature helpers.
//!
//! Retries run on `backon` (backoff, jitter, and a hook that turns `Retry-After` into the
//! next delay). They sit above the transport rather than in a reqwest middleware because
//! whether a request may be resent depends on what it is (a read, a write the platform
//! deduplicates by key, or neither), and some platforms signal throttling inside a 200.

mod error;
pub mod pacer;
pub mod paging;
pub mod signature;

pub use error::{HttpError, Replay};
pub use pacer::{BucketReport, Pacer};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use http::HeaderMap;
use std::sync::Arc;
use std::time::Duration;

/// How a connector's client behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// How long one request may take, answer included.
    pub timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Attempts after the first one.
    pub max_retries: usize,
    /// First backoff delay.
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// Longest `Retry-After` we wait out ourselves; longer ones go back to the caller.
    pub max_wait: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 4,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// An answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code (2xx: errors become `HttpError`).
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// Replaces every known secret in `text` with `***`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<Vec<String>>,
}

impl Redactor {
    /// Redacts these secrets (empty or very short ones are ignored: they would blank
    /// ordinary words).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Self {
            secrets: Arc::new(secrets.into_iter().filter(|s| s.len() >= 6).collect()),
        }
    }

    /// `text` with the secrets masked.
    pub fn redact(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
    }
}

/// The client every connector sends through.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    settings: HttpSettings,
    redactor: Redactor,
}

/// Installs rustls' ring provider unless one is installed: two crypto backends are in this
/// dependency tree, so rustls picks none by itself (the binary installs one at start).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The seconds (or HTTP date) of a `Retry-After` header.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn host_of(url: &reqwest::Url) -> String {
    url.host_str().unwrap_or("the platform").to_string()
}

impl Http {
    /// A client with `settings`, masking `secrets` wherever an error would show them.
    pub fn new(settings: HttpSettings, secrets: Redactor) -> Result<Self, HttpError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("Shopkeeper/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        Ok(Self {
            client,
            settings,
            redactor: secrets,
        })
    }

    /// The reqwest client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The redactor for this connector's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The backoff this client retries with.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.max_retries)
            .with_jitter()
    }

    /// Longest wait this client sits out before handing a rate limit back.
    pub fn max_wait(&self) -> Duration {
        self.settings.max_wait
    }

    /// Sends `request`, retrying what `replay` allows; a rate limit's `Retry-After` sets
    /// the next delay (when it is longer than `max_wait`, the error goes to the caller).
    pub async fn send(
        &self,
        request: reqwest::Request,
        replay: Replay,
    ) -> Result<Reply, HttpError> {
        let max_wait = self.settings.max_wait;
        let attempt = || async {
            let req = request
                .try_clone()
                .ok_or_else(|| HttpError::Invalid("a streaming body cannot be retried".into()))?;
            self.send_once(req).await
        };
        attempt
            .retry(self.backoff())
            .when(|e: &HttpError| e.retryable(replay))
            .adjust(|e: &HttpError, next: Option<Duration>| {
                let next = next?;
                match e.retry_after() {
                    Some(wait) if wait > max_wait => None,
                    Some(wait) => Some(wait.max(next)),
                    None => Some(next),
                }
            })
            .notify(|e: &HttpError, wait: Duration| {
                tracing::info!(error = %e, wait_ms = wait.as_millis() as u64, "retrying");
            })
            .await
    }

    /// Sends `request` (retried like `send` until an answer starts) and hands back the
    /// answer unread, for bodies too large to hold (a bulk export's file).
    pub async fn stream(&self, request: reqwest::Request) -> Result<reqwest::Response, HttpError> {
        let host = host_of(request.url());
        let attempt = || async {
            let req = request
                .try_clone()
                .ok_or_else(|| HttpError::Invalid("a streaming body cannot be retried".into()))?;
            let response = self.client.execute(req).await.map_err(|e| {
                let detail = self.redactor.redact(&e.to_string());
                if e.is_connect() {
                    HttpError::Unreachable {
                        host: host.clone(),
                        detail,
                    }
                } else {
                    HttpError::NoAnswer {
                        host: host.clone(),
                        detail,
                    }
                }
            })?;
            let status = response.status().as_u16();
            match status {
                200..=299 => Ok(response),
                429 => Err(HttpError::RateLimited {
                    host: host.clone(),
                    retry_after: retry_after(response.headers()),
                }),
                404 => Err(HttpError::NotFound {
                    host: host.clone(),
                    path: response.url().path().to_string(),
                }),
                400..=499 => Err(HttpError::Rejected {
                    host: host.clone(),
                    status,
                    detail: String::new(),
                }),
                _ => Err(HttpError::Unavailable {
                    host: host.clone(),
                    status,
                }),
            }
        };
        attempt
            .retry(self.backoff())
            .when(|e: &HttpError| e.retryable(Replay::Safe))
            .await
    }

    /// One attempt, with the outcome typed.
    pub async fn send_once(&self, request: reqwest::Request) -> Result<Reply, HttpError> {
        let host = host_of(request.url());
        let path = request.url().path().to_string();
        let method = request.method().clone();
        let started = std::time::Instant::now();
        let response = match self.client.execute(request).await {
            Ok(r) => r,
            Err(e) => {
                let detail = self.redactor.redact(&e.to_string());
                return Err(if e.is_connect() {
                    HttpError::Unreachable { host, detail }
                } else if e.is_builder() {
                    HttpError::Invalid(detail)
                } else {
                    HttpError::NoAnswer { host, detail }
                });
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| HttpError::NoAnswer {
            host: host.clone(),
            detail: self.redactor.redact(&e.to_string()),
        })?;
        tracing::debug!(%method, host, path, status, elapsed_ms = started.elapsed().as_millis() as u64, "http");
        let detail = || {
            let text = String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned();
            self.redactor.redact(text.trim())
        };
        match status {
            200..=299 => Ok(Reply {
                status,
                headers,
                body,
            }),
            429 => Err(HttpError::RateLimited {
                host,
                retry_after: retry_after(&headers),
            }),
            401 => Err(HttpError::Unauthorized {
                host,
                detail: detail(),
            }),
            403 => Err(HttpError::Forbidden {
                host,
                detail: detail(),
            }),
            404 => Err(HttpError::NotFound { host, path }),
            400..=499 => Err(HttpError::Rejected {
                host,
                status,
                detail: detail(),
            }),
            _ => Err(HttpError::Unavailable { host, status }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "2.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(2500)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(http::header::RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn secrets_are_masked_in_messages() {
        let r = Redactor::new(["shpat_secret_value".to_string(), "abc".to_string()]);
        assert_eq!(
            r.redact("token shpat_secret_value refused; abc stays"),
            "token *** refused; abc stays"
        );
    }

    #[test]
    fn only_requests_that_cannot_apply_twice_are_resent() {
        let host = String::from("h");
        let lost = HttpError::NoAnswer {
            host: host.clone(),
            detail: "timeout".into(),
        };
        assert!(lost.retryable(Replay::Safe));
        assert!(
            !lost.retryable(Replay::Unsafe),
            "a lost answer may hide a write"
        );
        let refused = HttpError::Unreachable {
            host: host.clone(),
            detail: "refused".into(),
        };
        assert!(refused.retryable(Replay::Unsafe), "nothing was sent");
        let revoked = HttpError::Unauthorized {
            host,
            detail: String::new(),
        };
        assert!(
            !revoked.retryable(Replay::Safe),
            "a revoked token is not a busy server"
        );
    }
}
