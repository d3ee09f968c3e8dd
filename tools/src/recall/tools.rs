//! Memory tools: find products and customers by meaning, read a customer's whole
//! profile, and remember a note about a customer or a product.

use super::sync::link_customer;
use super::{Recall, lexical, timeline};
use crate::commerce::query::ProductRef;
use crate::commerce::{Commerce, CommerceError};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::helpdesk::Helpdesk;
use crate::registry::Registry;
use crate::tool::{CallContext, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use shopkeeper_memory::db::now_millis;
use shopkeeper_memory::profiles::{Identity, Link, NoteRow, Profile};
use shopkeeper_memory::vector::{Condition, Hit, Kind, Point};
use std::collections::HashSet;
use std::sync::Arc;

/// What memory tools act on.
#[derive(Clone)]
pub struct Mind {
    recall: Recall,
    store: Arc<dyn Commerce>,
    helpdesk: Option<Arc<dyn Helpdesk>>,
}

/// Registers `search_products`, `search_customers`, `customer_profile` and `remember`;
/// `helpdesk` adds the customer's tickets to their profile.
pub fn register(
    registry: &mut Registry,
    recall: Recall,
    store: Arc<dyn Commerce>,
    helpdesk: Option<Arc<dyn Helpdesk>>,
) -> Result<(), ToolError> {
    let m = Mind {
        recall,
        store,
        helpdesk,
    };
    registry.register(SearchProducts(m.clone()))?;
    registry.register(SearchCustomers(m.clone()))?;
    registry.register(CustomerProfile(m.clone()))?;
    registry.register(Remember(m))?;
    Ok(())
}

fn memory_err(e: impl std::fmt::Display) -> ToolError {
    ToolError::Memory(e.to_string())
}

/// How results that share the query's words rank.
#[derive(Debug, Clone, Copy)]
enum Ranking {
    /// Similarity plus this much times the share of the query's words a result has
    /// (products: meaning leads, words break near-ties).
    Blend(f32),
    /// The share of the query's words first, then similarity (people: a name or a
    /// city is a fact to match, not a meaning to approximate).
    WordsFirst,
}

/// A hit with the share of the query's words it carries.
struct Ranked {
    hit: Hit,
    words: f32,
}

/// The best `limit` points of `kind` for `query`: by meaning, and by the query's words
/// (a second search among points sharing a word, merged and ranked per `ranking`); or a
/// clear error when nothing is indexed yet.
async fn nearest(
    m: &Mind,
    kind: Kind,
    query: &str,
    limit: usize,
    conditions: &[Condition],
    ranking: Ranking,
) -> Result<Vec<Ranked>, ToolError> {
    let vector = m.recall.embed_one(query).await?;
    let vectors = &m.recall.backends().await?.vectors;
    let shop = m.recall.shop();
    let pool = (limit * 4).max(40);
    let mut hits = vectors
        .search_where(shop, kind, &vector, pool, conditions)
        .await
        .map_err(memory_err)?;
    // Nothing found: say why when it is because nothing was ever indexed (counting only
    // here keeps it off the usual path).
    if hits.is_empty() && vectors.count(shop, kind).await.map_err(memory_err)? == 0 {
        return Err(ToolError::Memory(format!(
            "no {}s are indexed yet: run `shopkeeper sync`",
            kind.as_str()
        )));
    }
    let words = lexical::tokens(query);
    if !words.is_empty() {
        let mut sharing = conditions.to_vec();
        sharing.push(Condition::AnyOf {
            field: "tokens".into(),
            values: words.clone(),
        });
        let more = vectors
            .search_where(shop, kind, &vector, pool, &sharing)
            .await
            .map_err(memory_err)?;
        let seen: HashSet<String> = hits.iter().map(|h| h.source_id.clone()).collect();
        hits.extend(more.into_iter().filter(|h| !seen.contains(&h.source_id)));
    }
    let mut ranked: Vec<Ranked> = hits
        .into_iter()
        .map(|hit| {
            let point_words: Vec<String> = hit
                .payload
                .get("tokens")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|w| w.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let words = lexical::overlap(&words, &point_words);
            Ranked { hit, words }
        })
        .collect();
    match ranking {
        Ranking::Blend(weight) => ranked.sort_by(|a, b| {
            (b.hit.score + weight * b.words).total_cmp(&(a.hit.score + weight * a.words))
        }),
        Ranking::WordsFirst => ranked.sort_by(|a, b| {
            b.words
                .total_cmp(&a.words)
                .then(b.hit.score.total_cmp(&a.hit.score))
        }),
    }
    ranked.truncate(limit);
    Ok(ranked)
}

fn field(hit: &Hit, name: &str) -> Value {
    hit.payload.get(name).cloned().unwrap_or(Value::Null)
}

fn rounded(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// Filters on product search.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductFilters {
    /// Only products with a variant at or above this price (dollars).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub min_price: Option<f64>,
    /// Only products with a variant at or below this price (dollars).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub max_price: Option<f64>,
    /// Only products with at least one variant in stock.
    #[serde(default)]
    pub available_only: bool,
}

/// Arguments of `search_products`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchProductsArgs {
    /// What the product is, in words: "blue linen shirt", "quiet mechanical keyboard".
    pub query: String,
    /// Optional price and stock filters.
    #[serde(default)]
    pub filters: ProductFilters,
    /// How many results (default 5, at most 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
}

