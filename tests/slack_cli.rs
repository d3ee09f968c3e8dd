//! `shopkeeper serve` with the Slack front over the Events API, end to end: signed event
//! and interactivity requests posted to the binary's endpoint (forged, stale and replayed
//! ones refused), its slack-morphism client talking to a fake Web API on loopback, the
//! agent to the scripted OpenAI-compatible server.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_channels::slack::fake::{FakeSlackApi, sign};

mod fronts;
use fronts::{Serve, cancel_call, free_port, log};

use std::time::Duration;

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const WAIT: Duration = Duration::from_secs(60);

fn calls_of(calls: &[(String, Value)], method: &str) -> Vec<Value> {
    calls
        .iter()
        .filter(|(m, _)| m == method)
        .map(|(_, p)| p.clone())
        .collect()
}

fn has_buttons(message: &Value) -> bool {
    message["blocks"]
        .as_array()
        .is_some_and(|b| b.iter().any(|b| b["type"] == "actions"))
}

struct App {
    url: String,
    client: reqwest::Client,
}

impl App {
    async fn post(&self, path: &str, body: &str, ts: i64, signature: Option<String>) -> u16 {
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header("X-Slack-Request-Timestamp", ts.to_string())
            .body(body.to_string());
        if let Some(sig) = signature {
            request = request.header("X-Slack-Signature", sig);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn signed(&self, path: &str, body: &str) -> u16 {
        let now = chrono::Utc::now().timestamp();
        self.post(path, body, now, Some(sign(SECRET, now, body)))
            .await
    }

    async fn click(
        &self,
        user: &str,
        action: &str,
        approval_id: &str,
        channel: &str,
        ts: &str,
    ) -> u16 {
        let payload = click_payload(user, action, approval_id, channel, ts);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        self.signed("/slack/interactivity", &body).await
    }
}

/// A Block Kit button click as Slack sends it.
fn click_payload(user: &str, action: &str, approval_id: &str, channel: &str, ts: &str) -> Value {
    json!({
        "type": "block_actions", "team": {"id": "T0001", "domain": "shop"},
        "user": {"id": user, "username": user, "team_id": "T0001"},
        "api_app_id": "A0001", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "channel": {"id": channel, "name": "shop"},
        "actions": [{"type": "button", "action_id": action, "block_id": "b1",
                     "value": approval_id, "action_ts": "1700000200.1",
                     "text": {"type": "plain_text", "text": action}}]
    })
}

fn mention(event_id: &str, user: &str, text: &str, ts: &str) -> String {
    json!({"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001",
           "event": {"type": "app_mention", "user": user, "channel": "CSHOP", "text": text,
                     "ts": ts, "event_ts": ts},
           "event_id": event_id, "event_time": 1_700_000_100})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_an_approval_clicked_and_forged_requests_refused() {
    shopkeeper_agent::install_crypto_provider();
    let home = tempfile::tempdir().unwrap();
    let api = FakeSlackApi::start().await.unwrap();
    let server = ScriptedServer::start(vec![
        cancel_call(),
        Reply::text("Done: order #W6779827 is **cancelled**."),
        Reply::text("Our returns window is 30 days."),
    ])
    .await
    .unwrap();
    let port = free_port();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        format!(
            r#"store_name = "Test Shop"
[serve]
listen = "127.0.0.1:{port}"
relay_interval_ms = 200

[slack]
mode = "events"
bot_token = "xoxb-test-token"
signing_secret = "{SECRET}"
api_url = "{}"
approvals_channel = "CAPPROVE"

[[staff]]
name = "ana"
role = "manager"
slack = "UANA"
"#,
            api.url()
        ),
    )
    .unwrap();
    let _serve = Serve::start(home.path(), &server);
    let app = App {
        url: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
    };
    // Slack's URL check, once the listener is up.
    let challenge =
        json!({"type": "url_verification", "token": "x", "challenge": "c-123"}).to_string();
    let mut answered = None;
    for _ in 0..200 {
        let now = chrono::Utc::now().timestamp();
        let sent = app
            .client
            .post(format!("{}/slack/events", app.url))
            .header("X-Slack-Request-Timestamp", now.to_string())
            .header("X-Slack-Signature", sign(SECRET, now, &challenge))
            .body(challenge.clone())
            .send()
            .await;
        match sent {
            Ok(r) => {
                answered = Some(r.json::<Value>().await.unwrap());
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(
        answered,
        Some(json!({"challenge": "c-123"})),
        "{}",
        log(home.path())
    );
    assert!(calls_of(&api.calls(), "auth.test").len() == 1);

    // Forged, stale, unsigned: refused, nothing reaches the agent.
    let body = mention(
        "Ev1",
        "UANA",
        "<@UBOT0001> cancel order #W6779827",
        "1700000100.000001",
    );
    let now = chrono::Utc::now().timestamp();
    let forged = sign("not-the-secret", now, &body);
    assert_eq!(
        app.post("/slack/events", &body, now, Some(forged)).await,
        401
    );
    let old = now - 600;
    assert_eq!(
        app.post("/slack/events", &body, old, Some(sign(SECRET, old, &body)))
            .await,
        401,
        "stale"
    );
    assert_eq!(app.post("/slack/events", &body, now, None).await, 401);
    let tampered = body.replace("cancel", "refund");
    assert_eq!(
        app.post(
            "/slack/events",
            &tampered,
            now,
            Some(sign(SECRET, now, &body))
        )
        .await,
        401
    );
    assert!(server.requests().is_empty());

    // The real mention, then the same request replayed.
    let signature = sign(SECRET, now, &body);
    assert_eq!(
        app.post("/slack/events", &body, now, Some(signature.clone()))
            .await,
        200
    );
    assert_eq!(
        app.post("/slack/events", &body, now, Some(signature)).await,
        401,
        "replayed"
    );
    let calls = api
        .wait_for(WAIT, |c| {
            calls_of(c, "chat.postMessage")
                .iter()
                .filter(|m| has_buttons(m))
                .count()
                == 2
        })
        .await;
    let posts = calls_of(&calls, "chat.postMessage");
    let waiting = posts
        .iter()
        .find(|m| {
            m["text"]
                .as_str()
                .unwrap_or("")
                .contains("Waiting for approval")
        })
        .unwrap_or_else(|| panic!("{posts:?}\n{}", log(home.path())));
    assert_eq!(waiting["channel"], "CSHOP");
    assert_eq!(
        waiting["thread_ts"], "1700000100.000001",
        "replies in the mention's thread"
    );
    let cards: Vec<&Value> = posts.iter().filter(|m| has_buttons(m)).collect();
    let mut channels: Vec<&str> = cards
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    channels.sort();
    assert_eq!(channels, vec!["CAPPROVE", "CSHOP"]);
    let actions = cards[0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap()["elements"]
        .clone();
    let approval_id = actions[0]["value"].as_str().unwrap().to_string();
    assert_eq!(actions[0]["action_id"], "approve");
    assert_eq!(actions[1]["action_id"], "reject");
    assert_eq!(
        actions[1]["value"],
        approval_id.as_str(),
        "buttons carry only the id"
    );
    let group_card = cards.iter().find(|c| c["channel"] == "CAPPROVE").unwrap()["ts"]
        .as_str()
        .unwrap()
        .to_string();

    // A customer clicks: told privately, nothing changes.
    assert_eq!(
        app.click("UCUST", "approve", &approval_id, "CAPPROVE", &group_card)
            .await,
        200
    );
    let calls = api
        .wait_for(WAIT, |c| !calls_of(c, "chat.postEphemeral").is_empty())
        .await;
    let told = &calls_of(&calls, "chat.postEphemeral")[0];
    assert_eq!(told["user"], "UCUST");
    assert!(
        told["text"].as_str().unwrap().contains("Not allowed"),
        "{told}"
    );
    assert!(calls_of(&calls, "chat.update").is_empty());

    // Ana approves: both cards updated, the answer lands in the thread.
    assert_eq!(
        app.click("UANA", "approve", &approval_id, "CAPPROVE", &group_card)
            .await,
        200
    );
    let calls = api
        .wait_for(WAIT, |c| {
            calls_of(c, "chat.postMessage")
                .iter()
                .any(|m| m["text"].as_str().unwrap_or("").contains("cancelled"))
        })
        .await;
    let updates = calls_of(&calls, "chat.update");
    assert_eq!(updates.len(), 2, "{updates:?}\n{}", log(home.path()));
    for u in &updates {
        assert!(!has_buttons(u), "decided cards have no buttons");
        let text = u["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(text.contains("Approved") && text.contains("ana"), "{text}");
    }
    let answer = calls_of(&calls, "chat.postMessage")
        .into_iter()
        .find(|m| m["text"].as_str().unwrap_or("").contains("cancelled"))
        .unwrap();
    assert_eq!(answer["text"], "Done: order #W6779827 is *cancelled*.");
    assert_eq!(answer["thread_ts"], "1700000100.000001");

    // A customer's direct message: answered in the DM itself, with the customer prompt.
    let dm = json!({"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001",
        "event": {"type": "message", "user": "UCUST", "channel": "DCUST", "channel_type": "im",
                  "text": "what is your returns policy?", "ts": "1700000400.000001"},
        "event_id": "Ev2", "event_time": 1_700_000_400})
    .to_string();
    assert_eq!(app.signed("/slack/events", &dm).await, 200);
    let calls = api
        .wait_for(WAIT, |c| {
            calls_of(c, "chat.postMessage")
                .iter()
                .any(|m| m["channel"] == "DCUST")
        })
        .await;
    let reply = calls_of(&calls, "chat.postMessage")
        .into_iter()
        .find(|m| m["channel"] == "DCUST")
        .unwrap();
    assert_eq!(reply["text"], "Our returns window is 30 days.");
    assert!(reply.get("thread_ts").is_none(), "{reply}");
    let system = server.requests()[2]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        system.contains("customer service agent") && !system.contains("You are Shopkeeper"),
        "the customer's conversation uses the customer-service prompt: {system}"
    );
    assert_eq!(server.remaining(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_needs_no_public_url() {
    shopkeeper_agent::install_crypto_provider();
    let home = tempfile::tempdir().unwrap();
    let api = FakeSlackApi::start().await.unwrap();
    let server = ScriptedServer::start(vec![
        cancel_call(),
        Reply::text("Cancelled over Socket Mode."),
    ])
    .await
    .unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        format!(
            "[slack]\nbot_token = \"xoxb-test\"\napp_token = \"xapp-test\"\napi_url = \"{}\"\n\n[[staff]]\nname = \"ana\"\nrole = \"manager\"\nslack = \"UANA\"\n",
            api.url()
        ),
    )
    .unwrap();
    let _serve = Serve::start(home.path(), &server);
    let calls = api
        .wait_for(WAIT, |c| c.iter().any(|(m, _)| m == "socket.hello"))
        .await;
    assert!(
        calls.iter().any(|(m, _)| m == "apps.connections.open"),
        "{}",
        log(home.path())
    );
    let body: Value = serde_json::from_str(&mention(
        "Ev9",
        "UANA",
        "<@UBOT0001> cancel #W6779827",
        "1700000300.000001",
    ))
    .unwrap();
    let envelope = api.push_event(body);
    let calls = api
        .wait_for(WAIT, |c| {
            calls_of(c, "chat.postMessage").iter().any(has_buttons)
        })
        .await;
    let acks = calls_of(&calls, "ack");
    assert!(
        acks.iter().any(|a| a["envelope_id"] == envelope.as_str()),
        "the envelope was acknowledged: {acks:?}"
    );
    let card = calls_of(&calls, "chat.postMessage")
        .into_iter()
        .find(has_buttons)
        .unwrap();
    assert_eq!(card["thread_ts"], "1700000300.000001");
    let approval_id = card["blocks"][1]["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    api.push_interaction(click_payload(
        "UANA",
        "approve",
        &approval_id,
        "CSHOP",
        card["ts"].as_str().unwrap(),
    ));
    let calls = api
        .wait_for(WAIT, |c| {
            calls_of(c, "chat.postMessage")
                .iter()
                .any(|m| m["text"] == "Cancelled over Socket Mode.")
        })
        .await;
    let updates = calls_of(&calls, "chat.update");
    assert_eq!(updates.len(), 1, "{updates:?}\n{}", log(home.path()));
    assert!(!has_buttons(&updates[0]));
}
