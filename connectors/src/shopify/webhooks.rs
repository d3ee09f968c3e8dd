//! `POST /webhooks/shopify`: a delivery is verified (`X-Shopify-Hmac-SHA256`, base64
//! HMAC-SHA256 of the raw body, compared in constant time), stored in the event log once
//! per `X-Shopify-Webhook-Id`, and only then acknowledged — fast, since Shopify gives up
//! after five seconds. Its topic and payload are normalized into the form every connector
//! shares.

use super::store::CONNECTOR;
use crate::http::signature;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shopkeeper_memory::AppDb;
use shopkeeper_memory::events::{EventType, NewEvent, Recorded};
use shopkeeper_tools::commerce::model::{
    Address, CancelReason, Checkout, CheckoutLine, Customer, FinancialStatus, FulfillmentStatus,
    Order, OrderLine, OrderState, Product, ProductStatus, ReturnStatus, Variant,
};
use shopkeeper_tools::commerce::money::{Currency, Money};
use shopkeeper_tools::secret::Secret;
use std::sync::Arc;

/// The path Shopify delivers to.
pub const PATH: &str = "/webhooks/shopify";

/// What the webhook endpoint needs.
#[derive(Debug, Clone)]
pub struct Intake {
    /// Where events are stored.
    pub db: AppDb,
    /// The app's webhook secret.
    pub secret: Secret,
    /// The shop deliveries are expected from (its myshopify domain).
    pub shop: String,
}

/// The router serving `PATH`.
pub fn router(intake: Arc<Intake>) -> axum::Router {
    axum::Router::new()
        .route(PATH, axum::routing::post(receive))
        .with_state(intake)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Stored now.
    Stored(String),
    /// Seen before (a retry or a replay): nothing stored.
    Duplicate(String),
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No signature, or a wrong one: answered 401.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Signed, but not a webhook we can read: answered 400.
    #[error("{0}")]
    Malformed(String),
    /// The event log could not store it: answered 500, so Shopify delivers it again.
    #[error("cannot store the event: {0}")]
    Unavailable(String),
}

/// Verifies, normalizes and stores one delivery.
pub async fn accept(
    intake: &Intake,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Delivery, Refusal> {
    let Some(sig) = header(headers, "x-shopify-hmac-sha256") else {
        return Err(Refusal::Unauthenticated("missing X-Shopify-Hmac-SHA256"));
    };
    if !signature::verify_base64(intake.secret.expose().as_bytes(), body, sig) {
        return Err(Refusal::Unauthenticated(
            "the signature does not match the body",
        ));
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::Malformed(format!("the body is not JSON: {e}")))?;
    let topic = header(headers, "x-shopify-topic")
        .ok_or_else(|| Refusal::Malformed("missing X-Shopify-Topic".into()))?
        .to_string();
    let id = header(headers, "x-shopify-webhook-id")
        .or_else(|| header(headers, "x-shopify-event-id"))
        .ok_or_else(|| Refusal::Malformed("missing X-Shopify-Webhook-Id".into()))?
        .to_string();
    let shop = header(headers, "x-shopify-shop-domain")
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| intake.shop.clone());
    let occurred_at = header(headers, "x-shopify-triggered-at")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| Utc::now().timestamp_millis(), |t| t.timestamp_millis());
    let (event_type, data) = normalize(&topic, &payload);
    let event = NewEvent {
        shop_id: format!("{CONNECTOR}:{shop}"),
        source: CONNECTOR.into(),
        topic,
        external_id: id,
        event_type,
        occurred_at,
        payload: String::from_utf8_lossy(body).into_owned(),
        data,
    };
    match intake.db.record_event(&event).await {
        Ok(Recorded::New(id)) => Ok(Delivery::Stored(id)),
        Ok(Recorded::Duplicate(id)) => Ok(Delivery::Duplicate(id)),
        Err(e) => Err(Refusal::Unavailable(e.to_string())),
    }
}

async fn receive(
    State(intake): State<Arc<Intake>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    match accept(&intake, &headers, &body).await {
        Ok(Delivery::Stored(id)) => {
            tracing::debug!(event = id, "shopify webhook stored");
            (StatusCode::OK, "stored")
        }
        Ok(Delivery::Duplicate(id)) => {
            tracing::debug!(event = id, "shopify webhook seen before");
            (StatusCode::OK, "already stored")
        }
        Err(Refusal::Unauthenticated(why)) => {
            tracing::warn!(why, "shopify webhook refused");
            (StatusCode::UNAUTHORIZED, why)
        }
        Err(Refusal::Malformed(why)) => {
            tracing::warn!(why, "shopify webhook malformed");
            (StatusCode::BAD_REQUEST, "malformed webhook")
        }
        Err(Refusal::Unavailable(why)) => {
            tracing::error!(why, "shopify webhook could not be stored");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again")
        }
    }
}

