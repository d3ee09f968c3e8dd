//! `shopkeeper ask` and `shopkeeper chat` as separate processes against a scripted
//! OpenAI-compatible server on loopback.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn shopkeeper(home: &Path, server: Option<&ScriptedServer>, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
    cmd.args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_MODEL")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(s) = server {
        cmd.env("OPENAI_BASE_URL", s.base_url())
            .env("SHOPKEEPER_MODEL", "scripted");
    }
    let mut child = cmd.spawn().unwrap();
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

#[test]
fn without_a_model_ask_says_how_to_configure_one() {
    let home = tempfile::tempdir().unwrap();
    // No language model, and no embedding model for the offline router either.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
    let out = cmd
        .args(["ask", "hello"])
        .current_dir(home.path())
        .env("SHOPKEEPER_HOME", home.path())
        .env("SHOPKEEPER_MODEL_DIR", home.path().join("no-model"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_MODEL")
        .env_remove("SHOPKEEPER_ROUTER")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("OPENAI_API_KEY") && err.contains("OPENAI_BASE_URL=http://localhost:11434/v1"),
        "{err}"
    );
    assert!(err.contains("models fetch"), "{err}");

    assert!(!err.contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_and_a_new_process_continues_the_conversation() {
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(vec![
        Reply::tools(&[("get_order_details", json!({"order_id": "#W6779827"}))]),
        Reply::text("Order #W6779827 is pending."),
        Reply::text("You asked about #W6779827."),
    ])
    .await
    .unwrap();
    let h = home.path().to_path_buf();
    let s = &server;
    let first = tokio::task::block_in_place(|| {
        shopkeeper(&h, Some(s), &["ask", "Where is order #W6779827?"], "")
    });
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout), "Order #W6779827 is pending.\n");
    let err = text(&first.stderr);
    let id = err
        .lines()
        .find_map(|l| l.strip_prefix("conversation: "))
        .unwrap()
        .trim()
        .to_string();

    let second = tokio::task::block_in_place(|| {
        shopkeeper(
            &h,
            Some(s),
            &["ask", "What did I ask?", "--conversation", &id],
            "",
        )
    });
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), "You asked about #W6779827.\n");
    let last = server.requests().pop().unwrap();
    let roles: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
    assert_eq!(last["messages"][1]["content"], "Where is order #W6779827?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_shows_a_change_waiting_for_approval_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(vec![Reply::tools(&[(
        "cancel_pending_order",
        json!({"order_id": "#W6779827", "reason": "no longer needed"}),
    )])])
    .await
    .unwrap();
    let h = home.path().to_path_buf();
    let out = tokio::task::block_in_place(|| {
        shopkeeper(&h, Some(&server), &["ask", "Cancel #W6779827"], "")
    });
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "Waiting for approval:
- "
        ) && stdout.contains("(needs manager): Cancel order #W6779827"),
        "{stdout}"
    );
    let hash = tokio::task::block_in_place(|| shopkeeper(&h, None, &["store", "hash"], ""));
    let v: Value = serde_json::from_slice(&hash.stdout).unwrap();
    assert_eq!(
        v["sha256"],
        "b25c9cb211f5efcaee5dd646054a73c4a9f43f4f5acc32c10713cd9f9ac20e9c"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_answers_shows_tool_calls_and_obeys_commands() {
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(vec![
        Reply::tools(&[(
            "find_user_id_by_email",
            json!({"email": "ethan.lopez8943@example.com"}),
        )]),
        Reply::text("That is ethan_lopez_6291."),
        Reply::text("Fresh start."),
    ])
    .await
    .unwrap();
    let h = home.path().to_path_buf();
    let input = "Who is ethan.lopez8943@example.com?\n/new\nhello\n/quit\nnot sent\n";
    let out = tokio::task::block_in_place(|| shopkeeper(&h, Some(&server), &["chat"], input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("→ find_user_id_by_email {\"email\":\"ethan.lopez8943@example.com\"}"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ find_user_id_by_email"), "{stdout}");
    assert!(
        stdout.contains("shopkeeper> That is ethan_lopez_6291."),
        "{stdout}"
    );
    assert!(stdout.contains("New conversation"), "{stdout}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "nothing after /quit");
    assert_eq!(
        requests[2]["messages"].as_array().unwrap().len(),
        2,
        "/new starts without history"
    );
    assert_eq!(requests[2]["stream"], true);
}

#[test]
fn config_prints_the_effective_settings_with_secrets_masked() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        "store_name = \"Acme\"\n[llm]\napi_key = \"sk-secret-abcdef123456\"\n\
         [telegram]\ntoken = \"123456:telegram-secret-wxyz\"\napprovals_chat = -100042\n",
    )
    .unwrap();
    let out = shopkeeper(home.path(), None, &["config"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("store_name = \"Acme\""), "{stdout}");
    assert!(
        stdout.contains("***3456") && !stdout.contains("sk-secret"),
        "{stdout}"
    );
    // The fronts' sections too, their tokens masked.
    assert!(stdout.contains("[telegram]"), "{stdout}");
    assert!(stdout.contains("approvals_chat = -100042"), "{stdout}");
    assert!(
        stdout.contains("***wxyz") && !stdout.contains("telegram-secret"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_decides_approvals_in_place_and_continues() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().unwrap();
    let server = ScriptedServer::start(vec![
        Reply::tools(&[("modify_pending_order_address", json!({"order_id": "#W6779827", "address1": "12 Right Road", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "78702"}))]),
        Reply::text("The new address is set."),
    ])
    .await
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .arg("chat")
        .current_dir(home.path())
        .env("SHOPKEEPER_HOME", home.path())
        .env("OPENAI_BASE_URL", server.base_url())
        .env("SHOPKEEPER_MODEL", "scripted")
        .env_remove("OPENAI_API_KEY")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let transcript = tokio::task::block_in_place(move || {
        writeln!(stdin, "Ship #W6779827 to 12 Right Road, Austin TX 78702").unwrap();
        let mut seen = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            seen.push(line.clone());
            if let Some(rest) = line.split("waiting for approval ").nth(1) {
                let id = rest.split_whitespace().next().unwrap().to_string();
                writeln!(stdin, "/pending\n/approve {id}\n/quit").unwrap();
                break;
            }
        }
        seen.extend(lines.map(|l| l.unwrap()));
        seen.join("\n")
    });
    assert!(child.wait().unwrap().success());
    assert!(
        transcript.contains("(needs staff): Ship order #W6779827"),
        "{transcript}"
    );
    assert!(
        transcript.contains("approved Ship order #W6779827"),
        "{transcript}"
    );
    assert!(
        transcript.contains("shopkeeper> The new address is set."),
        "the run resumed: {transcript}"
    );
    let out = shopkeeper(
        home.path(),
        None,
        &[
            "tool",
            "call",
            "get_order_details",
            r##"{"order_id": "#W6779827"}"##,
        ],
        "",
    );
    let order: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(order["address"]["address1"], "12 Right Road");
}
