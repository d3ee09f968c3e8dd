//! `shopkeeper sync`: embeds the store's products and customers into the vector
//! store, only what changed since the last sync (by content hash), removes what is
//! gone, and links every customer to a profile.

use super::Recall;
use super::documents::{self, Document};
use crate::commerce::Commerce;
use crate::commerce::model::{Order, User};
use crate::error::ToolError;
use shopkeeper_memory::profiles::{Identity, Link};
use shopkeeper_memory::vector::{CONTENT_HASH, Kind, Point};
use std::collections::{HashMap, HashSet};

/// The connector name of the built-in store in profile links.
pub const LOCAL_CONNECTOR: &str = "local";

/// Texts embedded per call to the model.
const BATCH: usize = 32;

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
    /// Starting to embed `total` records of `kind`.
    Start {
        /// What is embedded.
        kind: Kind,
        /// How many records need embedding.
        total: u64,
    },
    /// `done` more records embedded.
    Advance {
        /// How many.
        done: u64,
    },
    /// Done with the current kind.
    Finish,
}

fn identities(u: &User) -> Vec<Identity> {
    Identity::email(&u.email).into_iter().collect()
}

/// Embeds what changed in `documents`, deletes what disappeared, and reports.
async fn sync_kind(
    recall: &Recall,
    kind: Kind,
    docs: Vec<Document>,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<(KindReport, HashSet<String>), ToolError> {
    let backends = recall.backends().await?;
    let model = backends.embedder.model().to_string();
    let memory_err = |e: shopkeeper_memory::vector::VectorError| ToolError::Memory(e.to_string());
    let stored = backends
        .vectors
        .content_hashes(recall.shop(), kind)
        .await
        .map_err(memory_err)?;
    let mut report = KindReport {
        total: docs.len(),
        ..KindReport::default()
    };
    let present: HashSet<&str> = docs.iter().map(|d| d.source_id.as_str()).collect();
    let gone: Vec<String> = stored
        .keys()
        .filter(|id| !present.contains(id.as_str()))
        .cloned()
        .collect();
    let mut changed_ids = HashSet::new();
    let mut todo: Vec<(Document, String)> = Vec::new();
    for doc in docs {
        let hash = doc.content_hash(&model);
        match stored.get(&doc.source_id) {
            Some(h) if *h == hash => report.unchanged += 1,
            Some(_) => {
                report.updated += 1;
                changed_ids.insert(doc.source_id.clone());
                todo.push((doc, hash));
            }
            None => {
                report.added += 1;
                changed_ids.insert(doc.source_id.clone());
                todo.push((doc, hash));
            }
        }
    }
    progress(SyncProgress::Start {
        kind,
        total: todo.len() as u64,
    });
    for batch in todo.chunks(BATCH) {
        let texts: Vec<String> = batch.iter().map(|(d, _)| d.text.clone()).collect();
        let vectors = backends
            .embedder
            .embed(&texts)
            .await
            .map_err(|e| ToolError::Memory(e.to_string()))?;
        let points = batch
            .iter()
            .zip(vectors)
            .map(|((doc, hash), vector)| {
                let mut extra = doc.extra.clone();
                extra.insert(CONTENT_HASH.into(), hash.clone().into());
                extra.insert("text".into(), doc.text.clone().into());
                Point {
                    shop: recall.shop().to_string(),
                    kind,
                    source_id: doc.source_id.clone(),
                    vector,
                    extra,
                }
            })
            .collect();
        // Each batch is upserted as it is embedded: an interrupted sync keeps its work,
        // and the next one resumes where it stopped (the hashes say what is done).
        backends.vectors.upsert(points).await.map_err(memory_err)?;
        progress(SyncProgress::Advance {
            done: batch.len() as u64,
        });
    }
    if !gone.is_empty() {
        backends
            .vectors
            .delete(recall.shop(), kind, &gone)
            .await
            .map_err(memory_err)?;
        report.removed = gone.len();
    }
    progress(SyncProgress::Finish);
    Ok((report, changed_ids))
}

/// Brings memory up to date with `store`: products, customers and profiles.
pub async fn sync(
    store: &dyn Commerce,
    recall: &Recall,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, ToolError> {
    let products = store.products().await?;
    let users = store.users().await?;
    let orders = store.orders().await?;
    let mut by_user: HashMap<&str, Vec<&Order>> = HashMap::new();
    for o in &orders {
        by_user.entry(o.user_id.as_str()).or_default().push(o);
    }
    let product_docs = products.iter().map(documents::product).collect();
    let (products_report, _) = sync_kind(recall, Kind::Product, product_docs, progress).await?;
    let customer_docs = users
        .iter()
        .map(|u| documents::customer(u, by_user.get(u.user_id.as_str()).map_or(&[], |v| v)))
        .collect();
    let (customers_report, changed) =
        sync_kind(recall, Kind::Customer, customer_docs, progress).await?;

    // Profiles: link customers that are new, changed, or not linked yet.
    let linked = recall
        .profiles()
        .linked_records(recall.shop(), LOCAL_CONNECTOR)
        .await?;
    let mut report = SyncReport {
        products: products_report,
        customers: customers_report,
        ..SyncReport::default()
    };
    for u in &users {
        if linked.contains_key(&u.user_id) && !changed.contains(&u.user_id) {
            continue;
        }
        let link = Link {
            connector: LOCAL_CONNECTOR.into(),
            record_id: u.user_id.clone(),
        };
        let name = format!("{} {}", u.name.first_name, u.name.last_name);
        let done = recall
            .profiles()
            .link(recall.shop(), &link, &name, &identities(u))
            .await?;
        report.profiles_created += usize::from(done.created);
        report.profiles_merged += done.merged.len();
    }
    Ok(report)
}

/// Links one customer of the built-in store to its profile (e.g. before a sync ran).
pub async fn link_user(recall: &Recall, user: &User) -> Result<String, ToolError> {
    let link = Link {
        connector: LOCAL_CONNECTOR.into(),
        record_id: user.user_id.clone(),
    };
    let name = format!("{} {}", user.name.first_name, user.name.last_name);
    Ok(recall
        .profiles()
        .link(recall.shop(), &link, &name, &identities(user))
        .await?
        .profile_id)
}
