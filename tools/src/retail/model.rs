//! The commerce domain model: products, customers and orders, shaped like the
//! τ²-bench retail records so the built-in store's export is comparable.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A product and its purchasable variants, keyed by item id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Display name, e.g. "T-Shirt".
    pub name: String,
    /// 10-digit product id.
    pub product_id: String,
    /// Variants keyed by their item id.
    pub variants: BTreeMap<String, Variant>,
}

/// One purchasable variant (an "item") of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// 10-digit item id.
    pub item_id: String,
    /// Option values, e.g. `{"color": "blue", "size": "M"}`.
    pub options: BTreeMap<String, String>,
    /// Whether the variant can be ordered now.
    pub available: bool,
    /// Unit price in dollars.
    pub price: f64,
}

/// A customer's postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// First line, e.g. "123 Main St".
    pub address1: String,
    /// Second line, possibly empty.
    pub address2: String,
    /// City.
    pub city: String,
    /// Country, e.g. "USA".
    pub country: String,
    /// State or region code, e.g. "CA".
    pub state: String,
    /// Postal code.
    pub zip: String,
}

/// A customer's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// User id, e.g. "sara_doe_496".
    pub user_id: String,
    /// Full name.
    pub name: Name,
    /// Default address.
    pub address: Address,
    /// Email address.
    pub email: String,
    /// Saved payment methods keyed by id.
    pub payment_methods: BTreeMap<String, PaymentMethod>,
    /// The user's order ids, oldest first.
    pub orders: Vec<String>,
}

/// A saved payment method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A card; refunds take 5-7 business days.
    CreditCard {
        /// Payment method id, e.g. "credit_card_0000000".
        id: String,
        /// Card brand, e.g. "visa".
        brand: String,
        /// Last four digits.
        last_four: String,
    },
    /// A store gift card with a balance; refunds are credited at once.
    GiftCard {
        /// Payment method id, e.g. "gift_card_0000000".
        id: String,
        /// Remaining balance in dollars.
        balance: f64,
    },
    /// A PayPal account.
    Paypal {
        /// Payment method id, e.g. "paypal_0000000".
        id: String,
    },
}

impl PaymentMethod {
    /// The payment method's id.
    pub fn id(&self) -> &str {
        match self {
            Self::CreditCard { id, .. } | Self::GiftCard { id, .. } | Self::Paypal { id } => id,
        }
    }

    /// A short human description, e.g. "gift card gift_card_123 (balance $50.00)".
    pub fn describe(&self) -> String {
        match self {
            Self::CreditCard {
                brand, last_four, ..
            } => format!("{brand} card ending {last_four}"),
            Self::GiftCard { id, balance } => {
                format!(
                    "gift card {id} (balance {})",
                    super::money::format_usd(*balance)
                )
            }
            Self::Paypal { id } => format!("PayPal {id}"),
        }
    }
}

/// Lifecycle state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Placed, not yet processed: can be cancelled or modified.
    #[serde(rename = "pending")]
    Pending,
    /// Pending, with its items already modified once.
    #[serde(rename = "pending (item modified)")]
    PendingItemModified,
    /// Being prepared for shipping.
    #[serde(rename = "processed")]
    Processed,
    /// Delivered: can be returned or exchanged once.
    #[serde(rename = "delivered")]
    Delivered,
    /// Cancelled before shipping.
    #[serde(rename = "cancelled")]
    Cancelled,
    /// An exchange was requested for delivered items.
    #[serde(rename = "exchange requested")]
    ExchangeRequested,
    /// A return was requested for delivered items.
    #[serde(rename = "return requested")]
    ReturnRequested,
}

impl OrderStatus {
    /// The status as the store spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::PendingItemModified => "pending (item modified)",
            Self::Processed => "processed",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::ExchangeRequested => "exchange requested",
            Self::ReturnRequested => "return requested",
        }
    }

    /// Whether the status text contains "pending" (address and payment changes allow both).
    pub fn is_any_pending(self) -> bool {
        matches!(self, Self::Pending | Self::PendingItemModified)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Product name.
    pub name: String,
    /// Product id.
    pub product_id: String,
    /// Item (variant) id.
    pub item_id: String,
    /// Price paid for this line.
    pub price: f64,
    /// The variant's options.
    pub options: BTreeMap<String, String>,
}

/// A shipment of some of an order's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfillment {
    /// Carrier tracking numbers.
    pub tracking_id: Vec<String>,
    /// Item ids in the shipment.
    pub item_ids: Vec<String>,
}

/// Whether money went in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionType {
    /// The customer paid.
    Payment,
    /// The customer was refunded.
    Refund,
}

/// A money movement on an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// Payment or refund.
    pub transaction_type: TransactionType,
    /// Amount in dollars.
    pub amount: f64,
    /// The payment method charged or credited.
    pub payment_method_id: String,
}

/// Reason a customer gives for cancelling.
// Variant docs would turn the schema's plain `enum` into a `oneOf` of consts,
// which models follow less reliably; the names say it all.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum CancelReason {
    #[serde(rename = "no longer needed")]
    NoLongerNeeded,
    #[serde(rename = "ordered by mistake")]
    OrderedByMistake,
}

impl CancelReason {
    /// The reason as the store records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoLongerNeeded => "no longer needed",
            Self::OrderedByMistake => "ordered by mistake",
        }
    }
}

/// An order with its lines, shipments, money movements and after-sale requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Order id with its leading '#', e.g. "#W0000000".
    pub order_id: String,
    /// The customer's user id.
    pub user_id: String,
    /// Shipping address.
    pub address: Address,
    /// Order lines.
    pub items: Vec<OrderItem>,
    /// Current status.
    pub status: OrderStatus,
    /// Shipments.
    pub fulfillments: Vec<Fulfillment>,
    /// Payments and refunds, in order.
    pub payment_history: Vec<Payment>,
    /// Why it was cancelled, once cancelled.
    #[serde(default)]
    pub cancel_reason: Option<CancelReason>,
    /// Items to exchange, sorted, once requested.
    #[serde(default)]
    pub exchange_items: Option<Vec<String>>,
    /// Replacement items, sorted, once requested.
    #[serde(default)]
    pub exchange_new_items: Option<Vec<String>>,
    /// Payment method settling the exchange's price difference.
    #[serde(default)]
    pub exchange_payment_method_id: Option<String>,
    /// Price difference of the exchange (new minus old).
    #[serde(default)]
    pub exchange_price_difference: Option<f64>,
    /// Items to return, sorted, once requested.
    #[serde(default)]
    pub return_items: Option<Vec<String>>,
    /// Payment method receiving the return's refund.
    #[serde(default)]
    pub return_payment_method_id: Option<String>,
}

impl Order {
    /// Sum of the lines' prices.
    pub fn total(&self) -> f64 {
        self.items.iter().map(|i| i.price).sum()
    }
}
