//! Shopify's GraphQL records (as the documents in `queries` select them) mapped onto the
//! commerce model. Shapes are decoded into types first, so an answer missing a field is
//! an error that names it, never a silent default.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use shopkeeper_tools::commerce::model::{
    Address, CancelReason, Customer, FinancialStatus, FulfillmentStatus, Order, OrderLine,
    OrderState, Product, ProductStatus, Refund, ReturnStatus, Shipment, ShipmentStatus, Tracking,
    Variant,
};
use shopkeeper_tools::commerce::money::{Currency, Money};
use std::collections::BTreeMap;

/// `MoneyV2`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyV2 {
    /// Decimal text.
    pub amount: Decimal,
    /// ISO code.
    pub currency_code: String,
}

/// `MoneyBag` (shop money only: amounts are compared in the shop's currency).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    /// In the shop's currency.
    pub shop_money: MoneyV2,
}

impl MoneyV2 {
    /// As the model's money.
    pub fn money(&self) -> Money {
        let currency =
            Currency::try_from(self.currency_code.clone()).unwrap_or_else(|_| Currency::usd());
        Money::new(self.amount, currency)
    }
}

fn bag(m: &Option<MoneyBag>, currency: &Currency) -> Money {
    m.as_ref()
        .map_or_else(|| Money::zero(currency.clone()), |b| b.shop_money.money())
}

/// A connection's nodes.
#[derive(Debug, Clone, Deserialize)]
pub struct Nodes<T> {
    /// The records.
    pub nodes: Vec<T>,
}

impl<T> Default for Nodes<T> {
    fn default() -> Self {
        Self { nodes: Vec::new() }
    }
}

/// `pageInfo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Whether another page follows.
    pub has_next_page: bool,
    /// The cursor after the last record.
    pub end_cursor: Option<String>,
}

/// A page of a connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    /// The records.
    pub nodes: Vec<T>,
    /// Where it ends.
    pub page_info: PageInfo,
}

impl<T> Connection<T> {
    /// The cursor of the next page, if there is one.
    pub fn next(&self) -> Option<String> {
        if self.page_info.has_next_page {
            self.page_info.end_cursor.clone()
        } else {
            None
        }
    }
}

/// An object with just an id.
#[derive(Debug, Clone, Deserialize)]
pub struct Id {
    /// The GID.
    pub id: String,
}

/// `MailingAddress`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailingAddress {
    first_name: Option<String>,
    last_name: Option<String>,
    address1: Option<String>,
    address2: Option<String>,
    city: Option<String>,
    province_code: Option<String>,
    #[serde(rename = "countryCodeV2")]
    country_code: Option<String>,
    zip: Option<String>,
    phone: Option<String>,
}

impl MailingAddress {
    /// As the model's address.
    pub fn address(&self) -> Address {
        Address {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            address1: self.address1.clone().unwrap_or_default(),
            address2: self.address2.clone().unwrap_or_default(),
            city: self.city.clone().unwrap_or_default(),
            province: self.province_code.clone().unwrap_or_default(),
            country: self.country_code.clone().unwrap_or_default(),
            zip: self.zip.clone().unwrap_or_default(),
            phone: self.phone.clone(),
        }
    }
}

/// `LineItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItemNode {
    id: String,
    title: String,
    variant_title: Option<String>,
    sku: Option<String>,
    quantity: i64,
    refundable_quantity: i64,
    original_unit_price_set: MoneyBag,
    #[serde(default)]
    variant: Option<Id>,
    #[serde(default)]
    product: Option<Id>,
}

/// `FulfillmentTrackingInfo`.
#[derive(Debug, Clone, Deserialize)]
pub struct TrackingNode {
    number: Option<String>,
    company: Option<String>,
    url: Option<String>,
}

/// `FulfillmentLineItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentLineNode {
    /// Its GID (what a return request names).
    pub id: String,
    /// Units shipped.
    pub quantity: i64,
    /// The order line.
    pub line_item: Id,
}

/// `Fulfillment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentNode {
    id: String,
    display_status: Option<String>,
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    tracking_info: Vec<TrackingNode>,
    /// Shipped lines.
    #[serde(default)]
    pub fulfillment_line_items: Nodes<FulfillmentLineNode>,
}

/// `RefundLineItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineNode {
    quantity: i64,
    line_item: Id,
}

