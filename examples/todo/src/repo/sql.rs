//! The SQL both backends run, and the one [`Repository`](super::Repository) implementation
//! written over it ([`repository_impl!`]), instantiated for each backend's pool.
//!
//! Every statement is a constant with `$n` placeholders: values are always bound, never
//! spliced. The one varying part, a page's order, is picked from a fixed table by [`Sort`].

use oxapi::types::{Timestamp, Uuid};
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Credentials, ExportedItem};
use crate::jobs::JobCounts;
use crate::model::{AuditEntry, Item, Sort, TodoList, User};

/// A user's columns, in [`UserRow`]'s order.
macro_rules! user_columns {
    () => {
        "id, username, password_hash, created_at"
    };
}

/// A list's columns, in [`ListRow`]'s order.
macro_rules! list_columns {
    () => {
        "id, title, version, created_at, updated_at"
    };
}

/// An item's columns, in [`ItemRow`]'s order.
macro_rules! item_columns {
    () => {
        "id, list_id, title, done, version, created_at, updated_at"
    };
}

/// The four orders of a page, by [`Sort`]: ids are UUIDv7, so the id's order is creation's.
macro_rules! by_sort {
    ($head:expr, $tail:expr) => {
        [
            concat!($head, " ORDER BY id ", $tail),
            concat!($head, " ORDER BY id DESC ", $tail),
            concat!($head, " ORDER BY title, id ", $tail),
            concat!($head, " ORDER BY title DESC, id DESC ", $tail),
        ]
    };
}

pub(crate) const INSERT_USER: &str = concat!(
    "INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) \
     RETURNING ",
    user_columns!()
);
pub(crate) const USER_BY_NAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);
pub(crate) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

pub(crate) const INSERT_LIST: &str = concat!(
    "INSERT INTO lists (id, owner_id, title, version, created_at, updated_at) \
     VALUES ($1, $2, $3, 1, $4, $4) RETURNING ",
    list_columns!()
);
pub(crate) const SELECT_LIST: &str = concat!(
    "SELECT ",
    list_columns!(),
    " FROM lists WHERE id = $1 AND owner_id = $2"
);
pub(crate) const LIST_VERSION: &str = "SELECT version FROM lists WHERE id = $1 AND owner_id = $2";
pub(crate) const COUNT_LISTS: &str = "SELECT COUNT(*) FROM lists WHERE owner_id = $1";
const PAGE_LISTS: [&str; 4] = by_sort!(
    concat!(
        "SELECT ",
        list_columns!(),
        " FROM lists WHERE owner_id = $1"
    ),
    "LIMIT $2 OFFSET $3"
);
pub(crate) const UPDATE_LIST: &str = concat!(
    "UPDATE lists SET title = COALESCE($1, title), version = version + 1, updated_at = $2 \
     WHERE id = $3 AND owner_id = $4 AND version = $5 RETURNING ",
    list_columns!()
);
pub(crate) const DELETE_LIST: &str =
    "DELETE FROM lists WHERE id = $1 AND owner_id = $2 AND version = $3";

/// Scopes an item statement whose `$2` is the list's id and `$3` the owner's to the owner's
/// lists.
macro_rules! owned_list {
    () => {
        " AND EXISTS (SELECT 1 FROM lists WHERE lists.id = $2 AND lists.owner_id = $3)"
    };
}

pub(crate) const INSERT_ITEM: &str = concat!(
    "INSERT INTO items (id, list_id, title, done, version, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING ",
    item_columns!()
);
pub(crate) const SELECT_ITEM: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM items WHERE id = $1 AND list_id = $2",
    owned_list!()
);
pub(crate) const ITEM_VERSION: &str = concat!(
    "SELECT version FROM items WHERE id = $1 AND list_id = $2",
    owned_list!()
);
/// An item's version and whether it is done, for an update that tells when it gets done.
pub(crate) const ITEM_STATE: &str = concat!(
    "SELECT version, done FROM items WHERE id = $1 AND list_id = $2",
    owned_list!()
);
pub(crate) const COUNT_ITEMS: &str =
    "SELECT COUNT(*) FROM items WHERE list_id = $1 AND ($2 IS NULL OR done = $2)";
