//! The `Helpdesk` domain: support tickets, their conversations, internal notes
//! and reply drafts, independent of which connector implements them.

pub mod tools;

use crate::commerce::CommerceError;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in the schema; the names say it all
pub enum TicketStatus {
    Open,
    Pending,
    Solved,
    Closed,
}

impl TicketStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Solved => "solved",
            Self::Closed => "closed",
        }
    }
}

/// How urgent a ticket is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in the schema; the names say it all
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    /// The priority's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    /// The customer.
    Customer,
    /// A support agent (a person, or Shopkeeper on their behalf).
    Agent,
}

/// One message of a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    /// Who wrote it.
    pub from: Sender,
    /// Their name.
    pub author: String,
    /// The text.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// An internal note, never shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A reply prepared for a human to review and send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The text.
    pub body: String,
    /// When it was saved (RFC 3339).
    pub saved_at: String,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Ticket id, e.g. "T1001".
    pub id: String,
    /// Where it came in: email, chat, phone, contact_form.
    pub channel: String,
    /// The customer's user id, when known.
    pub user_id: Option<String>,
    /// The customer's email.
    pub email: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Status.
    pub status: TicketStatus,
    /// Priority.
    pub priority: Priority,
    /// Tags.
    pub tags: Vec<String>,
    /// The support agent it is assigned to.
    pub assignee: Option<String>,
    /// Whether it was handed to a human with a summary.
    #[serde(default)]
    pub escalated: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// The conversation, oldest first.
    pub messages: Vec<TicketMessage>,
    /// Internal notes.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// The current reply draft, if any.
    #[serde(default)]
    pub draft: Option<Draft>,
}

/// Which tickets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketFilter {
    /// Only tickets in this status.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// Only tickets of this priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Only tickets carrying this tag, e.g. "refund".
    #[serde(default)]
    pub tag: Option<String>,
    /// Only tickets assigned to this person.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Only tickets of this customer (user id).
    #[serde(default)]
    pub user_id: Option<String>,
    /// At most this many, newest first (default 20).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Tickets, messages, notes and drafts: what support tools need from a helpdesk.
#[async_trait]
pub trait Helpdesk: Send + Sync {
    /// Tickets matching `filter`, most recently updated first.
    async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, CommerceError>;
    /// One ticket.
    async fn ticket(&self, id: &str) -> Result<Ticket, CommerceError>;
    /// Applies `change` to a ticket and stores it (one transaction), stamping `updated_at`.
    async fn update_ticket(&self, id: &str, change: TicketChange) -> Result<Ticket, CommerceError>;
}

/// A change to apply to a ticket; an error leaves the ticket as it was.
pub type TicketChange = Box<dyn FnOnce(&mut Ticket) -> Result<(), CommerceError> + Send>;

/// Now, as RFC 3339 in UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
