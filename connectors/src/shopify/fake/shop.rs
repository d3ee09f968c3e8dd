//! The fake's shop: products, variants, customers and orders computed from their index
//! (so a shop of any size costs no memory), with every change kept in an overlay. Records
//! are JSON in the shape of Shopify's GraphQL objects; the resolvers serve them as they are.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How big the generated shop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Products.
    pub products: usize,
    /// Variants of each product.
    pub variants: usize,
    /// Customers.
    pub customers: usize,
    /// Orders.
    pub orders: usize,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            products: 30,
            variants: 3,
            customers: 20,
            orders: 60,
        }
    }
}

const PRODUCT_BASE: u64 = 1_000_000;
const VARIANT_BASE: u64 = 5_000_000;
const CUSTOMER_BASE: u64 = 2_000_000;
const ORDER_BASE: u64 = 3_000_000;
/// The shop's locations: the primary one first.
pub const LOCATIONS: [(&str, &str); 2] = [
    ("gid://shopify/Location/1", "Main warehouse"),
    ("gid://shopify/Location/2", "Pop-up store"),
];

const ADJECTIVES: &[&str] = &[
    "Classic", "Relaxed", "Linen", "Merino", "Waxed", "Organic", "Canvas", "Quilted",
];
const NOUNS: &[&str] = &[
    "T-Shirt",
    "Hoodie",
    "Overshirt",
    "Beanie",
    "Tote Bag",
    "Mug",
    "Sneakers",
    "Backpack",
    "Water Bottle",
    "Scarf",
];
const SIZES: &[&str] = &["S", "M", "L", "XL", "XXL", "XXXL"];
const FIRST: &[&str] = &[
    "Mia", "Noah", "Yara", "Ivan", "Sofia", "Liam", "Ana", "Omar", "Lena",
];
const LAST: &[&str] = &[
    "Garcia", "Brown", "Martin", "Khan", "Li", "Rossi", "Novak", "Silva",
];

/// A bulk export's state.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOp {
    /// The root connection exported: `products`, `orders`, `customers`.
    pub root: String,
    /// The query's text.
    pub query: String,
    /// Whether children follow their parents.
    pub grouped: bool,
    /// Polls left before it completes.
    pub polls_left: u32,
}

/// The shop and everything that changed in it.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Its myshopify domain.
    pub domain: String,
    /// Its currency.
    pub currency: String,
    /// The generated part.
    pub scale: Scale,
    /// Records changed or created, by GID.
    pub overlay: HashMap<String, Value>,
    /// Products created, in order.
    pub created_products: Vec<String>,
    /// Records deleted.
    pub deleted: HashSet<String>,
    /// Stock by (inventory item, location), where it changed.
    pub stock: HashMap<(String, String), i64>,
    /// Discounts by code (upper case).
    pub discounts: HashMap<String, Value>,
    /// Payloads of mutations run with an idempotency key, by key.
    pub idempotent: HashMap<String, Value>,
    /// Bulk exports by GID.
    pub bulk: BTreeMap<String, BulkOp>,
    /// Webhook subscriptions.
    pub webhooks: Vec<Value>,
    /// Asynchronous jobs, and whether each is done.
    pub jobs: HashMap<String, bool>,
    /// Messages the shop sent customers (order cancelled, refunded).
    pub notifications: Vec<Value>,
    next: u64,
}

fn money(amount: Decimal, currency: &str) -> Value {
    let m = json!({"amount": amount.round_dp(2).to_string(), "currencyCode": currency});
    json!({"shopMoney": m, "presentmentMoney": m})
}

