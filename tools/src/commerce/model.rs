//! The commerce records every storefront connector maps its platform onto: customers,
//! orders with lines and separately typed financial, fulfilment and return states,
//! products with variants, inventory levels, discount codes. Ids are the platform's own.

use super::money::{Currency, Money};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A stable identifier of one shop (renaming the shop does not change it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShopId(pub String);

impl ShopId {
    /// The id as text, e.g. `shopify:acme.myshopify.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ShopId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which shop a connector serves, and through which platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopRef {
    /// The stable id everything about the shop is keyed by.
    pub id: ShopId,
    /// The connector: `local`, `shopify`, ...
    pub connector: &'static str,
    /// The shop's currency.
    pub currency: Currency,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Recipient's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Recipient's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Street and number, e.g. "123 Main St".
    pub address1: String,
    /// Apartment, suite, floor; empty if none.
    #[serde(default)]
    pub address2: String,
    /// City.
    pub city: String,
    /// State or province code, e.g. "CA"; empty where the country has none.
    #[serde(default)]
    pub province: String,
    /// Two-letter country code, e.g. "US".
    pub country: String,
    /// Postal code.
    pub zip: String,
    /// Phone number for the carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = vec![self.address1.clone()];
        if !self.address2.is_empty() {
            parts.push(self.address2.clone());
        }
        let region = [self.province.as_str(), self.zip.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        parts.push(if region.is_empty() {
            self.city.clone()
        } else {
            format!("{} {region}", self.city)
        });
        parts.push(self.country.clone());
        f.write_str(&parts.join(", "))
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The platform's id.
    pub id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email address, if known.
    pub email: Option<String>,
    /// Phone number, if known (E.164 where the platform normalises it).
    pub phone: Option<String>,
    /// Default address.
    pub default_address: Option<Address>,
    /// Tags.
    pub tags: Vec<String>,
    /// Orders placed.
    pub orders_count: u64,
    /// Spent over all orders, net of refunds.
    pub total_spent: Money,
    /// When the account was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Customer {
    /// "Mia Garcia".
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// Whether an order is open, cancelled or closed (archived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in schemas; the names say it all
pub enum OrderState {
    Open,
    Cancelled,
    Closed,
}

/// Where the money of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FinancialStatus {
    Pending,
    Authorized,
    Paid,
    PartiallyPaid,
    PartiallyRefunded,
    Refunded,
    Voided,
    Expired,
}

/// Where the shipping of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FulfillmentStatus {
    Unfulfilled,
    Scheduled,
    OnHold,
    InProgress,
    PartiallyFulfilled,
    Fulfilled,
    Restocked,
}

/// Where returns of an order stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReturnStatus {
    NoReturn,
    Requested,
    InProgress,
    Returned,
    Declined,
}

/// Why an order was cancelled: Shopify's reasons, which the other platforms map onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CancelReason {
    Customer,
    Declined,
    Fraud,
    Inventory,
    Staff,
    Other,
}

impl CancelReason {
    /// The reason's lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Declined => "declined",
            Self::Fraud => "fraud",
            Self::Inventory => "inventory",
            Self::Staff => "staff",
            Self::Other => "other",
        }
    }
}

/// One line of an order: a variant and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The line's id on the platform.
    pub id: String,
    /// The product, if it still exists.
    pub product_id: Option<String>,
    /// The variant, if it still exists.
    pub variant_id: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// Product title at the time of the order.
    pub title: String,
    /// Variant title, e.g. "blue / M".
    pub variant_title: Option<String>,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// Units not yet refunded.
    pub refundable_quantity: u32,
}

impl OrderLine {
    /// "2 × T-Shirt (blue / M) at $24.00".
    pub fn describe(&self) -> String {
        let variant = self
            .variant_title
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        format!(
            "{} × {}{variant} at {}",
            self.quantity, self.title, self.unit_price
        )
    }
}

/// A carrier's tracking of one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// Tracking number.
    pub number: String,
    /// Carrier, if known.
    pub company: Option<String>,
    /// Tracking page, if known.
    pub url: Option<String>,
}

/// Where a shipment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ShipmentStatus {
    Pending,
    InTransit,
    OutForDelivery,
    Delivered,
    Failed,
    Cancelled,
}

/// A shipment of some of an order's lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    /// The platform's id of the fulfilment.
    pub id: String,
    /// Where it stands.
    pub status: ShipmentStatus,
    /// Tracking numbers.
    pub tracking: Vec<Tracking>,
    /// Line ids with units shipped.
    pub lines: Vec<(String, u32)>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
}

/// Money given back on an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// The platform's id.
    pub id: String,
    /// When.
    pub created_at: Option<DateTime<Utc>>,
    /// How much.
    pub amount: Money,
    /// Line ids with units refunded.
    pub lines: Vec<(String, u32)>,
    /// Why, as noted.
    pub note: Option<String>,
}

