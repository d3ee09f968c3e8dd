//! A fake Shopify Admin API for the tests and `shopkeeper bench shopify`: an in-memory shop
//! behind the real GraphQL protocol on loopback. Every document it receives is validated
//! against Shopify's published schema; it checks the access token and scopes, reserves and
//! reports query cost from a leaky bucket and answers `THROTTLED` when it is empty, refuses
//! the mutations Shopify refuses without `@idempotent(key:)` and replays them by key,
//! insists on an explicit `changeFromQuantity`, runs bulk exports and serves their JSON
//! Lines files, and can be told to fail, throttle or lose answers.

pub mod cost;
mod mutations;
pub mod resolve;
pub mod schema;
pub mod shop;

use crate::shopify::config::{API_VERSION, ShopifyConfig};
use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::resolvers::Execution;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, ast};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use resolve::{Ctx, MutationRoot, QueryRoot};
use serde_json::{Map, Value, json};
use shop::{BulkOp, Scale, Shop};
use shopkeeper_tools::secret::Secret;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The shop's myshopify domain.
    pub domain: String,
    /// The access token it accepts.
    pub token: String,
    /// Scopes granted to the app.
    pub scopes: Vec<String>,
    /// Cost points the bucket holds.
    pub capacity: f64,
    /// Points restored a second (Shopify's Standard plan: 100).
    pub restore_rate: f64,
    /// The generated shop's size.
    pub scale: Scale,
}

/// Every scope the connector's tools use.
pub const ALL_SCOPES: &[&str] = &[
    "read_products",
    "write_products",
    "read_orders",
    "write_orders",
    "read_customers",
    "write_customers",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_returns",
    "write_returns",
    "read_discounts",
    "write_discounts",
];

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            domain: "acme.myshopify.com".into(),
            token: "shpat_fake_0123456789abcdef".into(),
            scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            capacity: 1000.0,
            restore_rate: 1000.0,
            scale: Scale::default(),
        }
    }
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The operation's name.
    pub operation: Option<String>,
    /// The root fields it asked for.
    pub root_fields: Vec<String>,
    /// Its variables.
    pub variables: Value,
    /// The idempotency key it carried, if any.
    pub key: Option<String>,
    /// What the fake did: `ok`, `throttled`, `invalid`, `denied`, `failed`, `lost`...
    pub outcome: &'static str,
    /// Cost points it spent (0 when it did not run).
    pub cost: f64,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    available: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self) {
        let now = Instant::now();
        self.available = (self.available + now.duration_since(self.at).as_secs_f64() * self.rate)
            .min(self.capacity);
        self.at = now;
    }

    fn status(&self) -> Value {
        json!({"maximumAvailable": self.capacity, "currentlyAvailable": self.available.floor(), "restoreRate": self.rate})
    }
}

/// What the fake should do to the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    Status(u16),
    Throttle,
}

#[derive(Debug)]
struct Fake {
    ctx: Arc<Ctx>,
    options: FakeOptions,
    bucket: Mutex<Bucket>,
    calls: Mutex<Vec<Call>>,
    troubles: Mutex<VecDeque<Trouble>>,
    lose: Mutex<HashMap<String, u32>>,
}

