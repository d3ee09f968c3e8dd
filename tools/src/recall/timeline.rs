//! A customer profile as the agent sees it: the person, their records in every
//! connector, what they spent, and one timeline of orders, tickets and notes.

use super::Recall;
use crate::commerce::Commerce;
use crate::commerce::model::{Order, OrderState, snake};
use crate::commerce::money::Money;
use crate::commerce::query::{MAX_PAGE, OrderQuery, PageQuery};
use crate::error::ToolError;
use crate::helpdesk::{Helpdesk, TicketFilter};
use serde::Serialize;
use shopkeeper_memory::profiles::{Identity, Profile};

/// One event in a customer's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// When (RFC 3339), where the source records it; orders of the built-in store carry no date.
    pub at: Option<String>,
    /// The connector it came from.
    pub source: String,
    /// `order`, `ticket` or `note`.
    pub kind: String,
    /// Its id in the source.
    pub id: String,
    /// One line about it.
    pub summary: String,
}

/// A profile with everything known about the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileView {
    /// The profile's id.
    pub profile_id: String,
    /// The person's name.
    pub name: String,
    /// Normalised emails.
    pub emails: Vec<String>,
    /// Phone numbers (E.164).
    pub phones: Vec<String>,
    /// The person's records, as `connector:id`.
    pub records: Vec<String>,
    /// Orders across records.
    pub orders: usize,
    /// Paid minus refunded.
    pub net_spent: Money,
    /// Newest first; undated entries (orders of the built-in store) after the dated ones.
    pub timeline: Vec<TimelineEntry>,
}

fn order_entry(source: &str, o: &Order) -> TimelineEntry {
    let names: Vec<&str> = o.lines.iter().map(|l| l.title.as_str()).collect();
    let units = o.units();
    let state = if o.state == OrderState::Cancelled {
        "cancelled".to_string()
    } else {
        snake(&o.fulfillment_status)
    };
    TimelineEntry {
        at: o
            .created_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        source: source.into(),
        kind: "order".into(),
        id: o.number.clone(),
        summary: format!(
            "{state} order of {units} item{} ({}), {}",
            if units == 1 { "" } else { "s" },
            names.join(", "),
            o.total
        ),
    }
}

fn millis_to_rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Everything known about `profile`, from the store, the helpdesk and notes.
pub async fn view(
    recall: &Recall,
    store: &dyn Commerce,
    helpdesk: Option<&dyn Helpdesk>,
    profile: Profile,
) -> Result<ProfileView, ToolError> {
    let mut dated = Vec::new();
    let mut undated = Vec::new();
    let mut orders = 0;
    let mut net_spent = Money::zero(store.shop().currency.clone());
    for link in &profile.links {
        // The active store's records; other connectors add theirs here as they come.
        if link.connector != store.shop().connector {
            continue;
        }
        let mut query = OrderQuery {
            page: PageQuery::first(MAX_PAGE),
            customer_id: Some(link.record_id.clone()),
            ..OrderQuery::default()
        };
        loop {
            let page = store.orders(&query).await?;
            for order in &page.items {
                orders += 1;
                if let Ok(sum) = net_spent.checked_add(&order.refundable()) {
                    net_spent = sum;
                }
                let entry = order_entry(&link.connector, order);
                if entry.at.is_some() {
                    dated.push(entry);
                } else {
                    undated.push(entry);
                }
            }
            match page.next {
                Some(next) => query.page.cursor = Some(next),
                None => break,
            }
        }
        let Some(helpdesk) = helpdesk else {
            continue;
        };
        let tickets = helpdesk
            .list_tickets(&TicketFilter {
                user_id: Some(link.record_id.clone()),
                limit: Some(100),
                ..TicketFilter::default()
            })
            .await?;
        for t in tickets {
            dated.push(TimelineEntry {
                at: Some(t.created_at.clone()),
                source: link.connector.clone(),
                kind: "ticket".into(),
                id: t.id.clone(),
                summary: format!(
                    "ticket \"{}\" ({}, {})",
                    t.subject,
                    t.status.as_str(),
                    t.priority.as_str()
                ),
            });
        }
    }
    for note in recall
        .profiles()
        .notes_about(recall.shop(), "customer", &profile.id)
        .await?
    {
        dated.push(TimelineEntry {
            at: millis_to_rfc3339(note.created_at),
            source: "shopkeeper".into(),
            kind: "note".into(),
            id: note.id,
            summary: format!("note by {}: {}", note.author, note.body),
        });
    }
    // RFC 3339 strings in UTC sort as times.
    dated.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
    dated.extend(undated);
    let (mut emails, mut phones) = (Vec::new(), Vec::new());
    for identity in &profile.identities {
        match identity {
            Identity::Email(e) => emails.push(e.clone()),
            Identity::Phone(p) => phones.push(p.clone()),
        }
    }
    Ok(ProfileView {
        profile_id: profile.id,
        name: profile.display_name,
        emails,
        phones,
        records: profile
            .links
            .iter()
            .map(|l| format!("{}:{}", l.connector, l.record_id))
            .collect(),
        orders,
        net_spent,
        timeline: dated,
    })
}
