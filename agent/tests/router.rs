//! The offline router on the labelled requests (agent/tests/fixtures/router_eval.jsonl),
//! with the real local embedding model where it is installed.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shopkeeper_agent::prompts::Prompts;
use shopkeeper_agent::router::eval::{Report, evaluate, parse_cases};
use shopkeeper_agent::router::{RouterModel, RouterSettings};
use shopkeeper_memory::embed::minilm::MiniLm;
use shopkeeper_memory::embed::models::{MINILM, model_dir, verify};
use shopkeeper_memory::profiles::Profiles;
use shopkeeper_memory::{AppDb, DataDir};
use shopkeeper_tools::recall::Recall;
use shopkeeper_tools::retail::RetailStore;
use shopkeeper_tools::{LocalStore, Policy, Semantics, ToolInfo, local_registry};
use std::sync::Arc;

const CASES: &str = include_str!("fixtures/router_eval.jsonl");

#[tokio::test]
async fn the_router_is_right_when_it_answers_and_declines_what_it_cannot_do() {
    let dir = model_dir(&DataDir::resolve().unwrap(), &MINILM);
    if verify(&dir, &MINILM).is_err() {
        eprintln!(
            "notice: no embedding model in {}; run `shopkeeper models fetch` (or set SHOPKEEPER_MODEL_DIR) to run this test",
            dir.display()
        );
        return;
    }
    let embedder = Arc::new(MiniLm::load(&dir).unwrap());
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let products: Vec<String> = store.product_types().await.unwrap().into_keys().collect();
    let mut registry = local_registry(store.clone(), Policy::default()).unwrap();
    // The memory tools are routed like any other; routing only needs their definitions.
    let home = tempfile::tempdir().unwrap();
    let db = AppDb::open_in(&DataDir::at(home.path())).await.unwrap();
    let recall = Recall::new(
        "Test Shop",
        Profiles::new(db),
        Arc::new(|| Box::pin(async { Err("not needed to route".to_string()) })),
    );
    let shared = Arc::new(store);
    shopkeeper_tools::recall::tools::register(&mut registry, recall, shared.clone(), Some(shared))
        .unwrap();
    let tools: Vec<ToolInfo> = registry.list().cloned().collect();
    let router = RouterModel::new(
        embedder,
        &tools,
        Prompts::default(),
        "Test Shop",
        products,
        RouterSettings::default(),
    )
    .await
    .unwrap();
    let cases = parse_cases(CASES).unwrap();
    assert!(cases.len() >= 200);
    let r = evaluate(&router, &cases).await.unwrap();
    let exact = Report::share(r.answered_exact, r.answered);
    let answered = Report::share(r.answered, r.cases);
    let intent = Report::share(r.label_correct, r.cases);
    eprintln!(
        "intent {intent:.3}, answered {answered:.3}, exact among answered {exact:.3}, mistakes: {:#?}",
        r.mistakes
    );
    assert!(
        exact >= 0.9,
        "exact tool and arguments on answered requests: {exact:.3}"
    );
    assert!(answered >= 0.7, "answered share: {answered:.3}");
    assert!(intent >= 0.8, "intent accuracy: {intent:.3}");
    assert_eq!(
        r.unknown_answered, 0,
        "out-of-scope requests must get \"I don't know\""
    );
}