/// `Refund`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNode {
    id: String,
    created_at: Option<DateTime<Utc>>,
    note: Option<String>,
    total_refunded_set: MoneyBag,
    #[serde(default)]
    refund_line_items: Nodes<RefundLineNode>,
}

/// `Order`, as `OrderFull` or `OrderSummary` selects it (the summary lacks some parts).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderNode {
    /// Its GID.
    pub id: String,
    name: String,
    email: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    closed: bool,
    display_financial_status: Option<String>,
    display_fulfillment_status: String,
    return_status: String,
    currency_code: String,
    customer: Option<Id>,
    #[serde(default)]
    subtotal_price_set: Option<MoneyBag>,
    #[serde(default)]
    total_shipping_price_set: Option<MoneyBag>,
    #[serde(default)]
    total_tax_set: Option<MoneyBag>,
    #[serde(default)]
    total_discounts_set: Option<MoneyBag>,
    total_price_set: MoneyBag,
    total_refunded_set: MoneyBag,
    #[serde(default)]
    shipping_address: Option<MailingAddress>,
    #[serde(default)]
    tags: Vec<String>,
    /// The lines (all of them in bulk exports, where they arrive as child lines).
    #[serde(default)]
    pub line_items: Nodes<LineItemNode>,
    /// Fulfilments.
    #[serde(default)]
    pub fulfillments: Vec<FulfillmentNode>,
    #[serde(default)]
    refunds: Vec<RefundNode>,
}

fn upper_to_snake<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).ok()
}

fn financial(s: Option<&str>) -> FinancialStatus {
    s.and_then(upper_to_snake)
        .unwrap_or(FinancialStatus::Pending)
}

fn fulfillment(s: &str) -> FulfillmentStatus {
    match s {
        "FULFILLED" | "FULFILLMENT_NOT_REQUIRED" => FulfillmentStatus::Fulfilled,
        "PARTIALLY_FULFILLED" => FulfillmentStatus::PartiallyFulfilled,
        "IN_PROGRESS" | "PENDING_FULFILLMENT" => FulfillmentStatus::InProgress,
        "ON_HOLD" => FulfillmentStatus::OnHold,
        "SCHEDULED" => FulfillmentStatus::Scheduled,
        "RESTOCKED" => FulfillmentStatus::Restocked,
        _ => FulfillmentStatus::Unfulfilled,
    }
}

fn returns(s: &str) -> ReturnStatus {
    match s {
        "RETURN_REQUESTED" => ReturnStatus::Requested,
        "IN_PROGRESS" | "INSPECTION_COMPLETE" => ReturnStatus::InProgress,
        "RETURNED" => ReturnStatus::Returned,
        "RETURN_FAILED" => ReturnStatus::Declined,
        _ => ReturnStatus::NoReturn,
    }
}

fn shipment_status(s: Option<&str>) -> ShipmentStatus {
    match s.unwrap_or_default() {
        "DELIVERED" | "PICKED_UP" => ShipmentStatus::Delivered,
        "OUT_FOR_DELIVERY" => ShipmentStatus::OutForDelivery,
        "IN_TRANSIT" | "CARRIER_PICKED_UP" | "DELAYED" | "ATTEMPTED_DELIVERY" => {
            ShipmentStatus::InTransit
        }
        "FAILURE" | "NOT_DELIVERED" => ShipmentStatus::Failed,
        "CANCELED" | "LABEL_VOIDED" => ShipmentStatus::Cancelled,
        _ => ShipmentStatus::Pending,
    }
}

