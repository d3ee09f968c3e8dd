//! The offline router's answer templates show the real results of the tools (run on the
//! built-in store), in words, and never fail on a result they were not written for.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::prompts::Prompts;
use shopkeeper_tools::{Caller, LocalStore, Policy, Role, Semantics, local_registry};

fn answer(tool: &str, result: &Value) -> String {
    let vars = minijinja::context! {
        kind => "result", tool, result => minijinja::Value::from(minijinja::value::Serde(result)),
        store_name => "Test Shop",
    };
    Prompts::default().router_answer(vars).unwrap()
}

#[tokio::test]
async fn every_platform_tool_result_reads_as_an_answer() {
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let registry = local_registry(store, Policy::allow_all()).unwrap();
    let me = Caller::new("cli", Role::Owner);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "calculate",
            json!({"expression": "49.99 * 3 + 5"}),
            "154.97",
        ),
        (
            "get_order",
            json!({"order": "#W6779827"}),
            "Order #W6779827 is open: paid, unfulfilled.",
        ),
        ("list_orders", json!({"limit": 3}), "3 orders:"),
        (
            "find_customer",
            json!({"query": "Ethan Lopez"}),
            "ethan_lopez_6291",
        ),
        ("get_product", json!({"sku": "9612497925"}), "9612497925"),
        (
            "adjust_inventory",
            json!({"sku": "9612497925", "delta": 2, "reason": "received"}),
            "2 available",
        ),
        (
            "tag_order",
            json!({"order": "#W6779827", "add": ["vip"]}),
            "Tags now: vip.",
        ),
        (
            "create_discount_code",
            json!({"code": "SAVE5", "amount_off": "5"}),
            "SAVE5 is created",
        ),
        (
            "cancel_order",
            json!({"order": "#W6779827", "reason": "customer"}),
            "is now cancelled",
        ),
    ];
    for (tool, args, expected) in cases {
        let result = registry.call(&me, tool, args).await.unwrap();
        let text = answer(tool, &result);
        assert!(text.contains(expected), "{tool}: {text}");
        assert!(
            !text.starts_with("Done. Result:"),
            "{tool} has its own answer: {text}"
        );
    }
}

#[test]
fn a_result_no_branch_knows_is_still_shown() {
    for result in [
        json!(42.5),
        json!([1, 2]),
        json!(true),
        json!({"a": {"b": 1}}),
    ] {
        let text = answer("some_new_tool", &result);
        assert!(!text.is_empty(), "{result}");
    }
    let money = answer(
        "customer_profile",
        &json!({"name": "Mia", "emails": ["m@x.io"], "orders": 2, "net_spent": {"amount": "4079.45", "currency": "USD"}, "timeline": []}),
    );
    assert!(money.contains("net spend $4,079.45"), "{money}");
}
