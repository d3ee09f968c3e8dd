//! The built-in store through the platform layer. Reads come in pages; every write checks
//! everything first, then changes the τ² records, their extras, the record's time, its
//! event and the result under the write's idempotency key in one transaction, so the
//! same key again returns the first result instead of writing twice.

use super::catalog::{listing_of, next_id, save_listing, sync};
use super::extras::{self, RecordKind, ReturnRecord};
use super::platform::{self, LOCATION_ID, LOCATION_NAME, float};
use super::records::{self, Table, Tx};
use super::{LocalStore, ops, unavailable};
use crate::catalog::listing::{Listing, ListingStatus, ListingVariant, handleize};
use crate::commerce::model::{
    Customer, DiscountCode, DiscountValue, InventoryLevel, Location, Order, Product, Refund,
    ShopRef,
};
use crate::commerce::money::Amount;
use crate::commerce::query::{OrderQuery, OrderRef, Page, PageQuery, ProductRef};
use crate::commerce::request::{
    AdjustStock, CancelOrder, DiscountDraft, DiscountOff, IdempotencyKey, ProductChanges,
    ProductDraft, RefundOrder, ReturnRequest, SetStock, TagChange, Tagged,
};
use crate::commerce::{Capability, Commerce, CommerceError, Counts};
use crate::retail::model as tau2;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shopkeeper_memory::events::EventType;
use sqlx::SqliteConnection;
use std::collections::BTreeSet;

/// Rows read at a time while filling a filtered page.
const SCAN: u32 = 200;

/// The result a write with `key` recorded, decoded, if one did.
async fn replay<T: DeserializeOwned>(
    tx: &mut SqliteConnection,
    key: &IdempotencyKey,
) -> Result<Option<T>, CommerceError> {
    match extras::recorded(tx, key).await? {
        None => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| CommerceError::Corrupt(format!("write {key}: {e}"))),
    }
}

fn order_id(order: &OrderRef) -> &str {
    // The store's order ids are its numbers ("#W0000000").
    order.as_str()
}

fn seeded_at_default(
    at: Option<DateTime<Utc>>,
    seeded: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    at.or(seeded)
}

impl LocalStore {
    async fn seeded_at(
        &self,
        conn: &mut SqliteConnection,
    ) -> Result<Option<DateTime<Utc>>, CommerceError> {
        let at: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'seeded_at'")
                .fetch_optional(conn)
                .await
                .map_err(unavailable)?;
        Ok(at.as_deref().and_then(extras::parse_stamp))
    }

    async fn order_view(
        &self,
        conn: &mut SqliteConnection,
        order: &tau2::Order,
    ) -> Result<Order, CommerceError> {
        let extra = extras::order_extras(conn, &order.order_id).await?;
        let at = extras::changed_at(conn, RecordKind::Order, &order.order_id).await?;
        let seeded = self.seeded_at(conn).await?;
        Ok(platform::order(
            order,
            &extra,
            seeded_at_default(at, seeded),
        ))
    }

    async fn customer_view(
        &self,
        conn: &mut SqliteConnection,
        user: &tau2::User,
    ) -> Result<Customer, CommerceError> {
        let orders = records::orders_of_user(conn, &user.user_id).await?;
        let extra = extras::customer_extras(conn, &user.user_id).await?;
        let at = extras::changed_at(conn, RecordKind::Customer, &user.user_id).await?;
        let seeded = self.seeded_at(conn).await?;
        Ok(platform::customer(
            user,
            &orders,
            &extra,
            seeded_at_default(at, seeded),
        ))
    }

    async fn product_view(
        &self,
        conn: &mut SqliteConnection,
        product: &tau2::Product,
    ) -> Result<Product, CommerceError> {
        let listing = listing_of(conn, product).await?;
        let at = extras::changed_at(conn, RecordKind::Product, &product.product_id).await?;
        let seeded = self.seeded_at(conn).await?;
        Ok(platform::product(
            product,
            &listing,
            seeded_at_default(at, seeded),
        ))
    }