const PAGE_ITEMS: [&str; 4] = by_sort!(
    concat!(
        "SELECT ",
        item_columns!(),
        " FROM items WHERE list_id = $1 AND ($2 IS NULL OR done = $2)"
    ),
    "LIMIT $3 OFFSET $4"
);
/// The four pages of `$head` (a `SELECT … WHERE …`) after a cursor's row, by [`Sort`]: at
/// most `$limit` rows after the one whose id is `$id` and title `$title` (the id breaks ties
/// of titles). The created orders compare `$title` with itself so that every statement takes
/// the same parameters.
macro_rules! keyset {
    ($head:expr, $limit:literal, $id:literal, $title:literal) => {
        [
            concat!(
                $head,
                " AND id > ",
                $id,
                " AND ",
                $title,
                " = ",
                $title,
                " ORDER BY id LIMIT ",
                $limit
            ),
            concat!(
                $head,
                " AND id < ",
                $id,
                " AND ",
                $title,
                " = ",
                $title,
                " ORDER BY id DESC LIMIT ",
                $limit
            ),
            concat!(
                $head,
                " AND (title > ",
                $title,
                " OR (title = ",
                $title,
                " AND id > ",
                $id,
                ")) ORDER BY title, id LIMIT ",
                $limit
            ),
            concat!(
                $head,
                " AND (title < ",
                $title,
                " OR (title = ",
                $title,
                " AND id < ",
                $id,
                ")) ORDER BY title DESC, id DESC LIMIT ",
                $limit
            ),
        ]
    };
}

/// The page of the owner `$1`'s lists after a cursor's row: `$2` rows after id `$3`, title `$4`.
const LISTS_AFTER: [&str; 4] = keyset!(
    concat!(
        "SELECT ",
        list_columns!(),
        " FROM lists WHERE owner_id = $1"
    ),
    "$2",
    "$3",
    "$4"
);
/// The page of the list `$1`'s items (done or not, as `$2` says) after a cursor's row: `$3`
/// rows after id `$4`, title `$5`.
const ITEMS_AFTER: [&str; 4] = keyset!(
    concat!(
        "SELECT ",
        item_columns!(),
        " FROM items WHERE list_id = $1 AND ($2 IS NULL OR done = $2)"
    ),
    "$3",
    "$4",
    "$5"
);
pub(crate) const UPDATE_ITEM: &str = concat!(
    "UPDATE items SET title = COALESCE($1, title), done = COALESCE($2, done), \
     version = version + 1, updated_at = $3 \
     WHERE id = $4 AND list_id = $5 AND version = $6 RETURNING ",
    item_columns!()
);
pub(crate) const DELETE_ITEM: &str =
    "DELETE FROM items WHERE id = $1 AND list_id = $2 AND version = $3";

/// Claims an idempotency key for a request: one row, or none if the key was claimed first.
/// PostgreSQL makes a concurrent claim of the same key wait for the first one's transaction,
/// then do nothing; SQLite's writers take turns anyway.
pub(crate) const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (owner_id, key, fingerprint, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
pub(crate) const KEPT_RESPONSE: &str =
    "SELECT fingerprint, response FROM idempotency_keys WHERE owner_id = $1 AND key = $2";
pub(crate) const KEEP_RESPONSE: &str =
    "UPDATE idempotency_keys SET status = $1, response = $2 WHERE owner_id = $3 AND key = $4";

/// Every item of the owner's lists with its list's title, list by list, in creation order.
pub(crate) const EXPORT_ITEMS: &str = "SELECT lists.title AS list_title, items.id, items.list_id, \
     items.title, items.done, items.version, items.created_at, items.updated_at \
     FROM items JOIN lists ON lists.id = items.list_id \
     WHERE lists.owner_id = $1 ORDER BY lists.id, items.id";

/// The columns counting the job queue's deliveries by state, after the queue's name, in
/// [`JobCountsRow`]'s order. apalis's states: `Pending` (and `Queued`, fetched by a worker
/// and not started), `Running`, `Done`, `Failed` (with attempts left it is tried again; with
/// none it is dead, as is `Killed`, aborted).
macro_rules! job_counts_columns {
    () => {
        " COUNT(CASE WHEN status IN ('Pending', 'Queued') THEN 1 END) AS pending, \
         COUNT(CASE WHEN status = 'Running' THEN 1 END) AS running, \
         COUNT(CASE WHEN status = 'Done' THEN 1 END) AS done, \
         COUNT(CASE WHEN status = 'Failed' AND attempts < max_attempts THEN 1 END) AS failed, \
         COUNT(CASE WHEN status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) \
         THEN 1 END) AS dead"
    };
}

pub(crate) use job_counts_columns;

/// A row of the job counts.
#[derive(Debug, FromRow)]
pub(crate) struct JobCountsRow {
    queue: String,
    pending: i64,
    running: i64,
    done: i64,
    failed: i64,
    dead: i64,
}

impl From<JobCountsRow> for JobCounts {
    fn from(row: JobCountsRow) -> Self {
        // A count is never negative.
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        JobCounts {
            queue: row.queue,
            pending: count(row.pending),
            running: count(row.running),
            done: count(row.done),
            failed: count(row.failed),
            dead: count(row.dead),
        }
    }
}

pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (id, owner_id, action, target_id, at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const PAGE_AUDIT: &str = "SELECT id, action, target_id, at FROM audit_log \
     WHERE owner_id = $1 ORDER BY id DESC LIMIT $2";

/// The page of lists in `sort`'s order.
pub(crate) fn page_lists(sort: Sort) -> &'static str {
    PAGE_LISTS[sort_index(sort)]
}

/// The page of items in `sort`'s order.
pub(crate) fn page_items(sort: Sort) -> &'static str {
    PAGE_ITEMS[sort_index(sort)]
}