/// The topics Shopkeeper subscribes to (`connect shopify --register-webhooks`), as the
/// GraphQL enum names them.
pub const TOPICS: &[&str] = &[
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "FULFILLMENTS_CREATE",
    "CHECKOUTS_CREATE",
    "CHECKOUTS_UPDATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "INVENTORY_LEVELS_UPDATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
];

/// A webhook topic's normalized type and form. Payloads are Shopify's REST shapes; what a
/// consumer needs is read leniently (the store itself is read again for the truth).
pub fn normalize(topic: &str, payload: &Value) -> (Option<EventType>, Option<Value>) {
    let order = |t| (Some(t), Some(json!({"order": rest_order(payload)})));
    let order_of_child = || {
        // A refund or a fulfilment names its order by its numeric id.
        let id = payload["order_id"]
            .as_u64()
            .map(|n| format!("gid://shopify/Order/{n}"));
        (
            Some(EventType::OrderUpdated),
            Some(json!({"order": {"id": id}})),
        )
    };
    match topic {
        "orders/create" => order(EventType::OrderCreated),
        "orders/cancelled" => order(EventType::OrderCancelled),
        "orders/updated"
        | "orders/paid"
        | "orders/fulfilled"
        | "orders/partially_fulfilled"
        | "orders/edited" => order(EventType::OrderUpdated),
        "refunds/create" | "fulfillments/create" | "fulfillments/update" => order_of_child(),
        "checkouts/create" => (
            Some(EventType::CheckoutCreated),
            Some(json!({"checkout": rest_checkout(payload)})),
        ),
        "checkouts/update" => {
            let c = rest_checkout(payload);
            let kind = if c.completed_at.is_some() {
                EventType::CheckoutCompleted
            } else {
                EventType::CheckoutUpdated
            };
            (Some(kind), Some(json!({"checkout": c})))
        }
        "products/create" => (
            Some(EventType::ProductCreated),
            Some(json!({"product": rest_product(payload)})),
        ),
        "products/update" => (
            Some(EventType::ProductUpdated),
            Some(json!({"product": rest_product(payload)})),
        ),
        "products/delete" => (
            Some(EventType::ProductDeleted),
            Some(json!({"product": {"id": gid(payload, "Product")}})),
        ),
        "inventory_levels/update" => (
            Some(EventType::InventoryChanged),
            Some(json!({"level": {
                "inventory_item_id": payload["inventory_item_id"].as_u64().map(|n| format!("gid://shopify/InventoryItem/{n}")),
                "location_id": payload["location_id"].as_u64().map(|n| format!("gid://shopify/Location/{n}")),
                "available": payload["available"],
            }})),
        ),
        "customers/create" => (
            Some(EventType::CustomerCreated),
            Some(json!({"customer": rest_customer(payload)})),
        ),
        "customers/update" => (
            Some(EventType::CustomerUpdated),
            Some(json!({"customer": rest_customer(payload)})),
        ),
        _ => (None, None),
    }
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn time(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    v.get(k)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn gid(v: &Value, kind: &str) -> String {
    text(v, "admin_graphql_api_id").unwrap_or_else(|| match &v["id"] {
        Value::Number(n) => format!("gid://shopify/{kind}/{n}"),
        Value::String(s) => s.clone(),
        _ => String::new(),
    })
}

fn amount(v: &Value, k: &str, currency: &Currency) -> Money {
    let a = match &v[k] {
        Value::String(s) => s.parse().unwrap_or_default(),
        Value::Number(n) => n.to_string().parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    };
    Money::new(a, currency.clone())
}

fn currency(v: &Value) -> Currency {
    text(v, "currency")
        .and_then(|c| Currency::try_from(c).ok())
        .unwrap_or_else(Currency::usd)
}

fn tags(v: &Value) -> Vec<String> {
    text(v, "tags")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn rest_address(v: &Value) -> Option<Address> {
    if !v.is_object() {
        return None;
    }
    Some(Address {
        first_name: text(v, "first_name"),
        last_name: text(v, "last_name"),
        address1: text(v, "address1").unwrap_or_default(),
        address2: text(v, "address2").unwrap_or_default(),
        city: text(v, "city").unwrap_or_default(),
        province: text(v, "province_code").unwrap_or_default(),
        country: text(v, "country_code").unwrap_or_default(),
        zip: text(v, "zip").unwrap_or_default(),
        phone: text(v, "phone"),
    })
}

/// A REST order payload as the model's order.
pub fn rest_order(v: &Value) -> Order {
    let c = currency(v);
    let lines: Vec<OrderLine> = v["line_items"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| OrderLine {
                    id: gid(l, "LineItem"),
                    product_id: l["product_id"]
                        .as_u64()
                        .map(|n| format!("gid://shopify/Product/{n}")),
                    variant_id: l["variant_id"]
                        .as_u64()
                        .map(|n| format!("gid://shopify/ProductVariant/{n}")),
                    sku: text(l, "sku"),
                    title: text(l, "title").unwrap_or_default(),
                    variant_title: text(l, "variant_title"),
                    quantity: l["quantity"].as_u64().unwrap_or(0) as u32,
                    unit_price: amount(l, "price", &c),
                    refundable_quantity: l["current_quantity"]
                        .as_u64()
                        .or_else(|| l["quantity"].as_u64())
                        .unwrap_or(0) as u32,
                })
                .collect()
        })
        .unwrap_or_default();
    let fulfillment_status = match v["fulfillment_status"].as_str() {
        Some("fulfilled") => FulfillmentStatus::Fulfilled,
        Some("partial") => FulfillmentStatus::PartiallyFulfilled,
        Some("restocked") => FulfillmentStatus::Restocked,
        _ => FulfillmentStatus::Unfulfilled,
    };
    let refunded: Decimal = v["refunds"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .flat_map(|r| r["transactions"].as_array().cloned().unwrap_or_default())
                .map(|t| amount(&t, "amount", &c).amount)
                .sum()
        })
        .unwrap_or_default();
    Order {
        id: gid(v, "Order"),
        number: text(v, "name").unwrap_or_default(),
        customer_id: v
            .get("customer")
            .filter(|c| c.is_object())
            .map(|c| gid(c, "Customer")),
        email: text(v, "email"),
        created_at: time(v, "created_at"),
        updated_at: time(v, "updated_at"),
        state: if time(v, "cancelled_at").is_some() {
            OrderState::Cancelled
        } else if time(v, "closed_at").is_some() {
            OrderState::Closed
        } else {
            OrderState::Open
        },
        cancelled_at: time(v, "cancelled_at"),
        cancel_reason: v["cancel_reason"]
            .as_str()
            .map(|r| serde_json::from_value(json!(r)).unwrap_or(CancelReason::Other)),
        financial_status: v["financial_status"]
            .as_str()
            .and_then(|s| serde_json::from_value(json!(s)).ok())
            .unwrap_or(FinancialStatus::Pending),
        fulfillment_status,
        return_status: ReturnStatus::NoReturn,
        currency: c.clone(),
        subtotal: amount(v, "subtotal_price", &c),
        shipping: amount(&v["total_shipping_price_set"]["shop_money"], "amount", &c),
        tax: amount(v, "total_tax", &c),
        discounts: amount(v, "total_discounts", &c),
        total: amount(v, "total_price", &c),
        refunded: Money::new(refunded, c),
        shipping_address: rest_address(&v["shipping_address"]),
        tags: tags(v),
        lines,
        shipments: Vec::new(),
        refunds: Vec::new(),
    }
}