fn amount_of(bag: &Value) -> Decimal {
    bag["shopMoney"]["amount"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_default()
}

/// The numeric tail of a GID.
pub fn tail(gid: &str) -> Option<u64> {
    gid.rsplit('/').next()?.parse().ok()
}

fn time(minutes: u64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .map(|t| t.timestamp())
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(base + (minutes as i64) * 60, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Now, as Shopify writes times.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Shop {
    /// A generated shop.
    pub fn new(domain: &str, scale: Scale) -> Self {
        Self {
            domain: domain.to_string(),
            currency: "USD".into(),
            scale,
            overlay: HashMap::new(),
            created_products: Vec::new(),
            deleted: HashSet::new(),
            stock: HashMap::new(),
            discounts: HashMap::new(),
            idempotent: HashMap::new(),
            bulk: BTreeMap::new(),
            webhooks: Vec::new(),
            jobs: HashMap::new(),
            notifications: Vec::new(),
            next: 9_000_000,
        }
    }

    /// A new id number.
    pub fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The GID of generated product `i`.
    pub fn product_gid(i: usize) -> String {
        format!("gid://shopify/Product/{}", PRODUCT_BASE + i as u64)
    }

    /// The SKU of generated variant `v` of product `i`.
    pub fn sku(i: usize, v: usize) -> String {
        format!("SKU-{i}-{}", SIZES[v % SIZES.len()])
    }

    /// The price of a generated variant.
    pub fn price(i: usize, v: usize) -> Decimal {
        Decimal::new(1000 + ((i % 90) as i64) * 100 + (v as i64) * 50 + 99, 2)
    }

    fn generated_stock(item: u64, location: usize) -> i64 {
        if location == 0 {
            ((item * 7) % 50) as i64
        } else {
            ((item * 3) % 5) as i64
        }
    }

    /// Units available of an inventory item at a location.
    pub fn available(&self, item: &str, location: &str) -> i64 {
        if let Some(q) = self.stock.get(&(item.to_string(), location.to_string())) {
            return *q;
        }
        let n = tail(item).unwrap_or(0);
        match LOCATIONS.iter().position(|(id, _)| *id == location) {
            Some(l) if n >= VARIANT_BASE => Self::generated_stock(n, l),
            _ => 0,
        }
    }

    fn levels(&self, item: &str) -> Value {
        Value::Array(
            LOCATIONS
                .iter()
                .map(|(id, name)| {
                    json!({"location": {"id": id, "name": name, "isActive": true, "fulfillsOnlineOrders": true},
                           "quantities": [{"name": "available", "quantity": self.available(item, id)}]})
                })
                .collect(),
        )
    }

    /// A variant as GraphQL shows it, with its stock now.
    pub fn variant_json(&self, v: &Value) -> Value {
        let mut v = v.clone();
        let item = v["inventoryItem"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let primary = self.available(&item, LOCATIONS[0].0);
        v["inventoryQuantity"] = json!(primary);
        if v["inventoryItem"]["tracked"] == true {
            v["availableForSale"] = json!(primary > 0);
        }
        v["inventoryItem"]["inventoryLevels"] = self.levels(&item);
        v
    }

    fn generated_product(&self, i: usize) -> Value {
        let title = format!(
            "{} {} {}",
            ADJECTIVES[i % ADJECTIVES.len()],
            NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()],
            i
        );
        let variants: Vec<Value> = (0..self.scale.variants)
            .map(|v| {
                let n = VARIANT_BASE + (i * self.scale.variants + v) as u64;
                json!({
                    "__typename": "ProductVariant",
                    "id": format!("gid://shopify/ProductVariant/{n}"),
                    "sku": Self::sku(i, v),
                    "title": SIZES[v % SIZES.len()],
                    "price": Self::price(i, v).to_string(),
                    "availableForSale": true,
                    "selectedOptions": [{"name": "Size", "value": SIZES[v % SIZES.len()]}],
                    "inventoryItem": {"id": format!("gid://shopify/InventoryItem/{n}"), "tracked": true, "sku": Self::sku(i, v)},
                })
            })
            .collect();
        json!({
            "__typename": "Product",
            "id": Self::product_gid(i),
            "handle": format!("product-{i}"),
            "title": title,
            "status": "ACTIVE",
            "vendor": "Acme",
            "productType": NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()],
            "tags": ["fake"],
            "descriptionHtml": format!("<p>{title}</p>"),
            "updatedAt": time(i as u64),
            "seo": {"title": title, "description": format!("Buy the {title}")},
            "category": null,
            "variants": variants,
            "totalInventory": 0,
        })
    }

    /// A product by GID, as it stands.
    pub fn product(&self, gid: &str) -> Option<Value> {
        if self.deleted.contains(gid) {
            return None;
        }
        let raw = match self.overlay.get(gid) {
            Some(p) => p.clone(),
            None => {
                let i = tail(gid)?.checked_sub(PRODUCT_BASE)? as usize;
                if i >= self.scale.products || !gid.starts_with("gid://shopify/Product/") {
                    return None;
                }
                self.generated_product(i)
            }
        };
        let mut p = raw;
        if let Some(vs) = p["variants"].as_array() {
            let vs: Vec<Value> = vs.iter().map(|v| self.variant_json(v)).collect();
            p["variants"] = Value::Array(vs);
        }
        Some(p)
    }

    /// Every product GID, in id order.
    pub fn product_ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.scale.products)
            .map(Self::product_gid)
            .chain(self.created_products.iter().cloned())
            .filter(|g| !self.deleted.contains(g))
    }

    /// The GID of generated customer `j`.
    pub fn customer_gid(j: usize) -> String {
        format!("gid://shopify/Customer/{}", CUSTOMER_BASE + j as u64)
    }

    fn address(j: usize) -> Value {
        json!({"firstName": FIRST[j % FIRST.len()], "lastName": LAST[j % LAST.len()],
               "address1": format!("{} Main St", 10 + j), "address2": "", "city": "Austin",
               "provinceCode": "TX", "countryCodeV2": "US", "zip": "73301", "phone": null})
    }

    fn generated_customer(&self, j: usize) -> Value {
        let orders: Vec<usize> = (0..self.scale.orders.min(1_000_000))
            .skip(j)
            .step_by(self.scale.customers.max(1))
            .collect();
        let spent: Decimal = orders.iter().map(|k| self.order_total(*k)).sum();
        json!({
            "__typename": "Customer",
            "id": Self::customer_gid(j),
            "firstName": FIRST[j % FIRST.len()],
            "lastName": format!("{}{}", LAST[j % LAST.len()], if j >= FIRST.len() * LAST.len() { format!(" {j}") } else { String::new() }),
            "displayName": format!("{} {}", FIRST[j % FIRST.len()], LAST[j % LAST.len()]),
            "createdAt": time(j as u64),
            "updatedAt": time(j as u64),
            "tags": [],
            "numberOfOrders": orders.len().to_string(),
            "defaultEmailAddress": {"emailAddress": format!("customer{j}@example.com")},
            "defaultPhoneNumber": {"phoneNumber": format!("+1512555{:04}", j % 10_000)},
            "amountSpent": {"amount": spent.round_dp(2).to_string(), "currencyCode": self.currency},
            "defaultAddress": Self::address(j),
        })
    }

    /// A customer by GID, as it stands.
    pub fn customer(&self, gid: &str) -> Option<Value> {
        if self.deleted.contains(gid) {
            return None;
        }
        if let Some(c) = self.overlay.get(gid) {
            return Some(c.clone());
        }
        let j = tail(gid)?.checked_sub(CUSTOMER_BASE)? as usize;
        (j < self.scale.customers && gid.starts_with("gid://shopify/Customer/"))
            .then(|| self.generated_customer(j))
    }

    /// Every customer GID, in id order.
    pub fn customer_ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.scale.customers).map(Self::customer_gid)
    }

    /// The GID of generated order `k`.
    pub fn order_gid(k: usize) -> String {
        format!("gid://shopify/Order/{}", ORDER_BASE + k as u64)
    }

    fn order_lines(&self, k: usize) -> Vec<(usize, usize, u32)> {
        let products = self.scale.products.max(1);
        let variants = self.scale.variants.max(1);
        (0..1 + k % 3)
            .map(|l| {
                (
                    (k * 13 + l * 7) % products,
                    (k + l) % variants,
                    1 + ((k + l) % 2) as u32,
                )
            })
            .collect()
    }

    fn order_total(&self, k: usize) -> Decimal {
        self.order_lines(k)
            .iter()
            .map(|(i, v, q)| Self::price(*i, *v) * Decimal::from(*q))
            .sum()
    }

    fn generated_order(&self, k: usize) -> Value {
        let c = &self.currency;
        let gid = Self::order_gid(k);
        let lines: Vec<Value> = self
            .order_lines(k)
            .iter()
            .enumerate()
            .map(|(l, (i, v, q))| {
                let n = VARIANT_BASE + (i * self.scale.variants + v) as u64;
                json!({
                    "__typename": "LineItem",
                    "id": format!("gid://shopify/LineItem/{}", (ORDER_BASE + k as u64) * 10 + l as u64),
                    "title": format!("{} {} {}", ADJECTIVES[i % ADJECTIVES.len()], NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()], i),
                    "variantTitle": SIZES[v % SIZES.len()],
                    "sku": Self::sku(*i, *v),
                    "quantity": q, "currentQuantity": q, "refundableQuantity": q, "unfulfilledQuantity": q,
                    "originalUnitPriceSet": money(Self::price(*i, *v), c),
                    "discountedUnitPriceSet": money(Self::price(*i, *v), c),
                    "variant": {"id": format!("gid://shopify/ProductVariant/{n}")},
                    "product": {"id": Self::product_gid(*i)},
                })
            })
            .collect();
        let total = self.order_total(k);
        let fulfilled = k.is_multiple_of(4);
        let fulfillments: Vec<Value> = if fulfilled {
            vec![json!({
                "__typename": "Fulfillment",
                "id": format!("gid://shopify/Fulfillment/{}", ORDER_BASE + k as u64),
                "status": "SUCCESS", "displayStatus": "DELIVERED", "createdAt": time(k as u64 + 60),
                "trackingInfo": [{"number": format!("1Z{:010}", k), "company": "UPS", "url": format!("https://ups.example/track/1Z{k:010}")}],
                "fulfillmentLineItems": lines.iter().enumerate().map(|(l, line)| json!({
                    "id": format!("gid://shopify/FulfillmentLineItem/{}", (ORDER_BASE + k as u64) * 10 + l as u64),
                    "quantity": line["quantity"], "lineItem": {"id": line["id"]},
                })).collect::<Vec<_>>(),
            })]
        } else {
            Vec::new()
        };
        let j = k % self.scale.customers.max(1);
        json!({
            "__typename": "Order",
            "id": gid,
            "name": format!("#{}", 1001 + k),
            "email": format!("customer{j}@example.com"),
            "createdAt": time(k as u64 * 10),
            "updatedAt": time(k as u64 * 10),
            "cancelledAt": null, "cancelReason": null, "closed": false,
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": if fulfilled { "FULFILLED" } else { "UNFULFILLED" },
            "returnStatus": "NO_RETURN",
            "currencyCode": c, "presentmentCurrencyCode": c,
            "customer": {"__typename": "Customer", "id": Self::customer_gid(j)},
            "subtotalPriceSet": money(total, c),
            "totalShippingPriceSet": money(Decimal::ZERO, c),
            "totalTaxSet": money(Decimal::ZERO, c),
            "totalDiscountsSet": money(Decimal::ZERO, c),
            "totalPriceSet": money(total, c),
            "totalRefundedSet": money(Decimal::ZERO, c),
            "totalOutstandingSet": money(Decimal::ZERO, c),
            "shippingAddress": Self::address(j),
            "tags": [],
            "lineItems": lines,
            "fulfillments": fulfillments,
            "refunds": [],
            "transactions": [{"id": format!("gid://shopify/OrderTransaction/{}", ORDER_BASE + k as u64), "kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money(total, c)}],
        })
    }

    /// An order by GID, as it stands.
    pub fn order(&self, gid: &str) -> Option<Value> {
        if self.deleted.contains(gid) {
            return None;
        }
        if let Some(o) = self.overlay.get(gid) {
            return Some(o.clone());
        }
        let k = tail(gid)?.checked_sub(ORDER_BASE)? as usize;
        (k < self.scale.orders && gid.starts_with("gid://shopify/Order/"))
            .then(|| self.generated_order(k))
    }

    /// Every order GID, oldest first.
    pub fn order_ids(&self) -> impl DoubleEndedIterator<Item = String> + '_ {
        (0..self.scale.orders).map(Self::order_gid)
    }

    /// Saves a changed record, stamping its update time.
    pub fn save(&mut self, mut record: Value) {
        record["updatedAt"] = json!(now());
        if let Some(id) = record["id"].as_str() {
            self.overlay.insert(id.to_string(), record);
        }
    }

    /// Adds `delta` units of an inventory item at a location; returns the quantity after.
    pub fn add_stock(&mut self, item: &str, location: &str, delta: i64) -> i64 {
        let after = self.available(item, location) + delta;
        self.stock
            .insert((item.to_string(), location.to_string()), after);
        after
    }

    /// The variant with this SKU, and its product.
    pub fn variant_by_sku(&self, sku: &str) -> Option<(Value, Value)> {
        // Generated SKUs say where they are; created products are searched.
        if let Some(rest) = sku.strip_prefix("SKU-")
            && let Some((i, size)) = rest.split_once('-')
            && let (Ok(i), Some(v)) = (i.parse::<usize>(), SIZES.iter().position(|s| *s == size))
            && i < self.scale.products
            && v < self.scale.variants
        {
            let p = self.product(&Self::product_gid(i))?;
            let variant = p["variants"]
                .as_array()?
                .iter()
                .find(|x| x["sku"] == sku)?
                .clone();
            return Some((variant, p));
        }
        self.created_products.iter().find_map(|g| {
            let p = self.product(g)?;
            let variant = p["variants"]
                .as_array()?
                .iter()
                .find(|x| x["sku"] == sku)?
                .clone();
            Some((variant, p))
        })
    }

    /// The product with this handle.
    pub fn product_by_handle(&self, handle: &str) -> Option<Value> {
        if let Some(i) = handle
            .strip_prefix("product-")
            .and_then(|i| i.parse::<usize>().ok())
            && i < self.scale.products
            && let Some(p) = self.product(&Self::product_gid(i))
            && p["handle"] == handle
        {
            return Some(p);
        }
        self.created_products
            .iter()
            .filter_map(|g| self.product(g))
            .find(|p| p["handle"] == handle)
    }

    /// Whether a search query (Shopify's syntax, as the connector writes it) matches a record.
    pub fn matches(record: &Value, query: &str) -> bool {
        terms(query)
            .iter()
            .all(|(key, value)| match key.as_deref() {
                Some("name") => record["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(value)),
                Some("customer_id") => record["customer"]["id"]
                    .as_str()
                    .and_then(tail)
                    .is_some_and(|n| n.to_string() == *value),
                Some("status") => match value.as_str() {
                    "cancelled" => !record["cancelledAt"].is_null(),
                    "closed" => record["closed"] == true,
                    _ => record["cancelledAt"].is_null() && record["closed"] != true,
                },
                Some("financial_status") => record["displayFinancialStatus"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(value)),
                Some("fulfillment_status") => {
                    let s = record["displayFulfillmentStatus"]
                        .as_str()
                        .unwrap_or_default();
                    match value.as_str() {
                        "shipped" => s == "FULFILLED",
                        "partial" => s == "PARTIALLY_FULFILLED",
                        other => s.eq_ignore_ascii_case(other),
                    }
                }
                Some("updated_at") => {
                    let since = value.trim_start_matches(">=").trim_matches('"');
                    record["updatedAt"].as_str().is_some_and(|u| u >= since)
                }
                Some("email") => record["defaultEmailAddress"]["emailAddress"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(value)),
                Some("phone") => {
                    let digits =
                        |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
                    record["defaultPhoneNumber"]["phoneNumber"]
                        .as_str()
                        .is_some_and(|p| digits(p).ends_with(&digits(value)))
                }
                Some("sku") => record["sku"] == value.as_str(),
                Some(_) => true,
                None => {
                    // A bare term: names and email.
                    let hay = format!(
                        "{} {} {}",
                        record["firstName"].as_str().unwrap_or_default(),
                        record["lastName"].as_str().unwrap_or_default(),
                        record["defaultEmailAddress"]["emailAddress"]
                            .as_str()
                            .unwrap_or_default()
                    )
                    .to_lowercase();
                    value
                        .to_lowercase()
                        .split_whitespace()
                        .all(|w| hay.split_whitespace().any(|h| h == w || h.starts_with(w)))
                }
            })
    }
}