    /// The product id and variant (item) id of a SKU: an item id is its own SKU until a
    /// listing gives it another.
    async fn find_sku(
        &self,
        conn: &mut SqliteConnection,
        sku: &str,
    ) -> Result<(String, String), CommerceError> {
        let by_listing: Option<(String, String)> = sqlx::query_as(
            "SELECT l.product_id, json_extract(v.value, '$.item_id') FROM listings l, \
             json_each(l.doc, '$.variants') v WHERE json_extract(v.value, '$.sku') = ? LIMIT 1",
        )
        .bind(sku)
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
        if let Some(found) = by_listing {
            return Ok(found);
        }
        let product: Option<String> =
            sqlx::query_scalar("SELECT product_id FROM items WHERE item_id = ?")
                .bind(sku)
                .fetch_optional(&mut *conn)
                .await
                .map_err(unavailable)?;
        match product {
            // An item whose listing gave it another SKU is not found by its id.
            Some(p) => {
                let product = records::load_product(conn, &p).await?;
                let listing = listing_of(conn, &product).await?;
                let own = listing
                    .variants
                    .iter()
                    .any(|v| v.item_id.as_deref() == Some(sku) && v.sku == sku);
                if own {
                    Ok((p, sku.to_string()))
                } else {
                    Err(CommerceError::not_found("variant with SKU", sku))
                }
            }
            None => Err(CommerceError::not_found("variant with SKU", sku)),
        }
    }

    async fn product_by_handle(
        &self,
        conn: &mut SqliteConnection,
        handle: &str,
    ) -> Result<Option<tau2::Product>, CommerceError> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT p.product_id, p.name, json_extract(l.doc, '$.handle') FROM products p \
             LEFT JOIN listings l ON l.product_id = p.product_id",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?;
        // A listing's own handle wins; otherwise the one its title gives.
        let hit = rows.into_iter().find(|(_, name, own)| match own {
            Some(h) => h == handle,
            None => handleize(name) == handle,
        });
        match hit {
            Some((id, _, _)) => Ok(Some(records::load_product(conn, &id).await?)),
            None => Ok(None),
        }
    }

    fn location(&self, asked: Option<&str>) -> Result<Location, CommerceError> {
        match asked {
            None => {}
            Some(l) if l == LOCATION_ID || l.eq_ignore_ascii_case(LOCATION_NAME) => {}
            Some(other) => return Err(CommerceError::not_found("location", other)),
        }
        Ok(Location {
            id: LOCATION_ID.into(),
            name: LOCATION_NAME.into(),
        })
    }

    /// Changes the tracked stock of an item by `delta` inside `tx`: its listing, the
    /// product's availability, the product's time, and an `inventory.changed` event.
    async fn move_stock(
        &self,
        tx: &mut Tx<'_>,
        product_id: &str,
        item_id: &str,
        change: impl FnOnce(i64) -> Result<i64, CommerceError>,
    ) -> Result<InventoryLevel, CommerceError> {
        let mut product = records::load_product(tx, product_id).await?;
        let mut listing = listing_of(tx, &product).await?;
        let variant = listing
            .variants
            .iter_mut()
            .find(|v| v.item_id.as_deref() == Some(item_id))
            .ok_or_else(|| {
                CommerceError::Corrupt(format!("item {item_id} missing from its listing"))
            })?;
        let quantity = change(variant.inventory_quantity.unwrap_or(0))?;
        variant.inventory_quantity = Some(quantity);
        let level = InventoryLevel {
            sku: variant.sku.clone(),
            variant_id: item_id.to_string(),
            location: self.location(None)?,
            available: quantity,
        };
        sync(&mut product, &listing);
        records::save_product(tx, &product).await?;
        save_listing(tx, product_id, &listing).await?;
        let now = Utc::now();
        extras::touch(tx, RecordKind::Product, product_id, now).await?;
        extras::emit(
            tx,
            EventType::InventoryChanged,
            json!({"level": level, "product_id": product_id}),
            now,
        )
        .await?;
        Ok(level)
    }

    /// Puts units of order lines back in stock where the store tracks it.
    async fn restock(
        &self,
        tx: &mut Tx<'_>,
        lines: &[(Option<String>, Option<String>, u32)],
    ) -> Result<(), CommerceError> {
        for (product_id, item_id, quantity) in lines {
            let (Some(p), Some(i)) = (product_id, item_id) else {
                continue;
            };
            let Ok(product) = records::load_product(tx, p).await else {
                continue;
            };
            let tracked = listing_of(tx, &product)
                .await?
                .variants
                .iter()
                .any(|v| v.item_id.as_deref() == Some(i) && v.inventory_quantity.is_some());
            if tracked {
                let q = i64::from(*quantity);
                self.move_stock(tx, p, i, |now| Ok(now + q)).await?;
            }
        }
        Ok(())
    }

    /// Saves a changed order (and its customer) with extras, time, event and the key's result.
    #[allow(clippy::too_many_arguments)]
    async fn finish_order_write(
        &self,
        tx: &mut Tx<'_>,
        order: &tau2::Order,
        user: &tau2::User,
        extra: &extras::OrderExtras,
        kind: EventType,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        records::save_order(tx, order).await?;
        records::save_user(tx, user).await?;
        extras::save_order_extras(tx, &order.order_id, extra).await?;
        let view = self.order_changed(tx, order, kind).await?;
        extras::record(tx, key, &view, Utc::now()).await?;
        Ok(view)
    }

    async fn notify_about(
        &self,
        tx: &mut Tx<'_>,
        user: &tau2::User,
        subject: String,
        body: String,
    ) -> Result<(), CommerceError> {
        extras::notify(tx, &user.email, &subject, &body, Utc::now()).await
    }
}

