//! `shopkeeper chat`: an interactive terminal conversation with streaming output.

use super::session::{EXIT_NOT_CONFIGURED, Ops};
use shopkeeper_agent::config::HOW_TO_CONFIGURE;
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
    if ops.offline {
        println!(
            "Offline mode: no language model is configured, so a local router answers direct \
             requests (orders, customers, products, tickets) and says so when it does not know.\n\
             To use a language model instead:\n{HOW_TO_CONFIGURE}"
        );
    }
    println!("Type a message; /new starts a new conversation, /quit leaves;");
    println!(
        "/pending lists approvals, /approve ID and /reject ID REASON decide them (as the owner)."
    );
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
        if let Some(command) = line.strip_prefix('/') {
            decide(&ops, agent, command).await;
            continue;
        }
        let terminal = Terminal::default();
        let outcome = agent.send(&info, line, &terminal).await;
        show(&terminal, outcome);
    }
    ops.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Prints a run's outcome after its streamed text.
fn show(
    terminal: &Terminal,
    outcome: Result<shopkeeper_agent::Outcome, shopkeeper_agent::AgentError>,
) {
    terminal.end_line();
    match outcome {
        Ok(outcome) => match outcome.status {
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
        },
        Err(e) => println!("  error: {e}"),
    }
}

/// `/pending`, `/approve ID`, `/reject ID REASON`: the same decisions as `shopkeeper approvals`.
async fn decide(ops: &Ops, agent: &shopkeeper_agent::Agent, command: &str) {
    let (verb, rest) = command.split_once(' ').unwrap_or((command, ""));
    let (id, reason) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
    let decider = shopkeeper_agent::Decider::terminal(None, shopkeeper_tools::Role::Owner);
    let decided = match verb {
        "pending" => {
            match ops.approvals.db().approvals(Some("pending")).await {
                Ok(rows) if rows.is_empty() => println!("  nothing is waiting for approval"),
                Ok(rows) => {
                    for a in rows {
                        println!("  {} (needs {}): {}", a.id, a.required_role, a.summary);
                    }
                }
                Err(e) => println!("  error: {e}"),
            }
            return;
        }
        "approve" if !id.is_empty() => ops.approvals.approve(id, &decider).await,
        "reject" if !id.is_empty() && !reason.trim().is_empty() => {
            ops.approvals.reject(id, &decider, reason.trim()).await
        }
        _ => {
            println!("  commands: /new, /quit, /pending, /approve ID, /reject ID REASON");
            return;
        }
    };
    match decided {
        Ok(shopkeeper_agent::Decided::Applied { approval, executed }) => {
            println!(
                "  {} {}",
                approval.status,
                approval.summary.lines().next().unwrap_or_default()
            );
            if let Some(e) = executed {
                println!(
                    "  {} {}",
                    if e.ok { "✓" } else { "✗" },
                    e.content.chars().take(200).collect::<String>()
                );
            }
            let ready = ops.approvals.runs_ready().await.unwrap_or_default();
            if let Some(run_id) = approval.run_id.filter(|r| ready.contains(r)) {
                let terminal = Terminal::default();
                match agent.resume_decided(&run_id, &terminal).await {
                    Ok(Some(outcome)) => show(&terminal, Ok(outcome)),
                    Ok(None) => {}
                    Err(e) => show(&terminal, Err(e)),
                }
            }
        }
        Ok(shopkeeper_agent::Decided::AlreadyDecided(a)) => {
            println!(
                "  {} is already {} (by {}); nothing changed",
                a.id,
                a.status,
                a.decided_by.unwrap_or_default()
            );
        }
        Ok(shopkeeper_agent::Decided::NotAuthorised(why)) => println!("  not allowed: {why}"),
        Err(e) => println!("  error: {e}"),
    }
}
