//! The built-in store's default (correct) semantics, through the registry as
//! every caller reaches it: each precondition, each result, and that a
//! refused write leaves the store exactly as it was.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_tools::{
    Caller, LocalStore, Policy, Registry, Role, Semantics, ToolError, local_registry,
};

async fn open(semantics: Semantics) -> (LocalStore, Registry) {
    let store = LocalStore::fresh(semantics).await.unwrap();
    let registry = local_registry(store.clone(), Policy::allow_all()).unwrap();
    (store, registry)
}

async fn order(registry: &Registry, id: &str) -> Value {
    registry
        .call(&caller(), "get_order_details", json!({"order_id": id}))
        .await
        .unwrap()
}

async fn user(registry: &Registry, id: &str) -> Value {
    registry
        .call(&caller(), "get_user_details", json!({"user_id": id}))
        .await
        .unwrap()
}

async fn balance(registry: &Registry, user_id: &str, card: &str) -> f64 {
    user(registry, user_id).await["payment_methods"][card]["balance"]
        .as_f64()
        .unwrap()
}

fn round2(x: f64) -> f64 {
    format!("{x:.2}").parse().unwrap()
}

/// Calls a write that must be refused with `kind`, and checks the store did not change.
async fn assert_refused(
    store: &LocalStore,
    registry: &Registry,
    name: &str,
    args: Value,
    kind: &str,
) -> String {
    let before = store.sha256().await.unwrap();
    let err: ToolError = registry.call(&caller(), name, args).await.unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(
        store.sha256().await.unwrap(),
        before,
        "a refused {name} changed the store"
    );
    err.to_string()
}

fn swap(order_id: &str, old: &[&str], new: &[&str], method: &str) -> Value {
    json!({"order_id": order_id, "item_ids": old, "new_item_ids": new, "payment_method_id": method})
}

#[tokio::test]
async fn modify_items_prices_each_line_by_its_own_variant() {
    let (_, reg) = open(Semantics::Correct).await;
    let before = order(&reg, "#W6779827").await;
    let args = swap(
        "#W6779827",
        &["7896397433", "3379843752"],
        &["6171242004", "3709608322"],
        "credit_card_9789590",
    );
    let after = reg
        .call(&caller(), "modify_pending_order_items", args)
        .await
        .unwrap();

    let dumbbell = reg
        .call(
            &caller(),
            "get_item_details",
            json!({"item_id": "6171242004"}),
        )
        .await
        .unwrap();
    let camera = reg
        .call(
            &caller(),
            "get_item_details",
            json!({"item_id": "3709608322"}),
        )
        .await
        .unwrap();
    assert_eq!(after["items"][0]["item_id"], "6171242004");
    assert_eq!(after["items"][0]["price"], dumbbell["price"]);
    assert_eq!(after["items"][0]["options"], dumbbell["options"]);
    assert_eq!(after["items"][1]["item_id"], "3709608322");
    assert_eq!(after["items"][1]["price"], camera["price"]);
    assert_eq!(after["items"][1]["options"], camera["options"]);
    assert_eq!(
        after["items"][2], before["items"][2],
        "untouched lines stay as they were"
    );
    assert_eq!(after["status"], "pending (item modified)");

    let diff = (dumbbell["price"].as_f64().unwrap()
        - before["items"][0]["price"].as_f64().unwrap())
        + (camera["price"].as_f64().unwrap() - before["items"][1]["price"].as_f64().unwrap());
    let last = after["payment_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last,
        json!({"transaction_type": "refund", "amount": diff.abs(), "payment_method_id": "credit_card_9789590"})
    );
    assert_eq!(
        order(&reg, "#W6779827").await,
        after,
        "the result is what was stored"
    );
}

