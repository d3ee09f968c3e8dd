//! The Shopify shop behind the `Commerce` trait.

use super::client::{Graphql, ShopifyError, user_errors};
use super::config::ShopifyConfig;
use super::mapping::{Connection, CustomerNode, Id, Nodes, OrderNode, ProductNode, quoted};
use super::queries::{self as q, Operation};
use crate::http::{Http, HttpError, HttpSettings, Redactor, Replay};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::BoxStream;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use shopkeeper_tools::commerce::model::{
    Address, CancelReason, Customer, DiscountCode, DiscountValue, InventoryLevel, Location, Order,
    Product, ProductStatus, ShopId, ShopRef,
};
use shopkeeper_tools::commerce::money::{Amount, Currency, Money};
use shopkeeper_tools::commerce::query::{OrderQuery, OrderRef, Page, PageQuery, ProductRef};
use shopkeeper_tools::commerce::request::{
    AdjustStock, CancelOrder, DiscountDraft, DiscountOff, IdempotencyKey, ProductChanges,
    ProductDraft, RefundOrder, ReturnReason, ReturnRequest, SetStock, TagChange, Tagged,
};
use shopkeeper_tools::commerce::{Capability, Commerce, CommerceError, Counts};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The connector's name.
pub const CONNECTOR: &str = "shopify";

/// Most orders a page of `orders` asks for (their lines make them dear).
const ORDER_PAGE: u32 = 25;
/// Most products a page asks for (each with up to 50 variants).
const PRODUCT_PAGE: u32 = 20;
/// Most customers a page asks for.
const CUSTOMER_PAGE: u32 = 100;

/// The shop as `ShopInfo` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopInfo {
    /// The shop itself.
    pub shop: ShopFields,
    /// The app's installation on it.
    pub current_app_installation: Installation,
}

/// `Shop`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopFields {
    /// Its GID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its myshopify domain.
    pub myshopify_domain: String,
    /// Its currency.
    pub currency_code: String,
    /// Its plan.
    pub plan: Plan,
}

/// `ShopPlan`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// e.g. "Basic", "Shopify Plus".
    pub public_display_name: String,
    /// A development store.
    pub partner_development: bool,
    /// A Plus store.
    pub shopify_plus: bool,
}

/// `AppInstallation`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    /// Scopes granted.
    pub access_scopes: Vec<Scope>,
}

/// `AccessScope`.
#[derive(Debug, Clone, Deserialize)]
pub struct Scope {
    /// e.g. `write_orders`.
    pub handle: String,
}

/// A Shopify shop.
#[derive(Debug)]
pub struct ShopifyStore {
    gql: Graphql,
    shop: ShopRef,
    locations: OnceCell<Vec<Location>>,
    /// The scopes granted, once read (`None`: not known, so everything is tried).
    granted: Option<BTreeSet<String>>,
}

