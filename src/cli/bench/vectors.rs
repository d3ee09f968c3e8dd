//! The embedded vector store at scale: synthetic 384-d points, filtered top-10
//! latency and recall against exact search, build time, disk and memory.

use super::store::{ms, pct};
use super::{BenchData, peak_rss_mib};
use shopkeeper_memory::vector::edge::{EdgeStore, Tuning};
use shopkeeper_memory::vector::{Kind, Point, VectorStore};
use std::collections::HashSet;
use std::time::Instant;

const DIM: usize = 384;

/// A deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Clustered points, like real embeddings (topics, each with its spread), not uniform
/// noise: 256 centres, every point its centre plus noise of about 0.6 of its length.
fn synthetic(n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let centers: Vec<Vec<f32>> = (0..256)
        .map(|_| unit((0..DIM).map(|_| rng.next()).collect()))
        .collect();
    (0..n)
        .map(|i| {
            let c = &centers[i % centers.len()];
            unit(c.iter().map(|x| x + 0.05 * rng.next()).collect())
        })
        .collect()
}

/// Multi-scale structure, as sentence embeddings have: 256 topics, each with 64
/// subtopics (offsets of about half the topic's length), each point its subtopic plus
/// noise of about a fifth of its length. Neighbourhoods are nested, not one flat
/// cloud per centre as in `synthetic`.
fn topical(n: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let topics: Vec<Vec<f32>> = (0..256)
        .map(|_| unit((0..DIM).map(|_| rng.next()).collect()))
        .collect();
    let subtopics: Vec<Vec<f32>> = (0..256 * 64)
        .map(|s| {
            let offset = unit((0..DIM).map(|_| rng.next()).collect());
            unit(
                topics[s % 256]
                    .iter()
                    .zip(offset)
                    .map(|(t, o)| t + 0.5 * o)
                    .collect(),
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let c = &subtopics[i % subtopics.len()];
            unit(c.iter().map(|x| x + 0.017 * rng.next()).collect())
        })
        .collect()
}

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

/// Loads `n` points (half in the measured shop, the rest as filter noise), then measures.
pub async fn run(n: usize, queries: usize, tuning: Tuning, data: BenchData) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("shopkeeper-vectors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let vectors = match data {
        BenchData::Clusters => synthetic(n, &mut rng),
        BenchData::Topics => topical(n, &mut rng),
    };
    let store = EdgeStore::open_tuned(&dir, DIM, tuning).await?;
    let started = Instant::now();
    for (chunk_no, chunk) in vectors.chunks(2000).enumerate() {
        let points = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let k = chunk_no * 2000 + i;
                // Every other point belongs to another shop: the filter must do real work.
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

    let mut latencies = Vec::with_capacity(queries);
    let mut recall = 0.0;
    for q in 0..queries {
        // A query near a stored point, as far from it as points are from their centre.
        let spread = match data {
            BenchData::Clusters => 0.05,
            BenchData::Topics => 0.017,
        };
        let query = unit(
            vectors[(q * 7919) % n]
                .iter()
                .map(|x| x + spread * rng.next())
                .collect(),
        );
        let t = Instant::now();
        let hits = store.search("bench", Kind::Product, &query, 10).await?;
        latencies.push(t.elapsed());
        // Exact top-10 among the shop's points.
        let mut exact: Vec<(f32, usize)> = vectors
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 2 == 0)
            .map(|(k, v)| (v.iter().zip(&query).map(|(a, b)| a * b).sum::<f32>(), k))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let truth: HashSet<String> = exact.iter().take(10).map(|(_, k)| k.to_string()).collect();
        recall += hits.iter().filter(|h| truth.contains(&h.source_id)).count() as f64 / 10.0;
    }
    println!(
        "  {n} {data:?} points ({} in the searched shop), {DIM}-d, m={} ef_construct={} ef={}:",
        n.div_ceil(2),
        tuning.m,
        tuning.ef_construct,
        tuning.ef
    );
    println!(
        "    load {} + index build {} = {}",
        ms(loaded),
        ms(built.saturating_sub(loaded)),
        ms(built)
    );
    println!(
        "    filtered top-10 p50 {}  p99 {}  recall@10 {:.3} ({queries} queries)",
        ms(pct(&mut latencies, 50.0)),
        ms(pct(&mut latencies, 99.0)),
        recall / queries as f64
    );
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
