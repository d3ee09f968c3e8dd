//! `shopkeeper bench shopify`: the Shopify connector against the fake Admin API on
//! loopback. A full export of a large shop through bulk operations (wall time, requests,
//! peak RSS at two sizes, to show memory stays flat); the same reads through paged queries
//! at the Standard plan's restore rate beside the best time that budget allows; webhook
//! intake into the event log on SQLite and PostgreSQL.

use super::peak_rss_mib;
use super::store::{ms, pct, tempfile_dir};
use futures::StreamExt;
use shopkeeper_connectors::shopify::ShopifyStore;
use shopkeeper_connectors::shopify::fake::shop::Scale;
use shopkeeper_connectors::shopify::fake::{FakeOptions, FakeShopify, deliver};
use shopkeeper_connectors::shopify::webhooks::{Intake, PATH, router};
use shopkeeper_memory::AppDb;
use shopkeeper_tools::commerce::{Commerce, paged};
use shopkeeper_tools::recall::documents::{self, History};
use shopkeeper_tools::secret::Secret;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The shop of the bulk export.
    pub full: Scale,
    /// A smaller shop exported too, to compare peak memory.
    pub small_orders: usize,
    /// The shop read through paged queries at `restore_rate`.
    pub paged: Scale,
    /// Points restored a second for the paged reads (the Standard plan: 100).
    pub restore_rate: f64,
    /// Webhook deliveries.
    pub deliveries: usize,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// A PostgreSQL database for the intake figure.
    pub database_url: Option<String>,
}

/// Resets this process's peak-RSS mark (Linux), so the next phase is measured alone.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rss() -> String {
    peak_rss_mib().map_or_else(|| "n/a".into(), |m| format!("{m:.0} MiB"))
}

/// Reads every product, order and customer as `sync` does (documents built, histories
/// summed), without embedding them: the connector's share of a sync.
async fn read_all(store: &dyn Commerce) -> anyhow::Result<(u64, u64, u64)> {
    let (mut p, mut o, mut c) = (0u64, 0u64, 0u64);
    let mut products = store.all_products();
    while let Some(product) = products.next().await {
        std::hint::black_box(documents::product(&product?));
        p += 1;
    }
    drop(products);
    let mut histories: HashMap<String, History> = HashMap::new();
    let mut orders = store.all_orders();
    while let Some(order) = orders.next().await {
        let order = order?;
        if let Some(id) = &order.customer_id {
            histories.entry(id.clone()).or_default().add(&order);
        }
        o += 1;
    }
    drop(orders);
    let empty = History::default();
    let mut customers = store.all_customers();
    while let Some(customer) = customers.next().await {
        let customer = customer?;
        let h = histories.get(&customer.id).unwrap_or(&empty);
        std::hint::black_box(documents::customer(&customer, h));
        c += 1;
    }
    Ok((p, o, c))
}

async fn bulk(scale: Scale) -> anyhow::Result<()> {
    let fake = FakeShopify::start(FakeOptions {
        scale,
        ..FakeOptions::default()
    })
    .await?;
    let store = ShopifyStore::open(&fake.config()).await?;
    reset_peak();
    let started = Instant::now();
    let (p, o, c) = read_all(&store).await?;
    let took = started.elapsed();
    let variants = p as usize * scale.variants;
    println!(
        "  {p} products ({variants} variants), {o} orders, {c} customers: {:.1} s, {} requests, {:.0} records/s, peak RSS {}",
        took.as_secs_f64(),
        fake.calls().len(),
        (p + o + c) as f64 / took.as_secs_f64().max(1e-9),
        rss()
    );
    Ok(())
}

