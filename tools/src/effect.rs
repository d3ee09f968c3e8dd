//! What a tool does to the world.

use serde::{Deserialize, Serialize};

/// What a tool does to the world; decides whether a human must approve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Looks things up; changes nothing.
    Read,
    /// Prepares something for a human (a draft, a note, a handoff); reaches no customer.
    Draft,
    /// Changes the store's records.
    Write,
    /// Moves money: charges, refunds, credits.
    Money,
    /// Reaches a customer or another party outside the shop.
    Outbound,
}

impl Effect {
    /// The effect's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Draft => "draft",
            Self::Write => "write",
            Self::Money => "money",
            Self::Outbound => "outbound",
        }
    }

    /// Whether the effect changes the store, moves money or reaches someone outside.
    pub fn changes_the_world(self) -> bool {
        matches!(self, Self::Write | Self::Money | Self::Outbound)
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
