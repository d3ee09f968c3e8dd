//! The Admin GraphQL transport: one POST per operation, paced by the query cost Shopify
//! reports on every answer (`extensions.cost`), throttled answers waited out and resent
//! (a throttled operation did not run), GraphQL errors typed, and every answer decoded.

use super::queries::Operation;
use crate::http::{BucketReport, Http, HttpError, Pacer};
use backon::Retryable;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shopkeeper_tools::secret::Secret;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What went wrong with an operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShopifyError {
    /// The HTTP layer failed (after its own retries).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Shopify throttled the operation (cost bucket empty) and kept doing so.
    #[error("Shopify is throttling requests (retry after {:.1} s)", wait.as_secs_f64())]
    Throttled {
        /// How long the bucket needs to refill.
        wait: Duration,
    },
    /// The app lacks an access scope.
    #[error("the app lacks the `{scope}` access scope: {message}")]
    MissingScope {
        /// The scope, e.g. `write_orders`.
        scope: String,
        /// Shopify's words.
        message: String,
    },
    /// The mutation's `userErrors`: Shopify refused it and changed nothing.
    #[error("Shopify refused it: {0}")]
    UserErrors(String),
    /// Other GraphQL errors.
    #[error("Shopify answered with errors: {0}")]
    Graphql(String),
    /// Shopify failed internally while running it.
    #[error("Shopify failed while running it: {0}")]
    Internal(String),
    /// The answer does not have the shape the document asks for.
    #[error("unexpected answer to {operation}: {detail}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// What did not fit.
        detail: String,
    },
}

/// Shopify's account of an operation's cost.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    /// The cost Shopify reserved before running it.
    pub requested_query_cost: f64,
    /// What it cost in the end, when it ran.
    #[serde(default)]
    pub actual_query_cost: Option<f64>,
    /// The bucket afterwards.
    pub throttle_status: ThrottleStatus,
}

/// The cost bucket.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    /// Points when full.
    pub maximum_available: f64,
    /// Points left.
    pub currently_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
struct Extensions {
    cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Debug, Deserialize)]
struct ErrorExtensions {
    #[serde(default)]
    code: Option<String>,
    #[serde(rename = "requiredAccess", default)]
    required_access: Option<String>,
}

/// Requests and points spent, for the bench and for `connect`.
#[derive(Debug, Default)]
pub struct Usage {
    requests: AtomicU64,
    throttled: AtomicU64,
    points: AtomicU64,
}

impl Usage {
    /// Operations sent (each attempt counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Throttled answers received.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Cost points actually spent.
    pub fn points(&self) -> u64 {
        self.points.load(Ordering::Relaxed)
    }
}

/// The GraphQL client of one shop.
#[derive(Debug)]
pub struct Graphql {
    http: Http,
    endpoint: reqwest::Url,
    token: Secret,
    pacer: Pacer,
    /// The last requested cost of each operation: what the next one will reserve.
    estimates: Mutex<HashMap<&'static str, f64>>,
    usage: Usage,
}

/// The scope an access-denied message names, e.g. "Required access: `write_orders`".
fn scope_in(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let end = text[start..].find('`')? + start;
    let scope = &text[start..end];
    (scope.starts_with("read_") || scope.starts_with("write_")).then(|| scope.to_string())
}

