//! The built-in store's catalog: listing fields beside the τ²-shaped products (kept in
//! step with them), and co-purchase counts from the orders.

use super::platform::{decimal, float};
use super::{LocalStore, unavailable};
use crate::catalog::listing::{Listing, ListingStatus, ListingVariant};
use crate::catalog::{CoPurchase, PurchaseHistory, taxonomy};
use crate::commerce::CommerceError;
use crate::commerce::money::Amount;
use crate::retail::model::Product;
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

/// Saves a product's listing.
pub(super) async fn save_listing(
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
        handle: None,
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
                price: Amount(decimal(v.price)),
                inventory_quantity: None,
            })
            .collect(),
    }
}

/// A product's listing: the stored one, else the one derived from the product.
pub(super) async fn listing_of(
    conn: &mut SqliteConnection,
    product: &Product,
) -> Result<Listing, CommerceError> {
    Ok(stored_listing(conn, &product.product_id)
        .await?
        .unwrap_or_else(|| derived(product)))
}

/// Keeps the product record in step with its listing: the title is the name, a draft
/// is not for sale, and tracked stock decides availability (untracked stock leaves it).
pub(super) fn sync(product: &mut Product, listing: &Listing) {
    product.name.clone_from(&listing.title);
    for lv in &listing.variants {
        let Some(v) = lv
            .item_id
            .as_ref()
            .and_then(|id| product.variants.get_mut(id))
        else {
            continue;
        };
        v.price = float(lv.price);
        if listing.status == ListingStatus::Draft {
            v.available = false;
        } else if let Some(q) = lv.inventory_quantity {
            v.available = q > 0;
        }
    }
}

/// One more than the largest numeric id `sql` finds (ids start at 1,000,000,001).
pub(super) async fn next_id(conn: &mut SqliteConnection, sql: &str) -> Result<u64, CommerceError> {
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
impl PurchaseHistory for LocalStore {
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
}
