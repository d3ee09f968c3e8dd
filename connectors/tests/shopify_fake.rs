//! The Shopify connector against the fake Admin API on loopback: reads in pages, writes
//! with their keys, throttling and outages, typed errors, bulk exports. Every document the
//! connector sends is validated by the fake against Shopify's published schema, and a
//! document it refused would show as an `invalid` call.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::StreamExt;
use shopkeeper_connectors::shopify::ShopifyStore;
use shopkeeper_connectors::shopify::fake::shop::{Scale, Shop};
use shopkeeper_connectors::shopify::fake::{FakeOptions, FakeShopify};
use shopkeeper_tools::commerce::Commerce;
use shopkeeper_tools::commerce::model::{CancelReason, FinancialStatus, OrderState};
use shopkeeper_tools::commerce::money::Amount;
use shopkeeper_tools::commerce::query::{OrderQuery, OrderRef, PageQuery, ProductRef};
use shopkeeper_tools::commerce::request::{
    AdjustStock, CancelOrder, IdempotencyKey, LineQuantity, RefundOrder, SetStock, StockReason,
};

async fn fake(options: FakeOptions) -> (FakeShopify, ShopifyStore) {
    let fake = FakeShopify::start(options).await.unwrap();
    let store = ShopifyStore::open(&fake.config()).await.unwrap();
    (fake, store)
}

fn no_invalid_documents(fake: &FakeShopify) {
    let invalid: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.outcome == "invalid" || c.outcome == "too_costly")
        .collect();
    assert!(
        invalid.is_empty(),
        "the fake refused documents: {invalid:#?}"
    );
}

fn cancel(order: &str) -> CancelOrder {
    CancelOrder {
        order: OrderRef::parse(order),
        reason: CancelReason::Customer,
        refund: true,
        restock: true,
        notify_customer: true,
        staff_note: Some("asked by phone".into()),
    }
}

#[tokio::test]
async fn reads_come_in_pages_and_match_the_shop() {
    let (fake, store) = fake(FakeOptions::default()).await;
    assert_eq!(store.shop().id.as_str(), "shopify:acme.myshopify.com");
    assert_eq!(store.shop().currency.code(), "USD");
    let counts = store.counts().await.unwrap();
    assert_eq!(
        (counts.products, counts.orders, counts.customers),
        (30, 60, 20)
    );

    let order = store.order(&OrderRef::parse("#1002")).await.unwrap();
    let expected = fake.shop().order(&Shop::order_gid(1)).unwrap();
    assert_eq!(order.id, expected["id"].as_str().unwrap());
    assert_eq!(
        order.lines.len(),
        expected["lineItems"].as_array().unwrap().len()
    );
    assert_eq!(
        order.total.amount.to_string(),
        expected["totalPriceSet"]["shopMoney"]["amount"]
            .as_str()
            .unwrap()
    );
    assert!(
        store
            .order(&OrderRef::parse("#99999"))
            .await
            .unwrap_err()
            .kind()
            == "not_found"
    );

    // 60 orders in pages of 25: every one once, newest first.
    let mut seen = Vec::new();
    let mut query = OrderQuery {
        page: PageQuery::first(25),
        ..OrderQuery::default()
    };
    loop {
        let page = store.orders(&query).await.unwrap();
        seen.extend(page.items.iter().map(|o| o.number.clone()));
        match page.next {
            Some(c) => query.page.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert_eq!(seen.first().map(String::as_str), Some("#1060"));
    let customer = order.customer_id.clone().unwrap();
    let mine = store
        .orders(&OrderQuery {
            page: PageQuery::first(50),
            customer_id: Some(customer.clone()),
            ..OrderQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 3, "orders 1, 21 and 41 are customer 1's");
    assert!(
        mine.items
            .iter()
            .all(|o| o.customer_id.as_ref() == Some(&customer))
    );

    let found = store
        .find_customers("customer1@example.com", 5)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, customer);
    assert_eq!(found[0].orders_count, 3);
    let by_name = store
        .find_customers(
            &format!("{} {}", found[0].first_name, found[0].last_name),
            5,
        )
        .await
        .unwrap();
    assert!(by_name.iter().any(|c| c.id == customer));

    let by_sku = store
        .product(&ProductRef::Sku("SKU-3-M".into()))
        .await
        .unwrap();
    assert_eq!(by_sku.handle, "product-3");
    let by_handle = store
        .product(&ProductRef::Handle("product-3".into()))
        .await
        .unwrap();
    assert_eq!(by_handle, by_sku);
    let levels = store.inventory("SKU-3-M").await.unwrap();
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0].location.name, "Main warehouse");
    no_invalid_documents(&fake);
}

