//! `shopkeeper bench`: figures measured on this machine.

mod agent;
#[cfg(feature = "local-embeddings")]
mod memory;
mod router;
#[cfg(feature = "shopify")]
mod shopify;
mod store;
#[cfg(feature = "telegram")]
mod telegram;
#[cfg(feature = "embedded-vectors")]
mod vectors;

use clap::Subcommand;
use shopkeeper_agent::router::RouterSettings;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed time, read and write tool-call latency, and the 114 τ²-bench replays.
    Store {
        /// τ²-bench `tasks.json` whose gold actions are replayed.
        #[arg(long, default_value = "tools/tests/fixtures/tau2-retail/tasks.json")]
        tasks: PathBuf,
        /// Tool calls measured per kind.
        #[arg(long, default_value_t = 2000)]
        calls: usize,
    },
    /// Embedding throughput of the local model, then the embedded vector store at scale:
    /// filtered top-10 p50/p99 and recall@10 against exact search, build time, disk, RAM.
    Memory {
        /// Sentences to embed (0 skips the embedding figure).
        #[arg(long, default_value_t = 512)]
        sentences: usize,
        /// Synthetic 384-d points to load, comma-separated sizes (e.g. 100000,1000000).
        #[arg(long, value_delimiter = ',', default_value = "100000")]
        points: Vec<usize>,
        /// Queries per size.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// HNSW links per node.
        #[arg(long, default_value_t = 32)]
        m: usize,
        /// HNSW beam width while building.
        #[arg(long, default_value_t = 200)]
        ef_construct: usize,
        /// HNSW beam widths to search with, comma-separated (one index build serves all).
        #[arg(long, value_delimiter = ',', default_value = "64,128,256,512")]
        ef: Vec<usize>,
        /// Search an int8 copy of the vectors, rescoring the best candidates on the full ones.
        #[arg(long)]
        quantized: bool,
        /// Point distributions to measure, comma-separated: `catalog` (product titles
        /// composed from the local model's vectors of their parts), `titles` (each title
        /// embedded by the model: real, but about 300 a second), `topics` and `clusters`
        /// (random noise around centres: the hard case).
        #[arg(long, value_delimiter = ',', default_value = "catalog,clusters")]
        data: Vec<BenchData>,
    },
    /// The offline router on the labelled requests: intent and argument accuracy, the
    /// share answered with confidence, latency per routed turn.
    Router {
        /// Labelled requests (JSON Lines).
        #[arg(long, default_value = "agent/tests/fixtures/router_eval.jsonl")]
        cases: PathBuf,
        /// Least similarity for the router to answer.
        #[arg(long, default_value_t = RouterSettings::default().threshold)]
        threshold: f32,
        /// Least lead of the best tool or intent over the runner-up.
        #[arg(long, default_value_t = RouterSettings::default().margin)]
        margin: f32,
        /// List every request it got wrong.
        #[arg(long)]
        mistakes: bool,
    },
    /// The agent loop's own overhead per tool-calling turn against a zero-latency scripted
    /// model, beside a bare async-openai loop; then many concurrent conversations.
    Agent {
        /// Runs measured for the overhead figure, each with `--turns` tool-calling turns.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Tool-calling turns per run.
        #[arg(long, default_value_t = 3)]
        turns: usize,
        /// Conversations in flight at once for the concurrency figure.
        #[arg(long, default_value_t = 1000)]
        concurrent: usize,
        /// Application database to use (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The Shopify connector against the fake Admin API: a full export of a large shop
    /// through bulk operations (time, requests, peak RSS at two sizes), paged queries at the
    /// Standard plan's restore rate beside the best time that allows, webhook intake.
    Shopify {
        /// Products of the exported shop.
        #[arg(long, default_value_t = 50_000)]
        products: usize,
        /// Variants of each product.
        #[arg(long, default_value_t = 5)]
        variants: usize,
        /// Orders of the exported shop.
        #[arg(long, default_value_t = 100_000)]
        orders: usize,
        /// Orders of the smaller export, to compare peak memory with.
        #[arg(long, default_value_t = 10_000)]
        small_orders: usize,
        /// Customers of the exported shop.
        #[arg(long, default_value_t = 20_000)]
        customers: usize,
        /// Products read through paged queries (orders twice as many, customers as many).
        #[arg(long, default_value_t = 500)]
        paged_products: usize,
        /// Cost points restored a second for the paged reads.
        #[arg(long, default_value_t = 100.0)]
        restore_rate: f64,
        /// Webhook deliveries.
        #[arg(long, default_value_t = 5000)]
        deliveries: usize,
        /// Deliveries in flight at once.
        #[arg(long, default_value_t = 50)]
        concurrency: usize,
        /// PostgreSQL for the intake figure (e.g. postgres://postgres@127.0.0.1/test).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The Telegram front end to end (`serve` against a fake Bot API and a scripted
    /// model): messages per second, and latency from update to reply.
    Telegram {
        /// Messages in the throughput burst.
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        /// Chats the burst is spread over.
        #[arg(long, default_value_t = 50)]
        chats: usize,
        /// Messages sent one at a time for the latency figure.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
}

/// Point distributions for `bench memory --data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchData {
    /// Product titles composed from the model's vectors of their parts.
    Catalog,
    /// Product titles, each embedded by the model.
    Titles,
    /// Topics with subtopics, isotropic noise around each.
    Topics,
    /// 256 centres, isotropic noise around each: the hard case for a graph index.
    Clusters,
}

pub async fn run(config: Option<&std::path::Path>, cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Router {
            cases,
            threshold,
            margin,
            mistakes,
        } => {
            router::run(
                config,
                cases,
                RouterSettings { threshold, margin },
                mistakes,
            )
            .await
        }
        BenchCommand::Store { tasks, calls } => store::run(&tasks, calls).await,
        BenchCommand::Memory {
            sentences,
            points,
            queries,
            m,
            ef_construct,
            ef,
            quantized,
            data,
        } => {
            if sentences > 0 {
                #[cfg(feature = "local-embeddings")]
                memory::run(sentences).await?;
                #[cfg(not(feature = "local-embeddings"))]
                println!("embedding throughput: skipped (built without `local-embeddings`)");
            }
            let tuning = shopkeeper_memory::vector::Tuning {
                m,
                ef_construct,
                ef: ef.first().copied().unwrap_or(128),
                quantized,
            };
            #[cfg(feature = "embedded-vectors")]
            {
                #[cfg(feature = "local-embeddings")]
                let model = memory::model().ok();
                #[cfg(feature = "local-embeddings")]
                let embedder = model
                    .as_ref()
                    .map(|m| m as &dyn shopkeeper_memory::embed::Embedder);
                #[cfg(not(feature = "local-embeddings"))]
                let embedder = None;
                println!("embedded vector store (qdrant-edge, cosine, filtered by shop and kind)");
                for n in points.into_iter().filter(|n| *n > 0) {
                    for d in &data {
                        let scale = vectors::Scale {
                            points: n,
                            queries,
                            tuning,
                            efs: &ef,
                            data: *d,
                        };
                        vectors::run(&scale, embedder).await?;
                    }
                }
            }
            #[cfg(not(feature = "embedded-vectors"))]
            println!(
                "vector store figures for {points:?} {data:?} points ({queries} queries, {tuning:?}): \
                 skipped (built without `embedded-vectors`)"
            );
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Agent {
            runs,
            turns,
            concurrent,
            database_url,
        } => agent::run(runs, turns, concurrent, database_url).await,
        #[cfg(feature = "telegram")]
        BenchCommand::Telegram {
            messages,
            chats,
            samples,
        } => telegram::run(messages, chats, samples).await,
        #[cfg(feature = "shopify")]
        BenchCommand::Shopify {
            products,
            variants,
            orders,
            small_orders,
            customers,
            paged_products,
            restore_rate,
            deliveries,
            concurrency,
            database_url,
        } => {
            use shopkeeper_connectors::shopify::fake::shop::Scale;
            shopify::run(shopify::Plan {
                full: Scale {
                    products,
                    variants,
                    customers,
                    orders,
                },
                small_orders,
                paged: Scale {
                    products: paged_products,
                    variants,
                    customers: paged_products,
                    orders: paged_products * 2,
                },
                restore_rate,
                deliveries,
                concurrency,
                database_url,
            })
            .await
        }
        #[cfg(not(feature = "shopify"))]
        BenchCommand::Shopify { .. } => {
            println!("shopify: skipped (built without `shopify`)");
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(not(feature = "telegram"))]
        BenchCommand::Telegram { .. } => {
            println!("telegram: skipped (built without `telegram`)");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// User plus system CPU seconds used by this process so far (Linux; `None` elsewhere).
pub(crate) fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Peak resident memory of this process in MiB (Linux; `None` elsewhere).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
