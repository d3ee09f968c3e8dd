//! Changes to pending orders: address, payment method, items.

use super::args::{ModifyItemsArgs, OrderAddressArgs, OrderPaymentArgs};
use super::{Store, render, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::retail::ItemSwap;
use crate::retail::model::{OrderStatus, TransactionType};
use crate::retail::money::format_usd;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// Changes a pending order's shipping address.
pub struct ModifyPendingOrderAddressTool(pub Store);

#[async_trait]
impl Tool for ModifyPendingOrderAddressTool {
    type Args = OrderAddressArgs;
    const NAME: &'static str = "modify_pending_order_address";
    const DESCRIPTION: &'static str = "Modify the shipping address of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "change the shipping address of order #W2378156",
        "ship order W5490111 to a different address",
        "update the delivery address on my pending order #W7387996",
    ];

    async fn call(&self, args: OrderAddressArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let order = self
            .0
            .modify_pending_order_address(&args.order_id, args.address())
            .await?;
        to_result(&order)
    }

    async fn render(&self, args: &OrderAddressArgs) -> String {
        let (order, _) = render::order_summary(&*self.0, &args.order_id).await;
        format!("Ship order {order} to {}", address_line(&args.address()))
    }
    async fn reconcile(&self, args: &OrderAddressArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&args.order_id).await {
            Ok(o) if o.address == args.address() => super::applied(&o),
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// "1 Main St, Apt 2, Springfield, IL 62701, USA".
pub(super) fn address_line(a: &crate::retail::model::Address) -> String {
    let mut parts = vec![a.address1.as_str()];
    if !a.address2.is_empty() {
        parts.push(&a.address2);
    }
    format!(
        "{}, {}, {} {}, {}",
        parts.join(", "),
        a.city,
        a.state,
        a.zip,
        a.country
    )
}

/// Moves a pending order's payment to another payment method.
pub struct ModifyPendingOrderPaymentTool(pub Store);

#[async_trait]
impl Tool for ModifyPendingOrderPaymentTool {
    type Args = OrderPaymentArgs;
    const NAME: &'static str = "modify_pending_order_payment";
    const DESCRIPTION: &'static str = "Modify the payment method of a pending order. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "pay order #W2378156 with paypal_7503218 instead",
        "change the payment method of W5490111 to credit_card_9513926",
        "switch payment for order #W7387996 to gift_card_1234567",
    ];

    async fn call(&self, args: OrderPaymentArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let order = self
            .0
            .modify_pending_order_payment(&args.order_id, &args.payment_method_id)
            .await?;
        to_result(&order)
    }

    async fn render(&self, args: &OrderPaymentArgs) -> String {
        let (summary, order) = render::order_summary(&*self.0, &args.order_id).await;
        let new_method = match &order {
            Some(o) => render::method_name(&*self.0, &o.user_id, &args.payment_method_id).await,
            None => args.payment_method_id.clone(),
        };
        let amount = order
            .as_ref()
            .and_then(|o| o.payment_history.first())
            .map_or_else(String::new, |p| format!(" {}", format_usd(p.amount)));
        format!(
            "Charge order {summary}{amount} to {new_method} instead, refunding the original payment"
        )
    }
    async fn amount(&self, args: &OrderPaymentArgs) -> Option<f64> {
        let order = self.0.order(&args.order_id).await.ok()?;
        order.payment_history.first().map(|p| p.amount)
    }

    async fn reconcile(&self, args: &OrderPaymentArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&args.order_id).await {
            Ok(o)
                if o.payment_history.iter().skip(1).any(|p| {
                    p.transaction_type == TransactionType::Payment
                        && p.payment_method_id == args.payment_method_id
                }) =>
            {
                super::applied(&o)
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// Swaps items of a pending order for other variants of the same products.
pub struct ModifyPendingOrderItemsTool(pub Store);

#[async_trait]
impl Tool for ModifyPendingOrderItemsTool {
    type Args = ModifyItemsArgs;
    const NAME: &'static str = "modify_pending_order_items";
    const DESCRIPTION: &'static str = "Modify items in a pending order to new items of the same product type. For a pending order, this function can only be called once. The agent needs to explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "change item 1151293680 in pending order #W2378156 to 4983901480",
        "modify the items of order W5490111: replace 8293778132 with 9408160950",
        "I want a different size for an item in my pending order #W7387996",
    ];

    async fn call(&self, a: ModifyItemsArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let order = self
            .0
            .modify_pending_order_items(ItemSwap {
                order_id: a.order_id,
                item_ids: a.item_ids,
                new_item_ids: a.new_item_ids,
                payment_method_id: a.payment_method_id,
            })
            .await?;
        to_result(&order)
    }

    async fn render(&self, a: &ModifyItemsArgs) -> String {
        let (summary, order) = render::order_summary(&*self.0, &a.order_id).await;
        let (lines, diff) =
            render::swaps(&*self.0, order.as_ref(), &a.item_ids, &a.new_item_ids).await;
        let method = match &order {
            Some(o) => render::method_name(&*self.0, &o.user_id, &a.payment_method_id).await,
            None => a.payment_method_id.clone(),
        };
        format!(
            "Change items of order {summary}:\n{}\n{}",
            lines
                .iter()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            render::settlement(diff, &method, true)
        )
    }
    async fn amount(&self, a: &ModifyItemsArgs) -> Option<f64> {
        let order = self.0.order(&a.order_id).await.ok()?;
        render::swaps(&*self.0, Some(&order), &a.item_ids, &a.new_item_ids)
            .await
            .1
            .map(f64::abs)
    }

    async fn reconcile(&self, a: &ModifyItemsArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&a.order_id).await {
            Ok(o)
                if o.status == OrderStatus::PendingItemModified
                    && a.new_item_ids
                        .iter()
                        .all(|id| o.items.iter().any(|i| &i.item_id == id)) =>
            {
                super::applied(&o)
            }
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
