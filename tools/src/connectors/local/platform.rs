//! The built-in store seen as a platform: its τ²-shaped records mapped onto the commerce
//! model every connector shares (exact USD amounts, lines with quantities, separate
//! financial, fulfilment and return states).

use super::extras::{CustomerExtras, OrderExtras};
use crate::catalog::listing::{Listing, ListingStatus};
use crate::commerce::model::{
    Address, CancelReason, Customer, FinancialStatus, FulfillmentStatus, Order, OrderLine,
    OrderState, Product, ProductStatus, ReturnStatus, Shipment, ShipmentStatus, Tracking, Variant,
};
use crate::commerce::money::{Amount, Currency, Money};
use crate::retail::model as tau2;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The store's connector name.
pub const CONNECTOR: &str = "local";

/// The store's one stock location.
pub const LOCATION_ID: &str = "local";
/// Its name.
pub const LOCATION_NAME: &str = "Built-in store";

/// A τ² dollar amount, exactly as it prints (the records keep Python's shortest floats).
pub fn dollars(x: f64) -> Money {
    Money::new(decimal(x), Currency::usd())
}

/// A float as the decimal it prints as.
pub fn decimal(x: f64) -> Decimal {
    Decimal::from_str(&x.to_string())
        .map(|d| d.round_dp(2))
        .unwrap_or_default()
}

/// An amount as the τ² records keep it.
pub fn float(a: Amount) -> f64 {
    a.0.to_string().parse().unwrap_or(0.0)
}

/// The τ² data spells the country out; platforms use two-letter codes.
fn country_code(name: &str) -> String {
    match name {
        "USA" => "US".into(),
        other => other.into(),
    }
}

fn country_name(code: &str) -> String {
    match code {
        "US" => "USA".into(),
        other => other.into(),
    }
}

/// A τ² address as a platform address.
pub fn address(a: &tau2::Address) -> Address {
    Address {
        first_name: None,
        last_name: None,
        address1: a.address1.clone(),
        address2: a.address2.clone(),
        city: a.city.clone(),
        province: a.state.clone(),
        country: country_code(&a.country),
        zip: a.zip.clone(),
        phone: None,
    }
}

/// A platform address as the τ² records keep it (names and phone have no place there).
pub fn tau2_address(a: &Address) -> tau2::Address {
    tau2::Address {
        address1: a.address1.clone(),
        address2: a.address2.clone(),
        city: a.city.clone(),
        country: country_name(&a.country),
        state: a.province.clone(),
        zip: a.zip.clone(),
    }
}

/// Payments less refunds.
pub fn net_paid(o: &tau2::Order) -> Money {
    let cents: Decimal = o
        .payment_history
        .iter()
        .map(|p| match p.transaction_type {
            tau2::TransactionType::Payment => decimal(p.amount),
            tau2::TransactionType::Refund => -decimal(p.amount),
        })
        .sum();
    Money::new(cents, Currency::usd())
}

