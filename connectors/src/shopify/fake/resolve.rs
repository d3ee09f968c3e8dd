//! Field resolvers for apollo-compiler's executor: the query and mutation roots over the
//! fake shop, and a generic object over the shop's JSON records (connections paged from
//! arrays, abstract types told apart by `__typename`). Execution itself — aliases,
//! fragments, variables, nullability — is the library's, per the GraphQL spec.

use super::shop::{LOCATIONS, Shop, bag, bag_amount, now, tail};
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What every resolver reaches.
#[derive(Debug)]
pub struct Ctx {
    /// The shop.
    pub shop: Arc<Mutex<Shop>>,
    /// The scopes the app was granted.
    pub scopes: Vec<String>,
    /// Where bulk files are served from.
    pub base_url: String,
    /// Idempotency keys by root field, for this request.
    pub keys: HashMap<String, String>,
}

impl Ctx {
    fn shop(&self) -> Result<MutexGuard<'_, Shop>, FieldError> {
        self.shop.lock().map_err(|_| FieldError {
            message: "the fake shop's lock is poisoned".into(),
        })
    }
}

fn leaf<'a>(v: Value) -> ResolvedValue<'a> {
    ResolvedValue::leaf(JsonValue::from(v))
}

fn args(info: &ResolveInfo<'_>) -> Value {
    serde_json::to_value(info.arguments()).unwrap_or(Value::Null)
}

/// A record (or part of one) served as the GraphQL object its field's type names.
pub struct Node {
    ty: String,
    value: Value,
    ctx: Arc<Ctx>,
}

impl Node {
    fn new(ty: &str, value: Value, ctx: &Arc<Ctx>) -> Self {
        // An abstract field's value says which object it is.
        let ty = value["__typename"].as_str().unwrap_or(ty).to_string();
        Self {
            ty,
            value,
            ctx: ctx.clone(),
        }
    }
}

fn cursor(i: usize) -> String {
    format!("cursor:{i}")
}

fn after(args: &Value) -> usize {
    args["after"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(0, |n| n + 1)
}

/// A page of a connection over `items` (the whole list), as GraphQL shows it.
pub fn connection(items: Vec<Value>, args: &Value) -> Value {
    let start = after(args);
    let first = args["first"].as_u64().unwrap_or(50) as usize;
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(first).collect();
    let end = start + page.len();
    let edges: Vec<Value> = page
        .iter()
        .enumerate()
        .map(|(n, node)| json!({"cursor": cursor(start + n), "node": node}))
        .collect();
    json!({
        "nodes": page, "edges": edges,
        "pageInfo": {
            "hasNextPage": end < total, "hasPreviousPage": start > 0,
            "startCursor": (end > start).then(|| cursor(start)),
            "endCursor": (end > start).then(|| cursor(end - 1)),
        }
    })
}

impl ObjectValue for Node {
    fn type_name(&self) -> &str {
        &self.ty
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let name = info.field_name();
        let def = &info.field_definition().ty;
        let ty = def.inner_named_type().as_str();
        let args = args(info);
        if self.ty == "Order" && name == "suggestedRefund" {
            return Ok(ResolvedValue::object(Node::new(
                "SuggestedRefund",
                suggested_refund(&self.value, &args),
                &self.ctx,
            )));
        }
        let value = self.value.get(name).cloned().unwrap_or(Value::Null);
        let schema = info.schema();
        let is_object = schema.types.get(ty).is_some_and(|t| {
            !matches!(
                t,
                apollo_compiler::schema::ExtendedType::Scalar(_)
                    | apollo_compiler::schema::ExtendedType::Enum(_)
            )
        });
        if !is_object {
            return Ok(match value {
                // A list of scalars is a list of leaves to the executor.
                Value::Array(items) if def.is_list() => {
                    ResolvedValue::list(items.into_iter().map(leaf))
                }
                v => leaf(v),
            });
        }
        if ty.ends_with("Connection") {
            let items = value.as_array().cloned().unwrap_or_default();
            return Ok(ResolvedValue::object(Node::new(
                ty,
                connection(items, &args),
                &self.ctx,
            )));
        }
        match value {
            Value::Null => Ok(ResolvedValue::null()),
            Value::Array(items) => {
                let mut items: Vec<Value> = items;
                if name == "quantities"
                    && let Some(names) = args["names"].as_array()
                {
                    items.retain(|q| names.contains(&q["name"]));
                }
                if let Some(first) = args["first"].as_u64() {
                    items.truncate(first as usize);
                }
                let ctx = self.ctx.clone();
                let ty = ty.to_string();
                Ok(ResolvedValue::list(items.into_iter().map(move |v| {
                    if v.is_null() {
                        ResolvedValue::null()
                    } else {
                        ResolvedValue::object(Node::new(&ty, v, &ctx))
                    }
                })))
            }
            v => Ok(ResolvedValue::object(Node::new(ty, v, &self.ctx))),
        }
    }
}

fn suggested_refund(order: &Value, args: &Value) -> Value {
    let currency = order["currencyCode"].as_str().unwrap_or("USD");
    let refundable = bag_amount(&order["totalPriceSet"]) - bag_amount(&order["totalRefundedSet"]);
    let mut amount = Decimal::ZERO;
    if args["suggestFullRefund"] == true {
        amount = refundable;
    } else {
        for l in args["refundLineItems"].as_array().into_iter().flatten() {
            if let Some(line) = order["lineItems"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["id"] == l["lineItemId"])
            {
                amount += bag_amount(&line["originalUnitPriceSet"])
                    * Decimal::from(l["quantity"].as_i64().unwrap_or(0));
            }
        }
        if let Some(s) = args["shippingAmount"].as_str() {
            amount += s.parse::<Decimal>().unwrap_or_default();
        }
        if amount.is_zero() {
            amount = refundable;
        }
    }
    let amount = amount.min(refundable);
    let sale = order["transactions"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["kind"] == "SALE"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "amountSet": bag(amount, currency),
        "refundLineItems": [],
        "shipping": {"amountSet": bag(Decimal::ZERO, currency), "maximumRefundableSet": bag(Decimal::ZERO, currency)},
        "suggestedTransactions": [{
            "gateway": sale["gateway"], "kind": "SUGGESTED_REFUND",
            "amountSet": bag(amount, currency),
            "parentTransaction": sale,
        }],
    })
}

