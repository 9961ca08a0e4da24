//! `/v1/lists/{list_id}/items`: a list's items, with each row's version as its `ETag` and
//! `If-Match` on updates (412 when the row changed first).

use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::{Reader, Writer};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::model::{Item, ItemPage, ItemPatch, ItemQuery, NewItem, Sort};
use crate::sql;

/// A response showing one row, with its version as its `ETag`.
type Tagged<T> = ([(HeaderName, String); 1], Json<T>);

/// The strong entity tag of a row at `version`: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// What an `If-Match` header lets a write change.
enum Expect {
    /// Any version: no `If-Match`, or `*`.
    Any,
    /// One of these versions (none when every tag was weak or not ours).
    OneOf(Vec<i64>),
}

impl Expect {
    fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}

/// Reads `If-Match` (RFC 9110, section 13.1.1): 422 for a value that is no list of tags.
fn if_match(headers: &HeaderMap) -> Result<Expect, ApiError> {
    let malformed = |why: String| {
        ApiError::invalid(
            "header.if-match",
            "pattern",
            format!("`If-Match` must be `*` or a list of entity tags like \"3\": {why}"),
        )
    };
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(Expect::Any);
    };
    let header = value
        .to_str()
        .map_err(|_| malformed("it is not ASCII".into()))?
        .trim();
    if header == "*" {
        return Ok(Expect::Any);
    }
    let mut versions = Vec::new();
    for tag in header.split(',').map(str::trim) {
        let (weak, quoted) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let opaque = quoted
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|opaque| !opaque.contains('"'))
            .ok_or_else(|| malformed(format!("`{tag}` is no quoted tag")))?;
        if !weak && let Ok(version) = opaque.parse::<i64>() {
            versions.push(version);
        }
    }
    Ok(Expect::OneOf(versions))
}

/// The version of the owner's list `list_id` (404 if none).
async fn list_version(
    conn: &mut PgConnection,
    owner: Uuid,
    list_id: Uuid,
) -> Result<i64, ApiError> {
    sqlx::query_scalar(sql::LIST_VERSION)
        .bind(list_id)
        .bind(owner)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| ApiError::not_found("list"))
}

/// List a list's items, a page at a time, with how many match.
pub async fn list_items(
    State(pool): State<PgPool>,
    user: Reader,
    Path(list_id): Path<Uuid>,
    Query(query): Query<ItemQuery>,
) -> Result<Json<ItemPage>, ApiError> {
    query.validate()?;
    let mut conn = pool.acquire().await?;
    list_version(&mut conn, user.id, list_id).await?;
    let total: i64 = sqlx::query_scalar(sql::COUNT_ITEMS)
        .bind(list_id)
        .bind(query.done)
        .fetch_one(&mut *conn)
        .await?;
    let order = match query.sort {
        Sort::Created => 0,
        Sort::CreatedDesc => 1,
        Sort::Title => 2,
        Sort::TitleDesc => 3,
    };
    let items: Vec<Item> = sqlx::query_as(sql::PAGE_ITEMS[order])
        .bind(list_id)
        .bind(query.done)
        .bind(i64::from(query.limit))
        .bind(i64::from(query.offset))
        .fetch_all(&mut *conn)
        .await?;
    let next_cursor = query.next_cursor(items.last(), items.len());
    Ok(Json(ItemPage {
        items,
        total,
        next_cursor,
    }))
}

/// Add an item to a list: 201 with its `ETag` and `Location`.
pub async fn create_item(
    State(pool): State<PgPool>,
    user: Writer,
    Path(list_id): Path<Uuid>,
    Json(new): Json<NewItem>,
) -> Result<(StatusCode, [(HeaderName, String); 2], Json<Item>), ApiError> {
    new.validate()?;
    // The list's check and the insert agree: no delete of the list between.
    let mut tx = pool.begin().await?;
    list_version(&mut tx, user.id, list_id).await?;
    let item: Item = sqlx::query_as(sql::INSERT_ITEM)
        .bind(Uuid::now_v7())
        .bind(list_id)
        .bind(new.title)
        .bind(new.done)
        .bind(sql::now())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    record(&pool, user.id, "item.created", item.id);
    let headers = [
        (ETAG, etag(item.version)),
        (LOCATION, format!("/v1/lists/{list_id}/items/{}", item.id)),
    ];
    Ok((StatusCode::CREATED, headers, Json(item)))
}

/// Read one item, with its version as its `ETag`.
pub async fn read_item(
    State(pool): State<PgPool>,
    user: Reader,
    Path((list_id, item_id)): Path<(Uuid, Uuid)>,
) -> Result<Tagged<Item>, ApiError> {
    let item: Item = sqlx::query_as(sql::SELECT_ITEM)
        .bind(item_id)
        .bind(list_id)
        .bind(user.id)
        .fetch_optional(&pool)
        .await?
        .ok_or_else(|| ApiError::not_found("item"))?;
    Ok(([(ETAG, etag(item.version))], Json(item)))
}

/// Change an item; with `If-Match`, only if nobody changed it since (else 412).
pub async fn update_item(
    State(pool): State<PgPool>,
    user: Writer,
    Path((list_id, item_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    Json(patch): Json<ItemPatch>,
) -> Result<Tagged<Item>, ApiError> {
    let expect = if_match(&headers)?;
    patch.validate()?;
    let mut tx = pool.begin().await?;
    let version: i64 = sqlx::query_scalar(sql::ITEM_VERSION)
        .bind(item_id)
        .bind(list_id)
        .bind(user.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found("item"))?;
    if !expect.allows(version) {
        return Err(ApiError::version_mismatch(version));
    }
    let item: Item = sqlx::query_as(sql::UPDATE_ITEM)
        .bind(patch.title)
        .bind(patch.done)
        .bind(sql::now())
        .bind(item_id)
        .bind(list_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        // Another transaction changed the row between the read and the update.
        .ok_or_else(|| ApiError::version_mismatch(version + 1))?;
    tx.commit().await?;
    record(&pool, user.id, "item.updated", item.id);
    Ok(([(ETAG, etag(item.version))], Json(item)))
}

/// Writes `action` on `target` to the user's audit log in a task of its own, as oxapi's todo
/// does after its response: the client does not wait for it, a failure is only logged.
fn record(pool: &PgPool, owner: Uuid, action: &'static str, target: Uuid) {
    let (pool, id, at) = (pool.clone(), Uuid::now_v7(), sql::now());
    tokio::spawn(async move {
        let written = sqlx::query(sql::INSERT_AUDIT)
            .bind(id)
            .bind(owner)
            .bind(action)
            .bind(target)
            .bind(at)
            .execute(&pool)
            .await;
        if let Err(error) = written {
            eprintln!("audit log write failed: {error}");
        }
    });
}
