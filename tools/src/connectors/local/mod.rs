//! The built-in store (connector `local`): a SQLite database in the data
//! directory, seeded from the τ²-bench retail data shipped with Shopkeeper,
//! whose operations reproduce the benchmark's semantics exactly.

mod catalog;
mod commerce;
mod events;
mod extras;
mod helpdesk;
mod ops;
mod platform;
mod records;
mod seed;
mod tickets_seed;

pub use ops::Semantics;

use crate::canonical;
use crate::commerce::CommerceError;
use crate::commerce::model::{ShopId, ShopRef};
use crate::commerce::money::Currency;
use crate::retail::model::{Address, CancelReason, Order, OrderStatus, Product, User, Variant};
use crate::retail::{ItemSwap, RetailStore};
use async_trait::async_trait;
use chrono::Utc;
use extras::RecordKind;
use records::Tx;
use shopkeeper_memory::events::EventType;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The built-in SQLite store.
#[derive(Clone)]
pub struct LocalStore {
    pool: SqlitePool,
    semantics: Semantics,
    shop: ShopRef,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("shop", &self.shop.id)
            .field("semantics", &self.semantics)
            .finish_non_exhaustive()
    }
}

impl LocalStore {
    /// Opens (creating and seeding on first use) the store file at `path`.
    pub async fn open(path: &Path, semantics: Semantics) -> Result<Self, CommerceError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CommerceError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        // Two processes opening a new store at once (`serve` and a command) can find the
        // file mid-creation, when SQLite answers "locked" without waiting: try again.
        let mut attempt = 0;
        loop {
            match Self::open_once(path, semantics).await {
                Err(CommerceError::Unavailable(why))
                    if attempt < 8 && why.contains("database is locked") =>
                {
                    attempt += 1;
                    tracing::debug!(why, attempt, "store busy while opening; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                opened => return opened,
            }
        }
    }

    async fn open_once(path: &Path, semantics: Semantics) -> Result<Self, CommerceError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Self::prepare(pool, semantics).await
    }

    /// A fresh in-memory store seeded from the shipped data; nothing is persisted.
    pub async fn fresh(semantics: Semantics) -> Result<Self, CommerceError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        // One connection that never closes: each in-memory connection is its own database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Self::prepare(pool, semantics).await
    }

    async fn prepare(pool: SqlitePool, semantics: Semantics) -> Result<Self, CommerceError> {
        sqlx::raw_sql(include_str!("schema.sql"))
            .execute(&pool)
            .await
            .map_err(unavailable)?;
        seed::seed_if_empty(&pool).await?;
        tickets_seed::seed_if_empty(&pool).await?;
        let shop = ShopRef {
            id: ShopId(format!("local:{}", shop_uuid(&pool).await?)),
            connector: platform::CONNECTOR,
            currency: Currency::usd(),
        };
        Ok(Self {
            pool,
            semantics,
            shop,
        })
    }

    /// The semantics this store applies.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// The whole store as the canonical JSON document `{products, users, orders}`.
    pub async fn export(&self) -> Result<serde_json::Value, CommerceError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        records::export(&mut conn).await
    }

    /// The canonical export's text, as Python's `json.dumps(db, sort_keys=True)` prints it.
    pub async fn canonical_export(&self) -> Result<String, CommerceError> {
        Ok(canonical::to_canonical_string(&self.export().await?))
    }

    /// sha256 (hex) of the canonical export.
    pub async fn sha256(&self) -> Result<String, CommerceError> {
        Ok(canonical::sha256_hex(
            self.canonical_export().await?.as_bytes(),
        ))
    }

    /// Closes the connections, waiting for them to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction that holds the write lock from its first statement,
    /// so read-modify-write cycles of concurrent processes cannot interleave.
    async fn begin_write(&self) -> Result<Tx<'_>, CommerceError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(unavailable)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, CommerceError> {
        self.pool.acquire().await.map_err(unavailable)
    }

    /// Loads an order with its customer, applies `change`, and saves both in one transaction
    /// with the time it changed and its event.
    async fn change_order(
        &self,
        order_id: &str,
        with_products: bool,
        change: impl FnOnce(
            &mut Order,
            &mut User,
            &BTreeMap<String, Product>,
        ) -> Result<(), CommerceError>,
    ) -> Result<Order, CommerceError> {
        let mut tx = self.begin_write().await?;
        let mut order = records::load_order(&mut tx, order_id).await?;
        let mut user = records::load_user(&mut tx, &order.user_id).await?;
        let mut products = BTreeMap::new();
        if with_products {
            for item in &order.items {
                if !products.contains_key(&item.product_id) {
                    let product = records::load_product(&mut tx, &item.product_id).await?;
                    products.insert(item.product_id.clone(), product);
                }
            }
        }
        let user_before = user.clone();
        change(&mut order, &mut user, &products)?;
        records::save_order(&mut tx, &order).await?;
        if user != user_before {
            records::save_user(&mut tx, &user).await?;
        }
        let kind = if order.status == OrderStatus::Cancelled {
            EventType::OrderCancelled
        } else {
            EventType::OrderUpdated
        };
        self.order_changed(&mut tx, &order, kind).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(order)
    }

    /// Stamps a changed order and queues its event, inside the change's transaction.
    async fn order_changed(
        &self,
        tx: &mut Tx<'_>,
        order: &Order,
        kind: EventType,
    ) -> Result<crate::commerce::model::Order, CommerceError> {
        let now = Utc::now();
        extras::touch(tx, RecordKind::Order, &order.order_id, now).await?;
        let extra = extras::order_extras(tx, &order.order_id).await?;
        let view = platform::order(order, &extra, Some(now));
        extras::emit(tx, kind, serde_json::json!({"order": view}), now).await?;
        Ok(view)
    }

    /// Stamps a changed customer and queues its event, inside the change's transaction.
    async fn customer_changed(
        &self,
        tx: &mut Tx<'_>,
        user: &User,
        kind: EventType,
    ) -> Result<crate::commerce::model::Customer, CommerceError> {
        let now = Utc::now();
        extras::touch(tx, RecordKind::Customer, &user.user_id, now).await?;
        let orders = records::orders_of_user(tx, &user.user_id).await?;
        let extra = extras::customer_extras(tx, &user.user_id).await?;
        let view = platform::customer(user, &orders, &extra, Some(now));
        extras::emit(tx, kind, serde_json::json!({"customer": view}), now).await?;
        Ok(view)
    }
}

