//! `shopkeeper chat`: an interactive terminal conversation with streaming output.

use super::session::{EXIT_NOT_CONFIGURED, Ops};
use shopkeeper_agent::{Observer, RunStatus, ToolCallRequest};
use shopkeeper_memory::ConversationInfo;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::AsyncBufReadExt;

/// Prints model text as it streams and each tool call as it happens.
#[derive(Default)]
struct Terminal {
    mid_line: AtomicBool,
    streamed: AtomicBool,
}

impl Terminal {
    fn end_line(&self) {
        if self.mid_line.swap(false, Ordering::SeqCst) {
            println!();
        }
    }
}

impl Observer for Terminal {
    fn text(&self, delta: &str) {
        if !self.mid_line.swap(true, Ordering::SeqCst) {
            print!("shopkeeper> ");
        }
        self.streamed.store(true, Ordering::SeqCst);
        print!("{delta}");
        let _ = std::io::stdout().flush();
    }

    fn model_done(&self) {
        self.end_line();
    }

    fn tool_started(&self, call: &ToolCallRequest) {
        self.end_line();
        println!("  → {} {}", call.name, call.arguments);
    }

    fn tool_finished(&self, call: &ToolCallRequest, ok: bool) {
        println!("  {} {}", if ok { "✓" } else { "✗" }, call.name);
    }
}

fn new_conversation() -> ConversationInfo {
    ConversationInfo {
        id: super::ask::new_id(),
        channel: "cli".into(),
        role: "staff".into(),
    }
}

/// Reads lines until `/quit` or end of input; `/new` starts a new conversation.
pub async fn run(config: Option<&Path>, conversation: Option<String>) -> anyhow::Result<ExitCode> {
    let Some(ops) = Ops::with_agent(config).await? else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    let Some(agent) = &ops.agent else {
        return Ok(ExitCode::from(EXIT_NOT_CONFIGURED));
    };
    let mut info = match conversation {
        Some(id) => ConversationInfo {
            id,
            ..new_conversation()
        },
        None => new_conversation(),
    };
    println!(
        "Shopkeeper chat — {} — conversation {}",
        ops.model(),
        info.id
    );
    println!("Type a message; /new starts a new conversation, /quit leaves.");
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        print!("you> ");
        let _ = std::io::stdout().flush();
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let line = line.trim();
        match line {
            "" => continue,
            "/quit" | "/exit" => break,
            "/new" => {
                info = new_conversation();
                println!("New conversation {}", info.id);
                continue;
            }
            _ => {}
        }
        let terminal = Terminal::default();
        match agent.send(&info, line, &terminal).await {
            Ok(outcome) => {
                terminal.end_line();
                match outcome.status {
                    RunStatus::Done if !terminal.streamed.load(Ordering::SeqCst) => {
                        println!("shopkeeper> {}", outcome.answer.unwrap_or_default());
                    }
                    RunStatus::Done => {}
                    RunStatus::AwaitingApproval => {
                        for call in &outcome.awaiting {
                            println!(
                                "  ⏸ waiting for approval {} (needs {}): {}",
                                call.approval_id, call.required_role, call.summary
                            );
                        }
                    }
                    RunStatus::MaxTurns => println!(
                        "  (stopped after {} model calls without an answer)",
                        outcome.turns
                    ),
                    _ => println!("  error: {}", outcome.error.unwrap_or_default()),
                }
            }
            Err(e) => println!("  error: {e}"),
        }
    }
    ops.close().await;
    Ok(ExitCode::SUCCESS)
}