#[tokio::test]
async fn compat_mode_reproduces_the_last_variant_quirk() {
    let (_, reg) = open(Semantics::Tau2).await;
    let args = swap(
        "#W6779827",
        &["7896397433", "3379843752"],
        &["6171242004", "3709608322"],
        "credit_card_9789590",
    );
    let after = reg
        .call(&caller(), "modify_pending_order_items", args)
        .await
        .unwrap();
    let camera = reg
        .call(
            &caller(),
            "get_item_details",
            json!({"item_id": "3709608322"}),
        )
        .await
        .unwrap();
    assert_eq!(after["items"][0]["item_id"], "6171242004");
    assert_eq!(
        after["items"][0]["price"], camera["price"],
        "upstream copies the last variant's price"
    );
    assert_eq!(after["items"][0]["options"], camera["options"]);
}

#[tokio::test]
async fn repeated_item_ids_change_the_first_line_still_carrying_them() {
    let (_, reg) = open(Semantics::Correct).await;
    let args = swap(
        "#W9093821",
        &["3557711149", "3557711149"],
        &["3928046918", "7251508981"],
        "credit_card_7422485",
    );
    let after = reg
        .call(&caller(), "modify_pending_order_items", args)
        .await
        .unwrap();
    assert_eq!(after["items"][0]["item_id"], "3928046918");
    assert_eq!(after["items"][0]["price"], 198.0);
    assert_eq!(
        after["items"][1]["item_id"], "8917609800",
        "the wall clock in between is untouched"
    );
    assert_eq!(after["items"][2]["item_id"], "7251508981");
    assert_eq!(after["items"][2]["price"], 212.04);
}

