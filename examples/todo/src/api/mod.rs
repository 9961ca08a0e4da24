//! The HTTP API: routers for users, lists and their items, under `/v1`.

pub mod admin;
mod after;
pub mod etag;
pub mod export;
mod idempotency;
pub mod items;
pub mod lists;
pub mod suggest;
pub mod users;

use oxapi::Router;
use oxapi::http::header::{ETAG, HeaderName, LOCATION};
use oxapi::prelude::*;

use crate::model::{Cursor, PageRequest, Sort};

/// The API's routes, under `/v1`.
pub fn router() -> Router {
    Router::new()
        .prefix("/v1")
        .nest(users::router())
        .nest(export::router())
        .nest(suggest::router())
        .nest(lists::router())
        .nest(items::router())
        .nest(admin::router())
}

/// A response showing one row, with its version as its `ETag`.
type Tagged<T> = ([(HeaderName, String); 1], Json<T>);

/// A response to a create: the new row, its `ETag` and its `Location`.
type Made<T> = ([(HeaderName, String); 2], Json<T>);

/// The response showing `row`, at `version`.
fn tagged<T>(version: i64, row: T) -> Tagged<T> {
    ([(ETAG, etag::etag(version))], Json(row))
}

/// The response to the create of `row`, at `version`, now at `location`.
fn made<T>(version: i64, location: String, row: T) -> Made<T> {
    (
        [(ETAG, etag::etag(version)), (LOCATION, location)],
        Json(row),
    )
}

/// A page request from its query parameters: `limit` rows, in `sort`'s order, from `offset`
/// or after the row `cursor` names (a `next_cursor` of a page in the same order).
///
/// # Errors
///
/// 400 for a cursor that is not one of ours in this order, or both a cursor and an offset.
fn page(
    limit: u32,
    offset: u32,
    sort: Option<Sort>,
    cursor: Option<String>,
) -> Result<PageRequest, ApiError> {
    let sort = sort.unwrap_or_default();
    let after = match cursor {
        None => None,
        Some(_) if offset != 0 => {
            return Err(ApiError::bad_request("give `cursor` or `offset`, not both"));
        }
        Some(cursor) => Some(
            Cursor::decode(&cursor)
                .filter(|after| after.sort == sort)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "the cursor is not a `next_cursor` of these pages in this order",
                    )
                })?,
        ),
    };
    Ok(PageRequest {
        limit,
        offset,
        sort,
        after,
    })
}
