//! Path parameters: the `{name}` segments of a route's template.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::Rejections;
use super::value::from_values;
use crate::handler::PathParams;
use crate::problem::FieldError;

/// Parses the `index`-th placeholder, named `name`, as a `T`, recording a failure in
/// `rejections`.
pub(crate) fn path_param<T: DeserializeOwned>(
    uri: &http::Uri,
    params: &PathParams,
    index: usize,
    name: &str,
    rejections: &mut Rejections,
) -> Option<T> {
    let location = || format!("path.{name}");
    let raw = params.raw(uri.path(), index).unwrap_or("");
    // A segment without escapes is its own value: the path is a `str` already.
    let decoded: Cow<'_, str> = if !raw.contains('%') {
        Cow::Borrowed(raw)
    } else if let Ok(decoded) = percent_decode_str(raw).decode_utf8() {
        decoded
    } else {
        rejections.push(FieldError::new(
            location(),
            "invalid",
            "is not valid UTF-8 once percent-decoded",
        ));
        return None;
    };
    match from_values::<T>(std::slice::from_ref(&decoded)) {
        Ok(value) => Some(value),
        Err(error) => {
            rejections.push(FieldError::new(location(), error.code(), error.to_string()));
            None
        }
    }
}