/// The query root.
pub struct QueryRoot {
    /// Shared state.
    pub ctx: Arc<Ctx>,
}

fn page_of<I: Iterator<Item = Value>>(records: I, args: &Value) -> Value {
    // Pages are cut from the matching records in order; only the page is kept.
    let start = after(args);
    let first = args["first"].as_u64().unwrap_or(50) as usize;
    let mut page = Vec::with_capacity(first);
    let mut more = false;
    for (i, r) in records.enumerate().skip(start) {
        if page.len() == first {
            more = true;
            break;
        }
        page.push((i, r));
    }
    let edges: Vec<Value> = page
        .iter()
        .map(|(i, r)| json!({"cursor": cursor(*i), "node": r}))
        .collect();
    let end = page.last().map(|(i, _)| cursor(*i));
    let begin = page.first().map(|(i, _)| cursor(*i));
    json!({
        "nodes": page.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        "edges": edges,
        "pageInfo": {"hasNextPage": more, "hasPreviousPage": start > 0, "startCursor": begin, "endCursor": end},
    })
}

fn count(n: usize) -> Value {
    json!({"count": n, "precision": "EXACT"})
}

impl ObjectValue for QueryRoot {
    fn type_name(&self) -> &str {
        "QueryRoot"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let args = args(info);
        let ctx = &self.ctx;
        let shop = ctx.shop()?;
        let ty = info.field_definition().ty.inner_named_type().to_string();
        let query = args["query"].as_str().unwrap_or_default().to_string();
        let obj = |v: Option<Value>| -> Result<ResolvedValue<'a>, FieldError> {
            Ok(match v {
                Some(v) => ResolvedValue::object(Node::new(&ty, v, ctx)),
                None => ResolvedValue::null(),
            })
        };
        match info.field_name() {
            "shop" => obj(Some(json!({
                "id": "gid://shopify/Shop/1", "name": "Acme (fake)", "myshopifyDomain": shop.domain,
                "currencyCode": shop.currency, "email": "owner@example.com", "ianaTimezone": "UTC",
                "plan": {"publicDisplayName": "Basic", "displayName": "Basic", "partnerDevelopment": false, "shopifyPlus": false},
            }))),
            "currentAppInstallation" => obj(Some(json!({
                "accessScopes": ctx.scopes.iter().map(|s| json!({"handle": s, "description": s})).collect::<Vec<_>>(),
            }))),
            "productsCount" => obj(Some(count(shop.product_ids().count()))),
            "ordersCount" => obj(Some(count(shop.scale.orders))),
            "customersCount" => obj(Some(count(shop.scale.customers))),
            "order" => obj(shop.order(args["id"].as_str().unwrap_or_default())),
            "orders" => {
                let reverse = args["reverse"] == true;
                let ids: Box<dyn Iterator<Item = String>> = if reverse {
                    Box::new(shop.order_ids().rev())
                } else {
                    Box::new(shop.order_ids())
                };
                let records = ids
                    .filter_map(|id| shop.order(&id))
                    .filter(|o| Shop::matches(o, &query));
                obj(Some(page_of(records, &args)))
            }
            "customer" => obj(shop.customer(args["id"].as_str().unwrap_or_default())),
            "customers" => {
                let records = shop
                    .customer_ids()
                    .filter_map(|id| shop.customer(&id))
                    .filter(|c| Shop::matches(c, &query));
                obj(Some(page_of(records, &args)))
            }
            "product" => obj(shop.product(args["id"].as_str().unwrap_or_default())),
            "productByIdentifier" => {
                let id = &args["identifier"];
                obj(match (id["id"].as_str(), id["handle"].as_str()) {
                    (Some(gid), _) => shop.product(gid),
                    (None, Some(h)) => shop.product_by_handle(h),
                    _ => None,
                })
            }
            "products" => {
                let records = shop
                    .product_ids()
                    .filter_map(|id| shop.product(&id))
                    .filter(|p| Shop::matches(p, &query));
                obj(Some(page_of(records, &args)))
            }
            "productVariants" => {
                let sku = query
                    .strip_prefix("sku:")
                    .map(|s| s.trim_matches('"').replace("\\\"", "\""))
                    .unwrap_or_default();
                let found: Vec<Value> = shop
                    .variant_by_sku(&sku)
                    .map(|(mut v, p)| {
                        v["product"] = p;
                        v
                    })
                    .into_iter()
                    .collect();
                obj(Some(connection(found, &args)))
            }
            "locations" => obj(Some(connection(
                LOCATIONS
                    .iter()
                    .map(|(id, name)| json!({"id": id, "name": name, "isActive": true, "fulfillsOnlineOrders": true}))
                    .collect(),
                &args,
            ))),
            "codeDiscountNodeByCode" => obj(shop
                .discounts
                .get(&args["code"].as_str().unwrap_or_default().to_uppercase())
                .cloned()),
            "job" => {
                let id = args["id"].as_str().unwrap_or_default().to_string();
                let done = shop.jobs.get(&id).copied();
                drop(shop);
                // A job is done the second time it is asked about.
                if let Some(false) = done
                    && let Ok(mut s) = ctx.shop.lock()
                {
                    s.jobs.insert(id.clone(), true);
                }
                obj(done.map(|d| json!({"id": id, "done": d})))
            }
            "node" => {
                let id = args["id"].as_str().unwrap_or_default();
                obj(shop.order(id).or_else(|| shop.customer(id)).or_else(|| shop.product(id)))
            }
            "bulkOperation" => {
                let id = args["id"].as_str().unwrap_or_default().to_string();
                let url = format!("{}/bulk/{}.jsonl", ctx.base_url, tail(&id).unwrap_or(0));
                let op = shop.bulk.get(&id).cloned();
                drop(shop);
                let Some(op) = op else { return obj(None) };
                let done = op.polls_left == 0;
                if !done && let Ok(mut s) = ctx.shop.lock()
                    && let Some(o) = s.bulk.get_mut(&id)
                {
                    o.polls_left -= 1;
                }
                let objects = if done { super::bulk_objects(ctx, &op) } else { 0 };
                obj(Some(json!({
                    "id": id, "status": if done { "COMPLETED" } else { "RUNNING" }, "errorCode": null,
                    "objectCount": objects.to_string(), "rootObjectCount": "0",
                    "url": done.then_some(url), "partialDataUrl": null, "query": op.query,
                    "createdAt": now(), "completedAt": done.then(now), "type": "QUERY", "fileSize": null,
                })))
            }
            "webhookSubscriptions" => obj(Some(connection(shop.webhooks.clone(), &args))),
            other => Err(FieldError {
                message: format!("the fake does not serve QueryRoot.{other}"),
            }),
        }
    }
}

/// The mutation root.
pub struct MutationRoot {
    /// Shared state.
    pub ctx: Arc<Ctx>,
}

impl ObjectValue for MutationRoot {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let name = info.field_name().to_string();
        let ty = info.field_definition().ty.inner_named_type().to_string();
        let args = args(info);
        let key = self.ctx.keys.get(&name).cloned();
        let mut shop = self.ctx.shop()?;
        // The same key again is the same mutation: its first payload, nothing run.
        if let Some(k) = &key
            && let Some(done) = shop.idempotent.get(k)
        {
            return Ok(ResolvedValue::object(Node::new(
                &ty,
                done.clone(),
                &self.ctx,
            )));
        }
        let payload = super::mutations::run(&mut shop, &self.ctx, &name, &args)?;
        if let Some(k) = key {
            shop.idempotent.insert(k, payload.clone());
        }
        Ok(ResolvedValue::object(Node::new(&ty, payload, &self.ctx)))
    }
}