async fn paged_reads(scale: Scale, restore_rate: f64) -> anyhow::Result<()> {
    let fake = FakeShopify::start(FakeOptions {
        scale,
        restore_rate,
        ..FakeOptions::default()
    })
    .await?;
    let store = ShopifyStore::open(&fake.config()).await?;
    let before = fake.calls().len();
    let started = Instant::now();
    // The paged path every store has (`Commerce::products` etc.), not the bulk export.
    let mut n = 0u64;
    let mut products = paged(|page| {
        let store = &store;
        async move { store.products(&page).await }
    });
    while let Some(p) = products.next().await {
        p?;
        n += 1;
    }
    drop(products);
    let mut orders = paged(|page| {
        let store = &store;
        async move {
            store
                .orders(&shopkeeper_tools::commerce::query::OrderQuery {
                    page,
                    ..Default::default()
                })
                .await
        }
    });
    while let Some(o) = orders.next().await {
        o?;
        n += 1;
    }
    drop(orders);
    let mut customers = paged(|page| {
        let store = &store;
        async move { store.customers(&page).await }
    });
    while let Some(c) = customers.next().await {
        c?;
        n += 1;
    }
    let took = started.elapsed();
    let calls = fake.calls();
    let calls = &calls[before..];
    let points: f64 = calls.iter().map(|c| c.cost).sum();
    let throttled = calls.iter().filter(|c| c.outcome == "throttled").count();
    // The bucket starts full: the budget allows its capacity at once, the rest at the rate.
    let best = ((points - 1000.0).max(0.0) / restore_rate).max(0.0);
    println!(
        "  {n} records in {} requests, {points:.0} cost points: {:.1} s (best the budget allows: {best:.1} s; {:.0}% of it), {throttled} throttled answers",
        calls.len(),
        took.as_secs_f64(),
        100.0 * best / took.as_secs_f64().max(1e-9)
    );
    let per_record = points / n.max(1) as f64;
    println!(
        "  at that cost ({per_record:.1} points a record), a shop of 50,000 products, 100,000 orders and 20,000 customers takes at least {:.1} h through paged queries",
        per_record * 170_000.0 / restore_rate / 3600.0
    );
    Ok(())
}

async fn intake(
    db: AppDb,
    label: &str,
    deliveries: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let secret = "whsec_bench_0123456789";
    let app = router(Arc::new(Intake {
        db,
        secret: Secret::new(secret),
        shop: "bench.myshopify.com".into(),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{PATH}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    shopkeeper_connectors::http::install_crypto_provider();
    let client = reqwest::Client::new();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let body = serde_json::json!({"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1", "name": "#1001",
        "currency": "USD", "total_price": "59.00", "line_items": [{"title": "Shirt", "quantity": 1, "price": "59.00"}]})
    .to_string();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..deliveries {
        let (client, url, body, sem) = (client.clone(), url.clone(), body.clone(), sem.clone());
        let id = format!("{run}-{i}");
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let t = Instant::now();
            let status = deliver(
                &client,
                &url,
                secret,
                "bench.myshopify.com",
                "orders/create",
                &id,
                body.as_bytes(),
            )
            .await;
            (status.ok(), t.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(deliveries);
    let mut failed = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, took) = done?;
        if status != Some(200) {
            failed += 1;
        }
        latencies.push(took);
    }
    let wall = started.elapsed();
    server.abort();
    println!(
        "  {label}: {deliveries} deliveries, {concurrency} at once: {:.0} deliveries/s, time to 200 p50 {}, p99 {}{}",
        deliveries as f64 / wall.as_secs_f64().max(1e-9),
        ms(pct(&mut latencies, 50.0)),
        ms(pct(&mut latencies, 99.0)),
        if failed > 0 {
            format!(", {failed} not answered 200")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Runs the benchmark.
pub async fn run(plan: Plan) -> anyhow::Result<ExitCode> {
    println!(
        "shopify: full export through bulk operations (fake Admin API on loopback, documents built as sync does, not embedded)"
    );
    let small = Scale {
        orders: plan.small_orders,
        ..plan.full
    };
    bulk(small).await?;
    bulk(plan.full).await?;
    println!(
        "shopify: paged queries at {} points/s{}",
        plan.restore_rate,
        if plan.restore_rate == 100.0 {
            " (the Standard plan's restore rate)"
        } else {
            ""
        }
    );
    paged_reads(plan.paged, plan.restore_rate).await?;
    println!("shopify: webhook intake (verify, store in the event log, answer)");
    let dir = tempfile_dir()?;
    let file = dir.join(format!("intake-{}.sqlite", uuid::Uuid::now_v7().simple()));
    let sqlite = AppDb::connect(&format!("sqlite://{}?mode=rwc", file.display())).await?;
    intake(sqlite, "SQLite", plan.deliveries, plan.concurrency).await?;
    match &plan.database_url {
        Some(url) => {
            intake(
                AppDb::connect(url).await?,
                "PostgreSQL",
                plan.deliveries,
                plan.concurrency,
            )
            .await?
        }
        None => println!("  PostgreSQL: skipped (pass --database-url postgres://...)"),
    }
    Ok(ExitCode::SUCCESS)
}
