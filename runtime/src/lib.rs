//! oxapi: declarative HTTP APIs for Rust.
//!
//! Write plain functions with a route attribute; oxapi generates, at compile time, the
//! routing, the typed extraction of every parameter, the dispatch (an `async fn` is awaited
//! on the event loop, a plain `fn` runs on a bounded blocking pool) and the errors, as RFC 9457
//! problem details. A small runtime on hyper and tokio serves it.
//!
//! ```
//! use oxapi::prelude::*;
//!
//! /// A thing we sell.
//! #[model]
//! struct Item {
//!     id: u64,
//!     #[validate(length(min = 1, max = 50))]
//!     name: String,
//! }
//!
//! /// Read one item.
//! #[get("/items/{id}")]
//! async fn read_item(id: u64) -> Result<Json<Item>, ApiError> {
//!     if id == 0 {
//!         return Err(ApiError::not_found("no item 0"));
//!     }
//!     Ok(Json(Item { id, name: format!("item {id}") }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = App::new().routes(routes![read_item]).test_client();
//! let response = client.get("/items/7").send().await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.text(), r#"{"id":7,"name":"item 7"}"#);
//! assert_eq!(client.get("/items/x").send().await.status(), 422);
//! # }
//! ```
//!
//! A service's `main` is `App::new().routes(routes![..]).run()`: see [`App::run`].
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings), allow(dead_code))))]

// The layers, lowest first; each module uses only those above it in this list.
mod any_error;
mod app;
mod background;
mod blocking;
mod body;
mod build_error;
mod check;
mod context;
pub mod cookies;
mod dependency;
mod dispatch;
mod docs;
mod error;
mod error_handlers;
mod extract;
mod files;
mod handler;
mod head_watch;
mod health;
mod lenient;
mod lifespan;
mod limits;
mod metrics;
pub mod middleware;
mod multipart;
mod pool;
mod problem;
mod proxy;
mod report;
mod response;
mod route;
mod routing;
mod run;
pub mod security;
mod server;
mod service;
mod stall;
mod stream;
mod test_client;
mod tls;
mod validate;
mod workers;
pub mod ws;
// After `validate`, whose trait it implements for each type.
pub mod types;

pub use any_error::Error;
pub use app::{App, DEFAULT_BODY_LIMIT, DEFAULT_SHUTDOWN_GRACE};
pub use background::{BackgroundTasks, TaskOutcome};
pub use blocking::{BlockingError, BlockingPool};
pub use body::{Body, BoxError};
pub use build_error::{BuildError, BuildErrors};
pub use context::{RequestContext, RouteContext};
pub use dependency::{Depends, Outcome, Teardown};
pub use error::{ApiError, HttpError};
pub use extract::{
    BodyStream, ClientAddr, ClientScheme, Cookie, Extension, Form, FromRequest, FromRequestParts,
    Header, Json, MatchedPath, PeerAddr, Query, Rejection, State,
};
pub use files::{FileRequest, FileResponse, StaticFiles};
pub use handler::Request;
pub use health::{DEFAULT_LIVENESS_PATH, DEFAULT_READINESS_PATH};
pub use lenient::{FromText, Lenient};
pub use lifespan::{
    BackgroundTaskStats, DEFAULT_BACKGROUND_TASK_LIMIT, HookOutput, Lifespan, LifespanHandle,
    LifespanState, StartupError,
};
pub use limits::ServerLimits;
pub use multipart::{
    DEFAULT_MAX_PARTS, DEFAULT_PART_LIMIT, DEFAULT_SPOOL_THRESHOLD, Field, FormPart, FromMultipart,
    Multipart, MultipartConfig, MultipartForm, UploadFile, UploadReader,
};
pub use oxapi_openapi::{
    ContactInfo, ErrorSpec, FrameworkError, LicenseInfo, OperationDoc, OperationIdInput,
    OperationIdStrategy, PROBLEM_JSON, ParamDoc, ParamLocation, ParamRules, Tag, Webhook,
};
pub use pool::{BlockingPoolStats, BlockingPriority};
pub use problem::{FieldError, Problem};
pub use proxy::ProxyHeaders;
pub use report::FrameworkErrorReport;
pub use response::{Created, Html, IntoResponse, IntoResponseParts, NoContent, Redirect, Response};
pub use route::RouteDef;
pub use routing::Router;
pub use run::{DEFAULT_BIND, ServeError};
pub use stall::{DEFAULT_STALL_THRESHOLD, StallStats};
pub use stream::{Event, JsonLines, LastEventId, Sse, Streaming};
pub use test_client::{TestClient, TestRequest, TestResponse, TestWebSocket};
pub use tls::{DEFAULT_HANDSHAKE_TIMEOUT, TlsConfig, TlsError};
pub use validate::{Validate, ValidationErrors};

