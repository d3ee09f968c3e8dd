//! Full exports through bulk operations: one `bulkOperationRunQuery`, a poll until Shopify
//! has written the JSON Lines file, then the file streamed record by record. Memory holds
//! one record (and its children) at a time, however large the shop.
//!
//! Exports with nested connections (a product's variants, an order's lines) ask Shopify to
//! group children under their parent: only then can a record be assembled and let go
//! before the next one arrives.

use super::client::user_errors;
use super::mapping::{CustomerNode, OrderNode, ProductNode};
use super::queries as q;
use super::store::ShopifyStore;
use futures::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use shopkeeper_tools::commerce::CommerceError;
use shopkeeper_tools::commerce::model::{Customer, Order, Product};
use std::time::Duration;

/// A finished bulk operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Its GID.
    pub id: String,
    /// Objects written.
    pub objects: u64,
    /// Where the file is (`None` when nothing matched).
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    id: String,
    status: String,
    error_code: Option<String>,
    object_count: Value,
    url: Option<String>,
}

fn count(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// Starts `query` as a bulk export and waits for it, `progress` told the objects written.
pub async fn run(
    store: &ShopifyStore,
    query: &str,
    grouped: bool,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Finished, CommerceError> {
    let mut wait = Duration::from_millis(500);
    let id = loop {
        let started: Value = store
            .run(&q::BULK_RUN, json!({"query": query, "group": grouped}))
            .await?;
        let payload = &started["bulkOperationRunQuery"];
        match user_errors(payload) {
            None => {
                break payload["bulkOperation"]["id"]
                    .as_str()
                    .ok_or_else(|| CommerceError::Unavailable("no bulk operation id".into()))?
                    .to_string();
            }
            // Another export of this app is still running: wait for it.
            Some(m) if m.contains("already in progress") => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            Some(m) => {
                return Err(CommerceError::Rejected(format!(
                    "Shopify refused the bulk export: {m}"
                )));
            }
        }
    };
    let mut wait = Duration::from_millis(200);
    loop {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Poll {
            bulk_operation: Option<Status>,
        }
        let p: Poll = store.run(&q::BULK_STATUS, json!({"id": id})).await?;
        let s = p
            .bulk_operation
            .ok_or_else(|| CommerceError::Unavailable(format!("bulk operation {id} vanished")))?;
        progress(count(&s.object_count));
        match s.status.as_str() {
            "COMPLETED" => {
                return Ok(Finished {
                    id: s.id,
                    objects: count(&s.object_count),
                    url: s.url,
                });
            }
            "FAILED" | "CANCELED" | "CANCELLED" | "EXPIRED" => {
                return Err(CommerceError::Unavailable(format!(
                    "Shopify's bulk export {} ended {} ({})",
                    s.id,
                    s.status,
                    s.error_code.unwrap_or_default()
                )));
            }
            _ => {
                tokio::time::sleep(wait).await;
                wait = (wait + wait / 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The lines of the file at `url`, one JSON object at a time.
fn lines(store: &ShopifyStore, url: String) -> BoxStream<'_, Result<Value, CommerceError>> {
    let http = store.graphql().http().clone();
    stream::once(async move {
        let request = http
            .client()
            .get(&url)
            .build()
            .map_err(|e| CommerceError::Misconfigured(e.to_string()))?;
        // The file's URL is signed: it carries no credentials of ours.
        http.stream(request)
            .await
            .map_err(|e| CommerceError::Unavailable(e.to_string()))
    })
    .map(|r: Result<reqwest::Response, CommerceError>| match r {
        Ok(response) => {
            let bytes = response.bytes_stream();
            split_lines(bytes).boxed()
        }
        Err(e) => stream::once(async move { Err(e) }).boxed(),
    })
    .flatten()
    .boxed()
}

/// Splits a byte stream into JSON lines, holding at most one partial line.
fn split_lines<S>(bytes: S) -> impl futures::Stream<Item = Result<Value, CommerceError>>
where
    S: futures::Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send + 'static,
{
    stream::unfold(
        (Box::pin(bytes), Vec::<u8>::new(), false),
        |(mut bytes, mut buffer, mut ended)| async move {
            loop {
                if let Some(at) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=at).collect();
                    let text = &line[..line.len() - 1];
                    if text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let parsed = serde_json::from_slice(text).map_err(|e| {
                        CommerceError::Unavailable(format!(
                            "a line of the bulk file is not JSON: {e}"
                        ))
                    });
                    return Some((parsed, (bytes, buffer, ended)));
                }
                if ended {
                    if buffer.iter().all(u8::is_ascii_whitespace) {
                        return None;
                    }
                    let rest = std::mem::take(&mut buffer);
                    let parsed = serde_json::from_slice(&rest).map_err(|e| {
                        CommerceError::Unavailable(format!("the bulk file ends mid-line: {e}"))
                    });
                    return Some((parsed, (bytes, buffer, ended)));
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        ended = true;
                        buffer.clear();
                        return Some((
                            Err(CommerceError::Unavailable(format!(
                                "the bulk file broke off: {e}"
                            ))),
                            (bytes, buffer, ended),
                        ));
                    }
                    None => ended = true,
                }
            }
        },
    )
}

/// Puts grouped lines back together: a record, then the child lines naming it as their
/// `__parentId`, under `children` as `{"nodes": [...]}`.
fn assemble<'a>(
    lines: BoxStream<'a, Result<Value, CommerceError>>,
    children: &'static str,
) -> BoxStream<'a, Result<Value, CommerceError>> {
    stream::unfold(
        (lines, None::<Value>, false),
        move |(mut lines, mut current, mut done)| async move {
            if done {
                return None;
            }
            loop {
                match lines.next().await {
                    Some(Ok(line)) => match line.get("__parentId").and_then(Value::as_str) {
                        Some(parent) => {
                            let Some(record) = current.as_mut() else {
                                continue; // a child without its parent: nothing to attach it to
                            };
                            if record["id"].as_str() == Some(parent) {
                                if !record[children]["nodes"].is_array() {
                                    record[children] = json!({"nodes": []});
                                }
                                if let Some(nodes) = record[children]["nodes"].as_array_mut() {
                                    nodes.push(line);
                                }
                            }
                        }
                        None => {
                            let finished = current.replace(line);
                            if let Some(record) = finished {
                                return Some((Ok(record), (lines, current, done)));
                            }
                        }
                    },
                    Some(Err(e)) => {
                        done = true;
                        return Some((Err(e), (lines, current, done)));
                    }
                    None => {
                        done = true;
                        return current.take().map(|r| (Ok(r), (lines, None, done)));
                    }
                }
            }
        },
    )
    .boxed()
}

fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    v: Value,
) -> Result<T, CommerceError> {
    serde_json::from_value(v)
        .map_err(|e| CommerceError::Unavailable(format!("a {what} of the bulk file: {e}")))
}

