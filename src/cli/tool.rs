//! `shopkeeper tool list|call`.

use super::{Compat, EXIT_INVALID_INPUT, open_store, semantics};
use anyhow::Context;
use clap::Subcommand;
use shopkeeper_tools::{Registry, ToolError, local_registry};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// List the tools with their effects (`--json`: name, description, effect, idempotent, parameters).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Call a tool on the persistent store; writes ask for confirmation.
    Call {
        /// The tool's name, e.g. `get_order_details`.
        name: String,
        /// The arguments as a JSON object, e.g. '{"order_id": "#W2611340"}'.
        #[arg(default_value = "{}")]
        arguments: String,
        /// Run a tool that changes the store without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Apply τ²-bench's upstream semantics.
        #[arg(long, value_enum)]
        compat: Option<Compat>,
    },
}

pub async fn run(cmd: ToolCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ToolCommand::List { json } => list(json).await,
        ToolCommand::Call {
            name,
            arguments,
            yes,
            compat,
        } => call(&name, &arguments, yes, compat).await,
    }
}

async fn list(json: bool) -> anyhow::Result<ExitCode> {
    let registry = local_registry(open_store(semantics(None)).await?)?;
    let mut out = std::io::stdout().lock();
    if json {
        let tools: Vec<_> = registry.list().collect();
        serde_json::to_writer_pretty(&mut out, &tools)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<32} {:<9} {:<10} DESCRIPTION",
            "TOOL", "EFFECT", "IDEMPOTENT"
        )?;
        for t in registry.list() {
            let first_line = t.description.lines().next().unwrap_or_default();
            let idempotent = if t.idempotent { "yes" } else { "no" };
            writeln!(
                out,
                "{:<32} {:<9} {:<10} {first_line}",
                t.name,
                t.effect.as_str(),
                idempotent
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn call(
    name: &str,
    raw: &str,
    yes: bool,
    compat: Option<Compat>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(semantics(compat)).await?;
    let registry = local_registry(store.clone())?;
    let outcome = call_with(&registry, name, raw, yes).await;
    store.close().await;
    outcome
}

async fn call_with(
    registry: &Registry,
    name: &str,
    raw: &str,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let checked = Registry::parse_arguments(name, raw).and_then(|args| {
        let effect = registry.validate(name, &args)?.effect;
        Ok((args, effect))
    });
    let (args, effect) = match checked {
        Ok(ok) => ok,
        Err(e) => return Ok(report(&e)),
    };
    if effect.changes_the_world() && !yes {
        let summary = registry.render(name, &args).await?;
        eprintln!("{name} ({effect}) will:\n{summary}");
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "error: not run: this tool changes the store; confirm on a terminal or pass --yes"
            );
            return Ok(ExitCode::FAILURE);
        }
        if !confirm()? {
            eprintln!("Not run; nothing changed.");
            return Ok(ExitCode::FAILURE);
        }
    }
    match registry.call(name, args).await {
        Ok(result) => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report(&e)),
    }
}

/// Prints a tool error to stderr; invalid input exits 2, refusals and failures 1.
fn report(e: &ToolError) -> ExitCode {
    eprintln!("error ({}): {e}", e.kind());
    match e {
        ToolError::UnknownTool { .. } | ToolError::InvalidArguments { .. } => {
            ExitCode::from(EXIT_INVALID_INPUT)
        }
        _ => ExitCode::FAILURE,
    }
}

fn confirm() -> anyhow::Result<bool> {
    eprint!("Proceed? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the confirmation")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
