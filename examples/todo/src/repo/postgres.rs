//! The repository on PostgreSQL.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::sql::repository_impl;
use super::{ConnectError, WAIT_TIMEOUT};
use crate::config::DatabaseConfig;

/// Todo lists in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgRepository {
    pool: PgPool,
}

impl PgRepository {
    /// Connects to the database at `config.url` and migrates it.
    ///
    /// Several instances may start at once: sqlx's migrator holds a PostgreSQL advisory
    /// lock (`pg_advisory_lock`, keyed by the database's name) while it migrates, so one
    /// applies each migration and the others wait, then find it applied.
    ///
    /// # Errors
    ///
    /// An invalid URL, a database that cannot be reached, or a failed migration.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, ConnectError> {
        let options = PgConnectOptions::from_str(&config.url)?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(WAIT_TIMEOUT)
            .connect_with(options)
            .await?;
        let migrator = sqlx::migrate!("migrations/postgres");
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// A read-committed transaction: a conditional `UPDATE` waits for a concurrent one on
    /// the same row, then re-checks its `WHERE` (the version) against the row it committed.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

repository_impl!(PgRepository, Postgres);
