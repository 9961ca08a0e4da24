//! Single header and cookie values: `#[header]` and `#[cookie]` parameters.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::COOKIE;
use http::request::Parts;
use serde::de::DeserializeOwned;
use smallvec::SmallVec;

use super::Rejection;
use super::value::from_values;
use crate::problem::FieldError;

/// Reads the header `name` (lowercase) as a `T`: a scalar, an `Option` or a `Vec` of its values.
pub(crate) fn header_param<T: DeserializeOwned>(parts: &Parts, name: &str) -> Result<T, Rejection> {
    let location = || format!("header.{name}");
    let mut values: SmallVec<[Cow<'_, str>; 1]> = SmallVec::new();
    for value in parts.headers.get_all(name) {
        match value.to_str() {
            Ok(text) => values.push(Cow::Borrowed(text)),
            Err(_) => {
                return Err(Rejection::invalid(FieldError::new(
                    location(),
                    "invalid",
                    "is not visible ASCII",
                )));
            }
        }
    }
    from_values(&values).map_err(|error| {
        Rejection::invalid(FieldError::new(location(), error.code(), error.to_string()))
    })
}

/// Every cookie of the request's `Cookie` headers, as (name, value), a quoted value unquoted.
pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.trim(), value.trim().trim_matches('"')))
}

/// Reads the cookie `name` as a `T`.
pub(crate) fn cookie_param<T: DeserializeOwned>(parts: &Parts, name: &str) -> Result<T, Rejection> {
    let values: SmallVec<[Cow<'_, str>; 1]> = cookies(&parts.headers)
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| Cow::Borrowed(value))
        .collect();
    from_values(&values).map_err(|error| {
        Rejection::invalid(FieldError::new(
            format!("cookie.{name}"),
            error.code(),
            error.to_string(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn reads_headers_by_name() {
        let parts = parts(&[("x-request-id", "abc"), ("x-count", "3")]);
        assert_eq!(
            header_param::<String>(&parts, "x-request-id").unwrap(),
            "abc"
        );
        assert_eq!(header_param::<u8>(&parts, "x-count").unwrap(), 3);
        assert_eq!(
            header_param::<Option<u8>>(&parts, "x-absent").unwrap(),
            None
        );
        assert!(header_param::<u8>(&parts, "x-request-id").is_err());
    }

    #[test]
    fn reads_cookies_from_every_cookie_header() {
        let parts = parts(&[("cookie", "a=1; session=xyz"), ("cookie", "b=2")]);
        assert_eq!(cookie_param::<String>(&parts, "session").unwrap(), "xyz");
        assert_eq!(cookie_param::<u32>(&parts, "b").unwrap(), 2);
        match cookie_param::<String>(&parts, "missing") {
            Err(Rejection::Invalid(errors)) => assert_eq!(errors[0].location, "cookie.missing"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
