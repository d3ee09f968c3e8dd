//! Order tools: look up, list, cancel, refund, return, re-address and tag orders.

use super::{Shop, applied, order_card, parse_time, reconcile_keyed, to_value};
use crate::commerce::Capability;
use crate::commerce::model::{
    Address, CancelReason, FinancialStatus, FulfillmentStatus, OrderState,
};
use crate::commerce::money::{Amount, Money};
use crate::commerce::query::{OrderQuery, OrderRef, PageQuery};
use crate::commerce::request::{
    CancelOrder, LineQuantity, RefundOrder, ReturnReason, ReturnRequest, TagChange, Tagged,
};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// Arguments naming one order.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderArg {
    /// The order's number as the customer sees it, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
}

/// `get_order`.
pub struct GetOrder(pub Shop);

#[async_trait]
impl Tool for GetOrder {
    type Args = OrderArg;
    const NAME: &'static str = "get_order";
    const DESCRIPTION: &'static str = "Get an order by its number (such as '#1001') or id: lines with quantities and prices, totals, financial, fulfillment and return status, shipping address, shipments with tracking, refunds and tags.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show order #1001",
        "what is in order 1042",
        "has order #1001 been paid",
        "look up order number 1003",
    ];

    async fn call(&self, a: OrderArg, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_value(&self.0.order(&OrderRef::parse(&a.order)).await?)
    }

    async fn render(&self, a: &OrderArg) -> String {
        format!("Show order {}", a.order)
    }
}

/// Arguments of `list_orders`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOrdersArgs {
    /// Only this customer's orders (a customer id from find_customer).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Only orders that are open, cancelled or closed.
    #[serde(default)]
    pub state: Option<OrderState>,
    /// Only orders with this financial status.
    #[serde(default)]
    pub financial_status: Option<FinancialStatus>,
    /// Only orders with this fulfillment status.
    #[serde(default)]
    pub fulfillment_status: Option<FulfillmentStatus>,
    /// Only orders changed since this time, RFC 3339, e.g. "2026-11-30T00:00:00Z".
    #[serde(default)]
    pub updated_since: Option<String>,
    /// The next_cursor of a previous call, to get the next page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Orders per page, 1 to 250 (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 250))]
    pub limit: Option<u32>,
}

/// `list_orders`.
pub struct ListOrders(pub Shop);

#[async_trait]
impl Tool for ListOrders {
    type Args = ListOrdersArgs;
    const NAME: &'static str = "list_orders";
    const DESCRIPTION: &'static str = "List orders, newest first, one page at a time, optionally only a customer's or those in a state; each with its number, id, date, statuses, total and email. Pass next_cursor back as cursor for the next page.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "list the latest orders",
        "show unfulfilled orders",
        "which orders were cancelled",
        "list orders of customer 207119551",
    ];

    async fn call(&self, a: ListOrdersArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let updated_since = a
            .updated_since
            .as_deref()
            .map(|t| parse_time(Self::NAME, "updated_since", t))
            .transpose()?;
        let query = OrderQuery {
            page: PageQuery {
                cursor: a.cursor,
                limit: a.limit.unwrap_or(20),
                updated_since,
            },
            customer_id: a.customer_id,
            state: a.state,
            financial_status: a.financial_status,
            fulfillment_status: a.fulfillment_status,
        };
        let page = self.0.orders(&query).await?;
        let orders: Vec<Value> = page
            .items
            .iter()
            .map(|o| {
                json!({
                    "number": o.number, "id": o.id, "created_at": o.created_at,
                    "state": o.state, "financial_status": o.financial_status,
                    "fulfillment_status": o.fulfillment_status, "return_status": o.return_status,
                    "total": o.total, "email": o.email, "customer_id": o.customer_id,
                    "items": o.units(),
                })
            })
            .collect();
        Ok(json!({"orders": orders, "next_cursor": page.next}))
    }

    async fn render(&self, _: &ListOrdersArgs) -> String {
        "List orders".to_string()
    }
}

/// Arguments of `cancel_order`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderArgs {
    /// The order's number, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
    /// Why: customer (the customer asked), declined (payment declined), fraud, inventory (out of stock), staff (a staff error), other.
    pub reason: CancelReason,
    /// Refund what was paid to the original payment method (default true).
    #[serde(default = "yes")]
    pub refund: bool,
    /// Put the items back in stock (default true).
    #[serde(default = "yes")]
    pub restock: bool,
    /// Email the customer that the order was cancelled (default false).
    #[serde(default)]
    pub notify_customer: bool,
    /// A note for staff, kept with the order.
    #[serde(default)]
    pub staff_note: Option<String>,
}

