//! The platform tools (`get_order`, `cancel_order`, `refund_order`, ...) on the built-in
//! store: the platform-shaped view of its records, writes that check first and change
//! everything in one transaction, keys that make a write happen once, and the events the
//! store emits for its own writes.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_memory::events::EventFilter;
use shopkeeper_memory::{AppDb, DataDir};
use shopkeeper_tools::commerce::model::CancelReason;
use shopkeeper_tools::commerce::query::{OrderQuery, OrderRef, PageQuery};
use shopkeeper_tools::commerce::request::{
    CancelOrder, IdempotencyKey, LineQuantity, RefundOrder, ReturnReason, ReturnRequest,
};
use shopkeeper_tools::{
    ActiveStore, Caller, Commerce, LocalStore, Policy, Registry, Role, Semantics, registry_for,
};
use std::sync::Arc;

fn me() -> Caller {
    Caller::new("cli", Role::Owner)
}

async fn open() -> (Arc<LocalStore>, Registry) {
    let store = Arc::new(LocalStore::fresh(Semantics::Correct).await.unwrap());
    let registry = registry_for(
        &ActiveStore::Local(store.clone()),
        Policy::allow_all(),
        None,
    )
    .unwrap();
    (store, registry)
}

/// A pending order paid by gift card, and one delivered, from the seed.
const PENDING_GIFT: &str = "#W6779827";

async fn order(registry: &Registry, number: &str) -> Value {
    registry
        .call(&me(), "get_order", json!({"order": number}))
        .await
        .unwrap()
}

#[tokio::test]
async fn orders_read_as_a_platform_shows_them() {
    let (_, registry) = open().await;
    let o = order(&registry, "W6779827").await;
    assert_eq!(o["number"], PENDING_GIFT, "a number without its # is found");
    assert_eq!(o["state"], "open");
    assert_eq!(o["financial_status"], "paid");
    assert_eq!(o["fulfillment_status"], "unfulfilled");
    assert_eq!(o["currency"], "USD");
    // Money is exact decimal text, and the lines add up to the total.
    let total: rust_decimal::Decimal = o["total"]["amount"].as_str().unwrap().parse().unwrap();
    let lines: rust_decimal::Decimal = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["unit_price"]["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
                * rust_decimal::Decimal::from(l["quantity"].as_u64().unwrap())
        })
        .sum();
    assert_eq!(total, lines);

    let missing = registry
        .call(&me(), "get_order", json!({"order": "#1001"}))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "not_found");
}