impl OrderNode {
    /// As the model's order.
    pub fn order(&self) -> Order {
        let currency =
            Currency::try_from(self.currency_code.clone()).unwrap_or_else(|_| Currency::usd());
        let lines: Vec<OrderLine> = self
            .line_items
            .nodes
            .iter()
            .map(|l| OrderLine {
                id: l.id.clone(),
                product_id: l.product.as_ref().map(|p| p.id.clone()),
                variant_id: l.variant.as_ref().map(|v| v.id.clone()),
                sku: l.sku.clone().filter(|s| !s.is_empty()),
                title: l.title.clone(),
                variant_title: l.variant_title.clone(),
                quantity: l.quantity.max(0) as u32,
                unit_price: l.original_unit_price_set.shop_money.money(),
                refundable_quantity: l.refundable_quantity.max(0) as u32,
            })
            .collect();
        let subtotal = self.subtotal_price_set.as_ref().map_or_else(
            || {
                Money::new(
                    lines
                        .iter()
                        .map(|l| l.unit_price.amount * Decimal::from(l.quantity))
                        .sum(),
                    currency.clone(),
                )
            },
            |b| b.shop_money.money(),
        );
        Order {
            id: self.id.clone(),
            number: self.name.clone(),
            customer_id: self.customer.as_ref().map(|c| c.id.clone()),
            email: self.email.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            state: if self.cancelled_at.is_some() {
                OrderState::Cancelled
            } else if self.closed {
                OrderState::Closed
            } else {
                OrderState::Open
            },
            cancelled_at: self.cancelled_at,
            cancel_reason: self
                .cancel_reason
                .as_deref()
                .map(|r| upper_to_snake(r).unwrap_or(CancelReason::Other)),
            financial_status: financial(self.display_financial_status.as_deref()),
            fulfillment_status: fulfillment(&self.display_fulfillment_status),
            return_status: returns(&self.return_status),
            currency: currency.clone(),
            lines,
            subtotal,
            shipping: bag(&self.total_shipping_price_set, &currency),
            tax: bag(&self.total_tax_set, &currency),
            discounts: bag(&self.total_discounts_set, &currency),
            total: self.total_price_set.shop_money.money(),
            refunded: self.total_refunded_set.shop_money.money(),
            shipping_address: self.shipping_address.as_ref().map(MailingAddress::address),
            tags: self.tags.clone(),
            shipments: self
                .fulfillments
                .iter()
                .map(|f| Shipment {
                    id: f.id.clone(),
                    status: shipment_status(f.display_status.as_deref()),
                    tracking: f
                        .tracking_info
                        .iter()
                        .filter_map(|t| {
                            Some(Tracking {
                                number: t.number.clone()?,
                                company: t.company.clone(),
                                url: t.url.clone(),
                            })
                        })
                        .collect(),
                    lines: f
                        .fulfillment_line_items
                        .nodes
                        .iter()
                        .map(|l| (l.line_item.id.clone(), l.quantity.max(0) as u32))
                        .collect(),
                    created_at: f.created_at,
                })
                .collect(),
            refunds: self
                .refunds
                .iter()
                .map(|r| Refund {
                    id: r.id.clone(),
                    created_at: r.created_at,
                    amount: r.total_refunded_set.shop_money.money(),
                    lines: r
                        .refund_line_items
                        .nodes
                        .iter()
                        .map(|l| (l.line_item.id.clone(), l.quantity.max(0) as u32))
                        .collect(),
                    note: r.note.clone(),
                })
                .collect(),
        }
    }
}

/// `CustomerEmailAddress`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Email {
    email_address: String,
}

/// `CustomerPhoneNumber`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Phone {
    phone_number: String,
}

/// `Customer`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerNode {
    id: String,
    first_name: Option<String>,
    last_name: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    tags: Vec<String>,
    number_of_orders: NumberOfOrders,
    default_email_address: Option<Email>,
    default_phone_number: Option<Phone>,
    amount_spent: MoneyV2,
    default_address: Option<MailingAddress>,
}

/// `UnsignedInt64`: a string in JSON, a number in some answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum NumberOfOrders {
    Text(String),
    Number(u64),
}

