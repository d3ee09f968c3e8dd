//! The embedded vector store at scale: 384-d points, filtered top-10 latency and
//! recall against exact search at several beam widths, build time, disk and memory.

mod catalog;
mod synthetic;

use super::store::{ms, pct};
use super::{BenchData, peak_rss_mib};
use shopkeeper_memory::embed::{Embedder, dot};
use shopkeeper_memory::vector::edge::{EdgeStore, Tuning};
use shopkeeper_memory::vector::{Kind, Point, VectorStore};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use synthetic::{DIM, Rng, jitter, local_dimensionality};

/// What to measure: how many points of which kind, and the index's settings.
pub struct Scale<'a> {
    /// Points to load (half in the searched shop).
    pub points: usize,
    /// Queries per beam width.
    pub queries: usize,
    /// Build settings (its `ef` only warms the index up: `efs` are measured).
    pub tuning: Tuning,
    /// Beam widths to search with.
    pub efs: &'a [usize],
    /// Which points.
    pub data: BenchData,
}

/// Neighbours whose distances estimate the local dimensionality.
const LID_NEIGHBOURS: usize = 20;

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Points, queries, and a line saying how they were made.
pub struct Made {
    pub points: Vec<Vec<f32>>,
    pub queries: Vec<Vec<f32>>,
    pub how: String,
}

/// Points, queries, and how they were made; `None` when they need a model there is not.
async fn make(scale: &Scale<'_>, embedder: Option<&dyn Embedder>) -> anyhow::Result<Option<Made>> {
    let (n, q) = (scale.points, scale.queries);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (points, spread, how) = match (scale.data, embedder) {
        (BenchData::Clusters, _) => (
            synthetic::clusters(n, &mut rng),
            synthetic::CLUSTER_SPREAD,
            "256 centres, isotropic noise",
        ),
        (BenchData::Topics, _) => (
            synthetic::topics(n, &mut rng),
            synthetic::TOPIC_SPREAD,
            "256 topics × 64 subtopics, isotropic noise",
        ),
        (BenchData::Catalog, Some(e)) => return Ok(Some(catalog::composed(n, q, e).await?)),
        (BenchData::Titles, Some(e)) => return Ok(Some(catalog::titles(n, q, e).await?)),
        (BenchData::Catalog | BenchData::Titles, None) => return Ok(None),
    };
    // A query near a stored point, as far from it as points are from their centre.
    let queries = (0..q)
        .map(|i| jitter(&points[(i * 7919) % n], spread, &mut rng))
        .collect();
    Ok(Some(Made {
        points,
        queries,
        how: how.to_string(),
    }))
}

/// Loads the points (every other one in another shop, so the filter does real work),
/// then measures each beam width against exact search.
pub async fn run(scale: &Scale<'_>, embedder: Option<&dyn Embedder>) -> anyhow::Result<()> {
    let Some(made) = make(scale, embedder).await? else {
        println!(
            "  {:?}: skipped (needs the embedding model: `shopkeeper models fetch`)",
            scale.data
        );
        return Ok(());
    };
    let n = scale.points;
    let dir = std::env::temp_dir().join(format!("shopkeeper-vectors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = EdgeStore::open_tuned(&dir, DIM, scale.tuning).await?;
    let started = Instant::now();
    for (chunk_no, chunk) in made.points.chunks(2000).enumerate() {
        let points = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let k = chunk_no * 2000 + i;
                let shop = if k % 2 == 0 { "bench" } else { "other" };
                Point {
                    shop: shop.into(),
                    kind: Kind::Product,
                    source_id: k.to_string(),
                    vector: v.clone(),
                    extra: Default::default(),
                }
            })
            .collect();
        store.upsert(points).await?;
    }
    let loaded = started.elapsed();
    store.optimize().await?;
    store.flush().await?;
    let built = started.elapsed();
    let layout = store.layout().await?;

    // Exact neighbours among the searched shop's points, once for every beam width.
    let mut truths = Vec::with_capacity(made.queries.len());
    let mut inverse_lid = 0.0;
    for query in &made.queries {
        let mut exact: Vec<(f32, usize)> = made
            .points
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 2 == 0)
            .map(|(k, v)| (dot(v, query), k))
            .collect();
        let nearest = (LID_NEIGHBOURS + 1).min(exact.len());
        if nearest > 0 {
            exact.select_nth_unstable_by(nearest - 1, |a, b| b.0.total_cmp(&a.0));
        }
        exact.truncate(nearest);
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let similarities: Vec<f32> = exact.iter().map(|(s, _)| *s).collect();
        inverse_lid += local_dimensionality(&similarities).map_or(0.0, |d| 1.0 / d);
        truths.push(
            exact
                .iter()
                .take(10)
                .map(|(_, k)| k.to_string())
                .collect::<HashSet<_>>(),
        );
    }
    let flag = if scale.tuning.quantized { ", int8" } else { "" };
    println!(
        "  {n} {:?} points ({} in the searched shop), {DIM}-d, m={} ef_construct={}{flag}:",
        scale.data,
        n.div_ceil(2),
        scale.tuning.m,
        scale.tuning.ef_construct,
    );
    println!("    made: {}", made.how);
    println!(
        "    local intrinsic dimensionality at the queries ≈ {:.1} (MLE, {LID_NEIGHBOURS} neighbours)",
        made.queries.len() as f64 / inverse_lid.max(f64::MIN_POSITIVE)
    );
    println!(
        "    load {} + index build {} = {}; {} segments, {} of {} vectors in a graph",
        ms(loaded),
        ms(built.saturating_sub(loaded)),
        ms(built),
        layout.segments,
        layout.indexed,
        layout.points
    );
    // One pass to bring the index into memory before anything is timed.
    for query in made.queries.iter().take(20) {
        store.search("bench", Kind::Product, query, 10).await?;
    }
    for &ef in scale.efs {
        let searcher = store.with_ef(ef);
        let mut latencies: Vec<Duration> = Vec::with_capacity(made.queries.len());
        let mut recall = 0.0;
        for (query, truth) in made.queries.iter().zip(&truths) {
            let t = Instant::now();
            let hits = searcher.search("bench", Kind::Product, query, 10).await?;
            latencies.push(t.elapsed());
            recall += hits.iter().filter(|h| truth.contains(&h.source_id)).count() as f64 / 10.0;
        }
        println!(
            "    ef {ef:>4}: filtered top-10 p50 {}  p99 {}  recall@10 {:.3} ({} queries)",
            ms(pct(&mut latencies, 50.0)),
            ms(pct(&mut latencies, 99.0)),
            recall / made.queries.len() as f64,
            made.queries.len()
        );
    }
    println!(
        "    disk {:.0} MiB, peak RSS {:.0} MiB",
        dir_size(&dir) as f64 / (1 << 20) as f64,
        peak_rss_mib().unwrap_or(0.0)
    );
    // The shard flushes when dropped: close it before its folder goes.
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
