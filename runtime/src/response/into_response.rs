//! The [`IntoResponse`] trait and its implementations for std and http types.

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use serde_json::json;

use super::Response;
use crate::body::Body;
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::problem::Problem;

/// A value a handler can return.
///
/// Implemented for `Json<T>`, `String`, `&'static str`, `Bytes`, [`Html`](crate::Html),
/// [`StatusCode`], `(StatusCode, T)`, `(headers, T)`, `Result<T, E>`, [`Created`](crate::Created),
/// [`NoContent`](crate::NoContent), [`Redirect`](crate::Redirect), [`Problem`], every
/// [`HttpError`](crate::HttpError), and [`Response`] itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a handler",
    label = "this type does not implement `oxapi::IntoResponse`",
    note = "return `Json<T>`, `String`, `StatusCode`, `Result<T, ApiError>`, or implement `oxapi::IntoResponse` for it"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;

    /// Builds the response for a route whose default success status is `status` (its
    /// `status = ..`): a response that chose no status of its own (a plain `200 OK`) gets
    /// `status`; one that chose its status explicitly (`(StatusCode::OK, body)`, a
    /// [`StatusCode`], a [`Response`]) keeps it, as in FastAPI.
    ///
    /// Implement it only for a type that can say its status explicitly, or that wraps
    /// another response type (forward to the inner type's method).
    fn into_response_with_status(self, status: StatusCode) -> Response
    where
        Self: Sized,
    {
        let mut response = self.into_response();
        if response.status() == StatusCode::OK {
            *response.status_mut() = status;
        }
        response
    }

    /// Describes the responses this type produces, for the OpenAPI document. The default
    /// documents a success with no known content; called once, at startup.
    fn describe(op: &mut OperationDoc<'_>)
    where
        Self: Sized,
    {
        op.success_empty();
    }
}

/// Something that adds headers to a response: a [`HeaderMap`] or an array of
/// `(name, value)` pairs. Used as the first element of a `(parts, body)` tuple.
pub trait IntoResponseParts {
    /// Adds the headers to `response`. A name or value that is not valid HTTP makes the
    /// response a 500 (it is a bug in the handler, not bad input).
    fn apply(self, response: &mut Response);
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }

    /// A response built by hand keeps the status it was built with.
    fn into_response_with_status(self, _: StatusCode) -> Response {
        self
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

/// `text/plain` with a string schema.
fn describe_text(op: &mut OperationDoc<'_>) {
    op.success_schema("text/plain", json!({ "type": "string" }));
}

/// `application/octet-stream` with any content.
pub(crate) fn describe_bytes(op: &mut OperationDoc<'_>) {
    op.success_schema(OCTET_STREAM, json!({}));
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }

    /// A status returned is a status chosen: it is kept.
    fn into_response_with_status(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

fn with_content_type(body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

impl IntoResponse for String {
    fn describe(op: &mut OperationDoc<'_>) {
        describe_text(op);
    }

    fn into_response(self) -> Response {
        with_content_type(Body::full(self), TEXT)
    }
}

impl IntoResponse for &'static str {
    fn describe(op: &mut OperationDoc<'_>) {
        describe_text(op);
    }

    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn describe(op: &mut OperationDoc<'_>) {
        describe_text(op);
    }

    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(text) => text.into_response(),
            Cow::Owned(text) => text.into_response(),
        }
    }
}

impl IntoResponse for Bytes {
    fn describe(op: &mut OperationDoc<'_>) {
        describe_bytes(op);
    }

    fn into_response(self) -> Response {
        with_content_type(Body::full(self), OCTET_STREAM)
    }
}

impl IntoResponse for Vec<u8> {
    fn describe(op: &mut OperationDoc<'_>) {
        describe_bytes(op);
    }

    fn into_response(self) -> Response {
        with_content_type(Body::full(self), OCTET_STREAM)
    }
}

