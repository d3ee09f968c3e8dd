//! The application database: SQLite in the data directory by default,
//! PostgreSQL when `SHOPKEEPER_DATABASE_URL` points at one.

use crate::data_dir::DataDir;
use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::time::Duration;

/// Why the application database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Connecting failed.
    #[error("cannot connect to the application database {url}: {source}")]
    Connect {
        /// The URL, with any password masked.
        url: String,
        /// The underlying error.
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("cannot migrate the application database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("application database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value could not be decoded.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
}

/// Which database engine backs the application state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool to the migrated application database.
#[derive(Debug, Clone)]
pub struct AppDb {
    pool: AnyPool,
    backend: Backend,
}

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "conversations",
        include_str!("../migrations/0001_conversations.sql"),
    ),
    (
        2,
        "approvals",
        include_str!("../migrations/0002_approvals.sql"),
    ),
    (
        3,
        "profiles",
        include_str!("../migrations/0003_profiles.sql"),
    ),
    (
        4,
        "chat_threads",
        include_str!("../migrations/0004_chat_threads.sql"),
    ),
    (
        5,
        "outbox_claims",
        include_str!("../migrations/0005_outbox_claims.sql"),
    ),
    (6, "events", include_str!("../migrations/0006_events.sql")),
    (
        7,
        "sync_marks",
        include_str!("../migrations/0007_sync_marks.sql"),
    ),
];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> futures::future::BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        (*name).into(),
                        MigrationType::Simple,
                        (*sql).into(),
                        false,
                    )
                })
                .collect())
        })
    }
}

impl AppDb {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        // sqlx's SQLite defaults give a 5 s busy timeout and foreign keys; WAL is set below.
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|source| DbError::Connect {
                url: mask_password(url),
                source,
            })?;
        let db = Self { pool, backend };
        let migrator = Migrator::new(Embedded).await?;
        // SQLite has no migration lock, and switching a new file to WAL needs it alone: two
        // processes opening a fresh file at once (`serve` and a CLI command) can be told
        // "locked" without waiting. Trying again finds the work done.
        let mut attempt = 0;
        loop {
            match db.prepare(&migrator).await {
                Ok(()) => break,
                Err(e) if attempt < 8 && backend == Backend::Sqlite => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "database busy while opening; retrying");
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(db)
    }

    /// WAL mode on SQLite (persistent on the file: readers never block the writer), then
    /// the migrations.
    async fn prepare(&self, migrator: &Migrator) -> Result<(), DbError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&self.pool)
                .await?;
        }
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// The default database: `app.sqlite` in the data directory.
    pub async fn open_in(dir: &DataDir) -> Result<Self, DbError> {
        let path = dir.root().join("app.sqlite");
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine behind the pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub fn mask_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::mask_password;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://sk:hunter2@db:5432/app"),
            "postgres://sk:***@db:5432/app"
        );
        assert_eq!(mask_password("postgres://db/app"), "postgres://db/app");
        assert_eq!(
            mask_password("sqlite:///tmp/a.sqlite"),
            "sqlite:///tmp/a.sqlite"
        );
    }
}
