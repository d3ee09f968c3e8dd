//! `shopkeeper serve` with the Discord front, end to end: the binary's serenity client
//! connects to a fake gateway (hello, identify, READY, heartbeats) and a fake REST API on
//! loopback; a direct message arrives as `MESSAGE_CREATE`, the card's button click as
//! `INTERACTION_CREATE`.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_channels::discord::fake::{self, FakeDiscordApi, posts_to};
use std::time::Duration;

mod fronts;
use fronts::{Serve, cancel_call, log};

const ANA: u64 = 111;
const DM: u64 = 5000;
const APPROVERS: u64 = 7000;
const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_on_the_discord_gateway_and_decides_a_clicked_card() {
    let home = tempfile::tempdir().unwrap();
    let api = FakeDiscordApi::start().await.unwrap();
    let server = ScriptedServer::start(vec![cancel_call(), Reply::text("Cancelled it.")])
        .await
        .unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        format!(
            "[discord]\ntoken = \"discord-test-token\"\napi_url = \"{}\"\napprovals_channel = {APPROVERS}\n\n[[staff]]\nname = \"ana\"\nrole = \"manager\"\ndiscord = {ANA}\n",
            api.url()
        ),
    )
    .unwrap();
    let _serve = Serve::start(home.path(), &server);
    let calls = api
        .wait_for(WAIT, |c| c.iter().any(|(m, _, _)| m == "GATEWAY"))
        .await;
    let identify = calls
        .iter()
        .find(|(m, _, _)| m == "GATEWAY")
        .unwrap_or_else(|| panic!("no identify: {calls:?}"));
    assert_eq!(
        identify.2["token"],
        "Bot discord-test-token",
        "{}",
        log(home.path())
    );
    // Guild messages, DMs and message content.
    let intents = identify.2["intents"].as_u64().unwrap();
    assert_eq!(
        intents & (1 << 9 | 1 << 12 | 1 << 15),
        1 << 9 | 1 << 12 | 1 << 15
    );

    api.dispatch(
        "MESSAGE_CREATE",
        fake::message(1, DM, ANA, "cancel order #W6779827 please", None),
    );
    let calls = api
        .wait_for(WAIT, |c| posts_to(c, APPROVERS).len() == 1)
        .await;
    let card = &posts_to(&calls, APPROVERS)[0];
    let approve = card["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{card}\n{}", log(home.path())))
        .to_string();
    assert!(approve.starts_with("approve:"));
    assert!(
        posts_to(&calls, DM)[0]["content"]
            .as_str()
            .unwrap()
            .contains("Waiting for approval")
    );

    api.dispatch(
        "INTERACTION_CREATE",
        fake::click(77, APPROVERS, ANA, 1001, &approve),
    );
    let calls = api
        .wait_for(WAIT, |c| {
            posts_to(c, DM)
                .iter()
                .any(|m| m["content"] == "Cancelled it.")
        })
        .await;
    let ack = calls
        .iter()
        .find(|(_, p, _)| p == "interactions/77/tok77/callback")
        .unwrap_or_else(|| panic!("{calls:?}\n{}", log(home.path())));
    assert_eq!(ack.2["type"], 6);
    let edits = calls.iter().filter(|(m, _, _)| m == "PATCH").count();
    assert_eq!(edits, 2, "both cards show the decision");
    assert_eq!(server.remaining(), 0);
}