/// Whether a record changed at or after `since` (always, without `since`). Records the
/// store never changed are as seeded: older than any sync, which can only follow the seed.
async fn changed_since(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: &str,
    since: Option<DateTime<Utc>>,
) -> Result<bool, CommerceError> {
    let Some(since) = since else {
        return Ok(true);
    };
    Ok(extras::changed_at(conn, kind, id)
        .await?
        .is_some_and(|t| t >= since))
}

fn to_json<T: Serialize>(v: &T) -> Result<Value, CommerceError> {
    serde_json::to_value(v).map_err(|e| CommerceError::Corrupt(e.to_string()))
}

#[async_trait]
impl Commerce for LocalStore {
    fn shop(&self) -> &ShopRef {
        &self.shop
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        Capability::all()
    }

    async fn recorded_write(&self, key: &IdempotencyKey) -> Result<Option<Value>, CommerceError> {
        extras::recorded(&mut *self.conn().await?, key).await
    }

    fn deduplicates(&self, _kind: Capability) -> bool {
        // Every write records its result under its key in its own transaction.
        true
    }

    async fn counts(&self) -> Result<Counts, CommerceError> {
        let mut conn = self.conn().await?;
        let mut count = async |table: &str| -> Result<u64, CommerceError> {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut *conn)
                .await
                .map_err(unavailable)?;
            Ok(n.max(0) as u64)
        };
        Ok(Counts {
            products: count("products").await?,
            customers: count("users").await?,
            orders: count("orders").await?,
        })
    }

    async fn order(&self, order: &OrderRef) -> Result<Order, CommerceError> {
        let mut conn = self.conn().await?;
        let o = records::load_order(&mut conn, order_id(order)).await?;
        self.order_view(&mut conn, &o).await
    }

    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>, CommerceError> {
        let mut conn = self.conn().await?;
        let size = query.page.size() as usize;
        let mut out = Vec::with_capacity(size);
        let mut after = query.page.cursor.clone();
        'scan: loop {
            let rows: Vec<(String, tau2::Order)> = match &query.customer_id {
                // One customer's orders are few: read them at once.
                Some(c) => records::orders_of_user(&mut conn, c)
                    .await?
                    .into_iter()
                    .rev()
                    .filter(|o| after.as_ref().is_none_or(|a| &o.order_id < a))
                    .map(|o| (o.order_id.clone(), o))
                    .collect(),
                None => {
                    records::page(&mut conn, Table::Orders, after.as_deref(), SCAN, true).await?
                }
            };
            let exhausted = query.customer_id.is_some() || rows.len() < SCAN as usize;
            let mut unfiltered = query.clone();
            unfiltered.page.updated_since = None;
            for (id, o) in rows {
                let changed =
                    changed_since(&mut conn, RecordKind::Order, &id, query.page.updated_since)
                        .await?;
                after = Some(id);
                if !changed {
                    continue;
                }
                let view = self.order_view(&mut conn, &o).await?;
                if unfiltered.matches(&view) {
                    out.push(view);
                    if out.len() == size {
                        break 'scan;
                    }
                }
            }
            if exhausted {
                after = None;
                break;
            }
        }
        // A full page may be the last: the next call then finds nothing, which is fine.
        let next = if out.len() == size { after } else { None };
        Ok(Page { items: out, next })
    }

    async fn customer(&self, id: &str) -> Result<Customer, CommerceError> {
        let mut conn = self.conn().await?;
        let u = records::load_user(&mut conn, id).await?;
        self.customer_view(&mut conn, &u).await
    }

    async fn find_customers(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<Customer>, CommerceError> {
        let mut conn = self.conn().await?;
        let q = records::fold(query.trim());
        let ids: Vec<String> = if q.contains('@') {
            sqlx::query_scalar(
                "SELECT user_id FROM users WHERE email_folded = ? ORDER BY user_id LIMIT ?",
            )
            .bind(&q)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(unavailable)?
        } else {
            let words: Vec<&str> = q.split_whitespace().collect();
            match words.as_slice() {
                [] => Vec::new(),
                [one] => sqlx::query_scalar(
                    "SELECT user_id FROM users WHERE first_name_folded = ?1 OR last_name_folded = ?1 \
                     ORDER BY user_id LIMIT ?2",
                )
                .bind(*one)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(unavailable)?,
                [first, .., last] => sqlx::query_scalar(
                    "SELECT user_id FROM users WHERE first_name_folded = ?1 AND last_name_folded = ?2 \
                     ORDER BY user_id LIMIT ?3",
                )
                .bind(*first)
                .bind(*last)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(unavailable)?,
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let u = records::load_user(&mut conn, &id).await?;
            out.push(self.customer_view(&mut conn, &u).await?);
        }
        Ok(out)
    }

    async fn customers(&self, page: &PageQuery) -> Result<Page<Customer>, CommerceError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, tau2::User)> = records::page(
            &mut conn,
            Table::Users,
            page.cursor.as_deref(),
            page.size(),
            false,
        )
        .await?;
        let next = next_cursor(&rows, page);
        let mut items = Vec::with_capacity(rows.len());
        for (id, u) in rows {
            if changed_since(&mut conn, RecordKind::Customer, &id, page.updated_since).await? {
                items.push(self.customer_view(&mut conn, &u).await?);
            }
        }
        Ok(Page { items, next })
    }

    async fn product(&self, product: &ProductRef) -> Result<Product, CommerceError> {
        let mut conn = self.conn().await?;
        let p = match product {
            ProductRef::Id(id) => records::load_product(&mut conn, id).await?,
            ProductRef::Handle(h) => self
                .product_by_handle(&mut conn, h)
                .await?
                .ok_or_else(|| CommerceError::not_found("product with handle", h.clone()))?,
            ProductRef::Sku(s) => {
                let (product_id, _) = self.find_sku(&mut conn, s).await?;
                records::load_product(&mut conn, &product_id).await?
            }
        };
        self.product_view(&mut conn, &p).await
    }

    async fn products(&self, page: &PageQuery) -> Result<Page<Product>, CommerceError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, tau2::Product)> = records::page(
            &mut conn,
            Table::Products,
            page.cursor.as_deref(),
            page.size(),
            false,
        )
        .await?;
        let next = next_cursor(&rows, page);
        let mut items = Vec::with_capacity(rows.len());
        for (id, p) in rows {
            if changed_since(&mut conn, RecordKind::Product, &id, page.updated_since).await? {
                items.push(self.product_view(&mut conn, &p).await?);
            }
        }
        Ok(Page { items, next })
    }

    async fn locations(&self) -> Result<Vec<Location>, CommerceError> {
        Ok(vec![self.location(None)?])
    }

    async fn inventory(&self, sku: &str) -> Result<Vec<InventoryLevel>, CommerceError> {
        let mut conn = self.conn().await?;
        let (product_id, item_id) = self.find_sku(&mut conn, sku).await?;
        let product = records::load_product(&mut conn, &product_id).await?;
        let listing = listing_of(&mut conn, &product).await?;
        let available = listing
            .variants
            .iter()
            .find(|v| v.item_id.as_deref() == Some(&item_id))
            .and_then(|v| v.inventory_quantity)
            .unwrap_or(0);
        Ok(vec![InventoryLevel {
            sku: sku.to_string(),
            variant_id: item_id,
            location: self.location(None)?,
            available,
        }])
    }

    async fn cancel_order(
        &self,
        request: &CancelOrder,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let mut order = records::load_order(&mut tx, order_id(&request.order)).await?;
        let mut user = records::load_user(&mut tx, &order.user_id).await?;
        let mut extra = extras::order_extras(&mut tx, &order.order_id).await?;
        let before = platform::order(&order, &extra, None);
        ops::cancel_order(&mut order, &mut user, request.refund)?;
        extra.cancel_reason = Some(request.reason);
        extra.cancelled_at = Some(Utc::now());
        if request.restock {
            let lines: Vec<_> = before
                .lines
                .iter()
                .map(|l| (l.product_id.clone(), l.variant_id.clone(), l.quantity))
                .collect();
            self.restock(&mut tx, &lines).await?;
        }
        if request.notify_customer {
            let refund = if request.refund {
                format!(
                    " {} is refunded to your original payment method.",
                    before.refundable()
                )
            } else {
                String::new()
            };
            self.notify_about(
                &mut tx,
                &user,
                format!("Your order {} is cancelled", order.order_id),
                format!("We cancelled your order {}.{refund}", order.order_id),
            )
            .await?;
        }
        let view = self
            .finish_order_write(
                &mut tx,
                &order,
                &user,
                &extra,
                EventType::OrderCancelled,
                key,
            )
            .await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn refund_order(
        &self,
        request: &RefundOrder,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let mut order = records::load_order(&mut tx, order_id(&request.order)).await?;
        let mut user = records::load_user(&mut tx, &order.user_id).await?;
        let mut extra = extras::order_extras(&mut tx, &order.order_id).await?;
        let view = platform::order(&order, &extra, None);
        let total = request.total(&view)?;
        let mut refunded_lines = Vec::new();
        let mut restock = Vec::new();
        for l in &request.lines {
            let line = l.resolve(&view)?;
            refunded_lines.push((line.id.clone(), l.quantity));
            restock.push((line.product_id.clone(), line.variant_id.clone(), l.quantity));
        }
        ops::refund(&mut order, &mut user, float(Amount(total.amount)))?;
        extra.refunds.push(Refund {
            id: format!("{}-R{}", order.order_id, extra.refunds.len() + 1),
            created_at: Some(Utc::now()),
            amount: total.clone(),
            lines: refunded_lines,
            note: request.note.clone(),
        });
        if request.restock {
            self.restock(&mut tx, &restock).await?;
        }
        if request.notify_customer {
            self.notify_about(
                &mut tx,
                &user,
                format!("A refund on your order {}", order.order_id),
                format!(
                    "We refunded {total} on your order {} to your original payment method.",
                    order.order_id
                ),
            )
            .await?;
        }
        let view = self
            .finish_order_write(&mut tx, &order, &user, &extra, EventType::OrderUpdated, key)
            .await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn request_return(
        &self,
        request: &ReturnRequest,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let mut order = records::load_order(&mut tx, order_id(&request.order)).await?;
        let user = records::load_user(&mut tx, &order.user_id).await?;
        let mut extra = extras::order_extras(&mut tx, &order.order_id).await?;
        let view = platform::order(&order, &extra, None);
        let mut item_ids = Vec::new();
        for l in &request.lines {
            let line = l.resolve(&view)?;
            let item = line.variant_id.clone().unwrap_or_else(|| line.id.clone());
            item_ids.extend(std::iter::repeat_n(item, l.quantity as usize));
        }
        let method = order
            .payment_history
            .first()
            .map(|p| p.payment_method_id.clone())
            .ok_or_else(|| CommerceError::rejected("the order has no payment to refund"))?;
        ops::return_delivered_order_items(&mut order, &user, &item_ids, &method)?;
        extra.returns.push(ReturnRecord {
            at: Utc::now(),
            lines: request.lines.clone(),
            reason: request.reason,
            note: request.note.clone(),
        });
        let view = self
            .finish_order_write(&mut tx, &order, &user, &extra, EventType::OrderUpdated, key)
            .await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn update_shipping_address(
        &self,
        order: &OrderRef,
        address: &crate::commerce::model::Address,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let mut o = records::load_order(&mut tx, order_id(order)).await?;
        let user = records::load_user(&mut tx, &o.user_id).await?;
        let extra = extras::order_extras(&mut tx, &o.order_id).await?;
        ops::modify_pending_order_address(&mut o, platform::tau2_address(address))?;
        let view = self
            .finish_order_write(&mut tx, &o, &user, &extra, EventType::OrderUpdated, key)
            .await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn adjust_stock(
        &self,
        request: &AdjustStock,
        key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        self.location(request.location.as_deref())?;
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let (product_id, item_id) = self.find_sku(&mut tx, &request.sku).await?;
        let delta = request.delta;
        let sku = request.sku.clone();
        let level = self
            .move_stock(&mut tx, &product_id, &item_id, |now| {
                let after = now + delta;
                if after < 0 {
                    Err(CommerceError::rejected(format!(
                        "{sku} has {now} in stock; removing {} would go below zero",
                        -delta
                    )))
                } else {
                    Ok(after)
                }
            })
            .await?;
        extras::record(&mut tx, key, &level, Utc::now()).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(level)
    }

    async fn set_stock(
        &self,
        request: &SetStock,
        key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        self.location(request.location.as_deref())?;
        if request.quantity < 0 {
            return Err(CommerceError::rejected("stock cannot be set below zero"));
        }
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let (product_id, item_id) = self.find_sku(&mut tx, &request.sku).await?;
        let (quantity, expected, sku) = (request.quantity, request.expected, request.sku.clone());
        let level = self
            .move_stock(&mut tx, &product_id, &item_id, |now| match expected {
                Some(e) if e != now => Err(CommerceError::Conflict(format!(
                    "{sku} has {now} in stock, not the {e} expected"
                ))),
                _ => Ok(quantity),
            })
            .await?;
        extras::record(&mut tx, key, &level, Utc::now()).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(level)
    }

    async fn create_product(
        &self,
        draft: &ProductDraft,
        key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        if self
            .product_by_handle(&mut tx, &draft.handle)
            .await?
            .is_some()
        {
            return Err(CommerceError::Conflict(format!(
                "a product with the handle {:?} exists already",
                draft.handle
            )));
        }
        let product_id = next_id(&mut tx, "SELECT MAX(product_id) FROM products")
            .await?
            .to_string();
        let mut item = next_id(&mut tx, "SELECT MAX(item_id) FROM items").await?;
        let mut listing = Listing {
            handle: Some(draft.handle.clone()),
            title: draft.title.clone(),
            description_html: draft.description_html.clone(),
            seo_title: draft.seo_title.clone(),
            seo_description: draft.seo_description.clone(),
            tags: draft.tags.clone(),
            vendor: draft.vendor.clone(),
            product_type: draft.product_type.clone(),
            category: draft.category.clone().unwrap_or_default(),
            status: if draft.status == crate::commerce::model::ProductStatus::Active {
                ListingStatus::Active
            } else {
                ListingStatus::Draft
            },
            variants: Vec::new(),
        };
        let mut product = tau2::Product {
            name: draft.title.clone(),
            product_id: product_id.clone(),
            variants: Default::default(),
        };
        for v in &draft.variants {
            let id = item.to_string();
            item += 1;
            listing.variants.push(ListingVariant {
                item_id: Some(id.clone()),
                options: v.options.clone(),
                sku: v.sku.clone(),
                price: v.price,
                inventory_quantity: v.inventory_quantity,
            });
            product.variants.insert(
                id.clone(),
                tau2::Variant {
                    item_id: id,
                    options: v.options.clone(),
                    available: true,
                    price: float(v.price),
                },
            );
        }
        sync(&mut product, &listing);
        records::save_product(&mut tx, &product).await?;
        save_listing(&mut tx, &product_id, &listing).await?;
        let now = Utc::now();
        extras::touch(&mut tx, RecordKind::Product, &product_id, now).await?;
        let view = platform::product(&product, &listing, Some(now));
        extras::emit(
            &mut tx,
            EventType::ProductCreated,
            json!({"product": view}),
            now,
        )
        .await?;
        extras::record(&mut tx, key, &view, now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn update_product(
        &self,
        id: &str,
        changes: &ProductChanges,
        key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let mut product = records::load_product(&mut tx, id).await?;
        let mut listing = listing_of(&mut tx, &product).await?;
        let set = |dst: &mut String, src: &Option<String>| {
            if let Some(v) = src {
                dst.clone_from(v);
            }
        };
        set(&mut listing.title, &changes.title);
        set(&mut listing.description_html, &changes.description_html);
        set(&mut listing.seo_title, &changes.seo_title);
        set(&mut listing.seo_description, &changes.seo_description);
        set(&mut listing.vendor, &changes.vendor);
        set(&mut listing.product_type, &changes.product_type);
        set(&mut listing.category, &changes.category);
        if let Some(t) = &changes.tags {
            listing.tags.clone_from(t);
        }
        if let Some(s) = changes.status {
            listing.status = if s == crate::commerce::model::ProductStatus::Active {
                ListingStatus::Active
            } else {
                ListingStatus::Draft
            };
        }
        sync(&mut product, &listing);
        records::save_product(&mut tx, &product).await?;
        save_listing(&mut tx, id, &listing).await?;
        let now = Utc::now();
        extras::touch(&mut tx, RecordKind::Product, id, now).await?;
        let view = platform::product(&product, &listing, Some(now));
        extras::emit(
            &mut tx,
            EventType::ProductUpdated,
            json!({"product": view}),
            now,
        )
        .await?;
        extras::record(&mut tx, key, &view, now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(view)
    }

    async fn change_tags(
        &self,
        change: &TagChange,
        key: &IdempotencyKey,
    ) -> Result<Vec<String>, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let apply = |tags: &mut Vec<String>| {
            tags.retain(|t| !change.remove.iter().any(|r| r.eq_ignore_ascii_case(t)));
            for a in &change.add {
                if !tags.iter().any(|t| t.eq_ignore_ascii_case(a)) {
                    tags.push(a.clone());
                }
            }
        };
        let tags = match &change.target {
            Tagged::Order(r) => {
                let order = records::load_order(&mut tx, order_id(r)).await?;
                let mut extra = extras::order_extras(&mut tx, &order.order_id).await?;
                apply(&mut extra.tags);
                extras::save_order_extras(&mut tx, &order.order_id, &extra).await?;
                self.order_changed(&mut tx, &order, EventType::OrderUpdated)
                    .await?;
                extra.tags
            }
            Tagged::Customer(id) => {
                let user = records::load_user(&mut tx, id).await?;
                let mut extra = extras::customer_extras(&mut tx, id).await?;
                apply(&mut extra.tags);
                extras::save_customer_extras(&mut tx, id, &extra).await?;
                self.customer_changed(&mut tx, &user, EventType::CustomerUpdated)
                    .await?;
                extra.tags
            }
        };
        extras::record(&mut tx, key, &tags, Utc::now()).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(tags)
    }

    async fn create_discount(
        &self,
        draft: &DiscountDraft,
        key: &IdempotencyKey,
    ) -> Result<DiscountCode, CommerceError> {
        let mut tx = self.begin_write().await?;
        if let Some(done) = replay(&mut tx, key).await? {
            return Ok(done);
        }
        let folded = draft.code.to_uppercase();
        let taken: Option<String> =
            sqlx::query_scalar("SELECT code_folded FROM discount_codes WHERE code_folded = ?")
                .bind(&folded)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
        if taken.is_some() {
            return Err(CommerceError::Conflict(format!(
                "the discount code {} exists already",
                draft.code
            )));
        }
        let now = Utc::now();
        let discount = DiscountCode {
            id: format!("local-discount-{}", uuid::Uuid::now_v7()),
            code: draft.code.clone(),
            value: match draft.off {
                DiscountOff::Percent(p) => DiscountValue::Percentage { percent: p },
                DiscountOff::Amount(a) => DiscountValue::FixedAmount {
                    amount: a.money(&self.shop.currency),
                },
            },
            starts_at: Some(draft.starts_at.unwrap_or(now)),
            ends_at: draft.ends_at,
            usage_limit: draft.usage_limit,
            once_per_customer: draft.once_per_customer,
        };
        sqlx::query("INSERT INTO discount_codes (code_folded, doc) VALUES (?, ?)")
            .bind(&folded)
            .bind(to_json(&discount)?.to_string())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        extras::record(&mut tx, key, &discount, now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(discount)
    }

    async fn discount(&self, code: &str) -> Result<Option<DiscountCode>, CommerceError> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM discount_codes WHERE code_folded = ?")
                .bind(code.to_uppercase())
                .fetch_optional(&mut *self.conn().await?)
                .await
                .map_err(unavailable)?;
        doc.map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| CommerceError::Corrupt(format!("discount {code}: {e}")))
        })
        .transpose()
    }
}

/// The cursor of the page after `rows`: the last id, when the page came back full.
fn next_cursor<T>(rows: &[(String, T)], page: &PageQuery) -> Option<String> {
    (rows.len() == page.size() as usize)
        .then(|| rows.last().map(|(id, _)| id.clone()))
        .flatten()
}
