//! Small response types: [`Html`], [`Created`], [`NoContent`], [`Redirect`].

use http::StatusCode;
use http::header::{self, HeaderValue};
use oxapi_openapi::FrameworkError;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::{IntoResponse, Response};
use crate::body::Body;
use crate::extract::Json;
use crate::problem::Problem;
use oxapi_openapi::OperationDoc;

/// An HTML response (`text/html; charset=utf-8`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn describe(op: &mut OperationDoc<'_>) {
        op.success_schema("text/html", json!({ "type": "string" }));
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(self.0.into());
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
}

/// `201 Created` with a JSON body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Created<T>(pub T);

impl<T: Serialize + JsonSchema> IntoResponse for Created<T> {
    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.generator().subschema_for::<T>().to_value();
        op.response_schema(201, "application/json", schema);
    }

    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// `204 No Content`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn describe(op: &mut OperationDoc<'_>) {
        op.response_empty(204, None);
    }

    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// A redirect with a `Location` header.
#[derive(Debug, Clone)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// `303 See Other`: the client follows with a `GET`.
    pub fn to(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::SEE_OTHER, location)
    }

    /// `307 Temporary Redirect`: the client repeats the same method and body.
    pub fn temporary(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::TEMPORARY_REDIRECT, location)
    }

    /// `308 Permanent Redirect`: the client repeats the same method and body, and may
    /// remember the new location.
    pub fn permanent(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::PERMANENT_REDIRECT, location)
    }

    fn with_status(status: StatusCode, location: impl Into<String>) -> Self {
        Self {
            status,
            location: location.into(),
        }
    }
}

impl IntoResponse for Redirect {
    /// Which of 303, 307 and 308 is chosen at run time, so all three are documented.
    fn describe(op: &mut OperationDoc<'_>) {
        for status in [303, 307, 308] {
            op.response_empty(status, Some(("Location", "Where to go.")));
        }
    }

    fn into_response(self) -> Response {
        match HeaderValue::try_from(self.location) {
            Ok(location) => {
                let mut response = self.status.into_response();
                response.headers_mut().insert(header::LOCATION, location);
                response
            }
            Err(_) => {
                tracing::error!("redirect location is not a valid header value");
                Problem::from(FrameworkError::Internal).to_response()
            }
        }
    }
}