/// The page of lists after a cursor's row, in `sort`'s order.
pub(crate) fn lists_after(sort: Sort) -> &'static str {
    LISTS_AFTER[sort_index(sort)]
}

/// The page of items after a cursor's row, in `sort`'s order.
pub(crate) fn items_after(sort: Sort) -> &'static str {
    ITEMS_AFTER[sort_index(sort)]
}

fn sort_index(sort: Sort) -> usize {
    match sort {
        Sort::Created => 0,
        Sort::CreatedDesc => 1,
        Sort::Title => 2,
        Sort::TitleDesc => 3,
    }
}

/// An item with its list's title, as [`EXPORT_ITEMS`] reads it.
#[derive(Debug, FromRow)]
pub(crate) struct ExportRow {
    list_title: String,
    #[sqlx(flatten)]
    item: ItemRow,
}

impl TryFrom<ExportRow> for ExportedItem {
    type Error = sqlx::Error;

    fn try_from(row: ExportRow) -> Result<Self, sqlx::Error> {
        Ok(ExportedItem {
            list_title: row.list_title,
            item: Item::try_from(row.item)?,
        })
    }
}

/// A row of `audit_log`.
#[derive(Debug, FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    action: String,
    target_id: Uuid,
    at: OffsetDateTime,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = sqlx::Error;

    fn try_from(row: AuditRow) -> Result<Self, sqlx::Error> {
        Ok(AuditEntry {
            id: row.id,
            action: row.action,
            target_id: row.target_id,
            at: timestamp(row.at)?,
        })
    }
}

/// A row of `users`.
#[derive(Debug, FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    username: String,
    password_hash: String,
    created_at: OffsetDateTime,
}

impl TryFrom<UserRow> for Credentials {
    type Error = sqlx::Error;

    fn try_from(row: UserRow) -> Result<Self, sqlx::Error> {
        Ok(Credentials {
            user: User {
                id: row.id,
                username: row.username,
                created_at: timestamp(row.created_at)?,
            },
            password_hash: row.password_hash,
        })
    }
}

/// A row of `lists`.
#[derive(Debug, FromRow)]
pub(crate) struct ListRow {
    id: Uuid,
    title: String,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

/// A row of `items`.
#[derive(Debug, FromRow)]
pub(crate) struct ItemRow {
    id: Uuid,
    list_id: Uuid,
    title: String,
    done: bool,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<ListRow> for TodoList {
    type Error = sqlx::Error;

    fn try_from(row: ListRow) -> Result<Self, sqlx::Error> {
        Ok(TodoList {
            id: row.id,
            title: row.title,
            version: row.version,
            created_at: timestamp(row.created_at)?,
            updated_at: timestamp(row.updated_at)?,
        })
    }
}

impl TryFrom<ItemRow> for Item {
    type Error = sqlx::Error;