#[tokio::test]
async fn orders_list_in_pages_that_cover_every_order_once() {
    let (store, _) = open().await;
    let mut seen = std::collections::BTreeSet::new();
    let mut query = OrderQuery {
        page: PageQuery::first(97),
        ..OrderQuery::default()
    };
    let mut pages = 0;
    loop {
        let page = store.orders(&query).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 97);
        for o in &page.items {
            assert!(seen.insert(o.id.clone()), "{} twice", o.id);
        }
        match page.next {
            Some(next) => query.page.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(pages >= 11, "{pages} pages");

    // Filters hold across pages: only cancelled orders, each of them.
    let cancelled = store
        .orders(&OrderQuery {
            page: PageQuery::first(250),
            state: Some(shopkeeper_tools::commerce::model::OrderState::Cancelled),
            ..OrderQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        cancelled.items.len(),
        102,
        "the seed has 102 cancelled orders"
    );
}

#[tokio::test]
async fn a_customer_is_found_by_email_or_name() {
    let (_, registry) = open().await;
    let by_name = registry
        .call(&me(), "find_customer", json!({"query": "Ethan Lopez"}))
        .await
        .unwrap();
    let first = &by_name.as_array().unwrap()[0];
    let email = first["email"].as_str().unwrap().to_uppercase();
    let by_email = registry
        .call(&me(), "find_customer", json!({"query": email}))
        .await
        .unwrap();
    assert_eq!(by_email[0]["id"], first["id"]);
    assert!(first["orders_count"].as_u64().unwrap() > 0);
    assert_eq!(first["total_spent"]["currency"], "USD");
}

#[tokio::test]
async fn cancelling_refunds_restocks_notifies_and_happens_once_per_key() {
    let (store, registry) = open().await;
    let before = order(&registry, PENDING_GIFT).await;
    let request = CancelOrder {
        order: OrderRef::parse(PENDING_GIFT),
        reason: CancelReason::Inventory,
        refund: true,
        restock: true,
        notify_customer: true,
        staff_note: None,
    };
    let key = IdempotencyKey::new("approval-1");
    let first = store.cancel_order(&request, &key).await.unwrap();
    assert_eq!(
        serde_json::to_value(first.state).unwrap(),
        "cancelled",
        "{first:?}"
    );
    assert_eq!(first.cancel_reason, Some(CancelReason::Inventory));
    assert_eq!(
        serde_json::to_value(first.financial_status).unwrap(),
        "refunded"
    );
    assert_eq!(
        first.refunded.amount.to_string(),
        before["total"]["amount"].as_str().unwrap()
    );
    let hash = store.sha256().await.unwrap();

    // The same key again: the recorded result, and nothing changes.
    let again = store.cancel_order(&request, &key).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(store.sha256().await.unwrap(), hash);
    assert_eq!(
        store.recorded_write(&key).await.unwrap().unwrap(),
        serde_json::to_value(&first).unwrap()
    );
    // Another key is another cancellation, which the store refuses: it is cancelled.
    let refused = store
        .cancel_order(&request, &IdempotencyKey::new("approval-2"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "rejected", "{refused}");
    assert_eq!(
        store.sha256().await.unwrap(),
        hash,
        "a refusal changes nothing"
    );
}

#[tokio::test]
async fn refunds_by_line_are_checked_against_what_is_left() {
    let (store, registry) = open().await;
    let o = order(&registry, PENDING_GIFT).await;
    let line = &o["lines"][0];
    let sku = line["sku"].as_str().unwrap().to_string();
    let unit = line["unit_price"]["amount"].as_str().unwrap().to_string();
    let quantity = line["quantity"].as_u64().unwrap() as u32;

    let card = registry
        .render(
            "refund_order",
            &json!({"order": PENDING_GIFT, "line_items": [{"line": sku, "quantity": 1}], "note": "scratched"}),
        )
        .await
        .unwrap();
    let price = shopkeeper_tools::commerce::money::Money::parse(
        &unit,
        shopkeeper_tools::commerce::money::Currency::usd(),
    )
    .unwrap();
    assert!(
        card.starts_with(&format!(
            "Refund {price} on order {PENDING_GIFT} (open, paid, unfulfilled;"
        )),
        "{card}"
    );
    assert!(
        card.contains(&format!(
            "1 × {} at {price}, restocked",
            line["title"].as_str().unwrap()
        )),
        "{card}"
    );
    assert!(card.contains("note: scratched"), "{card}");

    let refunded = registry
        .call(
            &me(),
            "refund_order",
            json!({"order": PENDING_GIFT, "line_items": [{"line": sku, "quantity": 1}], "note": "scratched"}),
        )
        .await
        .unwrap();
    assert_eq!(refunded["financial_status"], "partially_refunded");
    assert_eq!(refunded["refunds"][0]["note"], "scratched");
    assert_eq!(
        refunded["lines"][0]["refundable_quantity"]
            .as_u64()
            .unwrap(),
        u64::from(quantity - 1)
    );

    // Refunding more units than are left, or more money than is left, changes nothing.
    let hash = store.sha256().await.unwrap();
    let too_many = store
        .refund_order(
            &RefundOrder {
                order: OrderRef::parse(PENDING_GIFT),
                amount: None,
                lines: vec![LineQuantity {
                    line: sku.clone(),
                    quantity,
                }],
                shipping: None,
                restock: false,
                notify_customer: false,
                note: None,
            },
            &IdempotencyKey::new("too-many"),
        )
        .await
        .unwrap_err();
    assert!(
        too_many.to_string().contains("left to take back"),
        "{too_many}"
    );
    let too_much = registry
        .call(
            &me(),
            "refund_order",
            json!({"order": PENDING_GIFT, "amount": "100000"}),
        )
        .await
        .unwrap_err();
    assert!(
        too_much.to_string().contains("left to refund"),
        "{too_much}"
    );
    assert_eq!(store.sha256().await.unwrap(), hash);
}

#[tokio::test]
async fn returns_need_a_delivered_order() {
    let (store, registry) = open().await;
    let delivered = store
        .orders(&OrderQuery {
            page: PageQuery::first(1),
            fulfillment_status: Some(
                shopkeeper_tools::commerce::model::FulfillmentStatus::Fulfilled,
            ),
            ..OrderQuery::default()
        })
        .await
        .unwrap()
        .items
        .remove(0);
    let line = delivered.lines[0].id.clone();
    let opened = store
        .request_return(
            &ReturnRequest {
                order: OrderRef::Id(delivered.id.clone()),
                lines: vec![LineQuantity { line, quantity: 1 }],
                reason: ReturnReason::SizeTooSmall,
                note: Some("runs small".into()),
            },
            &IdempotencyKey::new("return-1"),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(opened.return_status).unwrap(),
        "requested"
    );
    let pending = registry
        .call(
            &me(),
            "request_return",
            json!({"order": PENDING_GIFT, "line_items": [{"line": order(&registry, PENDING_GIFT).await["lines"][0]["id"], "quantity": 1}], "reason": "unwanted"}),
        )
        .await
        .unwrap_err();
    assert!(pending.to_string().contains("delivered"), "{pending}");
}

#[tokio::test]
async fn tags_discounts_and_stock_write_through_the_store() {
    let (store, registry) = open().await;
    let tags = registry
        .call(
            &me(),
            "tag_order",
            json!({"order": PENDING_GIFT, "add": ["gift", "vip"]}),
        )
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!(["gift", "vip"]));
    let tags = registry
        .call(
            &me(),
            "tag_order",
            json!({"order": PENDING_GIFT, "add": ["VIP"], "remove": ["gift"]}),
        )
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!(["vip"]), "tags compare without case");
    assert_eq!(order(&registry, PENDING_GIFT).await["tags"], json!(["vip"]));

    let code = registry
        .call(
            &me(),
            "create_discount_code",
            json!({"code": "WELCOME10", "percent_off": 10, "once_per_customer": true}),
        )
        .await
        .unwrap();
    assert_eq!(
        code["value"],
        json!({"type": "percentage", "percent": "10"})
    );
    let twice = registry
        .call(
            &me(),
            "create_discount_code",
            json!({"code": "welcome10", "amount_off": "5"}),
        )
        .await
        .unwrap_err();
    assert_eq!(twice.kind(), "conflict");
    let neither = registry
        .call(&me(), "create_discount_code", json!({"code": "NOPE"}))
        .await
        .unwrap_err();
    assert_eq!(neither.kind(), "invalid_arguments");

    let set = registry
        .call(
            &me(),
            "set_inventory",
            json!({"sku": "9612497925", "quantity": 7, "reason": "cycle_count_available"}),
        )
        .await
        .unwrap();
    assert_eq!(set["available"], 7);
    let stale = registry
        .call(
            &me(),
            "set_inventory",
            json!({"sku": "9612497925", "quantity": 3, "expected": 9, "reason": "correction"}),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), "conflict", "{stale}");
    assert_eq!(
        store.inventory("9612497925").await.unwrap()[0].available,
        7,
        "a failed compare-and-set changes nothing"
    );
    let elsewhere = registry
        .call(
            &me(),
            "adjust_inventory",
            json!({"sku": "9612497925", "delta": 1, "location": "Warehouse 9", "reason": "received"}),
        )
        .await
        .unwrap_err();
    assert_eq!(elsewhere.kind(), "not_found");
}

