//! Turning handler return values into responses.

mod into_response;
mod json_bytes;
mod types;

pub use into_response::{IntoResponse, IntoResponseParts};
pub use types::{Created, Html, NoContent, Redirect};

pub(crate) use json_bytes::json_bytes;

pub use crate::body::Response;

/// Converts a handler's return value, applying the route's `status = ..` to a plain success.
pub(crate) fn finish<T: IntoResponse>(value: T, status: Option<u16>) -> Response {
    let mut response = value.into_response();
    apply_status(&mut response, status);
    response
}

/// Sets a route's `status = ..` on `response` if it is a plain success.
#[inline]
pub(crate) fn apply_status(response: &mut Response, status: Option<u16>) {
    if let Some(code) = status
        && response.status() == http::StatusCode::OK
        && let Ok(code) = http::StatusCode::from_u16(code)
    {
        *response.status_mut() = code;
    }
}
