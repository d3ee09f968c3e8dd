//! `shopkeeper ask "MESSAGE" [--conversation ID]`: one turn, for scripts.

use super::session::{self, EXIT_NOT_CONFIGURED};
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
    let Some(session) = session::open(config).await? else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    let id = conversation.unwrap_or_else(new_id);
    let info = ConversationInfo {
        id: id.clone(),
        channel: "cli".into(),
        role: "staff".into(),
    };
    let outcome = session.agent.send(&info, message, &Silent).await;
    session.close().await;
    let outcome = outcome?;
    eprintln!("conversation: {id}");
    match outcome.status {
        RunStatus::Done => {
            println!("{}", outcome.answer.unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        RunStatus::AwaitingApproval => {
            println!("Waiting for approval:");
            for call in &outcome.awaiting {
                println!("- {}", call.summary);
            }
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