fn yes() -> bool {
    true
}

impl CancelOrderArgs {
    fn request(&self) -> CancelOrder {
        CancelOrder {
            order: OrderRef::parse(&self.order),
            reason: self.reason,
            refund: self.refund,
            restock: self.restock,
            notify_customer: self.notify_customer,
            staff_note: self.staff_note.clone(),
        }
    }
}

/// `cancel_order`.
pub struct CancelOrderTool(pub Shop);

#[async_trait]
impl Tool for CancelOrderTool {
    type Args = CancelOrderArgs;
    const NAME: &'static str = "cancel_order";
    const DESCRIPTION: &'static str = "Cancel an order that has not shipped, optionally refunding the payment, restocking the items and emailing the customer. Returns the order after the cancellation.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "cancel order #1001, the customer changed their mind",
        "cancel #1042 it is fraud",
        "cancel order 1003 because it is out of stock and refund it",
    ];

    async fn call(&self, a: CancelOrderArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        to_value(&self.0.cancel_order(&a.request(), &ctx.key).await?)
    }

    async fn render(&self, a: &CancelOrderArgs) -> String {
        let (card, order) = order_card(&self.0, &a.order).await;
        let refund = match (&order, a.refund) {
            (Some(o), true) => format!("refund {} to the original payment method", o.refundable()),
            (None, true) => "refund the payment to the original payment method".into(),
            (_, false) => "no refund".into(),
        };
        let restock = match (&order, a.restock) {
            (Some(o), true) => format!("restock {} item(s)", o.units()),
            (None, true) => "restock the items".into(),
            (_, false) => "no restock".into(),
        };
        let notify = if a.notify_customer {
            "email the customer"
        } else {
            "the customer is not emailed"
        };
        let mut text = format!(
            "Cancel order {card} — reason: {}; {refund}; {restock}; {notify}",
            a.reason.as_str()
        );
        if let Some(note) = &a.staff_note {
            text.push_str(&format!("; staff note: {note}"));
        }
        text
    }

    async fn amount(&self, a: &CancelOrderArgs) -> Option<f64> {
        if !a.refund {
            return Some(0.0);
        }
        let order = self.0.order(&OrderRef::parse(&a.order)).await.ok()?;
        money_f64(&order.refundable())
    }

    async fn reconcile(&self, a: &CancelOrderArgs, ctx: &CallContext) -> Reconciliation {
        if let Some(r) = reconcile_keyed(&self.0, ctx, Capability::CancelOrders).await {
            return r;
        }
        // No platform key for cancellations: the order itself says whether it happened.
        match self.0.order(&OrderRef::parse(&a.order)).await {
            Ok(o) if o.state == OrderState::Cancelled => applied(&o),
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// An amount as the policy's dollars (policy thresholds are plain numbers).
pub(super) fn money_f64(m: &Money) -> Option<f64> {
    m.amount.to_string().parse().ok()
}

/// Arguments of `refund_order`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundOrderArgs {
    /// The order's number, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
    /// How much to refund, e.g. "25.00"; without it, the value of line_items (plus shipping), or everything refundable when no lines are given.
    #[serde(default)]
    pub amount: Option<Amount>,
    /// Which lines the refund is for: each a line id or SKU from the order, and a quantity.
    #[serde(default)]
    pub line_items: Vec<LineQuantity>,
    /// Shipping to refund as well, e.g. "5.00".
    #[serde(default)]
    pub shipping: Option<Amount>,
    /// Put refunded line items back in stock (default true).
    #[serde(default = "yes")]
    pub restock: bool,
    /// Email the customer about the refund (default false).
    #[serde(default)]
    pub notify_customer: bool,
    /// Why, kept with the refund.
    #[serde(default)]
    pub note: Option<String>,
}

impl RefundOrderArgs {
    fn request(&self) -> RefundOrder {
        RefundOrder {
            order: OrderRef::parse(&self.order),
            amount: self.amount,
            lines: self.line_items.clone(),
            shipping: self.shipping,
            restock: self.restock,
            notify_customer: self.notify_customer,
            note: self.note.clone(),
        }
    }
}

/// `refund_order`.
pub struct RefundOrderTool(pub Shop);

#[async_trait]
impl Tool for RefundOrderTool {
    type Args = RefundOrderArgs;
    const NAME: &'static str = "refund_order";
    const DESCRIPTION: &'static str = "Refund an order to its original payment method: a fixed amount, some line items (by line id or SKU, with quantities, optionally restocked) and shipping, or everything still refundable. Returns the order after the refund.";
    const EFFECT: Effect = Effect::Money;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "refund $20 on order #1001",
        "refund one of the t-shirts on order 1042",
        "give a full refund for order #1003",
    ];

    async fn call(&self, a: RefundOrderArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        to_value(&self.0.refund_order(&a.request(), &ctx.key).await?)
    }

    async fn render(&self, a: &RefundOrderArgs) -> String {
        let (card, order) = order_card(&self.0, &a.order).await;
        let Some(order) = order else {
            return format!("Refund on order {card}");
        };
        let request = a.request();
        let total = match request.total(&order) {
            Ok(t) => t.to_string(),
            Err(e) => format!("(refused: {e})"),
        };
        let mut parts = Vec::new();
        for l in &a.line_items {
            match l.resolve(&order) {
                Ok(line) => {
                    let restock = if a.restock { ", restocked" } else { "" };
                    parts.push(format!(
                        "{} × {} at {}{restock}",
                        l.quantity, line.title, line.unit_price
                    ));
                }
                Err(e) => parts.push(format!("! {e}")),
            }
        }
        if let Some(s) = a.shipping {
            parts.push(format!("shipping {}", s.money(&order.currency)));
        }
        let mut text = format!("Refund {total} on order {card} to the original payment method");
        if !parts.is_empty() {
            text.push_str(&format!(": {}", parts.join("; ")));
        }
        if a.notify_customer {
            text.push_str("; email the customer");
        }
        if let Some(note) = &a.note {
            text.push_str(&format!(" — note: {note}"));
        }
        text
    }

    async fn amount(&self, a: &RefundOrderArgs) -> Option<f64> {
        let order = self.0.order(&OrderRef::parse(&a.order)).await.ok()?;
        money_f64(&a.request().total(&order).ok()?)
    }

    async fn reconcile(&self, _a: &RefundOrderArgs, ctx: &CallContext) -> Reconciliation {
        // A refund cannot be told apart from another one by reading the order: only the
        // key can say (the store's record, or the platform's deduplication).
        reconcile_keyed(&self.0, ctx, Capability::Refunds)
            .await
            .unwrap_or(Reconciliation::Unknown)
    }
}

