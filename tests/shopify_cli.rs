//! A shop on Shopify, through the built binary: `[shopify]` points it at the fake Admin API
//! on loopback, a scripted model plans, people approve in the terminal. The fake validates
//! every document against Shopify's published schema and records what it ran.

#![cfg(feature = "shopify")]
// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_agent::llm::scripted::{Reply, ScriptedServer};
use shopkeeper_connectors::shopify::fake::shop::Shop;
use shopkeeper_connectors::shopify::fake::{ALL_SCOPES, FakeOptions, FakeShopify};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

fn run(home: &Path, model: Option<&ScriptedServer>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopkeeper"));
    cmd.args(args)
        .current_dir(home)
        .env("SHOPKEEPER_HOME", home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .env_remove("SHOPKEEPER_CRASH_AT")
        .env_remove("SHOPKEEPER_SHOPIFY_TOKEN")
        .env_remove("RUST_LOG")
        .env("SHOPKEEPER_ROUTER", "off")
        .stdin(Stdio::null());
    if let Some(m) = model {
        cmd.env("OPENAI_BASE_URL", m.base_url())
            .env("SHOPKEEPER_MODEL", "scripted");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_out(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn configure(home: &Path, fake: &FakeShopify) {
    let c = fake.config();
    std::fs::write(
        home.join("shopkeeper.toml"),
        format!(
            "[shopify]\nshop = \"{}\"\naccess_token = \"{}\"\napi_url = \"{}\"\nwebhook_secret = \"whsec_0123456789\"\n",
            c.shop,
            c.access_token.unwrap().expose(),
            c.api_url.unwrap()
        ),
    )
    .unwrap();
}

/// The tool call a user message asks for, as a model would plan it.
fn plan(message: &str, sku: &str) -> Option<(&'static str, Value)> {
    if message.contains("where is") {
        Some(("get_order", json!({"order": "#1002"})))
    } else if message.contains("cancel") {
        Some((
            "cancel_order",
            json!({"order": "#1002", "reason": "customer"}),
        ))
    } else if message.contains("refund") {
        Some((
            "refund_order",
            json!({"order": "#1003", "line_items": [{"line": sku, "quantity": 1}], "note": "scratched"}),
        ))
    } else if message.contains("received") {
        Some((
            "adjust_inventory",
            json!({"sku": "SKU-4-S", "delta": 5, "reason": "received"}),
        ))
    } else if message.contains("list") {
        Some((
            "draft_product_listing",
            json!({"name": "Linen shirt", "product_type": "Shirt", "vendor": "Acme",
              "attributes": {"material": "100% linen"},
              "variants": [{"options": {"size": "M"}, "sku": "LIN-M", "price": "59.00", "inventory_quantity": 8}]}),
        ))
    } else {
        None
    }
}

fn model(sku: String) -> Arc<dyn Fn(&Value) -> Reply + Send + Sync> {
    Arc::new(move |request: &Value| {
        let messages = request["messages"].as_array().unwrap();
        let last = messages.last().unwrap();
        if last["role"] == "tool" {
            let content = last["content"].as_str().unwrap_or_default().to_string();
            let called = messages
                .iter()
                .rev()
                .find_map(|m| m["tool_calls"][0]["function"]["name"].as_str())
                .unwrap_or_default();
            if called == "draft_product_listing" {
                let draft: Value = serde_json::from_str(&content).unwrap();
                return Reply::tools(&[("create_product", json!({"listing": draft["listing"]}))]);
            }
            return Reply::text(&format!("Done: {content}"));
        }
        let said = last["content"].as_str().unwrap_or_default();
        match plan(said, &sku) {
            Some((tool, args)) => Reply::tools(&[(tool, args)]),
            None => Reply::text("I can only help with orders."),
        }
    })
}

fn approve_only(home: &Path, model: &ScriptedServer) -> Output {
    let listed = json_out(&run(
        home,
        Some(model),
        &["approvals", "list", "--json", "--status", "pending"],
        &[],
    ));
    let pending = listed.as_array().unwrap();
    assert_eq!(pending.len(), 1, "{listed}");
    let id = pending[0]["id"].as_str().unwrap().to_string();
    let out = run(home, Some(model), &["approvals", "approve", &id], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_runs_a_shopify_shop_with_approvals() {
    let fake = FakeShopify::start(FakeOptions::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    configure(&h, &fake);
    let refund_line = fake.shop().order(&Shop::order_gid(2)).unwrap()["lineItems"][0]["sku"]
        .as_str()
        .unwrap()
        .to_string();
    let server = ScriptedServer::with_responder(model(refund_line))
        .await
        .unwrap();
    let blocking = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (h, s) = (h.clone(), &server);
        tokio::task::block_in_place(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&h, Some(s), &a, &[])
        })
    };

    // The tools a Shopify shop is offered, and those it is not, with the reason.
    let tools = json_out(&blocking(&["tool", "list", "--json"]));
    let tool = |n: &str| {
        tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .cloned()
            .unwrap()
    };
    assert!(tool("cancel_order")["unavailable"].is_null());
    assert_eq!(tool("cancel_order")["capability"], "cancel_orders");
    assert!(
        tool("cancel_pending_order")["unavailable"]
            .as_str()
            .unwrap()
            .contains("built-in store"),
        "{}",
        tool("cancel_pending_order")
    );
    let refused = blocking(&[
        "tool",
        "call",
        "get_order_details",
        r##"{"order_id": "#W1"}"##,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("not available here"),
        "{}",
        text(&refused.stderr)
    );

    // A read runs at once.
    let out = blocking(&["ask", "where is order #1002?"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"number\":\"#1002\""),
        "{}",
        text(&out.stdout)
    );

    // A cancellation waits for a person, shows exactly what will happen, runs once.
    let out = blocking(&["ask", "please cancel order #1002"]);
    assert!(
        text(&out.stdout).contains("Waiting for approval"),
        "{}",
        text(&out.stdout)
    );
    let listed = json_out(&blocking(&["approvals", "list", "--json"]));
    let card = listed[0]["summary"].as_str().unwrap();
    assert!(
        card.starts_with("Cancel order #1002 (open, paid, unfulfilled;"),
        "{card}"
    );
    assert!(
        card.contains("refund $") && card.contains("restock"),
        "{card}"
    );
    assert_eq!(fake.ran("orderCancel"), 0, "nothing before approval");
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let approved = blocking(&["approvals", "approve", &id]);
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert!(
        text(&approved.stdout).contains("\"state\":\"cancelled\""),
        "{}",
        text(&approved.stdout)
    );
    let again = blocking(&["approvals", "approve", &id]);
    assert_eq!(again.status.code(), Some(1), "already approved");
    assert_eq!(fake.ran("orderCancel"), 1, "the mutation was sent once");

    // A partial refund and a stock change carry their approval's id as Shopify's key.
    blocking(&["ask", "refund one item on #1003"]);
    tokio::task::block_in_place(|| approve_only(&h, &server));
    blocking(&["ask", "we received 5 of SKU-4-S"]);
    tokio::task::block_in_place(|| approve_only(&h, &server));
    let approvals = json_out(&blocking(&["approvals", "list", "--json"]));
    let by_tool = |t: &str| {
        approvals
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["tool"] == t)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let calls = fake.calls();
    let key_of = |field: &str| {
        calls
            .iter()
            .find(|c| c.root_fields == [field] && c.outcome == "ok")
            .unwrap()
            .key
            .clone()
    };
    assert_eq!(key_of("refundCreate"), Some(by_tool("refund_order")));
    assert_eq!(
        key_of("inventoryAdjustQuantities"),
        Some(by_tool("adjust_inventory"))
    );
    let refunded = fake.shop().order(&Shop::order_gid(2)).unwrap();
    assert_eq!(refunded["displayFinancialStatus"], "PARTIALLY_REFUNDED");

    // A listing is drafted, shown as a diff, and created as a draft.
    blocking(&["ask", "list our new linen shirt"]);
    let approvals = json_out(&blocking(&[
        "approvals",
        "list",
        "--json",
        "--status",
        "pending",
    ]));
    let card = approvals[0]["summary"].as_str().unwrap();
    assert!(
        card.starts_with("Create a new draft product \"Linen shirt\""),
        "{card}"
    );
    assert!(
        card.contains("LIN-M (size: M) $59.00, 8 in stock"),
        "{card}"
    );
    tokio::task::block_in_place(|| approve_only(&h, &server));
    let created = fake.shop().product_by_handle("linen-shirt").unwrap();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(fake.ran("productSet"), 1);

    let invalid: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.outcome == "invalid")
        .collect();
    assert!(invalid.is_empty(), "{invalid:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_shopify_answered_is_reconciled_not_repeated() {
    let fake = FakeShopify::start(FakeOptions::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    configure(&h, &fake);
    let server = ScriptedServer::with_responder(model(String::new()))
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        run(
            &h,
            Some(&server),
            &["ask", "please cancel order #1002"],
            &[],
        );
        let listed = json_out(&run(
            &h,
            Some(&server),
            &["approvals", "list", "--json"],
            &[],
        ));
        let id = listed[0]["id"].as_str().unwrap().to_string();
        // The process dies after Shopify cancelled the order and before anything was recorded.
        let crashed = run(
            &h,
            Some(&server),
            &["approvals", "approve", &id],
            &[
                ("SHOPKEEPER_CRASH_AT", "after_tool_returned"),
                ("SHOPKEEPER_RECOVERY_LEASE_MS", "0"),
            ],
        );
        assert!(!crashed.status.success());
        assert_eq!(fake.ran("orderCancel"), 1);
        // The next command finds the call started without an outcome, asks Shopify, and
        // records what it found: the order is cancelled. Nothing is sent again.
        let audit = json_out(&run(
            &h,
            Some(&server),
            &["audit", "--json"],
            &[("SHOPKEEPER_RECOVERY_LEASE_MS", "0")],
        ));
        assert_eq!(fake.ran("orderCancel"), 1, "reconciled, never repeated");
        let reconciled = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "execution_reconciled")
            .unwrap();
        assert_eq!(reconciled["detail"]["found"], "applied", "{reconciled}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_checks_credentials_scopes_and_registers_webhooks() {
    let fake = FakeShopify::start(FakeOptions {
        scopes: ALL_SCOPES
            .iter()
            .filter(|s| !s.ends_with("_returns"))
            .map(|s| s.to_string())
            .collect(),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    configure(&h, &fake);
    tokio::task::block_in_place(|| {
        let out = run(
            &h,
            None,
            &[
                "connect",
                "shopify",
                "--register-webhooks",
                "https://shop.example/webhooks/shopify",
            ],
            &[],
        );
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{stdout}");
        assert!(
            stdout.contains("ok: shop Acme (fake) (acme.myshopify.com), plan Basic, currency USD"),
            "{stdout}"
        );
        assert!(
            stdout.contains("ok: 30 products, 60 orders, 20 customers"),
            "{stdout}"
        );
        assert!(
            stdout.contains("ok: webhooks: 13 topics subscribed"),
            "{stdout}"
        );
        let errors: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(
            errors,
            vec![
                "error: missing access scope read_returns: disables request_return",
                "error: missing access scope write_returns: disables request_return",
            ],
            "{stdout}"
        );
        assert!(!stdout.contains("shpat_"), "no token in the output");
        // Registering again adds nothing.
        let again = text(
            &run(
                &h,
                None,
                &[
                    "connect",
                    "shopify",
                    "--register-webhooks",
                    "https://shop.example/webhooks/shopify",
                ],
                &[],
            )
            .stdout,
        );
        assert!(
            again.contains(
                "0 topics subscribed to https://shop.example/webhooks/shopify (13 already were)"
            ),
            "{again}"
        );

        // A revoked token: one clear error, exit 2.
        let c = fake.config();
        std::fs::write(
            h.join("shopkeeper.toml"),
            format!("[shopify]\nshop = \"{}\"\naccess_token = \"shpat_revoked_0000000000\"\napi_url = \"{}\"\n", c.shop, c.api_url.unwrap()),
        )
        .unwrap();
        let revoked = run(&h, None, &["connect", "shopify"], &[]);
        assert_eq!(revoked.status.code(), Some(2));
        let stdout = text(&revoked.stdout);
        assert!(
            stdout.starts_with("error: the platform refused our credentials"),
            "{stdout}"
        );
        assert!(stdout.contains("reconnect"), "says what to do: {stdout}");
        assert!(!stdout.contains("shpat_revoked"), "{stdout}");
    });
}

#[test]
fn misspelt_configuration_is_refused_with_its_name() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        "[polcy]\nexpiry_minutes = 5\n[shopify]\nshop = \"a.myshopify.com\"\ntoken = \"x\"\n",
    )
    .unwrap();
    let out = run(home.path(), None, &["config"], &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown section [polcy] (did you mean `policy`?)"),
        "{err}"
    );
    std::fs::write(
        home.path().join("shopkeeper.toml"),
        "[shopify]\nshop = \"a.myshopify.com\"\ntoken = \"x\"\n",
    )
    .unwrap();
    let out = run(home.path(), None, &["config"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown field `token`"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stores_signed_webhooks_in_the_event_log_before_answering() {
    let fake = FakeShopify::start(FakeOptions::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    configure(&h, &fake);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut toml = std::fs::read_to_string(h.join("shopkeeper.toml")).unwrap();
    toml.push_str(&format!("\n[serve]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(h.join("shopkeeper.toml"), toml).unwrap();

    let check = tokio::task::block_in_place(|| run(&h, None, &["serve", "--check"], &[]));
    let stdout = text(&check.stdout);
    assert!(check.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "ok: shopify webhooks: POST /webhooks/shopify on 127.0.0.1:{port}"
        )),
        "{stdout}"
    );

    // No chat front and no language model: webhooks alone are served.
    let log = std::fs::File::create(h.join("serve.log")).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_shopkeeper"))
        .args(["serve"])
        .current_dir(&h)
        .env("SHOPKEEPER_HOME", &h)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("SHOPKEEPER_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/webhooks/shopify");
    shopkeeper_connectors::http::install_crypto_provider();
    let client = reqwest::Client::new();
    let body = json!({"id": 820982911946154508u64, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
                      "name": "#9999", "currency": "USD", "total_price": "10.00", "line_items": []})
    .to_string();
    let mut status = 0;
    for _ in 0..100 {
        match shopkeeper_connectors::shopify::fake::deliver(
            &client,
            &url,
            "whsec_0123456789",
            "acme.myshopify.com",
            "orders/create",
            "wh-1",
            body.as_bytes(),
        )
        .await
        {
            Ok(s) => {
                status = s;
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert_eq!(
        status,
        200,
        "{}",
        std::fs::read_to_string(h.join("serve.log")).unwrap_or_default()
    );
    let forged = shopkeeper_connectors::shopify::fake::deliver(
        &client,
        &url,
        "guess",
        "acme.myshopify.com",
        "orders/create",
        "wh-2",
        body.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(forged, 401);
    let again = shopkeeper_connectors::shopify::fake::deliver(
        &client,
        &url,
        "whsec_0123456789",
        "acme.myshopify.com",
        "orders/create",
        "wh-1",
        body.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(again, 200);
    let _ = serve.kill();
    let _ = serve.wait();

    let events = tokio::task::block_in_place(|| {
        json_out(&run(
            &h,
            None,
            &["events", "list", "--json", "--source", "shopify"],
            &[],
        ))
    });
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1, "one delivery stored once: {events:?}");
    let e = &events[0];
    for field in [
        "id",
        "source",
        "topic",
        "type",
        "external_id",
        "occurred_at",
        "received_at",
        "processed_at",
        "data",
    ] {
        assert!(e.get(field).is_some(), "{field} in {e}");
    }
    assert_eq!(e["type"], "order.created");
    assert_eq!(e["topic"], "orders/create");
    assert_eq!(e["external_id"], "wh-1");
    assert_eq!(e["data"]["order"]["number"], "#9999");
    let wrong = tokio::task::block_in_place(|| {
        run(&h, None, &["events", "list", "--type", "order.made"], &[])
    });
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong.stderr).contains("order.created"),
        "names the types"
    );
}

/// `bench shopify` at a tiny size: every record of the fake shop comes back through the
/// bulk export and the paged reads, and every webhook delivery is answered 200.
#[test]
fn bench_shopify_reads_every_record_and_answers_every_delivery() {
    let home = tempfile::tempdir().unwrap();
    let pg = std::env::var("SHOPKEEPER_TEST_POSTGRES_URL").ok();
    let mut args = vec![
        "bench",
        "shopify",
        "--products",
        "12",
        "--variants",
        "3",
        "--orders",
        "40",
        "--small-orders",
        "10",
        "--customers",
        "9",
        "--paged-products",
        "6",
        "--restore-rate",
        "5000",
        "--deliveries",
        "30",
        "--concurrency",
        "3",
    ];
    if let Some(url) = &pg {
        args.extend(["--database-url", url.as_str()]);
    } else {
        eprintln!(
            "notice: SHOPKEEPER_TEST_POSTGRES_URL unset; bench shopify's PostgreSQL intake not run"
        );
    }
    let out = run(home.path(), None, &args, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("12 products (36 variants), 10 orders, 9 customers:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("12 products (36 variants), 40 orders, 9 customers:"),
        "{stdout}"
    );
    // Paged: 6 products, twice as many orders, as many customers.
    assert!(stdout.contains("  24 records in "), "{stdout}");
    assert!(
        stdout.contains("SQLite: 30 deliveries, 3 at once"),
        "{stdout}"
    );
    if pg.is_some() {
        assert!(
            stdout.contains("PostgreSQL: 30 deliveries, 3 at once"),
            "{stdout}"
        );
    }
    assert!(!stdout.contains("not answered 200"), "{stdout}");
}
