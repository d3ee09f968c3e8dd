//! `shopkeeper approvals list|approve|reject|edit` and `shopkeeper audit`.

use super::EXIT_INVALID_INPUT;
use super::session::Ops;
use super::time;
use clap::Subcommand;
use serde_json::{Value, json};
use shopkeeper_agent::{Decided, Silent};
use shopkeeper_memory::{ApprovalRow, AuditRow};
use shopkeeper_tools::Registry;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List approvals, newest first (`--json`: id, tool, arguments, summary, status, ...).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Only approvals in this status: pending, approved, rejected, expired.
        #[arg(long)]
        status: Option<String>,
    },
    /// Approve: the call runs once, then the conversation continues.
    Approve {
        /// The approval's id.
        id: String,
        /// Decide as this `[[staff]]` member (default: the owner at this terminal).
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
    /// Reject with a reason the model will hear.
    Reject {
        /// The approval's id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Decide as this `[[staff]]` member (default: the owner at this terminal).
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
    /// Approve with different arguments (checked against the schema and the policy).
    Edit {
        /// The approval's id.
        id: String,
        /// The new arguments as a JSON object.
        arguments: String,
        /// Decide as this `[[staff]]` member (default: the owner at this terminal).
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
}

pub async fn run(config: Option<&Path>, cmd: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    let ops = Ops::open(config).await?;
    let outcome = dispatch(&ops, cmd).await;
    ops.close().await;
    outcome
}

async fn dispatch(ops: &Ops, cmd: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    let decided = match cmd {
        ApprovalsCommand::List { json, status } => return list(ops, json, status.as_deref()).await,
        ApprovalsCommand::Approve { id, as_user } => {
            let decider = ops.decider(as_user.as_deref())?;
            ops.approvals.approve(&id, &decider).await
        }
        ApprovalsCommand::Reject {
            id,
            reason,
            as_user,
        } => {
            let decider = ops.decider(as_user.as_deref())?;
            ops.approvals.reject(&id, &decider, &reason).await
        }
        ApprovalsCommand::Edit {
            id,
            arguments,
            as_user,
        } => {
            let args = match Registry::parse_arguments("edit", &arguments) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(EXIT_INVALID_INPUT));
                }
            };
            let decider = ops.decider(as_user.as_deref())?;
            ops.approvals.edit(&id, &decider, args).await
        }
    };
    let decided = match decided {
        Ok(d) => d,
        Err(shopkeeper_agent::approvals::ApprovalError::Tool(e))
            if e.kind() == "invalid_arguments" =>
        {
            eprintln!("error (invalid_arguments): {e}; nothing changed");
            return Ok(ExitCode::from(EXIT_INVALID_INPUT));
        }
        Err(e) => return Err(e.into()),
    };
    match decided {
        Decided::AlreadyDecided(a) => {
            let by = a.decided_by.as_deref().unwrap_or("nobody");
            eprintln!(
                "approval {} is already {} (by {by} at {}); nothing changed",
                a.id,
                a.status,
                time(a.decided_at)
            );
            Ok(ExitCode::FAILURE)
        }
        Decided::NotAuthorised(why) => {
            eprintln!("error: not allowed: {why}; nothing changed");
            Ok(ExitCode::FAILURE)
        }
        Decided::Applied { approval, executed } => {
            println!("{} {}: {}", approval.status, approval.id, approval.summary);
            if let Some(e) = &executed {
                println!("{}: {}", if e.ok { "done" } else { "failed" }, e.content);
            }
            continue_conversation(ops, &approval).await
        }
    }
}

/// Resumes the approval's run once all its approvals are resolved, printing the answer.
async fn continue_conversation(ops: &Ops, approval: &ApprovalRow) -> anyhow::Result<ExitCode> {
    let Some(run_id) = &approval.run_id else {
        return Ok(ExitCode::SUCCESS);
    };
    if !ops.resumes_here(run_id).await? {
        // Its answer belongs in the chat it came from: `serve` resumes it and posts it there.
        println!(
            "(the conversation continues in {}, where it was asked)",
            approval.channel
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !ops.approvals.runs_ready().await?.contains(run_id) {
        println!("(the conversation continues once its other approvals are decided)");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(agent) = &ops.agent else {
        println!("(no language model is configured: the conversation continues once one is)");
        return Ok(ExitCode::SUCCESS);
    };
    match agent.resume_decided(run_id, &Silent).await? {
        Some(outcome) => {
            super::ask::print_outcome(&outcome)?;
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// An approval as a JSON object for scripts.
fn approval_json(a: &ApprovalRow) -> Value {
    json!({
        "id": a.id,
        "tool": a.tool,
        "arguments": serde_json::from_str::<Value>(&a.arguments).unwrap_or(Value::Null),
        "summary": a.summary,
        "status": a.status,
        "effect": a.effect,
        "required_role": a.required_role,
        "requested_by": a.requested_by,
        "requested_at": time(Some(a.requested_at)),
        "expires_at": time(Some(a.expires_at)),
        "decided_by": a.decided_by,
        "decided_at": a.decided_at.map(|t| time(Some(t))),
        "reason": a.reason,
        "original_arguments": a.original_arguments.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "run_id": a.run_id,
        "conversation_id": a.conversation_id,
    })
}

async fn list(ops: &Ops, json: bool, status: Option<&str>) -> anyhow::Result<ExitCode> {
    let rows = ops.approvals.db().approvals(status).await?;
    let mut out = std::io::stdout().lock();
    if json {
        let all: Vec<Value> = rows.iter().map(approval_json).collect();
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(out, "No approvals.")?;
    }
    for a in &rows {
        writeln!(
            out,
            "{}  {:<9} needs {:<8} {}",
            a.id,
            a.status,
            a.required_role,
            time(Some(a.requested_at))
        )?;
        for line in a.summary.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `shopkeeper audit [--json]`: the append-only log, oldest first.
pub async fn audit(config: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let ops = Ops::open(config).await?;
    let rows = ops.approvals.db().audit_log().await;
    ops.close().await;
    let rows: Vec<AuditRow> = rows?;
    let mut out = std::io::stdout().lock();
    if json {
        let all: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"id": r.id, "at": time(Some(r.at)), "actor": r.actor, "action": r.action, "subject": r.subject,
                       "detail": serde_json::from_str::<Value>(&r.detail).unwrap_or(Value::Null)})
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{}  {:<16} {:<26} {}  {}",
                time(Some(r.at)),
                r.actor,
                r.action,
                r.subject,
                r.detail
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
