//! Durable approvals through the binary: approve, reject, edit, expire, roles,
//! two processes racing, and a crash between every pair of steps — on SQLite,
//! and on PostgreSQL where `SHOPKEEPER_TEST_POSTGRES_URL` is set.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use sqlx::Connection;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Where application state lives for one test: a data directory, plus a fresh
/// PostgreSQL database when testing that backend.
struct Env {
    home: tempfile::TempDir,
    database_url: Option<String>,
    extra: Vec<(String, String)>,
}

impl Env {
    fn path(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }

    fn run(&self, server: Option<&ScriptedServer>, args: &[&str]) -> Output {
        self.run_with(server, args, &[])
    }

    fn run_with(
        &self,
        server: Option<&ScriptedServer>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
        cmd.args(args)
            .current_dir(self.home.path())
            .env("SHOPKEEPER_HOME", self.home.path())
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL")
            .env_remove("SHOPKEEPER_DATABASE_URL")
            .env_remove("SHOPKEEPER_CRASH_AT")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        if let Some(url) = &self.database_url {
            cmd.env("SHOPKEEPER_DATABASE_URL", url);
        }
        if let Some(s) = server {
            cmd.env("OPENAI_BASE_URL", s.base_url())
                .env("SHOPKEEPER_MODEL", "scripted");
        }
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn config(&self, toml: &str) {
        std::fs::write(self.home.path().join("shopkeeper.toml"), toml).unwrap();
    }
}

impl Drop for Env {
    /// Drops the test's PostgreSQL database (its processes have all exited by now).
    fn drop(&mut self) {
        let (Some(url), Ok(base)) = (
            &self.database_url,
            std::env::var("SHOPKEEPER_TEST_POSTGRES_URL"),
        ) else {
            return;
        };
        let Some((_, name)) = url.rsplit_once('/') else {
            return;
        };
        let name = name.to_string();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&base).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// SQLite always; PostgreSQL (a fresh database per test, dropped afterwards) where the
/// test URL is set.
async fn backends() -> Vec<Env> {
    let mut envs = vec![Env {
        home: tempfile::tempdir().unwrap(),
        database_url: None,
        extra: Vec::new(),
    }];
    match std::env::var("SHOPKEEPER_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!(
                "sk_{}_{}",
                std::process::id(),
                uuid::Uuid::now_v7().simple()
            );
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            envs.push(Env {
                home: tempfile::tempdir().unwrap(),
                database_url: Some(format!("{prefix}/{name}")),
                extra: Vec::new(),
            });
        }
        _ => eprintln!(
            "notice: SHOPKEEPER_TEST_POSTGRES_URL is not set; skipping the PostgreSQL half of this test"
        ),
    }
    envs
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn approvals(env: &Env) -> Vec<Value> {
    let out = env.run(None, &["approvals", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn order(env: &Env, id: &str) -> Value {
    let out = env.run(
        None,
        &[
            "tool",
            "call",
            "get_order_details",
            &json!({"order_id": id}).to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn audit(env: &Env) -> Vec<Value> {
    let out = env.run(None, &["audit", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn count(log: &[Value], action: &str) -> usize {
    log.iter().filter(|e| e["action"] == action).count()
}

fn cancel_call() -> Reply {
    Reply::tools(&[(
        "cancel_pending_order",
        json!({"order_id": "#W6779827", "reason": "no longer needed"}),
    )])
}

/// `ask` until a call waits for approval; returns the approval's id.
fn ask_for_approval(env: &Env, server: &ScriptedServer, message: &str) -> String {
    let out = env.run(Some(server), &["ask", message]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("- "))
        .unwrap_or_else(|| panic!("no approval in: {stdout}"));
    line[2..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_runs_the_call_once_and_the_conversation_continues() {
    for env in backends().await {
        let server = ScriptedServer::start(vec![
            cancel_call(),
            Reply::text("Cancelled; the refund is on its way."),
        ])
        .await
        .unwrap();
        let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827 please"));
        let listed = blocking(|| approvals(&env));
        assert_eq!(listed.len(), 1);
        let a = &listed[0];
        assert_eq!(
            (a["id"].as_str(), a["tool"].as_str(), a["status"].as_str()),
            (
                Some(id.as_str()),
                Some("cancel_pending_order"),
                Some("pending")
            )
        );
        assert_eq!(
            a["arguments"],
            json!({"order_id": "#W6779827", "reason": "no longer needed"})
        );
        assert!(
            a["summary"]
                .as_str()
                .unwrap()
                .starts_with("Cancel order #W6779827")
        );
        assert_eq!(
            a["required_role"], "manager",
            "$4,079.45 is over the default $500 manager threshold"
        );
        assert_eq!(
            blocking(|| order(&env, "#W6779827"))["status"],
            "pending",
            "nothing ran before the decision"
        );

        let out = blocking(|| env.run(Some(&server), &["approvals", "approve", &id]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("Cancelled; the refund is on its way."),
            "{stdout}"
        );
        let after = blocking(|| order(&env, "#W6779827"));
        assert_eq!(after["status"], "cancelled");
        assert_eq!(after["payment_history"].as_array().unwrap().len(), 2);
        let resumed = &server.requests()[1];
        let tool_msg = resumed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "tool")
            .unwrap();
        assert!(
            tool_msg["content"]
                .as_str()
                .unwrap()
                .contains("\"cancelled\""),
            "the model hears the result"
        );

        let again = blocking(|| env.run(Some(&server), &["approvals", "approve", &id]));
        assert_eq!(again.status.code(), Some(1));
        assert!(
            text(&again.stderr).contains("already approved"),
            "{}",
            text(&again.stderr)
        );
        assert_eq!(
            blocking(|| order(&env, "#W6779827")),
            after,
            "deciding twice changes nothing"
        );
        let log = blocking(|| audit(&env));
        for action in [
            "approval_requested",
            "approved",
            "execution_started",
            "execution_succeeded",
        ] {
            assert_eq!(count(&log, action), 1, "{action} in {log:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_reaches_the_model_and_nothing_changes() {
    for env in backends().await {
        let server = ScriptedServer::start(vec![
            cancel_call(),
            Reply::text("Understood, I won't cancel it."),
        ])
        .await
        .unwrap();
        let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827"));
        let out = blocking(|| {
            env.run(
                Some(&server),
                &[
                    "approvals",
                    "reject",
                    &id,
                    "--reason",
                    "the customer called back",
                ],
            )
        });
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("Understood, I won't cancel it."));
        let tool_msg = server.requests()[1]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "tool")
            .cloned()
            .unwrap();
        let content = tool_msg["content"].as_str().unwrap();
        assert!(
            content.contains("rejected") && content.contains("the customer called back"),
            "{content}"
        );
        assert_eq!(blocking(|| order(&env, "#W6779827"))["status"], "pending");
        assert_eq!(
            blocking(|| approvals(&env))[0]["reason"],
            "the customer called back"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_validated_then_runs_the_new_arguments() {
    let env = backends().await.remove(0);
    let asked = json!({"order_id": "#W6779827", "address1": "1 Wrong Way", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "78701"});
    let server = ScriptedServer::start(vec![
        Reply::tools(&[("modify_pending_order_address", asked.clone())]),
        Reply::text("Address updated."),
    ])
    .await
    .unwrap();
    let id = blocking(|| ask_for_approval(&env, &server, "Ship #W6779827 to my new place"));
    let bad_json = blocking(|| env.run(None, &["approvals", "edit", &id, "{nope"]));
    assert_eq!(bad_json.status.code(), Some(2));
    let bad_schema = blocking(|| {
        env.run(
            None,
            &["approvals", "edit", &id, r##"{"order_id": "#W6779827"}"##],
        )
    });
    assert_eq!(
        bad_schema.status.code(),
        Some(2),
        "{}",
        text(&bad_schema.stderr)
    );
    assert_eq!(
        blocking(|| approvals(&env))[0]["status"],
        "pending",
        "a refused edit decides nothing"
    );

    let fixed = json!({"order_id": "#W6779827", "address1": "12 Right Road", "address2": "Apt 3", "city": "Austin", "state": "TX", "country": "USA", "zip": "78702"});
    let out = blocking(|| {
        env.run(
            Some(&server),
            &["approvals", "edit", &id, &fixed.to_string()],
        )
    });
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Address updated."));
    let after = blocking(|| order(&env, "#W6779827"));
    assert_eq!(after["address"]["address1"], "12 Right Road");
    let listed = blocking(|| approvals(&env));
    assert_eq!(listed[0]["arguments"], fixed);
    assert_eq!(listed[0]["original_arguments"], asked);
    let heard = server.requests()[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap();
    assert!(
        heard["content"].as_str().unwrap().contains("edited"),
        "the model is told a human changed the arguments"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_approver_with_the_required_role_decides() {
    let env = backends().await.remove(0);
    env.config("[[staff]]\nname = \"alice\"\nrole = \"staff\"\n\n[[staff]]\nname = \"bob\"\nrole = \"manager\"\n");
    let server = ScriptedServer::start(vec![cancel_call(), Reply::text("Done.")])
        .await
        .unwrap();
    let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827"));
    let alice = blocking(|| {
        env.run(
            Some(&server),
            &["approvals", "approve", &id, "--as", "alice"],
        )
    });
    assert_eq!(alice.status.code(), Some(1));
    assert!(
        text(&alice.stderr).contains("needs manager"),
        "{}",
        text(&alice.stderr)
    );
    let stranger = blocking(|| {
        env.run(
            Some(&server),
            &["approvals", "approve", &id, "--as", "mallory"],
        )
    });
    assert!(!stranger.status.success());
    assert_eq!(
        blocking(|| order(&env, "#W6779827"))["status"],
        "pending",
        "unauthorised clicks change nothing"
    );
    let bob = blocking(|| env.run(Some(&server), &["approvals", "approve", &id, "--as", "bob"]));
    assert!(bob.status.success(), "{}", text(&bob.stderr));
    assert_eq!(blocking(|| approvals(&env))[0]["decided_by"], "bob");
    assert_eq!(count(&blocking(|| audit(&env)), "decision_refused"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_approval_goes_back_to_the_model_as_expired() {
    let env = backends().await.remove(0);
    env.config("[policy]\nexpiry_minutes = 0\n");
    let server = ScriptedServer::start(vec![
        cancel_call(),
        Reply::text("Nobody approved it in time."),
    ])
    .await
    .unwrap();
    let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827"));
    let out = blocking(|| env.run(Some(&server), &["approvals", "approve", &id]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already expired"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(blocking(|| order(&env, "#W6779827"))["status"], "pending");
    let heard = server.requests()[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap();
    assert!(heard["content"].as_str().unwrap().contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_approving_at_once_one_wins() {
    for env in backends().await {
        let server = ScriptedServer::start(vec![
            cancel_call(),
            Reply::text("Cancelled."),
            Reply::text("Cancelled."),
        ])
        .await
        .unwrap();
        let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827"));
        let spawn = || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
            cmd.args(["approvals", "approve", &id])
                .env("SHOPKEEPER_HOME", env.path())
                .env("OPENAI_BASE_URL", server.base_url())
                .env("SHOPKEEPER_MODEL", "scripted")
                .current_dir(env.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if let Some(url) = &env.database_url {
                cmd.env("SHOPKEEPER_DATABASE_URL", url);
            }
            cmd.spawn().unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = blocking(|| (a.wait_with_output().unwrap(), b.wait_with_output().unwrap()));
        let wins = [&a, &b].iter().filter(|o| o.status.success()).count();
        assert_eq!(wins, 1, "a: {} / b: {}", text(&a.stderr), text(&b.stderr));
        let loser = if a.status.success() { &b } else { &a };
        assert!(
            text(&loser.stderr).contains("already approved"),
            "{}",
            text(&loser.stderr)
        );
        let log = blocking(|| audit(&env));
        assert_eq!(count(&log, "approved"), 1);
        assert_eq!(count(&log, "execution_succeeded"), 1);
        assert_eq!(
            blocking(|| order(&env, "#W6779827"))["payment_history"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}

/// Kills the process at `step` and checks that the next start finishes the work
/// exactly once: one cancellation, one refund, the conversation answered once.
async fn crash_at(step: &str) {
    for mut env in backends().await {
        env.extra
            .push(("SHOPKEEPER_RECOVERY_LEASE_MS".into(), "0".into()));
        let server = ScriptedServer::start(vec![cancel_call(), Reply::text("Cancelled.")])
            .await
            .unwrap();
        let crash = [("SHOPKEEPER_CRASH_AT", step)];
        let id = if step == "after_approval_stored" {
            let out =
                blocking(|| env.run_with(Some(&server), &["ask", "Cancel #W6779827"], &crash));
            assert!(!out.status.success(), "the crash happened");
            let listed = blocking(|| approvals(&env));
            assert_eq!(listed.len(), 1, "the approval survived the crash");
            listed[0]["id"].as_str().unwrap().to_string()
        } else {
            let id = blocking(|| ask_for_approval(&env, &server, "Cancel #W6779827"));
            let out =
                blocking(|| env.run_with(Some(&server), &["approvals", "approve", &id], &crash));
            assert!(
                !out.status.success(),
                "{step}: the crash happened: {}",
                text(&out.stderr)
            );
            assert!(
                text(&out.stderr).contains("crash injected"),
                "{}",
                text(&out.stderr)
            );
            id
        };
        // Start again: any command recovers; approving again decides nothing new.
        let again = blocking(|| env.run(Some(&server), &["approvals", "approve", &id]));
        if step == "after_approval_stored" {
            assert!(again.status.success(), "{}", text(&again.stderr));
        } else {
            assert!(
                text(&again.stderr).contains("already approved"),
                "{step}: {}",
                text(&again.stderr)
            );
        }
        let after = blocking(|| order(&env, "#W6779827"));
        assert_eq!(after["status"], "cancelled", "{step}: no lost side effect");
        assert_eq!(
            after["payment_history"].as_array().unwrap().len(),
            2,
            "{step}: refunded exactly once"
        );
        let log = blocking(|| audit(&env));
        assert_eq!(count(&log, "approved"), 1, "{step}");
        assert!(
            count(&log, "execution_succeeded") + count(&log, "execution_reconciled") >= 1,
            "{step}: {log:?}"
        );
        assert!(
            count(&log, "execution_succeeded") <= 1,
            "{step}: ran once: {log:?}"
        );
        assert_eq!(count(&log, "execution_failed"), 0, "{step}: {log:?}");
        assert_eq!(
            server.requests().len(),
            2,
            "{step}: the run resumed exactly once"
        );
        assert_eq!(server.remaining(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_the_approval_is_stored() {
    crash_at("after_approval_stored").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_the_decision() {
    crash_at("after_decision").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_execution_started() {
    crash_at("after_execution_started").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_execution_finished() {
    crash_at("after_execution_finished").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_the_run_resumed() {
    crash_at("after_run_resumed").await;
}
