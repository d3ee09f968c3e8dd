//! `shopkeeper events list`: the shop's event log, newest first.

use super::session::Ops;
use super::{EXIT_INVALID_INPUT, time};
use clap::Subcommand;
use serde_json::{Value, json};
use shopkeeper_memory::events::{EventFilter, EventRow, EventType};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Events, newest first (`--json`: id, source, topic, type, external_id, occurred_at,
    /// received_at, processed_at, data).
    List {
        /// Print a JSON array instead of lines.
        #[arg(long)]
        json: bool,
        /// Only events from this source (`shopify`, `local`, ...).
        #[arg(long)]
        source: Option<String>,
        /// Only events of this normalized type (`order.created`, `inventory.changed`, ...).
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub async fn run(config: Option<&Path>, cmd: EventsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EventsCommand::List {
            json,
            source,
            event_type,
            limit,
        } => {
            if let Some(t) = &event_type
                && EventType::parse(t).is_none()
            {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                eprintln!(
                    "error: unknown event type {t:?}; the types are: {}",
                    known.join(", ")
                );
                return Ok(ExitCode::from(EXIT_INVALID_INPUT));
            }
            let ops = Ops::open(config).await?;
            let rows = ops
                .db()
                .events(&EventFilter {
                    source,
                    event_type,
                    limit,
                })
                .await;
            ops.close().await;
            print(&rows?, json)
        }
    }
}

/// An event as a JSON object for scripts.
fn event_json(e: &EventRow) -> Value {
    json!({
        "id": e.id,
        "source": e.source,
        "topic": e.topic,
        "type": e.event_type,
        "external_id": e.external_id,
        "occurred_at": time(Some(e.occurred_at)),
        "received_at": time(Some(e.received_at)),
        "processed_at": e.processed_at.map(|t| time(Some(t))),
        "data": e.data_value(),
    })
}

fn print(rows: &[EventRow], json: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if json {
        let all: Vec<Value> = rows.iter().map(event_json).collect();
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(out, "No events.")?;
    }
    for e in rows {
        let processed = if e.processed_at.is_some() {
            "applied".to_string()
        } else if let Some(err) = &e.error {
            format!("failed {}x: {err}", e.attempts)
        } else {
            "pending".to_string()
        };
        writeln!(
            out,
            "{}  {:<8} {:<18} {:<24} {}  {processed}",
            time(Some(e.received_at)),
            e.source,
            e.event_type.as_deref().unwrap_or("-"),
            e.topic,
            e.external_id,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
