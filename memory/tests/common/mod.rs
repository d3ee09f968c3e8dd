//! Helpers shared by the persistence tests.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use shopkeeper_memory::{AppDb, TEST_POSTGRES_ENV};

/// A SQLite database in `dir`, and the PostgreSQL one where a test URL is set.
pub async fn databases(dir: &tempfile::TempDir) -> Vec<AppDb> {
    let mut dbs = vec![
        AppDb::connect(&format!(
            "sqlite://{}/app.sqlite?mode=rwc",
            dir.path().display()
        ))
        .await
        .unwrap(),
    ];
    match std::env::var(TEST_POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => dbs.push(AppDb::connect(&url).await.unwrap()),
        _ => eprintln!(
            "notice: {TEST_POSTGRES_ENV} is not set; skipping the PostgreSQL half of this test"
        ),
    }
    dbs
}
