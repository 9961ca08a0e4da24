//! The benchmark service on oxapi: `examples/hello` as it is (models, routes, status codes),
//! plus `GET /io` and the isolation benchmark's slow routes, served on a tokio runtime with ONE
//! worker thread (the blocking pool keeps its default size).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use oxapi::prelude::*;

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

/// A finished piece of work.
#[model]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

/// Say hello.
#[get("/hello/{name}", tags = ["greetings"])]
pub async fn hello(name: String) -> Json<Greeting> {
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
}

/// Say hello from the blocking pool.
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
    let items = (offset + 1..=offset + u64::from(limit))
        .map(|id| ItemSummary {
            id,
            name: format!("item {id}"),
        })
        .collect();
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

/// Answer after 50 ms (examples/hello's route, kept so the app is the example's).
#[get("/slow")]
pub async fn slow() -> &'static str {
    oxapi::tokio::time::sleep(Duration::from_millis(50)).await;
    "ok"
}

/// Waits 10 ms on the event loop, like a call to a database or another service.
#[get("/io")]
pub async fn io() -> Json<Done> {
    oxapi::tokio::time::sleep(Duration::from_millis(10)).await;
    Json(Done { ok: true })
}

/// 50 ms of CPU time, on the blocking pool.
#[get("/work/cpu")]
pub fn work_cpu() -> Json<Done> {
    std::hint::black_box(bench_work::burn_cpu());
    Json(Done { ok: true })
}

/// A 50 ms blocking sleep, on the blocking pool.
#[get("/work/sleep")]
pub fn work_sleep() -> Json<Done> {
    bench_work::block_sleep();
    Json(Done { ok: true })
}

fn app() -> App {
    App::new()
        .title("Hello API")
        .version(env!("CARGO_PKG_VERSION"))
        .tag("greetings", "Saying hello.")
        .tag("items", "The item catalogue.")
        .state(IdSequence::default())
        .routes(routes![
            hello,
            sync_hello,
            read_item,
            list_items,
            create_item,
            slow,
            io,
            work_cpu,
            work_sleep
        ])
}

fn main() -> ExitCode {
    let addr = bench_work::bind_addr();
    // `App::run` would build a runtime with one worker per core; the benchmark gives every
    // server one core, so: one worker thread, everything else as `App::run` has it.
    let runtime = oxapi::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(app().serve(addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