/// As [`Problem::to_response`], moving the problem into its report instead of copying it.
impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.render()
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    /// `T` documents the success; `E` its error statuses, beside it, never replacing it.
    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
        op.error_type(E::describe);
    }

    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }

    fn into_response_with_status(self, status: StatusCode) -> Response {
        match self {
            Ok(value) => value.into_response_with_status(status),
            Err(error) => error.into_response_with_status(status),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    /// The status is chosen at run time: the content is documented under the route's
    /// success status (`status = ..`).
    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }

    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }

    /// The tuple's status is explicit: it wins over the route's `status = ..`.
    fn into_response_with_status(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl<P: IntoResponseParts, T: IntoResponse> IntoResponse for (P, T) {
    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }

    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        self.0.apply(&mut response);
        response
    }

    fn into_response_with_status(self, status: StatusCode) -> Response {
        let mut response = self.1.into_response_with_status(status);
        self.0.apply(&mut response);
        response
    }
}

impl<P: IntoResponseParts, T: IntoResponse> IntoResponse for (StatusCode, P, T) {
    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }

    fn into_response(self) -> Response {
        let mut response = self.2.into_response();
        self.1.apply(&mut response);
        *response.status_mut() = self.0;
        response
    }

    /// The tuple's status is explicit: it wins over the route's `status = ..`.
    fn into_response_with_status(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl IntoResponseParts for HeaderMap {
    fn apply(self, response: &mut Response) {
        let mut previous: Option<HeaderName> = None;
        for (name, value) in self {
            // A `HeaderMap` iterates a name once, then `None` for its further values.
            let Some(name) = name.or_else(|| previous.clone()) else {
                continue;
            };
            response.headers_mut().append(name.clone(), value);
            previous = Some(name);
        }
    }
}

impl<K, V, const N: usize> IntoResponseParts for [(K, V); N]
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    fn apply(self, response: &mut Response) {
        for (name, value) in self {
            match (name.try_into(), value.try_into()) {
                (Ok(name), Ok(value)) => {
                    response.headers_mut().insert(name, value);
                }
                _ => {
                    tracing::error!("handler returned an invalid response header name or value");
                    *response = Problem::from(FrameworkError::Internal).to_response();
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_utf8_text() {
        let response = "hi".into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], TEXT);
    }

    #[test]
    fn status_tuple_overrides_status() {
        let response = (StatusCode::ACCEPTED, "queued").into_response();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }

    #[test]
    fn a_default_status_replaces_only_a_plain_success() {
        let plain = "made".into_response_with_status(StatusCode::CREATED);
        assert_eq!(plain.status(), StatusCode::CREATED);
        let explicit = (StatusCode::OK, "kept").into_response_with_status(StatusCode::CREATED);
        assert_eq!(explicit.status(), StatusCode::OK);
        let bare = StatusCode::OK.into_response_with_status(StatusCode::CREATED);
        assert_eq!(bare.status(), StatusCode::OK);
        let headed = ([("x-a", "1")], (StatusCode::OK, "kept"))
            .into_response_with_status(StatusCode::CREATED);
        assert_eq!(headed.status(), StatusCode::OK);
        let ok: Result<(StatusCode, &str), StatusCode> = Ok((StatusCode::OK, "kept"));
        assert_eq!(
            ok.into_response_with_status(StatusCode::CREATED).status(),
            StatusCode::OK
        );
        let err: Result<&str, StatusCode> = Err(StatusCode::NOT_FOUND);
        assert_eq!(
            err.into_response_with_status(StatusCode::CREATED).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn header_arrays_add_headers() {
        let response = ([("x-a", "1"), ("x-b", "2")], "ok").into_response();
        assert_eq!(response.headers()["x-a"], "1");
        assert_eq!(response.headers()["x-b"], "2");
    }

    #[test]
    fn invalid_header_is_a_server_error() {
        let response = ([("bad header", "1")], "ok").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn header_map_keeps_repeated_values() {
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let response = (headers, ()).into_response();
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
    }
}
