//! The `Commerce` domain trait: a storefront's customers, orders, products and inventory,
//! shaped by real platforms (Shopify, BigCommerce, WooCommerce) so that one set of tools
//! runs on each of them and on the built-in store.

pub mod error;
pub mod model;
pub mod money;
pub mod query;
pub mod request;

pub use error::CommerceError;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use model::{Customer, DiscountCode, InventoryLevel, Location, Order, Product, ShopRef};
use query::{OrderQuery, OrderRef, Page, PageQuery, ProductRef};
use request::{
    AdjustStock, CancelOrder, DiscountDraft, IdempotencyKey, ProductChanges, ProductDraft,
    RefundOrder, ReturnRequest, SetStock, TagChange,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Something a store may or may not be able to do; a tool needing what the active
/// store lacks is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Read orders.
    ReadOrders,
    /// Read customers.
    ReadCustomers,
    /// Read products and variants.
    ReadProducts,
    /// Cancel orders.
    CancelOrders,
    /// Refund orders.
    Refunds,
    /// Open returns.
    Returns,
    /// Change an order's shipping address.
    EditOrders,
    /// Read, adjust and set stock.
    Inventory,
    /// Create and change products.
    WriteProducts,
    /// Tag orders and customers.
    Tags,
    /// Create discount codes.
    Discounts,
}

impl Capability {
    /// What the capability allows, for messages ("cannot cancel orders").
    pub fn describe(self) -> &'static str {
        match self {
            Self::ReadOrders => "read orders",
            Self::ReadCustomers => "read customers",
            Self::ReadProducts => "read products",
            Self::CancelOrders => "cancel orders",
            Self::Refunds => "refund orders",
            Self::Returns => "open returns",
            Self::EditOrders => "edit orders",
            Self::Inventory => "manage inventory",
            Self::WriteProducts => "create and edit products",
            Self::Tags => "tag orders and customers",
            Self::Discounts => "create discount codes",
        }
    }

    /// Every capability.
    pub fn all() -> BTreeSet<Capability> {
        use Capability::*;
        [
            ReadOrders,
            ReadCustomers,
            ReadProducts,
            CancelOrders,
            Refunds,
            Returns,
            EditOrders,
            Inventory,
            WriteProducts,
            Tags,
            Discounts,
        ]
        .into_iter()
        .collect()
    }
}

/// How many records a store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Products.
    pub products: u64,
    /// Customers.
    pub customers: u64,
    /// Orders.
    pub orders: u64,
}

/// Records of every page `fetch` returns, one at a time, one page held at a time.
pub fn paged<'a, T, F, Fut>(fetch: F) -> BoxStream<'a, Result<T, CommerceError>>
where
    T: Send + 'a,
    F: Fn(PageQuery) -> Fut + Send + Sync + 'a,
    Fut: std::future::Future<Output = Result<Page<T>, CommerceError>> + Send + 'a,
{
    let first = Some(PageQuery::first(query::MAX_PAGE));
    stream::unfold((first, fetch), |(next, fetch)| async move {
        let page = next?;
        let cursor = page.clone();
        match fetch(page).await {
            Ok(got) => {
                let following = got.next.map(|c| PageQuery {
                    cursor: Some(c),
                    ..cursor
                });
                Some((Ok(got.items), (following, fetch)))
            }
            Err(e) => Some((Err(e), (None, fetch))),
        }
    })
    .flat_map(|r| match r {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
        Err(e) => stream::once(async move { Err(e) }).boxed(),
    })
    .boxed()
}

fn unsupported(store: &ShopRef, what: Capability) -> CommerceError {
    CommerceError::Unsupported(format!(
        "the {} store cannot {}",
        store.connector,
        what.describe()
    ))
}

/// A storefront: what the platform tools read and change. Writes take the idempotency
/// key of their approval and return the record as it stands after the change; a failed
/// write changes nothing. A connector implements what its platform can do and says so
/// in `capabilities`; the rest answers `Unsupported`.
#[async_trait]
pub trait Commerce: Send + Sync {
    /// Which shop this is.
    fn shop(&self) -> &ShopRef;

    /// What this store can do.
    fn capabilities(&self) -> BTreeSet<Capability>;

    /// Why this store cannot do `capability`, or `None` when it can.
    fn unable(&self, capability: Capability) -> Option<String> {
        (!self.capabilities().contains(&capability)).then(|| {
            format!(
                "the {} store cannot {}",
                self.shop().connector,
                capability.describe()
            )
        })
    }

    /// After a crash: the result of the write made with `key`, where the store records one.
    async fn recorded_write(
        &self,
        _key: &IdempotencyKey,
    ) -> Result<Option<serde_json::Value>, CommerceError> {
        Ok(None)
    }

