//! The built-in store's after-sale rules as pure functions on loaded records.
//!
//! Each function checks every precondition before it changes anything, so a
//! rejected call leaves the records exactly as they were; the caller persists
//! them in one transaction only on success.

use crate::commerce::CommerceError;
use crate::retail::ItemSwap;
use crate::retail::model::{
    Address, CancelReason, Order, OrderStatus, Payment, PaymentMethod, Product, TransactionType,
    User,
};
use crate::retail::money::{format_usd, round2};
use std::collections::BTreeMap;

/// How the store applies `modify_pending_order_items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Semantics {
    /// Each modified line takes its own new variant's price and options.
    #[default]
    Correct,
    /// τ²-bench's upstream behaviour: every modified line takes the price and
    /// options of the last new variant. Only for reproducing the benchmark.
    Tau2,
}

/// Cancels a pending order: refunds every entry of its payment history, crediting gift cards at once.
pub fn cancel_pending_order(
    order: &mut Order,
    user: &mut User,
    reason: CancelReason,
) -> Result<(), CommerceError> {
    cancel_order(order, user, true)?;
    order.cancel_reason = Some(reason);
    Ok(())
}

/// Cancels a pending order for the platform tools: every payment is refunded when `refund`
/// (gift cards at once). The τ² record keeps no reason: the platform's is kept beside it.
pub fn cancel_order(order: &mut Order, user: &mut User, refund: bool) -> Result<(), CommerceError> {
    if order.status != OrderStatus::Pending {
        return Err(CommerceError::rejected(format!(
            "order {} is '{}': only a pending order can be cancelled",
            order.order_id, order.status
        )));
    }
    for payment in &order.payment_history {
        payment_method(user, &payment.payment_method_id)?;
    }
    if refund {
        let refunds: Vec<Payment> = order
            .payment_history
            .iter()
            .map(|p| Payment {
                transaction_type: TransactionType::Refund,
                amount: p.amount,
                payment_method_id: p.payment_method_id.clone(),
            })
            .collect();
        for r in &refunds {
            credit_gift_card(user, &r.payment_method_id, r.amount);
        }
        order.payment_history.extend(refunds);
    }
    order.status = OrderStatus::Cancelled;
    Ok(())
}

/// Refunds `amount` of an order that is not cancelled to the method that paid it first
/// (gift cards are credited at once). The caller has checked the amount is refundable.
pub fn refund(order: &mut Order, user: &mut User, amount: f64) -> Result<(), CommerceError> {
    if order.status == OrderStatus::Cancelled {
        return Err(CommerceError::rejected(format!(
            "order {} is cancelled: its payments were already settled",
            order.order_id
        )));
    }
    let method = order
        .payment_history
        .iter()
        .find(|p| p.transaction_type == TransactionType::Payment)
        .map(|p| p.payment_method_id.clone())
        .ok_or_else(|| {
            CommerceError::rejected(format!("order {} has no payment to refund", order.order_id))
        })?;
    payment_method(user, &method)?;
    order.payment_history.push(Payment {
        transaction_type: TransactionType::Refund,
        amount,
        payment_method_id: method.clone(),
    });
    credit_gift_card(user, &method, amount);
    Ok(())
}

/// Replaces the shipping address of an order whose status contains "pending".
pub fn modify_pending_order_address(
    order: &mut Order,
    address: Address,
) -> Result<(), CommerceError> {
    require_any_pending(order)?;
    order.address = address;
    Ok(())
}

/// Moves the single payment of a pending order to another of the user's payment methods.
pub fn modify_pending_order_payment(
    order: &mut Order,
    user: &mut User,
    payment_method_id: &str,
) -> Result<(), CommerceError> {
    require_any_pending(order)?;
    let new_method = payment_method(user, payment_method_id)?;
    let [current] = order.payment_history.as_slice() else {
        return Err(CommerceError::rejected(format!(
            "order {} has {} payment entries: the payment method can only be changed while there is exactly one",
            order.order_id,
            order.payment_history.len()
        )));
    };
    if current.payment_method_id == payment_method_id {
        return Err(CommerceError::rejected(format!(
            "{payment_method_id} already pays for order {}: choose a different payment method",
            order.order_id
        )));
    }
    let amount = current.amount;
    let old_id = current.payment_method_id.clone();
    require_gift_card_covers(new_method, amount, "the order")?;
    payment_method(user, &old_id)?;

    order.payment_history.push(Payment {
        transaction_type: TransactionType::Payment,
        amount,
        payment_method_id: payment_method_id.to_string(),
    });
    order.payment_history.push(Payment {
        transaction_type: TransactionType::Refund,
        amount,
        payment_method_id: old_id.clone(),
    });
    credit_gift_card(user, payment_method_id, -amount);
    credit_gift_card(user, &old_id, amount);
    Ok(())
}