pub use bytes::Bytes;
/// Streams and their combinators (`futures-util`), re-exported for [`Streaming`], [`Sse`],
/// [`JsonLines`] and [`BodyStream`], so that services need no other dependency for them.
pub use futures_util as futures;
pub use http::{self, HeaderMap, Method, StatusCode, Uri};
/// Any JSON value, for ad-hoc bodies: `Json<Value>` reads or sends any JSON.
pub use serde_json::Value;
/// Builds a [`Value`] from JSON syntax: `Json(oxapi::json!({"ok": true}))`.
pub use serde_json::json;
/// The async runtime oxapi serves on, re-exported so that services need no other dependency
/// for timers, I/O and tasks.
pub use tokio;

/// Declares a `GET` route; it also answers `HEAD`.
///
/// ```
/// use oxapi::prelude::*;
///
/// /// Read one item.
/// #[get("/items/{id}", tags = ["items"])]
/// async fn read_item(id: u64, #[query] verbose: Option<bool>) -> String {
///     format!("item {id}, verbose: {verbose:?}")
/// }
///
/// // The function stays a normal function.
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// assert_eq!(read_item(1, None).await, "item 1, verbose: None");
/// # }
/// ```
///
/// The first argument is the path template: `{name}` matches one segment and fills the
/// parameter of that name; a trailing `{*rest}` matches the rest of the path. Every other
/// parameter is an extractor (`Json<T>`, `Query<T>`, `State<T>`, `HeaderMap`, ...) or a
/// single value marked `#[query]`, `#[header]` or `#[cookie]`. Options:
///
/// - `tags = ["a", "b"]`: the operation's tags.
/// - `status = 201`: the status of a plain success; a status the handler returns itself
///   (`(StatusCode::OK, body)`) is kept.
/// - `operation_id = "name"`: the OpenAPI operation id (default: the function's name, or as
///   [`App::operation_ids`] names it).
/// - `responses(404 = "No such item", 409 = Conflict, 410 = ("Gone", Message))`: more statuses,
///   each with a description, a model (`application/json`, described by its doc comment), or
///   both.
/// - `response_description = "The item"`: the success response's description.
/// - `openapi_extra = r#"{"x-internal": true}"#`: a JSON object merged into the operation.
/// - `hidden`: leave the operation out of the documentation.
/// - `body_limit = 1048576`: this route's largest body, in bytes.
/// - `timeout = "5s"` (or `"250ms"`, `"2m"`): this route's request timeout, over its routers'
///   and the app's ([`App::request_timeout`]): past it the client gets a `504` problem.
/// - `allow_blocking`: do not read this `async fn`'s body for blocking calls (below).
/// - `crate = path`: where `oxapi` is, if renamed.
///
/// An `async fn` runs on the event loop; a plain `fn` runs on the blocking pool, so it may
/// block or compute without stalling other requests. In an `async fn`'s own body, a call known
/// to block the thread (`std::thread::sleep`, `std::fs::read`, `std::net::TcpStream::connect`,
/// `std::process::Command::output`, `reqwest::blocking::get`, ...) is a compile error saying
/// what to use instead, unless it is awaited or handed to `spawn_blocking`; the README's
/// "Blocking calls in an `async fn`" lists them.
///
/// ```compile_fail
/// use oxapi::prelude::*;
///
/// #[get("/slow")]
/// async fn slow() -> &'static str {
///     std::thread::sleep(std::time::Duration::from_millis(10)); // use tokio::time::sleep
///     "done"
/// }
/// # fn main() {}
/// ```
pub use oxapi_macros::get;

/// Declares a `POST` route. See [`get`] for the options.
pub use oxapi_macros::post;

/// Declares a `PUT` route. See [`get`] for the options.
pub use oxapi_macros::put;

/// Declares a `PATCH` route. See [`get`] for the options.
pub use oxapi_macros::patch;

/// Declares a `DELETE` route. See [`get`] for the options.
pub use oxapi_macros::delete;

/// Declares a `HEAD` route. See [`get`] for the options.
pub use oxapi_macros::head;