    fn try_from(row: ItemRow) -> Result<Self, sqlx::Error> {
        Ok(Item {
            id: row.id,
            list_id: row.list_id,
            title: row.title,
            done: row.done,
            version: row.version,
            created_at: timestamp(row.created_at)?,
            updated_at: timestamp(row.updated_at)?,
        })
    }
}

/// The time now, as both databases store it: UTC, to the microsecond (PostgreSQL's
/// precision), so what a write returns is what a later read returns.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let micros = now.microsecond();
    now.replace_microsecond(micros).unwrap_or(now)
}

/// A stored time as the API's timestamp type. Fails only for a time outside jiff's range
/// (years -9999 to 9999), which no row written by this service holds.
fn timestamp(time: OffsetDateTime) -> Result<Timestamp, sqlx::Error> {
    Timestamp::from_nanosecond(time.unix_timestamp_nanos())
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

/// A new row id: UUIDv7, time-ordered, so that sorting by id sorts by creation.
pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Implements [`Repository`](super::Repository) for `$repo`, a backend with a `pool` field
/// (a `sqlx::Pool`), an `effects` field ([`Effects`](super::Effects)), a `begin_write` method
/// starting a transaction that holds the write lock from its start (SQLite's `BEGIN
/// IMMEDIATE`), an `announce` method doing a write's effects in its transaction (the feed's
/// notification, a webhook delivery), and a `JOB_COUNTS` statement: both backends run this
/// same code.
macro_rules! repository_impl {
    ($repo:ty, $db:ty) => {
        // In a block of its own, so that its imports stay in it.
        const _: () = {
            use oxapi::futures::future::BoxFuture;
            use oxapi::types::Uuid;

            use $crate::feed::{Change, ChangeKind};
            use $crate::jobs::{Delivery, DeliveryEvent, JobCounts};
            use $crate::model::{
                AuditEntry, Item, ItemPage, ItemPatch, ListPage, ListPatch, NewItem, NewList,
                PageRequest, TodoList, User,
            };
            use $crate::repo::sql::{self, allowed, changed_meanwhile, unique};
            use $crate::repo::{
                AuditRecord, Created, Credentials, Expect, ExportedItem, IdempotencyKey, Owner,
                RepoError, Repository,
            };

            /// The connection a helper runs on: a transaction's or the pool's.
            type Connection = <$db as sqlx::Database>::Connection;

            /// The version of the owner's list `list_id`, if `expect` allows writing it.
            async fn list_version(
                conn: &mut Connection,
                owner: Owner,
                list_id: Uuid,
                expect: &Expect,
            ) -> Result<i64, RepoError> {
                let version = sqlx::query_scalar(sql::LIST_VERSION)
                    .bind(list_id)
                    .bind(owner.0)
                    .fetch_optional(conn)
                    .await?;
                allowed(version, expect, "list")
            }

            /// The version of item `item_id` of the owner's list `list_id`, if `expect` allows
            /// writing it.
            async fn item_version(
                conn: &mut Connection,
                owner: Owner,
                list_id: Uuid,
                item_id: Uuid,
                expect: &Expect,
            ) -> Result<i64, RepoError> {
                let version = sqlx::query_scalar(sql::ITEM_VERSION)
                    .bind(item_id)
                    .bind(list_id)
                    .bind(owner.0)
                    .fetch_optional(conn)
                    .await?;
                allowed(version, expect, "item")
            }

            /// Claims `key` for the owner's request in the transaction `conn`: `None` if this
            /// request is the first with it, or the body answered to the first one.
            async fn claim(
                conn: &mut Connection,
                owner: Owner,
                key: &IdempotencyKey,
            ) -> Result<Option<String>, RepoError> {
                let claimed = sqlx::query(sql::CLAIM_KEY)
                    .bind(owner.0)
                    .bind(&key.key)
                    .bind(&key.fingerprint)
                    .bind(sql::now())
                    .execute(&mut *conn)
                    .await?;
                if claimed.rows_affected() == 1 {
                    return Ok(None);
                }
                let (fingerprint, response): (String, Option<String>) =
                    sqlx::query_as(sql::KEPT_RESPONSE)
                        .bind(owner.0)
                        .bind(&key.key)
                        .fetch_one(&mut *conn)
                        .await?;
                if fingerprint != key.fingerprint {
                    return Err(RepoError::KeyReused);
                }
                // A claim is kept with its response in one transaction: a claim without one
                // is not visible outside it.
                response.map(Some).ok_or(RepoError::KeyReused)
            }

            /// Keeps `row`, the body of a create's `status` response, under `key`.
            async fn keep<T: serde::Serialize>(
                conn: &mut Connection,
                owner: Owner,
                key: &IdempotencyKey,
                status: u16,
                row: &T,
            ) -> Result<(), RepoError> {
                let response = serde_json::to_string(row)
                    .map_err(|error| RepoError::Database(sqlx::Error::Encode(Box::new(error))))?;
                sqlx::query(sql::KEEP_RESPONSE)
                    .bind(i32::from(status))
                    .bind(response)
                    .bind(owner.0)
                    .bind(&key.key)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// A kept response's body, as the row it showed.
            fn replay<T: serde::de::DeserializeOwned>(
                response: &str,
            ) -> Result<Created<T>, RepoError> {
                let row = serde_json::from_str(response)
                    .map_err(|error| RepoError::Database(sqlx::Error::Decode(Box::new(error))))?;
                Ok(Created {
                    row,
                    replayed: true,
                })
            }

            impl Repository for $repo {
                fn create_user(
                    &self,
                    username: String,
                    password_hash: String,
                ) -> BoxFuture<'_, Result<User, RepoError>> {
                    Box::pin(async move {
                        let row: sql::UserRow = sqlx::query_as(sql::INSERT_USER)
                            .bind(sql::new_id())
                            .bind(username)
                            .bind(password_hash)
                            .bind(sql::now())
                            .fetch_one(&self.pool)
                            .await
                            .map_err(|error| unique("the username is taken", error))?;
                        Ok(Credentials::try_from(row)?.user)
                    })
                }

                fn find_user(
                    &self,
                    username: String,
                ) -> BoxFuture<'_, Result<Option<Credentials>, RepoError>> {
                    Box::pin(async move {
                        let row: Option<sql::UserRow> = sqlx::query_as(sql::USER_BY_NAME)
                            .bind(username)
                            .fetch_optional(&self.pool)
                            .await?;
                        Ok(row.map(Credentials::try_from).transpose()?)
                    })
                }

                fn get_user(&self, id: Uuid) -> BoxFuture<'_, Result<User, RepoError>> {
                    Box::pin(async move {
                        let row: Option<sql::UserRow> = sqlx::query_as(sql::USER_BY_ID)
                            .bind(id)
                            .fetch_optional(&self.pool)
                            .await?;
                        let row = row.ok_or(RepoError::NotFound("user"))?;
                        Ok(Credentials::try_from(row)?.user)
                    })
                }

                fn create_list(
                    &self,
                    owner: Owner,
                    new: NewList,
                    key: Option<IdempotencyKey>,
                ) -> BoxFuture<'_, Result<Created<TodoList>, RepoError>> {
                    Box::pin(async move {
                        let insert = sqlx::query_as(sql::INSERT_LIST)
                            .bind(sql::new_id())
                            .bind(owner.0)
                            .bind(new.title)
                            .bind(sql::now());
                        let title_taken =
                            |error| unique("the owner has a list with this title", error);
                        if key.is_none() && !self.effects.notify {
                            // One statement: no transaction needed.
                            let row: sql::ListRow =
                                insert.fetch_one(&self.pool).await.map_err(title_taken)?;
                            return Ok(Created::new(TodoList::try_from(row)?));
                        }
                        // The key is claimed first: a concurrent retry waits on it, not on
                        // the title, which it would find taken.
                        let mut tx = self.begin_write().await?;
                        if let Some(key) = &key
                            && let Some(response) = claim(&mut tx, owner, key).await?
                        {
                            return replay(&response);
                        }
                        let row: sql::ListRow =
                            insert.fetch_one(&mut *tx).await.map_err(title_taken)?;
                        let list = TodoList::try_from(row)?;
                        if let Some(key) = &key {
                            keep(&mut tx, owner, key, 201, &list).await?;
                        }
                        let change = Change::list(ChangeKind::ListCreated, list.clone());
                        self.announce(&mut tx, owner, &change, None).await?;
                        tx.commit().await?;
                        Ok(Created::new(list))
                    })
                }

                fn get_list(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                ) -> BoxFuture<'_, Result<TodoList, RepoError>> {
                    Box::pin(async move {
                        let row: Option<sql::ListRow> = sqlx::query_as(sql::SELECT_LIST)
                            .bind(list_id)
                            .bind(owner.0)
                            .fetch_optional(&self.pool)
                            .await?;
                        let row = row.ok_or(RepoError::NotFound("list"))?;
                        Ok(TodoList::try_from(row)?)
                    })
                }

                fn list_lists(
                    &self,
                    owner: Owner,
                    page: PageRequest,
                ) -> BoxFuture<'_, Result<ListPage, RepoError>> {
                    Box::pin(async move {
                        let total: i64 = sqlx::query_scalar(sql::COUNT_LISTS)
                            .bind(owner.0)
                            .fetch_one(&self.pool)
                            .await?;
                        let rows: Vec<sql::ListRow> = match &page.after {
                            None => {
                                sqlx::query_as(sql::page_lists(page.sort))
                                    .bind(owner.0)
                                    .bind(i64::from(page.limit))
                                    .bind(i64::from(page.offset))
                                    .fetch_all(&self.pool)
                                    .await?
                            }
                            Some(after) => {
                                sqlx::query_as(sql::lists_after(page.sort))
                                    .bind(owner.0)
                                    .bind(i64::from(page.limit))
                                    .bind(after.id)
                                    .bind(&after.title)
                                    .fetch_all(&self.pool)
                                    .await?
                            }
                        };
                        let items: Vec<TodoList> = rows
                            .into_iter()
                            .map(TodoList::try_from)
                            .collect::<Result<_, _>>()?;
                        let next_cursor = page.next_cursor(
                            items.last().map(|last| (last.id, &last.title)),
                            items.len(),
                        );
                        Ok(ListPage {
                            items,
                            total,
                            next_cursor,
                        })
                    })
                }

