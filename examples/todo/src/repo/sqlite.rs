//! The repository on SQLite: one file (or memory), WAL mode, writes one at a time.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::sql::repository_impl;
use super::{ConnectError, WAIT_TIMEOUT};
use crate::config::DatabaseConfig;

/// Todo lists in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteRepository {
    pool: SqlitePool,
}

impl SqliteRepository {
    /// Opens (creating if missing) the database at `config.url` and migrates it.
    ///
    /// WAL mode lets readers go on while one connection writes; a writer waits up to
    /// [`WAIT_TIMEOUT`] for another's lock instead of failing at once. An in-memory database
    /// lives as long as one of its connections: its pool keeps exactly one, open for good.
    ///
    /// # Errors
    ///
    /// An invalid URL, a database that cannot be opened, or a failed migration.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, ConnectError> {
        if let Some(dir) = &config.data_dir {
            oxapi::tokio::fs::create_dir_all(dir)
                .await
                .map_err(ConnectError::DataDir)?;
        }
        let options = SqliteConnectOptions::from_str(&config.url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(WAIT_TIMEOUT)
            .foreign_keys(true);
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(config.max_connections)
        }
        .acquire_timeout(WAIT_TIMEOUT)
        .connect_with(options)
        .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// A transaction holding the database's write lock from its start (`BEGIN IMMEDIATE`):
    /// a deferred one that read first would fail with `SQLITE_BUSY` on its first write if
    /// another wrote meanwhile, where this one waits its turn up front.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

repository_impl!(SqliteRepository, Sqlite);
