//! `shopkeeper sync`: embeds the store's products and customers into the vector store,
//! page by page (only what changed since the last sync, by content hash), removes what is
//! gone, and links every customer to a profile. Memory stays bounded by the store's ids,
//! never by its records: pages are embedded and let go as they arrive.

use super::Recall;
use super::documents::{self, Document, History};
use crate::commerce::model::Customer;
use crate::commerce::query::{OrderQuery, PageQuery};
use crate::commerce::{Commerce, paged};
use crate::error::ToolError;
use futures::StreamExt;
use shopkeeper_memory::profiles::{Identity, Link};
use shopkeeper_memory::vector::{CONTENT_HASH, Kind, Point};
use std::collections::{HashMap, HashSet};

/// The connector name of the built-in store in profile links.
pub const LOCAL_CONNECTOR: &str = "local";

/// Texts embedded per call to the model.
const BATCH: usize = 32;

/// Records read per page from the store.
const PAGE: u32 = 250;
/// What a sync did to one kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindReport {
    /// Records in the store.
    pub total: usize,
    /// Embedded for the first time.
    pub added: usize,
    /// Re-embedded because they changed.
    pub updated: usize,
    /// Removed from memory because they are gone from the store.
    pub removed: usize,
    /// Left alone: already up to date.
    pub unchanged: usize,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Products.
    pub products: KindReport,
    /// Customers.
    pub customers: KindReport,
    /// Customer profiles created.
    pub profiles_created: usize,
    /// Profiles merged into another because they turned out to be one person.
    pub profiles_merged: usize,
}

/// Progress of a sync, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncProgress {
    /// Starting on `kind`: `total` records, when the store says how many.
    Start {
        /// What is read: products, orders or customers.
        kind: &'static str,
        /// How many records there are, if known.
        total: Option<u64>,
    },
    /// `done` more records read (and embedded where they changed).
    Advance {
        /// How many.
        done: u64,
    },
    /// Done with the current kind.
    Finish,
}

fn identities(c: &Customer) -> Vec<Identity> {
    let mut out: Vec<Identity> = c
        .email
        .as_deref()
        .and_then(Identity::email)
        .into_iter()
        .collect();
    out.extend(c.phone.as_deref().and_then(Identity::phone));
    out
}

/// One kind's sync in progress: what memory holds, what the store has shown so far, and
/// the changed documents waiting to be embedded.
struct KindSync<'r> {
    recall: &'r Recall,
    kind: Kind,
    model: String,
    stored: HashMap<String, String>,
    seen: HashSet<String>,
    changed: HashSet<String>,
    todo: Vec<(Document, String)>,
    report: KindReport,
}

fn memory_err(e: shopkeeper_memory::vector::VectorError) -> ToolError {
    ToolError::Memory(e.to_string())
}

impl<'r> KindSync<'r> {
    async fn start(recall: &'r Recall, kind: Kind) -> Result<Self, ToolError> {
        let backends = recall.backends().await?;
        let stored = backends
            .vectors
            .content_hashes(recall.shop(), kind)
            .await
            .map_err(memory_err)?;
        Self::with(recall, kind, stored).await
    }

    /// For one record an event says changed: it is embedded whatever memory holds.
    async fn one(recall: &'r Recall, kind: Kind) -> Result<Self, ToolError> {
        Self::with(recall, kind, HashMap::new()).await
    }

    async fn with(
        recall: &'r Recall,
        kind: Kind,
        stored: HashMap<String, String>,
    ) -> Result<Self, ToolError> {
        let backends = recall.backends().await?;
        Ok(Self {
            recall,
            kind,
            model: backends.embedder.model().to_string(),
            stored,
            seen: HashSet::new(),
            changed: HashSet::new(),
            todo: Vec::new(),
            report: KindReport::default(),
        })
    }

