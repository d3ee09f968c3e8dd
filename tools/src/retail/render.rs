//! Plain, exact descriptions of what a retail call will do, for the approver.

use super::store::RetailStore;
use crate::retail::model::{Order, OrderItem, Variant};
use crate::retail::money::format_usd;
use std::collections::BTreeMap;

/// "#W0000000 (pending, 4 items, $4,079.45, paid by visa card ending 1234)", or the bare id if unknown.
pub(super) async fn order_summary(
    store: &dyn RetailStore,
    order_id: &str,
) -> (String, Option<Order>) {
    let Ok(order) = store.order(order_id).await else {
        return (format!("{order_id} (not found)"), None);
    };
    let paid_by = match order.payment_history.first() {
        Some(p) => method_name(store, &order.user_id, &p.payment_method_id).await,
        None => "no payment".to_string(),
    };
    let text = format!(
        "{order_id} ({}, {} item{}, {}, paid by {paid_by})",
        order.status,
        order.items.len(),
        if order.items.len() == 1 { "" } else { "s" },
        format_usd(order.total())
    );
    (text, Some(order))
}

/// A payment method described by its owner's records, or its bare id.
pub(super) async fn method_name(store: &dyn RetailStore, user_id: &str, method_id: &str) -> String {
    match store.user(user_id).await {
        Ok(user) => match user.payment_methods.get(method_id) {
            Some(method) => method.describe(),
            None => format!("{method_id} (not one of {user_id}'s payment methods)"),
        },
        Err(_) => method_id.to_string(),
    }
}

/// "Office Chair 8426249116 (black, fabric) $488.81".
pub(super) fn line(item: &OrderItem) -> String {
    format!(
        "{} {} ({}) {}",
        item.name,
        item.item_id,
        options(&item.options),
        format_usd(item.price)
    )
}

/// "9612497925 (blue, M) $50.88".
pub(super) fn variant(v: &Variant) -> String {
    format!(
        "{} ({}) {}",
        v.item_id,
        options(&v.options),
        format_usd(v.price)
    )
}

fn options(options: &BTreeMap<String, String>) -> String {
    options
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each old item with its replacement and the resulting price difference.
pub(super) async fn swaps(
    store: &dyn RetailStore,
    order: Option<&Order>,
    item_ids: &[String],
    new_item_ids: &[String],
) -> (Vec<String>, Option<f64>) {
    let mut lines = Vec::new();
    let mut diff = Some(0.0);
    for (old_id, new_id) in item_ids.iter().zip(new_item_ids) {
        let old = order.and_then(|o| o.items.iter().find(|i| &i.item_id == old_id));
        let new = store.item(new_id).await.ok();
        let old_text = old.map_or_else(|| format!("{old_id} (not in the order)"), line);
        let new_text = new
            .as_ref()
            .map_or_else(|| format!("{new_id} (unknown item)"), variant);
        lines.push(format!("{old_text} -> {new_text}"));
        diff = match (diff, old, &new) {
            (Some(d), Some(o), Some(n)) => Some(d + n.price - o.price),
            _ => None,
        };
    }
    if item_ids.len() != new_item_ids.len() {
        lines.push(format!(
            "({} items but {} replacements: the store will refuse this)",
            item_ids.len(),
            new_item_ids.len()
        ));
    }
    (lines, diff)
}

/// "+$12.30 charged to ..." / "$4.10 refunded to ..." for a price difference.
pub(super) fn settlement(diff: Option<f64>, method: &str, moves_money: bool) -> String {
    match diff {
        None => format!("price difference settled with {method}"),
        Some(d) if !moves_money => {
            format!("price difference {} to settle with {method}", format_usd(d))
        }
        Some(d) if d > 0.0 => format!("{} charged to {method}", format_usd(d)),
        Some(d) => format!("{} refunded to {method}", format_usd(d.abs())),
    }
}
