//! `shopkeeper bench memory`: how fast the local model embeds on this machine.

use shopkeeper_memory::DataDir;
use shopkeeper_memory::embed::Embedder;
use shopkeeper_memory::embed::minilm::MiniLm;
use shopkeeper_memory::embed::models::{MINILM, model_dir};
use std::process::ExitCode;
use std::time::Instant;

/// The local model, from the data directory.
pub fn model() -> anyhow::Result<MiniLm> {
    Ok(MiniLm::load(&model_dir(&DataDir::resolve()?, &MINILM))?)
}

pub async fn run(sentences: usize) -> anyhow::Result<ExitCode> {
    let model = match model() {
        Ok(m) => m,
        Err(e) => {
            println!("embedding throughput: skipped ({e})");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let products = [
        "linen shirt",
        "water bottle",
        "office chair",
        "hiking boots",
        "espresso machine",
        "yoga mat",
        "desk lamp",
    ];
    let colors = ["blue", "red", "black", "white", "green", "grey"];
    let texts: Vec<String> = (0..sentences)
        .map(|i| {
            format!(
                "{} {} in size {}, customer review number {i}",
                colors[i % colors.len()],
                products[i % products.len()],
                ["S", "M", "L", "XL"][i % 4]
            )
        })
        .collect();
    model.embed(&texts[..texts.len().min(32)]).await?;
    let started = Instant::now();
    let vectors = model.embed(&texts).await?;
    let elapsed = started.elapsed();
    println!(
        "shopkeeper bench memory ({} on CPU, batches of 32)",
        MINILM.name
    );
    println!(
        "  embedded {} sentences ({}-d) in {:.2} s: {:.0} sentences/s",
        vectors.len(),
        model.dimensions(),
        elapsed.as_secs_f64(),
        vectors.len() as f64 / elapsed.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
