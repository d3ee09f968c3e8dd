//! What gets embedded for a product or a customer: the text, the payload kept with
//! the vector, and a content hash that tells a sync whether anything changed.

use super::lexical::tokens;
use crate::commerce::model::{Order, Product, User};
use crate::commerce::money::format_usd;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A record ready to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The record's id in its source.
    pub source_id: String,
    /// The text the vector is computed from.
    pub text: String,
    /// Fields stored with the vector (for filters and for showing results).
    pub extra: Map<String, Value>,
}

impl Document {
    /// Hash of the model, text and payload: equal hashes mean re-embedding would change nothing.
    pub fn content_hash(&self, model: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(model.as_bytes());
        hasher.update([0x1f]);
        hasher.update(self.text.as_bytes());
        hasher.update([0x1f]);
        // Keys sorted, so the hash does not depend on insertion order.
        let sorted: BTreeMap<&String, &Value> = self.extra.iter().collect();
        hasher.update(json!(sorted).to_string().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Name, options of the variants, price range and availability.
pub fn product(p: &Product) -> Document {
    let mut options: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for v in p.variants.values() {
        for (k, val) in &v.options {
            options.entry(k).or_default().insert(val);
        }
    }
    let prices: Vec<f64> = p.variants.values().map(|v| v.price).collect();
    let min = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let max = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let available = p.variants.values().filter(|v| v.available).count();
    let mut text = p.name.clone();
    for (k, vals) in &options {
        let vals: Vec<&str> = vals.iter().copied().collect();
        text.push_str(&format!("; {k}: {}", vals.join(", ")));
    }
    if !prices.is_empty() {
        if (max - min).abs() < 0.005 {
            text.push_str(&format!("; price {}", format_usd(min)));
        } else {
            text.push_str(&format!(
                "; price {} to {}",
                format_usd(min),
                format_usd(max)
            ));
        }
    }
    let mut extra = Map::new();
    extra.insert("name".into(), json!(p.name));
    if !prices.is_empty() {
        extra.insert("min_price".into(), json!(min));
        extra.insert("max_price".into(), json!(max));
    }
    extra.insert("available".into(), json!(available > 0));
    extra.insert("variants".into(), json!(p.variants.len()));
    let words: Vec<&str> = std::iter::once(p.name.as_str())
        .chain(options.values().flatten().copied())
        .collect();
    extra.insert("tokens".into(), json!(tokens(&words.join(" "))));
    extra.insert("available_variants".into(), json!(available));
    Document {
        source_id: p.product_id.clone(),
        text,
        extra,
    }
}

/// Name, email, city and a summary of the customer's orders.
pub fn customer(u: &User, orders: &[&Order]) -> Document {
    let name = format!("{} {}", u.name.first_name, u.name.last_name);
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bought: BTreeMap<&str, usize> = BTreeMap::new();
    for o in orders {
        *statuses.entry(o.status.as_str()).or_default() += 1;
        for item in &o.items {
            *bought.entry(item.name.as_str()).or_default() += 1;
        }
    }
    let mut text = format!(
        "{name}, {}, {}, {}, {}",
        u.email, u.address.city, u.address.state, u.address.country
    );
    if orders.is_empty() {
        text.push_str("; no orders");
    } else {
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{n} {s}")).collect();
        text.push_str(&format!(
            "; {} order{} ({})",
            orders.len(),
            if orders.len() == 1 { "" } else { "s" },
            statuses.join(", ")
        ));
        // Most bought first, then by name, so the text is stable.
        let mut items: Vec<(&str, usize)> = bought.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let items: Vec<&str> = items.iter().take(8).map(|(n, _)| *n).collect();
        text.push_str(&format!("; bought {}", items.join(", ")));
    }
    let mut extra = Map::new();
    extra.insert("name".into(), json!(name));
    extra.insert("email".into(), json!(u.email));
    extra.insert("city".into(), json!(u.address.city));
    extra.insert("orders".into(), json!(orders.len()));
    let local_part = u.email.split('@').next().unwrap_or_default();
    let products: Vec<&str> = orders
        .iter()
        .flat_map(|o| o.items.iter().map(|i| i.name.as_str()))
        .collect();
    extra.insert(
        "tokens".into(),
        json!(tokens(&format!(
            "{name} {local_part} {} {}",
            u.address.city,
            products.join(" ")
        ))),
    );
    Document {
        source_id: u.user_id.clone(),
        text,
        extra,
    }
}
