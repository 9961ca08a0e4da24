//! An app whose routes take every kind of extractor, for the bad-input property tests
//! (`tests/e2e/bad_input.rs`) and the fuzz target (`fuzz/fuzz_targets/request_path.rs`).
//!
//! Every handler accepts whatever its extractors let through and answers 2xx, so any 5xx
//! the app gives is the framework's fault: a panic, an unmapped error, a wrong status.

use oxapi::cookies::CookieJar;
use oxapi::prelude::*;
use oxapi::security::{ApiKey, ApiKeyLocation, ApiKeyName, HttpBasic, HttpBearer};
use oxapi::{Multipart, Rejection, Value};

/// A colour, parsed from its lowercase name.
#[model]
#[serde(rename_all = "lowercase")]
pub enum Color {
    /// Red.
    Red,
    /// Green.
    Green,
}

/// Query fields of every common type.
#[model]
pub struct Filters {
    /// A required count.
    pub count: u32,
    /// An optional ratio.
    pub ratio: Option<f64>,
    /// Tags, repeated: `tag=a&tag=b`.
    #[serde(default)]
    pub tag: Vec<String>,
    /// An optional flag.
    pub flag: Option<bool>,
}

/// An order: a nested model with validated fields.
#[model]
pub struct Order {
    /// Who orders.
    #[validate(length(min = 1, max = 50))]
    pub customer: String,
    /// The lines, each checked.
    #[validate(nested)]
    pub lines: Vec<Line>,
    /// Where it goes, if anywhere.
    #[validate(nested)]
    pub address: Option<Address>,
}

/// One line of an order.
#[model]
pub struct Line {
    /// How many.
    #[validate(range(min = 1))]
    pub quantity: u32,
    /// At what unit price.
    #[validate(range(min = 0.0))]
    pub price: f64,
}

/// A postal address.
#[model]
pub struct Address {
    /// The street.
    #[validate(length(min = 1))]
    pub street: String,
    /// The postal code.
    #[validate(length(min = 4, max = 6))]
    pub postcode: String,
}

/// A login form.
#[model]
pub struct Login {
    /// The user name.
    #[validate(length(min = 3))]
    pub user: String,
    /// Whether to stay logged in.
    pub remember: Option<bool>,
}

/// The API key sent in `x-api-key`.
#[derive(Debug)]
pub struct HeaderKey;

impl ApiKeyName for HeaderKey {
    const NAME: &'static str = "x-api-key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
}

#[get("/path/{id}/{offset}/{ratio}/{flag}/{color}/{uuid}")]
async fn typed_path(
    id: u64,
    offset: i32,
    ratio: f64,
    flag: bool,
    color: Color,
    uuid: oxapi::types::Uuid,
) -> String {
    format!("{id} {offset} {ratio} {flag} {color:?} {uuid}")
}

#[get("/files/{*rest}")]
async fn files(rest: String) -> String {
    rest
}

#[get("/query")]
async fn query(
    filters: Query<Filters>,
    #[query] limit: Option<u8>,
    #[query("page-size")] page_size: Option<i64>,
) -> String {
    format!("{} {limit:?} {page_size:?}", filters.count)
}

#[get("/headers")]
async fn headers(
    #[header("x-count")] count: Option<u16>,
    #[header] x_request_id: Option<String>,
    #[cookie] session: Option<String>,
    jar: CookieJar,
) -> String {
    format!(
        "{count:?} {x_request_id:?} {session:?} {}",
        jar.iter().count()
    )
}

#[post("/order")]
async fn order(order: Json<Order>) -> String {
    format!("{} lines", order.lines.len())
}

#[post("/value")]
async fn value(value: Json<Value>) -> String {
    format!("{} bytes of JSON", value.to_string().len())
}

#[post("/order/blocking")]
fn order_blocking(order: Json<Order>) -> String {
    format!("{} lines", order.lines.len())
}

#[post("/login")]
async fn login(form: Form<Login>) -> String {
    format!("{} {:?}", form.user, form.remember)
}

#[post("/upload")]
async fn upload(mut multipart: Multipart) -> Result<String, Rejection> {
    let mut parts = 0_usize;
    while let Some(mut field) = multipart.next_field().await? {
        while field.chunk().await?.is_some() {}
        parts += 1;
    }
    Ok(format!("{parts} parts"))
}

#[post("/bytes")]
async fn bytes(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[post("/text")]
async fn text(body: String) -> String {
    format!("{} chars", body.chars().count())
}

#[get("/secure/bearer")]
async fn bearer(bearer: HttpBearer) -> String {
    format!("{} token bytes", bearer.token().len())
}

#[get("/secure/basic")]
async fn basic(credentials: HttpBasic) -> String {
    format!("{} user bytes", credentials.username().len())
}

#[get("/secure/key")]
async fn key(key: ApiKey<HeaderKey>) -> String {
    format!("key matches: {}", key.matches("s3cret"))
}

/// The app: one route per extractor kind, a blocking (`fn`) route among them.
pub fn app() -> App {
    App::new().routes(routes![
        typed_path,
        files,
        query,
        headers,
        order,
        order_blocking,
        value,
        login,
        upload,
        bytes,
        text,
        bearer,
        basic,
        key
    ])
}

/// A request every app here answers with 200, to check the server still serves.
pub const KNOWN_GOOD_PATH: &str = "/query?count=1";
