//! The two jobs end to end through the binary, with a scripted model: a support agent
//! gets a draft reply that cites the order's real status and sends it after approval
//! (once); a merchant gets a listing drafted, shown as a diff, approved and created.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

fn run(home: &Path, server: &ScriptedServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env("OPENAI_BASE_URL", server.base_url())
        .env("SHOPKEEPER_MODEL", "scripted")
        .env_remove("OPENAI_API_KEY")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_out(o: &Output) -> Value {
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The last assistant tool call in the conversation and the result that followed it.
fn last_call(request: &Value) -> Option<(String, Value, String)> {
    let messages = request["messages"].as_array()?;
    let last = messages.last()?;
    if last["role"] != "tool" {
        return None;
    }
    let call = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "assistant" && m["tool_calls"].is_array())?;
    let c = call["tool_calls"].as_array()?.last()?;
    let args: Value = serde_json::from_str(c["function"]["arguments"].as_str()?).ok()?;
    Some((
        c["function"]["name"].as_str()?.to_string(),
        args,
        last["content"].as_str()?.to_string(),
    ))
}

/// A model that drafts from what get_ticket returned, and sends what it drafted.
fn support_model(request: &Value) -> Reply {
    let messages = request["messages"].as_array().unwrap();
    match last_call(request) {
        None => {
            let said = messages.last().unwrap()["content"]
                .as_str()
                .unwrap_or_default();
            if said.contains("Send it") {
                let draft = messages
                    .iter()
                    .flat_map(|m| m["tool_calls"].as_array().cloned().unwrap_or_default())
                    .find(|c| c["function"]["name"] == "save_ticket_draft")
                    .unwrap();
                let args: Value =
                    serde_json::from_str(draft["function"]["arguments"].as_str().unwrap()).unwrap();
                Reply::tools(&[("send_ticket_reply", args)])
            } else {
                Reply::tools(&[("get_ticket", json!({"ticket_id": "T1001"}))])
            }
        }
        Some((name, _, result)) if name == "get_ticket" => {
            let t: Value = serde_json::from_str(&result).unwrap();
            let order_id = t["ticket"]["order_id"].as_str().unwrap();
            let order = t["orders"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["order_id"] == order_id)
                .unwrap();
            let first = t["customer"]["name"]
                .as_str()
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let body = format!(
                "Hi {first}, your order {order_id} is {} — tracking number {}. — The support team",
                order["status"].as_str().unwrap(),
                order["tracking"][0].as_str().unwrap_or("not assigned yet")
            );
            Reply::tools(&[(
                "save_ticket_draft",
                json!({"ticket_id": "T1001", "body": body}),
            )])
        }
        Some((name, _, _)) if name == "save_ticket_draft" => {
            Reply::text("I saved a draft reply on T1001 for you to review.")
        }
        Some(_) => Reply::text("The reply was sent."),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_agent_gets_a_factual_draft_and_sends_it_once_after_approval() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let server = ScriptedServer::with_responder(Arc::new(support_model))
        .await
        .unwrap();
    let out =
        tokio::task::block_in_place(|| run(&h, &server, &["ask", "Draft a reply to ticket T1001"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "I saved a draft reply on T1001 for you to review.\n"
    );
    let conversation = text(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("conversation: ").map(str::to_string))
        .unwrap();

    let ticket = json_out(&tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &["tool", "call", "get_ticket", r#"{"ticket_id": "T1001"}"#],
        )
    }));
    let draft = ticket["ticket"]["draft"]["body"]
        .as_str()
        .unwrap()
        .to_string();
    let order_id = ticket["ticket"]["order_id"].as_str().unwrap();
    let truth = json_out(&tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &[
                "tool",
                "call",
                "get_order_details",
                &json!({"order_id": order_id}).to_string(),
            ],
        )
    }));
    assert!(
        draft.contains(&format!("is {}", truth["status"].as_str().unwrap())),
        "cites the real status: {draft}"
    );
    assert!(
        draft.contains(truth["fulfillments"][0]["tracking_id"][0].as_str().unwrap()),
        "cites the real tracking: {draft}"
    );
    let messages_before = ticket["ticket"]["messages"].as_array().unwrap().len();

    let out = tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &["ask", "Send it", "--conversation", &conversation],
        )
    });
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Waiting for approval:") && stdout.contains("Send this reply to"),
        "{stdout}"
    );
    let unsent = json_out(&tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &["tool", "call", "get_ticket", r#"{"ticket_id": "T1001"}"#],
        )
    }));
    assert_eq!(
        unsent["ticket"]["messages"].as_array().unwrap().len(),
        messages_before,
        "nothing reached the customer yet"
    );

    let listed = json_out(&tokio::task::block_in_place(|| {
        run(&h, &server, &["approvals", "list", "--json"])
    }));
    let id = listed[0]["id"].as_str().unwrap().to_string();
    assert_eq!(listed[0]["tool"], "send_ticket_reply");
    let approved = tokio::task::block_in_place(|| run(&h, &server, &["approvals", "approve", &id]));
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert!(text(&approved.stdout).contains("The reply was sent."));
    let again = tokio::task::block_in_place(|| run(&h, &server, &["approvals", "approve", &id]));
    assert_eq!(again.status.code(), Some(1));

    let sent = json_out(&tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &["tool", "call", "get_ticket", r#"{"ticket_id": "T1001"}"#],
        )
    }));
    let messages = sent["ticket"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), messages_before + 1, "sent exactly once");
    assert_eq!(messages.last().unwrap()["body"], draft.as_str());
    assert_eq!(sent["ticket"]["status"], "pending");
    assert!(sent["ticket"]["draft"].is_null());
}

