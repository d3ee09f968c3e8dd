//! `shopkeeper tool list|call`.

use super::session::Ops;
use super::{Compat, EXIT_INVALID_INPUT, semantics};
use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;
use shopkeeper_agent::Decided;
use shopkeeper_tools::{Caller, Effect, Registry, Requirement, Role, ToolError};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// List the tools with their effects (`--json`: name, description, effect, idempotent,
    /// parameters, and `unavailable` with the reason for those the store cannot serve).
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

pub async fn run(config: Option<&Path>, cmd: ToolCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ToolCommand::List { json } => list(config, json).await,
        ToolCommand::Call {
            name,
            arguments,
            yes,
            compat,
        } => call(config, &name, &arguments, yes, compat).await,
    }
}

async fn list(config: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    // The same registry the agent plans over, memory tools included.
    let ops = Ops::open(config).await?;
    let registry = ops.registry.clone();
    ops.close().await;
    let mut out = std::io::stdout().lock();
    if json {
        // Tools the store cannot serve are listed too, each with `unavailable`: the reason.
        let tools: Vec<_> = registry.list_all().collect();
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
        let not_offered: Vec<_> = registry
            .list_all()
            .filter(|t| t.unavailable.is_some())
            .collect();
        if !not_offered.is_empty() {
            writeln!(out, "\nNot offered on this shop:")?;
            for t in not_offered {
                writeln!(
                    out,
                    "{:<32} {}",
                    t.name,
                    t.unavailable.as_deref().unwrap_or_default()
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn call(
    config: Option<&Path>,
    name: &str,
    raw: &str,
    yes: bool,
    compat: Option<Compat>,
) -> anyhow::Result<ExitCode> {
    let ops = Ops::open_with(config, semantics(compat)).await?;
    let outcome = call_with(&ops, name, raw, yes).await;
    ops.close().await;
    outcome
}

/// The shop's own terminal: the owner.
fn terminal() -> Caller {
    Caller::new("cli", Role::Owner)
}

async fn call_with(ops: &Ops, name: &str, raw: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let registry = &ops.registry;
    let checked = Registry::parse_arguments(name, raw).and_then(|args| {
        let effect = registry.validate(name, &args)?.effect;
        Ok((args, effect))
    });
    let (args, effect) = match checked {
        Ok(ok) => ok,
        Err(e) => return Ok(report(&e)),
    };
    let requirement = match registry.requirement(&terminal(), name, &args).await {
        Ok(r) => r,
        Err(e) => return Ok(report(&e)),
    };
    let result = match requirement {
        Requirement::Allow => registry.call(&terminal(), name, args).await,
        Requirement::Deny => Err(ToolError::NotAllowed(format!(
            "the shop's policy does not allow `{name}`"
        ))),
        Requirement::Approve(_) => return approve_at_terminal(ops, name, effect, args, yes).await,
    };
    match result {
        Ok(result) => print_json(&result),
        Err(e) => Ok(report(&e)),
    }
}

/// Whoever runs the CLI on the shop's machine is its owner: their confirmation is the
/// approval, recorded and executed through the ledger like any other.
async fn approve_at_terminal(
    ops: &Ops,
    name: &str,
    effect: Effect,
    args: Value,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let summary = ops.registry.render(name, &args).await?;
    eprintln!("{name} ({effect}) will:\n{summary}");
    if !yes && !std::io::stdin().is_terminal() {
        eprintln!(
            "error: not run: this tool changes the store; confirm on a terminal or pass --yes"
        );
        return Ok(ExitCode::FAILURE);
    }
    let approval = match ops.approvals.request(&terminal(), name, &args).await? {
        Ok(approval) => approval,
        Err(_) => {
            return Ok(report(&ToolError::NotAllowed(
                "the policy no longer asks for approval".into(),
            )));
        }
    };
    let decider = ops.decider(None)?;
    if !yes && !confirm()? {
        ops.approvals
            .reject(&approval.id, &decider, "declined at the terminal")
            .await?;
        eprintln!("Not run; nothing changed.");
        return Ok(ExitCode::FAILURE);
    }
    match ops.approvals.approve(&approval.id, &decider).await? {
        Decided::Applied {
            executed: Some(executed),
            ..
        } => {
            let content: Value = serde_json::from_str(&executed.content)
                .unwrap_or_else(|_| Value::String(executed.content.clone()));
            if executed.ok {
                print_json(&content)
            } else {
                let kind = content["error"].as_str().unwrap_or("failed");
                let message = content["message"].as_str().unwrap_or(&executed.content);
                eprintln!("error ({kind}): {message}");
                Ok(ExitCode::FAILURE)
            }
        }
        other => {
            eprintln!("error: not run: {other:?}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_json(value: &Value) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
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
