//! `shopkeeper bench router`: the offline router on the labelled requests — intent
//! accuracy, argument accuracy, the share it answers, and latency per routed turn.

use super::store::{ms, pct};
use crate::cli::session::load_config;
use shopkeeper_agent::prompts::Prompts;
use shopkeeper_agent::router::eval::{Report, evaluate, parse_cases};
use shopkeeper_agent::router::{RouterModel, RouterSettings};
use shopkeeper_tools::ToolInfo;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn run(
    config: Option<&Path>,
    cases: PathBuf,
    settings: RouterSettings,
    mistakes: bool,
) -> anyhow::Result<ExitCode> {
    let (cfg, dir, _) = load_config(config)?;
    let embedder = match crate::cli::recall::embedder(&cfg, &dir).await {
        Ok(e) => e,
        Err(e) => {
            println!("router: skipped ({e})");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let ops = crate::cli::session::Ops::open(config).await?;
    let tools: Vec<ToolInfo> = ops.registry.list().cloned().collect();
    let products = ops.product_names().await?;
    ops.close().await;
    let text = std::fs::read_to_string(&cases)?;
    let cases = parse_cases(&text)?;
    let started = std::time::Instant::now();
    let router = RouterModel::new(
        embedder,
        &tools,
        Prompts::default(),
        &cfg.store_name,
        products,
        settings,
    )
    .await?;
    let setup = started.elapsed();
    let mut r = evaluate(&router, &cases).await?;
    println!(
        "shopkeeper bench router ({} requests, threshold {}, margin {})",
        r.cases, settings.threshold, settings.margin
    );
    println!("  setup (embedding every tool's examples): {}", ms(setup));
    println!(
        "  intent accuracy (tool, greeting/help/thanks, or unknown): {:.1}% ({}/{})",
        100.0 * Report::share(r.label_correct, r.cases),
        r.label_correct,
        r.cases
    );
    println!(
        "  argument accuracy (right tool chosen, exact arguments): {:.1}% ({}/{})",
        100.0 * Report::share(r.arguments_correct, r.argument_cases),
        r.arguments_correct,
        r.argument_cases
    );
    println!(
        "  answered with confidence: {:.1}% ({}/{}); exact among answered: {:.1}% ({}/{})",
        100.0 * Report::share(r.answered, r.cases),
        r.answered,
        r.cases,
        100.0 * Report::share(r.answered_exact, r.answered),
        r.answered_exact,
        r.answered
    );
    println!(
        "  out-of-scope or multi-intent requests answered anyway: {}",
        r.unknown_answered
    );
    println!(
        "  latency per routed turn: p50 {}  p99 {}",
        ms(pct(&mut r.latencies, 50.0)),
        ms(pct(&mut r.latencies, 99.0))
    );
    if mistakes {
        for (text, expected, did) in &r.mistakes {
            println!("  ✗ {text:?}\n      expected {expected}\n      got      {did}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
