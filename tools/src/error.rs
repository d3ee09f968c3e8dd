//! The tool layer's error: what went wrong, phrased so a model can act on it.

use crate::commerce::CommerceError;
use serde_json::{Value, json};

/// Why a tool call failed. Every variant leaves the store unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// No tool has this name.
    #[error("unknown tool `{name}`; available tools: {}", available.join(", "))]
    UnknownTool {
        /// The name that was asked for.
        name: String,
        /// The registered tool names.
        available: Vec<String>,
    },
    /// The tool exists but the active store cannot serve it.
    #[error("`{tool}` is not available here: {reason}")]
    NotOffered {
        /// The tool.
        tool: String,
        /// Why, e.g. "the shopify store cannot suggest bundles".
        reason: String,
    },
    /// The arguments are not valid JSON or do not match the tool's schema.
    #[error("invalid arguments for `{tool}`: {}", problems.join("; "))]
    InvalidArguments {
        /// The tool.
        tool: String,
        /// One line per problem, each naming the offending field.
        problems: Vec<String>,
    },
    /// The connector refused or failed the operation.
    #[error(transparent)]
    Commerce(#[from] CommerceError),
    /// The call changes the world and needs a human's approval first.
    #[error("`{tool}` needs approval by {required_role} or above before it runs")]
    NeedsApproval {
        /// The tool.
        tool: String,
        /// The least role that may approve.
        required_role: crate::policy::Role,
    },
    /// The policy or the approval's state does not allow this.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// The application database (approvals, ledger) failed.
    #[error("approval records unavailable: {0}")]
    Records(#[from] shopkeeper_memory::DbError),
    /// The memory (embedding model or vector store) cannot be used.
    #[error("memory unavailable: {0}")]
    Memory(String),
    /// A tool is defined wrongly (a bug in Shopkeeper, not in the call).
    #[error("tool definition error: {0}")]
    Definition(String),
}

impl ToolError {
    /// Invalid arguments with a single problem.
    pub fn invalid(tool: &str, problem: impl Into<String>) -> Self {
        Self::InvalidArguments {
            tool: tool.to_string(),
            problems: vec![problem.into()],
        }
    }

    /// A stable code saying what to do next.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownTool { .. } => "unknown_tool",
            Self::NotOffered { .. } => "not_offered",
            Self::InvalidArguments { .. } => "invalid_arguments",
            Self::Commerce(e) => e.kind(),
            Self::Records(_) => "unavailable",
            Self::Memory(_) => "memory_unavailable",
            Self::NeedsApproval { .. } => "needs_approval",
            Self::NotAllowed(_) => "not_allowed",
            Self::Definition(_) => "internal",
        }
    }

    /// A hint for the caller (usually a model) on how to recover.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::UnknownTool { .. } => "call one of the available tools",
            Self::NotOffered { .. } => "this shop cannot do that; tell the user",
            Self::InvalidArguments { .. } => {
                "fix the arguments to match the tool's schema and call again"
            }
            Self::Commerce(e) => e.hint(),
            Self::Records(_) => "the store is unavailable; try again later",
            Self::NeedsApproval { .. } => {
                "a human must approve this; tell the user it awaits approval"
            }
            Self::NotAllowed(_) => "the shop's policy does not allow this; explain why to the user",
            Self::Memory(_) => {
                "search memory is not set up; use the lookup tools by id or email instead"
            }
            Self::Definition(_) => "this is a bug in Shopkeeper; report it",
        }
    }

    /// The error as a JSON object: `{"error": kind, "message": ..., "hint": ...}`.
    pub fn to_json(&self) -> Value {
        json!({"error": self.kind(), "message": self.to_string(), "hint": self.hint()})
    }
}
