//! Seeding the built-in store from the shipped τ²-bench retail data.

use super::records;
use super::unavailable;
use crate::commerce::CommerceError;
use crate::retail::model::{Order, Product, User};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// τ²-bench's retail database (MIT licence, see `tools/data/tau2-retail/LICENSE`).
const SEED: &str = include_str!("../../../data/tau2-retail/db.json");

#[derive(Deserialize)]
struct SeedDb {
    products: BTreeMap<String, Product>,
    users: BTreeMap<String, User>,
    orders: BTreeMap<String, Order>,
}

/// Loads the seed into an empty store, in one transaction; a seeded store is left alone.
pub(super) async fn seed_if_empty(pool: &SqlitePool) -> Result<(), CommerceError> {
    let Some(mut tx) = super::begin_seed(pool, "seeded_from").await? else {
        return Ok(());
    };
    let db: SeedDb = serde_json::from_str(SEED)
        .map_err(|e| CommerceError::Corrupt(format!("shipped seed: {e}")))?;
    // One statement per table (SQLite expands a JSON array of rows): seeding is a few
    // statements, not two thousand round trips to the driver.
    let products: Vec<Value> = db
        .products
        .values()
        .map(|p| Ok(json!([p.product_id, p.name, encode(p)?])))
        .collect::<Result<_, CommerceError>>()?;
    let items: Vec<Value> = db
        .products
        .values()
        .flat_map(|p| {
            p.variants
                .keys()
                .map(move |item| json!([item, p.product_id]))
        })
        .collect();
    let users: Vec<Value> = db
        .users
        .values()
        .map(|u| {
            Ok(json!([
                u.user_id,
                records::fold(&u.email),
                records::fold(&u.name.first_name),
                records::fold(&u.name.last_name),
                u.address.zip,
                encode(u)?
            ]))
        })
        .collect::<Result<_, CommerceError>>()?;
    let orders: Vec<Value> = db
        .orders
        .values()
        .map(|o| {
            Ok(json!([
                o.order_id,
                o.user_id,
                o.status.as_str(),
                encode(o)?
            ]))
        })
        .collect::<Result<_, CommerceError>>()?;
    for (table, columns, rows) in [
        ("products", &["product_id", "name", "doc"][..], products),
        ("items", &["item_id", "product_id"][..], items),
        (
            "users",
            &[
                "user_id",
                "email_folded",
                "first_name_folded",
                "last_name_folded",
                "zip",
                "doc",
            ][..],
            users,
        ),
        (
            "orders",
            &["order_id", "user_id", "status", "doc"][..],
            orders,
        ),
    ] {
        let picks: Vec<String> = (0..columns.len())
            .map(|i| format!("json_extract(value, '$[{i}]')"))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {} FROM json_each(?)",
            columns.join(", "),
            picks.join(", ")
        );
        sqlx::query(&sql)
            .bind(Value::Array(rows).to_string())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    }
    super::mark_seeded(tx, "seeded_from", "tau2-retail").await
}

/// A record as stored: its JSON document.
fn encode<T: Serialize>(record: &T) -> Result<String, CommerceError> {
    serde_json::to_string(record).map_err(|e| CommerceError::Corrupt(e.to_string()))
}
