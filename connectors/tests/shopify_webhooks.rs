//! `POST /webhooks/shopify` on loopback, into the event log on SQLite and (where the test
//! database is set) PostgreSQL: signed deliveries are stored once, before the answer;
//! forged, unsigned, tampered and malformed ones change nothing.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use shopkeeper_connectors::shopify::fake::deliver;
use shopkeeper_connectors::shopify::webhooks::{Intake, PATH, router};
use shopkeeper_memory::events::EventFilter;
use shopkeeper_memory::{AppDb, TEST_POSTGRES_ENV};
use shopkeeper_tools::secret::Secret;
use std::sync::Arc;

const SECRET: &str = "whsec_test_0123456789";
const SHOP: &str = "acme.myshopify.com";

async fn databases(dir: &tempfile::TempDir) -> Vec<AppDb> {
    let mut dbs = vec![
        AppDb::connect(&format!(
            "sqlite://{}/app.sqlite?mode=rwc",
            dir.path().display()
        ))
        .await
        .unwrap(),
    ];
    match std::env::var(TEST_POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => dbs.push(AppDb::connect(&url).await.unwrap()),
        _ => eprintln!("notice: {TEST_POSTGRES_ENV} is not set; skipping the PostgreSQL half"),
    }
    dbs
}

async fn serve(db: AppDb) -> String {
    shopkeeper_connectors::http::install_crypto_provider();
    let app = router(Arc::new(Intake {
        db,
        secret: Secret::new(SECRET),
        shop: SHOP.into(),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}{PATH}")
}

async fn stored(db: &AppDb, id: &str) -> usize {
    db.events(&EventFilter {
        source: Some("shopify".into()),
        event_type: None,
        limit: 10_000,
    })
    .await
    .unwrap()
    .iter()
    .filter(|e| e.external_id.starts_with(id))
    .count()
}

#[tokio::test]
async fn only_signed_deliveries_are_stored_and_each_once() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(&dir).await {
        let url = serve(db.clone()).await;
        let client = reqwest::Client::new();
        let run = uuid::Uuid::now_v7().to_string();
        let order =
            json!({"id": 450789469, "admin_graphql_api_id": "gid://shopify/Order/450789469",
            "name": "#1001", "currency": "USD", "total_price": "59.00",
            "customer": {"id": 207119551}, "line_items": []})
            .to_string();

        let id = format!("{run}-good");
        let ok = deliver(
            &client,
            &url,
            SECRET,
            SHOP,
            "orders/create",
            &id,
            order.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(ok, 200);
        // Stored before the 200: it is there now.
        let events = db.events(&EventFilter::default()).await.unwrap();
        let e = events.iter().find(|e| e.external_id == id).unwrap();
        assert_eq!(e.event_type.as_deref(), Some("order.created"));
        assert_eq!(e.shop_id, format!("shopify:{SHOP}"));
        assert_eq!(e.payload, order, "the raw body is kept");
        assert_eq!(e.data_value().unwrap()["order"]["number"], "#1001");

        // The same delivery again (Shopify's retry, or a replay): answered, not stored twice.
        let again = deliver(
            &client,
            &url,
            SECRET,
            SHOP,
            "orders/create",
            &id,
            order.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(again, 200);
        assert_eq!(stored(&db, &id).await, 1);

        // Forged (another secret), tampered (the body changed after signing), unsigned.
        let forged = deliver(
            &client,
            &url,
            "not-the-secret",
            SHOP,
            "orders/create",
            &format!("{run}-forged"),
            order.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(forged, 401);
        let signature = shopkeeper_connectors::http::signature::sign_base64(
            SECRET.as_bytes(),
            order.as_bytes(),
        );
        let tampered = client
            .post(&url)
            .header("x-shopify-topic", "orders/create")
            .header("x-shopify-hmac-sha256", &signature)
            .header("x-shopify-webhook-id", format!("{run}-tampered"))
            .body(order.replace("59.00", "0.01"))
            .send()
            .await
            .unwrap();
        assert_eq!(tampered.status(), 401);
        let unsigned = client
            .post(&url)
            .header("x-shopify-topic", "orders/create")
            .header("x-shopify-webhook-id", format!("{run}-unsigned"))
            .body(order.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status(), 401);
        let garbage = deliver(
            &client,
            &url,
            SECRET,
            SHOP,
            "orders/create",
            &format!("{run}-garbage"),
            b"not json",
        )
        .await
        .unwrap();
        assert_eq!(garbage, 400);
        for bad in ["forged", "tampered", "unsigned", "garbage"] {
            assert_eq!(stored(&db, &format!("{run}-{bad}")).await, 0, "{bad}");
        }
    }
}

#[tokio::test]
async fn concurrent_deliveries_are_each_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(&dir).await {
        let url = serve(db.clone()).await;
        let client = reqwest::Client::new();
        let run = uuid::Uuid::now_v7().to_string();
        let body = json!({"id": 1, "title": "Shirt", "variants": []}).to_string();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..500 {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            // Every tenth delivery is sent twice, as Shopify does when an answer is slow.
            let id = format!("{run}-{}", i - i % 10 * usize::from(i % 10 == 1));
            tasks.spawn(async move {
                deliver(
                    &client,
                    &url,
                    SECRET,
                    SHOP,
                    "products/update",
                    &id,
                    body.as_bytes(),
                )
                .await
                .unwrap()
            });
        }
        while let Some(status) = tasks.join_next().await {
            assert_eq!(status.unwrap(), 200);
        }
        // 500 deliveries, 50 of them repeats of another: 450 events.
        assert_eq!(stored(&db, &run).await, 450);
    }
}
