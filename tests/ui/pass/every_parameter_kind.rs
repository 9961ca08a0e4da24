//! One handler that takes every kind of parameter oxapi extracts.

use oxapi::prelude::*;

#[model]
struct Page {
    #[serde(default)]
    offset: u64,
}

#[model]
struct NewPart {
    #[validate(length(min = 1))]
    name: String,
}

#[derive(Debug)]
struct Db;

#[post("/items/{id}/files/{*rest}")]
#[allow(clippy::too_many_arguments)]
async fn upload(
    id: u64,
    rest: String,
    page: Query<Page>,
    #[query] limit: Option<u32>,
    #[header] x_request_id: Option<String>,
    #[cookie] session: Option<String>,
    db: State<Db>,
    headers: HeaderMap,
    method: oxapi::Method,
    uri: oxapi::Uri,
    part: Json<NewPart>,
) -> String {
    format!(
        "{id} {rest} {} {limit:?} {x_request_id:?} {session:?} {:?} {} {method} {uri} {}",
        page.offset,
        *db,
        headers.len(),
        part.name,
    )
}

fn main() {
    let _app = App::new().state(Db).routes(routes![upload]);
}
