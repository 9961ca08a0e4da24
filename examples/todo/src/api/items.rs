//! `/v1/lists/{list_id}/items`: the items of a list.

use oxapi::Router;
use oxapi::prelude::*;
use oxapi::types::Uuid;

use super::after::AfterWrite;
use super::etag::IfMatch;
use super::idempotency;
use super::{Made, Tagged, made, page, tagged};
use crate::Store;
use crate::auth::{Reader, Writer};
use crate::feed::{Change, ChangeKind};
use crate::model::{Item, ItemPage, ItemPatch, NewItem, Sort};

/// The items' routes.
pub fn router() -> Router {
    Router::new().prefix("/lists").tag("items").routes(routes![
        list_items,
        create_item,
        read_item,
        update_item,
        delete_item
    ])
}

/// List a list's items, a page at a time.
#[get(
    "/{list_id}/items",
    responses(
        400 = "A cursor that is not one of these pages', or both a cursor and an offset",
        404 = "No such list"
    )
)]
pub async fn list_items(
    store: State<Store>,
    user: Reader,
    /// The list's id.
    list_id: Uuid,
    /// Only the items done (`true`) or not done (`false`).
    #[query]
    done: Option<bool>,
    /// How many items per page.
    #[query(default = 20, range(min = 1, max = 100))]
    limit: u32,
    /// How many items to skip.
    #[query(default = 0, range(max = 1_000_000))]
    offset: u32,
    /// The order: `created` (the default), `-created`, `title` or `-title`.
    #[query]
    sort: Option<Sort>,
    /// Start after the last item of a page: its `next_cursor` (instead of `offset`).
    #[query(length(max = 1000))]
    cursor: Option<String>,
) -> Result<Json<ItemPage>, ApiError> {
    let page = page(limit, offset, sort, cursor)?;
    Ok(Json(
        store.list_items(user.owner(), list_id, done, page).await?,
    ))
}

/// Add an item to a list.
#[post("/{list_id}/items", status = 201, responses(404 = "No such list"))]
pub async fn create_item(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// The list's id.
    list_id: Uuid,
    /// Makes a retried create safe: a request with a key already answered gets the same
    /// answer and makes nothing again; the key with another request is a 422.
    #[header(length(min = 1, max = 255))]
    idempotency_key: Option<String>,
    new: Json<NewItem>,
) -> Result<Made<Item>, ApiError> {
    let items = format!("/v1/lists/{list_id}/items");
    let key = idempotency::key(idempotency_key, &items, &new.0);
    let created = store.create_item(user.owner(), list_id, new.0, key).await?;
    let item = created.row;
    if !created.replayed {
        after.done(
            user.owner(),
            Change::item(ChangeKind::ItemCreated, item.clone()),
        );
    }
    let location = format!("{items}/{}", item.id);
    Ok(made(item.version, location, item))
}

/// Read one item, with its version as its `ETag`.
#[get("/{list_id}/items/{item_id}", responses(404 = "No such list or item"))]
pub async fn read_item(
    store: State<Store>,
    user: Reader,
    /// The list's id.
    list_id: Uuid,
    /// The item's id.
    item_id: Uuid,
) -> Result<Tagged<Item>, ApiError> {
    let item = store.get_item(user.owner(), list_id, item_id).await?;
    Ok(tagged(item.version, item))
}

/// Change an item; with `If-Match`, only if nobody changed it since.
#[patch(
    "/{list_id}/items/{item_id}",
    responses(
        404 = "No such list or item",
        412 = "The item changed since the version `If-Match` names"
    )
)]
pub async fn update_item(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// The list's id.
    list_id: Uuid,
    /// The item's id.
    item_id: Uuid,
    if_match: IfMatch,
    patch: Json<ItemPatch>,
) -> Result<Tagged<Item>, ApiError> {
    let item = store
        .update_item(user.owner(), list_id, item_id, patch.0, if_match.0)
        .await?;
    after.done(
        user.owner(),
        Change::item(ChangeKind::ItemUpdated, item.clone()),
    );
    Ok(tagged(item.version, item))
}

/// Delete an item; with `If-Match`, only if nobody changed it since.
#[delete(
    "/{list_id}/items/{item_id}",
    responses(
        404 = "No such list or item",
        412 = "The item changed since the version `If-Match` names"
    )
)]
pub async fn delete_item(
    store: State<Store>,
    user: Writer,
    after: AfterWrite,
    /// The list's id.
    list_id: Uuid,
    /// The item's id.
    item_id: Uuid,
    if_match: IfMatch,
) -> Result<NoContent, ApiError> {
    store
        .delete_item(user.owner(), list_id, item_id, if_match.0)
        .await?;
    after.done(user.owner(), Change::item_deleted(list_id, item_id));
    Ok(NoContent)
}
