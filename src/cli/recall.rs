//! Search memory from configuration: which embedder, which vector store, and
//! `shopkeeper sync`, which brings it up to date with the store.

use super::session::Ops;
use shopkeeper_agent::config::{Config, EmbeddingsSource};
use shopkeeper_memory::DataDir;
use shopkeeper_memory::embed::Embedder;
use shopkeeper_memory::embed::models::{self, MINILM};
use shopkeeper_memory::embed::openai::OpenAiEmbedder;
use shopkeeper_memory::vector::VectorStore;
use shopkeeper_tools::recall::sync::{SyncProgress, SyncReport, sync, sync_since};
use shopkeeper_tools::recall::{Backends, Opener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// A folder or collection name for a model: letters, digits, '-' and '_' only.
fn slug(model: &str) -> String {
    model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) async fn embedder(config: &Config, dir: &DataDir) -> Result<Arc<dyn Embedder>, String> {
    match config.memory.embeddings {
        EmbeddingsSource::Local => local_embedder(&models::model_dir(dir, &MINILM)).await,
        EmbeddingsSource::Openai => {
            let base = config
                .memory
                .embeddings_base_url
                .clone()
                .or_else(|| config.llm.base_url.clone())
                .unwrap_or_else(|| "https://api.openai.com/v1".into());
            let key = config.llm.api_key.clone().unwrap_or_default();
            let e = OpenAiEmbedder::new(
                &base,
                &key,
                &config.memory.embedding_model,
                config.memory.embedding_dimensions,
                Duration::from_secs(config.llm.timeout_secs.max(1)),
            )
            .map_err(|e| e.to_string())?;
            Ok(Arc::new(e))
        }
    }
}

#[cfg(feature = "local-embeddings")]
async fn local_embedder(model_dir: &Path) -> Result<Arc<dyn Embedder>, String> {
    let dir = model_dir.to_path_buf();
    // Loading reads and checks ~90 MB: off the async runtime.
    tokio::task::spawn_blocking(move || shopkeeper_memory::embed::minilm::MiniLm::load(&dir))
        .await
        .map_err(|e| e.to_string())?
        .map(|m| Arc::new(m) as Arc<dyn Embedder>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "local-embeddings"))]
async fn local_embedder(_: &Path) -> Result<Arc<dyn Embedder>, String> {
    Err(
        "this build has no local embedding model (feature `local-embeddings`); \
         set [memory] embeddings = \"openai\""
            .into(),
    )
}

async fn vectors(
    config: &Config,
    dir: &DataDir,
    model: &str,
    dimensions: usize,
) -> Result<Arc<dyn VectorStore>, String> {
    if let Some(url) = &config.memory.qdrant_url {
        return server_store(config, url, model, dimensions).await;
    }
    let path = dir.root().join("vectors").join(slug(model));
    embedded_store(&path, dimensions, config.memory.quantized).await
}

#[cfg(feature = "qdrant-server")]
async fn server_store(
    config: &Config,
    url: &str,
    model: &str,
    dimensions: usize,
) -> Result<Arc<dyn VectorStore>, String> {
    let collection = format!("{}_{}", config.memory.collection, slug(model));
    shopkeeper_memory::vector::server::ServerStore::connect(
        url,
        config.memory.qdrant_api_key.clone(),
        &collection,
        dimensions,
    )
    .await
    .map(|s| Arc::new(s) as Arc<dyn VectorStore>)
    .map_err(|e| e.to_string())
}

#[cfg(not(feature = "qdrant-server"))]
async fn server_store(
    _: &Config,
    _: &str,
    _: &str,
    _: usize,
) -> Result<Arc<dyn VectorStore>, String> {
    Err("this build has no Qdrant server backend (feature `qdrant-server`)".into())
}

#[cfg(feature = "embedded-vectors")]
async fn embedded_store(
    path: &Path,
    dimensions: usize,
    quantized: bool,
) -> Result<Arc<dyn VectorStore>, String> {
    use shopkeeper_memory::vector::edge::{EdgeStore, Tuning};
    let tuning = Tuning {
        quantized,
        ..Tuning::default()
    };
    EdgeStore::open_tuned(path, dimensions, tuning)
        .await
        .map(|s| Arc::new(s) as Arc<dyn VectorStore>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "embedded-vectors"))]