    /// Whether the platform itself deduplicates writes of this kind by their key, so that
    /// sending one again with the same key cannot apply it twice.
    fn deduplicates(&self, _kind: Capability) -> bool {
        false
    }

    /// How many products, customers and orders the store holds.
    async fn counts(&self) -> Result<Counts, CommerceError>;

    /// An order by number or id.
    async fn order(&self, order: &OrderRef) -> Result<Order, CommerceError>;

    /// Orders, newest first, one page at a time.
    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>, CommerceError>;

    /// A customer by id.
    async fn customer(&self, id: &str) -> Result<Customer, CommerceError>;

    /// Customers matching an email, a phone number or a name, best first.
    async fn find_customers(&self, query: &str, limit: u32)
    -> Result<Vec<Customer>, CommerceError>;

    /// Customers, one page at a time.
    async fn customers(&self, page: &PageQuery) -> Result<Page<Customer>, CommerceError>;

    /// A product by id, handle or SKU.
    async fn product(&self, product: &ProductRef) -> Result<Product, CommerceError>;

    /// Products, one page at a time.
    async fn products(&self, page: &PageQuery) -> Result<Page<Product>, CommerceError>;

    /// Every product, one at a time: from the platform's bulk export where it has one,
    /// else page by page.
    fn all_products(&self) -> BoxStream<'_, Result<Product, CommerceError>> {
        paged(move |page| async move { self.products(&page).await })
    }

    /// Every order, one at a time (newest first when paged).
    fn all_orders(&self) -> BoxStream<'_, Result<Order, CommerceError>> {
        paged(move |page| async move {
            self.orders(&OrderQuery {
                page,
                ..OrderQuery::default()
            })
            .await
        })
    }

    /// Every customer, one at a time.
    fn all_customers(&self) -> BoxStream<'_, Result<Customer, CommerceError>> {
        paged(move |page| async move { self.customers(&page).await })
    }

    /// Where stock is kept, the primary location first.
    async fn locations(&self) -> Result<Vec<Location>, CommerceError> {
        Err(unsupported(self.shop(), Capability::Inventory))
    }

    /// Stock of a SKU at every location.
    async fn inventory(&self, _sku: &str) -> Result<Vec<InventoryLevel>, CommerceError> {
        Err(unsupported(self.shop(), Capability::Inventory))
    }

    /// Cancels an order, with the refund, restock and notification asked for.
    async fn cancel_order(
        &self,
        _request: &CancelOrder,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        Err(unsupported(self.shop(), Capability::CancelOrders))
    }

    /// Refunds an order, whole or in part.
    async fn refund_order(
        &self,
        _request: &RefundOrder,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        Err(unsupported(self.shop(), Capability::Refunds))
    }

    /// Opens a return of delivered units.
    async fn request_return(
        &self,
        _request: &ReturnRequest,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        Err(unsupported(self.shop(), Capability::Returns))
    }

    /// Changes where an order ships.
    async fn update_shipping_address(
        &self,
        _order: &OrderRef,
        _address: &model::Address,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        Err(unsupported(self.shop(), Capability::EditOrders))
    }

    /// Adds or removes units at a location.
    async fn adjust_stock(
        &self,
        _request: &AdjustStock,
        _key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        Err(unsupported(self.shop(), Capability::Inventory))
    }

    /// Sets the units at a location, if they are what the request expects.
    async fn set_stock(
        &self,
        _request: &SetStock,
        _key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        Err(unsupported(self.shop(), Capability::Inventory))
    }

    /// Creates a product with its variants.
    async fn create_product(
        &self,
        _draft: &ProductDraft,
        _key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        Err(unsupported(self.shop(), Capability::WriteProducts))
    }

    /// Changes a product's fields.
    async fn update_product(
        &self,
        _id: &str,
        _changes: &ProductChanges,
        _key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        Err(unsupported(self.shop(), Capability::WriteProducts))
    }

    /// Adds and removes tags; returns the record's tags afterwards.
    async fn change_tags(
        &self,
        _change: &TagChange,
        _key: &IdempotencyKey,
    ) -> Result<Vec<String>, CommerceError> {
        Err(unsupported(self.shop(), Capability::Tags))
    }

    /// Creates a discount code.
    async fn create_discount(
        &self,
        _draft: &DiscountDraft,
        _key: &IdempotencyKey,
    ) -> Result<DiscountCode, CommerceError> {
        Err(unsupported(self.shop(), Capability::Discounts))
    }

    /// A discount code by its code, if it exists.
    async fn discount(&self, _code: &str) -> Result<Option<DiscountCode>, CommerceError> {
        Err(unsupported(self.shop(), Capability::Discounts))
    }
}