/// The order's lines: a τ² order holds one entry per unit, so equal items at one price
/// are one line with a quantity. A line's id is its item id (`item/2` for a second line of
/// the same item at another price).
pub fn lines(o: &tau2::Order, extras: &OrderExtras) -> Vec<OrderLine> {
    let mut out: Vec<OrderLine> = Vec::new();
    for item in &o.items {
        let price = dollars(item.price);
        if let Some(line) = out
            .iter_mut()
            .find(|l| l.variant_id.as_deref() == Some(&item.item_id) && l.unit_price == price)
        {
            line.quantity += 1;
            line.refundable_quantity += 1;
            continue;
        }
        let same_item = out
            .iter()
            .filter(|l| l.variant_id.as_deref() == Some(&item.item_id))
            .count();
        let id = if same_item == 0 {
            item.item_id.clone()
        } else {
            format!("{}/{}", item.item_id, same_item + 1)
        };
        out.push(OrderLine {
            id,
            product_id: Some(item.product_id.clone()),
            variant_id: Some(item.item_id.clone()),
            sku: Some(item.item_id.clone()),
            title: item.name.clone(),
            variant_title: Some(
                item.options
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
            quantity: 1,
            unit_price: price,
            refundable_quantity: 1,
        });
    }
    for refund in &extras.refunds {
        for (line_id, n) in &refund.lines {
            if let Some(l) = out.iter_mut().find(|l| &l.id == line_id) {
                l.refundable_quantity = l.refundable_quantity.saturating_sub(*n);
            }
        }
    }
    if o.status == tau2::OrderStatus::Cancelled {
        for l in &mut out {
            l.refundable_quantity = 0;
        }
    }
    out
}

/// A τ² order as a platform order.
pub fn order(o: &tau2::Order, extras: &OrderExtras, updated_at: Option<DateTime<Utc>>) -> Order {
    use tau2::OrderStatus as S;
    let usd = Currency::usd();
    let lines = lines(o, extras);
    let subtotal = Money::new(
        lines
            .iter()
            .map(|l| l.unit_price.amount * Decimal::from(l.quantity))
            .sum(),
        usd.clone(),
    );
    let total = subtotal.clone();
    // What was paid beyond what is still owed came back: item swaps settle their
    // difference with a payment or a refund, which is not "refunded" in this sense.
    let net = net_paid(o);
    let refunded_amount = (total.amount - net.amount).max(Decimal::ZERO);
    let refunded = Money::new(refunded_amount, usd.clone());
    let financial_status = if refunded_amount.is_zero() {
        FinancialStatus::Paid
    } else if refunded_amount >= total.amount {
        FinancialStatus::Refunded
    } else {
        FinancialStatus::PartiallyRefunded
    };
    let fulfillment_status = match o.status {
        S::Pending | S::PendingItemModified | S::Cancelled => FulfillmentStatus::Unfulfilled,
        S::Processed => FulfillmentStatus::InProgress,
        S::Delivered | S::ReturnRequested | S::ExchangeRequested => FulfillmentStatus::Fulfilled,
    };
    let return_status = match o.status {
        S::ReturnRequested | S::ExchangeRequested => ReturnStatus::Requested,
        _ if !extras.returns.is_empty() => ReturnStatus::Requested,
        _ => ReturnStatus::NoReturn,
    };
    let delivered = matches!(
        o.status,
        S::Delivered | S::ReturnRequested | S::ExchangeRequested
    );
    let shipments = o
        .fulfillments
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut shipped: BTreeMap<String, u32> = BTreeMap::new();
            for item in &f.item_ids {
                let line = lines
                    .iter()
                    .find(|l| l.variant_id.as_deref() == Some(item))
                    .map_or_else(|| item.clone(), |l| l.id.clone());
                *shipped.entry(line).or_default() += 1;
            }
            Shipment {
                id: format!("{}-F{}", o.order_id, i + 1),
                status: if delivered {
                    ShipmentStatus::Delivered
                } else {
                    ShipmentStatus::InTransit
                },
                tracking: f
                    .tracking_id
                    .iter()
                    .map(|n| Tracking {
                        number: n.clone(),
                        company: None,
                        url: None,
                    })
                    .collect(),
                lines: shipped.into_iter().collect(),
                created_at: None,
            }
        })
        .collect();
    let cancelled = o.status == S::Cancelled;
    Order {
        id: o.order_id.clone(),
        number: o.order_id.clone(),
        customer_id: Some(o.user_id.clone()),
        email: None,
        created_at: None,
        updated_at,
        state: if cancelled {
            OrderState::Cancelled
        } else {
            OrderState::Open
        },
        cancelled_at: extras.cancelled_at,
        // Both τ² reasons are the customer's own.
        cancel_reason: cancelled.then(|| extras.cancel_reason.unwrap_or(CancelReason::Customer)),
        financial_status,
        fulfillment_status,
        return_status,
        currency: usd.clone(),
        lines,
        subtotal,
        shipping: Money::zero(usd.clone()),
        tax: Money::zero(usd.clone()),
        discounts: Money::zero(usd),
        total,
        refunded,
        shipping_address: Some(address(&o.address)),
        tags: extras.tags.clone(),
        shipments,
        refunds: extras.refunds.clone(),
    }
}

/// A τ² user as a platform customer, with their orders for the counts.
pub fn customer(
    u: &tau2::User,
    orders: &[tau2::Order],
    extras: &CustomerExtras,
    updated_at: Option<DateTime<Utc>>,
) -> Customer {
    let spent: Decimal = orders.iter().map(|o| net_paid(o).amount).sum();
    Customer {
        id: u.user_id.clone(),
        first_name: u.name.first_name.clone(),
        last_name: u.name.last_name.clone(),
        email: Some(u.email.clone()),
        phone: None,
        default_address: Some(address(&u.address)),
        tags: extras.tags.clone(),
        orders_count: u.orders.len() as u64,
        total_spent: Money::new(spent, Currency::usd()),
        created_at: None,
        updated_at,
    }
}

