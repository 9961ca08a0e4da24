//! The oxapi example service: greetings and a small item catalogue.
//!
//! Every behaviour here is relied on by the end-to-end tests; change them together.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use oxapi::prelude::*;
use oxapi::{ContactInfo, LicenseInfo};

/// A greeting.
#[model]
#[schemars(example = Greeting { message: "Hello, Ada!".into() })]
pub struct Greeting {
    /// The greeting text.
    pub message: String,
}

/// An item of the catalogue, as listed.
#[model]
#[schemars(example = ItemSummary { id: 7, name: "item 7".into() })]
pub struct ItemSummary {
    /// The item's id.
    pub id: u64,
    /// The item's name.
    pub name: String,
}

/// Paging of the item list.
#[model]
pub struct Page {
    /// How many items to return, 1 to 100.
    #[serde(default = "default_limit")]
    #[validate(range(min = 1, max = 100))]
    pub limit: u32,
    /// How many items to skip.
    #[serde(default)]
    pub offset: u64,
}

fn default_limit() -> u32 {
    10
}

/// A new item.
#[model]
#[schemars(example = NewItem { name: "pen".into(), price: 1.5 })]
pub struct NewItem {
    /// The item's name, 1 to 50 characters.
    #[validate(length(min = 1, max = 50))]
    pub name: String,
    /// The item's price, not negative.
    #[validate(range(min = 0.0))]
    pub price: f64,
}

/// An item, as created.
#[model]
#[schemars(example = Item { id: 1, name: "pen".into(), price: 1.5 })]
pub struct Item {
    /// The item's id.
    pub id: u64,
    /// The item's name.
    pub name: String,
    /// The item's price.
    pub price: f64,
}

/// Where new item ids come from.
#[derive(Debug, Default)]
pub struct IdSequence(AtomicU64);

impl IdSequence {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Say hello.
///
/// Runs on the event loop.
#[get("/hello/{name}", tags = ["greetings"])]
pub async fn hello(name: String) -> Json<Greeting> {
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
}

/// Say hello from the blocking pool.
///
/// A plain `fn`: it runs on an `oxapi-blocking-N` thread, whose name the `x-thread` header
/// reports.
#[get("/sync/hello/{name}", tags = ["greetings"])]
pub fn sync_hello(name: String) -> ([(&'static str, String); 1], Json<Greeting>) {
    let thread = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    (
        [("x-thread", thread)],
        Json(Greeting {
            message: format!("Hello, {name}!"),
        }),
    )
}

/// Read one item.
///
/// Item 0 does not exist.
#[get("/items/{id}", tags = ["items"], responses(404 = "No item has this id."))]
pub async fn read_item(id: u64) -> Result<Json<ItemSummary>, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("item 0 does not exist"));
    }
    Ok(Json(ItemSummary {
        id,
        name: format!("item {id}"),
    }))
}

/// List items.
#[get("/items", tags = ["items"])]
pub async fn list_items(page: Query<Page>) -> Json<Vec<ItemSummary>> {
    let Page { limit, offset } = page.0;
    // Ids end at u64::MAX: a page past the end is short, not an overflow.
    // `limit` is at most 100 (validated): the list is allocated once.
    let mut items = Vec::with_capacity(limit as usize);
    items.extend(
        (1..=u64::from(limit))
            .map_while(|n| offset.checked_add(n))
            .map(|id| ItemSummary {
                id,
                name: format!("item {id}"),
            }),
    );
    Json(items)
}

/// Create an item.
#[post("/items", tags = ["items"], status = 201)]
pub async fn create_item(ids: State<IdSequence>, body: Json<NewItem>) -> Json<Item> {
    let NewItem { name, price } = body.0;
    Json(Item {
        id: ids.next(),
        name,
        price,
    })
}

/// Answer after 50 ms.
///
/// Sleeps with tokio, so the event loop serves other requests meanwhile.
#[get("/slow", tags = ["waiting"])]
pub async fn slow() -> &'static str {
    oxapi::tokio::time::sleep(Duration::from_millis(50)).await;
    "ok"
}

/// The service.
pub fn app() -> App {
    App::new()
        .title("Hello API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(
            "The oxapi example service: greetings, on the event loop and on the blocking pool, \
             and a small item catalogue.",
        )
        .tag("greetings", "Saying hello.")
        .tag("items", "The item catalogue.")
        .tag(
            "waiting",
            "Slow answers, to watch the event loop serve others meanwhile.",
        )
        .server(
            "http://127.0.0.1:8000",
            "A local run of `cargo run -p hello`.",
        )
        .contact(ContactInfo {
            name: Some("oxapi".into()),
            url: None,
            email: None,
        })
        .license(LicenseInfo {
            name: "MIT OR Apache-2.0".into(),
            url: None,
            identifier: Some("MIT OR Apache-2.0".into()),
        })
        .state(IdSequence::default())
        .routes(routes![
            hello,
            sync_hello,
            read_item,
            list_items,
            create_item,
            slow
        ])
}