async fn embedded_store(_: &Path, _: usize, _: bool) -> Result<Arc<dyn VectorStore>, String> {
    Err(
        "this build has no embedded vector store (feature `embedded-vectors`); \
         set [memory] qdrant_url"
            .into(),
    )
}

/// Opens the configured embedder and vector store when memory is first used.
pub fn opener(config: &Config, dir: &DataDir) -> Opener {
    let (config, root): (Config, PathBuf) = (config.clone(), dir.root().to_path_buf());
    Arc::new(move || {
        let (config, dir) = (config.clone(), DataDir::at(root.clone()));
        Box::pin(async move {
            let embedder = embedder(&config, &dir).await?;
            let vectors = vectors(&config, &dir, embedder.model(), embedder.dimensions()).await?;
            Ok(Backends { embedder, vectors })
        })
    })
}

fn print_report(report: &SyncReport) {
    for (what, r) in [
        ("products", &report.products),
        ("customers", &report.customers),
    ] {
        println!(
            "{what}: {} in store, {} added, {} updated, {} removed, {} unchanged",
            r.total, r.added, r.updated, r.removed, r.unchanged
        );
    }
    println!(
        "profiles: {} created, {} merged",
        report.profiles_created, report.profiles_merged
    );
}

/// How far back an incremental sync reads before its mark: clocks of the shop and of this
/// machine differ, and a record changed during the last sync may carry an earlier time.
const OVERLAP_MS: i64 = 5 * 60 * 1000;

/// `shopkeeper sync [--json] [--full]`.
pub async fn run(config: Option<&Path>, json: bool, full: bool) -> anyhow::Result<ExitCode> {
    let ops = Ops::open(config).await?;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut on_progress = |p: SyncProgress| match p {
        SyncProgress::Start { kind, total } => {
            // A count from the store gives a bar; without one, a counter.
            let (b, template) = match total {
                Some(n) => (
                    indicatif::ProgressBar::new(n),
                    "{msg:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
                ),
                None => (
                    indicatif::ProgressBar::new_spinner(),
                    "{msg:>10} {spinner} {pos} {per_sec}",
                ),
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                b.set_style(style.progress_chars("=> "));
            }
            b.set_message(kind);
            bar = Some(b);
        }
        SyncProgress::Advance { done } => {
            if let Some(b) = &bar {
                b.inc(done);
            }
        }
        SyncProgress::Finish => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
        }
    };
    let commerce = ops.store().commerce();
    let shop = ops.recall.shop().to_string();
    let started = shopkeeper_memory::db::now_millis();
    let since = match (full, ops.db().sync_mark(&shop).await?) {
        (false, Some(mark)) => chrono::DateTime::from_timestamp_millis(mark - OVERLAP_MS),
        _ => None,
    };
    let result = match since {
        Some(since) => {
            let report = sync_since(commerce.as_ref(), &ops.recall, since, &mut on_progress).await;
            // A deletion is only known from its event: apply what the log still holds.
            if report.is_ok() {
                shopkeeper_tools::recall::apply::apply_events(
                    commerce.as_ref(),
                    &ops.recall,
                    ops.db(),
                    10_000,
                )
                .await?;
            }
            report
        }
        None => sync(commerce.as_ref(), &ops.recall, &mut on_progress).await,
    };
    if result.is_ok() {
        // What the log said until now, the sync has read from the store itself.
        shopkeeper_tools::recall::apply::covered_by_sync(&ops.recall, ops.db(), started).await?;
        ops.db().set_sync_mark(&shop, started).await?;
    }
    ops.close().await;
    let report = result?;
    let mode = if since.is_some() {
        "incremental"
    } else {
        "full"
    };
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["mode"] = serde_json::json!(mode);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        match since {
            Some(t) => println!(
                "mode: incremental, what changed since {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => println!("mode: full"),
        }
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}
