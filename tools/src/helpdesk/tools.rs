//! Support tools over a `Helpdesk` (and the store, for the customer's context).

use super::{
    Draft, Helpdesk, Note, Sender, Ticket, TicketFilter, TicketMessage, TicketStatus, now,
};
use crate::commerce::CommerceError;
use crate::effect::Effect;
use crate::error::ToolError;
use crate::registry::Registry;
use crate::retail::RetailStore;
use crate::retail::money::format_usd;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The helpdesk and store the support tools act on.
#[derive(Clone)]
pub struct Desk {
    helpdesk: Arc<dyn Helpdesk>,
    store: Arc<dyn RetailStore>,
}

/// Registers the support tools.
pub fn register(
    registry: &mut Registry,
    helpdesk: Arc<dyn Helpdesk>,
    store: Arc<dyn RetailStore>,
) -> Result<(), ToolError> {
    let d = || Desk {
        helpdesk: helpdesk.clone(),
        store: store.clone(),
    };
    registry.register(ListTickets(d()))?;
    registry.register(GetTicket(d()))?;
    registry.register(SaveTicketDraft(d()))?;
    registry.register(SendTicketReply(d()))?;
    registry.register(SetTicketStatus(d()))?;
    registry.register(AssignTicket(d()))?;
    registry.register(TagTicket(d()))?;
    registry.register(EscalateTicket(d()))?;
    Ok(())
}

/// Lists the helpdesk tools as not offered, for a shop with no helpdesk connected.
pub fn register_not_offered(registry: &mut Registry, reason: &str) -> Result<(), ToolError> {
    registry.register_not_offered::<ListTickets>(reason)?;
    registry.register_not_offered::<GetTicket>(reason)?;
    registry.register_not_offered::<SaveTicketDraft>(reason)?;
    registry.register_not_offered::<SendTicketReply>(reason)?;
    registry.register_not_offered::<SetTicketStatus>(reason)?;
    registry.register_not_offered::<AssignTicket>(reason)?;
    registry.register_not_offered::<TagTicket>(reason)?;
    registry.register_not_offered::<EscalateTicket>(reason)?;
    Ok(())
}

/// Who signs replies sent through Shopkeeper.
const SIGNATURE: &str = "Support team";

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ToolError> {
    serde_json::to_value(v).map_err(|e| ToolError::Definition(e.to_string()))
}

fn summary(t: &Ticket) -> Value {
    let last = t
        .messages
        .last()
        .map(|m| m.body.chars().take(140).collect::<String>());
    json!({"id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority, "tags": t.tags,
           "assignee": t.assignee, "user_id": t.user_id, "order_id": t.order_id, "updated_at": t.updated_at,
           "escalated": t.escalated, "has_draft": t.draft.is_some(), "last_message": last})
}

/// "T1001 (Where is my order?, from ann@example.com)", or the bare id if unknown.
async fn describe(desk: &Desk, id: &str) -> (String, Option<Ticket>) {
    match desk.helpdesk.ticket(id).await {
        Ok(t) => (
            format!("{} ({:?}, from {})", t.id, t.subject, t.email),
            Some(t),
        ),
        Err(_) => (format!("{id} (not found)"), None),
    }
}

/// Did an interrupted change to a ticket take effect? `applied` says what it looks like if so.
async fn reconcile(desk: &Desk, id: &str, applied: impl Fn(&Ticket) -> bool) -> Reconciliation {
    match desk.helpdesk.ticket(id).await {
        Ok(t) if applied(&t) => Reconciliation::Applied(summary(&t)),
        Ok(_) => Reconciliation::NotApplied,
        Err(_) => Reconciliation::Unknown,
    }
}

/// Arguments naming a ticket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
}

/// Arguments carrying a ticket and a text.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTextArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
    /// The text. Facts (order status, tracking, amounts) only from tool results.
    pub body: String,
}

/// `list_tickets`.
pub struct ListTickets(Desk);

#[async_trait]
impl Tool for ListTickets {
    type Args = TicketFilter;
    const NAME: &'static str = "list_tickets";
    const DESCRIPTION: &'static str = "List support tickets, most recently updated first, optionally filtered by status, priority, tag, assignee or customer.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show open tickets",
        "list urgent tickets",
        "which tickets are pending",
        "show me the support queue",
        "tickets tagged refund",
        "what tickets are assigned to ana",
    ];

    async fn call(&self, filter: TicketFilter, _ctx: &CallContext) -> Result<Value, ToolError> {
        let tickets = self.0.helpdesk.list_tickets(&filter).await?;
        Ok(Value::Array(tickets.iter().map(summary).collect()))
    }

    async fn render(&self, _: &TicketFilter) -> String {
        "List support tickets".into()
    }
}

/// `get_ticket`.
pub struct GetTicket(Desk);

