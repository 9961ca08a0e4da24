//! The HTTP API: routers for users, lists and their items, under `/v1`.

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

use crate::model::{PageRequest, Sort};

/// The API's routes, under `/v1`.
pub fn router() -> Router {
    Router::new()
        .prefix("/v1")
        .nest(users::router())
        .nest(export::router())
        .nest(suggest::router())
        .nest(lists::router())
        .nest(items::router())
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

/// A page request from its query parameters.
fn page(limit: u32, offset: u32, sort: Option<Sort>) -> PageRequest {
    PageRequest {
        limit,
        offset,
        sort: sort.unwrap_or_default(),
    }
}