/// Swaps items of a pending order for other available variants of the same products.
///
/// `products` must hold the product of every line of the order.
pub fn modify_pending_order_items(
    order: &mut Order,
    user: &mut User,
    products: &BTreeMap<String, Product>,
    swap: &ItemSwap,
    semantics: Semantics,
) -> Result<(), CommerceError> {
    if order.status != OrderStatus::Pending {
        return Err(CommerceError::rejected(format!(
            "order {} is '{}': items can only be modified while it is 'pending' (once per order)",
            order.order_id, order.status
        )));
    }
    check_swap_shape(order, swap)?;
    let method = payment_method(user, &swap.payment_method_id)?;

    // Line k of the order changes for entry i: the first line still carrying the old id.
    let lines = assign_lines(order, &swap.item_ids)?;
    let mut diff = 0.0;
    let mut new_variants = Vec::with_capacity(lines.len());
    for ((&line, old_id), new_id) in lines.iter().zip(&swap.item_ids).zip(&swap.new_item_ids) {
        if old_id == new_id {
            return Err(CommerceError::rejected(format!(
                "new item {new_id} is the same as the item it replaces"
            )));
        }
        let item = &order.items[line];
        let variant = available_variant(products, &item.product_id, new_id)?;
        let old_price = match semantics {
            Semantics::Correct => item.price,
            // Upstream prices every entry against the first line with that id.
            Semantics::Tau2 => first_line_price(order, old_id),
        };
        diff += variant.price - old_price;
        new_variants.push(variant);
    }
    require_gift_card_covers(method, diff, "the new items")?;

    order.payment_history.push(Payment {
        transaction_type: if diff > 0.0 {
            TransactionType::Payment
        } else {
            TransactionType::Refund
        },
        amount: diff.abs(),
        payment_method_id: swap.payment_method_id.clone(),
    });
    credit_gift_card(user, &swap.payment_method_id, -diff);

    let last = new_variants.last().cloned();
    for (&line, variant) in lines.iter().zip(&new_variants) {
        let source = match (semantics, &last) {
            (Semantics::Tau2, Some(last)) => last,
            _ => variant,
        };
        let item = &mut order.items[line];
        item.item_id = variant.item_id.clone();
        item.price = source.price;
        item.options = source.options.clone();
    }
    order.status = OrderStatus::PendingItemModified;
    Ok(())
}

/// Records an exchange request for items of a delivered order; no money moves yet.
pub fn exchange_delivered_order_items(
    order: &mut Order,
    user: &User,
    products: &BTreeMap<String, Product>,
    swap: &ItemSwap,
) -> Result<(), CommerceError> {
    if order.status != OrderStatus::Delivered {
        return Err(CommerceError::rejected(format!(
            "order {} is '{}': only a delivered order can be exchanged (once per order)",
            order.order_id, order.status
        )));
    }
    check_swap_shape(order, swap)?;
    let mut diff = 0.0;
    for (old_id, new_id) in swap.item_ids.iter().zip(&swap.new_item_ids) {
        let item = order
            .items
            .iter()
            .find(|i| &i.item_id == old_id)
            .ok_or_else(|| CommerceError::not_found("item in order", old_id.clone()))?;
        let variant = available_variant(products, &item.product_id, new_id)?;
        diff += variant.price - item.price;
    }
    let diff = round2(diff);
    let method = payment_method(user, &swap.payment_method_id)?;
    require_gift_card_covers(method, diff, "the price difference")?;

    order.status = OrderStatus::ExchangeRequested;
    order.exchange_items = Some(sorted(&swap.item_ids));
    order.exchange_new_items = Some(sorted(&swap.new_item_ids));
    order.exchange_payment_method_id = Some(swap.payment_method_id.clone());
    order.exchange_price_difference = Some(diff);
    Ok(())
}

