//! Shopkeeper's persistence: where the program keeps its state (the data
//! directory) and, as the agent grows, the application database.

pub mod data_dir;

pub use data_dir::{DataDir, DataDirError};