impl CustomerNode {
    /// As the model's customer.
    pub fn customer(&self) -> Customer {
        Customer {
            id: self.id.clone(),
            first_name: self.first_name.clone().unwrap_or_default(),
            last_name: self.last_name.clone().unwrap_or_default(),
            email: self
                .default_email_address
                .as_ref()
                .map(|e| e.email_address.clone()),
            phone: self
                .default_phone_number
                .as_ref()
                .map(|p| p.phone_number.clone()),
            default_address: self.default_address.as_ref().map(MailingAddress::address),
            tags: self.tags.clone(),
            orders_count: match &self.number_of_orders {
                NumberOfOrders::Text(s) => s.parse().unwrap_or(0),
                NumberOfOrders::Number(n) => *n,
            },
            total_spent: self.amount_spent.money(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `SEO`.
#[derive(Debug, Clone, Default, Deserialize)]
struct Seo {
    title: Option<String>,
    description: Option<String>,
}

/// `SelectedOption`.
#[derive(Debug, Clone, Deserialize)]
struct SelectedOption {
    name: String,
    value: String,
}

/// `ProductVariant`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantNode {
    /// Its GID.
    pub id: String,
    /// Its SKU.
    pub sku: Option<String>,
    title: String,
    price: Decimal,
    inventory_quantity: Option<i64>,
    available_for_sale: bool,
    #[serde(default)]
    selected_options: Vec<SelectedOption>,
}

/// `Product`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductNode {
    /// Its GID.
    pub id: String,
    handle: String,
    title: String,
    status: String,
    vendor: String,
    product_type: String,
    #[serde(default)]
    tags: Vec<String>,
    description_html: String,
    updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    seo: Option<Seo>,
    category: Option<Id>,
    /// Variants (in bulk exports they arrive as child lines).
    #[serde(default)]
    pub variants: Nodes<VariantNode>,
}

impl ProductNode {
    /// As the model's product, prices in `currency` (the shop's).
    pub fn product(&self, currency: &Currency) -> Product {
        let seo = self.seo.clone().unwrap_or_default();
        Product {
            id: self.id.clone(),
            handle: self.handle.clone(),
            title: self.title.clone(),
            status: upper_to_snake(&self.status).unwrap_or(ProductStatus::Draft),
            vendor: self.vendor.clone(),
            product_type: self.product_type.clone(),
            tags: self.tags.clone(),
            description_html: self.description_html.clone(),
            seo_title: seo.title.unwrap_or_else(|| self.title.clone()),
            seo_description: seo.description.unwrap_or_default(),
            category: self.category.as_ref().map(|c| c.id.clone()),
            variants: self
                .variants
                .nodes
                .iter()
                .map(|v| Variant {
                    id: v.id.clone(),
                    sku: v.sku.clone().filter(|s| !s.is_empty()),
                    title: v.title.clone(),
                    options: v
                        .selected_options
                        .iter()
                        .map(|o| (o.name.clone(), o.value.clone()))
                        .collect::<BTreeMap<_, _>>(),
                    price: Money::new(v.price, currency.clone()),
                    inventory_quantity: v.inventory_quantity,
                    available: v.available_for_sale,
                })
                .collect(),
            updated_at: self.updated_at,
        }
    }
}

/// Shopify's order-search syntax quotes values with `"`.
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn money(a: &str) -> serde_json::Value {
        json!({"shopMoney": {"amount": a, "currencyCode": "EUR"}})
    }

    #[test]
    fn an_order_maps_with_exact_money_and_typed_states() {
        let node: OrderNode = serde_json::from_value(json!({
            "id": "gid://shopify/Order/1", "name": "#1001", "email": "a@b.c",
            "createdAt": "2026-11-30T10:00:00Z", "updatedAt": "2026-11-30T11:00:00Z",
            "cancelledAt": null, "cancelReason": null, "closed": false,
            "displayFinancialStatus": "PARTIALLY_REFUNDED", "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
            "returnStatus": "RETURN_REQUESTED", "currencyCode": "EUR",
            "customer": {"id": "gid://shopify/Customer/7"},
            "totalPriceSet": money("30.10"), "totalRefundedSet": money("10.00"),
            "tags": ["vip"],
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/5", "title": "Shirt", "variantTitle": "M",
                "sku": "SHIRT-M", "quantity": 2, "refundableQuantity": 1,
                "originalUnitPriceSet": money("15.05")}]}
        }))
        .unwrap();
        let o = node.order();
        assert_eq!(o.number, "#1001");
        assert_eq!(o.financial_status, FinancialStatus::PartiallyRefunded);
        assert_eq!(o.fulfillment_status, FulfillmentStatus::PartiallyFulfilled);
        assert_eq!(o.return_status, ReturnStatus::Requested);
        assert_eq!(o.subtotal.amount.to_string(), "30.10");
        assert_eq!(o.refundable().to_string(), "€20.10");
        assert_eq!(o.customer_id.as_deref(), Some("gid://shopify/Customer/7"));
    }

    #[test]
    fn a_missing_field_is_an_error_that_names_it() {
        let err =
            serde_json::from_value::<OrderNode>(json!({"id": "x", "name": "#1"})).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }
}
