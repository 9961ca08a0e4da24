//! Query strings and form bodies as JSON values: each string read as the urlencoded
//! deserializer would read it for its field (numbers, booleans, repeated keys as lists), so
//! that the schema check faults only what the typed parse faulted.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::{MAX_REFS, TypeSchema};

/// The pairs `groups` (each key with its values, in order) as a JSON object, each value
/// typed by the schema of its field in `schema`.
pub(crate) fn pairs_value<'g, 'c: 'g>(
    schema: &TypeSchema,
    groups: impl Iterator<Item = (&'g str, &'g [Cow<'c, str>])>,
) -> Value {
    let root = schema.flatten(&schema.root);
    let properties = root.get("properties").and_then(Value::as_object);
    let mut object = Map::new();
    for (key, values) in groups {
        let field = properties.and_then(|p| p.get(key));
        let value = match field.map(|field| shape(schema, field)) {
            Some(Shape::List(items)) => Value::Array(
                values
                    .iter()
                    .map(|value| scalar(&scalar_type(schema, items), value))
                    .collect(),
            ),
            Some(Shape::Scalar(kind)) => values
                .last()
                .map_or(Value::Null, |value| scalar(&kind, value)),
            None => values
                .last()
                .map_or(Value::Null, |value| Value::String(value.to_string())),
        };
        object.insert(key.to_owned(), value);
    }
    Value::Object(object)
}

/// What a field takes: a list of values (repeated keys), or one value of a JSON type.
enum Shape<'s> {
    List(&'s Value),
    Scalar(String),
}

fn shape<'s>(schema: &'s TypeSchema, field: &'s Value) -> Shape<'s> {
    let field = non_null(schema, field);
    if type_names(field).any(|name| name == "array") {
        return Shape::List(field.get("items").unwrap_or(&Value::Bool(true)));
    }
    Shape::Scalar(scalar_type(schema, field))
}

/// The field's schema with `$ref`s followed and an `Option`'s `null` branch set aside.
fn non_null<'s>(schema: &'s TypeSchema, mut field: &'s Value) -> &'s Value {
    for _ in 0..MAX_REFS {
        field = schema.flatten(field);
        let branches = ["anyOf", "oneOf"]
            .into_iter()
            .find_map(|key| field.get(key).and_then(Value::as_array));
        let Some(branches) = branches else { break };
        let mut not_null = branches
            .iter()
            .filter(|branch| !type_names(branch).eq(["null"]));
        match (not_null.next(), not_null.next()) {
            (Some(only), None) => field = only,
            _ => break,
        }
    }
    field
}

/// The JSON type a scalar field takes (`integer`, `number`, `boolean`), or `string`.
fn scalar_type(schema: &TypeSchema, field: &Value) -> String {
    let field = non_null(schema, field);
    type_names(field)
        .find(|name| *name != "null")
        .unwrap_or("string")
        .to_owned()
}

fn type_names(schema: &Value) -> impl Iterator<Item = &str> {
    let names: &[Value] = match schema.get("type") {
        Some(Value::Array(names)) => names,
        Some(name) => std::slice::from_ref(name),
        None => &[],
    };
    names.iter().filter_map(Value::as_str)
}

/// `raw` as a value of JSON type `kind`, if it reads as one; else the string itself, which
/// the check then reports as the wrong type.
fn scalar(kind: &str, raw: &str) -> Value {
    let trimmed = raw.trim();
    let typed = match kind {
        "integer" => trimmed
            .parse::<i64>()
            .map(Number::from)
            .ok()
            .or_else(|| trimmed.parse::<u64>().map(Number::from).ok())
            .map(Value::Number),
        "number" => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
        // The words `ValuesDeserializer::deserialize_bool` reads.
        "boolean" => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(Value::Bool(true)),
            "false" | "0" | "no" | "off" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    typed.unwrap_or_else(|| Value::String(raw.to_owned()))
}
