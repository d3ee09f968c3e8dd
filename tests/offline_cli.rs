//! Offline mode through the binary: no language model configured, the local router
//! answers direct requests from the store and writes still wait for approval.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(home: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_MODEL")
        .env_remove("SHOPKEEPER_ROUTER")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn model_installed() -> bool {
    let ok = std::env::var("SHOPKEEPER_MODEL_DIR")
        .is_ok_and(|d| Path::new(&d).join("model.safetensors").is_file());
    if !ok {
        eprintln!(
            "notice: SHOPKEEPER_MODEL_DIR has no embedding model; run `shopkeeper models fetch` to run this test"
        );
    }
    ok
}

#[test]
fn offline_mode_answers_from_the_store_and_writes_wait_for_approval() {
    if !model_installed() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let order = run(
        home.path(),
        &[
            "tool",
            "call",
            "get_order_details",
            r##"{"order_id":"#W5490111"}"##,
        ],
        "",
    );
    let order: serde_json::Value = serde_json::from_slice(&order.stdout).unwrap();
    let status = order["status"].as_str().unwrap().to_string();

    let out = run(home.path(), &["ask", "where is my ordr #W5490111?"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer = text(&out.stdout);
    assert!(
        answer.contains("#W5490111") && answer.contains(&status),
        "{answer}"
    );
    assert!(text(&out.stderr).contains("offline mode"));

    // Missing arguments: it asks for exactly those.
    let out = run(home.path(), &["ask", "I want to cancel my order"], "");
    let answer = text(&out.stdout);
    assert!(
        answer.contains("order id") && answer.contains("reason"),
        "{answer}"
    );

    // Out of scope: it says it does not know rather than guessing.
    let out = run(home.path(), &["ask", "write me a poem about the sea"], "");
    assert!(
        text(&out.stdout).contains("don't know"),
        "{}",
        text(&out.stdout)
    );

    // A change waits for a human, through the same approvals as a language model's.
    let pending = run(
        home.path(),
        &[
            "tool",
            "call",
            "get_user_details",
            r#"{"user_id":"mia_garcia_4516"}"#,
        ],
        "",
    );
    assert!(pending.status.success());
    let out = run(
        home.path(),
        &["ask", "please cancel #W1006327, I no longer need it"],
        "",
    );
    let answer = text(&out.stdout);
    assert!(answer.contains("Waiting for approval"), "{answer}");
    assert!(answer.contains("no longer needed"), "{answer}");
    let still = run(
        home.path(),
        &[
            "tool",
            "call",
            "get_order_details",
            r##"{"order_id":"#W1006327"}"##,
        ],
        "",
    );
    let still: serde_json::Value = serde_json::from_slice(&still.stdout).unwrap();
    assert_eq!(still["status"], "pending", "nothing runs before approval");

    // A product named rather than numbered is looked up in memory, then its details read.
    let synced = run(home.path(), &["sync"], "");
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let out = run(
        home.path(),
        &["ask", "what colors does the office chair come in"],
        "",
    );
    let answer = text(&out.stdout);
    assert!(
        answer.contains("Office Chair (") && answer.contains("variants"),
        "{answer}"
    );

    // Chat announces offline mode once, and greets.
    let out = run(home.path(), &["chat"], "hello\n/quit\n");
    let shown = text(&out.stdout);
    assert_eq!(shown.matches("Offline mode").count(), 1, "{shown}");
    assert!(shown.contains("Hello!"), "{shown}");
}

/// `router = "first"`: with a language model configured, the router answers what it is
/// sure of (the model is never called) and hands the rest to the model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_first_answers_what_it_knows_and_hands_the_rest_to_the_model() {
    use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
    if !model_installed() {
        return;
    }
    let server = ScriptedServer::start(vec![Reply::text("A poem is not in stock, sorry.")])
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let ask = |message: &str| {
        Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
            .args(["ask", message])
            .current_dir(home.path())
            .env("SHOPKEEPER_HOME", home.path())
            .env("OPENAI_BASE_URL", server.base_url())
            .env("SHOPKEEPER_MODEL", "scripted")
            .env("SHOPKEEPER_ROUTER", "first")
            .env_remove("OPENAI_API_KEY")
            .env_remove("SHOPKEEPER_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = ask("where is my order #W5490111");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("#W5490111"),
        "{}",
        text(&out.stdout)
    );
    assert!(!text(&out.stderr).contains("offline mode"));
    assert!(server.requests().is_empty(), "the model was not needed");

    let out = ask("write me a poem about the sea");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "A poem is not in stock, sorry.");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn offline_answers_never_fail_on_a_tools_result() {
    if !model_installed() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // `calculate` returns a number, which the answer templates once could not show.
    let out = run(home.path(), &["ask", "how much is 49.99 * 3 + 5 ?"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer = text(&out.stdout);
    assert!(answer.contains("154.97"), "{answer}");
    assert!(
        !text(&out.stderr).contains("cannot convert"),
        "{}",
        text(&out.stderr)
    );
}