/// A merchant's model: drafts a listing, writes it (structured output), then creates it.
fn merchant_model(request: &Value) -> Reply {
    if request.get("response_format").is_some() {
        // The listing writer's structured-output request: answer with a listing.
        let user: Value =
            serde_json::from_str(request["messages"][1]["content"].as_str().unwrap()).unwrap();
        let category = user["category_candidates"][0]["gid"].clone();
        return Reply::text(
            &json!({
                "title": "Relaxed Linen Shirt",
                "description_html": "<p>A relaxed shirt in 100% linen.</p><ul><li>Material: 100% linen</li><li>Care: machine wash cold</li></ul>",
                "seo_title": "Relaxed Linen Shirt | Acme",
                "seo_description": "A relaxed-fit shirt made of 100% linen. Machine wash cold.",
                "tags": ["linen", "shirt"], "vendor": "Acme", "product_type": "Shirt",
                "category": category, "status": "draft",
                "variants": [{"options": {"size": "M"}, "sku": "LIN-M", "price": 59.0, "inventory_quantity": 8}]
            })
            .to_string(),
        );
    }
    match last_call(request) {
        None => Reply::tools(&[(
            "draft_product_listing",
            json!({"name": "Linen shirt", "product_type": "Shirt", "vendor": "Acme",
                   "attributes": {"material": "100% linen", "care": "machine wash cold", "fit": "relaxed"},
                   "variants": [{"options": {"size": "M"}, "price": 59.0, "sku": "LIN-M", "inventory_quantity": 8}]}),
        )]),
        Some((name, _, result)) if name == "draft_product_listing" => {
            let draft: Value = serde_json::from_str(&result).unwrap();
            Reply::tools(&[("create_product", json!({"listing": draft["listing"]}))])
        }
        Some(_) => Reply::text("Created as a draft product."),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_gets_a_validated_listing_approved_from_a_diff_and_created_as_draft() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let server = ScriptedServer::with_responder(Arc::new(merchant_model))
        .await
        .unwrap();
    let out =
        tokio::task::block_in_place(|| run(&h, &server, &["ask", "List our new linen shirt"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = json_out(&tokio::task::block_in_place(|| {
        run(&h, &server, &["approvals", "list", "--json"])
    }));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let card = listed[0]["summary"].as_str().unwrap();
    assert!(
        card.starts_with("Create a new draft product \"Relaxed Linen Shirt\""),
        "the model's listing was used: {card}"
    );
    assert!(
        card.contains("+ seo_title: Relaxed Linen Shirt | Acme") && card.contains("+ category: "),
        "{card}"
    );
    assert!(!card.contains(" ! "), "it passed validation: {card}");
    let types = json_out(&tokio::task::block_in_place(|| {
        run(&h, &server, &["tool", "call", "list_all_product_types"])
    }));
    assert!(
        types.get("Relaxed Linen Shirt").is_none(),
        "nothing created before approval"
    );

    let id = listed[0]["id"].as_str().unwrap().to_string();
    let approved = tokio::task::block_in_place(|| run(&h, &server, &["approvals", "approve", &id]));
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert!(text(&approved.stdout).contains("Created as a draft product."));
    let types = json_out(&tokio::task::block_in_place(|| {
        run(&h, &server, &["tool", "call", "list_all_product_types"])
    }));
    let product_id = types["Relaxed Linen Shirt"].as_str().unwrap().to_string();
    let listing = json_out(&tokio::task::block_in_place(|| {
        run(
            &h,
            &server,
            &[
                "tool",
                "call",
                "get_product_listing",
                &json!({"product_id": product_id}).to_string(),
            ],
        )
    }));
    assert_eq!(listing["listing"]["status"], "draft");
    assert!(
        listing["category_name"]
            .as_str()
            .unwrap()
            .contains("Shirts"),
        "{}",
        listing["category_name"]
    );
    assert_eq!(listing["listing"]["variants"][0]["sku"], "LIN-M");
}
