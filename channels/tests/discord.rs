//! The Discord front with the real hub and agent (built-in store, scripted model): gateway
//! events as Discord sends them, fed to the front; its serenity HTTP client talking to a
//! fake Discord API on loopback. A direct message, an approval card clicked by a customer
//! (refused, ephemeral) and by a manager (acknowledged at once, cards edited, answer posted).

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use serenity::all::{Interaction, Message};
use shopkeeper_agent::config::StaffMember;
use shopkeeper_agent::llm::openai::{OpenAiModel, OpenAiSettings};
use shopkeeper_agent::llm::retry::RetryPolicy;
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_agent::{Agent, AgentSettings, Approvals, Decider};
use shopkeeper_channels::config::DiscordConfig;
use shopkeeper_channels::discord::Discord;
use shopkeeper_channels::discord::fake::{self, FakeDiscordApi, posts_to};
use shopkeeper_channels::{Directory, Hub, Secret};
use shopkeeper_memory::AppDb;
use shopkeeper_tools::retail::RetailStore;
use shopkeeper_tools::{Caller, LocalStore, Policy, Role, Semantics, local_registry};
use std::sync::Arc;
use std::time::Duration;

const ANA: u64 = 111;
const STRANGER: u64 = 555;
const DM: u64 = 5000;
const APPROVERS: u64 = 7000;
const WAIT: Duration = Duration::from_secs(30);

struct Fixture {
    api: FakeDiscordApi,
    server: ScriptedServer,
    hub: Arc<Hub>,
    discord: Arc<Discord>,
    store: LocalStore,
    _dir: tempfile::TempDir,
}

fn agent(server: &ScriptedServer, store: &LocalStore, db: AppDb) -> Agent {
    let registry = Arc::new(local_registry(store.clone(), Policy::default()).unwrap());
    let model = OpenAiModel::new(OpenAiSettings {
        base_url: server.base_url(),
        api_key: "test".into(),
        model: "scripted".into(),
        temperature: None,
        timeout: Duration::from_secs(10),
        retry: RetryPolicy::default(),
        stream: false,
    })
    .unwrap();
    Agent::new(
        Arc::new(model),
        registry,
        db,
        "You are a test.".into(),
        AgentSettings::default(),
    )
}

/// A hub with a Discord front talking to `api`.
async fn hub(agent: Agent, api: &FakeDiscordApi) -> (Arc<Hub>, Arc<Discord>) {
    let staff = [StaffMember {
        name: "ana".into(),
        role: Role::Manager,
        telegram: None,
        slack: None,
        discord: Some(ANA),
    }];
    let hub = Arc::new(Hub::new(
        Arc::new(agent),
        Directory::new(&staff),
        "Test Shop",
    ));
    let discord = Arc::new(
        Discord::new(&DiscordConfig {
            token: Some(Secret::new("discord-test-token")),
            api_url: Some(api.url()),
            approvals_channel: Some(APPROVERS),
        })
        .unwrap(),
    );
    discord.connect().await.unwrap();
    hub.attach(discord.clone());
    (hub, discord)
}

