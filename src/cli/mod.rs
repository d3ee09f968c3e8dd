//! The command line: one module per command group.

mod approvals;
mod ask;
mod bench;
mod chat;
mod connect;
mod demo;
mod events;
mod models;
mod recall;
mod serve;
mod session;
mod store;
mod tool;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use shopkeeper_memory::DataDir;
use shopkeeper_tools::{LocalStore, Semantics};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status for input the command cannot act on (unknown tool, bad JSON, schema mismatch).
pub const EXIT_INVALID_INPUT: u8 = 2;

/// Shopkeeper: an AI operations assistant for online stores.
#[derive(Debug, Parser)]
#[command(name = "shopkeeper", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./shopkeeper.toml, else shopkeeper.toml in the data directory).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chat with Shopkeeper in the terminal.
    Chat {
        /// Continue this conversation.
        #[arg(long)]
        conversation: Option<String>,
    },
    /// Send one message and print the answer (for scripts).
    Ask {
        /// The message.
        message: String,
        /// Continue this conversation (its id is printed on stderr).
        #[arg(long)]
        conversation: Option<String>,
    },
    /// Print the effective configuration, secrets masked.
    Config,
    /// Check the connection to a platform (credentials, scopes, counts), register webhooks.
    #[command(subcommand)]
    Connect(connect::ConnectCommand),
    /// Decide what waits for a human: list, approve, reject, edit.
    #[command(subcommand)]
    Approvals(approvals::ApprovalsCommand),
    /// The audit log: every request, decision, execution and result.
    Audit {
        /// Print a JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// A short tour of the built-in demo store.
    Demo,
    /// The event log: what happened in the shop (webhooks, the store's own writes).
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// The local embedding model: fetch it once, check it.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Bring search memory up to date with the store: apply pending events, embed products
    /// and customers that changed since the last sync, drop what is gone, link profiles.
    Sync {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Read the whole store again (bulk exports on Shopify), also after an earlier sync;
        /// without it, a sync after the first reads only what changed since.
        #[arg(long)]
        full: bool,
    },
    /// Run the chat fronts configured in shopkeeper.toml ([telegram], [slack], [discord])
    /// and Shopify's webhook intake ([shopify] webhook_secret).
    Serve {
        /// Validate the configuration without connecting, then exit (0 valid, 2 not).
        #[arg(long)]
        check: bool,
    },
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

/// A Unix-millisecond time as RFC 3339 in UTC, or `-`.
pub fn time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
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
    let config = cli.config.as_deref();
    match cli.command {
        Command::Chat { conversation } => chat::run(config, conversation).await,
        Command::Ask {
            message,
            conversation,
        } => ask::run(config, &message, conversation).await,
        Command::Config => {
            let (config, dir, source) = session::load_config(config)?;
            println!("# data directory: {}", dir.root().display());
            match &source {
                Some(path) => println!("# from {} and the environment", path.display()),
                None => println!("# no shopkeeper.toml found: defaults and the environment"),
            }
            print!("{}", config.to_masked_toml());
            let fronts = serve::channels_config(source.as_deref())?;
            if fronts.any_front() {
                print!("\n{}", fronts.to_masked_toml());
            }
            #[cfg(feature = "shopify")]
            if let Some(shopify) = connect::shopify_config(source.as_deref())? {
                #[derive(serde::Serialize)]
                struct Section<'a> {
                    shopify: &'a shopkeeper_connectors::shopify::ShopifyConfig,
                }
                // Secrets serialize masked; the endpoint shown is the one used.
                print!(
                    "\n{}",
                    toml::to_string_pretty(&Section { shopify: &shopify })?
                );
                println!("# endpoint: {}", shopify.endpoint());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Connect(cmd) => connect::run(config, cmd).await,
        Command::Demo => demo::run().await,
        Command::Events(cmd) => events::run(config, cmd).await,
        Command::Models(cmd) => models::run(cmd).await,
        Command::Sync { json, full } => recall::run(config, json, full).await,
        Command::Serve { check } => serve::run(config, check).await,
        Command::Tool(cmd) => tool::run(config, cmd).await,
        Command::Approvals(cmd) => approvals::run(config, cmd).await,
        Command::Audit { json } => approvals::audit(config, json).await,
        Command::Store(cmd) => store::run(cmd).await,
        Command::Bench(cmd) => bench::run(config, cmd).await,
    }
}
