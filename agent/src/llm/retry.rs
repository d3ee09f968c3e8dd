//! Retries for model HTTP calls: 429, 5xx and connection errors, with
//! exponential backoff and jitter, honouring the server's `Retry-After`.
//!
//! async-openai's own retry layer has no jitter and reads only whole seconds of
//! `Retry-After`; this tower service replaces it at the same boundary.

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use std::task::{Context, Poll};
use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff step.
    pub base_delay: Duration,
    /// No single wait is longer than this, whatever the server asks.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): the server's `Retry-After` if it
    /// gave one, else exponential backoff with jitter; capped at `max_delay`.
    pub fn delay(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        if let Some(wait) = headers.and_then(retry_after) {
            return wait.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        // "Equal jitter": at least half the step, so retries never stampede at zero.
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Parses `retry-after-ms` (OpenAI) or `Retry-After` in seconds.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    header("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// A tower service sending requests with reqwest and retrying transient failures.
#[derive(Debug, Clone)]
pub struct RetryingHttp {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl RetryingHttp {
    /// Wraps `client` with `policy`.
    pub fn new(client: reqwest::Client, policy: RetryPolicy) -> Self {
        Self { client, policy }
    }
}

impl tower::Service<HttpRequestFactory> for RetryingHttp {
    type Response = Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<Response, OpenAIError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        let policy = self.policy;
        Box::pin(async move {
            let mut attempt = 0;
            loop {
                let request = factory.build().await?;
                let outcome = client.execute(request).await;
                let (outcome, headers) = match outcome {
                    Ok(response) => classify(response).await?,
                    Err(e) if e.is_connect() => (Err(e), None),
                    Err(e) => return Err(OpenAIError::Reqwest(e)),
                };
                let final_outcome = match outcome {
                    Ok(done) => return Ok(done),
                    Err(retryable) => retryable,
                };
                if attempt >= policy.max_retries {
                    return Err(OpenAIError::Reqwest(final_outcome));
                }
                let wait = policy.delay(attempt, headers.as_ref());
                tracing::warn!(attempt = attempt + 1, wait_ms = wait.as_millis() as u64, error = %final_outcome, "model call failed; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        })
    }
}

type Classified = (Result<Response, reqwest::Error>, Option<HeaderMap>);

/// `Ok(Ok(response))` to hand back as is; `Ok((Err, headers))` to retry.
async fn classify(response: Response) -> Result<Classified, OpenAIError> {
    let status = response.status();
    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    if !retryable {
        return Ok((Ok(response), None));
    }
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(OpenAIError::Reqwest)?;
    // Running out of quota is a 429 that no wait will fix.
    if String::from_utf8_lossy(&body).contains("insufficient_quota") {
        let mut rebuilt = http_response(status, &headers, body);
        *rebuilt.headers_mut() = headers;
        return Ok((Ok(rebuilt), None));
    }
    // Keep the error response to return if this was the last attempt.
    let rebuilt = http_response(status, &headers, body);
    match rebuilt.error_for_status() {
        Err(e) => Ok((Err(e), Some(headers))),
        Ok(r) => Ok((Ok(r), None)),
    }
}

fn http_response(status: StatusCode, headers: &HeaderMap, body: bytes::Bytes) -> Response {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    Response::from(builder.body(body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_wins_and_is_capped() {
        let policy = RetryPolicy::default();
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(policy.delay(0, Some(&h)), Duration::from_secs(2));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(policy.delay(3, Some(&h)), Duration::from_millis(150));
        let mut long = HeaderMap::new();
        long.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(policy.delay(0, Some(&long)), policy.max_delay);
    }

    #[test]
    fn backoff_grows_with_jitter_within_bounds() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for attempt in 0..6 {
            let step = Duration::from_millis(100)
                .saturating_mul(1 << attempt)
                .min(Duration::from_secs(1));
            for _ in 0..50 {
                let d = policy.delay(attempt, None);
                assert!(
                    d >= step / 2 && d <= step,
                    "attempt {attempt}: {d:?} outside [{:?}, {step:?}]",
                    step / 2
                );
            }
        }
    }
}
