//! Shopkeeper's persistence: where the program keeps its state (the data
//! directory) and the application database (SQLite by default, PostgreSQL at
//! scale) with conversations and agent run checkpoints.

pub mod approvals;
pub mod conversations;
pub mod crash;
pub mod data_dir;
pub mod db;
pub mod embed;
pub mod events;
pub mod profiles;
pub mod threads;
pub mod vector;

pub use approvals::{Alongside, ApprovalRow, AuditRow, Decision, ExecutionRow, OutboxRow};
pub use conversations::{ConversationInfo, StoredRun};
pub use data_dir::{DataDir, DataDirError};
pub use db::{AppDb, Backend, DbError};

/// Environment variable holding a PostgreSQL URL for tests that need one.
pub const TEST_POSTGRES_ENV: &str = "SHOPKEEPER_TEST_POSTGRES_URL";