                fn update_list(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    patch: ListPatch,
                    expect: Expect,
                ) -> BoxFuture<'_, Result<TodoList, RepoError>> {
                    Box::pin(async move {
                        let mut tx = self.begin_write().await?;
                        let version = list_version(&mut tx, owner, list_id, &expect).await?;
                        let row: Option<sql::ListRow> = sqlx::query_as(sql::UPDATE_LIST)
                            .bind(patch.title)
                            .bind(sql::now())
                            .bind(list_id)
                            .bind(owner.0)
                            .bind(version)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(|error| {
                                unique("the owner has a list with this title", error)
                            })?;
                        let row = row.ok_or(changed_meanwhile(version))?;
                        let list = TodoList::try_from(row)?;
                        let change = Change::list(ChangeKind::ListUpdated, list.clone());
                        self.announce(&mut tx, owner, &change, None).await?;
                        tx.commit().await?;
                        Ok(list)
                    })
                }

                fn delete_list(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    expect: Expect,
                ) -> BoxFuture<'_, Result<(), RepoError>> {
                    Box::pin(async move {
                        let mut tx = self.begin_write().await?;
                        let version = list_version(&mut tx, owner, list_id, &expect).await?;
                        let deleted = sqlx::query(sql::DELETE_LIST)
                            .bind(list_id)
                            .bind(owner.0)
                            .bind(version)
                            .execute(&mut *tx)
                            .await?;
                        if deleted.rows_affected() == 0 {
                            return Err(changed_meanwhile(version));
                        }
                        let change = Change::list_deleted(list_id);
                        self.announce(&mut tx, owner, &change, None).await?;
                        tx.commit().await?;
                        Ok(())
                    })
                }

                fn create_item(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    new: NewItem,
                    key: Option<IdempotencyKey>,
                ) -> BoxFuture<'_, Result<Created<Item>, RepoError>> {
                    Box::pin(async move {
                        // The list's check and the insert agree: no delete of the list between.
                        let mut tx = self.begin_write().await?;
                        if let Some(key) = &key
                            && let Some(response) = claim(&mut tx, owner, key).await?
                        {
                            return replay(&response);
                        }
                        list_version(&mut tx, owner, list_id, &Expect::Any).await?;
                        let row: sql::ItemRow = sqlx::query_as(sql::INSERT_ITEM)
                            .bind(sql::new_id())
                            .bind(list_id)
                            .bind(new.title)
                            .bind(new.done)
                            .bind(sql::now())
                            .fetch_one(&mut *tx)
                            .await?;
                        let item = Item::try_from(row)?;
                        if let Some(key) = &key {
                            keep(&mut tx, owner, key, 201, &item).await?;
                        }
                        let delivery = self.effects.deliveries.map(|_| {
                            Delivery::new(DeliveryEvent::ItemCreated, owner, item.clone())
                        });
                        let change = Change::item(ChangeKind::ItemCreated, item.clone());
                        self.announce(&mut tx, owner, &change, delivery).await?;
                        tx.commit().await?;
                        Ok(Created::new(item))
                    })
                }

                fn get_item(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    item_id: Uuid,
                ) -> BoxFuture<'_, Result<Item, RepoError>> {
                    Box::pin(async move {
                        let row: Option<sql::ItemRow> = sqlx::query_as(sql::SELECT_ITEM)
                            .bind(item_id)
                            .bind(list_id)
                            .bind(owner.0)
                            .fetch_optional(&self.pool)
                            .await?;
                        let row = row.ok_or(RepoError::NotFound("item"))?;
                        Ok(Item::try_from(row)?)
                    })
                }

                fn list_items(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    done: Option<bool>,
                    page: PageRequest,
                ) -> BoxFuture<'_, Result<ItemPage, RepoError>> {
                    Box::pin(async move {
                        let mut conn = self.pool.acquire().await?;
                        list_version(&mut conn, owner, list_id, &Expect::Any).await?;
                        let total: i64 = sqlx::query_scalar(sql::COUNT_ITEMS)
                            .bind(list_id)
                            .bind(done)
                            .fetch_one(&mut *conn)
                            .await?;
                        let rows: Vec<sql::ItemRow> = match &page.after {
                            None => {
                                sqlx::query_as(sql::page_items(page.sort))
                                    .bind(list_id)
                                    .bind(done)
                                    .bind(i64::from(page.limit))
                                    .bind(i64::from(page.offset))
                                    .fetch_all(&mut *conn)
                                    .await?
                            }
                            Some(after) => {
                                sqlx::query_as(sql::items_after(page.sort))
                                    .bind(list_id)
                                    .bind(done)
                                    .bind(i64::from(page.limit))
                                    .bind(after.id)
                                    .bind(&after.title)
                                    .fetch_all(&mut *conn)
                                    .await?
                            }
                        };
                        let items: Vec<Item> = rows
                            .into_iter()
                            .map(Item::try_from)
                            .collect::<Result<_, _>>()?;
                        let next_cursor = page.next_cursor(
                            items.last().map(|last| (last.id, &last.title)),
                            items.len(),
                        );
                        Ok(ItemPage {
                            items,
                            total,
                            next_cursor,
                        })
                    })
                }

                fn update_item(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    item_id: Uuid,
                    patch: ItemPatch,
                    expect: Expect,
                ) -> BoxFuture<'_, Result<Item, RepoError>> {
                    Box::pin(async move {
                        let mut tx = self.begin_write().await?;
                        let state: Option<(i64, bool)> = sqlx::query_as(sql::ITEM_STATE)
                            .bind(item_id)
                            .bind(list_id)
                            .bind(owner.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                        let was_done = state.is_some_and(|(_, done)| done);
                        let version = allowed(state.map(|(version, _)| version), &expect, "item")?;
                        let row: Option<sql::ItemRow> = sqlx::query_as(sql::UPDATE_ITEM)
                            .bind(patch.title)
                            .bind(patch.done)
                            .bind(sql::now())
                            .bind(item_id)
                            .bind(list_id)
                            .bind(version)
                            .fetch_optional(&mut *tx)
                            .await?;
                        let row = row.ok_or(changed_meanwhile(version))?;
                        let item = Item::try_from(row)?;
                        // Completed: `done` turned true in this write (it changed the row at
                        // the version read with `was_done`, or it failed).
                        let completed = !was_done && item.done;
                        let delivery = self.effects.deliveries.filter(|_| completed).map(|_| {
                            Delivery::new(DeliveryEvent::ItemCompleted, owner, item.clone())
                        });
                        let change = Change::item(ChangeKind::ItemUpdated, item.clone());
                        self.announce(&mut tx, owner, &change, delivery).await?;
                        tx.commit().await?;
                        Ok(item)
                    })
                }

                fn delete_item(
                    &self,
                    owner: Owner,
                    list_id: Uuid,
                    item_id: Uuid,
                    expect: Expect,
                ) -> BoxFuture<'_, Result<(), RepoError>> {
                    Box::pin(async move {
                        let mut tx = self.begin_write().await?;
                        let version =
                            item_version(&mut tx, owner, list_id, item_id, &expect).await?;
                        let deleted = sqlx::query(sql::DELETE_ITEM)
                            .bind(item_id)
                            .bind(list_id)
                            .bind(version)
                            .execute(&mut *tx)
                            .await?;
                        if deleted.rows_affected() == 0 {
                            return Err(changed_meanwhile(version));
                        }
                        let change = Change::item_deleted(list_id, item_id);
                        self.announce(&mut tx, owner, &change, None).await?;
                        tx.commit().await?;
                        Ok(())
                    })
                }

                fn record(
                    &self,
                    owner: Owner,
                    record: AuditRecord,
                ) -> BoxFuture<'_, Result<(), RepoError>> {
                    Box::pin(async move {
                        sqlx::query(sql::INSERT_AUDIT)
                            .bind(record.id)
                            .bind(owner.0)
                            .bind(record.action)
                            .bind(record.target_id)
                            .bind(record.at)
                            .execute(&self.pool)
                            .await?;
                        Ok(())
                    })
                }

                fn audit_log(
                    &self,
                    owner: Owner,
                    limit: u32,
                ) -> BoxFuture<'_, Result<Vec<AuditEntry>, RepoError>> {
                    Box::pin(async move {
                        let rows: Vec<sql::AuditRow> = sqlx::query_as(sql::PAGE_AUDIT)
                            .bind(owner.0)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await?;
                        Ok(rows
                            .into_iter()
                            .map(AuditEntry::try_from)
                            .collect::<Result<_, _>>()?)
                    })
                }

                fn export_items(
                    &self,
                    owner: Owner,
                ) -> BoxFuture<'_, Result<Vec<ExportedItem>, RepoError>> {
                    Box::pin(async move {
                        let rows: Vec<sql::ExportRow> = sqlx::query_as(sql::EXPORT_ITEMS)
                            .bind(owner.0)
                            .fetch_all(&self.pool)
                            .await?;
                        Ok(rows
                            .into_iter()
                            .map(ExportedItem::try_from)
                            .collect::<Result<_, _>>()?)
                    })
                }

                fn job_counts(&self) -> BoxFuture<'_, Result<JobCounts, RepoError>> {
                    Box::pin(async move {
                        let row: sql::JobCountsRow = sqlx::query_as(<$repo>::JOB_COUNTS)
                            .bind(&self.effects.queue)
                            .fetch_one(&self.pool)
                            .await?;
                        Ok(JobCounts::from(row))
                    })
                }

                fn close(&self) -> BoxFuture<'_, ()> {
                    Box::pin(self.pool.close())
                }
            }
        };
    };
}

pub(crate) use repository_impl;

use super::{Expect, RepoError};

/// The version a conditional write may change: the row's, if it exists and `expect` allows
/// it.
pub(crate) fn allowed(
    version: Option<i64>,
    expect: &Expect,
    what: &'static str,
) -> Result<i64, RepoError> {
    let version = version.ok_or(RepoError::NotFound(what))?;
    if expect.allows(version) {
        Ok(version)
    } else {
        Err(RepoError::VersionMismatch { current: version })
    }
}

/// The error of a conditional write that found no row at the version it had read: another
/// transaction changed the row in between (PostgreSQL re-checks a row it waited for), so it
/// is at least one version further.
pub(crate) fn changed_meanwhile(version: i64) -> RepoError {
    RepoError::VersionMismatch {
        current: version + 1,
    }
}

/// A write's error: `conflict` if it broke a uniqueness rule.
pub(crate) fn unique(conflict: &'static str, error: sqlx::Error) -> RepoError {
    match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => {
            RepoError::Conflict(conflict)
        }
        _ => RepoError::Database(error),
    }
}