async fn file(
    store: &ShopifyStore,
    query: &str,
    grouped: bool,
) -> Result<Option<String>, CommerceError> {
    Ok(run(store, query, grouped, &mut |_| {}).await?.url)
}

/// Every product with its variants.
pub fn products(store: &ShopifyStore) -> BoxStream<'_, Result<Product, CommerceError>> {
    let currency = store.currency();
    stream::once(async move { file(store, q::BULK_PRODUCTS, true).await })
        .map(move |url| match url {
            Ok(Some(url)) => assemble(lines(store, url), "variants").boxed(),
            Ok(None) => stream::empty().boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .map(move |r| {
            r.and_then(|v| decode::<ProductNode>("product", v))
                .map(|p| p.product(&currency))
        })
        .boxed()
}

/// Every order with its lines.
pub fn orders(store: &ShopifyStore) -> BoxStream<'_, Result<Order, CommerceError>> {
    stream::once(async move { file(store, q::BULK_ORDERS, true).await })
        .map(move |url| match url {
            Ok(Some(url)) => assemble(lines(store, url), "lineItems").boxed(),
            Ok(None) => stream::empty().boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .map(|r| {
            r.and_then(|v| decode::<OrderNode>("order", v))
                .map(|o| o.order())
        })
        .boxed()
}

/// Every customer (a flat export: no grouping needed).
pub fn customers(store: &ShopifyStore) -> BoxStream<'_, Result<Customer, CommerceError>> {
    stream::once(async move { file(store, q::BULK_CUSTOMERS, false).await })
        .map(move |url| match url {
            Ok(Some(url)) => lines(store, url),
            Ok(None) => stream::empty().boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .map(|r| {
            r.and_then(|v| decode::<CustomerNode>("customer", v))
                .map(|c| c.customer())
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_split_across_chunks_and_children_join_their_parent() {
        let chunks: Vec<Result<bytes::Bytes, reqwest::Error>> = vec![
            Ok(bytes::Bytes::from_static(
                b"{\"id\":\"p1\"}\n{\"id\":\"v1\",\"__par",
            )),
            Ok(bytes::Bytes::from_static(
                b"entId\":\"p1\"}\n{\"id\":\"p2\"}\n",
            )),
            Ok(bytes::Bytes::from_static(
                b"{\"id\":\"v2\",\"__parentId\":\"p2\"}",
            )),
        ];
        let lines = split_lines(stream::iter(chunks)).boxed();
        let records: Vec<Value> = assemble(lines, "variants")
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert_eq!(records.len(), 2);
        assert_eq!(records[0]["variants"]["nodes"][0]["id"], "v1");
        assert_eq!(records[1]["variants"]["nodes"][0]["id"], "v2");
    }
}