impl Graphql {
    /// A client for the shop at `endpoint`, paced as the Standard plan's bucket until
    /// Shopify says otherwise (1,000 points, 100 restored a second, in 2026).
    pub fn new(http: Http, endpoint: &str, token: Secret) -> Result<Self, HttpError> {
        let endpoint = reqwest::Url::parse(endpoint)
            .map_err(|e| HttpError::Invalid(format!("GraphQL endpoint {endpoint:?}: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            token,
            pacer: Pacer::new(1000.0, 100.0),
            estimates: Mutex::new(HashMap::new()),
            usage: Usage::default(),
        })
    }

    /// The HTTP layer it sends through.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// Requests sent and points spent so far.
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// The host requests go to.
    pub fn host(&self) -> String {
        self.endpoint.host_str().unwrap_or("shopify").to_string()
    }

    fn estimate(&self, op: &Operation) -> f64 {
        let default = if op.document.trim_start().starts_with("mutation") {
            10.0
        } else {
            50.0
        };
        self.estimates
            .lock()
            .ok()
            .and_then(|e| e.get(op.name).copied())
            .unwrap_or(default)
    }

    /// Runs `op` with `variables` and decodes its `data`. Throttled answers are waited out
    /// and sent again (Shopify did not run them); the HTTP layer retries transport errors
    /// where `op` allows it.
    pub async fn run<T: DeserializeOwned>(
        &self,
        op: &Operation,
        variables: Value,
    ) -> Result<T, ShopifyError> {
        let max_wait = self.http.max_wait();
        let data = (|| self.run_once(op, &variables))
            .retry(self.http.backoff().with_max_times(12))
            .when(|e: &ShopifyError| matches!(e, ShopifyError::Throttled { .. }))
            .adjust(|e: &ShopifyError, next: Option<Duration>| {
                let next = next?;
                match e {
                    ShopifyError::Throttled { wait } if *wait > max_wait => None,
                    // The bucket's own refill time, not the backoff's guess.
                    ShopifyError::Throttled { wait } => Some(*wait),
                    _ => Some(next),
                }
            })
            .await?;
        serde_json::from_value(data).map_err(|e| ShopifyError::Decode {
            operation: op.name,
            detail: e.to_string(),
        })
    }

    async fn run_once(&self, op: &Operation, variables: &Value) -> Result<Value, ShopifyError> {
        self.pacer.take(self.estimate(op)).await;
        let body = json!({"query": op.document, "variables": variables, "operationName": op.name});
        let request = self
            .http
            .client()
            .post(self.endpoint.clone())
            .header("X-Shopify-Access-Token", self.token.expose())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(body.to_string())
            .build()
            .map_err(|e| HttpError::Invalid(self.http.redactor().redact(&e.to_string())))?;
        self.usage.requests.fetch_add(1, Ordering::Relaxed);
        let reply = self.http.send(request, op.replay).await?;
        let envelope: Envelope =
            serde_json::from_slice(&reply.body).map_err(|e| ShopifyError::Decode {
                operation: op.name,
                detail: format!("not a GraphQL answer: {e}"),
            })?;
        if let Some(cost) = envelope.extensions.as_ref().and_then(|x| x.cost) {
            self.pacer.observe(BucketReport {
                capacity: cost.throttle_status.maximum_available,
                available: cost.throttle_status.currently_available,
                restore_per_sec: cost.throttle_status.restore_rate,
            });
            if let Ok(mut e) = self.estimates.lock() {
                e.insert(op.name, cost.requested_query_cost);
            }
            self.usage.points.fetch_add(
                cost.actual_query_cost.unwrap_or(0.0).max(0.0) as u64,
                Ordering::Relaxed,
            );
            tracing::debug!(
                operation = op.name,
                requested = cost.requested_query_cost,
                actual = cost.actual_query_cost,
                available = cost.throttle_status.currently_available,
                "shopify cost"
            );
        }
        if let Some(err) = self.classify(op, &envelope) {
            return Err(err);
        }
        envelope.data.ok_or_else(|| ShopifyError::Decode {
            operation: op.name,
            detail: "no data and no errors".into(),
        })
    }

    fn classify(&self, op: &Operation, envelope: &Envelope) -> Option<ShopifyError> {
        let first = envelope.errors.first()?;
        let code = |e: &GraphqlError| {
            e.extensions
                .as_ref()
                .and_then(|x| x.code.clone())
                .unwrap_or_default()
        };
        let redact = |s: &str| self.http.redactor().redact(s);
        if envelope.errors.iter().any(|e| code(e) == "THROTTLED") {
            self.usage.throttled.fetch_add(1, Ordering::Relaxed);
            let needed = self.estimate(op);
            return Some(ShopifyError::Throttled {
                wait: self
                    .pacer
                    .time_until(needed)
                    .max(Duration::from_millis(100)),
            });
        }
        if let Some(denied) = envelope.errors.iter().find(|e| code(e) == "ACCESS_DENIED") {
            let hint = denied
                .extensions
                .as_ref()
                .and_then(|x| x.required_access.clone())
                .unwrap_or_default();
            let scope = scope_in(&hint)
                .or_else(|| scope_in(&denied.message))
                .or_else(|| op.scopes.first().map(|s| s.to_string()))
                .unwrap_or_else(|| "?".into());
            return Some(ShopifyError::MissingScope {
                scope,
                message: redact(&denied.message),
            });
        }
        let messages: Vec<String> = envelope.errors.iter().map(|e| redact(&e.message)).collect();
        if code(first) == "INTERNAL_SERVER_ERROR" {
            return Some(ShopifyError::Internal(messages.join("; ")));
        }
        Some(ShopifyError::Graphql(messages.join("; ")))
    }
}

/// A mutation payload's `userErrors`, as one message (`None` when there are none).
pub fn user_errors(payload: &Value) -> Option<String> {
    let errors = payload.get("userErrors")?.as_array()?;
    if errors.is_empty() {
        return None;
    }
    Some(
        errors
            .iter()
            .map(|e| {
                let field = e
                    .get("field")
                    .and_then(Value::as_array)
                    .map(|f| {
                        f.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .filter(|f| !f.is_empty());
                let message = e.get("message").and_then(Value::as_str).unwrap_or("?");
                match field {
                    Some(f) => format!("{f}: {message}"),
                    None => message.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_its_scope() {
        assert_eq!(
            scope_in("Required access: `write_orders` access scope.").as_deref(),
            Some("write_orders")
        );
        assert_eq!(scope_in("no scope here"), None);
    }

    #[test]
    fn user_errors_read_as_one_message() {
        let payload = json!({"userErrors": [{"field": ["input", "amount"], "message": "is too big"}, {"field": null, "message": "Order is closed"}]});
        assert_eq!(
            user_errors(&payload).as_deref(),
            Some("input.amount: is too big; Order is closed")
        );
        assert_eq!(user_errors(&json!({"userErrors": []})), None);
    }
}