/// Arguments of `request_return`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnArgs {
    /// The order's number, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
    /// What comes back: each a line id or SKU from the order, and a quantity.
    #[schemars(length(min = 1))]
    pub line_items: Vec<LineQuantity>,
    /// Why the customer returns it.
    pub reason: ReturnReason,
    /// The customer's words, kept with the return.
    #[serde(default)]
    pub note: Option<String>,
}

/// `request_return`.
pub struct RequestReturn(pub Shop);

#[async_trait]
impl Tool for RequestReturn {
    type Args = ReturnArgs;
    const NAME: &'static str = "request_return";
    const DESCRIPTION: &'static str = "Open a return request for delivered line items of an order (by line id or SKU, with quantities) and a reason. Returns the order after the request.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "the customer wants to return the shoes from order #1001, too small",
        "start a return for order 1042, the item is defective",
    ];

    async fn call(&self, a: ReturnArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        let request = ReturnRequest {
            order: OrderRef::parse(&a.order),
            lines: a.line_items,
            reason: a.reason,
            note: a.note,
        };
        to_value(&self.0.request_return(&request, &ctx.key).await?)
    }

    async fn render(&self, a: &ReturnArgs) -> String {
        let (card, order) = order_card(&self.0, &a.order).await;
        let lines: Vec<String> = a
            .line_items
            .iter()
            .map(|l| match order.as_ref().map(|o| l.resolve(o)) {
                Some(Ok(line)) => format!("{} × {}", l.quantity, line.title),
                Some(Err(e)) => format!("! {e}"),
                None => format!("{} × {}", l.quantity, l.line),
            })
            .collect();
        format!(
            "Open a return on order {card}: {} — reason: {}",
            lines.join("; "),
            crate::commerce::model::snake(&a.reason)
        )
    }

    async fn reconcile(&self, _a: &ReturnArgs, ctx: &CallContext) -> Reconciliation {
        reconcile_keyed(&self.0, ctx, Capability::Returns)
            .await
            .unwrap_or(Reconciliation::Unknown)
    }
}