/// `search_products`.
pub struct SearchProducts(Mind);

#[async_trait]
impl Tool for SearchProducts {
    type Args = SearchProductsArgs;
    const NAME: &'static str = "search_products";
    const DESCRIPTION: &'static str = "Find products by description when the product id is not known (e.g. 'the blue linen shirt'), optionally within a price range or in stock only. Returns product ids, names, price ranges and availability, best match first.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "do you have a blue linen shirt",
        "find a water bottle under $50",
        "I'm looking for a mechanical keyboard",
        "search for running shoes in stock",
        "something to keep drinks cold",
        "show me cheap headphones",
        "I want to buy a bicycle",
        "have you got any sunglasses",
    ];

    async fn call(&self, a: SearchProductsArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let mut conditions = Vec::new();
        // A product matches a price bound when some variant does: its range overlaps.
        if let Some(min) = a.filters.min_price {
            conditions.push(Condition::Range {
                field: "max_price".into(),
                gte: Some(min),
                lte: None,
            });
        }
        if let Some(max) = a.filters.max_price {
            conditions.push(Condition::Range {
                field: "min_price".into(),
                gte: None,
                lte: Some(max),
            });
        }
        if a.filters.available_only {
            conditions.push(Condition::Flag {
                field: "available".into(),
                value: true,
            });
        }
        let limit = a.limit.unwrap_or(5).clamp(1, 20) as usize;
        let hits = nearest(
            &self.0,
            Kind::Product,
            &a.query,
            limit,
            &conditions,
            Ranking::Blend(0.3),
        )
        .await?;
        Ok(Value::Array(
            hits.iter()
                .map(|Ranked { hit: h, words }| {
                    json!({
                        "product_id": h.source_id,
                        "name": field(h, "name"),
                        "min_price": field(h, "min_price"),
                        "max_price": field(h, "max_price"),
                        "available": field(h, "available"),
                        "similarity": rounded(h.score),
                        "words_matched": rounded(*words),
                    })
                })
                .collect(),
        ))
    }

    async fn render(&self, a: &SearchProductsArgs) -> String {
        format!("Search products for \"{}\"", a.query)
    }
}

/// Arguments of `search_customers`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchCustomersArgs {
    /// Who, in words: a name, part of an email, a city, what they bought.
    pub query: String,
    /// How many results (default 5, at most 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
}

/// `search_customers`.
pub struct SearchCustomers(Mind);

