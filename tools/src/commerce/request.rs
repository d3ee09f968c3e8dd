//! What a write asks of a store. Every write carries an idempotency key derived from
//! its approval, which the connector passes to the platform where the platform has one.

use super::CommerceError;
use super::model::{CancelReason, Order, OrderLine, ProductStatus};
use super::money::{Amount, Money};
use super::query::{OrderRef, ProductRef};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The key that makes a write happen at most once: the same key twice is the same write.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key from an approval's (or a ledger entry's) id.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// A new random key, for a write no approval stands behind.
    pub fn fresh() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Cancel an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelOrder {
    /// Which order.
    pub order: OrderRef,
    /// Why.
    pub reason: CancelReason,
    /// Refund what was paid, to the original payment methods.
    pub refund: bool,
    /// Put the units back in stock.
    pub restock: bool,
    /// Email the customer about it.
    pub notify_customer: bool,
    /// A note for staff.
    pub staff_note: Option<String>,
}

/// Some units of one order line: by the line's id or its SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineQuantity {
    /// The order line's id, or the SKU of its variant, e.g. "TSHIRT-BLU-M".
    pub line: String,
    /// How many units.
    #[schemars(range(min = 1))]
    pub quantity: u32,
}

impl LineQuantity {
    /// The order line this names (by id, else by SKU), checked against what can be taken.
    pub fn resolve<'o>(&self, order: &'o Order) -> Result<&'o OrderLine, CommerceError> {
        let line = order
            .lines
            .iter()
            .find(|l| l.id == self.line)
            .or_else(|| {
                order
                    .lines
                    .iter()
                    .find(|l| l.sku.as_deref() == Some(self.line.as_str()))
            })
            .ok_or_else(|| {
                CommerceError::rejected(format!(
                    "order {} has no line {:?} (give a line id or SKU from the order)",
                    order.number, self.line
                ))
            })?;
        if self.quantity == 0 || self.quantity > line.refundable_quantity {
            return Err(CommerceError::rejected(format!(
                "order {} line {:?} ({}) has {} unit(s) left to take back, not {}",
                order.number, self.line, line.title, line.refundable_quantity, self.quantity
            )));
        }
        Ok(line)
    }
}

/// What the lines of `lines` are worth on `order`, each checked.
pub fn lines_value(order: &Order, lines: &[LineQuantity]) -> Result<Money, CommerceError> {
    let mut total = Money::zero(order.currency.clone());
    for l in lines {
        let line = l.resolve(order)?;
        total = total
            .checked_add(&line.unit_price.times(l.quantity))
            .map_err(|e| CommerceError::rejected(e.to_string()))?;
    }
    Ok(total)
}

/// Give money back on an order: whole, a fixed amount, or for some lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundOrder {
    /// Which order.
    pub order: OrderRef,
    /// How much; `None` means the lines' value, or everything refundable without lines.
    pub amount: Option<Amount>,
    /// Which lines the refund is for (restocked if `restock`).
    pub lines: Vec<LineQuantity>,
    /// Shipping to refund as well.
    pub shipping: Option<Amount>,
    /// Put refunded units back in stock.
    pub restock: bool,
    /// Email the customer about it.
    pub notify_customer: bool,
    /// Why, kept with the refund.
    pub note: Option<String>,
}

/// Why a customer returns something: Shopify's reasons, which other platforms map onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in the schema; the names say it all
pub enum ReturnReason {
    Color,
    Defective,
    NotAsDescribed,
    SizeTooLarge,
    SizeTooSmall,
    Style,
    Unwanted,
    WrongItem,
    Other,
}

/// Ask for a return of some delivered units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRequest {
    /// Which order.
    pub order: OrderRef,
    /// What comes back.
    pub lines: Vec<LineQuantity>,
    /// Why.
    pub reason: ReturnReason,
    /// The customer's words, kept with the return.
    pub note: Option<String>,
}

/// Why stock changes: the reasons Shopify accepts for inventory adjustments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum StockReason {
    Received,
    Restock,
    Correction,
    CycleCountAvailable,
    Damaged,
    Shrinkage,
    Promotion,
    QualityControl,
    Other,
}

impl StockReason {
    /// The reason's snake_case name, as platforms spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Restock => "restock",
            Self::Correction => "correction",
            Self::CycleCountAvailable => "cycle_count_available",
            Self::Damaged => "damaged",
            Self::Shrinkage => "shrinkage",
            Self::Promotion => "promotion",
            Self::QualityControl => "quality_control",
            Self::Other => "other",
        }
    }
}