async fn database(dir: &tempfile::TempDir) -> AppDb {
    AppDb::connect(&format!(
        "sqlite://{}/app.sqlite?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap()
}

async fn fixture(replies: Vec<Reply>) -> Fixture {
    shopkeeper_agent::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(replies).await.unwrap();
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let agent = agent(&server, &store, database(&dir).await);
    let api = FakeDiscordApi::start().await.unwrap();
    let (hub, discord) = hub(agent, &api).await;
    Fixture {
        api,
        server,
        hub,
        discord,
        store,
        _dir: dir,
    }
}

fn custom_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_and_a_button_clicked_through_serenity() {
    let f = fixture(vec![
        Reply::tools(&[(
            "cancel_pending_order",
            json!({"order_id": "#W6779827", "reason": "no longer needed"}),
        )]),
        Reply::text("Cancelled **#W6779827**."),
    ])
    .await;
    let calls = f.api.calls();
    assert_eq!(calls[0].1, "users/@me");

    // In a guild, a message that does not mention the bot is not for it.
    let chatter: Message =
        serde_json::from_value(fake::message(1, 6000, ANA, "lunch?", Some(1))).unwrap();
    f.discord.on_message(f.hub.clone(), chatter);
    let dm: Message = serde_json::from_value(fake::message(
        2,
        DM,
        ANA,
        "cancel order #W6779827, no longer needed",
        None,
    ))
    .unwrap();
    f.discord.on_message(f.hub.clone(), dm);
    let calls = f
        .api
        .wait_for(WAIT, |c| posts_to(c, APPROVERS).len() == 1)
        .await;
    assert!(posts_to(&calls, 6000).is_empty());
    assert!(
        calls
            .iter()
            .any(|(m, p, _)| m == "POST" && *p == format!("channels/{DM}/typing")),
        "typing indicator"
    );
    let in_dm = posts_to(&calls, DM);
    assert!(
        in_dm[0]["content"]
            .as_str()
            .unwrap()
            .contains("Waiting for approval"),
        "{in_dm:?}"
    );
    let card = &posts_to(&calls, APPROVERS)[0];
    let ids = custom_ids(card);
    let approval_id = ids[0].strip_prefix("approve:").unwrap().to_string();
    assert_eq!(
        ids,
        vec![
            format!("approve:{approval_id}"),
            format!("reject:{approval_id}")
        ]
    );
    assert_eq!(
        custom_ids(&in_dm[1]),
        ids,
        "the card also shows in the asking DM"
    );

    // A customer clicks: an ephemeral refusal, nothing else.
    let click: Interaction = serde_json::from_value(fake::click(
        10,
        APPROVERS,
        STRANGER,
        1001,
        &format!("approve:{approval_id}"),
    ))
    .unwrap();
    f.discord.on_interaction(&f.hub, click).await.unwrap();
    let calls = f.api.calls();
    let refusal = calls
        .iter()
        .find(|(_, p, _)| p == "interactions/10/tok10/callback")
        .unwrap();
    assert_eq!(refusal.2["type"], 4);
    assert_eq!(refusal.2["data"]["flags"], 64, "ephemeral");
    assert!(
        refusal.2["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Not allowed")
    );
    assert!(calls.iter().all(|(m, _, _)| m != "PATCH"));
    let order = f.store.order("#W6779827").await.unwrap();
    assert_eq!(serde_json::to_value(order.status).unwrap(), "pending");

    // Ana approves: acknowledged first (type 6), both cards edited, the answer in the DM.
    let click: Interaction = serde_json::from_value(fake::click(
        11,
        APPROVERS,
        ANA,
        1001,
        &format!("approve:{approval_id}"),
    ))
    .unwrap();
    f.discord.on_interaction(&f.hub, click).await.unwrap();
    let calls = f.api.wait_for(WAIT, |c| posts_to(c, DM).len() == 3).await;
    let ack_at = calls
        .iter()
        .position(|(_, p, _)| p == "interactions/11/tok11/callback")
        .unwrap();
    assert_eq!(
        calls[ack_at].2["type"], 6,
        "deferred update: acknowledged, no message"
    );
    let edits: Vec<&(String, String, Value)> =
        calls.iter().filter(|(m, _, _)| m == "PATCH").collect();
    assert_eq!(edits.len(), 2, "{edits:?}");
    for (_, _, body) in &edits {
        assert!(body["content"].as_str().unwrap().contains("Approved"));
        assert_eq!(body["components"], json!([]), "no buttons once decided");
    }
    let first_edit = calls.iter().position(|(m, _, _)| m == "PATCH").unwrap();
    assert!(ack_at < first_edit, "acknowledged before the decision ran");
    assert_eq!(
        posts_to(&calls, DM)[2]["content"],
        "Cancelled **#W6779827**."
    );
    let order = f.store.order("#W6779827").await.unwrap();
    assert_eq!(serde_json::to_value(order.status).unwrap(), "cancelled");
    assert_eq!(f.server.remaining(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_on_one_database_post_and_edit_each_card_once() {
    shopkeeper_agent::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(vec![]).await.unwrap();
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let api = FakeDiscordApi::start().await.unwrap();
    // Two `serve` processes' hubs over one application database.
    let (a, _) = hub(agent(&server, &store, database(&dir).await), &api).await;
    let (b, _) = hub(agent(&server, &store, database(&dir).await), &api).await;
    // An approval asked for elsewhere (as `shopkeeper tool call` would).
    let registry = Arc::new(local_registry(store.clone(), Policy::default()).unwrap());
    let approvals = Approvals::new(database(&dir).await, registry);
    let asked = approvals
        .request(
            &Caller::new("cli", Role::Owner),
            "cancel_pending_order",
            &json!({"order_id": "#W6779827", "reason": "no longer needed"}),
        )
        .await
        .unwrap()
        .unwrap();
    let (ra, rb) = tokio::join!(a.flush(), b.flush());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        posts_to(&api.calls(), APPROVERS).len(),
        1,
        "one card, not one per relay"
    );

    let decider = Decider::terminal(Some("owner"), Role::Owner);
    approvals.approve(&asked.id, &decider).await.unwrap();
    let (ra, rb) = tokio::join!(a.flush(), b.flush());
    ra.unwrap();
    rb.unwrap();
    let edits: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|(m, _, _)| m == "PATCH")
        .collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert!(edits[0].2["content"].as_str().unwrap().contains("Approved"));
}
