//! `shopkeeper bench store`: figures for the built-in store.

use anyhow::Context;
use serde_json::{Value, json};
use shopkeeper_tools::{Caller, LocalStore, Policy, Role, Semantics, local_registry};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Seed time, read and write tool-call latency, and the 114 τ²-bench replays.
pub async fn run(tasks_path: &PathBuf, calls: usize) -> anyhow::Result<ExitCode> {
    let tasks: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(tasks_path).with_context(|| {
            format!(
                "reading {} (run from the repository root or pass --tasks)",
                tasks_path.display()
            )
        })?)?;
    let dir = tempfile_dir()?;

    // Seeding: a new file-backed store (what a first run does) and an in-memory one (what replay does).
    let mut file_seed = Vec::new();
    for i in 0..5 {
        let path = dir.join(format!("seed-{i}.sqlite"));
        let t = Instant::now();
        let s = LocalStore::open(&path, Semantics::Correct).await?;
        file_seed.push(t.elapsed());
        s.close().await;
    }
    let mut memory_seed = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let s = LocalStore::fresh(Semantics::Correct).await?;
        memory_seed.push(t.elapsed());
        s.close().await;
    }

    // Tool calls on a file-backed store in WAL mode, through the registry (validation included).
    let store = LocalStore::open(&dir.join("calls.sqlite"), Semantics::Correct).await?;
    // Throwaway stores: no approvals, so the figures are the store's own.
    let registry = local_registry(store.clone(), Policy::allow_all())?;
    let me = Caller::new("bench", Role::Owner);
    let orders: Vec<String> = store
        .export()
        .await?
        .get("orders")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut reads = Vec::with_capacity(calls);
    for i in 0..calls {
        let args = json!({"order_id": orders[i % orders.len()]});
        let t = Instant::now();
        registry.call(&me, "get_order_details", args).await?;
        reads.push(t.elapsed());
    }
    let pending: Vec<String> = store
        .export()
        .await?
        .get("orders")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v["status"] == "pending")
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut writes = Vec::with_capacity(calls);
    for i in 0..calls {
        let args = json!({
            "order_id": pending[i % pending.len()],
            "address1": format!("{} Bench Street", i), "address2": "", "city": "Austin",
            "state": "TX", "country": "USA", "zip": "78701",
        });
        let t = Instant::now();
        registry
            .call(&me, "modify_pending_order_address", args)
            .await?;
        writes.push(t.elapsed());
    }
    store.close().await;

    // The 114 conformance replays, each on a fresh in-memory store.
    let t = Instant::now();
    for task in &tasks {
        let s = LocalStore::fresh(Semantics::Tau2).await?;
        let r = local_registry(s.clone(), Policy::allow_all())?;
        for action in task["evaluation_criteria"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = action["name"].as_str().unwrap_or_default();
            let _ = r.call(&me, name, action["arguments"].clone()).await;
        }
        s.sha256().await?;
        s.close().await;
    }
    let replays = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);

    println!("shopkeeper bench store ({} calls per kind)", calls);
    println!(
        "  seed, new file store      p50 {:>9}  max {:>9}",
        ms(pct(&mut file_seed, 50.0)),
        ms(pct(&mut file_seed, 100.0))
    );
    println!(
        "  seed, in-memory store     p50 {:>9}  max {:>9}",
        ms(pct(&mut memory_seed, 50.0)),
        ms(pct(&mut memory_seed, 100.0))
    );
    println!(
        "  read  (get_order_details) p50 {:>9}  p99 {:>9}",
        us(pct(&mut reads, 50.0)),
        us(pct(&mut reads, 99.0))
    );
    println!(
        "  write (modify_pending_order_address) p50 {:>9}  p99 {:>9}",
        us(pct(&mut writes, 50.0)),
        us(pct(&mut writes, 99.0))
    );
    println!(
        "  {} τ²-bench replays (fresh store each, hash included): {}",
        tasks.len(),
        ms(replays)
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("shopkeeper-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(super) fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

pub(super) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub(super) fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}
