//! Search memory through the binary: `shopkeeper sync` embeds the store into the
//! embedded vector store (incrementally), and the memory tools answer from it.
//! Embeddings come from a scripted OpenAI-compatible `/v1/embeddings` (the real
//! wire protocol) and, where the model is installed, from the local MiniLM.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const OPENAI_EMBEDDINGS: &str = "[memory]\nembeddings = \"openai\"\nembedding_model = \"scripted-embed\"\nembedding_dimensions = 8\n";

fn run(home: &Path, base_url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
    cmd.args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_MODEL")
        .env_remove("SHOPKEEPER_EMBEDDINGS")
        .env_remove("QDRANT_URL")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    if let Some(url) = base_url {
        cmd.env("OPENAI_BASE_URL", url);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok_json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn call(home: &Path, url: Option<&str>, tool: &str, args: Value) -> Value {
    ok_json(&run(
        home,
        url,
        &["tool", "call", "--yes", tool, &args.to_string()],
    ))
}

// The binary runs blocking on this thread; the scripted server needs another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_embeds_what_changed_and_the_memory_tools_answer() {
    let server = ScriptedServer::start(Vec::<Reply>::new()).await.unwrap();
    let url = server.base_url();
    let url = Some(url.as_str());
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("shopkeeper.toml"), OPENAI_EMBEDDINGS).unwrap();

    // Before any sync, search says how to fill memory; profiles work without it.
    let early = run(
        home.path(),
        url,
        &[
            "tool",
            "call",
            "search_products",
            r#"{"query":"water bottle"}"#,
        ],
    );
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("shopkeeper sync"),
        "{}",
        text(&early.stderr)
    );

    let first = ok_json(&run(home.path(), url, &["sync", "--json"]));
    let products = first["products"]["total"].as_u64().unwrap();
    let customers = first["customers"]["total"].as_u64().unwrap();
    assert!(products > 0 && customers > 0);
    assert_eq!(first["products"]["added"], products);
    assert_eq!(first["customers"]["added"], customers);
    assert_eq!(first["profiles_created"], customers);

    assert_eq!(first["mode"], "full");
    // Re-running changes nothing: incrementally (nothing changed since), and in full.
    let second = ok_json(&run(home.path(), url, &["sync", "--json"]));
    assert_eq!(second["mode"], "incremental");
    let full = ok_json(&run(home.path(), url, &["sync", "--json", "--full"]));
    assert_eq!(full["mode"], "full");
    for report in [&second, &full] {
        for kind in ["products", "customers"] {
            assert_eq!(report[kind]["added"], 0, "{report}");
            assert_eq!(report[kind]["updated"], 0, "{report}");
            assert_eq!(report[kind]["removed"], 0, "{report}");
        }
        assert_eq!(report["profiles_created"], 0);
    }
    for kind in ["products", "customers"] {
        assert_eq!(second[kind]["total"], 0, "nothing read: {second}");
        assert_eq!(full[kind]["unchanged"], first[kind]["total"]);
    }

    // One product sells out: the next sync re-embeds that product and nothing else.
    let types = call(home.path(), url, "list_all_product_types", json!({}));
    let product_id = types
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let product = call(
        home.path(),
        url,
        "get_product_details",
        json!({"product_id": product_id}),
    );
    let variants = product["variants"].as_object().unwrap();
    let available: Vec<&String> = variants
        .iter()
        .filter(|(_, v)| v["available"] == true)
        .map(|(id, _)| id)
        .collect();
    // The seed tracks no stock counts: receive one, sell it, and the variant is out.
    for item in &available {
        for delta in [1, -1] {
            call(
                home.path(),
                url,
                "adjust_inventory",
                json!({"sku": item, "delta": delta, "reason": "cycle_count_available"}),
            );
        }
    }
    // The store's own writes reached the event log; an incremental sync applies them and
    // reads only what changed: the one product.
    let third = ok_json(&run(home.path(), url, &["sync", "--json"]));
    assert_eq!(third["mode"], "incremental");
    assert_eq!(third["products"]["updated"], 1, "{third}");
    assert_eq!(third["products"]["total"], 1, "{third}");
    assert_eq!(third["customers"]["updated"], 0);
    let events = ok_json(&run(
        home.path(),
        url,
        &["events", "list", "--json", "--type", "inventory.changed"],
    ));
    let events = events.as_array().unwrap();
    assert_eq!(
        events.len(),
        2 * available.len(),
        "one event per stock change"
    );
    assert!(
        events.iter().all(|e| !e["processed_at"].is_null()),
        "{events:?}"
    );
    let full = ok_json(&run(home.path(), url, &["sync", "--json", "--full"]));
    assert_eq!(full["products"]["unchanged"], products, "{full}");

    // Filters hold whatever the similarity says: in-stock only never returns it.
    let found = call(
        home.path(),
        url,
        "search_products",
        json!({"query": types.as_object().unwrap().keys().next().unwrap(), "filters": {"available_only": true}, "limit": 20}),
    );
    let found = found.as_array().unwrap();
    assert!(!found.is_empty());
    assert!(found.iter().all(|h| h["available"] == true));
    assert!(found.iter().all(|h| h["product_id"] != product_id.as_str()));
    let cheap = call(
        home.path(),
        url,
        "search_products",
        json!({"query": "anything", "filters": {"max_price": 60.0}, "limit": 20}),
    );
    assert!(
        cheap
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["min_price"].as_f64().unwrap() <= 60.0)
    );

    // A customer with tickets: one profile, one timeline of tickets, orders and notes.
    let tickets = call(home.path(), url, "list_tickets", json!({"limit": 1}));
    let user_id = tickets[0]["user_id"].as_str().unwrap().to_string();
    let user = call(
        home.path(),
        url,
        "get_user_details",
        json!({"user_id": user_id}),
    );
    let email = user["email"].as_str().unwrap().to_uppercase();
    let remembered = call(
        home.path(),
        url,
        "remember",
        json!({"about": "customer", "id": user_id, "note": "prefers email over phone"}),
    );
    assert_eq!(remembered["indexed"], true);
    // Found by email in another spelling (case), the same profile as by user id.
    let by_email = call(
        home.path(),
        url,
        "customer_profile",
        json!({"email": email}),
    );
    let by_id = call(
        home.path(),
        url,
        "customer_profile",
        json!({"user_id": user_id}),
    );
    assert_eq!(by_email, by_id);
    assert_eq!(by_id["records"], json!([format!("local:{user_id}")]));
    assert_eq!(by_id["orders"], user["orders"].as_array().unwrap().len());
    let timeline = by_id["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"ticket") && kinds.contains(&"order") && kinds.contains(&"note"));
    assert!(timeline.iter().any(|e| e["id"] == tickets[0]["id"]));
    assert!(
        timeline
            .iter()
            .any(|e| e["summary"].as_str().unwrap().contains("prefers email"))
    );
    // Dated entries come first, newest first.
    let dated: Vec<&str> = timeline.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(dated.windows(2).all(|w| w[0] >= w[1]), "{dated:?}");
    assert_eq!(kinds.last(), Some(&"order"));

    let bad = run(
        home.path(),
        url,
        &[
            "tool",
            "call",
            "customer_profile",
            r#"{"user_id":"a","email":"b@c.de"}"#,
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("exactly one"),
        "{}",
        text(&bad.stderr)
    );
}

/// Where the local model is installed: recall by meaning, on the real catalog.
#[tokio::test]
async fn the_local_model_finds_products_and_customers_by_meaning() {
    let models = std::env::var("SHOPKEEPER_MODEL_DIR").ok();
    let installed = models
        .as_deref()
        .is_some_and(|d| Path::new(d).join("model.safetensors").is_file());
    if !installed {
        eprintln!(
            "notice: SHOPKEEPER_MODEL_DIR has no embedding model; run `shopkeeper models fetch` to run this test"
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let sync = ok_json(&run(home.path(), None, &["sync", "--json"]));
    assert!(sync["products"]["added"].as_u64().unwrap() > 0);

    let types = call(home.path(), None, "list_all_product_types", json!({}));
    let id_of = |name: &str| types[name].as_str().unwrap().to_string();
    for (query, expected) in [
        ("insulated bottle for water", "Water Bottle"),
        ("a gift for someone who loves coffee", "Coffee Maker"),
        ("keyboard with clicky switches", "Mechanical Keyboard"),
        ("ergonomic chair for the office", "Office Chair"),
    ] {
        let hits = call(
            home.path(),
            None,
            "search_products",
            json!({"query": query, "limit": 3}),
        );
        let ids: Vec<&str> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["product_id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&id_of(expected).as_str()),
            "{query:?} -> {hits}"
        );
    }

    // A customer by name and city, without their id.
    let tickets = call(home.path(), None, "list_tickets", json!({"limit": 1}));
    let user_id = tickets[0]["user_id"].as_str().unwrap();
    let user = call(
        home.path(),
        None,
        "get_user_details",
        json!({"user_id": user_id}),
    );
    let query = format!(
        "{} {} from {}",
        user["name"]["first_name"].as_str().unwrap(),
        user["name"]["last_name"].as_str().unwrap(),
        user["address"]["city"].as_str().unwrap()
    );
    let hits = call(
        home.path(),
        None,
        "search_customers",
        json!({"query": query}),
    );
    assert_eq!(hits[0]["user_id"], user_id, "{query:?} -> {hits}");
}

/// `bench memory` measures every beam width on one index build, against exact search,
/// with full vectors and with an int8 copy.
#[test]
fn bench_memory_reports_recall_for_each_beam_width() {
    let home = tempfile::tempdir().unwrap();
    for quantized in [false, true] {
        let mut args = vec![
            "bench",
            "memory",
            "--sentences",
            "0",
            "--points",
            "20000",
            "--queries",
            "40",
            "--data",
            "clusters",
            "--ef",
            "10,400",
        ];
        if quantized {
            args.push("--quantized");
        }
        let out = run(home.path(), None, &args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
        assert_eq!(
            stdout.contains("ef_construct=200, int8:"),
            quantized,
            "{stdout}"
        );
        let recall = |ef: &str| -> f64 {
            let line = stdout
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("ef {ef:>4}:")))
                .unwrap_or_else(|| panic!("no line for ef {ef}:\n{stdout}"));
            line.split("recall@10 ").nth(1).unwrap()[..5]
                .parse()
                .unwrap()
        };
        // 10000 points in the searched shop (enough for the engine to search its graph
        // rather than scan them): a wide beam finds nearly all true neighbours, a beam of
        // 10 misses many in this noise.
        let (narrow, wide) = (recall("10"), recall("400"));
        assert!(wide >= 0.95, "{stdout}");
        assert!(narrow < wide - 0.1, "{stdout}");
        // Isotropic noise in 384 dimensions spreads in many directions.
        let lid: f64 = stdout
            .split("dimensionality at the queries ≈ ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(lid > 20.0, "{stdout}");
    }
}

/// `[memory] quantized = true`: the embedded store is opened with an int8 copy and
/// answers as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quantized_store_syncs_and_answers() {
    let server = ScriptedServer::start(Vec::<Reply>::new()).await.unwrap();
    let url = server.base_url();
    let url = Some(url.as_str());
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        format!("{OPENAI_EMBEDDINGS}quantized = true\n"),
    )
    .unwrap();
    let shown = run(home.path(), url, &["config"]);
    assert!(
        text(&shown.stdout).contains("quantized = true"),
        "{}",
        text(&shown.stdout)
    );
    let synced = ok_json(&run(home.path(), url, &["sync", "--json"]));
    assert!(
        synced["products"]["added"].as_u64().unwrap() > 0,
        "{synced}"
    );
    let types = call(home.path(), url, "list_all_product_types", json!({}));
    let (name, _) = types.as_object().unwrap().iter().next().unwrap();
    let hits = call(
        home.path(),
        url,
        "search_products",
        json!({"query": name, "limit": 3}),
    );
    assert!(!hits.as_array().unwrap().is_empty(), "{hits}");
    // The engine keeps the setting with the store.
    let vectors = home.path().join("vectors");
    let config = std::fs::read_dir(&vectors)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("edge_config.json"))
        .find(|p| p.is_file())
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap_or_default();
    assert!(config.contains("int8"), "{config}");
}