/// Arguments of `update_shipping_address`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddressArgs {
    /// The order's number, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
    /// The new shipping address.
    pub address: Address,
}

/// `update_shipping_address`.
pub struct UpdateShippingAddress(pub Shop);

#[async_trait]
impl Tool for UpdateShippingAddress {
    type Args = ShippingAddressArgs;
    const NAME: &'static str = "update_shipping_address";
    const DESCRIPTION: &'static str = "Change where an order that has not shipped yet will be delivered. Returns the order after the change.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "change the shipping address of order #1001 to 12 Elm St, Springfield",
        "ship order 1042 to a new address",
    ];

    async fn call(&self, a: ShippingAddressArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        to_value(
            &self
                .0
                .update_shipping_address(&OrderRef::parse(&a.order), &a.address, &ctx.key)
                .await?,
        )
    }

    async fn render(&self, a: &ShippingAddressArgs) -> String {
        let (card, order) = order_card(&self.0, &a.order).await;
        let from = order
            .and_then(|o| o.shipping_address)
            .map_or_else(|| "(none)".to_string(), |ad| ad.to_string());
        format!(
            "Change the shipping address of order {card}\n  from: {from}\n  to:   {}",
            a.address
        )
    }

    async fn reconcile(&self, a: &ShippingAddressArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&OrderRef::parse(&a.order)).await {
            Ok(o) if o.shipping_address.as_ref() == Some(&a.address) => applied(&o),
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// Arguments of `tag_order`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagOrderArgs {
    /// The order's number, such as '#1001', or its id.
    #[schemars(length(min = 1))]
    pub order: String,
    /// Tags to add, e.g. ["vip", "gift"].
    #[serde(default)]
    pub add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// `tag_order`.
pub struct TagOrder(pub Shop);

#[async_trait]
impl Tool for TagOrder {
    type Args = TagOrderArgs;
    const NAME: &'static str = "tag_order";
    const DESCRIPTION: &'static str =
        "Add and remove tags on an order. Returns the order's tags afterwards.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "tag order #1001 as gift",
        "remove the tag rush from order 1042",
    ];

    async fn call(&self, a: TagOrderArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        tag(
            &self.0,
            Tagged::Order(OrderRef::parse(&a.order)),
            a.add,
            a.remove,
            ctx,
        )
        .await
    }

    async fn render(&self, a: &TagOrderArgs) -> String {
        let (card, _) = order_card(&self.0, &a.order).await;
        format!("On order {card}: {}", tag_summary(&a.add, &a.remove))
    }

    async fn reconcile(&self, a: &TagOrderArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.order(&OrderRef::parse(&a.order)).await {
            Ok(o) => tags_reconciled(&o.tags, &a.add, &a.remove),
            Err(_) => Reconciliation::Unknown,
        }
    }
}

/// Adds and removes tags, refusing a call that does neither.
pub(super) async fn tag(
    shop: &Shop,
    target: Tagged,
    add: Vec<String>,
    remove: Vec<String>,
    ctx: &CallContext,
) -> Result<Value, ToolError> {
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let (add, remove) = (clean(add), clean(remove));
    if add.is_empty() && remove.is_empty() {
        return Err(ToolError::invalid(
            "tag",
            "give at least one tag to add or remove",
        ));
    }
    let tags = shop
        .change_tags(
            &TagChange {
                target,
                add,
                remove,
            },
            &ctx.key,
        )
        .await?;
    Ok(json!({"tags": tags}))
}

/// "add tags: vip, gift; remove tags: rush".
pub(super) fn tag_summary(add: &[String], remove: &[String]) -> String {
    let mut parts = Vec::new();
    if !add.is_empty() {
        parts.push(format!("add tags: {}", add.join(", ")));
    }
    if !remove.is_empty() {
        parts.push(format!("remove tags: {}", remove.join(", ")));
    }
    parts.join("; ")
}

/// Tags present and absent as asked means the change took effect.
pub(super) fn tags_reconciled(
    tags: &[String],
    add: &[String],
    remove: &[String],
) -> Reconciliation {
    let has = |t: &String| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
    if add.iter().all(has) && !remove.iter().any(has) {
        Reconciliation::Applied(json!({"tags": tags}))
    } else {
        Reconciliation::NotApplied
    }
}