#[async_trait]
impl Tool for SearchCustomers {
    type Args = SearchCustomersArgs;
    const NAME: &'static str = "search_customers";
    const STAFF_ONLY: bool = true;
    const DESCRIPTION: &'static str = "Find customers by name, email, city or what they bought when the user id is not known. Returns user ids, names, emails and cities, best match first.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "find the customer named Yara Martin",
        "who is the customer from Denver called Mia",
        "search customers in Houston",
        "find customers who bought a skateboard",
    ];

    async fn call(&self, a: SearchCustomersArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let limit = a.limit.unwrap_or(5).clamp(1, 20) as usize;
        let hits = nearest(
            &self.0,
            Kind::Customer,
            &a.query,
            limit,
            &[],
            Ranking::WordsFirst,
        )
        .await?;
        Ok(Value::Array(
            hits.iter()
                .map(|Ranked { hit: h, words }| {
                    json!({
                        "user_id": h.source_id,
                        "name": field(h, "name"),
                        "email": field(h, "email"),
                        "city": field(h, "city"),
                        "orders": field(h, "orders"),
                        "similarity": rounded(h.score),
                        "words_matched": rounded(*words),
                    })
                })
                .collect(),
        ))
    }

    async fn render(&self, a: &SearchCustomersArgs) -> String {
        format!("Search customers for \"{}\"", a.query)
    }
}

/// Which customer: a user id or an email (exactly one).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRef {
    /// The customer's user id, such as 'mia_garcia_4516'.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The customer's email address.
    #[serde(default)]
    pub email: Option<String>,
}

/// The profile `who` names, linking the store's record first if no sync has yet.
async fn resolve(m: &Mind, tool: &str, who: &CustomerRef) -> Result<Profile, ToolError> {
    let (shop, profiles) = (m.recall.shop(), m.recall.profiles());
    let customer = match (&who.user_id, &who.email) {
        (Some(id), None) => {
            let link = Link {
                connector: m.store.shop().connector.into(),
                record_id: id.clone(),
            };
            if let Some(p) = profiles.find_by_record(shop, &link).await? {
                return Ok(p);
            }
            m.store.customer(id).await?
        }
        (None, Some(email)) => {
            let identity = Identity::email(email).ok_or_else(|| {
                ToolError::invalid(tool, format!("/email: {email:?} is not an email address"))
            })?;
            if let Some(p) = profiles.find_by_identity(shop, &identity).await? {
                return Ok(p);
            }
            m.store
                .find_customers(email, 1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| CommerceError::not_found("customer with email", email.clone()))?
        }
        _ => {
            return Err(ToolError::invalid(
                tool,
                "give exactly one of /user_id and /email",
            ));
        }
    };
    let id = link_customer(&m.recall, m.store.shop().connector, &customer)
        .await?
        .profile_id;
    profiles
        .get(&id)
        .await?
        .ok_or_else(|| ToolError::Commerce(CommerceError::not_found("profile", id)))
}

/// `customer_profile`.
pub struct CustomerProfile(Mind);

#[async_trait]
impl Tool for CustomerProfile {
    type Args = CustomerRef;
    const NAME: &'static str = "customer_profile";
    const STAFF_ONLY: bool = true;
    const DESCRIPTION: &'static str = "Get a customer's profile by user id or email: the person across every connected tool, orders count and net spend, and one timeline of orders, support tickets and notes. Use before answering a customer about their history.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show the history of mia.garcia2723@example.com",
        "customer profile for mia_garcia_4516",
        "what do we know about noah.brown7922@example.com",
        "full timeline of customer yusuf_rossi_9620",
    ];

    async fn call(&self, who: CustomerRef, _ctx: &CallContext) -> Result<Value, ToolError> {
        let profile = resolve(&self.0, Self::NAME, &who).await?;
        let view = timeline::view(
            &self.0.recall,
            self.0.store.as_ref(),
            self.0.helpdesk.as_deref(),
            profile,
        )
        .await?;
        serde_json::to_value(view).map_err(|e| ToolError::Definition(e.to_string()))
    }

    async fn render(&self, who: &CustomerRef) -> String {
        let id = who
            .user_id
            .as_deref()
            .or(who.email.as_deref())
            .unwrap_or("?");
        format!("Customer profile of {id}")
    }
}

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in the schema
pub enum Subject {
    Customer,
    Product,
}

