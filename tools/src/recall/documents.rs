//! What gets embedded for a product or a customer: the text, the payload kept with
//! the vector, and a content hash that tells a sync whether anything changed.

use super::lexical::tokens;
use crate::commerce::model::{Customer, Order, OrderState, Product, ReturnStatus, snake};
use crate::commerce::money::Money;
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
    for v in &p.variants {
        for (k, val) in &v.options {
            options.entry(k).or_default().insert(val);
        }
    }
    let prices: Vec<&Money> = p.variants.iter().map(|v| &v.price).collect();
    let min = prices.iter().min_by_key(|m| m.amount).copied();
    let max = prices.iter().max_by_key(|m| m.amount).copied();
    let available = p.variants.iter().filter(|v| v.available).count();
    let mut text = p.title.clone();
    for (k, vals) in &options {
        let vals: Vec<&str> = vals.iter().copied().collect();
        text.push_str(&format!("; {k}: {}", vals.join(", ")));
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min.amount == max.amount {
            text.push_str(&format!("; price {min}"));
        } else {
            text.push_str(&format!("; price {min} to {max}"));
        }
    }
    let mut extra = Map::new();
    extra.insert("name".into(), json!(p.title));
    if let (Some(min), Some(max)) = (min, max) {
        // Numbers, so that price filters can compare them.
        extra.insert("min_price".into(), json!(number(min)));
        extra.insert("max_price".into(), json!(number(max)));
    }
    extra.insert("available".into(), json!(available > 0));
    extra.insert("variants".into(), json!(p.variants.len()));
    let words: Vec<&str> = std::iter::once(p.title.as_str())
        .chain(options.values().flatten().copied())
        .collect();
    extra.insert("tokens".into(), json!(tokens(&words.join(" "))));
    extra.insert("available_variants".into(), json!(available));
    Document {
        source_id: p.id.clone(),
        text,
        extra,
    }
}

/// An amount as a plain number, for filters in the vector store.
fn number(m: &Money) -> f64 {
    m.amount.to_string().parse().unwrap_or(0.0)
}

/// What a customer's orders say about them: how many in each state, and what they bought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Orders counted.
    pub orders: usize,
    /// Orders by state ("fulfilled", "cancelled"...).
    pub states: BTreeMap<String, usize>,
    /// Units bought by product title.
    pub bought: BTreeMap<String, usize>,
}

impl History {
    /// Counts one more order.
    pub fn add(&mut self, o: &Order) {
        self.orders += 1;
        let state = if o.state == OrderState::Cancelled {
            "cancelled".to_string()
        } else if o.return_status != ReturnStatus::NoReturn {
            "return requested".to_string()
        } else {
            snake(&o.fulfillment_status)
        };
        *self.states.entry(state).or_default() += 1;
        for l in &o.lines {
            *self.bought.entry(l.title.clone()).or_default() += l.quantity as usize;
        }
    }
}

/// Name, email, city and a summary of the customer's orders.
pub fn customer(c: &Customer, history: &History) -> Document {
    let name = c.name();
    let email = c.email.clone().unwrap_or_default();
    let (city, region, country) = c.default_address.as_ref().map_or_else(
        || (String::new(), String::new(), String::new()),
        |a| (a.city.clone(), a.province.clone(), a.country.clone()),
    );
    let mut text = format!("{name}, {email}, {city}, {region}, {country}");
    if history.orders == 0 {
        text.push_str("; no orders");
    } else {
        let states: Vec<String> = history
            .states
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        text.push_str(&format!(
            "; {} order{} ({})",
            history.orders,
            if history.orders == 1 { "" } else { "s" },
            states.join(", ")
        ));
        // Most bought first, then by name, so the text is stable.
        let mut items: Vec<(&String, &usize)> = history.bought.iter().collect();
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let items: Vec<&str> = items.iter().take(8).map(|(n, _)| n.as_str()).collect();
        text.push_str(&format!("; bought {}", items.join(", ")));
    }
    let mut extra = Map::new();
    extra.insert("name".into(), json!(name));
    extra.insert("email".into(), json!(email));
    extra.insert("city".into(), json!(city));
    extra.insert("orders".into(), json!(history.orders));
    let local_part = email.split('@').next().unwrap_or_default();
    let products: Vec<&str> = history.bought.keys().map(String::as_str).collect();
    extra.insert(
        "tokens".into(),
        json!(tokens(&format!(
            "{name} {local_part} {city} {}",
            products.join(" ")
        ))),
    );
    Document {
        source_id: c.id.clone(),
        text,
        extra,
    }
}
