//! Turning handler return values into responses.

mod into_response;
mod json_bytes;
mod types;

pub use into_response::{IntoResponse, IntoResponseParts};
pub use types::{Created, Html, NoContent, Redirect};

pub(crate) use into_response::{OCTET_STREAM, describe_bytes};
pub(crate) use json_bytes::json_bytes;

pub use crate::body::Response;