#[tokio::test]
async fn a_cancellation_runs_once_and_says_where_the_order_stands() {
    let (fake, store) = fake(FakeOptions::default()).await;
    let key = IdempotencyKey::new("approval-1");
    let done = store.cancel_order(&cancel("#1002"), &key).await.unwrap();
    assert_eq!(done.state, OrderState::Cancelled);
    assert_eq!(done.financial_status, FinancialStatus::Refunded);
    assert_eq!(done.cancel_reason, Some(CancelReason::Customer));
    assert_eq!(fake.ran("orderCancel"), 1);
    assert_eq!(fake.shop().notifications.len(), 1);
    // The variables carried Shopify's arguments, not an `input`.
    let sent = fake
        .calls()
        .into_iter()
        .find(|c| c.operation.as_deref() == Some("OrderCancel"))
        .unwrap();
    assert_eq!(sent.variables["reason"], "CUSTOMER");
    assert_eq!(
        sent.variables["refundMethod"]["originalPaymentMethodsRefund"],
        true
    );

    // A fulfilled order: Shopify's refusal, word for word, and nothing changes.
    let fulfilled = store
        .cancel_order(&cancel("#1001"), &key)
        .await
        .unwrap_err();
    assert_eq!(fulfilled.kind(), "rejected");
    assert!(
        fulfilled.to_string().contains("has been fulfilled"),
        "{fulfilled}"
    );
    assert_eq!(
        store.order(&OrderRef::parse("#1001")).await.unwrap().state,
        OrderState::Open
    );
    no_invalid_documents(&fake);
}

#[tokio::test]
async fn refunds_and_stock_changes_carry_their_key_and_are_applied_once() {
    let (fake, store) = fake(FakeOptions::default()).await;
    let order = store.order(&OrderRef::parse("#1003")).await.unwrap();
    let line = &order.lines[0];
    let refund = RefundOrder {
        order: OrderRef::parse("#1003"),
        amount: None,
        lines: vec![LineQuantity {
            line: line.sku.clone().unwrap(),
            quantity: 1,
        }],
        shipping: None,
        restock: true,
        notify_customer: false,
        note: Some("arrived damaged".into()),
    };
    let key = IdempotencyKey::new("approval-refund");
    let item = order.lines[0]
        .variant_id
        .clone()
        .unwrap()
        .replace("ProductVariant", "InventoryItem");
    let stock_before = fake.shop().available(&item, "gid://shopify/Location/1");
    // The first answer is lost on the way back: the HTTP layer sends it again, and Shopify
    // answers the retry from its key instead of refunding twice.
    fake.lose_answers("refundCreate", 1);
    let first = store.refund_order(&refund, &key).await.unwrap();
    assert_eq!(first.financial_status, FinancialStatus::PartiallyRefunded);
    assert_eq!(first.refunded.amount, line.unit_price.amount);
    assert_eq!(
        fake.shop().available(&item, "gid://shopify/Location/1"),
        stock_before + 1
    );
    let keyed: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.root_fields == ["refundCreate"])
        .collect();
    assert_eq!(keyed.len(), 2);
    assert!(
        keyed
            .iter()
            .all(|c| c.key.as_deref() == Some("approval-refund"))
    );
    assert_eq!((keyed[0].outcome, keyed[1].outcome), ("lost", "replayed"));
    assert_eq!(fake.ran("refundCreate"), 2, "two sends, one refund");
    // Asked again later (recovery after a crash): found by its mark, nothing sent.
    let again = store.refund_order(&refund, &key).await.unwrap();
    assert_eq!(again.refunded, first.refunded);
    assert!(
        again.refunds[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with("arrived damaged [shopkeeper approval-refund]")
    );
    assert_eq!(
        fake.calls()
            .iter()
            .filter(|c| c.root_fields == ["refundCreate"])
            .count(),
        2
    );
    assert_eq!(
        fake.shop().available(&item, "gid://shopify/Location/1"),
        stock_before + 1
    );

    let too_much = store
        .refund_order(
            &RefundOrder {
                amount: Some(Amount("100000".parse().unwrap())),
                lines: vec![],
                ..refund.clone()
            },
            &IdempotencyKey::new("big"),
        )
        .await
        .unwrap_err();
    assert!(
        too_much.to_string().contains("left to refund"),
        "{too_much}"
    );

    let adjusted = store
        .adjust_stock(
            &AdjustStock {
                sku: "SKU-4-S".into(),
                location: Some("Pop-up store".into()),
                delta: 5,
                reason: StockReason::Received,
            },
            &IdempotencyKey::new("approval-adjust"),
        )
        .await
        .unwrap();
    assert_eq!(adjusted.location.name, "Pop-up store");
    let sent = fake
        .calls()
        .into_iter()
        .find(|c| c.root_fields == ["inventoryAdjustQuantities"])
        .unwrap();
    assert!(
        sent.variables["input"]["changes"][0]
            .get("changeFromQuantity")
            .is_some()
    );
    assert!(sent.variables["input"]["changes"][0]["changeFromQuantity"].is_null());
    assert_eq!(sent.key.as_deref(), Some("approval-adjust"));

    let stale = store
        .set_stock(
            &SetStock {
                sku: "SKU-4-S".into(),
                location: None,
                quantity: 3,
                expected: Some(-7),
                reason: StockReason::CycleCountAvailable,
            },
            &IdempotencyKey::new("approval-set"),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), "conflict", "{stale}");
    no_invalid_documents(&fake);
}

