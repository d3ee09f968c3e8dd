//! `cancel_pending_order`.

use super::args::CancelArgs;
use super::{Store, render, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::retail::model::OrderStatus;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// Cancels a pending order and refunds its payments.
pub struct CancelPendingOrderTool(pub Store);

#[async_trait]
impl Tool for CancelPendingOrderTool {
    type Args = CancelArgs;
    const NAME: &'static str = "cancel_pending_order";
    const DESCRIPTION: &'static str = "Cancel a pending order. If the order is already processed or delivered,\n\nit cannot be cancelled. The agent needs to explain the cancellation detail\nand ask for explicit user confirmation (yes/no) to proceed. If the user confirms,\nthe order status will be changed to 'cancelled' and the payment will be refunded.\nThe refund will be added to the user's gift card balance immediately if the payment\nwas made using a gift card, otherwise the refund would take 5-7 business days to process.\nThe function returns the order details after the cancellation.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "cancel order #W2378156 because I no longer need it",
        "please cancel W5490111, I ordered it by mistake",
        "I want to cancel my order #W7387996",
        "cancel #W6619432 no longer needed",
    ];

    async fn call(&self, args: CancelArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(
            &self
                .0
                .cancel_pending_order(&args.order_id, args.reason)
                .await?,
        )
    }

    async fn render(&self, args: &CancelArgs) -> String {
        let (order, _) = render::order_summary(&*self.0, &args.order_id).await;
        format!(
            "Cancel order {order} and refund every payment — reason: {}",
            args.reason.as_str()
        )
    }
    async fn amount(&self, args: &CancelArgs) -> Option<f64> {
        self.0
            .order(&args.order_id)
            .await
            .ok()
            .map(|o| super::net_paid(&o))
    }

    async fn reconcile(&self, args: &CancelArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&args.order_id).await {
            Ok(o) if o.status == OrderStatus::Cancelled && o.cancel_reason == Some(args.reason) => {
                super::applied(&o)
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