#[tokio::test]
async fn the_store_emits_normalized_events_for_its_own_writes() {
    let (store, registry) = open().await;
    registry
        .call(
            &me(),
            "cancel_order",
            json!({"order": PENDING_GIFT, "reason": "customer"}),
        )
        .await
        .unwrap();
    // A τ² tool's write is the store's own write too.
    registry
        .call(
            &me(),
            "modify_user_address",
            json!({"user_id": "ethan_lopez_6291", "address1": "1 New St", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "73301"}),
        )
        .await
        .unwrap();
    registry
        .call(
            &me(),
            "adjust_inventory",
            json!({"sku": "9612497925", "delta": 4, "reason": "received"}),
        )
        .await
        .unwrap();

    let home = tempfile::tempdir().unwrap();
    let db = AppDb::open_in(&DataDir::at(home.path())).await.unwrap();
    assert_eq!(store.relay_events(&db).await.unwrap(), 3);
    assert_eq!(store.relay_events(&db).await.unwrap(), 0, "relayed once");
    let events = db.events(&EventFilter::default()).await.unwrap();
    let types: Vec<&str> = events
        .iter()
        .rev()
        .map(|e| e.event_type.as_deref().unwrap())
        .collect();
    assert_eq!(
        types,
        ["order.cancelled", "customer.updated", "inventory.changed"]
    );
    let cancelled = events.last().unwrap().data_value().unwrap();
    assert_eq!(cancelled["order"]["number"], PENDING_GIFT);
    assert_eq!(cancelled["order"]["state"], "cancelled");
    assert!(events.iter().all(|e| e.source == "local"
        && e.shop_id == store.shop().id.as_str()
        && e.processed_at.is_none()));
}