/// Records a return request for items of a delivered order.
pub fn return_delivered_order_items(
    order: &mut Order,
    user: &User,
    item_ids: &[String],
    payment_method_id: &str,
) -> Result<(), CommerceError> {
    if order.status != OrderStatus::Delivered {
        return Err(CommerceError::rejected(format!(
            "order {} is '{}': only a delivered order can be returned (once per order)",
            order.order_id, order.status
        )));
    }
    let method = payment_method(user, payment_method_id)?;
    let original = order
        .payment_history
        .first()
        .map(|p| p.payment_method_id.as_str());
    if !matches!(method, PaymentMethod::GiftCard { .. }) && original != Some(payment_method_id) {
        return Err(CommerceError::rejected(format!(
            "refunds go to the original payment method ({}) or one of the customer's gift cards, not {payment_method_id}",
            original.unwrap_or("none")
        )));
    }
    check_multiplicity(order, item_ids)?;
    order.status = OrderStatus::ReturnRequested;
    order.return_items = Some(sorted(item_ids));
    order.return_payment_method_id = Some(payment_method_id.to_string());
    Ok(())
}

fn require_any_pending(order: &Order) -> Result<(), CommerceError> {
    if order.status.is_any_pending() {
        Ok(())
    } else {
        Err(CommerceError::rejected(format!(
            "order {} is '{}': only a pending order can be modified",
            order.order_id, order.status
        )))
    }
}

fn payment_method<'u>(user: &'u User, id: &str) -> Result<&'u PaymentMethod, CommerceError> {
    user.payment_methods.get(id).ok_or_else(|| {
        CommerceError::not_found("payment method of user", format!("{id} ({})", user.user_id))
    })
}

fn require_gift_card_covers(
    method: &PaymentMethod,
    amount: f64,
    what: &str,
) -> Result<(), CommerceError> {
    match method {
        PaymentMethod::GiftCard { id, balance } if *balance < amount => {
            Err(CommerceError::rejected(format!(
                "gift card {id} has {} left, not enough to pay {} for {what}",
                format_usd(*balance),
                format_usd(amount)
            )))
        }
        _ => Ok(()),
    }
}

/// Adds `amount` (negative to debit) to a gift card's balance, rounded to cents; other methods are untouched.
fn credit_gift_card(user: &mut User, payment_method_id: &str, amount: f64) {
    if let Some(PaymentMethod::GiftCard { balance, .. }) =
        user.payment_methods.get_mut(payment_method_id)
    {
        *balance = round2(*balance + amount);
    }
}

fn check_swap_shape(order: &Order, swap: &ItemSwap) -> Result<(), CommerceError> {
    check_multiplicity(order, &swap.item_ids)?;
    if swap.item_ids.len() != swap.new_item_ids.len() {
        return Err(CommerceError::rejected(format!(
            "{} item ids but {} new item ids: each item needs exactly one replacement",
            swap.item_ids.len(),
            swap.new_item_ids.len()
        )));
    }
    Ok(())
}

fn check_multiplicity(order: &Order, item_ids: &[String]) -> Result<(), CommerceError> {
    for id in item_ids {
        let wanted = item_ids.iter().filter(|i| *i == id).count();
        let held = order.items.iter().filter(|i| &i.item_id == id).count();
        if wanted > held {
            return Err(if held == 0 {
                CommerceError::not_found("item in order", format!("{id} ({})", order.order_id))
            } else {
                CommerceError::rejected(format!(
                    "item {id} is listed {wanted} times but order {} holds it {held} times",
                    order.order_id
                ))
            });
        }
    }
    Ok(())
}

/// For each old id in list order, the index of the first order line still carrying it.
fn assign_lines(order: &Order, item_ids: &[String]) -> Result<Vec<usize>, CommerceError> {
    let mut taken = vec![false; order.items.len()];
    item_ids
        .iter()
        .map(|id| {
            let line = order
                .items
                .iter()
                .enumerate()
                .position(|(k, item)| !taken[k] && &item.item_id == id)
                .ok_or_else(|| CommerceError::not_found("item in order", id.clone()))?;
            taken[line] = true;
            Ok(line)
        })
        .collect()
}

fn first_line_price(order: &Order, item_id: &str) -> f64 {
    order
        .items
        .iter()
        .find(|i| i.item_id == item_id)
        .map_or(0.0, |i| i.price)
}

fn available_variant(
    products: &BTreeMap<String, Product>,
    product_id: &str,
    item_id: &str,
) -> Result<crate::retail::model::Variant, CommerceError> {
    let product = products
        .get(product_id)
        .ok_or_else(|| CommerceError::not_found("product", product_id))?;
    match product.variants.get(item_id) {
        Some(v) if v.available => Ok(v.clone()),
        Some(_) => Err(CommerceError::rejected(format!(
            "new item {item_id} ({}) is not available",
            product.name
        ))),
        None => Err(CommerceError::rejected(format!(
            "new item {item_id} is not a variant of {} ({product_id}): replacements must be of the same product",
            product.name
        ))),
    }
}

fn sorted(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}
