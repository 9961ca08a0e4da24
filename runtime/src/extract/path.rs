//! Path parameters: the `{name}` segments of a route's template.

use std::borrow::Cow;

use http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use smallvec::SmallVec;

use super::Rejections;
use super::value::from_values;
use crate::problem::FieldError;

/// Where each placeholder's value lies in the request path, as byte ranges.
///
/// Ranges, not `&str`s, so the request can move into the handler's future while the values
/// are still found without copying.
#[derive(Debug, Default, Clone)]
pub struct PathParams {
    ranges: SmallVec<[(u32, u32); 4]>,
}

impl PathParams {
    /// Records the values matched in `path`, in template order.
    pub(crate) fn from_match(path: &str, params: &matchit::Params<'_, '_>) -> Self {
        let base = path.as_ptr() as usize;
        let ranges = params
            .iter()
            .map(|(_, value)| {
                // matchit's values are slices of `path`: their offset is the pointer distance.
                let start = (value.as_ptr() as usize).saturating_sub(base);
                (start as u32, (start + value.len()) as u32)
            })
            .collect();
        Self { ranges }
    }

    /// The raw (still percent-encoded) value of the `index`-th placeholder.
    pub(crate) fn raw<'p>(&self, path: &'p str, index: usize) -> Option<&'p str> {
        let (start, end) = *self.ranges.get(index)?;
        path.get(start as usize..end as usize)
    }
}

#[cfg(test)]
impl PathParams {
    /// Every raw value, in template order.
    pub(crate) fn values<'p>(&self, path: &'p str) -> Vec<&'p str> {
        (0..self.ranges.len())
            .filter_map(|i| self.raw(path, i))
            .collect()
    }
}

/// Parses the `index`-th placeholder, named `name`, as a `T`, recording a failure in
/// `rejections`.
pub(crate) fn path_param<T: DeserializeOwned>(
    parts: &Parts,
    params: &PathParams,
    index: usize,
    name: &str,
    rejections: &mut Rejections,
) -> Option<T> {
    let location = || format!("path.{name}");
    let raw = params.raw(parts.uri.path(), index).unwrap_or("");
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
