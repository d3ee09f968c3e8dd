//! `shopkeeper bench agent`: what the agent loop costs on top of the HTTP calls it makes.

use super::store::{ms, pct, tempfile_dir, us};
use super::{cpu_seconds, peak_rss_mib};
use serde_json::{Value, json};
use shopkeeper_agent::llm::openai::{OpenAiModel, OpenAiSettings};
use shopkeeper_agent::llm::retry::RetryPolicy;
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_agent::{Agent, AgentSettings, RunStatus, Silent};
use shopkeeper_memory::{AppDb, ConversationInfo};
use shopkeeper_tools::{LocalStore, Policy, Semantics, local_registry};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Answers with a `get_order_details` call until the conversation holds `turns` tool
/// results since the last user message, then with text: a run of `turns` tool turns.
fn responder(turns: usize) -> Arc<dyn Fn(&Value) -> Reply + Send + Sync> {
    Arc::new(move |request: &Value| {
        let messages = request["messages"].as_array().cloned().unwrap_or_default();
        let since_user = messages
            .iter()
            .rev()
            .take_while(|m| m["role"] != "user")
            .filter(|m| m["role"] == "tool")
            .count();
        if since_user < turns {
            Reply::tools(&[("get_order_details", json!({"order_id": "#W6779827"}))])
        } else {
            Reply::text("Order #W6779827 is pending.")
        }
    })
}

fn settings(server: &ScriptedServer) -> OpenAiSettings {
    OpenAiSettings {
        base_url: server.base_url(),
        api_key: "bench".into(),
        model: "scripted".into(),
        temperature: None,
        timeout: Duration::from_secs(60),
        retry: RetryPolicy::default(),
        stream: false,
    }
}

pub async fn run(
    runs: usize,
    turns: usize,
    concurrent: usize,
    database_url: Option<String>,
) -> anyhow::Result<ExitCode> {
    let server = ScriptedServer::with_responder(responder(turns)).await?;
    let dir = tempfile_dir()?;
    let store = LocalStore::fresh(Semantics::Correct).await?;
    let registry = Arc::new(local_registry(store.clone(), Policy::default())?);
    let tools = registry.openai_tools();
    let url =
        database_url.unwrap_or_else(|| format!("sqlite://{}/app.sqlite?mode=rwc", dir.display()));
    let db = AppDb::connect(&url).await?;
    let model = Arc::new(OpenAiModel::new(settings(&server))?);
    let agent = Arc::new(Agent::new(
        model,
        registry,
        db,
        "You are a benchmark.".into(),
        AgentSettings {
            max_turns: (turns + 2) as u32,
            tool_timeout: Duration::from_secs(30),
            tool_concurrency: 4,
        },
    ));
    let conversation = |i: usize| ConversationInfo {
        id: format!("bench-{}-{i}", std::process::id()),
        channel: "bench".into(),
        role: "staff".into(),
    };

    // Warm up connections and caches.
    agent
        .send(&conversation(usize::MAX), "warm up", &Silent)
        .await?;

    // 1. The agent: full runs (model calls, validation, tool execution, checkpoints).
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let mut per_run = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        let outcome = agent
            .send(&conversation(i), "Where is order #W6779827?", &Silent)
            .await?;
        anyhow::ensure!(
            outcome.status == RunStatus::Done,
            "benchmark run ended {:?}",
            outcome.status
        );
        per_run.push(started.elapsed());
    }
    let agent_wall = t.elapsed();
    let agent_cpu = cpu0.zip(cpu_seconds()).map(|(a, b)| b - a);

    // 2. Bare async-openai: the same HTTP requests (same growing message lists), nothing else.
    let bare = bare_client(&server);
    let bodies = request_bodies(turns, &tools);
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    for _ in 0..runs {
        for body in &bodies {
            let _: Value = bare.chat().create_byot(body.clone()).await?;
        }
    }
    let bare_wall = t.elapsed();
    let bare_cpu = cpu0.zip(cpu_seconds()).map(|(a, b)| b - a);

    let model_calls = (runs * (turns + 1)) as f64;
    let per_turn = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() / model_calls);
    println!(
        "shopkeeper bench agent ({runs} runs × {turns} tool turns + 1 answer; zero-latency scripted model on loopback)"
    );
    println!(
        "  agent loop   {:>10} per model turn   run p50 {:>9}  p99 {:>9}",
        us(per_turn(agent_wall)),
        ms(pct(&mut per_run, 50.0)),
        ms(pct(&mut per_run, 99.0))
    );
    println!(
        "  bare client  {:>10} per model turn",
        us(per_turn(bare_wall))
    );
    println!(
        "  ratio        {:.2}× wall time of the bare request loop",
        agent_wall.as_secs_f64() / bare_wall.as_secs_f64().max(1e-9)
    );
    if let (Some(a), Some(b)) = (agent_cpu, bare_cpu) {
        println!(
            "  CPU          agent {:.0} µs/turn, bare {:.0} µs/turn (both include the in-process fake server)",
            a / model_calls * 1e6,
            b / model_calls * 1e6
        );
    }

    // 3. Many conversations at once in this process.
    let t = Instant::now();
    let tasks: Vec<_> = (0..concurrent)
        .map(|i| {
            let agent = agent.clone();
            let conv = conversation(runs + i);
            tokio::spawn(async move {
                let started = Instant::now();
                let outcome = agent
                    .send(&conv, "Where is order #W6779827?", &Silent)
                    .await;
                (started.elapsed(), outcome.map(|o| o.status))
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(concurrent);
    let mut failed = 0;
    for task in tasks {
        let (elapsed, status) = task.await?;
        match status {
            Ok(RunStatus::Done) => latencies.push(elapsed),
            _ => failed += 1,
        }
    }
    let total = t.elapsed();
    let alone = pct(&mut per_run, 50.0);
    let p99 = pct(&mut latencies, 99.0);
    println!(
        "  {concurrent} concurrent conversations: all done in {}, {failed} failed",
        ms(total)
    );
    println!(
        "    run latency p50 {:>9}  p99 {:>9}  (p99 added over a run alone: {})",
        ms(pct(&mut latencies, 50.0)),
        ms(p99),
        ms(p99.saturating_sub(alone))
    );
    if let Some(rss) = peak_rss_mib() {
        println!("    peak RSS {rss:.0} MiB (whole process, fake server included)");
    }
    agent.db().close().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

fn bare_client(
    server: &ScriptedServer,
) -> async_openai::Client<async_openai::config::OpenAIConfig> {
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(server.base_url())
        .with_api_key("bench");
    async_openai::Client::with_config(config)
}

/// The request bodies of one run (the same tools as the agent sends): the conversation grows
/// by a tool call and its result per turn.
fn request_bodies(turns: usize, tools: &[Value]) -> Vec<Value> {
    let order = json!({"order_id": "#W6779827", "status": "pending"}).to_string();
    let mut messages = vec![
        json!({"role": "system", "content": "You are a benchmark."}),
        json!({"role": "user", "content": "Where is order #W6779827?"}),
    ];
    let mut bodies = Vec::with_capacity(turns + 1);
    for turn in 0..=turns {
        bodies.push(json!({"model": "scripted", "messages": messages.clone(), "tools": tools, "stream": false}));
        let id = format!("call_{turn}");
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": id, "type": "function", "function": {"name": "get_order_details", "arguments": "{\"order_id\":\"#W6779827\"}"}}]}));
        messages.push(json!({"role": "tool", "tool_call_id": id, "content": order}));
    }
    bodies
}
