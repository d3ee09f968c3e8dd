//! `return_delivered_order_items`.

use super::args::ReturnArgs;
use super::{Store, render, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::retail::model::OrderStatus;
use crate::retail::money::format_usd;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// Requests a return of delivered items, refunded to the original method or a gift card.
pub struct ReturnDeliveredOrderItemsTool(pub Store);

#[async_trait]
impl Tool for ReturnDeliveredOrderItemsTool {
    type Args = ReturnArgs;
    const NAME: &'static str = "return_delivered_order_items";
    const DESCRIPTION: &'static str = "Return some items of a delivered order.\n\nThe order status will be changed to 'return requested'.\nThe agent needs to explain the return detail and ask for explicit user confirmation (yes/no) to proceed.\nThe user will receive follow-up email for how and where to return the item.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "return item 1151293680 from order #W2378156 to paypal_7503218",
        "I want to return the items 8293778132 of order W5490111 refund to credit_card_9513926",
        "return item 4983901480 from #W7387996",
    ];

    async fn call(&self, a: ReturnArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let order = self
            .0
            .return_delivered_order_items(&a.order_id, a.item_ids, &a.payment_method_id)
            .await?;
        to_result(&order)
    }

    async fn render(&self, a: &ReturnArgs) -> String {
        let (summary, order) = render::order_summary(&*self.0, &a.order_id).await;
        let mut refund = 0.0;
        let mut lines = Vec::new();
        let mut used = vec![false; order.as_ref().map_or(0, |o| o.items.len())];
        for id in &a.item_ids {
            let found = order.as_ref().and_then(|o| {
                o.items
                    .iter()
                    .enumerate()
                    .find(|(k, i)| !used[*k] && &i.item_id == id)
            });
            match found {
                Some((k, item)) => {
                    used[k] = true;
                    refund += item.price;
                    lines.push(format!("  {}", render::line(item)));
                }
                None => lines.push(format!("  {id} (not in the order)")),
            }
        }
        let method = match &order {
            Some(o) => render::method_name(&*self.0, &o.user_id, &a.payment_method_id).await,
            None => a.payment_method_id.clone(),
        };
        format!(
            "Request a return on delivered order {summary}:\n{}\nrefund {} to {method}",
            lines.join("\n"),
            format_usd(refund)
        )
    }
    async fn amount(&self, a: &ReturnArgs) -> Option<f64> {
        let order = self.0.order(&a.order_id).await.ok()?;
        let mut used = vec![false; order.items.len()];
        let mut total = 0.0;
        for id in &a.item_ids {
            let (k, item) = order
                .items
                .iter()
                .enumerate()
                .find(|(k, i)| !used[*k] && &i.item_id == id)?;
            used[k] = true;
            total += item.price;
        }
        Some(total)
    }

    async fn reconcile(&self, a: &ReturnArgs, _ctx: &CallContext) -> Reconciliation {
        let mut wanted = a.item_ids.clone();
        wanted.sort();
        match self.0.order(&a.order_id).await {
            Ok(o)
                if o.status == OrderStatus::ReturnRequested
                    && o.return_items.as_ref() == Some(&wanted) =>
            {
                super::applied(&o)
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