    /// Takes one record: unchanged ones are counted, changed ones embedded in batches.
    async fn add(&mut self, doc: Document) -> Result<(), ToolError> {
        self.report.total += 1;
        if !self.seen.insert(doc.source_id.clone()) {
            return Ok(()); // a record seen twice (pages shifted under us) counts once
        }
        let hash = doc.content_hash(&self.model);
        match self.stored.get(&doc.source_id) {
            Some(h) if *h == hash => self.report.unchanged += 1,
            Some(_) => self.report.updated += 1,
            None => self.report.added += 1,
        }
        if self.stored.get(&doc.source_id) != Some(&hash) {
            self.changed.insert(doc.source_id.clone());
            self.todo.push((doc, hash));
        }
        if self.todo.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Embeds and upserts what is waiting: an interrupted sync keeps its work, and the
    /// next one resumes where it stopped (the hashes say what is done).
    async fn flush(&mut self) -> Result<(), ToolError> {
        if self.todo.is_empty() {
            return Ok(());
        }
        let backends = self.recall.backends().await?;
        let batch = std::mem::take(&mut self.todo);
        let texts: Vec<String> = batch.iter().map(|(d, _)| d.text.clone()).collect();
        let vectors = backends
            .embedder
            .embed(&texts)
            .await
            .map_err(|e| ToolError::Memory(e.to_string()))?;
        let points = batch
            .into_iter()
            .zip(vectors)
            .map(|((doc, hash), vector)| {
                let mut extra = doc.extra;
                extra.insert(CONTENT_HASH.into(), hash.into());
                extra.insert("text".into(), doc.text.into());
                Point {
                    shop: self.recall.shop().to_string(),
                    kind: self.kind,
                    source_id: doc.source_id,
                    vector,
                    extra,
                }
            })
            .collect();
        backends.vectors.upsert(points).await.map_err(memory_err)
    }

    /// Embeds the rest and, after a full read (`full`), removes what the store no longer has.
    async fn finish(mut self, full: bool) -> Result<(KindReport, HashSet<String>), ToolError> {
        self.flush().await?;
        if !full {
            return Ok((self.report, self.changed));
        }
        let gone: Vec<String> = self
            .stored
            .keys()
            .filter(|id| !self.seen.contains(*id))
            .cloned()
            .collect();
        if !gone.is_empty() {
            self.recall
                .backends()
                .await?
                .vectors
                .delete(self.recall.shop(), self.kind, &gone)
                .await
                .map_err(memory_err)?;
            self.report.removed = gone.len();
        }
        Ok((self.report, self.changed))
    }
}

/// Brings memory up to date with `store`: products, then customers with what their orders
/// say about them, then profiles.
pub async fn sync(
    store: &dyn Commerce,
    recall: &Recall,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, ToolError> {
    let counts = store.counts().await.ok();

    progress(SyncProgress::Start {
        kind: "products",
        total: counts.map(|c| c.products),
    });
    let mut products = KindSync::start(recall, Kind::Product).await?;
    let mut all = store.all_products();
    while let Some(p) = all.next().await {
        products.add(documents::product(&p?)).await?;
        progress(SyncProgress::Advance { done: 1 });
    }
    drop(all);
    let (products_report, _) = products.finish(true).await?;
    progress(SyncProgress::Finish);

    // What each customer bought and how their orders stand, from one pass over orders.
    progress(SyncProgress::Start {
        kind: "orders",
        total: counts.map(|c| c.orders),
    });
    let mut histories: HashMap<String, History> = HashMap::new();
    let mut all = store.all_orders();
    while let Some(o) = all.next().await {
        let o = o?;
        if let Some(c) = &o.customer_id {
            histories.entry(c.clone()).or_default().add(&o);
        }
        progress(SyncProgress::Advance { done: 1 });
    }
    drop(all);
    progress(SyncProgress::Finish);

    progress(SyncProgress::Start {
        kind: "customers",
        total: counts.map(|c| c.customers),
    });
    let linked = recall
        .profiles()
        .linked_records(recall.shop(), store.shop().connector)
        .await?;
    let mut customers = KindSync::start(recall, Kind::Customer).await?;
    let (mut created, mut merged) = (0, 0);
    let empty = History::default();
    let mut all = store.all_customers();
    while let Some(c) = all.next().await {
        let c = c?;
        let history = histories.get(&c.id).unwrap_or(&empty);
        customers.add(documents::customer(&c, history)).await?;
        if !linked.contains_key(&c.id) || customers.changed.contains(&c.id) {
            let done = link_customer(recall, store.shop().connector, &c).await?;
            created += usize::from(done.created);
            merged += done.merged.len();
        }
        progress(SyncProgress::Advance { done: 1 });
    }
    drop(all);
    let (customers_report, _) = customers.finish(true).await?;
    progress(SyncProgress::Finish);

    Ok(SyncReport {
        products: products_report,
        customers: customers_report,
        profiles_created: created,
        profiles_merged: merged,
    })
}

/// Brings memory up to date with what changed in `store` since `since`: products and
/// customers updated since, and the customers of orders placed or changed since (their
/// history is read again). Nothing is removed: deletions arrive as events.
pub async fn sync_since(
    store: &dyn Commerce,
    recall: &Recall,
    since: chrono::DateTime<chrono::Utc>,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, ToolError> {
    let changed = move |page: PageQuery| PageQuery {
        limit: PAGE,
        updated_since: Some(since),
        ..page
    };
    progress(SyncProgress::Start {
        kind: "products",
        total: None,
    });
    let mut products = KindSync::start(recall, Kind::Product).await?;
    let mut changed_products = paged(|page| async move { store.products(&changed(page)).await });
    while let Some(p) = changed_products.next().await {
        products.add(documents::product(&p?)).await?;
        progress(SyncProgress::Advance { done: 1 });
    }
    drop(changed_products);
    let (products_report, _) = products.finish(false).await?;
    progress(SyncProgress::Finish);

    // Whose memory may be stale: customers who changed, and those whose orders did.
    let mut who: Vec<String> = Vec::new();
    let mut changed_customers = paged(|page| async move { store.customers(&changed(page)).await });
    while let Some(c) = changed_customers.next().await {
        who.push(c?.id);
    }
    drop(changed_customers);
    let mut changed_orders = paged(|page| async move {
        let query = OrderQuery {
            page: changed(page),
            ..OrderQuery::default()
        };
        store.orders(&query).await
    });
    while let Some(o) = changed_orders.next().await {
        who.extend(o?.customer_id);
    }
    drop(changed_orders);
    who.sort();
    who.dedup();
    progress(SyncProgress::Start {
        kind: "customers",
        total: Some(who.len() as u64),
    });
    let mut customers = KindSync::start(recall, Kind::Customer).await?;
    let (mut created, mut merged) = (0, 0);
    for id in &who {
        let c = store.customer(id).await?;
        customers
            .add(documents::customer(&c, &history_of(store, id).await?))
            .await?;
        let done = link_customer(recall, store.shop().connector, &c).await?;
        created += usize::from(done.created);
        merged += done.merged.len();
        progress(SyncProgress::Advance { done: 1 });
    }
    let (customers_report, _) = customers.finish(false).await?;
    progress(SyncProgress::Finish);
    Ok(SyncReport {
        products: products_report,
        customers: customers_report,
        profiles_created: created,
        profiles_merged: merged,
    })
}

/// What a customer's orders say about them, read page by page.
async fn history_of(store: &dyn Commerce, customer: &str) -> Result<History, ToolError> {
    let mut history = History::default();
    let mut orders = paged(|page| async move {
        let query = OrderQuery {
            page: PageQuery {
                limit: PAGE,
                ..page
            },
            customer_id: Some(customer.to_string()),
            ..OrderQuery::default()
        };
        store.orders(&query).await
    });
    while let Some(o) = orders.next().await {
        history.add(&o?);
    }
    Ok(history)
}

/// Links one customer of `connector` to its profile; returns what linking did.
pub async fn link_customer(
    recall: &Recall,
    connector: &str,
    c: &Customer,
) -> Result<shopkeeper_memory::profiles::Linked, ToolError> {
    let link = Link {
        connector: connector.into(),
        record_id: c.id.clone(),
    };
    Ok(recall
        .profiles()
        .link(recall.shop(), &link, &c.name(), &identities(c))
        .await?)
}

/// Re-embeds one product, after an event said it changed.
pub async fn refresh_product(
    recall: &Recall,
    product: &crate::commerce::model::Product,
) -> Result<(), ToolError> {
    let mut one = KindSync::one(recall, Kind::Product).await?;
    one.add(documents::product(product)).await?;
    one.flush().await
}

/// Re-embeds one customer with their history, and links them to a profile.
pub async fn refresh_customer(
    store: &dyn Commerce,
    recall: &Recall,
    customer: &Customer,
) -> Result<(), ToolError> {
    let history = history_of(store, &customer.id).await?;
    let mut one = KindSync::one(recall, Kind::Customer).await?;
    one.add(documents::customer(customer, &history)).await?;
    one.flush().await?;
    link_customer(recall, store.shop().connector, customer).await?;
    Ok(())
}

/// Removes one product from memory, after an event said it was deleted.
pub async fn forget_product(recall: &Recall, product_id: &str) -> Result<(), ToolError> {
    recall
        .backends()
        .await?
        .vectors
        .delete(recall.shop(), Kind::Product, &[product_id.to_string()])
        .await
        .map_err(memory_err)
}
