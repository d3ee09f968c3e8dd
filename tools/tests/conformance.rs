//! Conformance with the τ²-bench retail oracle: replaying every task's gold
//! actions on a fresh store reproduces the published database hashes.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use shopkeeper_tools::{Caller, LocalStore, Policy, Role, Semantics, local_registry};
use std::collections::BTreeMap;

const TASKS: &str = include_str!("fixtures/tau2-retail/tasks.json");
const EXPECTED: &str = include_str!("fixtures/tau2-retail/expected_hashes.tsv");
const INITIAL_HASH: &str = "b25c9cb211f5efcaee5dd646054a73c4a9f43f4f5acc32c10713cd9f9ac20e9c";

struct Expected {
    hash: String,
    depends_on_quirk: bool,
}

fn expected() -> BTreeMap<String, Expected> {
    let mut lines = EXPECTED.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, hash, quirk) = (
        col("task_id"),
        col("final_db_hash_sha256"),
        col("depends_on_modify_items_quirk"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[id].to_string(),
                Expected {
                    hash: f[hash].to_string(),
                    depends_on_quirk: f[quirk] == "True",
                },
            )
        })
        .collect()
}

fn gold_actions() -> Vec<(String, Vec<(String, Value)>)> {
    let tasks: Vec<Value> = serde_json::from_str(TASKS).unwrap();
    tasks
        .iter()
        .map(|t| {
            let actions = t["evaluation_criteria"]["actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            (
                                x["name"].as_str().unwrap().to_string(),
                                x["arguments"].clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (t["id"].as_str().unwrap().to_string(), actions)
        })
        .collect()
}

async fn replay(semantics: Semantics, actions: &[(String, Value)]) -> String {
    let store = LocalStore::fresh(semantics).await.unwrap();
    let registry = local_registry(store.clone(), Policy::allow_all()).unwrap();
    for (name, args) in actions {
        // Some gold actions are meant to fail (e.g. an exchange on an empty gift card).
        let _ = registry.call(&caller(), name, args.clone()).await;
    }
    store.sha256().await.unwrap()
}

#[tokio::test]
async fn fresh_store_hashes_to_the_published_initial_hash() {
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    assert_eq!(store.sha256().await.unwrap(), INITIAL_HASH);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compat_mode_reproduces_all_114_task_hashes() {
    let expected = expected();
    let tasks = gold_actions();
    assert_eq!(tasks.len(), 114);
    let mut mismatches = Vec::new();
    for (id, actions) in &tasks {
        let got = replay(Semantics::Tau2, actions).await;
        if got != expected[id].hash {
            mismatches.push(id.clone());
        }
    }
    assert!(
        mismatches.is_empty(),
        "tasks whose hash differs: {mismatches:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_mode_differs_only_where_the_quirk_matters() {
    let expected = expected();
    let mut differing = Vec::new();
    for (id, actions) in &gold_actions() {
        if replay(Semantics::Correct, actions).await != expected[id].hash {
            differing.push(id.clone());
        }
    }
    let quirky: Vec<String> = expected
        .iter()
        .filter(|(_, e)| e.depends_on_quirk)
        .map(|(id, _)| id.clone())
        .collect();
    let mut differing_sorted = differing.clone();
    differing_sorted.sort();
    assert_eq!(differing_sorted, quirky);
}

/// Tests act as the shop's owner on the command line.
fn caller() -> Caller {
    Caller::new("cli", Role::Owner)
}
