//! The query string: [`Query<T>`] for a struct of fields, `#[query]` for one value.

use std::borrow::Cow;

use http::request::Parts;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use smallvec::SmallVec;

use super::value::{FormPairs, from_values};
use super::{FromRequestParts, Rejection, RequestContext};
use crate::check::{TypeSchema, pairs_value, rephrase_serde};
use crate::problem::FieldError;
use crate::validate::{Validate, ValidationErrors, prefixed, wire_locations};
use oxapi_openapi::OperationDoc;

/// The query string, deserialized into `T` and validated.
///
/// Repeated keys fill `Vec` fields; absent keys leave `Option` fields `None` and take
/// `#[serde(default)]`s. Failures are one 422 listing every failing field (`query.limit`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequestParts for Query<T> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.query_struct::<T>();
    }
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequestParts for Option<Query<T>> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        match parts.uri.query() {
            None | Some("") => Ok(None),
            Some(query) => parse_query(query).map(|value| Some(Query(value))),
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.query_struct::<T>();
    }
}

fn parse_query<T: DeserializeOwned + Validate + JsonSchema>(query: &str) -> Result<T, Rejection> {
    parse_pairs(query.as_bytes(), "query")
}

/// Parses and validates urlencoded pairs (a query string or a form body) as a `T`; failures
/// are located under `source` (`query.limit`, `body.name`).
pub(crate) fn parse_pairs<T: DeserializeOwned + Validate + JsonSchema>(
    input: &[u8],
    source: &str,
) -> Result<T, Rejection> {
    pairs_model(&FormPairs::parse(input), source)
}

/// Deserializes and validates a `T` from `pairs` (a query string's, a form's, a request's
/// headers or cookies); failures are located under `source`.
pub(crate) fn pairs_model<T: DeserializeOwned + Validate + JsonSchema>(
    pairs: &FormPairs<'_>,
    source: &str,
) -> Result<T, Rejection> {
    let value: T = match pairs.deserialize() {
        Ok(value) => value,
        Err(_) => return Err(pairs_rejection::<T>(pairs, source)),
    };
    if let Err(errors) = value.validate() {
        return Err(invalid_pairs::<T>(pairs, source, errors));
    }
    Ok(value)
}

/// Why `pairs` are not a `T`: every failing field, each value read as its field's type.
#[cold]
fn pairs_rejection<T: DeserializeOwned + JsonSchema>(
    pairs: &FormPairs<'_>,
    source: &str,
) -> Rejection {
    let schema = TypeSchema::of::<T>();
    let errors = schema.check(&pairs_value(&schema, pairs.groups()), source);
    if !errors.is_empty() {
        return Rejection::Invalid(errors);
    }
    // The schema is looser than serde here: serde's own error, where serde met it.
    match pairs.deserialize_with_path::<T>() {
        Err(error) => Rejection::invalid(serde_error_to_field(source, &error)),
        // Not reached: the same pairs failed a moment ago.
        Ok(_) => Rejection::invalid(FieldError::new(source, "invalid", "not a valid value")),
    }
}

/// The validation `errors` of a `T` read from `pairs`, at the names the request used.
#[cold]
fn invalid_pairs<T: JsonSchema>(
    pairs: &FormPairs<'_>,
    source: &str,
    errors: ValidationErrors,
) -> Rejection {
    let schema = TypeSchema::of::<T>();
    let value = pairs_value(&schema, pairs.groups());
    Rejection::Invalid(prefixed(source, wire_locations(errors, &value, &schema)))
}

/// Turns a serde error at a path into a field error at `source.path`.
///
/// serde reports a missing field at its parent; the field's name is moved into the location,
/// so `{"a": {}}` missing `b` reads `body.a.b: field required`.
pub(crate) fn serde_error_to_field<E: std::fmt::Display>(
    source: &str,
    error: &serde_path_to_error::Error<E>,
) -> FieldError {
    let mut location = source.to_owned();
    let path = error.path().to_string();
    if path != "." {
        if !path.starts_with('[') {
            location.push('.');
        }
        location.push_str(&path);
    }
    let message = error.inner().to_string();
    let message = strip_position(&message);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        location.push('.');
        location.push_str(field);
        return FieldError::new(location, "missing", "field required");
    }
    FieldError::new(location, "invalid", rephrase_serde(message))
}

/// serde_json appends " at line L column C"; the location already says where.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(index) if message[index..].contains(" column ") => &message[..index],
        _ => message,
    }
}

/// Reads the query parameter `name` as a `T` (a scalar, an `Option` or a `Vec`).
pub(crate) fn query_param<T: DeserializeOwned>(parts: &Parts, name: &str) -> Result<T, Rejection> {
    let query = parts.uri.query().unwrap_or("");
    let values: SmallVec<[Cow<'_, str>; 2]> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value)
        .collect();
    from_values(&values).map_err(|error| {
        Rejection::invalid(FieldError::new(
            format!("query.{name}"),
            error.code(),
            error.to_string(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
    struct Page {
        limit: u32,
        #[serde(default)]
        offset: u32,
        tag: Option<Vec<String>>,
    }

    impl Validate for Page {}

    fn locations(rejection: Rejection) -> Vec<(String, String)> {
        match rejection {
            Rejection::Invalid(errors) => errors
                .into_iter()
                .map(|e| (e.location, e.message))
                .collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn parses_structs_with_defaults_and_repeats() {
        let page: Page = parse_query("limit=5&tag=a&tag=b").unwrap();
        assert_eq!(
            page,
            Page {
                limit: 5,
                offset: 0,
                tag: Some(vec!["a".into(), "b".into()])
            }
        );
    }

    #[test]
    fn names_the_failing_field() {
        let error = parse_query::<Page>("limit=many").unwrap_err();
        assert_eq!(locations(error)[0].0, "query.limit");
        let error = parse_query::<Page>("offset=1").unwrap_err();
        assert_eq!(
            locations(error),
            vec![("query.limit".to_owned(), "field required".to_owned())]
        );
    }

    #[test]
    fn strips_json_positions() {
        assert_eq!(strip_position("bad thing at line 1 column 5"), "bad thing");
        assert_eq!(strip_position("no position"), "no position");
    }
}