/// A τ² product with its listing as a platform product.
pub fn product(p: &tau2::Product, listing: &Listing, updated_at: Option<DateTime<Utc>>) -> Product {
    let variants = listing
        .variants
        .iter()
        .filter_map(|lv| {
            let id = lv.item_id.clone()?;
            let v = p.variants.get(&id)?;
            Some(Variant {
                title: v.options.values().cloned().collect::<Vec<_>>().join(" / "),
                id,
                sku: Some(lv.sku.clone()),
                options: v.options.clone(),
                price: dollars(v.price),
                inventory_quantity: lv.inventory_quantity,
                available: v.available,
            })
        })
        .collect();
    Product {
        id: p.product_id.clone(),
        handle: listing.handle(),
        title: listing.title.clone(),
        status: match listing.status {
            ListingStatus::Active => ProductStatus::Active,
            ListingStatus::Draft => ProductStatus::Draft,
        },
        vendor: listing.vendor.clone(),
        product_type: listing.product_type.clone(),
        tags: listing.tags.clone(),
        description_html: listing.description_html.clone(),
        seo_title: listing.seo_title.clone(),
        seo_description: listing.seo_description.clone(),
        category: Some(listing.category.clone()).filter(|c| !c.is_empty()),
        variants,
        updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(items: &[(&str, f64)], status: tau2::OrderStatus) -> tau2::Order {
        let total: f64 = items.iter().map(|(_, p)| p).sum();
        tau2::Order {
            order_id: "#W1".into(),
            user_id: "u".into(),
            address: tau2::Address {
                address1: "1 Main St".into(),
                address2: String::new(),
                city: "Austin".into(),
                country: "USA".into(),
                state: "TX".into(),
                zip: "73301".into(),
            },
            items: items
                .iter()
                .map(|(id, price)| tau2::OrderItem {
                    name: "Shirt".into(),
                    product_id: "p".into(),
                    item_id: (*id).into(),
                    price: *price,
                    options: BTreeMap::from([("size".into(), "M".into())]),
                })
                .collect(),
            status,
            fulfillments: vec![],
            payment_history: vec![tau2::Payment {
                transaction_type: tau2::TransactionType::Payment,
                amount: total,
                payment_method_id: "gift_card_1".into(),
            }],
            cancel_reason: None,
            exchange_items: None,
            exchange_new_items: None,
            exchange_payment_method_id: None,
            exchange_price_difference: None,
            return_items: None,
            return_payment_method_id: None,
        }
    }

    #[test]
    fn units_of_one_item_are_one_line_with_a_quantity() {
        let o = order_of(
            &[("a", 10.1), ("a", 10.1), ("b", 0.2)],
            tau2::OrderStatus::Pending,
        );
        let p = order(&o, &OrderExtras::default(), None);
        assert_eq!(p.lines.len(), 2);
        assert_eq!((p.lines[0].id.as_str(), p.lines[0].quantity), ("a", 2));
        // 10.1 + 10.1 + 0.2 in floats is 20.400000000000002.
        assert_eq!(p.total.amount, Decimal::from_str("20.4").unwrap());
        assert_eq!(p.total.to_string(), "$20.40");
        assert_eq!(p.financial_status, FinancialStatus::Paid);
        assert_eq!(p.fulfillment_status, FulfillmentStatus::Unfulfilled);
        assert_eq!(p.shipping_address.unwrap().country, "US");
    }

    #[test]
    fn a_cancelled_order_is_refunded_with_nothing_left_to_refund() {
        let mut o = order_of(&[("a", 5.0)], tau2::OrderStatus::Cancelled);
        o.payment_history.push(tau2::Payment {
            transaction_type: tau2::TransactionType::Refund,
            amount: 5.0,
            payment_method_id: "gift_card_1".into(),
        });
        let p = order(&o, &OrderExtras::default(), None);
        assert_eq!(p.state, OrderState::Cancelled);
        assert_eq!(p.cancel_reason, Some(CancelReason::Customer));
        assert_eq!(p.financial_status, FinancialStatus::Refunded);
        assert!(p.refundable().is_zero());
        assert_eq!(p.lines[0].refundable_quantity, 0);
    }
}