/// `key:value` terms of a search query (values possibly quoted), and bare terms.
fn terms(query: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut chars = query.chars().peekable();
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        let mut value = String::new();
        let mut in_value = false;
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
                chars.next();
                continue;
            }
            if c == '\\' && quoted {
                chars.next();
                if let Some(n) = chars.next() {
                    if in_value { value.push(n) } else { key.push(n) }
                }
                continue;
            }
            if c.is_whitespace() && !quoted {
                break;
            }
            if c == ':' && !in_value && !quoted {
                in_value = true;
                chars.next();
                continue;
            }
            if in_value {
                value.push(c)
            } else {
                key.push(c)
            }
            chars.next();
        }
        if in_value {
            out.push((Some(key), value));
        } else if !key.is_empty() {
            out.push((None, key));
        }
    }
    // Bare words of one quoted phrase read as one term.
    out
}

/// A `userErrors` list of one error.
pub fn user_error(field: &[&str], message: &str, code: Option<&str>) -> Value {
    let mut e = Map::new();
    e.insert("field".into(), json!(field));
    e.insert("message".into(), json!(message));
    if let Some(c) = code {
        e.insert("code".into(), json!(c));
    }
    Value::Array(vec![Value::Object(e)])
}

/// Total of a money bag.
pub fn bag_amount(bag: &Value) -> Decimal {
    amount_of(bag)
}

