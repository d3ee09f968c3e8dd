//! The platform tools: orders, customers, products, inventory and discounts over any
//! `Commerce` store (Shopify, the built-in store, and later BigCommerce and WooCommerce).
//! Their names and arguments are a public interface that scripts rely on.

mod customers;
mod discounts;
mod inventory;
mod orders;
mod products;

pub use customers::{FindCustomer, TagCustomer};
pub use discounts::CreateDiscountCode;
pub use inventory::{AdjustInventory, SetInventory};
pub use orders::{
    CancelOrderTool, GetOrder, ListOrders, RefundOrderTool, RequestReturn, TagOrder,
    UpdateShippingAddress,
};
pub use products::GetProduct;

use crate::commerce::model::Order;
use crate::commerce::query::OrderRef;
use crate::commerce::{Capability, Commerce};
use crate::error::ToolError;
use crate::registry::Registry;
use crate::tool::Reconciliation;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The store a platform tool acts on.
#[derive(Clone)]
pub struct Shop(pub Arc<dyn Commerce>);

impl std::ops::Deref for Shop {
    type Target = dyn Commerce;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// Registers every platform tool over `store`; those it cannot serve are listed as not
/// offered, with the reason.
pub fn register(registry: &mut Registry, store: Arc<dyn Commerce>) -> Result<(), ToolError> {
    let s = || Shop(store.clone());
    let store = store.as_ref();
    registry.register_capable(GetOrder(s()), Capability::ReadOrders, store)?;
    registry.register_capable(ListOrders(s()), Capability::ReadOrders, store)?;
    registry.register_capable(FindCustomer(s()), Capability::ReadCustomers, store)?;
    registry.register_capable(GetProduct(s()), Capability::ReadProducts, store)?;
    registry.register_capable(CancelOrderTool(s()), Capability::CancelOrders, store)?;
    registry.register_capable(RefundOrderTool(s()), Capability::Refunds, store)?;
    registry.register_capable(RequestReturn(s()), Capability::Returns, store)?;
    registry.register_capable(UpdateShippingAddress(s()), Capability::EditOrders, store)?;
    registry.register_capable(AdjustInventory(s()), Capability::Inventory, store)?;
    registry.register_capable(SetInventory(s()), Capability::Inventory, store)?;
    registry.register_capable(TagOrder(s()), Capability::Tags, store)?;
    registry.register_capable(TagCustomer(s()), Capability::Tags, store)?;
    registry.register_capable(CreateDiscountCode(s()), Capability::Discounts, store)?;
    Ok(())
}

/// A record as the tool's JSON result.
fn to_value<T: Serialize>(record: &T) -> Result<Value, ToolError> {
    serde_json::to_value(record).map_err(|e| ToolError::Definition(e.to_string()))
}

/// The call took effect; the record as it stands is its result.
fn applied<T: Serialize>(record: &T) -> Reconciliation {
    serde_json::to_value(record).map_or(Reconciliation::Unknown, Reconciliation::Applied)
}

/// The order a call names, described for an approval card: "#1001 (open, paid, ...)", or
/// the reference with "(not found)".
async fn order_card(shop: &Shop, order: &str) -> (String, Option<Order>) {
    match shop.order(&OrderRef::parse(order)).await {
        Ok(o) => (o.describe(), Some(o)),
        Err(e) => (format!("{order} ({e})"), None),
    }
}

/// An RFC 3339 time from an argument, or an invalid-arguments error naming the field.
fn parse_time(tool: &str, field: &str, text: &str) -> Result<DateTime<Utc>, ToolError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ToolError::invalid(
                tool,
                format!(
                    "{field}: {text:?} is not an RFC 3339 time such as 2026-11-30T00:00:00Z ({e})"
                ),
            )
        })
}

/// What the store recorded for a write made with this call's key, or what the platform's
/// own deduplication allows: running again with the same key cannot apply it twice.
async fn reconcile_keyed(
    shop: &Shop,
    ctx: &crate::tool::CallContext,
    kind: Capability,
) -> Option<Reconciliation> {
    match shop.recorded_write(&ctx.key).await {
        Ok(Some(done)) => Some(Reconciliation::Applied(done)),
        Ok(None) if shop.deduplicates(kind) => Some(Reconciliation::NotApplied),
        Ok(None) => None,
        Err(_) => Some(Reconciliation::Unknown),
    }
}
