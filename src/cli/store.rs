//! `shopkeeper store replay|hash|export`.

use super::{Compat, open_store, semantics};
use anyhow::Context;
use clap::Subcommand;
use serde_json::{Value, json};
use shopkeeper_tools::{Caller, LocalStore, Policy, Registry, Role, ToolCall, local_registry};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Apply a JSON Lines file of tool calls to a fresh store from the shipped seed
    /// (never the persistent one) and print each outcome, then the store's sha256.
    Replay {
        /// JSON Lines, one `{"name": ..., "arguments": {...}}` per line; `-` reads stdin.
        file: PathBuf,
        /// Apply τ²-bench's upstream semantics.
        #[arg(long, value_enum)]
        compat: Option<Compat>,
    },
    /// Print `{"sha256": "<hex>"}` of the persistent store's canonical export.
    Hash {
        /// Hash the τ²-bench projection of the store.
        #[arg(long, value_enum)]
        compat: Option<Compat>,
    },
    /// Print the persistent store's canonical export (the JSON that `hash` hashes).
    Export {
        /// Export the τ²-bench projection of the store.
        #[arg(long, value_enum)]
        compat: Option<Compat>,
    },
}

pub async fn run(cmd: StoreCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StoreCommand::Replay { file, compat } => replay(&file, compat).await,
        StoreCommand::Hash { compat } => {
            let store = open_store(semantics(compat)).await?;
            println!("{}", sha256_line(&store.sha256().await?));
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Export { compat } => {
            let store = open_store(semantics(compat)).await?;
            println!("{}", store.canonical_export().await?);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn replay(file: &PathBuf, compat: Option<Compat>) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        Box::new(BufReader::new(f))
    };
    let store = LocalStore::fresh(semantics(compat)).await?;
    // A throwaway store: nothing real changes, so no approval is asked.
    let registry = local_registry(store.clone(), Policy::allow_all())?;
    let mut out = std::io::stdout().lock();
    let mut malformed = 0usize;
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = apply(&registry, index + 1, &line).await;
        if outcome.get("malformed").is_some() {
            malformed += 1;
        }
        writeln!(out, "{outcome}")?;
    }
    writeln!(out, "{}", sha256_line(&store.sha256().await?))?;
    if malformed > 0 {
        eprintln!("error: {malformed} line(s) were not tool calls; see their \"error\"");
        return Ok(ExitCode::from(super::EXIT_INVALID_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

/// One action's outcome line: `{"line", "name", "ok", "result" | "error"}`.
async fn apply(registry: &Registry, line_no: usize, line: &str) -> Value {
    let call: ToolCall = match serde_json::from_str(line) {
        Ok(call) => call,
        Err(e) => {
            return json!({
                "line": line_no,
                "ok": false,
                "malformed": true,
                "error": {"error": "malformed_line", "message": format!("not a {{\"name\", \"arguments\"}} object: {e}")},
            });
        }
    };
    match registry
        .call(
            &Caller::new("replay", Role::Owner),
            &call.name,
            call.arguments,
        )
        .await
    {
        Ok(result) => json!({"line": line_no, "name": call.name, "ok": true, "result": result}),
        Err(e) => json!({"line": line_no, "name": call.name, "ok": false, "error": e.to_json()}),
    }
}

/// `{"sha256": "<hex>"}`, spelled as documented.
fn sha256_line(hex: &str) -> String {
    format!("{{\"sha256\": \"{hex}\"}}")
}
