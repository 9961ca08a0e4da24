//! Validation errors at the names on the wire.
//!
//! `validator` names fields as Rust does (`home_address.zip_code`); a request names them as
//! serde does (`homeAddress.zipCode`). Both spellings of each field are at hand only on the
//! error path: the Rust path in the error, and the request's own value, whose keys are the
//! wire names.

use serde_json::{Map, Value};

use super::ValidationErrors;
use crate::check::TypeSchema;
use crate::problem::FieldError;

/// Rewrites each location of `errors` with the names the request used for its fields,
/// read from the request's own `value` (parsed as `schema` describes it).
///
/// A field's wire name is the key of `value` that spells it, or else the one that differs
/// from it only in case and separators, which covers every `rename_all` convention. A field
/// renamed to another word (`#[serde(rename = "town")] city`) is found through the schema
/// check instead, for the rules the schema states (length, range, pattern): the one error the
/// check gives with the same code at a location of the same shape. A custom rule on such a
/// field, or on a field absent from the request, keeps its Rust name.
pub(crate) fn wire_locations(
    errors: ValidationErrors,
    value: &Value,
    schema: &TypeSchema,
) -> ValidationErrors {
    let mut errors = errors.0;
    let mut unresolved = Vec::new();
    for (index, error) in errors.iter_mut().enumerate() {
        let (location, resolved) = wire_path(&error.location, value);
        error.location = location;
        if !resolved {
            unresolved.push(index);
        }
    }
    if !unresolved.is_empty() {
        let checked = schema.check(value, "");
        for index in unresolved {
            if let Some(location) = counterpart(&errors[index], &checked, &errors) {
                errors[index].location = location;
            }
        }
    }
    ValidationErrors(errors)
}

/// The location of the one error in `checked` that is `error` at its wire name: same code,
/// same shape of location, and not a location another error already has.
fn counterpart(
    error: &FieldError,
    checked: &[FieldError],
    errors: &[FieldError],
) -> Option<String> {
    let mut candidates = checked.iter().filter(|found| {
        let location = found.location.trim_start_matches('.');
        found.code == error.code
            && same_shape(location, &error.location)
            && !errors.iter().any(|other| other.location == location)
    });
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only.location.trim_start_matches('.').to_owned()),
        _ => None,
    }
}

/// Whether two locations have as many steps, with the same indices at the same places.
fn same_shape(a: &str, b: &str) -> bool {
    let (a, b) = (steps(a), steps(b));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x.starts_with('[') == y.starts_with('[') && (!x.starts_with('[') || x == y)
        })
}

/// The steps of a location: `a.b[2].c` → `a`, `b`, `[2]`, `c`.
fn steps(location: &str) -> Vec<&str> {
    let mut steps = Vec::new();
    let mut rest = location;
    while !rest.is_empty() {
        if rest.starts_with('[') {
            let end = rest.find(']').map_or(rest.len(), |i| i + 1);
            steps.push(&rest[..end]);
            rest = &rest[end..];
        } else {
            let name = rest.strip_prefix('.').unwrap_or(rest);
            let end = name.find(['.', '[']).unwrap_or(name.len());
            steps.push(&name[..end]);
            rest = &name[end..];
        }
    }
    steps
}

/// `path` with each field at its wire name in `value`, and whether every step was found.
fn wire_path(path: &str, value: &Value) -> (String, bool) {
    let mut out = String::with_capacity(path.len());
    let mut current = Some(value);
    for step in steps(path) {
        if let Some(key) = step.strip_prefix('[') {
            let key = key.strip_suffix(']').unwrap_or(key);
            current = match current {
                Some(Value::Array(items)) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                Some(Value::Object(object)) => object.get(key),
                _ => None,
            };
            out.push_str(step);
            continue;
        }
        let wire = match current {
            Some(Value::Object(object)) => wire_key(object, step),
            _ => None,
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(wire.unwrap_or(step));
        current = wire.and_then(|wire| current?.get(wire));
    }
    (out, current.is_some())
}

/// The key of `object` that names the Rust field `name`.
fn wire_key<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v str> {
    if let Some((key, _)) = object.get_key_value(name) {
        return Some(key);
    }
    let name = name.strip_prefix("r#").unwrap_or(name);
    let folded = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = folded(name);
    object
        .keys()
        .find(|key| folded(key) == wanted)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_take_the_names_on_the_wire() {
        let value = serde_json::json!({
            "zipCode": "x",
            "home-address": {"ZIP_CODE": 1, "lines": ["a", {"first_line": 2}]},
            "r#type": 1,
            "kind": 2,
            "tags": {"k": {"innerValue": 1}}
        });
        let cases = [
            ("zip_code", "zipCode", true),
            ("home_address.zip_code", "home-address.ZIP_CODE", true),
            (
                "home_address.lines[1].first_line",
                "home-address.lines[1].first_line",
                true,
            ),
            ("r#kind", "kind", true),
            ("tags[k].inner_value", "tags[k].innerValue", true),
            ("absent.inner_field", "absent.inner_field", false),
            ("", "", true),
            ("[2]", "[2]", false),
        ];
        for (rust, wire, found) in cases {
            assert_eq!(wire_path(rust, &value), (wire.to_owned(), found), "{rust}");
        }
    }

    #[test]
    fn steps_and_shapes() {
        assert_eq!(steps("a.b[2].c"), ["a", "b", "[2]", "c"]);
        assert_eq!(steps("[0]"), ["[0]"]);
        assert!(same_shape("a.b[2].c", "x.y[2].z"));
        assert!(!same_shape("a.b[2].c", "a.b[3].c"));
        assert!(!same_shape("a.b", "a.b.c"));
    }

    #[derive(serde::Deserialize, schemars::JsonSchema, validator::Validate)]
    #[allow(dead_code)]
    struct Place {
        #[serde(rename = "town")]
        #[validate(length(min = 2))]
        city: String,
        #[serde(rename = "postcode")]
        #[validate(custom(function = "never"))]
        zip: String,
    }

    fn never(_: &str) -> Result<(), validator::ValidationError> {
        Err(validator::ValidationError::new("never"))
    }

    #[test]
    fn a_field_renamed_to_another_word_is_found_through_the_schema() {
        use validator::Validate as _;
        let value = serde_json::json!({"town": "x", "postcode": "1"});
        let place: Place = serde_json::from_value(value.clone()).unwrap();
        let errors = super::super::validation_result(place.validate()).unwrap_err();
        let errors = wire_locations(errors, &value, &TypeSchema::of::<Place>());
        let locations: Vec<&str> = errors.0.iter().map(|e| e.location.as_str()).collect();
        // The length rule is in the schema; the custom one is not, and keeps the Rust name.
        assert_eq!(locations, ["town", "zip"]);
    }
}
