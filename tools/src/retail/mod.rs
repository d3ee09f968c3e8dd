//! The 16 customer-service tools of the τ²-bench retail domain, over the built-in store.
//!
//! Names, parameters and descriptions are exactly the benchmark's, so an agent
//! evaluated on it sees the same tools.

mod args;
mod cancel;
mod exchange;
mod generic;
pub mod model;
mod modify;
pub mod money;
mod read;
mod render;
mod returns;
pub mod store;
mod users;

pub use args::*;
pub use cancel::CancelPendingOrderTool;
pub use exchange::ExchangeDeliveredOrderItemsTool;
pub use generic::{CalculateTool, TransferToHumanAgentsTool};
pub use modify::{
    ModifyPendingOrderAddressTool, ModifyPendingOrderItemsTool, ModifyPendingOrderPaymentTool,
};
pub use read::{
    FindUserIdByEmailTool, FindUserIdByNameZipTool, GetItemDetailsTool, GetOrderDetailsTool,
    GetProductDetailsTool, GetUserDetailsTool, ListAllProductTypesTool,
};
pub use returns::ReturnDeliveredOrderItemsTool;
pub use store::{ItemSwap, RetailStore};
pub use users::ModifyUserAddressTool;

use crate::error::ToolError;
use crate::registry::Registry;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Registers all 16 retail tools over `store`.
pub fn register(registry: &mut Registry, store: Arc<dyn RetailStore>) -> Result<(), ToolError> {
    let s = || Store(store.clone());
    registry.register(CalculateTool)?;
    registry.register(TransferToHumanAgentsTool)?;
    registry.register(FindUserIdByEmailTool(s()))?;
    registry.register(FindUserIdByNameZipTool(s()))?;
    registry.register(GetItemDetailsTool(s()))?;
    registry.register(GetOrderDetailsTool(s()))?;
    registry.register(GetProductDetailsTool(s()))?;
    registry.register(GetUserDetailsTool(s()))?;
    registry.register(ListAllProductTypesTool(s()))?;
    registry.register(CancelPendingOrderTool(s()))?;
    registry.register(ModifyPendingOrderAddressTool(s()))?;
    registry.register(ModifyPendingOrderPaymentTool(s()))?;
    registry.register(ModifyPendingOrderItemsTool(s()))?;
    registry.register(ExchangeDeliveredOrderItemsTool(s()))?;
    registry.register(ReturnDeliveredOrderItemsTool(s()))?;
    registry.register(ModifyUserAddressTool(s()))?;
    Ok(())
}

/// Lists the 16 retail tools as not offered, for a shop whose store is not the built-in one.
pub fn register_not_offered(registry: &mut Registry, reason: &str) -> Result<(), ToolError> {
    registry.register_not_offered::<CalculateTool>(reason)?;
    registry.register_not_offered::<TransferToHumanAgentsTool>(reason)?;
    registry.register_not_offered::<FindUserIdByEmailTool>(reason)?;
    registry.register_not_offered::<FindUserIdByNameZipTool>(reason)?;
    registry.register_not_offered::<GetItemDetailsTool>(reason)?;
    registry.register_not_offered::<GetOrderDetailsTool>(reason)?;
    registry.register_not_offered::<GetProductDetailsTool>(reason)?;
    registry.register_not_offered::<GetUserDetailsTool>(reason)?;
    registry.register_not_offered::<ListAllProductTypesTool>(reason)?;
    registry.register_not_offered::<CancelPendingOrderTool>(reason)?;
    registry.register_not_offered::<ModifyPendingOrderAddressTool>(reason)?;
    registry.register_not_offered::<ModifyPendingOrderPaymentTool>(reason)?;
    registry.register_not_offered::<ModifyPendingOrderItemsTool>(reason)?;
    registry.register_not_offered::<ExchangeDeliveredOrderItemsTool>(reason)?;
    registry.register_not_offered::<ReturnDeliveredOrderItemsTool>(reason)?;
    registry.register_not_offered::<ModifyUserAddressTool>(reason)?;
    Ok(())
}

/// The store a retail tool acts on.
#[derive(Clone)]
pub struct Store(pub Arc<dyn RetailStore>);

impl std::ops::Deref for Store {
    type Target = dyn RetailStore;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// The call took effect; the record as it stands is its result.
fn applied<T: Serialize>(record: &T) -> crate::tool::Reconciliation {
    match serde_json::to_value(record) {
        Ok(v) => crate::tool::Reconciliation::Applied(v),
        Err(_) => crate::tool::Reconciliation::Unknown,
    }
}

/// Payments minus refunds on an order: what cancelling it gives back.
fn net_paid(order: &crate::retail::model::Order) -> f64 {
    use crate::retail::model::TransactionType;
    order
        .payment_history
        .iter()
        .map(|p| match p.transaction_type {
            TransactionType::Payment => p.amount,
            TransactionType::Refund => -p.amount,
        })
        .sum()
}

/// A record as the tool's JSON result.
fn to_result<T: Serialize>(record: &T) -> Result<Value, ToolError> {
    serde_json::to_value(record).map_err(|e| ToolError::Definition(e.to_string()))
}
