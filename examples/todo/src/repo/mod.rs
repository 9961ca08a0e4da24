//! The database behind the API: one [`Repository`] trait, implemented on SQLite
//! ([`SqliteRepository`]) and on PostgreSQL ([`PgRepository`]) from the same SQL (`sql.rs`).
//!
//! sqlx's `Any` driver would need one implementation only, but it has no uuid or timestamp
//! types; each backend here gets its own pool, pragmas and migrations instead, and both run
//! the same statements (SQLite reads `$1` placeholders as PostgreSQL does).

mod error;
mod postgres;
mod sql;
mod sqlite;

use std::time::Duration;

use oxapi::futures::future::BoxFuture;
use oxapi::types::Uuid;

use crate::config::DatabaseConfig;
use crate::jobs::JobCounts;
use crate::jobs::worker::JobStore;
use crate::model::{
    AuditEntry, Item, ItemPage, ItemPatch, ListPage, ListPatch, NewItem, NewList, PageRequest,
    TodoList, User,
};

pub use error::{ConnectError, RepoError};
pub use postgres::PgRepository;
pub use sqlite::SqliteRepository;

/// Who a list belongs to: the id of the signed-in user a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub Uuid);

/// What a write does besides its rows, in its own transaction, so that it happens if and only
/// if the write commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    /// Publish each change to lists and items with `pg_notify` (PostgreSQL only): every
    /// instance's feed listens ([`crate::feed`]).
    pub notify: bool,
    /// Enqueue a webhook delivery for each item created or completed, tried at most this many
    /// times ([`crate::jobs`]); none, no deliveries.
    pub deliveries: Option<u32>,
    /// The job queue deliveries go to (and are counted in).
    pub queue: String,
}

impl Default for Effects {
    fn default() -> Self {
        Self {
            notify: false,
            deliveries: None,
            queue: crate::jobs::DEFAULT_QUEUE.to_owned(),
        }
    }
}

/// A user with the hash of their password, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The password's Argon2id hash, a PHC string.
    pub password_hash: String,
}

/// A create's `Idempotency-Key`, with the fingerprint of the request that sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key, as the client sent it.
    pub key: String,
    /// A digest of the request (its path and body): a retry must send the same.
    pub fingerprint: String,
}

/// A row a create made, or the one an earlier request with the same idempotency key made.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    /// The row, as the response shows it.
    pub row: T,
    /// Whether this is an earlier request's answer, replayed.
    pub replayed: bool,
}

impl<T> Created<T> {
    /// A row made now.
    pub fn new(row: T) -> Self {
        Self {
            row,
            replayed: false,
        }
    }
}

/// An entry for the audit log, made when the write it records happened: its id (UUIDv7,
/// ordered by creation within the process) and time say when, whenever the background task
/// that writes it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The entry's id.
    pub id: Uuid,
    /// What was done: `list.created`, `item.updated`, ….
    pub action: &'static str,
    /// The list or item it was done to.
    pub target_id: Uuid,
    /// When.
    pub at: time::OffsetDateTime,
}

impl AuditRecord {
    /// `action` done to `target_id` now.
    pub fn now(action: &'static str, target_id: Uuid) -> Self {
        Self {
            id: sql::new_id(),
            action,
            target_id,
            at: sql::now(),
        }
    }
}

/// An item with the title of its list, for an export.
#[derive(Debug, Clone)]
pub struct ExportedItem {
    /// The title of the item's list.
    pub list_title: String,
    /// The item.
    pub item: Item,
}

/// What a conditional write expects of the row it changes (from `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Any version: an unconditional write (no `If-Match`, or `If-Match: *`).
    Any,
    /// One of these versions, else the write fails with [`RepoError::VersionMismatch`]
    /// (none at all when every tag of `If-Match` was weak or not one of ours).
    OneOf(Vec<i64>),
}

impl Expect {
    /// Whether a row at `version` may be written.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}

/// The store of users, their todo lists and items.
///
/// Every list and item method takes the [`Owner`] it acts for and sees only that owner's rows: a list or
/// item of another owner is [`RepoError::NotFound`]. Methods return boxed futures so the
/// app can hold either backend as a `Box<dyn Repository>`.
pub trait Repository: Send + Sync + 'static {
    /// Signs up a user whose password hashes to `password_hash`. [`RepoError::Conflict`] if
    /// the name is taken.
    fn create_user(
        &self,
        username: String,
        password_hash: String,
    ) -> BoxFuture<'_, Result<User, RepoError>>;

    /// The user named `username`, with their password's hash, if there is one.
    fn find_user(&self, username: String) -> BoxFuture<'_, Result<Option<Credentials>, RepoError>>;

    /// The user `id`.
    fn get_user(&self, id: Uuid) -> BoxFuture<'_, Result<User, RepoError>>;

