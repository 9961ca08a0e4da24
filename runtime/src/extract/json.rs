//! [`Json<T>`]: a JSON request body, or a JSON response.

use std::future::Future;

use http::header::{self, HeaderMap, HeaderValue};
use oxapi_openapi::FrameworkError;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::{read, read_body};
use super::kind::Incoming;
use super::query::serde_error_to_field;
use super::{FromRequest, Rejection, Request, RequestContext};
use crate::body::Body;
use crate::check;
use crate::problem::{FieldError, Problem};
use crate::response::{IntoResponse, Response};
use crate::validate::{Validate, ValidationErrors, prefixed, wire_locations};
use oxapi_openapi::OperationDoc;

/// JSON in either direction.
///
/// As a parameter, it reads a body of type `application/json` or any `+json` type (415
/// otherwise), at most the route's body limit (413), well-formed (400 with the position of
/// the syntax error), of the right shape and valid by `T`'s validation rules (else one 422
/// listing every failing field at its name on the wire, `body.items[2].price`).
///
/// As a return value, it serializes `T` with `Content-Type: application/json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Whether the request says its body is JSON: `application/json` or `*/*+json`, with any
/// parameters.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    // What nearly every client sends, decided without taking the value apart.
    if content_type
        .as_bytes()
        .eq_ignore_ascii_case(b"application/json")
    {
        return true;
    }
    let Ok(content_type) = content_type.to_str() else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// Parses and validates a JSON body.
pub(crate) fn parse_json<T: DeserializeOwned + Validate + JsonSchema>(
    bytes: &[u8],
) -> Result<T, Rejection> {
    // A valid body is parsed once, straight into `T`. Explaining a failure (every failing
    // location, at the names on the wire) needs the body read again: only then.
    let value: T = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(_) => reread::<T>(bytes)?,
    };
    if let Err(errors) = value.validate() {
        return Err(invalid_json::<T>(bytes, errors));
    }
    Ok(value)
}

/// A body the typed parse refused, read again: 400 if it is not JSON, else a 422 listing every
/// failing location the schema of `T` finds; or, if the schema allows it, the `T` it is.
///
/// JSON Schema's `integer` takes `354.0` (a number whose fraction is zero), where serde's
/// integers do not: a body the document allows is accepted, its integral floats read as
/// integers.
#[cold]
fn reread<T: DeserializeOwned + JsonSchema>(bytes: &[u8]) -> Result<T, Rejection> {
    let mut value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => {
            return Err(Rejection::Malformed {
                detail: format!("malformed JSON: {error}"),
            });
        }
    };
    let errors = check::check::<T>(&value, "body");
    if !errors.is_empty() {
        return Err(Rejection::Invalid(errors));
    }
    if check::integral_floats_to_integers(&mut value)
        && let Ok(parsed) = serde_json::from_value::<T>(value)
    {
        return Ok(parsed);
    }
    Err(serde_rejection::<T>(bytes))
}

/// serde's own error for `bytes`, where serde met it: for a body the schema of `T` allows but
/// serde does not (a custom `Deserialize`, a type whose schema says less).
fn serde_rejection<T: DeserializeOwned>(bytes: &[u8]) -> Rejection {
    // The body is JSON, so whatever serde says is about the data.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => Rejection::invalid(serde_error_to_field("body", &error)),
        // Not reached: the typed parse failed on these bytes a moment ago.
        Ok(_) => Rejection::invalid(FieldError::new("body", "invalid", "not a valid value")),
    }
}

/// The validation `errors` of a `T` read from `bytes`, at the names the body used.
#[cold]
fn invalid_json<T: JsonSchema>(bytes: &[u8], errors: ValidationErrors) -> Rejection {
    let errors = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => wire_locations(errors, &value, &check::TypeSchema::of::<T>()),
        // Not reached: the body parsed as a `T`, so it is JSON.
        Err(_) => errors,
    };
    Rejection::Invalid(prefixed("body", errors))
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequest for Json<T> {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body::<T>("application/json", true);
        op.errors(&oxapi_openapi::FrameworkError::PARSED_BODY);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = request.into_parts();
        json_body(&head.headers, body, ctx.body_limit())
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = incoming.head_and_body();
        json_body(&head.headers, body, ctx.body_limit())
    }
}

