//! Reading and writing the store's records in SQLite.

use super::unavailable;
use crate::commerce::CommerceError;
use crate::retail::model::{Order, Product, User, Variant};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;

/// A write transaction on the store.
pub(super) type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

pub(super) fn decode<T: DeserializeOwned>(
    what: &str,
    id: &str,
    doc: &str,
) -> Result<T, CommerceError> {
    serde_json::from_str(doc).map_err(|e| CommerceError::Corrupt(format!("{what} {id}: {e}")))
}

fn encode<T: serde::Serialize>(record: &T) -> Result<String, CommerceError> {
    serde_json::to_string(record).map_err(|e| CommerceError::Corrupt(e.to_string()))
}

/// Case folding for lookups that ignore case.
pub(super) fn fold(s: &str) -> String {
    s.to_lowercase()
}

async fn load_doc(
    conn: &mut SqliteConnection,
    sql: &'static str,
    what: &'static str,
    id: &str,
) -> Result<String, CommerceError> {
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| CommerceError::not_found(what, id))?;
    row.try_get("doc").map_err(unavailable)
}

/// A customer by id.
pub(super) async fn load_user(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<User, CommerceError> {
    let doc = load_doc(conn, "SELECT doc FROM users WHERE user_id = ?", "user", id).await?;
    decode("user", id, &doc)
}

/// An order by id.
pub(super) async fn load_order(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Order, CommerceError> {
    let doc = load_doc(
        conn,
        "SELECT doc FROM orders WHERE order_id = ?",
        "order",
        id,
    )
    .await?;
    decode("order", id, &doc)
}

/// A product by id.
pub(super) async fn load_product(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Product, CommerceError> {
    let doc = load_doc(
        conn,
        "SELECT doc FROM products WHERE product_id = ?",
        "product",
        id,
    )
    .await?;
    decode("product", id, &doc)
}

/// A variant by item id.
pub(super) async fn load_item(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Variant, CommerceError> {
    let doc = load_doc(
        conn,
        "SELECT p.doc FROM items i JOIN products p ON p.product_id = i.product_id WHERE i.item_id = ?",
        "item",
        id,
    )
    .await?;
    let mut product: Product = decode("product of item", id, &doc)?;
    product.variants.remove(id).ok_or_else(|| {
        CommerceError::Corrupt(format!("item {id} is indexed but not in its product"))
    })
}

/// The user id whose email matches, ignoring case.
pub(super) async fn find_user_by_email(
    conn: &mut SqliteConnection,
    email: &str,
) -> Result<String, CommerceError> {
    sqlx::query_scalar("SELECT user_id FROM users WHERE email_folded = ? ORDER BY user_id LIMIT 1")
        .bind(fold(email))
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| CommerceError::not_found("user with email", email))
}

/// The user id matching names (ignoring case) and zip (exactly).
pub(super) async fn find_user_by_name_zip(
    conn: &mut SqliteConnection,
    first_name: &str,
    last_name: &str,
    zip: &str,
) -> Result<String, CommerceError> {
    sqlx::query_scalar(
        "SELECT user_id FROM users WHERE first_name_folded = ? AND last_name_folded = ? AND zip = ? \
         ORDER BY user_id LIMIT 1",
    )
    .bind(fold(first_name))
    .bind(fold(last_name))
    .bind(zip)
    .fetch_optional(conn)
    .await
    .map_err(unavailable)?
    .ok_or_else(|| {
        CommerceError::not_found("user with name and zip", format!("{first_name} {last_name}, {zip}"))
    })
}

/// Product name -> product id for every product.
pub(super) async fn product_types(
    conn: &mut SqliteConnection,
) -> Result<BTreeMap<String, String>, CommerceError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, product_id FROM products")
        .fetch_all(conn)
        .await
        .map_err(unavailable)?;
    Ok(rows.into_iter().collect())
}

/// A page of records of a table in id order (descending with `newest_first`), after
/// `after`; decoded, with their ids.
pub(super) async fn page<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    table: Table,
    after: Option<&str>,
    limit: u32,
    newest_first: bool,
) -> Result<Vec<(String, T)>, CommerceError> {
    let (id, what) = match table {
        Table::Products => ("product_id", "product"),
        Table::Users => ("user_id", "user"),
        Table::Orders => ("order_id", "order"),
    };
    let name = table.name();
    let (cmp, order) = if newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let sql = match after {
        Some(_) => {
            format!("SELECT {id}, doc FROM {name} WHERE {id} {cmp} ? ORDER BY {id} {order} LIMIT ?")
        }
        None => format!("SELECT {id}, doc FROM {name} ORDER BY {id} {order} LIMIT ?"),
    };
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    if let Some(a) = after {
        q = q.bind(a.to_string());
    }
    let rows = q
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await
        .map_err(unavailable)?;
    rows.into_iter()
        .map(|(rid, doc)| decode(what, &rid, &doc).map(|r| (rid, r)))
        .collect()
}

/// The store's record tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    Products,
    Users,
    Orders,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Users => "users",
            Self::Orders => "orders",
        }
    }
}