    /// Makes a list. [`RepoError::Conflict`] if the owner has one with its title. With a
    /// `key`, the list and the answer kept under the key are written in one transaction: a
    /// request with a key already answered gets that answer again (and makes nothing), or
    /// [`RepoError::KeyReused`] if it is another request.
    fn create_list(
        &self,
        owner: Owner,
        new: NewList,
        key: Option<IdempotencyKey>,
    ) -> BoxFuture<'_, Result<Created<TodoList>, RepoError>>;

    /// One list.
    fn get_list(&self, owner: Owner, list_id: Uuid) -> BoxFuture<'_, Result<TodoList, RepoError>>;

    /// A page of the owner's lists, with how many there are.
    fn list_lists(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> BoxFuture<'_, Result<ListPage, RepoError>>;

    /// Changes a list if its version is as expected, and counts the change.
    fn update_list(
        &self,
        owner: Owner,
        list_id: Uuid,
        patch: ListPatch,
        expect: Expect,
    ) -> BoxFuture<'_, Result<TodoList, RepoError>>;

    /// Deletes a list and its items, if its version is as expected.
    fn delete_list(
        &self,
        owner: Owner,
        list_id: Uuid,
        expect: Expect,
    ) -> BoxFuture<'_, Result<(), RepoError>>;

    /// Adds an item to a list; with a `key`, as [`create_list`](Self::create_list).
    fn create_item(
        &self,
        owner: Owner,
        list_id: Uuid,
        new: NewItem,
        key: Option<IdempotencyKey>,
    ) -> BoxFuture<'_, Result<Created<Item>, RepoError>>;

    /// One item of a list.
    fn get_item(
        &self,
        owner: Owner,
        list_id: Uuid,
        item_id: Uuid,
    ) -> BoxFuture<'_, Result<Item, RepoError>>;

    /// A page of a list's items (only those whose `done` is `done`, if given), with how
    /// many match. [`RepoError::NotFound`] if there is no such list.
    fn list_items(
        &self,
        owner: Owner,
        list_id: Uuid,
        done: Option<bool>,
        page: PageRequest,
    ) -> BoxFuture<'_, Result<ItemPage, RepoError>>;

    /// Changes an item if its version is as expected, and counts the change.
    fn update_item(
        &self,
        owner: Owner,
        list_id: Uuid,
        item_id: Uuid,
        patch: ItemPatch,
        expect: Expect,
    ) -> BoxFuture<'_, Result<Item, RepoError>>;

    /// Deletes an item, if its version is as expected.
    fn delete_item(
        &self,
        owner: Owner,
        list_id: Uuid,
        item_id: Uuid,
        expect: Expect,
    ) -> BoxFuture<'_, Result<(), RepoError>>;

    /// Writes `record` to the owner's audit log.
    fn record(&self, owner: Owner, record: AuditRecord) -> BoxFuture<'_, Result<(), RepoError>>;

    /// The owner's latest `limit` audit log entries, newest first.
    fn audit_log(
        &self,
        owner: Owner,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<AuditEntry>, RepoError>>;

    /// Every item of the owner's lists, list by list, in creation order.
    fn export_items(&self, owner: Owner) -> BoxFuture<'_, Result<Vec<ExportedItem>, RepoError>>;

    /// How many webhook deliveries are in each state.
    fn job_counts(&self) -> BoxFuture<'_, Result<JobCounts, RepoError>>;

    /// Closes the pool: waits for connections in use to come back, then closes them all.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// How long a connection waits for another's write lock (SQLite) before failing, and how
/// long a request waits for a connection from the pool.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// A database, connected and migrated (the job queue's tables too).
pub struct Connected {
    /// The repository, whose writes have `effects`.
    pub store: Box<dyn Repository>,
    /// The same pool, for the job queue's worker.
    pub jobs: JobStore,
    /// The same database on PostgreSQL (a clone sharing the pool), for the feed's listener to
    /// read a row a notification could not carry.
    pub postgres: Option<PgRepository>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("jobs", &self.jobs)
            .finish_non_exhaustive()
    }
}

/// Connects to the database `config` names and runs its migrations and the job queue's.
///
/// # Errors
///
/// A URL of no known database, a database that cannot be reached or opened, or a migration
/// that fails.
pub async fn connect(config: &DatabaseConfig, effects: Effects) -> Result<Connected, ConnectError> {
    let url = config.url.as_str();
    if url.starts_with("sqlite:") {
        let repo = SqliteRepository::connect(config, effects).await?;
        Ok(Connected {
            jobs: JobStore::Sqlite(repo.pool().clone()),
            store: Box::new(repo),
            postgres: None,
        })
    } else if is_postgres(url) {
        let repo = PgRepository::connect(config, effects).await?;
        Ok(Connected {
            jobs: JobStore::Postgres(repo.pool().clone()),
            store: Box::new(repo.clone()),
            postgres: Some(repo),
        })
    } else {
        Err(ConnectError::UnknownScheme)
    }
}
