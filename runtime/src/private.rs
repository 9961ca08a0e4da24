//! What generated code uses. Not public API: names here change without notice.

pub use crate::context::{RequestContext, RouteContext};
pub use crate::extract::Rejection as MultipartRejection;
pub use crate::extract::kind::{Extractor, Incoming, ViaBody, ViaParts};
pub use crate::extract::rules::{
    ParamValue, Pattern, check_param, length_applies, pattern_applies, range_applies,
};
pub use crate::extract::{FromRequest, FromRequestParts, Rejections};
pub use crate::handler::{HandlerFn, HandlerFuture, PathParams, Request};
pub use crate::multipart::{Field, FormPart, FromMultipart, Multipart, field_index, form_schema};
pub use crate::problem::FieldError;
pub use crate::route::{DescribeFn, Route, RouteDef, RouteMeta};
pub use crate::validate::{Validate, ValidationErrors};
pub use oxapi_openapi::{
    Dispatch, Number, OperationDoc, OperationMeta, ParamDoc, ParamLocation, ParamRules,
};
pub use {http, schemars, serde, serde_json, validator};

use serde::de::DeserializeOwned;

use crate::extract::Rejection;
pub use crate::response::IntoResponse;
use crate::response::Response;

/// Boxes a handler's future. A function rather than `Box::pin` so that a handler whose
/// future is not `Send` gets its error at the handler's name.
pub fn boxed_handler_future<F>(future: F) -> HandlerFuture
where
    F: Future<Output = Response> + Send + 'static,
{
    Box::pin(future)
}

use std::future::Future;

/// What a generated handler receives and clones into its future: its route's context.
pub type RouteHandle = std::sync::Arc<RouteContext>;

/// Parses a path parameter.
pub fn path_param<T: DeserializeOwned>(
    uri: &http::Uri,
    params: &PathParams,
    index: usize,
    name: &str,
    rejections: &mut Rejections,
) -> Option<T> {
    crate::extract::path_param(uri, params, index, name, rejections)
}

/// Reads a `#[query]` parameter.
pub fn query_param<T: DeserializeOwned>(
    parts: &http::request::Parts,
    name: &str,
) -> Result<T, Rejection> {
    crate::extract::query_param(parts, name)
}

/// Reads a `#[header]` parameter.
pub fn header_param<T: DeserializeOwned>(
    parts: &http::request::Parts,
    name: &str,
) -> Result<T, Rejection> {
    crate::extract::header_param(parts, name)
}

/// Reads a `#[cookie]` parameter.
pub fn cookie_param<T: DeserializeOwned>(
    parts: &http::request::Parts,
    name: &str,
) -> Result<T, Rejection> {
    crate::extract::cookie_param(parts, name)
}

/// What a parameter's `default = ..` may be written as: a value of its type, or, for a
/// `String`, a string literal (`default = "name"`, as FastAPI's `q: str = "name"`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the default of a `{T}` parameter",
    label = "not a `{T}`"
)]
pub trait DefaultValue<T> {
    /// The default, as the parameter's type.
    fn into_default(self) -> T;
}

impl<T> DefaultValue<T> for T {
    fn into_default(self) -> T {
        self
    }
}

impl DefaultValue<String> for &'static str {
    fn into_default(self) -> String {
        self.to_owned()
    }
}

/// A parameter's `default = ..` or `example = ..` as JSON, for the document; `None` if it does
/// not serialize.
pub fn to_json<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// A route's `status = ..` as a [`StatusCode`](http::StatusCode), made at compile time: the
/// macro checked that it is 100 to 599, and a `const` built from this fails to compile
/// otherwise. The handler passes it to
/// [`IntoResponse::into_response_with_status`], which applies it to a plain success only.
pub const fn status(code: u16) -> http::StatusCode {
    match http::StatusCode::from_u16(code) {
        Ok(status) => status,
        Err(_) => panic!("a route's `status` must be 100 to 599"),
    }
}

/// A type named in a route's `responses(409 = Model)`: one with a JSON Schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a response model: it has no JSON Schema",
    label = "not a model",
    note = "add `#[oxapi::model]` to `{Self}`, or describe the response with a string: `409 = \"description\"`"
)]
pub trait ResponseModel: schemars::JsonSchema {}

impl<T: schemars::JsonSchema + ?Sized> ResponseModel for T {}

/// Documents a route's `responses(STATUS = Model)` entry.
pub fn response_model<T: ResponseModel + ?Sized>(
    op: &mut OperationDoc<'_>,
    status: u16,
    description: Option<&str>,
) {
    op.response_model::<T>(status, description);
}

/// Passes a handler's response through the app's error handlers, with its route for the log
/// of an error no mapping takes. A success is compared with 400 and passed on.
#[inline(always)]
pub fn respond(ctx: &RequestContext<'_>, method: &'static str, mut response: Response) -> Response {
    if response.status().as_u16() >= 400 {
        handle_error(ctx, method, &mut response);
    }
    if crate::stream::wants_attachment(&response) {
        crate::stream::attach(ctx, &mut response);
    }
    if let Some(queue) = ctx.background() {
        response = crate::background::release_after(response, std::sync::Arc::clone(queue));
    }
    response
}

/// The error path of [`respond`], out of line.
#[cold]
#[inline(never)]
fn handle_error(ctx: &RequestContext<'_>, method: &'static str, response: &mut Response) {
    let handlers = ctx.state::<crate::error_handlers::ErrorHandlers>();
    let route = crate::error_handlers::Route {
        method,
        path: ctx.matched_path(),
    };
    crate::error_handlers::handle_in_place(
        handlers.map(|handlers| &**handlers),
        Some(route),
        response,
    );
}

/// Runs a plain-`fn` handler on the blocking pool.
pub fn run_blocking<'a, F>(
    ctx: &'a RequestContext<'_>,
    call: F,
) -> impl Future<Output = Response> + Send + 'a
where
    F: FnOnce() -> Response + Send + 'static,
{
    crate::dispatch::run_blocking(ctx, call)
}

/// Checks a `#[websocket]` route's handshake and takes the connection's upgrade.
pub fn websocket_upgrade(
    parts: &mut http::request::Parts,
    ctx: &RequestContext<'_>,
) -> Result<crate::ws::WebSocketUpgrade, crate::ws::HandshakeRejection> {
    crate::ws::WebSocketUpgrade::from_parts(parts, ctx)
}

pub use crate::ws::{HandlerOutcome, Socket, WebSocketUpgrade};

/// Converts `validator` errors for `#[model]`'s `Validate` impl.
pub fn validation_result(
    result: Result<(), validator::ValidationErrors>,
) -> Result<(), ValidationErrors> {
    crate::validate::validation_result(result)
}
