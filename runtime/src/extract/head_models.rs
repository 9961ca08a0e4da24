//! [`Header<T>`] and [`Cookie<T>`]: a model's fields read from the request's headers or
//! cookies, as [`Query<T>`](crate::Query) reads them from the query string.

use std::borrow::Cow;

use http::request::Parts;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::header::cookies;
use super::query::pairs_model;
use super::value::FormPairs;
use super::{FromRequestParts, Rejection, RequestContext};
use crate::problem::FieldError;
use crate::validate::Validate;
use oxapi_openapi::{OperationDoc, ParamLocation};

/// The request's headers, deserialized into the model `T` and validated.
///
/// A field reads the header of its name with `_` written `-`, as FastAPI's header models do:
/// `user_agent` reads `User-Agent`, `x_request_id` reads `X-Request-Id` (header names ignore
/// case). A `Vec` field takes every value of a repeated header; an `Option` field may be
/// absent. With `#[serde(deny_unknown_fields)]`, any other header is refused — every request
/// carries some (`host`, `user-agent`), so that is rarely what a service wants. Failures are one
/// 422 naming each header (`header.x-request-id`). Each field is documented as a header
/// parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Header<T>(pub T);

/// The request's cookies, deserialized into the model `T` and validated.
///
/// A field reads the cookie of its (serde) name. Failures are one 422 naming each cookie
/// (`cookie.session_id`); each field is documented as a cookie parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cookie<T>(pub T);

impl<T> std::ops::Deref for Header<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::Deref for Cookie<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequestParts for Header<T> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        let pairs = FormPairs::from_pairs(parts.headers.iter().map(|(name, value)| {
            (
                Cow::Owned(name.as_str().replace('-', "_")),
                String::from_utf8_lossy(value.as_bytes()),
            )
        }));
        parse_model(&pairs, "header", header_location).map(Header)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.struct_params::<T>(ParamLocation::Header, |name| name.replace('_', "-"));
    }
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequestParts for Cookie<T> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        let pairs = FormPairs::from_pairs(
            cookies(&parts.headers)
                .map(|(name, value)| (Cow::Borrowed(name), Cow::Borrowed(value))),
        );
        parse_model(&pairs, "cookie", |error| error).map(Cookie)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.struct_params::<T>(ParamLocation::Cookie, str::to_owned);
    }
}

/// Deserializes and validates a model from `pairs`, every failure at once; failures are
/// located under `source`, then passed through `locate` to name what is on the wire.
fn parse_model<T: DeserializeOwned + Validate + JsonSchema>(
    pairs: &FormPairs<'_>,
    source: &str,
    locate: fn(FieldError) -> FieldError,
) -> Result<T, Rejection> {
    pairs_model(pairs, source).map_err(|rejection| match rejection {
        Rejection::Invalid(errors) => Rejection::Invalid(errors.into_iter().map(locate).collect()),
        other => other,
    })
}

/// `header.x_request_id` → `header.x-request-id`: the header's name, not the field's.
fn header_location(mut error: FieldError) -> FieldError {
    if let Some(name) = error.location.strip_prefix("header.") {
        error.location = format!("header.{}", name.replace('_', "-"));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::RouteContext;

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct Common {
        x_request_id: String,
        x_count: Option<u8>,
        #[serde(default)]
        x_tag: Vec<String>,
    }

    impl Validate for Common {}

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    async fn headers(list: &[(&str, &str)]) -> Result<Header<Common>, Rejection> {
        let context = RouteContext::detached();
        let ctx = context.request();
        Header::<Common>::from_request_parts(&mut parts(list), &ctx).await
    }

    #[tokio::test]
    async fn fields_read_headers_named_with_hyphens() {
        let Header(common) = headers(&[
            ("X-Request-Id", "abc"),
            ("x-tag", "a"),
            ("x-tag", "b"),
            ("host", "example"),
        ])
        .await
        .unwrap();
        assert_eq!(common.x_request_id, "abc");
        assert_eq!(common.x_count, None);
        assert_eq!(common.x_tag, ["a", "b"]);
    }

    #[tokio::test]
    async fn failures_name_the_header() {
        let Err(Rejection::Invalid(errors)) = headers(&[("x-count", "300")]).await else {
            panic!("expected a 422");
        };
        assert!(
            errors.iter().any(|e| e.location == "header.x-count"),
            "{errors:?}"
        );
        let Err(Rejection::Invalid(errors)) = headers(&[]).await else {
            panic!("expected a 422");
        };
        assert!(
            errors.iter().any(|e| e.location == "header.x-request-id"),
            "{errors:?}"
        );
    }
}
