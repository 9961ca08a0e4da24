//! Extractors: typed values taken from a request.
//!
//! Two traits, split by who owns the body. [`FromRequestParts`] reads the request head
//! (path, query, headers, state) and any number of parameters may use it. [`FromRequest`]
//! consumes the body, so at most one parameter may; the route macro enforces that.

mod body;
mod body_stream;
mod connect;
mod extension;
mod form;
mod head_models;
mod header;
mod json;
pub(crate) mod kind;
mod path;
mod pool_stats;
mod query;
mod rejection;
pub(crate) mod rules;
mod stall_stats;
mod state;
mod value;

use std::future::Future;

use http::request::Parts;

pub use body_stream::BodyStream;
pub use connect::{ClientAddr, ClientScheme, PeerAddr};
pub use extension::{Extension, MatchedPath};
pub use form::Form;
pub use head_models::{Cookie, Header};
pub use json::Json;
pub use query::Query;
pub use rejection::Rejection;
pub use state::State;

pub(crate) use header::{cookie_param, cookies, header_param};
pub(crate) use path::path_param;
pub(crate) use query::query_param;
pub use rejection::Rejections;
#[cfg(test)]
pub(crate) use value::FormPairs;

use crate::context::RequestContext;
use crate::handler::Request;
use crate::response::IntoResponse;
use kind::Incoming;
use oxapi_openapi::OperationDoc;

/// A handler parameter taken from the request head: path, query, headers, app state.
///
/// Implement it for your own types to share extraction logic between handlers (FastAPI's
/// `Depends`); it may be async and may fail with any response.
///
/// ```
/// use oxapi::{ApiError, FromRequestParts, RequestContext};
/// use oxapi::http::request::Parts;
///
/// /// The caller, from a bearer token.
/// #[derive(Debug)]
/// struct User(String);
///
/// impl FromRequestParts for User {
///     type Rejection = ApiError;
///
///     async fn from_request_parts(parts: &mut Parts, _ctx: &RequestContext<'_>) -> Result<Self, ApiError> {
///         let token = parts.headers.get("authorization")
///             .and_then(|value| value.to_str().ok())
///             .and_then(|value| value.strip_prefix("Bearer "))
///             .ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
///         Ok(User(token.to_owned()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor oxapi can take from the request head",
    label = "not a path, query, header, cookie or state extractor",
    note = "to read one value, mark the parameter `#[query]`, `#[header]` or `#[cookie]`, like `#[query] flag: {Self}`",
    note = "otherwise use an extractor (`Query<T>`, `State<T>`, `HeaderMap`, ...) or implement `oxapi::FromRequestParts` for `{Self}`; if it reads the body, mark it `#[body]`"
)]
pub trait FromRequestParts: Sized + Send {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Describes what this extractor reads, for the route's documentation and startup checks.
    fn describe(op: &mut OperationDoc<'_>) {
        let _ = op;
    }
}

/// A handler parameter that consumes the request body. At most one per handler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor oxapi can take from the request body",
    label = "not a body extractor",
    note = "use `Json<T>`, `Form<T>`, `Bytes`, `String`, or implement `oxapi::FromRequest`"
)]
pub trait FromRequest: Sized + Send {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value, consuming the request.
    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Extracts the value from a request whose head the handler's other parameters have
    /// read. oxapi's own body extractors override it to read the head where it is instead of
    /// having the request put back together; any other keeps this default.
    #[doc(hidden)]
    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        Self::from_request(incoming.take_request(), ctx)
    }

    /// Describes what this extractor reads, for the route's documentation and startup checks.
    fn describe(op: &mut OperationDoc<'_>) {
        let _ = op;
    }
}

impl FromRequestParts for http::HeaderMap {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.headers.clone())
    }
}

impl FromRequestParts for http::Method {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.method.clone())
    }
}

impl FromRequestParts for http::Uri {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.uri.clone())
    }
}

impl IntoResponse for std::convert::Infallible {
    fn describe(_op: &mut OperationDoc<'_>) {}

    fn into_response(self) -> crate::Response {
        match self {}
    }
}