/// A customer's orders, in id order.
pub(super) async fn orders_of_user(
    conn: &mut SqliteConnection,
    user_id: &str,
) -> Result<Vec<Order>, CommerceError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT order_id, doc FROM orders WHERE user_id = ? ORDER BY order_id")
            .bind(user_id)
            .fetch_all(conn)
            .await
            .map_err(unavailable)?;
    rows.iter()
        .map(|(id, doc)| decode("order", id, doc))
        .collect()
}

/// Inserts or replaces a product and its item index.
pub(super) async fn save_product(
    conn: &mut SqliteConnection,
    product: &Product,
) -> Result<(), CommerceError> {
    sqlx::query("INSERT OR REPLACE INTO products (product_id, name, doc) VALUES (?, ?, ?)")
        .bind(&product.product_id)
        .bind(&product.name)
        .bind(encode(product)?)
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
    for item_id in product.variants.keys() {
        sqlx::query("INSERT OR REPLACE INTO items (item_id, product_id) VALUES (?, ?)")
            .bind(item_id)
            .bind(&product.product_id)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Inserts or replaces a customer.
pub(super) async fn save_user(
    conn: &mut SqliteConnection,
    user: &User,
) -> Result<(), CommerceError> {
    sqlx::query(
        "INSERT OR REPLACE INTO users \
         (user_id, email_folded, first_name_folded, last_name_folded, zip, doc) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.user_id)
    .bind(fold(&user.email))
    .bind(fold(&user.name.first_name))
    .bind(fold(&user.name.last_name))
    .bind(&user.address.zip)
    .bind(encode(user)?)
    .execute(conn)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Inserts or replaces an order.
pub(super) async fn save_order(
    conn: &mut SqliteConnection,
    order: &Order,
) -> Result<(), CommerceError> {
    sqlx::query(
        "INSERT OR REPLACE INTO orders (order_id, user_id, status, doc) VALUES (?, ?, ?, ?)",
    )
    .bind(&order.order_id)
    .bind(&order.user_id)
    .bind(order.status.as_str())
    .bind(encode(order)?)
    .execute(conn)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// The whole store as `{products, users, orders}`, each keyed by id, every record in full.
pub(super) async fn export(conn: &mut SqliteConnection) -> Result<Value, CommerceError> {
    let mut db = Map::new();
    for (key, sql, what) in [
        (
            "products",
            "SELECT product_id, doc FROM products",
            "product",
        ),
        ("users", "SELECT user_id, doc FROM users", "user"),
        ("orders", "SELECT order_id, doc FROM orders", "order"),
    ] {
        let rows: Vec<(String, String)> = sqlx::query_as(sql)
            .fetch_all(&mut *conn)
            .await
            .map_err(unavailable)?;
        let mut table = Map::new();
        for (id, doc) in rows {
            // Through the typed record, so every field is present and every amount is a float.
            let value = match what {
                "product" => to_value(decode::<Product>(what, &id, &doc)?)?,
                "user" => to_value(decode::<User>(what, &id, &doc)?)?,
                _ => to_value(decode::<Order>(what, &id, &doc)?)?,
            };
            table.insert(id, value);
        }
        db.insert(key.to_string(), Value::Object(table));
    }
    Ok(Value::Object(db))
}

fn to_value<T: serde::Serialize>(record: T) -> Result<Value, CommerceError> {
    serde_json::to_value(record).map_err(|e| CommerceError::Corrupt(e.to_string()))
}
