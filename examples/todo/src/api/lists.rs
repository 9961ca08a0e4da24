//! `/v1/lists`: todo lists.

use oxapi::Router;
use oxapi::prelude::*;
use oxapi::types::Uuid;

use super::etag::IfMatch;
use super::{Made, Tagged, made, page, tagged};
use crate::Store;
use crate::auth::{Reader, Writer};
use crate::model::{ListPage, ListPatch, NewList, Sort, TodoList};

/// The lists' routes.
pub fn router() -> Router {
    Router::new().prefix("/lists").tag("lists").routes(routes![
        list_lists,
        create_list,
        read_list,
        update_list,
        delete_list
    ])
}

/// List the todo lists, a page at a time.
#[get("")]
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
) -> Result<Json<ListPage>, ApiError> {
    Ok(Json(
        store
            .list_lists(user.owner(), page(limit, offset, sort))
            .await?,
    ))
}

/// Make a todo list.
#[post("", status = 201, responses(409 = "The owner has a list with this title"))]
pub async fn create_list(
    store: State<Store>,
    user: Writer,
    new: Json<NewList>,
) -> Result<Made<TodoList>, ApiError> {
    let list = store.create_list(user.owner(), new.0).await?;
    let location = format!("/v1/lists/{}", list.id);
    Ok(made(list.version, location, list))
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
    /// The list's id.
    list_id: Uuid,
    if_match: IfMatch,
    patch: Json<ListPatch>,
) -> Result<Tagged<TodoList>, ApiError> {
    let list = store
        .update_list(user.owner(), list_id, patch.0, if_match.0)
        .await?;
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
    /// The list's id.
    list_id: Uuid,
    if_match: IfMatch,
) -> Result<NoContent, ApiError> {
    store.delete_list(user.owner(), list_id, if_match.0).await?;
    Ok(NoContent)
}
