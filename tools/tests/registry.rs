//! The registry: schemas as the benchmark shows them, validation, dispatch.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_tools::{Effect, LocalStore, Registry, Semantics, local_registry};

const TAU2_SCHEMAS: &str = include_str!("fixtures/tau2-retail/tool_schemas_openai.json");

async fn registry() -> Registry {
    local_registry(LocalStore::fresh(Semantics::Correct).await.unwrap()).unwrap()
}

#[tokio::test]
async fn schemas_match_the_benchmark_names_parameters_and_descriptions() {
    let reg = registry().await;
    let expected: serde_json::Map<String, Value> = serde_json::from_str(TAU2_SCHEMAS).unwrap();
    let ours: Vec<Value> = reg.openai_tools();
    assert_eq!(ours.len(), expected.len());
    for tool in &ours {
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
        assert_eq!(
            props.keys().collect::<Vec<_>>(),
            their_props.keys().collect::<Vec<_>>(),
            "{name}"
        );
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
