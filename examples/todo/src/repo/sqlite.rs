//! The repository on SQLite: one file (or memory), WAL mode, writes one at a time.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::sql::repository_impl;
use super::{ConnectError, Effects, Owner, RepoError, WAIT_TIMEOUT};
use crate::config::DatabaseConfig;
use crate::feed::Change;
use crate::jobs::Delivery;

/// Where apalis-sqlite's migrations are recorded: not in sqlx's default table, which holds
/// ours (the two histories would each look like the other's missing migrations).
const JOBS_MIGRATIONS: &str = "_apalis_migrations";

/// Todo lists in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteRepository {
    pool: SqlitePool,
    effects: Effects,
}

impl SqliteRepository {
    /// Opens (creating if missing) the database at `config.url` and migrates it, with the job
    /// queue's tables (apalis-sqlite's `Jobs` and `Workers`).
    ///
    /// WAL mode lets readers go on while one connection writes; a writer waits up to
    /// [`WAIT_TIMEOUT`] for another's lock instead of failing at once. An in-memory database
    /// lives as long as one of its connections: its pool keeps exactly one, open for good.
    ///
    /// # Errors
    ///
    /// An invalid URL, a database that cannot be opened, or a failed migration.
    pub async fn connect(config: &DatabaseConfig, effects: Effects) -> Result<Self, ConnectError> {
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
        let mut jobs = apalis_sqlite::SqliteStorage::migrations();
        jobs.dangerous_set_table_name(JOBS_MIGRATIONS);
        jobs.run(&pool).await?;
        Ok(Self { pool, effects })
    }

    /// The pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Counts the deliveries by state (`$1` is the queue).
    const JOB_COUNTS: &str = concat!(
        "SELECT $1 AS queue,",
        super::sql::job_counts_columns!(),
        " FROM Jobs WHERE job_type = $1"
    );

    /// What a write does besides its rows, on its transaction `conn`: enqueues `delivery`.
    /// The feed stays in this process (one SQLite file has one process writing it).
    async fn announce(
        &self,
        conn: &mut SqliteConnection,
        _owner: Owner,
        _change: &Change,
        delivery: Option<Delivery>,
    ) -> Result<(), RepoError> {
        if let (Some(delivery), Some(attempts)) = (delivery, self.effects.deliveries) {
            let task = delivery
                .task(attempts)
                .map_err(|error| RepoError::Jobs(Box::new(error)))?;
            apalis_sqlite::queries::push_tasks(conn, &self.effects.queue, &[task])
                .await
                .map_err(|error| RepoError::Jobs(Box::new(error)))?;
        }
        Ok(())
    }

    /// A transaction holding the database's write lock from its start (`BEGIN IMMEDIATE`):
    /// a deferred one that read first would fail with `SQLITE_BUSY` on its first write if
    /// another wrote meanwhile, where this one waits its turn up front.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

repository_impl!(SqliteRepository, Sqlite);
