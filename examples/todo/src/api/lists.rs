//! `/v1/lists`: todo lists.

use std::time::Duration;

use oxapi::futures::StreamExt;
use oxapi::prelude::*;
use oxapi::types::Uuid;
use oxapi::{Event, Router, Sse};

use super::after::AfterWrite;
use super::etag::IfMatch;
use super::idempotency;
use super::{Made, Tagged, made, page, tagged};
use crate::Store;
use crate::auth::{Reader, Writer};
use crate::feed::{Change, ChangeKind, Feed};
use crate::model::{ListPage, ListPatch, NewList, Sort, TodoList};

/// The lists' routes.
pub fn router() -> Router {
    Router::new().prefix("/lists").tag("lists").routes(routes![
        list_lists,
        create_list,
        list_events,
        read_list,
        update_list,
        delete_list
    ])
}

/// List the todo lists, a page at a time.
#[get(
    "",
    responses(400 = "A cursor that is not one of these pages', or both a cursor and an offset")
)]
pub async fn list_lists(
    store: State<Store>,
    user: Reader,
    /// How many lists per page.
    #[query(default = 20, range(min = 1, max = 100))]
    limit: u32,
    /// How many lists to skip.
    #[query(default = 0, range(max = 1_000_000))]
    offset: u32,
    /// The order: `created` (the default), `-created`, `title` or `-title`.
    #[query]
    sort: Option<Sort>,
    /// Start after the last list of a page: its `next_cursor` (instead of `offset`).
    #[query(length(max = 1000))]
    cursor: Option<String>,
) -> Result<Json<ListPage>, ApiError> {
    let page = page(limit, offset, sort, cursor)?;
    Ok(Json(store.list_lists(user.owner(), page).await?))
}

/// Make a todo list.
#[post("", status = 201, responses(409 = "The owner has a list with this title"))]
pub async fn create_list(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// Makes a retried create safe: a request with a key already answered gets the same
    /// answer and makes nothing again; the key with another request is a 422.
    #[header(length(min = 1, max = 255))]
    idempotency_key: Option<String>,
    new: Json<NewList>,
) -> Result<Made<TodoList>, ApiError> {
    let key = idempotency::key(idempotency_key, "/v1/lists", &new.0);
    let created = store.create_list(user.owner(), new.0, key).await?;
    let list = created.row;
    if !created.replayed {
        after.done(
            user.owner(),
            Change::list(ChangeKind::ListCreated, list.clone()),
        );
    }
    let location = format!("/v1/lists/{}", list.id);
    Ok(made(list.version, location, list))
}

/// Follow a list's changes as they happen: Server-Sent Events, one per change, named after
/// its kind (`item.created`, `item.updated`, …). The stream ends after `list.deleted`, and
/// when the server shuts down (clients reconnect, then read the list again).
#[get("/{list_id}/events", responses(404 = "No such list"))]
pub async fn list_events(
    store: State<Store>,
    feed: State<Feed>,
    user: Reader,
    /// The list's id.
    list_id: Uuid,
) -> Result<Sse<Change>, ApiError> {
    // Subscribed first: a change made while the list is read is not lost.
    let changes = feed.subscribe(user.owner(), list_id);
    store.get_list(user.owner(), list_id).await?;
    let events = changes.map(|change| {
        let name = change.kind.name();
        Event::data(change).event(name)
    });
    Ok(Sse::new(events).keep_alive(Duration::from_secs(15)))
}

/// Read one todo list, with its version as its `ETag`.
#[get("/{list_id}", responses(404 = "No such list"))]
pub async fn read_list(
    store: State<Store>,
    user: Reader,
    /// The list's id.
    list_id: Uuid,
) -> Result<Tagged<TodoList>, ApiError> {
    let list = store.get_list(user.owner(), list_id).await?;
    Ok(tagged(list.version, list))
}

/// Change a todo list; with `If-Match`, only if nobody changed it since.
#[patch(
    "/{list_id}",
    responses(
        404 = "No such list",
        409 = "The owner has a list with this title",
        412 = "The list changed since the version `If-Match` names"
    )
)]
pub async fn update_list(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// The list's id.
    list_id: Uuid,
    if_match: IfMatch,
    patch: Json<ListPatch>,
) -> Result<Tagged<TodoList>, ApiError> {
    let list = store
        .update_list(user.owner(), list_id, patch.0, if_match.0)
        .await?;
    after.done(
        user.owner(),
        Change::list(ChangeKind::ListUpdated, list.clone()),
    );
    Ok(tagged(list.version, list))
}

/// Delete a todo list and its items; with `If-Match`, only if nobody changed it since.
#[delete(
    "/{list_id}",
    responses(
        404 = "No such list",
        412 = "The list changed since the version `If-Match` names"
    )
)]
pub async fn delete_list(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// The list's id.
    list_id: Uuid,
    if_match: IfMatch,
) -> Result<NoContent, ApiError> {
    store.delete_list(user.owner(), list_id, if_match.0).await?;
    after.done(user.owner(), Change::list_deleted(list_id));
    Ok(NoContent)
}