/// Starts a one-time seeding step: `None` if `key` is already marked done, else a write
/// transaction in which the caller seeds and then calls `mark_seeded`.
pub(super) async fn begin_seed<'p>(
    pool: &'p SqlitePool,
    key: &str,
) -> Result<Option<Tx<'p>>, CommerceError> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(unavailable)?;
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM store_meta WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
    Ok(if done.is_some() { None } else { Some(tx) })
}

/// Marks a seeding step done and commits it.
pub(super) async fn mark_seeded(
    mut tx: Tx<'_>,
    key: &str,
    value: &str,
) -> Result<(), CommerceError> {
    sqlx::query("INSERT INTO store_meta (key, value) VALUES (?, ?)")
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)
}

pub(crate) fn unavailable(e: sqlx::Error) -> CommerceError {
    CommerceError::Unavailable(e.to_string())
}

/// The store's own id, made once when it is first opened (a rename of the shop keeps it).
async fn shop_uuid(pool: &SqlitePool) -> Result<String, CommerceError> {
    sqlx::query("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('shop_id', ?)")
        .bind(uuid::Uuid::now_v7().to_string())
        .execute(pool)
        .await
        .map_err(unavailable)?;
    // The seed's records carry no times: they date from the first open.
    sqlx::query("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('seeded_at', ?)")
        .bind(extras::stamp(Utc::now()))
        .execute(pool)
        .await
        .map_err(unavailable)?;
    sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'shop_id'")
        .fetch_one(pool)
        .await
        .map_err(unavailable)
}

#[async_trait]
impl RetailStore for LocalStore {
    async fn user(&self, user_id: &str) -> Result<User, CommerceError> {
        records::load_user(&mut *self.conn().await?, user_id).await
    }

    async fn order(&self, order_id: &str) -> Result<Order, CommerceError> {
        records::load_order(&mut *self.conn().await?, order_id).await
    }

    async fn product(&self, product_id: &str) -> Result<Product, CommerceError> {
        records::load_product(&mut *self.conn().await?, product_id).await
    }

    async fn item(&self, item_id: &str) -> Result<Variant, CommerceError> {
        records::load_item(&mut *self.conn().await?, item_id).await
    }

    async fn find_user_id_by_email(&self, email: &str) -> Result<String, CommerceError> {
        records::find_user_by_email(&mut *self.conn().await?, email).await
    }

    async fn find_user_id_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError> {
        records::find_user_by_name_zip(&mut *self.conn().await?, first_name, last_name, zip).await
    }

    async fn product_types(&self) -> Result<BTreeMap<String, String>, CommerceError> {
        records::product_types(&mut *self.conn().await?).await
    }

    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: CancelReason,
    ) -> Result<Order, CommerceError> {
        self.change_order(order_id, false, |order, user, _| {
            ops::cancel_pending_order(order, user, reason)
        })
        .await
    }

    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: Address,
    ) -> Result<Order, CommerceError> {
        self.change_order(order_id, false, |order, _, _| {
            ops::modify_pending_order_address(order, address)
        })
        .await
    }

    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.change_order(order_id, false, |order, user, _| {
            ops::modify_pending_order_payment(order, user, payment_method_id)
        })
        .await
    }

    async fn modify_pending_order_items(&self, swap: ItemSwap) -> Result<Order, CommerceError> {
        let semantics = self.semantics;
        self.change_order(&swap.order_id, true, |order, user, products| {
            ops::modify_pending_order_items(order, user, products, &swap, semantics)
        })
        .await
    }

    async fn exchange_delivered_order_items(&self, swap: ItemSwap) -> Result<Order, CommerceError> {
        self.change_order(&swap.order_id, true, |order, user, products| {
            ops::exchange_delivered_order_items(order, user, products, &swap)
        })
        .await
    }

    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: Vec<String>,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.change_order(order_id, false, |order, user, _| {
            ops::return_delivered_order_items(order, user, &item_ids, payment_method_id)
        })
        .await
    }

    async fn modify_user_address(
        &self,
        user_id: &str,
        address: Address,
    ) -> Result<User, CommerceError> {
        let mut tx = self.begin_write().await?;
        let mut user = records::load_user(&mut tx, user_id).await?;
        user.address = address;
        records::save_user(&mut tx, &user).await?;
        self.customer_changed(&mut tx, &user, EventType::CustomerUpdated)
            .await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(user)
    }
}