/// Add or remove units of a variant at a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustStock {
    /// The variant's SKU.
    pub sku: String,
    /// The location's id or name; `None` for the shop's primary location.
    pub location: Option<String>,
    /// Units to add (positive) or remove (negative).
    pub delta: i64,
    /// Why.
    pub reason: StockReason,
}

/// Set the units of a variant at a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetStock {
    /// The variant's SKU.
    pub sku: String,
    /// The location's id or name; `None` for the shop's primary location.
    pub location: Option<String>,
    /// The new quantity.
    pub quantity: i64,
    /// The quantity expected before the change; a different one refuses the change.
    pub expected: Option<i64>,
    /// Why.
    pub reason: StockReason,
}

/// A variant of a product to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantDraft {
    /// Option values, e.g. {"size": "M"}.
    pub options: BTreeMap<String, String>,
    /// Stock keeping unit.
    pub sku: String,
    /// Unit price in the shop's currency.
    pub price: Amount,
    /// Units in stock at the primary location, when tracked.
    pub inventory_quantity: Option<i64>,
}

/// A product to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDraft {
    /// URL handle; also what makes creating it twice find the first one.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description as HTML.
    pub description_html: String,
    /// SEO title.
    pub seo_title: String,
    /// SEO (meta) description.
    pub seo_description: String,
    /// Brand or maker.
    pub vendor: String,
    /// The shop's own product type.
    pub product_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Taxonomy category GID.
    pub category: Option<String>,
    /// Draft unless asked otherwise.
    pub status: ProductStatus,
    /// Variants.
    pub variants: Vec<VariantDraft>,
}

/// Fields of a product to change; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProductChanges {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description_html: Option<String>,
    /// New SEO title.
    pub seo_title: Option<String>,
    /// New SEO description.
    pub seo_description: Option<String>,
    /// New vendor.
    pub vendor: Option<String>,
    /// New product type.
    pub product_type: Option<String>,
    /// New tags (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// New category GID.
    pub category: Option<String>,
    /// New status.
    pub status: Option<ProductStatus>,
}

/// Which record tags are changed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tagged {
    /// An order.
    Order(OrderRef),
    /// A customer, by id.
    Customer(String),
}

/// Tags to add to and remove from a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagChange {
    /// The record.
    pub target: Tagged,
    /// Tags to add.
    pub add: Vec<String>,
    /// Tags to remove.
    pub remove: Vec<String>,
}

/// What a new discount code takes off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountOff {
    /// Percent of the order, e.g. 10.
    Percent(Decimal),
    /// A fixed amount in the shop's currency.
    Amount(Amount),
}

/// A discount code to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscountDraft {
    /// The code customers type, e.g. "WELCOME10".
    pub code: String,
    /// What it takes off.
    pub off: DiscountOff,
    /// From when (default: now).
    pub starts_at: Option<DateTime<Utc>>,
    /// Until when (default: no end).
    pub ends_at: Option<DateTime<Utc>>,
    /// Uses in all, if limited.
    pub usage_limit: Option<u32>,
    /// Each customer may use it once.
    pub once_per_customer: bool,
}

impl RefundOrder {
    /// How much this refund gives back on `order`: the amount asked, else the lines' value
    /// plus shipping, else everything refundable; refused above what is refundable.
    pub fn total(&self, order: &Order) -> Result<Money, CommerceError> {
        let currency = &order.currency;
        let total = match self.amount {
            Some(a) => a.money(currency),
            None if self.lines.is_empty() && self.shipping.is_none() => order.refundable(),
            None => {
                let shipping = self
                    .shipping
                    .map_or_else(|| Money::zero(currency.clone()), |s| s.money(currency));
                lines_value(order, &self.lines)?
                    .checked_add(&shipping)
                    .map_err(|e| CommerceError::rejected(e.to_string()))?
            }
        };
        for l in &self.lines {
            l.resolve(order)?;
        }
        if total.amount <= Decimal::ZERO {
            return Err(CommerceError::rejected(format!(
                "a refund must be more than zero, not {total}"
            )));
        }
        if total.amount > order.refundable().amount {
            return Err(CommerceError::rejected(format!(
                "order {} has {} left to refund; {total} is more",
                order.number,
                order.refundable()
            )));
        }
        Ok(total)
    }
}

/// A product reference for reads, from the three ways people name one.
pub fn product_ref(
    id: Option<&str>,
    handle: Option<&str>,
    sku: Option<&str>,
) -> Option<ProductRef> {
    match (id, handle, sku) {
        (Some(id), None, None) => Some(ProductRef::Id(id.to_string())),
        (None, Some(h), None) => Some(ProductRef::Handle(h.to_string())),
        (None, None, Some(s)) => Some(ProductRef::Sku(s.to_string())),
        _ => None,
    }
}