#[async_trait]
impl Tool for GetTicket {
    type Args = TicketArgs;
    const NAME: &'static str = "get_ticket";
    const DESCRIPTION: &'static str = "Get a support ticket with its conversation, notes and draft, the customer's profile, and the status and tracking of each of the customer's orders.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show ticket T1001",
        "open ticket T1012",
        "what does ticket T1005 say",
        "read me T1020",
    ];

    async fn call(&self, a: TicketArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let ticket = self.0.helpdesk.ticket(&a.ticket_id).await?;
        let mut customer = Value::Null;
        let mut orders = Vec::new();
        if let Some(user_id) = &ticket.user_id
            && let Ok(user) = self.0.store.user(user_id).await
        {
            customer = json!({"user_id": user.user_id, "name": format!("{} {}", user.name.first_name, user.name.last_name),
                                  "email": user.email, "address": user.address});
            for order_id in &user.orders {
                if let Ok(o) = self.0.store.order(order_id).await {
                    let tracking: Vec<&String> = o
                        .fulfillments
                        .iter()
                        .flat_map(|f| f.tracking_id.iter())
                        .collect();
                    orders.push(json!({"order_id": o.order_id, "status": o.status, "total": format_usd(o.total()),
                                           "items": o.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), "tracking": tracking}));
                }
            }
        }
        Ok(json!({"ticket": to_value(&ticket)?, "customer": customer, "orders": orders}))
    }

    async fn render(&self, a: &TicketArgs) -> String {
        format!("Show ticket {}", a.ticket_id)
    }
}

/// `save_ticket_draft`.
pub struct SaveTicketDraft(Desk);

#[async_trait]
impl Tool for SaveTicketDraft {
    type Args = TicketTextArgs;
    const NAME: &'static str = "save_ticket_draft";
    const DESCRIPTION: &'static str = "Save a reply draft on a ticket for a support agent to review. Nothing is sent to the customer.";
    const EFFECT: Effect = Effect::Draft;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "save a draft reply to T1001 saying we are looking into it",
        "draft an answer for ticket T1007",
    ];

    async fn call(&self, a: TicketTextArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let body = a.body.clone();
        let t = self
            .0
            .helpdesk
            .update_ticket(
                &a.ticket_id,
                Box::new(move |t: &mut Ticket| {
                    t.draft = Some(Draft {
                        body: body.clone(),
                        saved_at: now(),
                    });
                    Ok(())
                }),
            )
            .await?;
        Ok(summary(&t))
    }

    async fn render(&self, a: &TicketTextArgs) -> String {
        format!("Save a reply draft on ticket {}:\n{}", a.ticket_id, a.body)
    }
}

/// `send_ticket_reply`.
pub struct SendTicketReply(Desk);

#[async_trait]
impl Tool for SendTicketReply {
    type Args = TicketTextArgs;
    const NAME: &'static str = "send_ticket_reply";
    const DESCRIPTION: &'static str = "Send a reply to the customer on a ticket (it reaches the customer). The ticket becomes pending and its draft is cleared.";
    const EFFECT: Effect = Effect::Outbound;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "send the reply to ticket T1001",
        "reply to T1003 that the refund is processed",
    ];

    async fn call(&self, a: TicketTextArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let body = a.body.clone();
        let t = self
            .0
            .helpdesk
            .update_ticket(
                &a.ticket_id,
                Box::new(move |t: &mut Ticket| {
                    if t.status == TicketStatus::Closed {
                        return Err(CommerceError::rejected(format!(
                            "ticket {} is closed",
                            t.id
                        )));
                    }
                    t.messages.push(TicketMessage {
                        from: Sender::Agent,
                        author: SIGNATURE.into(),
                        body: body.clone(),
                        at: now(),
                    });
                    t.draft = None;
                    t.status = TicketStatus::Pending;
                    Ok(())
                }),
            )
            .await?;
        Ok(summary(&t))
    }

    async fn render(&self, a: &TicketTextArgs) -> String {
        let (ticket, t) = describe(&self.0, &a.ticket_id).await;
        let to = t.map_or_else(|| "the customer".to_string(), |t| t.email);
        format!("Send this reply to {to} on ticket {ticket}:\n{}", a.body)
    }

    async fn reconcile(&self, a: &TicketTextArgs, _ctx: &CallContext) -> Reconciliation {
        reconcile(&self.0, &a.ticket_id, |t| {
            t.messages
                .iter()
                .any(|m| m.from == Sender::Agent && m.body == a.body)
        })
        .await
    }
}

/// Arguments of `set_ticket_status`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
    /// The new status.
    pub status: TicketStatus,
}

/// `set_ticket_status`.
pub struct SetTicketStatus(Desk);

#[async_trait]
impl Tool for SetTicketStatus {
    type Args = StatusArgs;
    const NAME: &'static str = "set_ticket_status";
    const DESCRIPTION: &'static str = "Change a ticket's status: open, pending, solved or closed.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "mark ticket T1001 as solved",
        "close ticket T1004",
        "set T1010 to pending",
        "reopen ticket T1002",
    ];

    async fn call(&self, a: StatusArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let status = a.status;
        let t = self.0.helpdesk.update_ticket(
            &a.ticket_id,
            Box::new(move |t: &mut Ticket| {
                t.status = status;
                Ok(())
            }),
        );
        Ok(summary(&t.await?))
    }

    async fn render(&self, a: &StatusArgs) -> String {
        let (ticket, t) = describe(&self.0, &a.ticket_id).await;
        let from = t.map_or_else(String::new, |t| format!(" from {}", t.status.as_str()));
        format!("Set ticket {ticket}{from} to {}", a.status.as_str())
    }

    async fn reconcile(&self, a: &StatusArgs, _ctx: &CallContext) -> Reconciliation {
        reconcile(&self.0, &a.ticket_id, |t| t.status == a.status).await
    }
}

