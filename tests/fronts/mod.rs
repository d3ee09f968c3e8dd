// Each test binary that includes this uses a different part of it.
#![allow(dead_code)]

//! Running `shopkeeper serve` and its CLI for the chat-front tests: one environment
//! (a data directory, the scripted model, no tokens inherited from the shell), and a
//! guard that stops `serve` and shows its log when a test fails.

use serde_json::json;
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The binary with `args`, in `home`, answering through `server`.
pub fn command(home: &Path, server: &ScriptedServer, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
    cmd.args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env("OPENAI_BASE_URL", server.base_url())
        .env("SHOPKEEPER_MODEL", "scripted")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for inherited in [
        "OPENAI_API_KEY",
        "SHOPKEEPER_DATABASE_URL",
        "SHOPKEEPER_CRASH_AT",
        "SHOPKEEPER_TELEGRAM_TOKEN",
        "SHOPKEEPER_TELEGRAM_WEBHOOK_SECRET",
        "SHOPKEEPER_SLACK_BOT_TOKEN",
        "SHOPKEEPER_SLACK_APP_TOKEN",
        "SHOPKEEPER_SLACK_SIGNING_SECRET",
        "SHOPKEEPER_DISCORD_TOKEN",
    ] {
        cmd.env_remove(inherited);
    }
    cmd
}

/// Runs a CLI command to completion.
pub fn run(home: &Path, server: &ScriptedServer, args: &[&str]) -> Output {
    command(home, server, args)
        .output()
        .unwrap_or_else(|e| panic!("running shopkeeper: {e}"))
}

/// The model asks to cancel the shipped store's pending order #W6779827 (needs approval).
pub fn cancel_call() -> Reply {
    Reply::tools(&[(
        "cancel_pending_order",
        json!({"order_id": "#W6779827", "reason": "no longer needed"}),
    )])
}

/// A loopback port free right now, for `[serve] listen`.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// What `serve` wrote to stderr so far.
pub fn log(home: &Path) -> String {
    std::fs::read_to_string(home.join("serve.log")).unwrap_or_default()
}

/// A running `shopkeeper serve`; stopped when dropped.
pub struct Serve {
    child: Child,
    home: PathBuf,
}

impl Serve {
    /// Starts `serve` in `home`, its stderr kept in `serve.log`.
    pub fn start(home: &Path, server: &ScriptedServer) -> Self {
        let log = std::fs::File::create(home.join("serve.log"))
            .unwrap_or_else(|e| panic!("creating serve.log: {e}"));
        let child = command(home, server, &["serve"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting serve: {e}"));
        Self {
            child,
            home: home.to_path_buf(),
        }
    }
}

impl Drop for Serve {
    /// Stops `serve`; when the test failed, shows what it logged.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- serve.log ---\n{}", log(&self.home));
        }
    }
}