#[tokio::test]
async fn throttling_and_outages_are_waited_out_where_that_is_safe() {
    let (fake, store) = fake(FakeOptions::default()).await;
    fake.throttle_next(2);
    store.order(&OrderRef::parse("#1004")).await.unwrap();
    fake.fail_next(503, 2);
    store.order(&OrderRef::parse("#1004")).await.unwrap();
    let outcomes: Vec<&str> = fake.calls().iter().map(|c| c.outcome).collect();
    assert!(
        outcomes.iter().filter(|o| **o == "throttled").count() == 2,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().filter(|o| **o == "failed").count() == 2,
        "{outcomes:?}"
    );

    // A cancellation whose answer is lost is not resent: its outcome is unknown.
    fake.lose_answers("orderCancel", 1);
    let err = store
        .cancel_order(&cancel("#1004"), &IdempotencyKey::new("k"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "outcome_unknown", "{err}");
    assert_eq!(fake.ran("orderCancel"), 1, "sent once, never blindly again");
    // Reading it back is how a caller learns it happened.
    assert_eq!(
        store.order(&OrderRef::parse("#1004")).await.unwrap().state,
        OrderState::Cancelled
    );
}

#[tokio::test]
async fn the_pacer_keeps_requests_under_the_cost_limit() {
    let (fake, store) = fake(FakeOptions {
        restore_rate: 2000.0,
        ..FakeOptions::default()
    })
    .await;
    // Pages of products cost about 900 points each: the bucket holds one at a time.
    let mut page = PageQuery::first(20);
    for _ in 0..4 {
        let got = store.products(&page).await.unwrap();
        page.cursor = got.next.clone();
        if got.next.is_none() {
            page.cursor = None;
        }
    }
    let throttled = fake
        .calls()
        .iter()
        .filter(|c| c.outcome == "throttled")
        .count();
    assert_eq!(throttled, 0, "the client waited instead of being throttled");
    no_invalid_documents(&fake);
}

#[tokio::test]
async fn credentials_scopes_and_addresses_fail_with_what_to_do() {
    let fake = FakeShopify::start(FakeOptions::default()).await.unwrap();
    let mut wrong = fake.config();
    wrong.access_token = Some(shopkeeper_tools::secret::Secret::new(
        "shpat_revoked_000000000",
    ));
    let err = ShopifyStore::open(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), "unauthorized", "{err}");
    assert!(
        !err.to_string().contains("shpat_revoked"),
        "no secret in errors: {err}"
    );
    assert_eq!(fake.calls().len(), 1, "a refused token is not retried");

    let mut nowhere = fake.config();
    nowhere.api_url = Some(format!("{}/admin/api/2026-10/nothing.json", fake.url()));
    assert_eq!(
        ShopifyStore::open(&nowhere).await.unwrap_err().kind(),
        "misconfigured"
    );

    let (limited, store) = self::fake(FakeOptions {
        scopes: vec![
            "read_orders".into(),
            "read_customers".into(),
            "read_products".into(),
        ],
        ..FakeOptions::default()
    })
    .await;
    let err = store
        .cancel_order(&cancel("#1002"), &IdempotencyKey::new("k"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "missing_scope", "{err}");
    assert!(err.to_string().contains("write_orders"), "{err}");
    assert_eq!(limited.ran("orderCancel"), 0);
}

#[tokio::test]
async fn bulk_exports_stream_every_record_with_its_children() {
    let scale = Scale {
        products: 450,
        variants: 5,
        customers: 40,
        orders: 700,
    };
    let (fake, store) = fake(FakeOptions {
        scale,
        ..FakeOptions::default()
    })
    .await;
    let products: Vec<_> = store.all_products().map(|p| p.unwrap()).collect().await;
    assert_eq!(products.len(), 450);
    assert!(products.iter().all(|p| p.variants.len() == 5));
    let orders: Vec<_> = store.all_orders().map(|o| o.unwrap()).collect().await;
    assert_eq!(orders.len(), 700);
    assert!(orders.iter().all(|o| !o.lines.is_empty()));
    let customers = store.all_customers().count().await;
    assert_eq!(customers, 40);
    let bulk = fake
        .calls()
        .into_iter()
        .filter(|c| c.root_fields == ["bulkOperationRunQuery"])
        .count();
    assert_eq!(bulk, 3, "one export per kind, no paging");
    no_invalid_documents(&fake);
}