/// Arguments of `remember`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RememberArgs {
    /// What the note is about.
    pub about: Subject,
    /// The customer's user id or email, or the product id.
    pub id: String,
    /// The note, e.g. "prefers email over phone", "runs small: suggest a size up".
    #[schemars(length(min = 1, max = 2000))]
    pub note: String,
}

/// `remember`.
pub struct Remember(Mind);

#[async_trait]
impl Tool for Remember {
    type Args = RememberArgs;
    const NAME: &'static str = "remember";
    const DESCRIPTION: &'static str = "Remember a note about a customer (by user id or email) or a product (by product id), for later conversations: it appears in the customer's profile timeline and in searches.";
    const EFFECT: Effect = Effect::Draft;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "remember that mia_garcia_4516 prefers email over phone",
        "note that product 6086499569 runs small",
        "remember noah.brown7922@example.com is a VIP",
    ];

    async fn call(&self, a: RememberArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let note = a.note.trim();
        if note.is_empty() {
            return Err(ToolError::invalid(Self::NAME, "/note: empty"));
        }
        let (subject_kind, subject_id, name) = match a.about {
            Subject::Customer => {
                let who = if a.id.contains('@') {
                    CustomerRef {
                        user_id: None,
                        email: Some(a.id.clone()),
                    }
                } else {
                    CustomerRef {
                        user_id: Some(a.id.clone()),
                        email: None,
                    }
                };
                let p = resolve(&self.0, Self::NAME, &who).await?;
                ("customer", p.id, p.display_name)
            }
            Subject::Product => {
                let p = self.0.store.product(&ProductRef::Id(a.id.clone())).await?;
                ("product", p.id, p.title)
            }
        };
        let created_at = now_millis();
        let id = format!("note_{}", uuid::Uuid::now_v7().simple());
        let row = NoteRow {
            id: id.clone(),
            shop: self.0.recall.shop().to_string(),
            subject_kind: subject_kind.into(),
            subject_id: subject_id.clone(),
            body: note.to_string(),
            author: "assistant".into(),
            created_at,
        };
        self.0.recall.profiles().add_note(&row).await?;
        // The note is kept either way; searching it needs the vector memory.
        let indexed = match self.index(&row, &name).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("note {id} saved but not indexed: {e}");
                false
            }
        };
        Ok(
            json!({"note_id": id, "about": subject_kind, "subject_id": subject_id, "name": name, "indexed": indexed}),
        )
    }

    async fn render(&self, a: &RememberArgs) -> String {
        let about = match a.about {
            Subject::Customer => "customer",
            Subject::Product => "product",
        };
        format!("Remember about {about} {}: \"{}\"", a.id, a.note.trim())
    }
}

impl Remember {
    async fn index(&self, row: &NoteRow, name: &str) -> Result<(), ToolError> {
        let text = format!("{name}: {}", row.body);
        let vector = self.0.recall.embed_one(&text).await?;
        let mut extra = serde_json::Map::new();
        extra.insert("subject_kind".into(), json!(row.subject_kind));
        extra.insert("subject_id".into(), json!(row.subject_id));
        extra.insert("text".into(), json!(text));
        self.0
            .recall
            .backends()
            .await?
            .vectors
            .upsert(vec![Point {
                shop: row.shop.clone(),
                kind: Kind::Note,
                source_id: row.id.clone(),
                vector,
                extra,
            }])
            .await
            .map_err(memory_err)
    }
}
