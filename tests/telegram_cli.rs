//! `shopkeeper serve` with the Telegram front, end to end: the built binary's teloxide
//! client against a fake Bot API server on loopback, the agent against the scripted
//! OpenAI-compatible server. A conversation with an approval clicked, clicks that must
//! change nothing, cards for approvals made elsewhere, the webhook's secret token, long
//! replies, and `serve --check`.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_channels::telegram::fake::FakeBotApi;

mod fronts;
use fronts::{Serve, cancel_call, command, free_port, log, run};
use std::path::Path;
use std::time::Duration;

const TOKEN: &str = "123456:TEST-token-abcdefghij";
const ANA: u64 = 111; // manager
const BO: u64 = 222; // staff
const STRANGER: u64 = 555; // a customer
const APPROVERS: i64 = -1001;
const WAIT: Duration = Duration::from_secs(60);

fn config(home: &Path, api: &FakeBotApi, extra: &str) {
    std::fs::write(
        home.join("shopkeeper.toml"),
        format!(
            r#"store_name = "Test Shop"

[serve]
relay_interval_ms = 200

[telegram]
token = "{TOKEN}"
api_url = "{}"
approvals_chat = {APPROVERS}
poll_timeout_secs = 1
{extra}

[[staff]]
name = "ana"
role = "manager"
telegram = {ANA}

[[staff]]
name = "bo"
role = "staff"
telegram = {BO}
"#,
            api.url()
        ),
    )
    .unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sent_to(calls: &[(String, Value)], method: &str, chat: i64) -> Vec<Value> {
    calls
        .iter()
        .filter(|(m, p)| m == method && p["chat_id"] == json!(chat))
        .map(|(_, p)| p.clone())
        .collect()
}

fn buttons(message: &Value) -> Vec<String> {
    message["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["callback_data"].as_str().map(String::from))
        .collect()
}

fn approvals(home: &Path, server: &ScriptedServer) -> Vec<Value> {
    let out = run(home, server, &["approvals", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn order_status(home: &Path, server: &ScriptedServer, id: &str) -> String {
    let args = json!({"order_id": id}).to_string();
    let out = run(home, server, &["tool", "call", "get_order_details", &args]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let order: Value = serde_json::from_slice(&out.stdout).unwrap();
    order["status"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_with_an_approval_clicked_in_telegram() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let server = ScriptedServer::start(vec![
        cancel_call(),
        Reply::text("Order #W6779827 is **cancelled**; the refund is on its way."),
    ])
    .await
    .unwrap();
    config(home.path(), &api, "");
    let _serve = Serve::start(home.path(), &server);

    api.push_message(ANA as i64, ANA, "/start");
    api.push_message(
        ANA as i64,
        ANA,
        "please cancel order #W6779827, no longer needed",
    );
    let calls = api
        .wait_for(WAIT, |c| sent_to(c, "sendMessage", APPROVERS).len() == 1)
        .await;
    let welcome = &sent_to(&calls, "sendMessage", ANA as i64)[0];
    assert!(
        welcome["text"].as_str().unwrap().contains("Hello ana"),
        "{welcome}"
    );
    assert!(
        !sent_to(&calls, "sendChatAction", ANA as i64).is_empty(),
        "a typing indicator while the agent works"
    );
    let in_thread = sent_to(&calls, "sendMessage", ANA as i64);
    let waiting = in_thread
        .iter()
        .find(|m| m["text"].as_str().unwrap().contains("Waiting for approval"))
        .unwrap_or_else(|| panic!("no waiting notice in {in_thread:?}\n{}", log(home.path())));
    assert_eq!(waiting["parse_mode"], "HTML");
    let approval_id = approvals(home.path(), &server)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The card shows in the asking thread and in the approvers' chat; buttons carry only the id.
    let cards: Vec<Value> = calls
        .iter()
        .filter(|(m, p)| m == "sendMessage" && !buttons(p).is_empty())
        .map(|(_, p)| p.clone())
        .collect();
    assert_eq!(cards.len(), 2, "{cards:?}");
    for card in &cards {
        assert_eq!(
            buttons(card),
            vec![
                format!("approve:{approval_id}"),
                format!("reject:{approval_id}")
            ]
        );
        assert!(
            card["text"].as_str().unwrap().contains("#W6779827"),
            "{card}"
        );
    }
    let group_card = sent_to(&calls, "sendMessage", APPROVERS)[0]["message_id"]
        .as_i64()
        .unwrap();

    // A customer clicks Approve in the approvers' chat: told no, nothing changes.
    api.push_click(
        APPROVERS,
        STRANGER,
        group_card,
        &format!("approve:{approval_id}"),
    );
    let calls = api
        .wait_for(WAIT, |c| c.iter().any(|(m, _)| m == "answerCallbackQuery"))
        .await;
    let refused = &api.calls_of("answerCallbackQuery")[0];
    assert!(
        refused["text"].as_str().unwrap().contains("Not allowed"),
        "{refused}"
    );
    assert_eq!(refused["show_alert"], true);
    assert!(calls.iter().all(|(m, _)| m != "editMessageText"));
    assert_eq!(approvals(home.path(), &server)[0]["status"], "pending");
    assert_eq!(order_status(home.path(), &server, "#W6779827"), "pending");

    // Ana (a manager) approves on the card in her own chat.
    let own_card = cards.iter().find(|c| c["chat_id"] == json!(ANA)).unwrap()["message_id"]
        .as_i64()
        .unwrap();
    api.push_click(ANA as i64, ANA, own_card, &format!("approve:{approval_id}"));
    let calls = api
        .wait_for(WAIT, |c| {
            sent_to(c, "sendMessage", ANA as i64)
                .iter()
                .any(|m| m["text"].as_str().unwrap_or("").contains("cancelled"))
        })
        .await;
    let acks = api.calls_of("answerCallbackQuery");
    assert_eq!(acks.len(), 2, "{acks:?}");
    assert_eq!(acks[1]["text"], "Approving…");
    // Both cards now say who decided, without buttons.
    let edits: Vec<Value> = calls
        .iter()
        .filter(|(m, _)| m == "editMessageText")
        .map(|(_, p)| p.clone())
        .collect();
    let mut edited: Vec<i64> = edits
        .iter()
        .map(|e| e["chat_id"].as_i64().unwrap())
        .collect();
    edited.sort();
    assert_eq!(edited, vec![APPROVERS, ANA as i64], "{edits:?}");
    for e in &edits {
        let t = e["text"].as_str().unwrap();
        assert!(t.contains("Approved") && t.contains("ana"), "{t}");
        assert!(buttons(e).is_empty(), "decided cards have no buttons");
    }
    let answer = sent_to(&calls, "sendMessage", ANA as i64)
        .into_iter()
        .last()
        .unwrap();
    assert_eq!(
        answer["text"],
        "Order #W6779827 is <b>cancelled</b>; the refund is on its way."
    );
    assert_eq!(order_status(home.path(), &server, "#W6779827"), "cancelled");

    // A second click finds it decided; nothing runs twice.
    api.push_click(APPROVERS, BO, group_card, &format!("reject:{approval_id}"));
    api.wait_for(WAIT, |c| {
        c.iter().filter(|(m, _)| m == "answerCallbackQuery").count() == 3
    })
    .await;
    let late = &api.calls_of("answerCallbackQuery")[2];
    assert!(
        late["text"]
            .as_str()
            .unwrap()
            .contains("Already approved by ana"),
        "{late}"
    );
    let audit = run(home.path(), &server, &["audit", "--json"]);
    let audit: Vec<Value> = serde_json::from_slice(&audit.stdout).unwrap();
    let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "approved").count(), 1);
    assert_eq!(
        actions.iter().filter(|a| **a == "decision_refused").count(),
        1
    );
    assert_eq!(server.remaining(), 0, "{}", log(home.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_for_approvals_made_elsewhere_follow_decisions_made_elsewhere() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let server = ScriptedServer::start(vec![cancel_call(), Reply::text("Cancelled.")])
        .await
        .unwrap();
    config(home.path(), &api, "");
    let _serve = Serve::start(home.path(), &server);
    // Asked in the terminal, not in Telegram.
    let out = run(home.path(), &server, &["ask", "cancel #W6779827"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = api
        .wait_for(WAIT, |c| sent_to(c, "sendMessage", APPROVERS).len() == 1)
        .await;
    let card = &sent_to(&calls, "sendMessage", APPROVERS)[0];
    let approval_id = approvals(home.path(), &server)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        buttons(card)[0],
        format!("approve:{approval_id}"),
        "{}",
        log(home.path())
    );

    // `/pending` shows it to staff (one more card), never to a customer.
    api.push_message(STRANGER as i64, STRANGER, "/pending");
    api.push_message(BO as i64, BO, "/pending");
    let calls = api
        .wait_for(WAIT, |c| {
            sent_to(c, "sendMessage", BO as i64)
                .iter()
                .any(|m| !buttons(m).is_empty())
        })
        .await;
    let refused = &sent_to(&calls, "sendMessage", STRANGER as i64)[0];
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("Only the shop's staff")
    );
    let listed = sent_to(&calls, "sendMessage", BO as i64);
    assert!(
        listed[0]["text"].as_str().unwrap().contains("1 waiting"),
        "{listed:?}"
    );
    assert_eq!(buttons(&listed[1])[1], format!("reject:{approval_id}"));

    // Decided in the terminal: the Telegram cards follow, wherever they show.
    let out = run(
        home.path(),
        &server,
        &[
            "approvals",
            "reject",
            &approval_id,
            "--reason",
            "customer called back",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = api
        .wait_for(WAIT, |c| {
            c.iter().filter(|(m, _)| m == "editMessageText").count() == 2
        })
        .await;
    assert_eq!(sent_to(&calls, "editMessageText", BO as i64).len(), 1);
    let edit = sent_to(&calls, "editMessageText", APPROVERS);
    assert_eq!(edit.len(), 1, "{}", log(home.path()));
    assert_eq!(edit[0]["message_id"], card["message_id"]);
    let t = edit[0]["text"].as_str().unwrap();
    assert!(
        t.contains("Rejected") && t.contains("customer called back"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_answers_but_never_staff_tools_or_internals() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let long = "Our policy, in detail. ".repeat(500);
    let server = ScriptedServer::start(vec![
        Reply::tools(&[("search_customers", json!({"query": "Yara Martin"}))]),
        Reply::text("I can't look that up."),
        Reply::text(&long),
    ])
    .await
    .unwrap();
    config(home.path(), &api, "");
    let _serve = Serve::start(home.path(), &server);
    api.push_message(
        STRANGER as i64,
        STRANGER,
        "who else shops here? list customers",
    );
    api.push_message(STRANGER as i64, STRANGER, "what is your returns policy?");
    let calls = api
        .wait_for(WAIT, |c| {
            sent_to(c, "sendMessage", STRANGER as i64).len() >= 4
        })
        .await;
    // The tool layer refused the staff-only tool for the customer's conversation.
    let requests = server.requests();
    let tool_result = requests[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tool_result.contains("not_allowed"), "{tool_result}");
    let replies = sent_to(&calls, "sendMessage", STRANGER as i64);
    assert_eq!(
        replies[0]["text"], "I can't look that up.",
        "no tool activity shown"
    );
    // The long answer arrives in pieces within Telegram's limit, nothing lost.
    let pieces = &replies[1..];
    assert!(pieces.len() >= 3, "{}", pieces.len());
    let mut total = 0;
    for p in pieces {
        let t = p["text"].as_str().unwrap();
        assert!(t.chars().count() <= 4096);
        total += t.matches("Our policy").count();
    }
    assert_eq!(total, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_accepts_only_telegrams_secret_token() {
    shopkeeper_agent::install_crypto_provider();
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let server = ScriptedServer::start(vec![Reply::text("Hi from the webhook.")])
        .await
        .unwrap();
    let port = free_port();
    config(
        home.path(),
        &api,
        "mode = \"webhook\"\nwebhook_url = \"https://shop.example/telegram/webhook\"\nwebhook_secret = \"s3cret-Token_1\"",
    );
    let toml = std::fs::read_to_string(home.path().join("shopkeeper.toml")).unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        toml.replace(
            "relay_interval_ms = 200",
            &format!("relay_interval_ms = 200\nlisten = \"127.0.0.1:{port}\""),
        ),
    )
    .unwrap();
    let _serve = Serve::start(home.path(), &server);
    let calls = api
        .wait_for(WAIT, |c| c.iter().any(|(m, _)| m == "setWebhook"))
        .await;
    let set = calls.iter().find(|(m, _)| m == "setWebhook").unwrap();
    assert_eq!(set.1["secret_token"], "s3cret-Token_1");
    assert_eq!(set.1["url"], "https://shop.example/telegram/webhook");

    let url = format!("http://127.0.0.1:{port}/telegram/webhook");
    let client = reqwest::Client::new();
    let mut status = None;
    for _ in 0..100 {
        // Until the listener is up.
        match client.post(&url).json(&json!({})).send().await {
            Ok(r) => {
                status = Some(r.status().as_u16());
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(status, Some(401), "no secret: refused");
    let update = api.message_update(ANA as i64, ANA, "hello");
    let forged = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_2")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401, "wrong secret: refused");
    let garbage = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_1")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    assert_eq!(server.requests().len(), 0, "nothing reached the agent");
    let ok = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_1")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let calls = api
        .wait_for(WAIT, |c| !sent_to(c, "sendMessage", ANA as i64).is_empty())
        .await;
    assert_eq!(
        sent_to(&calls, "sendMessage", ANA as i64)[0]["text"],
        "Hi from the webhook."
    );
    assert!(
        calls.iter().all(|(m, _)| m != "getUpdates"),
        "no polling in webhook mode"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_validates_without_connecting_and_never_prints_tokens() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let server = ScriptedServer::start(vec![]).await.unwrap();
    config(home.path(), &api, "");
    let out = run(home.path(), &server, &["serve", "--check"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("telegram: long polling"), "{stdout}");
    assert!(stdout.contains("approval cards to chat -1001"), "{stdout}");
    assert!(
        stdout.contains("staff: 2 people (2 may approve)"),
        "{stdout}"
    );
    assert!(!stdout.contains("TEST-token"), "token printed: {stdout}");
    assert!(
        api.calls().is_empty(),
        "--check connected: {:?}",
        api.calls()
    );

    // Broken: webhook mode without its URL and secret, a staff id twice.
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        format!(
            "[telegram]\ntoken = \"{TOKEN}\"\nmode = \"webhook\"\n[[staff]]\nname = \"a\"\nrole = \"owner\"\ntelegram = 1\n[[staff]]\nname = \"b\"\nrole = \"staff\"\ntelegram = 1\n"
        ),
    )
    .unwrap();
    let out = run(home.path(), &server, &["serve", "--check"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("error: telegram: webhook mode needs webhook_url"),
        "{stdout}"
    );
    assert!(
        stdout.contains("telegram 1 belongs to both a and b"),
        "{stdout}"
    );

    // The token from the environment alone turns Telegram on.
    std::fs::remove_file(home.path().join("shopkeeper.toml")).unwrap();
    let out = command(home.path(), &server, &["serve", "--check"])
        .env("SHOPKEEPER_TELEGRAM_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("token ***ghij"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_in_the_terminal_answered_in_telegram() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeBotApi::start(TOKEN).await.unwrap();
    let server = ScriptedServer::start(vec![cancel_call(), Reply::text("Cancelled, as asked.")])
        .await
        .unwrap();
    config(home.path(), &api, "");
    let _serve = Serve::start(home.path(), &server);
    api.push_message(ANA as i64, ANA, "cancel #W6779827");
    api.wait_for(WAIT, |c| sent_to(c, "sendMessage", APPROVERS).len() == 1)
        .await;
    let approval_id = approvals(home.path(), &server)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(
        home.path(),
        &server,
        &["approvals", "approve", &approval_id],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("continues in telegram"),
        "{}",
        text(&out.stdout)
    );
    let calls = api
        .wait_for(WAIT, |c| {
            sent_to(c, "sendMessage", ANA as i64)
                .iter()
                .any(|m| m["text"] == "Cancelled, as asked.")
        })
        .await;
    assert_eq!(
        calls.iter().filter(|(m, _)| m == "editMessageText").count(),
        2,
        "{}",
        log(home.path())
    );
    assert!(
        sent_to(&calls, "sendMessage", ANA as i64)
            .iter()
            .any(|m| m["text"] == "Cancelled, as asked."),
        "{}",
        log(home.path())
    );
}
