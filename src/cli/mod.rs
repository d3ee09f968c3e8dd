//! The command line: one module per command group.

mod bench;
mod demo;
mod store;
mod tool;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use shopkeeper_memory::DataDir;
use shopkeeper_tools::{LocalStore, Semantics};
use std::process::ExitCode;

/// Exit status for input the command cannot act on (unknown tool, bad JSON, schema mismatch).
pub const EXIT_INVALID_INPUT: u8 = 2;

/// Shopkeeper: an AI operations assistant for online stores.
#[derive(Debug, Parser)]
#[command(name = "shopkeeper", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A short tour of the built-in demo store.
    Demo,
    /// List and call tools.
    #[command(subcommand)]
    Tool(tool::ToolCommand),
    /// The built-in store: replay, hash, export.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Print performance figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Which semantics the built-in store applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// τ²-bench's upstream behaviour, quirks included.
    Tau2,
}

/// The store semantics for an optional `--compat` flag.
pub fn semantics(compat: Option<Compat>) -> Semantics {
    match compat {
        Some(Compat::Tau2) => Semantics::Tau2,
        None => Semantics::Correct,
    }
}

/// Opens (seeding on first use) the persistent built-in store in the data directory.
pub async fn open_store(semantics: Semantics) -> anyhow::Result<LocalStore> {
    let dir = DataDir::resolve()?;
    dir.ensure()?;
    let path = dir.store_path();
    LocalStore::open(&path, semantics)
        .await
        .with_context(|| format!("opening the store at {}", path.display()))
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo => demo::run().await,
        Command::Tool(cmd) => tool::run(cmd).await,
        Command::Store(cmd) => store::run(cmd).await,
        Command::Bench(cmd) => bench::run(cmd).await,
    }
}