/// Arguments of `assign_ticket`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
    /// The support agent's name.
    pub assignee: String,
}

/// `assign_ticket`.
pub struct AssignTicket(Desk);

#[async_trait]
impl Tool for AssignTicket {
    type Args = AssignArgs;
    const NAME: &'static str = "assign_ticket";
    const DESCRIPTION: &'static str = "Assign a ticket to a support agent.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "assign ticket T1001 to ana",
        "give T1008 to marco",
        "assign T1011 to me",
    ];

    async fn call(&self, a: AssignArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let who = a.assignee.clone();
        let t = self.0.helpdesk.update_ticket(
            &a.ticket_id,
            Box::new(move |t: &mut Ticket| {
                t.assignee = Some(who.clone());
                Ok(())
            }),
        );
        Ok(summary(&t.await?))
    }

    async fn render(&self, a: &AssignArgs) -> String {
        let (ticket, t) = describe(&self.0, &a.ticket_id).await;
        let now = t
            .and_then(|t| t.assignee)
            .map_or_else(|| " (unassigned)".to_string(), |w| format!(" (now {w})"));
        format!("Assign ticket {ticket}{now} to {}", a.assignee)
    }

    async fn reconcile(&self, a: &AssignArgs, _ctx: &CallContext) -> Reconciliation {
        reconcile(&self.0, &a.ticket_id, |t| {
            t.assignee.as_deref() == Some(a.assignee.as_str())
        })
        .await
    }
}

/// Arguments of `tag_ticket`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
    /// Tags to add, e.g. ["refund"].
    #[serde(default)]
    pub add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// `tag_ticket`.
pub struct TagTicket(Desk);

#[async_trait]
impl Tool for TagTicket {
    type Args = TagArgs;
    const NAME: &'static str = "tag_ticket";
    const DESCRIPTION: &'static str = "Add or remove tags on a ticket.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "tag ticket T1001 as refund",
        "add the tag vip to T1006",
        "remove the tag urgent from T1009",
    ];

    async fn call(&self, a: TagArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let (add, remove) = (a.add.clone(), a.remove.clone());
        let t = self.0.helpdesk.update_ticket(
            &a.ticket_id,
            Box::new(move |t: &mut Ticket| {
                t.tags.retain(|tag| !remove.contains(tag));
                for tag in &add {
                    if !t.tags.contains(tag) {
                        t.tags.push(tag.clone());
                    }
                }
                Ok(())
            }),
        );
        Ok(summary(&t.await?))
    }

    async fn render(&self, a: &TagArgs) -> String {
        let (ticket, _) = describe(&self.0, &a.ticket_id).await;
        format!(
            "Tag ticket {ticket}: add [{}], remove [{}]",
            a.add.join(", "),
            a.remove.join(", ")
        )
    }

    async fn reconcile(&self, a: &TagArgs, _ctx: &CallContext) -> Reconciliation {
        reconcile(&self.0, &a.ticket_id, |t| {
            a.add.iter().all(|x| t.tags.contains(x)) && !a.remove.iter().any(|x| t.tags.contains(x))
        })
        .await
    }
}

/// Arguments of `escalate_ticket`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateArgs {
    /// The ticket id, such as 'T1001'.
    pub ticket_id: String,
    /// Context for the human taking over: what the customer wants, what was checked, what is open.
    pub summary: String,
}

/// `escalate_ticket`.
pub struct EscalateTicket(Desk);

#[async_trait]
impl Tool for EscalateTicket {
    type Args = EscalateArgs;
    const NAME: &'static str = "escalate_ticket";
    const DESCRIPTION: &'static str = "Hand a ticket to a human support agent with a context summary, written as an internal note (the customer does not see it).";
    const EFFECT: Effect = Effect::Draft;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "escalate ticket T1001 to a manager",
        "flag T1013 for a supervisor, the customer is angry",
    ];

    async fn call(&self, a: EscalateArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let text = a.summary.clone();
        let t = self.0.helpdesk.update_ticket(
            &a.ticket_id,
            Box::new(move |t: &mut Ticket| {
                t.notes.push(Note {
                    author: "Shopkeeper".into(),
                    body: format!("Escalation: {text}"),
                    at: now(),
                });
                t.escalated = true;
                if !t.tags.iter().any(|x| x == "escalated") {
                    t.tags.push("escalated".into());
                }
                Ok(())
            }),
        );
        Ok(summary(&t.await?))
    }

    async fn render(&self, a: &EscalateArgs) -> String {
        format!(
            "Escalate ticket {} to a human with this note:\n{}",
            a.ticket_id, a.summary
        )
    }
}