/// A running fake shop.
#[derive(Debug)]
pub struct FakeShopify {
    fake: Arc<Fake>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeShopify {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeShopify {
    /// Starts a fake shop on a free loopback port.
    pub async fn start(options: FakeOptions) -> std::io::Result<Self> {
        schema::admin().map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let ctx = Arc::new(Ctx {
            shop: Arc::new(Mutex::new(Shop::new(&options.domain, options.scale))),
            scopes: options.scopes.clone(),
            base_url: format!("http://{addr}"),
            keys: HashMap::new(),
        });
        let fake = Arc::new(Fake {
            ctx,
            bucket: Mutex::new(Bucket {
                capacity: options.capacity,
                available: options.capacity,
                rate: options.restore_rate,
                at: Instant::now(),
            }),
            options,
            calls: Mutex::new(Vec::new()),
            troubles: Mutex::new(VecDeque::new()),
            lose: Mutex::new(HashMap::new()),
        });
        let app = axum::Router::new()
            .route(
                "/admin/api/{version}/graphql.json",
                axum::routing::post(graphql),
            )
            .route("/bulk/{file}", axum::routing::get(bulk_file))
            .with_state(fake.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake shopify stopped");
            }
        });
        Ok(Self { fake, addr, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The GraphQL endpoint.
    pub fn endpoint(&self) -> String {
        format!("{}/admin/api/{API_VERSION}/graphql.json", self.url())
    }

    /// A `[shopify]` section pointing at this fake.
    pub fn config(&self) -> ShopifyConfig {
        ShopifyConfig {
            shop: self.fake.options.domain.clone(),
            access_token: Some(Secret::new(self.fake.options.token.clone())),
            api_version: API_VERSION.into(),
            webhook_secret: None,
            api_url: Some(self.endpoint()),
        }
    }

    /// Every request so far.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.fake.calls).clone()
    }

    /// How many times `root_field` (e.g. `orderCancel`) ran.
    pub fn ran(&self, root_field: &str) -> usize {
        lock(&self.fake.calls)
            .iter()
            .filter(|c| {
                matches!(c.outcome, "ok" | "lost" | "replayed")
                    && c.root_fields.iter().any(|f| f == root_field)
            })
            .count()
    }

    /// The shop, to read or set up.
    pub fn shop(&self) -> MutexGuard<'_, Shop> {
        lock(&self.fake.ctx.shop)
    }

    /// The next `n` requests answer HTTP `status` without running.
    pub fn fail_next(&self, status: u16, n: usize) {
        let mut t = lock(&self.fake.troubles);
        t.extend(std::iter::repeat_n(Trouble::Status(status), n));
    }

    /// The next `n` requests answer `THROTTLED` without running.
    pub fn throttle_next(&self, n: usize) {
        let mut t = lock(&self.fake.troubles);
        t.extend(std::iter::repeat_n(Trouble::Throttle, n));
    }

    /// The next `n` requests running `root_field` run, then lose their answer (HTTP 502):
    /// the caller cannot tell whether they took effect.
    pub fn lose_answers(&self, root_field: &str, n: u32) {
        lock(&self.fake.lose).insert(root_field.to_string(), n);
    }

    /// Empties the cost bucket.
    pub fn drain(&self) {
        let mut b = lock(&self.fake.bucket);
        b.available = 0.0;
        b.at = Instant::now();
    }
}

fn graphql_error(message: &str, code: &str) -> Value {
    json!({"message": message, "extensions": {"code": code}})
}

fn answer(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// The key of a root field's `@idempotent(key:)`, literal or variable.
fn idempotency_key(
    field: &apollo_compiler::executable::Field,
    variables: &Value,
) -> Option<String> {
    let d = field.directives.iter().find(|d| d.name == "idempotent")?;
    let v = d.specified_argument_by_name("key")?;
    match v.as_ref() {
        ast::Value::String(s) => Some(s.clone()),
        ast::Value::Variable(name) => variables[name.as_str()].as_str().map(String::from),
        _ => None,
    }
}

/// Whether every inventory change of `input` names `changeFromQuantity` (null included).
fn explicit_compare(variables: &Value, list: &str) -> bool {
    fn find<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
        match v {
            Value::Object(m) => m.get(key).or_else(|| m.values().find_map(|x| find(x, key))),
            _ => None,
        }
    }
    match find(variables, list).and_then(Value::as_array) {
        Some(items) => items.iter().all(|i| i.get("changeFromQuantity").is_some()),
        None => true,
    }
}

async fn graphql(
    State(fake): State<Arc<Fake>>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let log = |call: Call| lock(&fake.calls).push(call);
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(fake.options.token.as_str()) {
        log(Call {
            operation: None,
            root_fields: vec![],
            variables: Value::Null,
            key: None,
            outcome: "unauthorized",
            cost: 0.0,
        });
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})),
        )
            .into_response();
    }
    let trouble = lock(&fake.troubles).pop_front();
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errors": "invalid JSON"})),
        )
            .into_response();
    };
    let query = request["query"].as_str().unwrap_or_default().to_string();
    let variables = request
        .get("variables")
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let op_name = request["operationName"].as_str().map(String::from);
    let mut call = Call {
        operation: op_name.clone(),
        root_fields: vec![],
        variables: variables.clone(),
        key: None,
        outcome: "ok",
        cost: 0.0,
    };
    if let Some(Trouble::Status(status)) = trouble {
        call.outcome = "failed";
        log(call);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "fake outage").into_response();
    }
    let admin = match schema::admin() {
        Ok(a) => a,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    };
    let doc: Arc<Valid<ExecutableDocument>> = match admin.validate(&query) {
        Ok(d) => d,
        Err(e) => {
            call.outcome = "invalid";
            log(call);
            return answer(json!({"errors": [graphql_error(&e, "GRAPHQL_VALIDATION_FAILED")]}));
        }
    };
    let Ok(operation) = doc.operations.get(op_name.as_deref()) else {
        call.outcome = "invalid";
        log(call);
        return answer(json!({"errors": [graphql_error("no such operation", "BAD_REQUEST")]}));
    };
    let roots: Vec<&apollo_compiler::executable::Field> =
        operation.root_fields(&doc).map(|f| &**f).collect();
    call.root_fields = roots.iter().map(|f| f.name.to_string()).collect();
    let root_type = if operation.is_mutation() {
        "Mutation"
    } else {
        "QueryRoot"
    };

    // Cost: reserve before running, or refuse with THROTTLED.
    let requested = cost::requested(&admin.schema, &doc, operation, &variables);
    let status = {
        let mut b = lock(&fake.bucket);
        b.refill();
        if requested > cost::MAX_COST {
            call.outcome = "too_costly";
            let s = b.status();
            drop(b);
            log(call);
            return answer(
                json!({"errors": [graphql_error(&format!("Query cost is {requested}, which exceeds the single query max cost limit ({}).", cost::MAX_COST), "MAX_COST_EXCEEDED")], "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": s}}}),
            );
        }
        if trouble == Some(Trouble::Throttle) || b.available < requested {
            call.outcome = "throttled";
            let s = b.status();
            drop(b);
            log(call);
            return answer(
                json!({"errors": [graphql_error("Throttled", "THROTTLED")], "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": s}}}),
            );
        }
        b.available -= requested;
        b.status()
    };
    let _ = status;

    // Access scopes, as the schema's `offline_scopes` name them.
    for f in &roots {
        let mut needs = admin.field_scopes(root_type, &f.name);
        if needs.is_empty() {
            needs = admin.type_scopes(f.definition.ty.inner_named_type().as_str());
        }
        if !needs.is_empty() && !needs.iter().any(|n| fake.options.scopes.contains(n)) {
            call.outcome = "denied";
            log(call);
            let msg = format!(
                "Access denied for {} field. Required access: `{}` access scope.",
                f.name, needs[0]
            );
            return answer(
                json!({"errors": [{"message": msg, "extensions": {"code": "ACCESS_DENIED", "requiredAccess": format!("`{}` access scope.", needs[0])}}]}),
            );
        }
    }

    // What the schema does not say: keys Shopify requires, and explicit compare quantities.
    let mut keys = HashMap::new();
    for f in &roots {
        let key = idempotency_key(f, &variables);
        if admin.idempotent_required.contains(f.name.as_str())
            && key.as_deref().is_none_or(|k| k.trim().is_empty())
        {
            call.outcome = "invalid";
            log(call);
            return answer(
                json!({"errors": [graphql_error(&format!("The @idempotent directive is required for the {} mutation.", f.name), "BAD_REQUEST")]}),
            );
        }
        let list = match f.name.as_str() {
            "inventoryAdjustQuantities" => Some("changes"),
            "inventorySetQuantities" => Some("quantities"),
            _ => None,
        };
        if let Some(list) = list
            && !explicit_compare(&variables, list)
        {
            call.outcome = "invalid";
            log(call);
            return answer(
                json!({"errors": [graphql_error("changeFromQuantity must be provided for every change (null to skip the check).", "BAD_REQUEST")]}),
            );
        }
        if let Some(k) = key {
            call.key = Some(k.clone());
            keys.insert(f.name.to_string(), k);
        }
    }
    let replayed = call
        .key
        .as_ref()
        .is_some_and(|k| lock(&fake.ctx.shop).idempotent.contains_key(k));
    let ctx = Arc::new(Ctx {
        shop: fake.ctx.shop.clone(),
        scopes: fake.ctx.scopes.clone(),
        base_url: fake.ctx.base_url.clone(),
        keys,
    });
    let vars: serde_json_bytes::Map<serde_json_bytes::ByteString, serde_json_bytes::Value> =
        match serde_json_bytes::Value::from(variables.clone()) {
            serde_json_bytes::Value::Object(m) => m,
            _ => serde_json_bytes::Map::new(),
        };
    let execution = Execution::new(&admin.schema, &doc)
        .operation(operation)
        .raw_variable_values(&vars);
    let response = if operation.is_mutation() {
        execution.execute_sync(&MutationRoot { ctx })
    } else {
        execution.execute_sync(&QueryRoot { ctx })
    };
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            call.outcome = "invalid";
            log(call);
            return answer(
                json!({"errors": [graphql_error(&e.message().to_string(), "BAD_REQUEST")]}),
            );
        }
    };
    let mut out = serde_json::to_value(&response).unwrap_or(Value::Null);
    let data = out.get("data").cloned().unwrap_or(Value::Null);
    let actual = cost::actual(&data, requested);
    let throttle = {
        let mut b = lock(&fake.bucket);
        // Reserved the requested cost; the unused part comes back.
        b.available = (b.available + requested - actual).min(b.capacity);
        b.status()
    };
    if let Value::Object(m) = &mut out {
        m.insert(
            "extensions".into(),
            json!({"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}}),
        );
    }
    call.cost = actual;
    let lost = {
        let mut lose = lock(&fake.lose);
        call.root_fields.iter().any(|f| match lose.get_mut(f) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
    };
    call.outcome = if lost {
        "lost"
    } else if replayed {
        "replayed"
    } else {
        "ok"
    };
    log(call);
    if lost {
        return (StatusCode::BAD_GATEWAY, "upstream connect error").into_response();
    }
    answer(out)
}

/// `(selection of a root connection's node, the nested connection's field and its node selection)`.
fn bulk_shape(
    doc: &Valid<ExecutableDocument>,
) -> Option<(SelectionSet, Option<(String, SelectionSet)>)> {
    fn node_of(set: &SelectionSet) -> Option<SelectionSet> {
        set.selections.iter().find_map(|s| match s {
            Selection::Field(f) if f.name == "edges" => {
                f.selection_set.selections.iter().find_map(|s| match s {
                    Selection::Field(n) if n.name == "node" => Some(n.selection_set.clone()),
                    _ => None,
                })
            }
            Selection::Field(f) if f.name == "nodes" => Some(f.selection_set.clone()),
            _ => None,
        })
    }
    let op = doc.operations.iter().next()?;
    let root = op.root_fields(doc).next()?;
    let node = node_of(&root.selection_set)?;
    let child = node.selections.iter().find_map(|s| match s {
        Selection::Field(f)
            if f.definition
                .ty
                .inner_named_type()
                .as_str()
                .ends_with("Connection") =>
        {
            node_of(&f.selection_set).map(|set| (f.name.to_string(), set))
        }
        _ => None,
    });
    Some((node, child))
}

/// `value` reduced to what `set` selects, nested connections left out.
fn project(value: &Value, set: &SelectionSet) -> Value {
    let mut out = Map::new();
    for s in &set.selections {
        match s {
            Selection::Field(f) => {
                if f.definition
                    .ty
                    .inner_named_type()
                    .as_str()
                    .ends_with("Connection")
                {
                    continue;
                }
                let key = f.alias.as_ref().unwrap_or(&f.name).to_string();
                let v = value.get(f.name.as_str()).cloned().unwrap_or(Value::Null);
                let v = if f.selection_set.selections.is_empty() {
                    v
                } else {
                    match v {
                        Value::Array(items) => Value::Array(
                            items.iter().map(|i| project(i, &f.selection_set)).collect(),
                        ),
                        Value::Null => Value::Null,
                        other => project(&other, &f.selection_set),
                    }
                };
                out.insert(key, v);
            }
            Selection::InlineFragment(i) => {
                if let Value::Object(m) = project(value, &i.selection_set) {
                    out.extend(m);
                }
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Value::Object(out)
}

/// The `index`th record of an export (`None` past the end or where one was deleted).
fn bulk_record(shop: &Shop, root: &str, index: usize) -> Option<Value> {
    match root {
        "products" => {
            let gid = if index < shop.scale.products {
                Shop::product_gid(index)
            } else {
                shop.created_products
                    .get(index - shop.scale.products)?
                    .clone()
            };
            shop.product(&gid)
        }
        "orders" => shop.order(&Shop::order_gid(index)),
        _ => shop.customer(&Shop::customer_gid(index)),
    }
}

/// Root objects an export writes (children are not counted).
pub(crate) fn bulk_objects(ctx: &Ctx, op: &BulkOp) -> usize {
    let shop = lock(&ctx.shop);
    match op.root.as_str() {
        "products" => shop.product_ids().count(),
        "orders" => shop.scale.orders,
        _ => shop.scale.customers,
    }
}

/// Records written per turn of the file's stream (each takes the shop's lock once).
const BULK_CHUNK: usize = 200;

async fn bulk_file(State(fake): State<Arc<Fake>>, Path(file): Path<String>) -> Response {
    let n = file.trim_end_matches(".jsonl");
    let id = format!("gid://shopify/BulkOperation/{n}");
    let Some(op) = lock(&fake.ctx.shop).bulk.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let Ok(admin) = schema::admin() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "schema").into_response();
    };
    let Some((node, child)) = admin.validate(&op.query).ok().and_then(|d| bulk_shape(&d)) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "unreadable bulk query").into_response();
    };
    let total = {
        let shop = lock(&fake.ctx.shop);
        match op.root.as_str() {
            "products" => shop.scale.products + shop.created_products.len(),
            "orders" => shop.scale.orders,
            _ => shop.scale.customers,
        }
    };
    // Grouped: each record, then its children. Not grouped: all records, then all children.
    let passes: Vec<u8> = if op.grouped || child.is_none() {
        vec![0]
    } else {
        vec![1, 2]
    };
    let shop = fake.ctx.shop.clone();
    let stream = futures::stream::iter(
        passes
            .into_iter()
            .flat_map(move |pass| (0..total.div_ceil(BULK_CHUNK)).map(move |chunk| (pass, chunk))),
    )
    .map(move |(pass, chunk)| {
        let shop = lock(&shop);
        let mut text = String::new();
        let end = ((chunk + 1) * BULK_CHUNK).min(total);
        for index in chunk * BULK_CHUNK..end {
            let Some(record) = bulk_record(&shop, &op.root, index) else {
                continue;
            };
            if pass != 2 {
                text.push_str(&project(&record, &node).to_string());
                text.push('\n');
            }
            if pass != 1
                && let Some((field, set)) = &child
            {
                for c in record[field.as_str()].as_array().into_iter().flatten() {
                    let mut line = project(c, set);
                    line["__parentId"] = record["id"].clone();
                    text.push_str(&line.to_string());
                    text.push('\n');
                }
            }
        }
        Ok::<Bytes, std::io::Error>(Bytes::from(text))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/jsonl")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| (StatusCode::INTERNAL_SERVER_ERROR, "body").into_response())
}

use futures::StreamExt;

/// Sends a webhook delivery the way Shopify does: the JSON body signed with the app's
/// secret, and Shopify's headers. Returns the status the receiver answered.
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    shop: &str,
    topic: &str,
    webhook_id: &str,
    body: &[u8],
) -> Result<u16, reqwest::Error> {
    let signature = crate::http::signature::sign_base64(secret.as_bytes(), body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-shop-domain", shop)
        .header("x-shopify-webhook-id", webhook_id)
        .header("x-shopify-api-version", API_VERSION)
        .header("x-shopify-triggered-at", shop::now())
        .body(body.to_vec())
        .send()
        .await?;
    Ok(response.status().as_u16())
}
