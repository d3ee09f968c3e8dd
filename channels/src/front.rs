//! The shape every chat front shares: where a message is, who sent it, what a click
//! says, and the few things a platform must be able to do.

use crate::ChannelError;
use serde::{Deserialize, Serialize};
use shopkeeper_memory::ApprovalRow;

/// A place in a chat platform: a chat (or channel) and, where the platform has them, a thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// `telegram`, `slack` or `discord`.
    pub platform: String,
    /// The chat or channel id.
    pub chat: String,
    /// The thread within it, if any (a Slack thread's `ts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
}

impl Place {
    /// A place without a thread.
    pub fn chat(platform: &str, chat: impl Into<String>) -> Self {
        Self {
            platform: platform.into(),
            chat: chat.into(),
            thread: None,
        }
    }
}

/// A message someone wrote to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// Where it was written (replies go there).
    pub place: Place,
    /// The author's platform user id.
    pub user: String,
    /// The text, with the bot's mention removed.
    pub text: String,
}

/// Which button was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickAction {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

impl ClickAction {
    /// The button payload for `approval_id`: the action and the id, nothing else.
    pub fn payload(self, approval_id: &str) -> String {
        match self {
            Self::Approve => format!("approve:{approval_id}"),
            Self::Reject => format!("reject:{approval_id}"),
        }
    }

    /// Reads a button payload back.
    pub fn parse(payload: &str) -> Option<(Self, &str)> {
        let (action, id) = payload.split_once(':')?;
        let action = match action {
            "approve" => Self::Approve,
            "reject" => Self::Reject,
            _ => return None,
        };
        (!id.is_empty()).then_some((action, id))
    }
}

/// A click on an approval card's button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// The platform.
    pub platform: String,
    /// Who clicked (platform user id).
    pub user: String,
    /// The approval the card shows.
    pub approval_id: String,
    /// Which button.
    pub action: ClickAction,
}

/// An approval card as a platform shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The approval id (the only thing the buttons carry).
    pub approval_id: String,
    /// Title line, markdown.
    pub title: String,
    /// Body, markdown: what will happen and who may decide.
    pub body: String,
    /// Whether it still waits for a decision (and shows buttons).
    pub pending: bool,
}

impl Card {
    /// The card for an approval as it stands.
    pub fn of(approval: &ApprovalRow) -> Self {
        let pending = approval.status == "pending";
        let title = match approval.status.as_str() {
            "pending" => format!("⏸ Approval needed: `{}`", approval.tool),
            "approved" => format!("✅ Approved: `{}`", approval.tool),
            "rejected" => format!("❌ Rejected: `{}`", approval.tool),
            "expired" => format!("⌛ Expired: `{}`", approval.tool),
            other => format!("{other}: `{}`", approval.tool),
        };
        let mut body = approval.summary.clone();
        if pending {
            body.push_str(&format!(
                "\n\nNeeds **{}** or above · asked by {} · expires {}",
                approval.required_role,
                approval.requested_by,
                crate::render::time(approval.expires_at)
            ));
        } else {
            let by = approval.decided_by.as_deref().unwrap_or("system");
            let at = approval
                .decided_at
                .map(crate::render::time)
                .unwrap_or_default();
            body.push_str(&format!("\n\nDecided by **{by}** at {at}"));
            if let Some(reason) = approval.reason.as_deref().filter(|r| !r.is_empty()) {
                body.push_str(&format!(" — {reason}"));
            }
        }
        body.push_str(&format!("\n\n`{}`", approval.id));
        Self {
            approval_id: approval.id.clone(),
            title,
            body,
            pending,
        }
    }

    /// Title and body as one markdown text.
    pub fn markdown(&self) -> String {
        format!("**{}**\n\n{}", self.title, self.body)
    }
}

/// Where a card was posted, so it can be edited when the approval is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRef {
    /// The chat it is in.
    pub place: Place,
    /// The platform's id of the message.
    pub message: String,
}

/// What a chat platform must do for the hub.
#[async_trait::async_trait]
pub trait Front: Send + Sync {
    /// The platform's name, e.g. `telegram`.
    fn platform(&self) -> &'static str;

    /// The chat where approvals requested anywhere are posted, if one is configured.
    fn approvers_place(&self) -> Option<Place>;

    /// Posts a markdown reply (split to the platform's limits, converted to its markup).
    async fn send(&self, place: &Place, markdown: &str) -> Result<(), ChannelError>;

    /// Posts an approval card with Approve / Reject buttons.
    async fn send_card(&self, place: &Place, card: &Card) -> Result<CardRef, ChannelError>;

    /// Shows a card's new state (buttons removed once decided).
    async fn update_card(&self, at: &CardRef, card: &Card) -> Result<(), ChannelError>;

    /// Shows that the bot is working (a no-op where the platform has no such signal).
    async fn typing(&self, place: &Place) -> Result<(), ChannelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_only_the_action_and_the_id() {
        let p = ClickAction::Reject.payload("0193-abc");
        assert_eq!(p, "reject:0193-abc");
        assert_eq!(
            ClickAction::parse(&p),
            Some((ClickAction::Reject, "0193-abc"))
        );
        assert_eq!(ClickAction::parse("delete:1"), None);
        assert_eq!(ClickAction::parse("approve:"), None);
    }
}