/// Declares an `OPTIONS` route. See [`get`] for the options.
pub use oxapi_macros::options;

/// Declares a route with any method: `#[route(method = "PURGE", path = "/cache")]`.
/// See [`get`] for the other options.
pub use oxapi_macros::route;

/// Declares a WebSocket route: a `GET` whose handler runs after the connection is upgraded.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::ws::WebSocket;
///
/// /// Echo every message of a room back, prefixed with the room's name.
/// #[websocket("/ws/{room}")]
/// async fn echo(room: String, mut socket: WebSocket) {
///     while let Some(Ok(message)) = socket.recv().await {
///         let text = String::from_utf8_lossy(message.as_bytes()).into_owned();
///         if socket.send_message(format!("{room}: {text}")).await.is_err() {
///             break;
///         }
///     }
/// }
/// # fn main() { let _ = App::new().routes(routes![echo]); }
/// ```
///
/// Path parameters and extractors work as on any route, and run before the upgrade: one that
/// rejects (a missing token, say) answers with its HTTP error and no WebSocket opens. One
/// parameter is the socket, `WebSocket` (raw messages) or `WebSocket<ClientMsg, ServerMsg>`
/// (JSON of `#[model]` types); the handler is an `async fn` returning `()` or
/// `Result<(), E>`. A request that is not a WebSocket handshake gets a 426 problem. The
/// operation is documented as a `GET` with a `101` response, and the message schemas in its
/// `x-websocket` extension (`client`, `server`). Takes [`get`]'s options but `status`,
/// `body_limit` and `timeout`.
pub use oxapi_macros::websocket;

/// Makes a type a request or response model: derives serde's `Serialize` and `Deserialize`,
/// a JSON Schema, and validation from `#[validate(..)]` rules, with `oxapi` as the only
/// dependency.
///
/// ```
/// use oxapi::prelude::*;
///
/// #[model]
/// struct NewItem {
///     #[validate(length(min = 1, max = 50))]
///     name: String,
///     #[validate(range(min = 0.0))]
///     price: f64,
/// }
///
/// let item = NewItem { name: String::new(), price: -1.0 };
/// let errors = oxapi::Validate::validate(&item).unwrap_err();
/// assert_eq!(errors.0.len(), 2);
/// ```
///
/// Rules are the `validator` crate's (`length`, `range`, `email`, `url`, `regex`, `nested`,
/// ...); serde attributes (`#[serde(default)]`, `rename_all`, ...) work as usual.
pub use oxapi_macros::model;

/// Derives [`FromMultipart`]: a struct read from a `multipart/form-data` body by
/// [`MultipartForm`], one [`FormPart`] per field (files and scalar values). A field's doc
/// comment becomes its description in the document. See [`MultipartForm`].
pub use oxapi_macros::FromMultipart;

/// An async test on the tokio that `oxapi` re-exports, so tests need no dependency but `oxapi`:
/// tokio's `#[tokio::test]`, taking the same options (`flavor = "multi_thread"`, ...).
///
/// ```
/// use oxapi::prelude::*;
///
/// #[get("/")]
/// async fn root() -> &'static str {
///     "hello"
/// }
///
/// #[oxapi::test]
/// async fn root_says_hello() {
///     let client = App::new().routes(routes![root]).test_client();
///     assert_eq!(client.get("/").send().await.text(), "hello");
/// }
/// # fn main() {}
/// ```
pub use oxapi_macros::test;

/// An async `main` on the tokio that `oxapi` re-exports: tokio's `#[tokio::main]`, taking the
/// same options. A service needs none: [`App::run`] starts its own runtime.
pub use oxapi_macros::main;

/// Collects routes for [`App::routes`]: `routes![read_item, items::create]`.
///
/// Each name is a function with a route attribute. "expected type, found function" here
/// means the function has none: add `#[get(..)]` or another route attribute.
#[macro_export]
macro_rules! routes {
    ($($route:path),* $(,)?) => {
        ::std::vec![$(<$route as $crate::__private::Route>::ROUTE),*]
    };
}

/// Everything a service usually needs: `use oxapi::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ApiError, App, BackgroundTasks, Bytes, Cookie, Created, Depends, Extension, Form, Header,
        HeaderMap, Html, HttpError, IntoResponse, Json, NoContent, Problem, Query, Redirect,
        Router, State, StatusCode, delete, get, head, model, options, patch, post, put, route,
        routes, websocket,
    };
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The README's examples compile.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