/// The numeric part of a GID, for Shopify's search syntax (`customer_id:123`).
fn legacy_id(gid: &str) -> &str {
    gid.rsplit('/').next().unwrap_or(gid)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A Shopify error as what the tool layer can act on; `replay` says whether a lost answer
/// means the outcome is unknown.
pub fn commerce_error(e: ShopifyError, replay: Replay) -> CommerceError {
    match e {
        ShopifyError::Http(h) => match h {
            HttpError::RateLimited { retry_after, .. } => {
                CommerceError::RateLimited { retry_after }
            }
            HttpError::Unauthorized { .. } => CommerceError::Unauthorized(
                "Shopify refused the access token: it is wrong, expired or was revoked".into(),
            ),
            HttpError::Forbidden { detail, .. } => CommerceError::Unauthorized(format!(
                "Shopify refused access (the app may be uninstalled): {detail}"
            )),
            HttpError::NotFound { host, .. } => {
                CommerceError::Misconfigured(format!("there is no Shopify shop at {host}"))
            }
            HttpError::Rejected { status, detail, .. } => CommerceError::Rejected(format!(
                "Shopify refused the request (HTTP {status}): {detail}"
            )),
            HttpError::NoAnswer { .. } if replay == Replay::Unsafe => {
                CommerceError::OutcomeUnknown(h.to_string())
            }
            HttpError::Unavailable { .. } if replay == Replay::Unsafe => {
                CommerceError::OutcomeUnknown(h.to_string())
            }
            HttpError::Invalid(m) => CommerceError::Misconfigured(m),
            other => CommerceError::Unavailable(other.to_string()),
        },
        ShopifyError::Throttled { wait } => CommerceError::RateLimited {
            retry_after: Some(wait),
        },
        ShopifyError::MissingScope { scope, message } => CommerceError::MissingScope {
            scope,
            detail: message,
        },
        ShopifyError::UserErrors(m) => CommerceError::Rejected(m),
        ShopifyError::Graphql(m) => CommerceError::Rejected(format!("Shopify: {m}")),
        ShopifyError::Internal(m) if replay == Replay::Unsafe => {
            CommerceError::OutcomeUnknown(format!("Shopify failed while running it: {m}"))
        }
        ShopifyError::Internal(m) => CommerceError::Unavailable(m),
        ShopifyError::Decode { operation, detail } => {
            CommerceError::Unavailable(format!("unexpected answer to {operation}: {detail}"))
        }
    }
}

/// A mutation payload that may carry `userErrors` under another name.
fn refused(payload: &Value, key: &str) -> Result<(), CommerceError> {
    let errors = payload.get(key).cloned().unwrap_or(Value::Null);
    match user_errors(&json!({"userErrors": errors})) {
        Some(m) => Err(CommerceError::Rejected(format!("Shopify refused it: {m}"))),
        None => Ok(()),
    }
}

impl ShopifyStore {
    /// Connects to the shop `config` names and reads its currency (one cheap request).
    pub async fn open(config: &ShopifyConfig) -> Result<Self, CommerceError> {
        let store = Self::new(config, Currency::usd())?;
        let info = store.info().await?;
        let currency =
            Currency::try_from(info.shop.currency_code.clone()).map_err(CommerceError::Corrupt)?;
        Ok(Self {
            shop: ShopRef {
                currency,
                ..store.shop
            },
            ..store
        })
    }

    /// A store for `config` without contacting it, amounts in `currency`.
    pub fn new(config: &ShopifyConfig, currency: Currency) -> Result<Self, CommerceError> {
        let config = config
            .clone()
            .validated()
            .map_err(|e| CommerceError::Misconfigured(e.to_string()))?;
        let token = config
            .access_token
            .clone()
            .ok_or_else(|| CommerceError::Misconfigured("[shopify] has no access_token".into()))?;
        let http = Http::new(
            HttpSettings::default(),
            Redactor::new([token.expose().to_string()]),
        )
        .map_err(|e| CommerceError::Misconfigured(e.to_string()))?;
        let gql = Graphql::new(http, &config.endpoint(), token)
            .map_err(|e| CommerceError::Misconfigured(e.to_string()))?;
        Ok(Self {
            gql,
            shop: ShopRef {
                id: ShopId(format!("{CONNECTOR}:{}", config.domain())),
                connector: CONNECTOR,
                currency,
            },
            locations: OnceCell::new(),
            granted: None,
        })
    }

    /// The GraphQL client (for bulk exports, `connect` and the bench).
    pub fn graphql(&self) -> &Graphql {
        &self.gql
    }

    /// The shop's currency.
    pub fn currency(&self) -> Currency {
        self.shop.currency.clone()
    }

    /// Runs an operation, errors typed for the tool layer.
    pub async fn run<T: serde::de::DeserializeOwned>(
        &self,
        op: &Operation,
        variables: Value,
    ) -> Result<T, CommerceError> {
        self.gql
            .run(op, variables)
            .await
            .map_err(|e| commerce_error(e, op.replay))
    }

    /// The shop, its plan and the scopes granted to the app.
    pub async fn info(&self) -> Result<ShopInfo, CommerceError> {
        self.run(&q::SHOP, json!({})).await
    }

    async fn order_node(&self, order: &OrderRef) -> Result<OrderNode, CommerceError> {
        #[derive(Deserialize)]
        struct One {
            order: Option<OrderNode>,
        }
        #[derive(Deserialize)]
        struct ByName {
            orders: Nodes<OrderNode>,
        }
        let found = match order {
            OrderRef::Id(id) => {
                let gid = if id.starts_with("gid://") {
                    id.clone()
                } else {
                    format!("gid://shopify/Order/{id}")
                };
                self.run::<One>(&q::ORDER, json!({"id": gid})).await?.order
            }
            OrderRef::Number(name) => self
                .run::<ByName>(
                    &q::ORDER_BY_NAME,
                    json!({"query": format!("name:{}", quoted(name))}),
                )
                .await?
                .orders
                .nodes
                .into_iter()
                .find(|o| o.order().number.eq_ignore_ascii_case(name)),
        };
        found.ok_or_else(|| CommerceError::not_found("order", order.as_str()))
    }

    async fn product_node(&self, product: &ProductRef) -> Result<ProductNode, CommerceError> {
        #[derive(Deserialize)]
        struct One {
            product: Option<ProductNode>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ByHandle {
            product_by_identifier: Option<ProductNode>,
        }
        let found = match product {
            ProductRef::Id(id) => {
                let gid = if id.starts_with("gid://") {
                    id.clone()
                } else {
                    format!("gid://shopify/Product/{id}")
                };
                self.run::<One>(&q::PRODUCT, json!({"id": gid}))
                    .await?
                    .product
            }
            ProductRef::Handle(h) => {
                self.run::<ByHandle>(&q::PRODUCT_BY_HANDLE, json!({"handle": h}))
                    .await?
                    .product_by_identifier
            }
            ProductRef::Sku(sku) => self.variant(sku).await?.map(|v| v.product),
        };
        found.ok_or_else(|| CommerceError::not_found("product", product.to_string()))
    }

    async fn variant(&self, sku: &str) -> Result<Option<SkuVariant>, CommerceError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Found {
            product_variants: Nodes<SkuVariant>,
        }
        let found: Found = self
            .run(
                &q::VARIANT_BY_SKU,
                json!({"query": format!("sku:{}", quoted(sku))}),
            )
            .await?;
        // Search matches loosely; only the exact SKU counts.
        Ok(found
            .product_variants
            .nodes
            .into_iter()
            .find(|v| v.sku.as_deref() == Some(sku)))
    }

    async fn location_of(&self, asked: Option<&str>) -> Result<Location, CommerceError> {
        let locations = self.locations().await?;
        match asked {
            None => locations
                .first()
                .cloned()
                .ok_or_else(|| CommerceError::not_found("location", "(the shop has none)")),
            Some(a) => locations
                .iter()
                .find(|l| l.id == a || l.name.eq_ignore_ascii_case(a) || legacy_id(&l.id) == a)
                .cloned()
                .ok_or_else(|| CommerceError::not_found("location", a)),
        }
    }

    async fn level(
        &self,
        sku: &str,
        location: Option<&str>,
    ) -> Result<(SkuVariant, Location, i64), CommerceError> {
        let variant = self
            .variant(sku)
            .await?
            .ok_or_else(|| CommerceError::not_found("variant with SKU", sku))?;
        let location = self.location_of(location).await?;
        let available = variant.available_at(&location.id).unwrap_or(0);
        Ok((variant, location, available))
    }

    async fn poll_job(&self, job: &str) -> Result<(), CommerceError> {
        #[derive(Deserialize)]
        struct Job {
            job: Option<JobNode>,
        }
        #[derive(Deserialize)]
        struct JobNode {
            done: bool,
        }
        let mut wait = Duration::from_millis(200);
        for _ in 0..12 {
            let j: Job = self.run(&q::JOB, json!({"id": job})).await?;
            if j.job.is_none_or(|j| j.done) {
                return Ok(());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
        Ok(()) // still running: the order read next says where it stands
    }

    async fn tags_of(&self, id: &str) -> Result<Vec<String>, CommerceError> {
        #[derive(Deserialize)]
        struct Tags {
            node: Option<TagsNode>,
        }
        #[derive(Deserialize)]
        struct TagsNode {
            #[serde(default)]
            tags: Vec<String>,
        }
        let t: Tags = self.run(&q::TAGS, json!({"id": id})).await?;
        Ok(t.node.map(|n| n.tags).unwrap_or_default())
    }

    fn page_first(page: &PageQuery, cap: u32) -> u32 {
        page.size().min(cap)
    }
}

/// A variant found by SKU, with its product and stock.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuVariant {
    /// Its GID.
    pub id: String,
    /// Its SKU.
    pub sku: Option<String>,
    /// Its product.
    pub product: ProductNode,
    /// Its inventory item.
    pub inventory_item: InventoryItemNode,
}

/// `InventoryItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryItemNode {
    /// Its GID.
    pub id: String,
    /// Whether stock is tracked.
    pub tracked: bool,
    inventory_levels: Nodes<LevelNode>,
}

#[derive(Debug, Clone, Deserialize)]
struct LevelNode {
    location: LocationNode,
    quantities: Vec<QuantityNode>,
}

#[derive(Debug, Clone, Deserialize)]
struct LocationNode {
    id: String,
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct QuantityNode {
    name: String,
    quantity: i64,
}

impl SkuVariant {
    fn available_at(&self, location: &str) -> Option<i64> {
        self.inventory_item
            .inventory_levels
            .nodes
            .iter()
            .find(|l| l.location.id == location)
            .and_then(|l| l.quantities.iter().find(|q| q.name == "available"))
            .map(|q| q.quantity)
    }

    fn levels(&self, sku: &str) -> Vec<InventoryLevel> {
        self.inventory_item
            .inventory_levels
            .nodes
            .iter()
            .map(|l| InventoryLevel {
                sku: sku.to_string(),
                variant_id: self.id.clone(),
                location: Location {
                    id: l.location.id.clone(),
                    name: l.location.name.clone(),
                },
                available: l
                    .quantities
                    .iter()
                    .find(|q| q.name == "available")
                    .map_or(0, |q| q.quantity),
            })
            .collect()
    }
}

fn order_search(query: &OrderQuery) -> Option<String> {
    use shopkeeper_tools::commerce::model::{
        FinancialStatus as F, FulfillmentStatus as S, OrderState,
    };
    let mut parts = Vec::new();
    if let Some(c) = &query.customer_id {
        parts.push(format!("customer_id:{}", legacy_id(c)));
    }
    if let Some(s) = query.state {
        parts.push(
            match s {
                OrderState::Open => "status:open",
                OrderState::Cancelled => "status:cancelled",
                OrderState::Closed => "status:closed",
            }
            .to_string(),
        );
    }
    if let Some(f) = query.financial_status {
        let v = match f {
            F::Pending => "pending",
            F::Authorized => "authorized",
            F::Paid => "paid",
            F::PartiallyPaid => "partially_paid",
            F::PartiallyRefunded => "partially_refunded",
            F::Refunded => "refunded",
            F::Voided => "voided",
            F::Expired => "expired",
        };
        parts.push(format!("financial_status:{v}"));
    }
    if let Some(f) = query.fulfillment_status {
        let v = match f {
            S::Unfulfilled => "unfulfilled",
            S::Scheduled => "scheduled",
            S::OnHold => "on_hold",
            S::InProgress => "in_progress",
            S::PartiallyFulfilled => "partial",
            S::Fulfilled => "shipped",
            S::Restocked => "restocked",
        };
        parts.push(format!("fulfillment_status:{v}"));
    }
    if let Some(t) = query.page.updated_since {
        parts.push(format!("updated_at:>={}", quoted(&time(t))));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn updated_since(page: &PageQuery) -> Option<String> {
    page.updated_since
        .map(|t| format!("updated_at:>={}", quoted(&time(t))))
}

fn address_input(a: &Address) -> Value {
    json!({
        "firstName": a.first_name, "lastName": a.last_name,
        "address1": a.address1, "address2": a.address2, "city": a.city,
        "provinceCode": (!a.province.is_empty()).then_some(&a.province),
        "countryCode": a.country.to_ascii_uppercase(), "zip": a.zip, "phone": a.phone,
    })
}

fn cancel_reason(r: CancelReason) -> &'static str {
    match r {
        CancelReason::Customer => "CUSTOMER",
        CancelReason::Declined => "DECLINED",
        CancelReason::Fraud => "FRAUD",
        CancelReason::Inventory => "INVENTORY",
        CancelReason::Staff => "STAFF",
        CancelReason::Other => "OTHER",
    }
}

fn return_reason(r: ReturnReason) -> &'static str {
    match r {
        ReturnReason::Color => "COLOR",
        ReturnReason::Defective => "DEFECTIVE",
        ReturnReason::NotAsDescribed => "NOT_AS_DESCRIBED",
        ReturnReason::SizeTooLarge => "SIZE_TOO_LARGE",
        ReturnReason::SizeTooSmall => "SIZE_TOO_SMALL",
        ReturnReason::Style => "STYLE",
        ReturnReason::Unwanted => "UNWANTED",
        ReturnReason::WrongItem => "WRONG_ITEM",
        ReturnReason::Other => "OTHER",
    }
}

fn status(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Active => "ACTIVE",
        ProductStatus::Draft => "DRAFT",
        ProductStatus::Archived => "ARCHIVED",
    }
}

#[async_trait]
impl Commerce for ShopifyStore {
    fn shop(&self) -> &ShopRef {
        &self.shop
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        Capability::all()
            .into_iter()
            .filter(|c| self.unable(*c).is_none())
            .collect()
    }

    fn unable(&self, capability: Capability) -> Option<String> {
        let granted = self.granted.as_ref()?;
        let lacking = super::scopes::lacking(capability, granted);
        (!lacking.is_empty()).then(|| {
            format!(
                "the Shopify app lacks the access scope{} {} (to {})",
                if lacking.len() == 1 { "" } else { "s" },
                lacking.join(", "),
                capability.describe()
            )
        })
    }

    fn deduplicates(&self, kind: Capability) -> bool {
        // `refundCreate` and the inventory mutations carry `@idempotent(key:)`.
        matches!(kind, Capability::Refunds | Capability::Inventory)
    }

    fn all_products(&self) -> BoxStream<'_, Result<Product, CommerceError>> {
        super::bulk::products(self)
    }

    fn all_orders(&self) -> BoxStream<'_, Result<Order, CommerceError>> {
        super::bulk::orders(self)
    }

    fn all_customers(&self) -> BoxStream<'_, Result<Customer, CommerceError>> {
        super::bulk::customers(self)
    }

    async fn counts(&self) -> Result<Counts, CommerceError> {
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct All {
            products_count: Option<Count>,
            orders_count: Option<Count>,
            customers_count: Option<Count>,
        }
        let c: All = self.run(&q::COUNTS, json!({})).await?;
        let n = |c: Option<Count>| c.map_or(0, |c| c.count);
        Ok(Counts {
            products: n(c.products_count),
            customers: n(c.customers_count),
            orders: n(c.orders_count),
        })
    }

    async fn order(&self, order: &OrderRef) -> Result<Order, CommerceError> {
        Ok(self.order_node(order).await?.order())
    }

    async fn orders(&self, query: &OrderQuery) -> Result<Page<Order>, CommerceError> {
        #[derive(Deserialize)]
        struct Orders {
            orders: Connection<OrderNode>,
        }
        let page: Orders = self
            .run(
                &q::ORDERS,
                json!({"first": Self::page_first(&query.page, ORDER_PAGE), "after": query.page.cursor, "query": order_search(query)}),
            )
            .await?;
        Ok(Page {
            next: page.orders.next(),
            items: page.orders.nodes.iter().map(OrderNode::order).collect(),
        })
    }

    async fn customer(&self, id: &str) -> Result<Customer, CommerceError> {
        #[derive(Deserialize)]
        struct One {
            customer: Option<CustomerNode>,
        }
        let gid = if id.starts_with("gid://") {
            id.to_string()
        } else {
            format!("gid://shopify/Customer/{id}")
        };
        self.run::<One>(&q::CUSTOMER, json!({"id": gid}))
            .await?
            .customer
            .map(|c| c.customer())
            .ok_or_else(|| CommerceError::not_found("customer", id))
    }

    async fn find_customers(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<Customer>, CommerceError> {
        #[derive(Deserialize)]
        struct Customers {
            customers: Connection<CustomerNode>,
        }
        let q = query.trim();
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let search = if q.contains('@') {
            format!("email:{}", quoted(q))
        } else if digits.len() >= 7
            && q.chars()
                .all(|c| c.is_ascii_digit() || "+-() .".contains(c))
        {
            format!("phone:{}", quoted(q))
        } else {
            quoted(q)
        };
        let page: Customers = self
            .run(
                &q::CUSTOMERS,
                json!({"first": limit.clamp(1, 50), "after": null, "query": search}),
            )
            .await?;
        Ok(page
            .customers
            .nodes
            .iter()
            .map(CustomerNode::customer)
            .collect())
    }

    async fn customers(&self, page: &PageQuery) -> Result<Page<Customer>, CommerceError> {
        #[derive(Deserialize)]
        struct Customers {
            customers: Connection<CustomerNode>,
        }
        let got: Customers = self
            .run(
                &q::CUSTOMERS,
                json!({"first": Self::page_first(page, CUSTOMER_PAGE), "after": page.cursor, "query": updated_since(page)}),
            )
            .await?;
        Ok(Page {
            next: got.customers.next(),
            items: got
                .customers
                .nodes
                .iter()
                .map(CustomerNode::customer)
                .collect(),
        })
    }

    async fn product(&self, product: &ProductRef) -> Result<Product, CommerceError> {
        Ok(self
            .product_node(product)
            .await?
            .product(&self.shop.currency))
    }

    async fn products(&self, page: &PageQuery) -> Result<Page<Product>, CommerceError> {
        #[derive(Deserialize)]
        struct Products {
            products: Connection<ProductNode>,
        }
        let got: Products = self
            .run(
                &q::PRODUCTS,
                json!({"first": Self::page_first(page, PRODUCT_PAGE), "after": page.cursor, "query": updated_since(page)}),
            )
            .await?;
        Ok(Page {
            next: got.products.next(),
            items: got
                .products
                .nodes
                .iter()
                .map(|p| p.product(&self.shop.currency))
                .collect(),
        })
    }

    async fn locations(&self) -> Result<Vec<Location>, CommerceError> {
        #[derive(Deserialize)]
        struct Locations {
            locations: Nodes<LocationFull>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct LocationFull {
            id: String,
            name: String,
            is_active: bool,
            fulfills_online_orders: bool,
        }
        self.locations
            .get_or_try_init(|| async {
                let got: Locations = self.run(&q::LOCATIONS, json!({})).await?;
                let mut active: Vec<LocationFull> = got
                    .locations
                    .nodes
                    .into_iter()
                    .filter(|l| l.is_active)
                    .collect();
                // The first that fulfils online orders stands for the primary one.
                active.sort_by_key(|l| !l.fulfills_online_orders);
                Ok(active
                    .into_iter()
                    .map(|l| Location {
                        id: l.id,
                        name: l.name,
                    })
                    .collect())
            })
            .await
            .cloned()
    }

    async fn inventory(&self, sku: &str) -> Result<Vec<InventoryLevel>, CommerceError> {
        let v = self
            .variant(sku)
            .await?
            .ok_or_else(|| CommerceError::not_found("variant with SKU", sku))?;
        Ok(v.levels(sku))
    }

    async fn cancel_order(
        &self,
        request: &CancelOrder,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let order = self.order_node(&request.order).await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Cancel {
            order_cancel: Value,
        }
        let refund_method = request
            .refund
            .then(|| json!({"originalPaymentMethodsRefund": true}));
        let done: Cancel = self
            .run(
                &q::ORDER_CANCEL,
                json!({
                    "orderId": order.id, "reason": cancel_reason(request.reason),
                    "restock": request.restock, "refundMethod": refund_method,
                    "notifyCustomer": request.notify_customer, "staffNote": request.staff_note,
                }),
            )
            .await?;
        refused(&done.order_cancel, "orderCancelUserErrors")?;
        if let Some(job) = done.order_cancel.pointer("/job/id").and_then(Value::as_str) {
            self.poll_job(job).await?;
        }
        self.order(&OrderRef::Id(order.id)).await
    }

    async fn refund_order(
        &self,
        request: &RefundOrder,
        key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let node = self.order_node(&request.order).await?;
        let order = node.order();
        // A refund made with this key already (an answer lost, then a retry) is found by
        // the mark its note carries, before anything is checked against what it changed.
        let mark = format!("[shopkeeper {key}]");
        if order
            .refunds
            .iter()
            .any(|r| r.note.as_deref().is_some_and(|n| n.contains(&mark)))
        {
            return Ok(order);
        }
        let total = request.total(&order)?;
        let restock = if request.restock {
            "RETURN"
        } else {
            "NO_RESTOCK"
        };
        let location = if request.restock && !request.lines.is_empty() {
            Some(self.location_of(None).await?.id)
        } else {
            None
        };
        let mut lines = Vec::new();
        for l in &request.lines {
            let line = l.resolve(&order)?;
            lines.push(json!({"lineItemId": line.id, "quantity": l.quantity, "restockType": restock, "locationId": location}));
        }
        #[derive(Deserialize)]
        struct Suggested {
            order: Option<SuggestedOrder>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SuggestedOrder {
            suggested_refund: SuggestedRefund,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SuggestedRefund {
            suggested_transactions: Vec<SuggestedTransaction>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SuggestedTransaction {
            gateway: Option<String>,
            amount_set: super::mapping::MoneyBag,
            parent_transaction: Option<Id>,
        }
        let shipping = request.shipping.map(|s| s.0.to_string());
        let suggested: Suggested = self
            .run(
                &q::SUGGESTED_REFUND,
                json!({"id": node.id, "lines": lines, "shipping": shipping, "full": request.amount.is_none() && request.lines.is_empty() && request.shipping.is_none()}),
            )
            .await?;
        // The amount asked for goes back through the transactions Shopify suggests, in
        // their order, each up to what it can take.
        let mut left = total.amount;
        let mut transactions = Vec::new();
        for t in suggested
            .order
            .map(|o| o.suggested_refund.suggested_transactions)
            .unwrap_or_default()
        {
            if left <= Decimal::ZERO {
                break;
            }
            let take = left.min(t.amount_set.shop_money.amount);
            if take <= Decimal::ZERO {
                continue;
            }
            left -= take;
            transactions.push(json!({
                "orderId": node.id, "gateway": t.gateway.unwrap_or_default(), "kind": "REFUND",
                "amount": take.to_string(), "parentId": t.parent_transaction.map(|p| p.id),
            }));
        }
        if left > Decimal::ZERO {
            return Err(CommerceError::rejected(format!(
                "order {} has no payment that can take back {}",
                order.number,
                Money::new(left, order.currency.clone())
            )));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Refunded {
            refund_create: Value,
        }
        let note = match &request.note {
            Some(n) => format!("{n} {mark}"),
            None => mark,
        };
        let input = json!({
            "orderId": node.id, "note": note, "notify": request.notify_customer,
            "refundLineItems": lines, "transactions": transactions,
            "shipping": shipping.map(|a| json!({"amount": a})),
        });
        let done: Refunded = self
            .run(
                &q::REFUND_CREATE,
                json!({"input": input, "key": key.as_str()}),
            )
            .await?;
        refused(&done.refund_create, "userErrors")?;
        match done.refund_create.get("order").cloned() {
            Some(o) if !o.is_null() => serde_json::from_value::<OrderNode>(o)
                .map(|n| n.order())
                .map_err(|e| CommerceError::Unavailable(format!("unexpected refund answer: {e}"))),
            _ => self.order(&OrderRef::Id(node.id)).await,
        }
    }

    async fn request_return(
        &self,
        request: &ReturnRequest,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let node = self.order_node(&request.order).await?;
        let order = node.order();
        let mut items = Vec::new();
        for l in &request.lines {
            let line = l.resolve(&order)?;
            let shipped = node
                .fulfillments
                .iter()
                .flat_map(|f| &f.fulfillment_line_items.nodes)
                .find(|f| f.line_item.id == line.id && f.quantity >= i64::from(l.quantity))
                .ok_or_else(|| {
                    CommerceError::rejected(format!(
                        "{} of order {} has not shipped {} unit(s): only delivered items can be returned",
                        line.title, order.number, l.quantity
                    ))
                })?;
            items.push(json!({
                "fulfillmentLineItemId": shipped.id, "quantity": l.quantity,
                "returnReason": return_reason(request.reason), "customerNote": request.note,
            }));
        }
        let done: Value = self
            .run(
                &q::RETURN_REQUEST,
                json!({"input": {"orderId": node.id, "returnLineItems": items}}),
            )
            .await?;
        refused(&done["returnRequest"], "userErrors")?;
        self.order(&OrderRef::Id(node.id)).await
    }

    async fn update_shipping_address(
        &self,
        order: &OrderRef,
        address: &Address,
        _key: &IdempotencyKey,
    ) -> Result<Order, CommerceError> {
        let node = self.order_node(order).await?;
        let done: Value = self
            .run(
                &q::ORDER_UPDATE,
                json!({"input": {"id": node.id, "shippingAddress": address_input(address)}}),
            )
            .await?;
        refused(&done["orderUpdate"], "userErrors")?;
        serde_json::from_value::<OrderNode>(done["orderUpdate"]["order"].clone())
            .map(|n| n.order())
            .map_err(|e| CommerceError::Unavailable(format!("unexpected answer: {e}")))
    }

    async fn adjust_stock(
        &self,
        request: &AdjustStock,
        key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        let (variant, location, now) = self
            .level(&request.sku, request.location.as_deref())
            .await?;
        if now + request.delta < 0 {
            return Err(CommerceError::rejected(format!(
                "{} has {now} at {}; removing {} would go below zero",
                request.sku, location.name, -request.delta
            )));
        }
        // `changeFromQuantity` must be sent: null says this delta applies whatever is there.
        let input = json!({
            "name": "available", "reason": request.reason.as_str(),
            "referenceDocumentUri": format!("shopkeeper://approvals/{key}"),
            "changes": [{"inventoryItemId": variant.inventory_item.id, "locationId": location.id,
                         "delta": request.delta, "changeFromQuantity": null}],
        });
        let done: Value = self
            .run(
                &q::INVENTORY_ADJUST,
                json!({"input": input, "key": key.as_str()}),
            )
            .await?;
        refused(&done["inventoryAdjustQuantities"], "userErrors")?;
        let after = done
            .pointer("/inventoryAdjustQuantities/inventoryAdjustmentGroup/changes")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["name"] == "available"))
            .and_then(|c| c["quantityAfterChange"].as_i64())
            .unwrap_or(now + request.delta);
        Ok(InventoryLevel {
            sku: request.sku.clone(),
            variant_id: variant.id,
            location,
            available: after,
        })
    }

    async fn set_stock(
        &self,
        request: &SetStock,
        key: &IdempotencyKey,
    ) -> Result<InventoryLevel, CommerceError> {
        let (variant, location, _) = self
            .level(&request.sku, request.location.as_deref())
            .await?;
        let input = json!({
            "name": "available", "reason": request.reason.as_str(),
            "referenceDocumentUri": format!("shopkeeper://approvals/{key}"),
            "quantities": [{"inventoryItemId": variant.inventory_item.id, "locationId": location.id,
                            "quantity": request.quantity, "changeFromQuantity": request.expected}],
        });
        let done: Value = self
            .run(
                &q::INVENTORY_SET,
                json!({"input": input, "key": key.as_str()}),
            )
            .await?;
        let payload = &done["inventorySetQuantities"];
        if let Some(errors) = payload["userErrors"].as_array()
            && errors
                .iter()
                .any(|e| e["code"] == "CHANGE_FROM_QUANTITY_STALE")
        {
            return Err(CommerceError::Conflict(format!(
                "{} at {} is no longer {}: read it again",
                request.sku,
                location.name,
                request.expected.unwrap_or_default()
            )));
        }
        refused(payload, "userErrors")?;
        Ok(InventoryLevel {
            sku: request.sku.clone(),
            variant_id: variant.id,
            location,
            available: request.quantity,
        })
    }

    async fn create_product(
        &self,
        draft: &ProductDraft,
        _key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        match self
            .product_node(&ProductRef::Handle(draft.handle.clone()))
            .await
        {
            Ok(_) => {
                return Err(CommerceError::Conflict(format!(
                    "a product with the handle {:?} exists already",
                    draft.handle
                )));
            }
            Err(CommerceError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let location = if draft
            .variants
            .iter()
            .any(|v| v.inventory_quantity.is_some())
        {
            Some(self.location_of(None).await?.id)
        } else {
            None
        };
        // Options in the order their names first appear; a product without options has
        // Shopify's one "Title" option.
        let mut names: Vec<String> = Vec::new();
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for v in &draft.variants {
            for (k, val) in &v.options {
                if !names.contains(k) {
                    names.push(k.clone());
                }
                let vs = values.entry(k.clone()).or_default();
                if !vs.contains(val) {
                    vs.push(val.clone());
                }
            }
        }
        if names.is_empty() {
            names.push("Title".into());
            values.insert("Title".into(), vec!["Default Title".into()]);
        }
        let options: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "values": values[n].iter().map(|v| json!({"name": v})).collect::<Vec<_>>()}))
            .collect();
        let variants: Vec<Value> = draft
            .variants
            .iter()
            .map(|v| {
                let option_values: Vec<Value> = if v.options.is_empty() {
                    vec![json!({"optionName": "Title", "name": "Default Title"})]
                } else {
                    v.options
                        .iter()
                        .map(|(k, val)| json!({"optionName": k, "name": val}))
                        .collect()
                };
                let mut variant = json!({"optionValues": option_values, "price": v.price.0.to_string(), "sku": v.sku});
                if let (Some(q), Some(loc)) = (v.inventory_quantity, &location) {
                    variant["inventoryItem"] = json!({"tracked": true});
                    variant["inventoryQuantities"] =
                        json!([{"locationId": loc, "name": "available", "quantity": q}]);
                }
                variant
            })
            .collect();
        let input = json!({
            "title": draft.title, "handle": draft.handle, "descriptionHtml": draft.description_html,
            "vendor": draft.vendor, "productType": draft.product_type, "tags": draft.tags,
            "status": status(draft.status), "category": draft.category,
            "seo": {"title": draft.seo_title, "description": draft.seo_description},
            "productOptions": options, "variants": variants,
        });
        let done: Value = self.run(&q::PRODUCT_SET, json!({"input": input})).await?;
        refused(&done["productSet"], "userErrors")?;
        serde_json::from_value::<ProductNode>(done["productSet"]["product"].clone())
            .map(|p| p.product(&self.shop.currency))
            .map_err(|e| CommerceError::Unavailable(format!("unexpected answer: {e}")))
    }

    async fn update_product(
        &self,
        id: &str,
        changes: &ProductChanges,
        _key: &IdempotencyKey,
    ) -> Result<Product, CommerceError> {
        let node = self.product_node(&ProductRef::Id(id.to_string())).await?;
        let mut product = json!({"id": node.id});
        let set = |p: &mut Value, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                p[k] = json!(v);
            }
        };
        set(&mut product, "title", &changes.title);
        set(&mut product, "descriptionHtml", &changes.description_html);
        set(&mut product, "vendor", &changes.vendor);
        set(&mut product, "productType", &changes.product_type);
        set(&mut product, "category", &changes.category);
        if let Some(t) = &changes.tags {
            product["tags"] = json!(t);
        }
        if let Some(s) = changes.status {
            product["status"] = json!(status(s));
        }
        if changes.seo_title.is_some() || changes.seo_description.is_some() {
            let current = node.product(&self.shop.currency);
            product["seo"] = json!({
                "title": changes.seo_title.clone().unwrap_or(current.seo_title),
                "description": changes.seo_description.clone().unwrap_or(current.seo_description),
            });
        }
        let done: Value = self
            .run(&q::PRODUCT_UPDATE, json!({"product": product}))
            .await?;
        refused(&done["productUpdate"], "userErrors")?;
        serde_json::from_value::<ProductNode>(done["productUpdate"]["product"].clone())
            .map(|p| p.product(&self.shop.currency))
            .map_err(|e| CommerceError::Unavailable(format!("unexpected answer: {e}")))
    }

    async fn change_tags(
        &self,
        change: &TagChange,
        _key: &IdempotencyKey,
    ) -> Result<Vec<String>, CommerceError> {
        let id = match &change.target {
            Tagged::Order(r) => self.order_node(r).await?.id,
            Tagged::Customer(c) => self.customer(c).await?.id,
        };
        if !change.add.is_empty() {
            let done: Value = self
                .run(&q::TAGS_ADD, json!({"id": id, "tags": change.add}))
                .await?;
            refused(&done["tagsAdd"], "userErrors")?;
        }
        if !change.remove.is_empty() {
            let done: Value = self
                .run(&q::TAGS_REMOVE, json!({"id": id, "tags": change.remove}))
                .await?;
            refused(&done["tagsRemove"], "userErrors")?;
        }
        self.tags_of(&id).await
    }

    async fn create_discount(
        &self,
        draft: &DiscountDraft,
        _key: &IdempotencyKey,
    ) -> Result<DiscountCode, CommerceError> {
        if self.discount(&draft.code).await?.is_some() {
            return Err(CommerceError::Conflict(format!(
                "the discount code {} exists already",
                draft.code
            )));
        }
        let value = match draft.off {
            // Shopify takes a share between 0 and 1.
            DiscountOff::Percent(p) => {
                json!({"percentage": (p / Decimal::ONE_HUNDRED).to_string().parse::<f64>().unwrap_or(0.0)})
            }
            DiscountOff::Amount(a) => {
                json!({"discountAmount": {"amount": a.0.to_string(), "appliesOnEachItem": false}})
            }
        };
        let discount = json!({
            "title": draft.code, "code": draft.code,
            "startsAt": time(draft.starts_at.unwrap_or_else(Utc::now)),
            "endsAt": draft.ends_at.map(time), "usageLimit": draft.usage_limit,
            "appliesOncePerCustomer": draft.once_per_customer,
            "context": {"all": "ALL"},
            "customerGets": {"value": value, "items": {"all": true}},
        });
        let done: Value = self
            .run(&q::DISCOUNT_CREATE, json!({"discount": discount}))
            .await?;
        refused(&done["discountCodeBasicCreate"], "userErrors")?;
        self.discount(&draft.code).await?.ok_or_else(|| {
            CommerceError::Unavailable(format!(
                "the discount {} was created but cannot be read back",
                draft.code
            ))
        })
    }

    async fn discount(&self, code: &str) -> Result<Option<DiscountCode>, CommerceError> {
        let found: Value = self
            .run(&q::DISCOUNT_BY_CODE, json!({"code": code}))
            .await?;
        let node = &found["codeDiscountNodeByCode"];
        if node.is_null() {
            return Ok(None);
        }
        let d = &node["codeDiscount"];
        let value = &d["customerGets"]["value"];
        let value = if let Some(p) = value["percentage"].as_f64() {
            DiscountValue::Percentage {
                percent: Decimal::try_from(p * 100.0).unwrap_or_default().round_dp(2),
            }
        } else {
            let amount = value["amount"]["amount"].as_str().unwrap_or("0");
            DiscountValue::FixedAmount {
                amount: Amount(amount.parse().unwrap_or_default()).money(&self.shop.currency),
            }
        };
        let at = |v: &Value| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        Ok(Some(DiscountCode {
            id: node["id"].as_str().unwrap_or_default().to_string(),
            code: d["codes"]["nodes"][0]["code"]
                .as_str()
                .unwrap_or(code)
                .to_string(),
            value,
            starts_at: at(&d["startsAt"]),
            ends_at: at(&d["endsAt"]),
            usage_limit: d["usageLimit"].as_u64().map(|n| n as u32),
            once_per_customer: d["appliesOncePerCustomer"].as_bool().unwrap_or(false),
        }))
    }
}