/// A money bag of `amount`.
pub fn bag(amount: Decimal, currency: &str) -> Value {
    money(amount, currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_records_are_consistent() {
        let shop = Shop::new("acme.myshopify.com", Scale::default());
        let o = shop.order(&Shop::order_gid(4)).unwrap();
        assert_eq!(o["name"], "#1005");
        let total: Decimal = o["lineItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                amount_of(&l["originalUnitPriceSet"])
                    * Decimal::from(l["quantity"].as_u64().unwrap())
            })
            .sum();
        assert_eq!(total, amount_of(&o["totalPriceSet"]));
        let sku = o["lineItems"][0]["sku"].as_str().unwrap();
        let (variant, product) = shop.variant_by_sku(sku).unwrap();
        assert_eq!(variant["sku"], sku);
        assert_eq!(product["id"], o["lineItems"][0]["product"]["id"]);
        assert!(shop.order("gid://shopify/Order/1").is_none());
    }

    #[test]
    fn search_terms_read_quotes_and_keys() {
        assert!(Shop::matches(&json!({"name": "#1001"}), "name:\"#1001\""));
        assert!(!Shop::matches(&json!({"name": "#1002"}), "name:\"#1001\""));
        let c = json!({"firstName": "Mia", "lastName": "Garcia", "defaultEmailAddress": {"emailAddress": "m@x.io"}});
        assert!(Shop::matches(&c, "\"mia garcia\""));
        assert!(Shop::matches(&c, "email:\"M@X.io\""));
        assert!(!Shop::matches(&c, "\"noah\""));
    }
}