#[tokio::test]
async fn modify_items_preconditions_leave_the_store_untouched() {
    let (store, reg) = open(Semantics::Correct).await;
    let m = "modify_pending_order_items";
    let cc = "credit_card_7422485";
    let o = "#W9093821";
    let msg = assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"; 3], &["3928046918"; 3], cc),
        "rejected",
    )
    .await;
    assert!(
        msg.contains("3557711149") && msg.contains("2 times"),
        "{msg}"
    );
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["1111111111"], &["3928046918"], cc),
        "not_found",
    )
    .await;
    // Unavailable variant, another product's variant, the same item, mismatched lengths.
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"], &["8030558068"], cc),
        "rejected",
    )
    .await;
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"], &["6171242004"], cc),
        "rejected",
    )
    .await;
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"], &["3557711149"], cc),
        "rejected",
    )
    .await;
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"], &["3928046918", "7251508981"], cc),
        "rejected",
    )
    .await;
    // Someone else's payment method.
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["3557711149"], &["3928046918"], "gift_card_7219486"),
        "not_found",
    )
    .await;
    // A delivered order.
    assert_refused(
        &store,
        &reg,
        m,
        swap(
            "#W9077205",
            &["3877338112"],
            &["2444431651"],
            "gift_card_7108145",
        ),
        "rejected",
    )
    .await;

    // Items can be modified once; the address still can afterwards.
    reg.call(&caller(), m, swap(o, &["3557711149"], &["3928046918"], cc))
        .await
        .unwrap();
    assert_refused(
        &store,
        &reg,
        m,
        swap(o, &["8917609800"], &["8917609800"], cc),
        "rejected",
    )
    .await;
    let address = json!({"order_id": o, "address1": "1 Main St", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"});
    let moved = reg
        .call(&caller(), "modify_pending_order_address", address)
        .await
        .unwrap();
    assert_eq!(moved["address"]["address1"], "1 Main St");
}

#[tokio::test]
async fn gift_card_must_cover_the_difference_and_is_debited() {
    let (store, reg) = open(Semantics::Correct).await;
    let user_id = "ethan_lopez_6291";
    let card = "gift_card_7219486";
    let start = balance(&reg, user_id, card).await;
    // +$87.87 on a $49 card.
    let msg = assert_refused(
        &store,
        &reg,
        "modify_pending_order_items",
        swap("#W6779827", &["7896397433"], &["3877338112"], card),
        "rejected",
    )
    .await;
    assert!(msg.contains(card), "{msg}");

    let after = reg
        .call(
            &caller(),
            "modify_pending_order_items",
            swap("#W6779827", &["7896397433"], &["6171242004"], card),
        )
        .await
        .unwrap();
    let diff = 462.84 - 457.81;
    let last = after["payment_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["transaction_type"], "payment");
    assert_eq!(last["amount"].as_f64().unwrap(), diff);
    assert_eq!(balance(&reg, user_id, card).await, round2(start - diff));
}

#[tokio::test]
async fn cancel_refunds_gift_card_immediately() {
    let (store, reg) = open(Semantics::Correct).await;
    let start = balance(&reg, "ethan_lopez_6291", "gift_card_7219486").await;
    let paid = order(&reg, "#W6779827").await["payment_history"][0]["amount"]
        .as_f64()
        .unwrap();
    let bad_reason = json!({"order_id": "#W6779827", "reason": "changed my mind"});
    assert_refused(
        &store,
        &reg,
        "cancel_pending_order",
        bad_reason,
        "invalid_arguments",
    )
    .await;

    let after = reg
        .call(
            &caller(),
            "cancel_pending_order",
            json!({"order_id": "#W6779827", "reason": "ordered by mistake"}),
        )
        .await
        .unwrap();
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["cancel_reason"], "ordered by mistake");
    assert_eq!(
        after["payment_history"][1],
        json!({"transaction_type": "refund", "amount": paid, "payment_method_id": "gift_card_7219486"})
    );
    assert_eq!(
        balance(&reg, "ethan_lopez_6291", "gift_card_7219486").await,
        round2(start + paid)
    );
    // Only a pending order can be cancelled.
    let again = json!({"order_id": "#W6779827", "reason": "ordered by mistake"});
    assert_refused(&store, &reg, "cancel_pending_order", again, "rejected").await;
}

#[tokio::test]
async fn payment_change_moves_the_single_payment() {
    let (store, reg) = open(Semantics::Correct).await;
    let start = balance(&reg, "ethan_lopez_6291", "gift_card_7219486").await;
    let same = json!({"order_id": "#W6779827", "payment_method_id": "gift_card_7219486"});
    assert_refused(
        &store,
        &reg,
        "modify_pending_order_payment",
        same,
        "rejected",
    )
    .await;
    let foreign = json!({"order_id": "#W6779827", "payment_method_id": "credit_card_7422485"});
    assert_refused(
        &store,
        &reg,
        "modify_pending_order_payment",
        foreign,
        "not_found",
    )
    .await;

    let args = json!({"order_id": "#W6779827", "payment_method_id": "credit_card_9789590"});
    let after = reg
        .call(&caller(), "modify_pending_order_payment", args.clone())
        .await
        .unwrap();
    let history = after["payment_history"].as_array().unwrap();
    let amount = history[0]["amount"].clone();
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[1],
        json!({"transaction_type": "payment", "amount": amount, "payment_method_id": "credit_card_9789590"})
    );
    assert_eq!(
        history[2],
        json!({"transaction_type": "refund", "amount": amount, "payment_method_id": "gift_card_7219486"})
    );
    assert_eq!(
        balance(&reg, "ethan_lopez_6291", "gift_card_7219486").await,
        round2(start + amount.as_f64().unwrap())
    );
    // Now there are three entries: no second change.
    assert_refused(
        &store,
        &reg,
        "modify_pending_order_payment",
        args,
        "rejected",
    )
    .await;
}