/// An order with its lines, money and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The platform's id.
    pub id: String,
    /// The number people use, e.g. "#1001".
    pub number: String,
    /// The customer, if the order has one.
    pub customer_id: Option<String>,
    /// The email on the order.
    pub email: Option<String>,
    /// When it was placed.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// Open, cancelled or closed.
    pub state: OrderState,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub cancel_reason: Option<CancelReason>,
    /// Where the money stands.
    pub financial_status: FinancialStatus,
    /// Where the shipping stands.
    pub fulfillment_status: FulfillmentStatus,
    /// Where returns stand.
    pub return_status: ReturnStatus,
    /// The order's currency.
    pub currency: Currency,
    /// What was ordered.
    pub lines: Vec<OrderLine>,
    /// Lines before shipping, tax and discounts.
    pub subtotal: Money,
    /// Shipping charged.
    pub shipping: Money,
    /// Tax charged.
    pub tax: Money,
    /// Discounts given.
    pub discounts: Money,
    /// What the customer was charged.
    pub total: Money,
    /// Refunded so far.
    pub refunded: Money,
    /// Where it ships.
    pub shipping_address: Option<Address>,
    /// Tags.
    pub tags: Vec<String>,
    /// Shipments.
    pub shipments: Vec<Shipment>,
    /// Refunds.
    pub refunds: Vec<Refund>,
}

impl Order {
    /// What could still be refunded: the total less what was refunded.
    pub fn refundable(&self) -> Money {
        self.total
            .checked_sub(&self.refunded)
            .unwrap_or_else(|_| Money::zero(self.currency.clone()))
    }

    /// Units ordered over all lines.
    pub fn units(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// "#1001 (open, paid, unfulfilled; 3 items, $120.00)".
    pub fn describe(&self) -> String {
        let state = match self.state {
            OrderState::Open => "open",
            OrderState::Cancelled => "cancelled",
            OrderState::Closed => "closed",
        };
        let units = self.units();
        format!(
            "{} ({state}, {}, {}; {units} item{}, {})",
            self.number,
            snake(&self.financial_status),
            snake(&self.fulfillment_status),
            if units == 1 { "" } else { "s" },
            self.total
        )
    }
}

/// A serde enum's snake_case name, with spaces for people ("partially_refunded" -> "partially refunded").
pub fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// Whether a product shows in the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ProductStatus {
    Active,
    Draft,
    Archived,
}

/// One purchasable variant of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// The platform's id.
    pub id: String,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// e.g. "blue / M".
    pub title: String,
    /// Option values by option name, e.g. {"color": "blue", "size": "M"}.
    pub options: BTreeMap<String, String>,
    /// Unit price.
    pub price: Money,
    /// Units available to sell, when stock is tracked.
    pub inventory_quantity: Option<i64>,
    /// Whether it can be bought now.
    pub available: bool,
}

/// A product with its variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The platform's id.
    pub id: String,
    /// URL handle, e.g. "classic-t-shirt".
    pub handle: String,
    /// Title.
    pub title: String,
    /// Active, draft or archived.
    pub status: ProductStatus,
    /// Brand or maker.
    pub vendor: String,
    /// The shop's own product type.
    pub product_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Description as HTML.
    pub description_html: String,
    /// Title for search engines.
    pub seo_title: String,
    /// Meta description for search engines.
    pub seo_description: String,
    /// Taxonomy category id, if set.
    pub category: Option<String>,
    /// Variants.
    pub variants: Vec<Variant>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Product {
    /// The variant with this SKU.
    pub fn variant_by_sku(&self, sku: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.sku.as_deref() == Some(sku))
    }
}

/// A place stock is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The platform's id.
    pub id: String,
    /// Its name, e.g. "Main warehouse".
    pub name: String,
}

/// Stock of one variant at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryLevel {
    /// The variant's SKU.
    pub sku: String,
    /// The variant.
    pub variant_id: String,
    /// Where.
    pub location: Location,
    /// Units available to sell.
    pub available: i64,
}

/// One line of a checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutLine {
    /// Product title.
    pub title: String,
    /// The variant, if known.
    pub variant_id: Option<String>,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// Units.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
}

/// A checkout: a cart on its way to becoming an order (or being abandoned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The platform's id.
    pub id: String,
    /// The buyer's email, once given.
    pub email: Option<String>,
    /// The buyer's phone, once given.
    pub phone: Option<String>,
    /// The customer, when the buyer has an account.
    pub customer_id: Option<String>,
    /// What is in it.
    pub lines: Vec<CheckoutLine>,
    /// Lines before shipping and tax.
    pub subtotal: Money,
    /// What it would cost.
    pub total: Money,
    /// Where the buyer can pick it up again.
    pub recovery_url: Option<String>,
    /// When it was started.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// When it became an order, if it did.
    pub completed_at: Option<DateTime<Utc>>,
}

/// How a discount code takes money off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiscountValue {
    /// A share of the order, e.g. 10 for 10%.
    Percentage {
        /// Percent off, 0 to 100.
        percent: rust_decimal::Decimal,
    },
    /// A fixed amount off the order.
    FixedAmount {
        /// The amount off.
        amount: Money,
    },
}

/// A discount code customers enter at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscountCode {
    /// The platform's id of the discount.
    pub id: String,
    /// The code, e.g. "WELCOME10".
    pub code: String,
    /// What it gives.
    pub value: DiscountValue,
    /// From when it applies.
    pub starts_at: Option<DateTime<Utc>>,
    /// Until when it applies.
    pub ends_at: Option<DateTime<Utc>>,
    /// How many uses in all, if limited.
    pub usage_limit: Option<u32>,
    /// Whether each customer may use it once only.
    pub once_per_customer: bool,
}
