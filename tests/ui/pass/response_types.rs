//! Handlers returning each kind of response, sync and async, and `#[route]` with any method.

use oxapi::prelude::*;

#[model]
struct Item {
    id: u64,
}

/// A plain `fn` runs on the blocking pool.
#[get("/items/{id}")]
fn read_item(id: u64) -> Result<Json<Item>, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("no item 0"));
    }
    Ok(Json(Item { id }))
}

#[post("/items", status = 201, tags = ["items"], operation_id = "createItem", body_limit = 1024)]
async fn create_item(item: Json<Item>) -> Created<Item> {
    Created(item.0)
}

#[delete("/items/{id}")]
async fn delete_item(id: u64) -> NoContent {
    let _ = id;
    NoContent
}

#[get("/old-items", hidden)]
async fn old_items() -> Redirect {
    Redirect::permanent("/items")
}

#[put("/items/{id}")]
async fn replace_item(id: u64, item: Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::ACCEPTED, Json(Item { id: id + item.id }))
}

#[route(method = "PURGE", path = "/cache")]
async fn purge_cache() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// An opaque return type cannot be named in the generated code; it is converted all the same.
#[get("/opaque")]
fn opaque() -> impl IntoResponse {
    "opaque"
}

fn main() {
    let _app = App::new().routes(routes![
        read_item,
        create_item,
        delete_item,
        old_items,
        replace_item,
        purge_cache,
        opaque,
    ]);
}
