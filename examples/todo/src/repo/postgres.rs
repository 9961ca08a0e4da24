//! The repository on PostgreSQL.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::sql::repository_impl;
use super::{ConnectError, Effects, Owner, RepoError, WAIT_TIMEOUT};
use crate::config::DatabaseConfig;
use crate::feed::{self, Change};
use crate::jobs::Delivery;

/// Todo lists in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgRepository {
    pool: PgPool,
    effects: Effects,
}

impl PgRepository {
    /// Connects to the database at `config.url` and migrates it, with the job queue's schema
    /// (`apalis`, apalis-postgres's own migrations, recorded in `apalis._sqlx_migrations`).
    ///
    /// Several instances may start at once: sqlx's migrator holds a PostgreSQL advisory
    /// lock (`pg_advisory_lock`, keyed by the database's name) while it migrates, so one
    /// applies each migration and the others wait, then find it applied.
    ///
    /// # Errors
    ///
    /// An invalid URL, a database that cannot be reached, or a failed migration.
    pub async fn connect(config: &DatabaseConfig, effects: Effects) -> Result<Self, ConnectError> {
        let options = PgConnectOptions::from_str(&config.url)?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(WAIT_TIMEOUT)
            .connect_with(options)
            .await?;
        let migrator = sqlx::migrate!("migrations/postgres");
        migrator.run(&pool).await?;
        apalis_postgres::PostgresStorage::migrations()
            .run(&pool)
            .await?;
        Ok(Self { pool, effects })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Counts the deliveries by state (`$1` is the queue).
    const JOB_COUNTS: &str = concat!(
        "SELECT $1 AS queue,",
        super::sql::job_counts_columns!(),
        " FROM apalis.jobs WHERE job_type = $1"
    );

    /// What a write does besides its rows, on its transaction `conn`: tells every instance's
    /// feed of `change` (delivered when the transaction commits, in commit order), and
    /// enqueues `delivery`.
    async fn announce(
        &self,
        conn: &mut PgConnection,
        owner: Owner,
        change: &Change,
        delivery: Option<Delivery>,
    ) -> Result<(), RepoError> {
        if self.effects.notify {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(feed::CHANNEL)
                .bind(feed::notification(owner, change, feed::MAX_NOTIFICATION))
                .execute(&mut *conn)
                .await?;
        }
        if let (Some(delivery), Some(attempts)) = (delivery, self.effects.deliveries) {
            let task = delivery
                .task(attempts)
                .map_err(|error| RepoError::Jobs(Box::new(error)))?;
            apalis_postgres::queries::push_tasks(conn, &self.effects.queue, vec![task])
                .await
                .map_err(|error| RepoError::Jobs(Box::new(error)))?;
        }
        Ok(())
    }

    /// A read-committed transaction: a conditional `UPDATE` waits for a concurrent one on
    /// the same row, then re-checks its `WHERE` (the version) against the row it committed.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

repository_impl!(PgRepository, Postgres);
