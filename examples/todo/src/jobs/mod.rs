//! Durable jobs: webhook deliveries, on apalis.
//!
//! With `--webhook-url`, creating an item or completing one (its `done` turning true) enqueues
//! a [`Delivery`] **in the transaction of the write**: the row and the job commit together or
//! not at all, so a delivery is never lost after a 2xx and never sent for a write that rolled
//! back. The queue is apalis's, in the same database: `apalis.jobs` on PostgreSQL
//! (apalis-postgres), the `Jobs` table on SQLite (apalis-sqlite), both on the repository's
//! sqlx pool. The job is pushed with the storages' own `push_tasks` on our transaction's
//! connection.
//!
//! Every instance runs one worker ([`worker`]), started by the database's lifespan and stopped
//! at shutdown. It POSTs the delivery's JSON to the URL with `Idempotency-Key: <delivery id>`,
//! bounded by `--webhook-timeout`. A connection error or a non-2xx answer fails the attempt;
//! apalis's retry layer (tower's retry, with exponential backoff from `--webhook-backoff-ms`)
//! tries again until `--webhook-max-attempts`, and the job then stays `Failed` with its
//! attempts spent: dead, counted as such by `GET /v1/admin/jobs`.
//!
//! Delivery is **at least once**: a worker killed after the receiver answered but before it
//! recorded the job as done leaves the job running under a dead worker; after three missed
//! heartbeats another instance's worker puts it back in the queue and it is sent again. The
//! receiver deduplicates by `Idempotency-Key`, as the tests' receiver does.

pub mod worker;

use std::time::Duration;

use oxapi::prelude::*;
use oxapi::types::{Timestamp, Uuid};
use serde::{Deserialize, Serialize};

use crate::model::Item;
use crate::repo::Owner;

/// The queue (apalis's `job_type`) webhook deliveries go to, unless `--jobs-queue` names
/// another (deployments sharing a database, or tests sharing one, keep theirs apart).
pub const DEFAULT_QUEUE: &str = "todo.webhook-deliveries";

/// How a worker notices it was not told of a job: a poll at most this often when idle.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// Heartbeats a worker may miss before its jobs are given to another.
pub const MISSED_HEARTBEATS: u32 = 3;

/// The shortest time without a heartbeat after which a worker's jobs are given to another.
/// apalis counts it in whole seconds, and apalis-sqlite stores heartbeats to the second: a
/// live worker's last heartbeat can read a second old, so two seconds is the least that
/// never takes a live worker's job.
pub const MIN_ORPHANED_AFTER: Duration = Duration::from_secs(2);

/// Webhook deliveries and the workers that make them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsConfig {
    /// Where deliveries are posted; none, nothing is enqueued.
    pub webhook_url: Option<String>,
    /// The queue deliveries go to and are taken from.
    pub queue: String,
    /// Tries of one delivery before it is dead.
    pub max_attempts: u32,
    /// The wait before the first retry; each next one waits twice as long.
    pub backoff: Duration,
    /// How long one call to the webhook may take.
    pub timeout: Duration,
    /// How often a worker tells the database it is alive.
    pub heartbeat: Duration,
    /// How often an idle worker looks for jobs.
    pub poll: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            queue: DEFAULT_QUEUE.to_owned(),
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(10),
            poll: DEFAULT_POLL,
        }
    }
}

impl JobsConfig {
    /// How many heartbeats a worker may miss before its jobs go to another: three, or more
    /// when they are so frequent that three would be shorter than [`MIN_ORPHANED_AFTER`].
    pub fn missed_heartbeats(&self) -> u32 {
        let heartbeat = self.heartbeat.as_millis().max(1);
        let least = MIN_ORPHANED_AFTER.as_millis().div_ceil(heartbeat);
        MISSED_HEARTBEATS.max(u32::try_from(least).unwrap_or(u32::MAX))
    }

    /// How long a worker may go without a heartbeat before its jobs go to another.
    pub fn orphaned_after(&self) -> Duration {
        self.heartbeat * self.missed_heartbeats()
    }
}

/// What a webhook says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryEvent {
    /// An item was added to a list.
    #[serde(rename = "item.created")]
    ItemCreated,
    /// An item's `done` turned true.
    #[serde(rename = "item.completed")]
    ItemCompleted,
}

/// One webhook delivery: the job's arguments, and the JSON body posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// The delivery's id, sent as `Idempotency-Key`: the same on every attempt.
    pub id: Uuid,
    /// What happened.
    pub event: DeliveryEvent,
    /// The user whose item it is.
    pub user_id: Uuid,
    /// The item, as the write left it.
    pub item: Item,
    /// When the write happened.
    pub occurred_at: Timestamp,
}

impl Delivery {
    /// `event` happened to `owner`'s `item` now.
    pub fn new(event: DeliveryEvent, owner: Owner, item: Item) -> Self {
        Self {
            id: Uuid::now_v7(),
            event,
            user_id: owner.0,
            item,
            occurred_at: Timestamp::now(),
        }
    }

    /// The job apalis stores: the delivery as JSON (apalis's `JsonCodec`), tried at most
    /// `max_attempts` times.
    ///
    /// # Errors
    ///
    /// If the delivery cannot be serialized (it always can).
    pub fn task(
        &self,
        max_attempts: u32,
    ) -> Result<apalis::prelude::Task<Vec<u8>>, serde_json::Error> {
        let args = serde_json::to_vec(self)?;
        Ok(apalis::prelude::TaskBuilder::new(args)
            .max_attempts(max_attempts as usize)
            .build())
    }
}

/// How many webhook deliveries are in each state.
#[model]
#[derive(Default, PartialEq, Eq)]
pub struct JobCounts {
    /// The queue counted.
    pub queue: String,
    /// Waiting for a worker (including those a worker has fetched and not started).
    pub pending: u64,
    /// Being delivered, or waiting out a retry's backoff in a worker.
    pub running: u64,
    /// Delivered.
    pub done: u64,
    /// Failed with attempts left: a worker will try again.
    pub failed: u64,
    /// Failed with no attempts left (or aborted): given up, kept for inspection.
    pub dead: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_is_orphaned_after_three_heartbeats_and_never_under_two_seconds() {
        let every = |ms| JobsConfig {
            heartbeat: Duration::from_millis(ms),
            ..JobsConfig::default()
        };
        assert_eq!(every(10_000).orphaned_after(), Duration::from_secs(30));
        assert_eq!(every(1_000).orphaned_after(), Duration::from_secs(3));
        assert_eq!(every(250).missed_heartbeats(), 8);
        assert_eq!(every(250).orphaned_after(), Duration::from_secs(2));
        assert_eq!(every(300).orphaned_after(), Duration::from_millis(2100));
        assert_eq!(every(1).orphaned_after(), Duration::from_secs(2));
    }
}
