//! The built-in store's catalog editor: listing fields beside the τ²-shaped
//! products, product creation, stock, and co-purchase counts from the orders.

use super::{LocalStore, records, unavailable};
use crate::catalog::listing::{Listing, ListingStatus, ListingVariant};
use crate::catalog::{Catalog, CoPurchase, taxonomy};
use crate::commerce::CommerceError;
use crate::commerce::model::{Product, Variant};
use async_trait::async_trait;
use sqlx::SqliteConnection;

async fn stored_listing(
    conn: &mut SqliteConnection,
    product_id: &str,
) -> Result<Option<Listing>, CommerceError> {
    let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM listings WHERE product_id = ?")
        .bind(product_id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    doc.map(|d| {
        serde_json::from_str(&d)
            .map_err(|e| CommerceError::Corrupt(format!("listing {product_id}: {e}")))
    })
    .transpose()
}

async fn save_listing(
    conn: &mut SqliteConnection,
    product_id: &str,
    listing: &Listing,
) -> Result<(), CommerceError> {
    let doc = serde_json::to_string(listing).map_err(|e| CommerceError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT OR REPLACE INTO listings (product_id, doc) VALUES (?, ?)")
        .bind(product_id)
        .bind(doc)
        .execute(conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// The listing a product has before anyone edits it: its name, an active status, stock not
/// tracked, and the taxonomy's best category for its name.
fn derived(product: &Product) -> Listing {
    let category = taxonomy::search(&product.name, 1)
        .first()
        .map(|(c, _)| c.gid.to_string())
        .unwrap_or_default();
    Listing {
        title: product.name.clone(),
        description_html: String::new(),
        seo_title: crate::catalog::listing::clip(
            &product.name,
            crate::catalog::listing::SEO_TITLE_MAX,
        ),
        seo_description: product.name.clone(),
        tags: Vec::new(),
        vendor: String::new(),
        product_type: product.name.clone(),
        category,
        status: ListingStatus::Active,
        variants: product
            .variants
            .values()
            .map(|v| ListingVariant {
                item_id: Some(v.item_id.clone()),
                options: v.options.clone(),
                sku: v.item_id.clone(),
                price: v.price,
                inventory_quantity: None,
            })
            .collect(),
    }
}

async fn listing_of(
    conn: &mut SqliteConnection,
    product: &Product,
) -> Result<Listing, CommerceError> {
    Ok(stored_listing(conn, &product.product_id)
        .await?
        .unwrap_or_else(|| derived(product)))
}

/// Keeps the product record in step with its listing: the title is the name, a draft
/// is not for sale, and tracked stock decides availability (untracked stock leaves it).
fn sync(product: &mut Product, listing: &Listing) {
    product.name.clone_from(&listing.title);
    for lv in &listing.variants {
        let Some(v) = lv
            .item_id
            .as_ref()
            .and_then(|id| product.variants.get_mut(id))
        else {
            continue;
        };
        v.price = lv.price;
        if listing.status == ListingStatus::Draft {
            v.available = false;
        } else if let Some(q) = lv.inventory_quantity {
            v.available = q > 0;
        }
    }
}

async fn next_id(conn: &mut SqliteConnection, sql: &str) -> Result<u64, CommerceError> {
    let max: Option<String> = sqlx::query_scalar(sql)
        .fetch_one(conn)
        .await
        .map_err(unavailable)?;
    Ok(max
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(1_000_000_000)
        + 1)
}

#[async_trait]
impl Catalog for LocalStore {
    async fn listing(&self, product_id: &str) -> Result<Listing, CommerceError> {
        let mut conn = self.conn().await?;
        let product = records::load_product(&mut conn, product_id).await?;
        listing_of(&mut conn, &product).await
    }

    async fn create_product(
        &self,
        mut listing: Listing,
    ) -> Result<(String, Listing), CommerceError> {
        let mut tx = self.begin_write().await?;
        let product_id = next_id(&mut tx, "SELECT MAX(product_id) FROM products")
            .await?
            .to_string();
        let mut item = next_id(&mut tx, "SELECT MAX(item_id) FROM items").await?;
        let mut product = Product {
            name: listing.title.clone(),
            product_id: product_id.clone(),
            variants: Default::default(),
        };
        for v in &mut listing.variants {
            let id = item.to_string();
            item += 1;
            v.item_id = Some(id.clone());
            product.variants.insert(
                id.clone(),
                Variant {
                    item_id: id,
                    options: v.options.clone(),
                    available: true,
                    price: v.price,
                },
            );
        }
        sync(&mut product, &listing);
        records::save_product(&mut tx, &product).await?;
        save_listing(&mut tx, &product_id, &listing).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok((product_id, listing))
    }

    async fn update_listing(
        &self,
        product_id: &str,
        mut listing: Listing,
    ) -> Result<Listing, CommerceError> {
        let mut tx = self.begin_write().await?;
        let mut product = records::load_product(&mut tx, product_id).await?;
        let current = listing_of(&mut tx, &product).await?;
        // Variants are the store's: their ids, options and stock are not edited here.
        listing.variants = current.variants;
        sync(&mut product, &listing);
        records::save_product(&mut tx, &product).await?;
        save_listing(&mut tx, product_id, &listing).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(listing)
    }

    async fn adjust_inventory(
        &self,
        item_id: &str,
        delta: i64,
    ) -> Result<(String, i64), CommerceError> {
        let mut tx = self.begin_write().await?;
        let product_id: String =
            sqlx::query_scalar("SELECT product_id FROM items WHERE item_id = ?")
                .bind(item_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| CommerceError::not_found("item", item_id))?;
        let mut product = records::load_product(&mut tx, &product_id).await?;
        let mut listing = listing_of(&mut tx, &product).await?;
        let variant = listing
            .variants
            .iter_mut()
            .find(|v| v.item_id.as_deref() == Some(item_id))
            .ok_or_else(|| {
                CommerceError::Corrupt(format!("item {item_id} missing from its listing"))
            })?;
        let quantity = variant.inventory_quantity.unwrap_or(0) + delta;
        if quantity < 0 {
            return Err(CommerceError::rejected(format!(
                "item {item_id} has {} in stock; removing {} would go below zero",
                variant.inventory_quantity.unwrap_or(0),
                -delta
            )));
        }
        variant.inventory_quantity = Some(quantity);
        sync(&mut product, &listing);
        records::save_product(&mut tx, &product).await?;
        save_listing(&mut tx, &product_id, &listing).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok((product_id, quantity))
    }

    async fn co_purchases(
        &self,
        product_id: &str,
        limit: u32,
    ) -> Result<(u64, Vec<CoPurchase>), CommerceError> {
        let mut conn = self.conn().await?;
        let orders: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT o.order_id) FROM orders o, json_each(o.doc, '$.items') i \
             WHERE json_extract(i.value, '$.product_id') = ?",
        )
        .bind(product_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(unavailable)?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "WITH target AS (SELECT DISTINCT o.order_id FROM orders o, json_each(o.doc, '$.items') i \
                             WHERE json_extract(i.value, '$.product_id') = ?1) \
             SELECT json_extract(i.value, '$.product_id') AS pid, MIN(json_extract(i.value, '$.name')), COUNT(DISTINCT o.order_id) AS n \
             FROM orders o JOIN target t ON t.order_id = o.order_id, json_each(o.doc, '$.items') i \
             WHERE json_extract(i.value, '$.product_id') <> ?1 \
             GROUP BY pid ORDER BY n DESC, pid LIMIT ?2",
        )
        .bind(product_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok((
            orders.max(0) as u64,
            rows.into_iter()
                .map(|(product_id, name, n)| CoPurchase {
                    product_id,
                    name,
                    orders: n.max(0) as u64,
                })
                .collect(),
        ))
    }

    async fn product_titled(&self, title: &str) -> Result<Option<String>, CommerceError> {
        sqlx::query_scalar(
            "SELECT product_id FROM products WHERE name = ? ORDER BY product_id DESC LIMIT 1",
        )
        .bind(title)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(unavailable)
    }
}
