//! `shopkeeper ask "MESSAGE" [--conversation ID]`: one turn, for scripts.

use super::session::{EXIT_NOT_CONFIGURED, Ops};
use shopkeeper_agent::{RunStatus, Silent};
use shopkeeper_memory::ConversationInfo;
use std::path::Path;
use std::process::ExitCode;

/// Sends one message; prints the answer (or the calls awaiting approval) on stdout and the
/// conversation id on stderr, so a script can continue it with `--conversation`.
pub async fn run(
    config: Option<&Path>,
    message: &str,
    conversation: Option<String>,
) -> anyhow::Result<ExitCode> {
    let Some(ops) = Ops::with_agent(config).await? else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    if ops.offline {
        eprintln!("offline mode: no language model is configured; a local router answers");
    }
    let id = conversation.unwrap_or_else(new_id);
    let info = ConversationInfo {
        id: id.clone(),
        channel: "cli".into(),
        role: "staff".into(),
    };
    let outcome = match &ops.agent {
        Some(agent) => agent.send(&info, message, &Silent).await,
        None => return Ok(ExitCode::from(EXIT_NOT_CONFIGURED)),
    };
    ops.close().await;
    let outcome = outcome?;
    eprintln!("conversation: {id}");
    print_outcome(&outcome)
}

/// Prints a run's outcome for scripts: the answer, or the approvals it waits for.
pub fn print_outcome(outcome: &shopkeeper_agent::Outcome) -> anyhow::Result<ExitCode> {
    match outcome.status {
        RunStatus::Done => {
            println!("{}", outcome.answer.clone().unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        RunStatus::AwaitingApproval => {
            println!("Waiting for approval:");
            for call in &outcome.awaiting {
                println!(
                    "- {} (needs {}): {}",
                    call.approval_id, call.required_role, call.summary
                );
            }
            eprintln!(
                "Decide with: shopkeeper approvals approve ID | reject ID --reason TEXT | edit ID 'JSON'"
            );
            Ok(ExitCode::SUCCESS)
        }
        RunStatus::MaxTurns => {
            eprintln!(
                "error: stopped after {} model calls without an answer (agent.max_turns)",
                outcome.turns
            );
            Ok(ExitCode::FAILURE)
        }
        _ => {
            eprintln!(
                "error: {}",
                outcome
                    .error
                    .clone()
                    .unwrap_or_else(|| "the run did not finish".into())
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A new conversation id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
