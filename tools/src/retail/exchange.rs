//! `exchange_delivered_order_items`.

use super::args::ExchangeArgs;
use super::{Store, render, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::retail::ItemSwap;
use crate::retail::model::OrderStatus;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// Requests an exchange of delivered items for other variants of the same products.
pub struct ExchangeDeliveredOrderItemsTool(pub Store);

#[async_trait]
impl Tool for ExchangeDeliveredOrderItemsTool {
    type Args = ExchangeArgs;
    const NAME: &'static str = "exchange_delivered_order_items";
    const DESCRIPTION: &'static str = "Exchange items in a delivered order to new items of the same product type.\n\nFor a delivered order, return or exchange can be only done once by the agent.\nThe agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "exchange item 1151293680 in order #W2378156 for 4983901480",
        "swap 8293778132 from W5490111 for item 9408160950 using credit_card_9513926",
        "I want to exchange an item from my delivered order #W7387996",
    ];

    async fn call(&self, a: ExchangeArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let order = self
            .0
            .exchange_delivered_order_items(ItemSwap {
                order_id: a.order_id,
                item_ids: a.item_ids,
                new_item_ids: a.new_item_ids,
                payment_method_id: a.payment_method_id,
            })
            .await?;
        to_result(&order)
    }

    async fn render(&self, a: &ExchangeArgs) -> String {
        let (summary, order) = render::order_summary(&*self.0, &a.order_id).await;
        let (lines, diff) =
            render::swaps(&*self.0, order.as_ref(), &a.item_ids, &a.new_item_ids).await;
        let method = match &order {
            Some(o) => render::method_name(&*self.0, &o.user_id, &a.payment_method_id).await,
            None => a.payment_method_id.clone(),
        };
        format!(
            "Request an exchange on delivered order {summary}:\n{}\n{}",
            lines
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            render::settlement(diff, &method, false)
        )
    }
    async fn amount(&self, a: &ExchangeArgs) -> Option<f64> {
        let order = self.0.order(&a.order_id).await.ok()?;
        render::swaps(&*self.0, Some(&order), &a.item_ids, &a.new_item_ids)
            .await
            .1
            .map(f64::abs)
    }

    async fn reconcile(&self, a: &ExchangeArgs, _ctx: &CallContext) -> Reconciliation {
        let mut wanted = a.new_item_ids.clone();
        wanted.sort();
        match self.0.order(&a.order_id).await {
            Ok(o)
                if o.status == OrderStatus::ExchangeRequested
                    && o.exchange_new_items.as_ref() == Some(&wanted) =>
            {
                super::applied(&o)
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
