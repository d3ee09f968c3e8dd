//! The registry: schemas as the benchmark shows them, validation, dispatch.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_tools::{
    Caller, Effect, LocalStore, Policy, Registry, Role, Semantics, local_registry,
};

const TAU2_SCHEMAS: &str = include_str!("fixtures/tau2-retail/tool_schemas_openai.json");

async fn registry() -> Registry {
    local_registry(
        LocalStore::fresh(Semantics::Correct).await.unwrap(),
        Policy::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn schemas_match_the_benchmark_names_parameters_and_descriptions() {
    let reg = registry().await;
    let expected: serde_json::Map<String, Value> = serde_json::from_str(TAU2_SCHEMAS).unwrap();
    let ours: Vec<Value> = reg.openai_tools();
    let retail: Vec<&Value> = ours
        .iter()
        .filter(|t| expected.contains_key(t["function"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        retail.len(),
        expected.len(),
        "all 16 retail tools are registered"
    );
    for tool in retail {
        let f = &tool["function"];
        let name = f["name"].as_str().unwrap();
        let theirs = &expected[name]["function"];
        assert_eq!(f["description"], theirs["description"], "{name}");
        let (p, q) = (&f["parameters"], &theirs["parameters"]);
        assert_eq!(p["type"], "object");
        let mut req: Vec<&str> = p["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let mut their_req: Vec<&str> = q["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        req.sort();
        their_req.sort();
        assert_eq!(req, their_req, "{name} required");
        let props = p["properties"].as_object().unwrap();
        let their_props = q["properties"].as_object().unwrap();
        // Compared as sets: whether JSON maps keep insertion order depends on serde_json's
        // `preserve_order` feature, which other crates in the tree may switch on.
        let sorted = |m: &serde_json::Map<String, Value>| {
            m.keys()
                .cloned()
                .collect::<std::collections::BTreeSet<String>>()
        };
        assert_eq!(sorted(props), sorted(their_props), "{name}");
        for (key, schema) in their_props {
            assert_eq!(
                props[key]["description"], schema["description"],
                "{name}.{key}"
            );
            assert_eq!(
                props[key].get("type").or(Some(&json!("string"))),
                schema.get("type").or(Some(&json!("string"))),
                "{name}.{key}"
            );
        }
    }
}

#[tokio::test]
async fn closed_sets_are_enums_in_the_schema() {
    let reg = registry().await;
    let cancel = reg.info("cancel_pending_order").unwrap();
    assert_eq!(
        cancel.parameters["properties"]["reason"]["enum"],
        json!(["no longer needed", "ordered by mistake"])
    );
    assert_eq!(cancel.effect, Effect::Money);
    assert!(!cancel.parameters.to_string().contains("$ref"));
}

#[tokio::test]
async fn validation_names_every_offending_field() {
    let reg = registry().await;
    let err = reg
        .validate(
            "modify_pending_order_items",
            &json!({"order_id": 7, "item_ids": "x", "colour": "red"}),
        )
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_arguments");
    let msg = err.to_string();
    for needle in [
        "/order_id",
        "/item_ids",
        "colour",
        "new_item_ids",
        "payment_method_id",
    ] {
        assert!(msg.contains(needle), "{needle} missing from: {msg}");
    }
    let unknown = reg.validate("refund_everything", &json!({})).unwrap_err();
    assert_eq!(unknown.kind(), "unknown_tool");
    assert!(
        unknown.to_string().contains("get_order_details"),
        "lists what exists"
    );
}

#[tokio::test]
async fn malformed_json_is_an_argument_error_for_the_model() {
    let err = Registry::parse_arguments("get_order_details", "{\"order_id\": ").unwrap_err();
    assert_eq!(err.kind(), "invalid_arguments");
    assert_eq!(
        Registry::parse_arguments("list_all_product_types", "").unwrap(),
        json!({})
    );
}

#[tokio::test]
async fn render_says_exactly_what_a_write_will_do() {
    let reg = registry().await;
    let text = reg
        .render(
            "cancel_pending_order",
            &json!({"order_id": "#W6779827", "reason": "no longer needed"}),
        )
        .await
        .unwrap();
    assert_eq!(
        text,
        "Cancel order #W6779827 (pending, 4 items, $4,079.45, paid by gift card gift_card_7219486 (balance $49.00)) \
         and refund every payment — reason: no longer needed"
    );
    let swap = json!({"order_id": "#W9093821", "item_ids": ["3557711149"], "new_item_ids": ["3928046918"], "payment_method_id": "credit_card_7422485"});
    let text = reg
        .render("modify_pending_order_items", &swap)
        .await
        .unwrap();
    assert!(text.contains("Backpack 3557711149"), "{text}");
    assert!(text.contains("-> 3928046918"), "{text}");
    assert!(
        text.contains("$7.35 refunded to visa card ending 2080"),
        "{text}"
    );
}

/// Tests act as the shop's owner on the command line.
fn caller() -> Caller {
    Caller::new("cli", Role::Owner)
}

#[tokio::test]
async fn calls_that_change_the_store_are_refused_without_approval() {
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let reg = local_registry(store.clone(), Policy::default()).unwrap();
    let before = store.sha256().await.unwrap();
    let big = reg
        .call(
            &caller(),
            "cancel_pending_order",
            json!({"order_id": "#W6779827", "reason": "no longer needed"}),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            big,
            shopkeeper_tools::ToolError::NeedsApproval {
                required_role: Role::Manager,
                ..
            }
        ),
        "{big}"
    );
    let address = json!({"user_id": "noah_brown_6181", "address1": "1 Main St", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"});
    let small = reg
        .call(&caller(), "modify_user_address", address.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(
            small,
            shopkeeper_tools::ToolError::NeedsApproval {
                required_role: Role::Staff,
                ..
            }
        ),
        "{small}"
    );
    assert_eq!(store.sha256().await.unwrap(), before, "nothing ran");

    // Policy is data: an allow rule lets the same call run, a deny rule stops it for good.
    let allow: Policy = serde_json::from_value(
        json!({"rules": [{"tool": "modify_user_address", "require": "allow"}]}),
    )
    .unwrap();
    let reg = local_registry(store.clone(), allow).unwrap();
    reg.call(&caller(), "modify_user_address", address)
        .await
        .unwrap();
    assert_ne!(store.sha256().await.unwrap(), before);
    let deny: Policy = serde_json::from_value(json!({"effects": {"read": "deny"}})).unwrap();
    let reg = local_registry(store.clone(), deny).unwrap();
    let err = reg
        .call(
            &caller(),
            "get_order_details",
            json!({"order_id": "#W6779827"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_allowed");
}

/// A tool that browses across customers.
struct Directory;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoArgs {}

#[async_trait::async_trait]
impl shopkeeper_tools::tool::Tool for Directory {
    type Args = NoArgs;
    const NAME: &'static str = "list_everyone";
    const DESCRIPTION: &'static str = "Every customer.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const STAFF_ONLY: bool = true;

    async fn call(
        &self,
        _args: NoArgs,
        _ctx: &shopkeeper_tools::CallContext,
    ) -> Result<Value, shopkeeper_tools::ToolError> {
        Ok(json!(["everyone"]))
    }

    async fn render(&self, _args: &NoArgs) -> String {
        "list everyone".into()
    }
}

#[tokio::test]
async fn staff_only_tools_refuse_customers_even_when_the_policy_allows_everything() {
    let mut reg = Registry::new(Policy::allow_all());
    reg.register(Directory).unwrap();
    let customer = Caller::new("telegram", Role::Customer);
    let err = reg
        .call(&customer, "list_everyone", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_allowed", "{err}");
    let staff = Caller::new("telegram", Role::Staff);
    assert_eq!(
        reg.call(&staff, "list_everyone", json!({})).await.unwrap(),
        json!(["everyone"])
    );
}
