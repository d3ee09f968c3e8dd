//! How records are named and read: by number, id, handle or SKU, and in pages with a
//! cursor and an `updated_since` for incremental sync (never "every order" at once).

use super::model::{FinancialStatus, FulfillmentStatus, OrderState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most records one page may hold (Shopify's limit for `first`).
pub const MAX_PAGE: u32 = 250;

/// An order as people name it: its number (`#1001`) or the platform's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderRef {
    /// The number shown to customers, with its `#`.
    Number(String),
    /// The platform's id (e.g. `gid://shopify/Order/5531567800`).
    Id(String),
}

impl OrderRef {
    /// Reads what a person or model wrote: a `gid://` or a long numeric id is an id; anything
    /// else is an order number, given a leading `#` if it has none.
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        if t.starts_with("gid://") || (t.len() >= 10 && t.bytes().all(|b| b.is_ascii_digit())) {
            Self::Id(t.to_string())
        } else if t.starts_with('#') {
            Self::Number(t.to_string())
        } else {
            Self::Number(format!("#{t}"))
        }
    }

    /// The text as given (number with its `#`, or id).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Number(s) | Self::Id(s) => s,
        }
    }
}

impl std::fmt::Display for OrderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product by the platform's id, its URL handle, or the SKU of one of its variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductRef {
    /// The platform's id.
    Id(String),
    /// The URL handle, e.g. `classic-t-shirt`.
    Handle(String),
    /// A variant's SKU.
    Sku(String),
}

impl std::fmt::Display for ProductRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(s) => write!(f, "product {s}"),
            Self::Handle(s) => write!(f, "product with handle {s}"),
            Self::Sku(s) => write!(f, "product with SKU {s}"),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageQuery {
    /// Where the previous page ended; `None` for the first page.
    pub cursor: Option<String>,
    /// Records per page, at most `MAX_PAGE` (0 means the connector's default).
    pub limit: u32,
    /// Only records changed at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
}

impl PageQuery {
    /// The first page of `limit` records.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// The page size to ask for: `limit`, or 50, capped at `MAX_PAGE`.
    pub fn size(&self) -> u32 {
        if self.limit == 0 {
            50
        } else {
            self.limit.min(MAX_PAGE)
        }
    }
}

/// Records and where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The records, in the platform's order.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last one.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page with no further pages.
    pub fn last(items: Vec<T>) -> Self {
        Self { items, next: None }
    }
}

/// Which orders to list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderQuery {
    /// Paging and `updated_since`.
    pub page: PageQuery,
    /// Only this customer's orders.
    pub customer_id: Option<String>,
    /// Only orders in this state.
    pub state: Option<OrderState>,
    /// Only orders with this financial status.
    pub financial_status: Option<FinancialStatus>,
    /// Only orders with this fulfilment status.
    pub fulfillment_status: Option<FulfillmentStatus>,
}

impl OrderQuery {
    /// Whether `order` passes the filters other than paging (for stores that filter in memory).
    pub fn matches(&self, order: &super::model::Order) -> bool {
        self.customer_id
            .as_ref()
            .is_none_or(|c| order.customer_id.as_ref() == Some(c))
            && self.state.is_none_or(|s| order.state == s)
            && self
                .financial_status
                .is_none_or(|s| order.financial_status == s)
            && self
                .fulfillment_status
                .is_none_or(|s| order.fulfillment_status == s)
            && self.page.updated_since.is_none_or(|since| {
                order.updated_at.is_none_or(|u| u >= since) // unknown times are kept
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_refs_read_numbers_and_ids() {
        assert_eq!(OrderRef::parse("#1001"), OrderRef::Number("#1001".into()));
        assert_eq!(OrderRef::parse("1001"), OrderRef::Number("#1001".into()));
        assert_eq!(
            OrderRef::parse(" W2378156 "),
            OrderRef::Number("#W2378156".into())
        );
        assert_eq!(
            OrderRef::parse("gid://shopify/Order/1"),
            OrderRef::Id("gid://shopify/Order/1".into())
        );
        assert_eq!(
            OrderRef::parse("5531567800123"),
            OrderRef::Id("5531567800123".into())
        );
    }

    #[test]
    fn page_sizes_are_capped() {
        assert_eq!(PageQuery::first(0).size(), 50);
        assert_eq!(PageQuery::first(1000).size(), MAX_PAGE);
        assert_eq!(PageQuery::first(10).size(), 10);
    }
}