/// Reads and parses a JSON body. The checks that need the request's `headers` run now; the
/// future holds only the body.
fn json_body<T: DeserializeOwned + Validate + JsonSchema>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> impl Future<Output = Result<Json<T>, Rejection>> + Send + use<T> {
    let is_json = is_json(headers);
    let body = read(headers, body, limit);
    async move {
        if !is_json {
            return Err(Rejection::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        parse_json(&body.await?).map(Json)
    }
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequest for Option<Json<T>> {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body::<T>("application/json", false);
        op.errors(&oxapi_openapi::FrameworkError::PARSED_BODY);
    }

    /// No body and no `Content-Type` is `None`; anything else must be valid JSON.
    async fn from_request(request: Request, ctx: &RequestContext<'_>) -> Result<Self, Rejection> {
        if request.headers().get(header::CONTENT_TYPE).is_none() {
            let bytes = read_body(request, ctx.body_limit()).await?;
            if bytes.is_empty() {
                return Ok(None);
            }
            return Err(Rejection::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        Json::<T>::from_request(request, ctx).await.map(Some)
    }
}

impl<T: Serialize + JsonSchema> IntoResponse for Json<T> {
    fn describe(op: &mut OperationDoc<'_>) {
        op.success::<T>("application/json");
    }

    fn into_response(self) -> Response {
        match crate::response::json_bytes(&self.0) {
            Ok(body) => {
                let mut response = Response::new(Body::full(body));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(error) => {
                tracing::error!(%error, "response could not be serialized to JSON");
                Problem::from(FrameworkError::Internal).to_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct Release {
        year: i32,
        copies: Vec<u8>,
        price: f64,
    }

    impl Validate for Release {}

    #[test]
    fn an_integral_float_is_an_integer_as_the_schema_says() {
        let release: Release =
            parse_json(br#"{"year": 354.0, "copies": [1.0, 2], "price": 3.0}"#).unwrap();
        assert_eq!(
            (release.year, release.copies, release.price),
            (354, vec![1, 2], 3.0)
        );
        // A fraction, or a value out of the type's range, is still refused, at its place.
        for (body, location) in [
            (
                &br#"{"year": 354.5, "copies": [], "price": 1}"#[..],
                "body.year",
            ),
            (
                &br#"{"year": 1, "copies": [300.0], "price": 1}"#[..],
                "body.copies[0]",
            ),
        ] {
            let Err(Rejection::Invalid(errors)) = parse_json::<Release>(body) else {
                panic!("{}", String::from_utf8_lossy(body));
            };
            assert_eq!(errors[0].location, location, "{errors:?}");
        }
    }

    #[test]
    fn json_media_types() {
        for yes in [
            "application/json",
            "APPLICATION/JSON",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
            "application/vnd.api+json;v=2",
        ] {
            assert!(is_json(&headers(yes)), "{yes}");
        }
        for no in [
            "text/plain",
            "application/jsonx",
            "application/+json",
            "json",
            "text/json",
            "application/json-seq",
        ] {
            assert!(!is_json(&headers(no)), "{no}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Line>,
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Line {
        price: f64,
    }

    impl Validate for Order {}
    impl Validate for Line {}

    fn invalid(rejection: Rejection) -> Vec<String> {
        match rejection {
            Rejection::Invalid(errors) => errors.into_iter().map(|e| e.location).collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_nested_location() {
        let error = parse_json::<Order>(br#"{"items":[{"price":1},{"price":2},{"price":"x"}]}"#)
            .unwrap_err();
        assert_eq!(invalid(error), vec!["body.items[2].price"]);
        let error = parse_json::<Order>(br#"{"items":[{}]}"#).unwrap_err();
        assert_eq!(invalid(error), vec!["body.items[0].price"]);
    }

    /// A field whose schema says less than its `Deserialize` does.
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Loose {
        #[schemars(with = "serde_json::Value")]
        small: u8,
    }

    impl Validate for Loose {}

    #[test]
    fn where_the_schema_is_looser_serde_says_what_is_wrong() {
        match parse_json::<Loose>(br#"{"small": "x"}"#) {
            Err(Rejection::Invalid(errors)) => assert_eq!(
                errors,
                [FieldError::new(
                    "body.small",
                    "invalid",
                    "expected u8, got string \"x\""
                )]
            ),
            other => panic!("{other:?}"),
        }
    }

    /// serde_json calls a map key that is not a number a syntax error; the body is JSON, so
    /// it is a 422 at the key.
    #[test]
    fn a_bad_integer_key_is_invalid_not_malformed() {
        let error = parse_json::<std::collections::HashMap<u32, f64>>(br#"{"1": 1, "one": 2}"#)
            .unwrap_err();
        assert_eq!(invalid(error), vec!["body.one"]);
    }

    #[test]
    fn syntax_errors_are_malformed() {
        for body in [&b"{"[..], b"", b"{\"items\": []} trailing", b"nope"] {
            match parse_json::<Order>(body) {
                Err(Rejection::Malformed { detail }) => {
                    assert!(detail.starts_with("malformed JSON"))
                }
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}