#[tokio::test]
async fn returns_refund_to_the_original_method_or_a_gift_card() {
    let (store, reg) = open(Semantics::Correct).await;
    let ret = |items: &[&str], method: &str| json!({"order_id": "#W9077205", "item_ids": items, "payment_method_id": method});
    let msg = assert_refused(
        &store,
        &reg,
        "return_delivered_order_items",
        ret(&["3877338112"], "paypal_4101143"),
        "rejected",
    )
    .await;
    assert!(msg.contains("paypal_4101143"), "{msg}");
    assert_refused(
        &store,
        &reg,
        "return_delivered_order_items",
        ret(&["3877338112", "3877338112"], "gift_card_7108145"),
        "rejected",
    )
    .await;
    assert_refused(
        &store,
        &reg,
        "return_delivered_order_items",
        ret(&["3877338112"], "paypal_5727330"),
        "not_found",
    )
    .await;
    // A pending order cannot be returned.
    let pending = json!({"order_id": "#W6779827", "item_ids": ["7896397433"], "payment_method_id": "gift_card_7219486"});
    assert_refused(
        &store,
        &reg,
        "return_delivered_order_items",
        pending,
        "rejected",
    )
    .await;

    let after = reg
        .call(
            &caller(),
            "return_delivered_order_items",
            ret(&["9370300555", "3877338112"], "gift_card_7108145"),
        )
        .await
        .unwrap();
    assert_eq!(after["status"], "return requested");
    assert_eq!(
        after["return_items"],
        json!(["3877338112", "9370300555"]),
        "sorted"
    );
    assert_eq!(after["return_payment_method_id"], "gift_card_7108145");
}

#[tokio::test]
async fn exchange_records_the_rounded_difference_without_moving_money() {
    let (store, reg) = open(Semantics::Correct).await;
    let user_before = user(&reg, "amelia_wilson_4614").await;
    let args = swap(
        "#W9077205",
        &["3877338112"],
        &["2444431651"],
        "gift_card_7108145",
    );
    let after = reg
        .call(&caller(), "exchange_delivered_order_items", args.clone())
        .await
        .unwrap();
    assert_eq!(after["status"], "exchange requested");
    assert_eq!(after["exchange_items"], json!(["3877338112"]));
    assert_eq!(after["exchange_new_items"], json!(["2444431651"]));
    assert_eq!(
        after["exchange_price_difference"].as_f64(),
        Some(round2(534.84 - 545.68))
    );
    assert_eq!(
        user(&reg, "amelia_wilson_4614").await,
        user_before,
        "no money moves on request"
    );
    // Once per order.
    assert_refused(
        &store,
        &reg,
        "exchange_delivered_order_items",
        args,
        "rejected",
    )
    .await;
}

#[tokio::test]
async fn lookups_ignore_case_where_the_benchmark_does() {
    let (_, reg) = open(Semantics::Correct).await;
    let by_email = reg
        .call(
            &caller(),
            "find_user_id_by_email",
            json!({"email": "Noah.Brown7922@EXAMPLE.com"}),
        )
        .await
        .unwrap();
    assert_eq!(by_email, "noah_brown_6181");
    let by_name = reg
        .call(
            &caller(),
            "find_user_id_by_name_zip",
            json!({"first_name": "noah", "last_name": "BROWN", "zip": "80279"}),
        )
        .await
        .unwrap();
    assert_eq!(by_name, "noah_brown_6181");
    let wrong_zip = json!({"first_name": "Noah", "last_name": "Brown", "zip": "80278"});
    assert_eq!(
        reg.call(&caller(), "find_user_id_by_name_zip", wrong_zip)
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
    let types = reg
        .call(&caller(), "list_all_product_types", json!({}))
        .await
        .unwrap();
    assert_eq!(types.as_object().unwrap().len(), 50);
    assert_eq!(types["T-Shirt"], "9523456873");
}

#[tokio::test]
async fn persistent_store_keeps_writes_and_seeds_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let store = LocalStore::open(&path, Semantics::Correct).await.unwrap();
    let reg = local_registry(store.clone(), Policy::allow_all()).unwrap();
    let address = json!({"user_id": "noah_brown_6181", "address1": "1 Main St", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"});
    reg.call(&caller(), "modify_user_address", address)
        .await
        .unwrap();
    let hash = store.sha256().await.unwrap();
    store.close().await;

    let reopened = LocalStore::open(&path, Semantics::Correct).await.unwrap();
    assert_eq!(
        reopened.sha256().await.unwrap(),
        hash,
        "reopening neither reseeds nor loses the write"
    );
}

/// Tests act as the shop's owner on the command line.
fn caller() -> Caller {
    Caller::new("cli", Role::Owner)
}