/// A REST checkout payload as the model's checkout.
pub fn rest_checkout(v: &Value) -> Checkout {
    let c = currency(v);
    Checkout {
        id: gid(v, "Checkout"),
        email: text(v, "email"),
        phone: text(v, "phone"),
        customer_id: v
            .get("customer")
            .filter(|c| c.is_object())
            .map(|c| gid(c, "Customer")),
        lines: v["line_items"]
            .as_array()
            .map(|ls| {
                ls.iter()
                    .map(|l| CheckoutLine {
                        title: text(l, "title").unwrap_or_default(),
                        variant_id: l["variant_id"]
                            .as_u64()
                            .map(|n| format!("gid://shopify/ProductVariant/{n}")),
                        sku: text(l, "sku"),
                        quantity: l["quantity"].as_u64().unwrap_or(0) as u32,
                        unit_price: amount(l, "price", &c),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        subtotal: amount(v, "subtotal_price", &c),
        total: amount(v, "total_price", &c),
        recovery_url: text(v, "abandoned_checkout_url"),
        created_at: time(v, "created_at"),
        updated_at: time(v, "updated_at"),
        completed_at: time(v, "completed_at"),
    }
}

/// A REST product payload as the model's product.
pub fn rest_product(v: &Value) -> Product {
    let c = Currency::usd();
    let options: Vec<String> = v["options"]
        .as_array()
        .map(|os| os.iter().filter_map(|o| text(o, "name")).collect())
        .unwrap_or_default();
    Product {
        id: gid(v, "Product"),
        handle: text(v, "handle").unwrap_or_default(),
        title: text(v, "title").unwrap_or_default(),
        status: v["status"]
            .as_str()
            .and_then(|s| serde_json::from_value(json!(s)).ok())
            .unwrap_or(ProductStatus::Active),
        vendor: text(v, "vendor").unwrap_or_default(),
        product_type: text(v, "product_type").unwrap_or_default(),
        tags: tags(v),
        description_html: text(v, "body_html").unwrap_or_default(),
        seo_title: text(v, "title").unwrap_or_default(),
        seo_description: String::new(),
        category: None,
        variants: v["variants"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .map(|x| Variant {
                        id: gid(x, "ProductVariant"),
                        sku: text(x, "sku"),
                        title: text(x, "title").unwrap_or_default(),
                        options: options
                            .iter()
                            .enumerate()
                            .filter_map(|(i, name)| {
                                text(x, &format!("option{}", i + 1)).map(|val| (name.clone(), val))
                            })
                            .collect(),
                        price: amount(x, "price", &c),
                        inventory_quantity: x["inventory_quantity"].as_i64(),
                        available: x["inventory_quantity"].as_i64().is_none_or(|q| q > 0),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        updated_at: time(v, "updated_at"),
    }
}

/// A REST customer payload as the model's customer.
pub fn rest_customer(v: &Value) -> Customer {
    let c = currency(v);
    Customer {
        id: gid(v, "Customer"),
        first_name: text(v, "first_name").unwrap_or_default(),
        last_name: text(v, "last_name").unwrap_or_default(),
        email: text(v, "email"),
        phone: text(v, "phone"),
        default_address: rest_address(&v["default_address"]),
        tags: tags(v),
        orders_count: v["orders_count"].as_u64().unwrap_or(0),
        total_spent: amount(v, "total_spent", &c),
        created_at: time(v, "created_at"),
        updated_at: time(v, "updated_at"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_map_to_the_shared_types() {
        let order = json!({"id": 450789469, "admin_graphql_api_id": "gid://shopify/Order/450789469",
            "name": "#1001", "currency": "EUR", "total_price": "59.00", "financial_status": "paid",
            "customer": {"id": 207119551, "admin_graphql_api_id": "gid://shopify/Customer/207119551"},
            "line_items": [{"admin_graphql_api_id": "gid://shopify/LineItem/1", "title": "Shirt", "quantity": 1, "price": "59.00", "sku": "S-M"}],
            "tags": "vip, gift"});
        let (t, data) = normalize("orders/create", &order);
        assert_eq!(t, Some(EventType::OrderCreated));
        let data = data.unwrap();
        assert_eq!(data["order"]["number"], "#1001");
        assert_eq!(
            data["order"]["customer_id"],
            "gid://shopify/Customer/207119551"
        );
        assert_eq!(
            data["order"]["total"],
            json!({"amount": "59.00", "currency": "EUR"})
        );
        assert_eq!(data["order"]["tags"], json!(["vip", "gift"]));
        let (t, data) = normalize("refunds/create", &json!({"id": 1, "order_id": 450789469}));
        assert_eq!(t, Some(EventType::OrderUpdated));
        assert_eq!(
            data.unwrap()["order"]["id"],
            "gid://shopify/Order/450789469"
        );
        let (t, data) = normalize(
            "checkouts/update",
            &json!({"id": 9, "email": "a@b.c", "completed_at": "2026-11-30T10:00:00Z", "total_price": "10.00"}),
        );
        assert_eq!(t, Some(EventType::CheckoutCompleted));
        assert_eq!(data.unwrap()["checkout"]["email"], "a@b.c");
        assert_eq!(normalize("shop/update", &json!({})), (None, None));
    }
}
