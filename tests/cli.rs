//! The `shopkeeper` binary's public interface, driven as a user's script would.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const INITIAL_HASH: &str = "b25c9cb211f5efcaee5dd646054a73c4a9f43f4f5acc32c10713cd9f9ac20e9c";
const TASKS: &str = include_str!("../tools/tests/fixtures/tau2-retail/tasks.json");
const EXPECTED: &str = include_str!("../tools/tests/fixtures/tau2-retail/expected_hashes.tsv");

fn shopkeeper(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(args)
        .env("SHOPKEEPER_HOME", home)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn store_hash(home: &Path) -> String {
    let out = shopkeeper(home, &["store", "hash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert!(
        line.starts_with("{\"sha256\": \""),
        "documented spelling: {line}"
    );
    let v: Value = serde_json::from_str(&line).unwrap();
    v["sha256"].as_str().unwrap().to_string()
}

#[test]
fn a_new_data_directory_holds_the_seeded_store() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(store_hash(home.path()), INITIAL_HASH);
    assert!(home.path().join("store.sqlite").is_file());
}

#[test]
fn tool_list_json_describes_every_tool() {
    let home = tempfile::tempdir().unwrap();
    let out = shopkeeper(home.path(), &["tool", "list", "--json"]);
    assert!(out.status.success());
    let tools: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(tools.len() >= 16, "the 16 retail tools and more");
    for name in ["cancel_pending_order", "get_ticket", "send_ticket_reply"] {
        assert!(tools.iter().any(|t| t["name"] == name), "{name}");
    }
    let cancel = tools
        .iter()
        .find(|t| t["name"] == "cancel_pending_order")
        .unwrap();
    assert_eq!(cancel["effect"], "money");
    assert_eq!(cancel["idempotent"], false);
    assert_eq!(
        cancel["parameters"]["required"],
        json!(["order_id", "reason"])
    );
    let table = stdout(&shopkeeper(home.path(), &["tool", "list"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("get_order_details") && l.contains("read"))
    );
}

#[test]
fn reads_print_the_result_as_json() {
    let home = tempfile::tempdir().unwrap();
    let out = shopkeeper(
        home.path(),
        &[
            "tool",
            "call",
            "get_order_details",
            r##"{"order_id": "#W6779827"}"##,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let order: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(order["user_id"], "ethan_lopez_6291");
    assert_eq!(order["status"], "pending");
}

#[test]
fn a_write_needs_confirmation_and_runs_once_with_yes() {
    let home = tempfile::tempdir().unwrap();
    let args = r##"{"order_id": "#W6779827", "reason": "no longer needed"}"##;
    let refused = shopkeeper(home.path(), &["tool", "call", "cancel_pending_order", args]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("Cancel order #W6779827"),
        "shows what it would do"
    );
    assert!(stderr(&refused).contains("--yes"));
    assert_eq!(store_hash(home.path()), INITIAL_HASH, "nothing ran");

    let done = shopkeeper(
        home.path(),
        &["tool", "call", "--yes", "cancel_pending_order", args],
    );
    assert!(done.status.success(), "{}", stderr(&done));
    let order: Value = serde_json::from_str(&stdout(&done)).unwrap();
    assert_eq!(order["status"], "cancelled");
    let after = store_hash(home.path());
    assert_ne!(after, INITIAL_HASH);

    let again = shopkeeper(
        home.path(),
        &["tool", "call", "--yes", "cancel_pending_order", args],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("rejected"), "{}", stderr(&again));
    assert_eq!(
        store_hash(home.path()),
        after,
        "a refused write changes nothing"
    );
}

#[test]
fn bad_input_gets_a_clear_error_and_a_nonzero_exit() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["tool", "call", "refund_everything", "{}"],
            2,
            "unknown tool",
        ),
        (
            &["tool", "call", "get_order_details", "{not json"],
            2,
            "not valid JSON",
        ),
        (
            &[
                "tool",
                "call",
                "--yes",
                "cancel_pending_order",
                r##"{"order_id": "#W6779827", "reason": "bored"}"##,
            ],
            2,
            "/reason",
        ),
        (
            &[
                "tool",
                "call",
                "--yes",
                "modify_user_address",
                r#"{"user_id": "x"}"#,
            ],
            2,
            "address1",
        ),
        (
            &[
                "tool",
                "call",
                "get_order_details",
                r##"{"order_id": "#W0000000"}"##,
            ],
            1,
            "order not found: #W0000000",
        ),
    ];
    for (args, code, needle) in cases {
        let out = shopkeeper(home.path(), args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(store_hash(home.path()), INITIAL_HASH);
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path
}

#[test]
fn replay_uses_a_fresh_store_and_reports_each_action() {
    let home = tempfile::tempdir().unwrap();
    // Change the persistent store first: replay must not see or touch it.
    let cancel = r##"{"order_id": "#W6779827", "reason": "no longer needed"}"##;
    assert!(
        shopkeeper(
            home.path(),
            &["tool", "call", "--yes", "cancel_pending_order", cancel]
        )
        .status
        .success()
    );
    let persistent = store_hash(home.path());

    let lines = vec![
        json!({"name": "get_order_details", "arguments": {"order_id": "#W6779827"}}).to_string(),
        json!({"name": "cancel_pending_order", "arguments": {"order_id": "#W6779827", "reason": "ordered by mistake"}}).to_string(),
        json!({"name": "cancel_pending_order", "arguments": {"order_id": "#W6779827", "reason": "ordered by mistake"}}).to_string(),
    ];
    let file = write_lines(home.path(), "calls.jsonl", &lines);
    let out = shopkeeper(home.path(), &["store", "replay", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(
        rows[0]["result"]["status"], "pending",
        "the fresh seed, not the persistent store"
    );
    assert_eq!(rows[1]["ok"], true);
    assert_eq!(rows[1]["result"]["cancel_reason"], "ordered by mistake");
    assert_eq!(rows[2]["ok"], false);
    assert_eq!(rows[2]["error"]["error"], "rejected");
    let replayed = rows[3]["sha256"].as_str().unwrap();
    assert_ne!(replayed, persistent);
    assert_eq!(
        store_hash(home.path()),
        persistent,
        "the persistent store is untouched"
    );

    let bad = write_lines(
        home.path(),
        "bad.jsonl",
        &["{\"nom\": 1}".to_string(), lines[0].clone()],
    );
    let out = shopkeeper(home.path(), &["store", "replay", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let rows: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["ok"], false);
    assert_eq!(rows[1]["ok"], true, "later lines still run");
    assert_eq!(rows[2]["sha256"], INITIAL_HASH);
}

#[test]
fn replay_compat_reproduces_a_quirk_dependent_oracle_hash() {
    let home = tempfile::tempdir().unwrap();
    let tasks: Vec<Value> = serde_json::from_str(TASKS).unwrap();
    let task = tasks.iter().find(|t| t["id"] == "20").unwrap();
    let lines: Vec<String> = task["evaluation_criteria"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({"name": a["name"], "arguments": a["arguments"]}).to_string())
        .collect();
    let expected = EXPECTED
        .lines()
        .find(|l| l.starts_with("20\t"))
        .and_then(|l| l.split('\t').nth(1))
        .unwrap();
    let file = write_lines(home.path(), "task20.jsonl", &lines);
    let last_hash = |args: &[&str]| -> String {
        let out = shopkeeper(home.path(), args);
        assert!(out.status.success(), "{}", stderr(&out));
        let last = stdout(&out).lines().last().unwrap().to_string();
        serde_json::from_str::<Value>(&last).unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let path = file.to_str().unwrap();
    assert_eq!(
        last_hash(&["store", "replay", "--compat", "tau2", path]),
        expected
    );
    assert_ne!(
        last_hash(&["store", "replay", path]),
        expected,
        "default mode is the correct per-item one"
    );
}

#[test]
fn the_stores_own_writes_land_in_the_event_log() {
    let home = tempfile::tempdir().unwrap();
    let done = shopkeeper(
        home.path(),
        &[
            "tool",
            "call",
            "--yes",
            "cancel_order",
            r##"{"order": "#W6779827", "reason": "customer"}"##,
        ],
    );
    assert!(done.status.success(), "{}", stderr(&done));
    let listed = shopkeeper(
        home.path(),
        &["events", "list", "--json", "--type", "order.cancelled"],
    );
    assert!(listed.status.success(), "{}", stderr(&listed));
    let events: Vec<Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["source"], "local");
    assert_eq!(events[0]["data"]["order"]["number"], "#W6779827");
    assert_eq!(events[0]["data"]["order"]["state"], "cancelled");
    let table = stdout(&shopkeeper(home.path(), &["events", "list"]));
    assert!(
        table
            .lines()
            .any(|l| l.contains("order.cancelled") && l.contains("local")),
        "{table}"
    );
}
