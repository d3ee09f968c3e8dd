//! Seeding the built-in store from the shipped τ²-bench retail data.

use super::records;
use super::unavailable;
use crate::commerce::CommerceError;
use crate::commerce::model::{Order, Product, User};
use serde::Deserialize;
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
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(unavailable)?;
    let seeded: Option<String> =
        sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'seeded_from'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
    if seeded.is_some() {
        return Ok(());
    }
    let db: SeedDb = serde_json::from_str(SEED)
        .map_err(|e| CommerceError::Corrupt(format!("shipped seed: {e}")))?;
    for product in db.products.values() {
        records::save_product(&mut tx, product).await?;
    }
    for user in db.users.values() {
        records::save_user(&mut tx, user).await?;
    }
    for order in db.orders.values() {
        records::save_order(&mut tx, order).await?;
    }
    sqlx::query("INSERT INTO store_meta (key, value) VALUES ('seeded_from', 'tau2-retail')")
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(())
}
