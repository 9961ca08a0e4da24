//! The walk: a JSON value against a schema, every failing location listed.
//!
//! It understands the JSON Schema that schemars writes for serde types (Draft 2020-12:
//! `$ref` into `$defs`, `type`, `const`/`enum`, `properties`/`required`/
//! `additionalProperties`/`patternProperties`/`propertyNames`, `items`/`prefixItems`, the
//! numeric and length bounds, `pattern`, `allOf`, and `anyOf`/`oneOf` for enums and
//! `Option`s). A keyword it does not know constrains nothing here, so a schema looser than
//! serde leaves the error to serde's own message.

use serde_json::{Map, Number, Value};

mod union;

use super::TypeSchema;
use super::words::{got, key_rule, length_rule, literal, one_of, range_rule, types_noun};
use crate::problem::FieldError;

/// How deep schemas may nest without the value nesting too: only a schema that refers to
/// itself without ever descending (which schemars does not write) gets there.
const MAX_DEPTH: usize = 256;

/// How many schema steps a walk may take for each node of the value (plus a few): a union
/// tries each of its branches, so unions nested in unions could otherwise cost exponential
/// time on a crafted value. A walk out of steps reports what it found so far.
const STEPS_PER_NODE: usize = 16;

/// One walk: the schema, where in the value it is, and what it found.
pub(super) struct Walk<'s> {
    schema: &'s TypeSchema,
    location: String,
    depth: usize,
    steps_left: usize,
    pub(super) errors: Vec<FieldError>,
}

impl<'s> Walk<'s> {
    pub(super) fn new(schema: &'s TypeSchema, source: &str, value: &Value) -> Self {
        Self {
            schema,
            location: source.to_owned(),
            depth: 0,
            steps_left: nodes(value)
                .saturating_mul(STEPS_PER_NODE)
                .saturating_add(1024),
            errors: Vec::new(),
        }
    }

    fn push(&mut self, code: &'static str, message: String) {
        self.errors
            .push(FieldError::new(self.location.clone(), code, message));
    }

    /// Runs `f` with `.key` (or `[index]`) appended to the location.
    fn at(&mut self, segment: Segment<'_>, f: impl FnOnce(&mut Self)) {
        let len = self.location.len();
        match segment {
            Segment::Key(key) => {
                self.location.push('.');
                self.location.push_str(key);
            }
            Segment::Index(index) => {
                self.location.push('[');
                self.location.push_str(&index.to_string());
                self.location.push(']');
            }
        }
        f(self);
        self.location.truncate(len);
    }

    /// Checks `value` against `schema`, pushing an error for each failing location.
    pub(super) fn value(&mut self, schema: &'s Value, value: &Value) {
        if self.depth >= MAX_DEPTH || self.steps_left == 0 {
            return;
        }
        self.steps_left -= 1;
        self.depth += 1;
        self.keywords(schema, value);
        self.depth -= 1;
    }

    fn keywords(&mut self, schema: &'s Value, value: &Value) {
        let schema = match schema {
            Value::Object(schema) => schema,
            // `false` admits nothing; `true` (and anything that is not a schema) everything.
            Value::Bool(false) => return self.push("forbidden", "no value is allowed here".into()),
            _ => return,
        };
        if let Some(target) = schema.get("$ref").and_then(|r| self.schema.resolve(r)) {
            self.value(target, value);
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for branch in all {
                self.value(branch, value);
            }
        }
        for union in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(union) {
                self.union(branches, value);
            }
        }
        if let Some(types) = schema.get("type")
            && !type_admits(types, value)
        {
            let expected = types_noun(types);
            return self.push("type", format!("expected {expected}, got {}", got(value)));
        }
        if let Some(allowed) = schema.get("const")
            && allowed != value
        {
            let message = format!("expected {}, got {}", literal(allowed), got(value));
            return self.push("enum", message);
        }
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.contains(value)
        {
            let message = format!("expected {}, got {}", one_of(allowed), got(value));
            return self.push("enum", message);
        }
        match value {
            Value::Number(number) => self.number(schema, number),
            Value::String(text) => self.string(schema, text),
            Value::Array(items) => self.array(schema, items),
            Value::Object(object) => self.object(schema, object),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn number(&mut self, schema: &Map<String, Value>, number: &Number) {
        let bound = |key: &str| schema.get(key).and_then(Value::as_number);
        let (min, exclusive_min) = (bound("minimum"), bound("exclusiveMinimum"));
        let (max, exclusive_max) = (bound("maximum"), bound("exclusiveMaximum"));
        let outside = min.is_some_and(|min| compare(number, min).is_lt())
            || exclusive_min.is_some_and(|min| compare(number, min).is_le())
            || max.is_some_and(|max| compare(number, max).is_gt())
            || exclusive_max.is_some_and(|max| compare(number, max).is_ge());
        if outside {
            let lower = min
                .map(|min| format!("at least {min}"))
                .or_else(|| exclusive_min.map(|min| format!("greater than {min}")));
            let upper = max
                .map(|max| format!("at most {max}"))
                .or_else(|| exclusive_max.map(|max| format!("less than {max}")));
            return self.push("range", range_rule(lower, upper));
        }
        // The Rust type's own bounds, for the integer formats schemars gives no bounds.
        let format_range = schema
            .get("format")
            .and_then(Value::as_str)
            .and_then(integer_format_range);
        if let (Some((low, high)), Some(n)) = (format_range, as_i128(number))
            && !(low..=high).contains(&n)
        {
            let (lower, upper) = (format!("at least {low}"), format!("at most {high}"));
            self.push("range", range_rule(Some(lower), Some(upper)));
        }
    }

    fn string(&mut self, schema: &Map<String, Value>, text: &str) {
        let len = text.chars().count() as u64;
        if let Some(message) = length_error(schema, "minLength", "maxLength", len) {
            return self.push("length", message);
        }
        if let Some(Value::String(pattern)) = schema.get("pattern")
            && self.schema.is_match(pattern, text) == Some(false)
        {
            self.push("pattern", format!("must match the pattern `{pattern}`"));
        }
    }

    fn array(&mut self, schema: &'s Map<String, Value>, items: &[Value]) {
        let len = items.len() as u64;
        if let Some(message) = length_error(schema, "minItems", "maxItems", len) {
            return self.push("length", message);
        }
        let prefix = match schema.get("prefixItems") {
            Some(Value::Array(prefix)) => prefix.as_slice(),
            _ => &[],
        };
        for (index, item) in items.iter().enumerate() {
            let item_schema = prefix.get(index).or_else(|| schema.get("items"));
            if let Some(item_schema) = item_schema {
                self.at(Segment::Index(index), |walk| walk.value(item_schema, item));
            }
        }
    }

    fn object(&mut self, schema: &'s Map<String, Value>, object: &Map<String, Value>) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let required = schema.get("required").and_then(Value::as_array);
        let is_required =
            |name: &str| required.is_some_and(|names| names.iter().any(|n| n == name));
        // Declaration order, as the model lists its fields.
        for (name, property) in properties.into_iter().flatten() {
            match object.get(name) {
                Some(item) => self.at(Segment::Key(name), |walk| walk.value(property, item)),
                None if is_required(name) => self.at(Segment::Key(name), |walk| {
                    walk.push("missing", "field required".into())
                }),
                None => {}
            }
        }
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) && !properties.is_some_and(|p| p.contains_key(name)) {
                self.at(Segment::Key(name), |walk| {
                    walk.push("missing", "field required".into())
                });
            }
        }
        let patterns = schema.get("patternProperties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let names = schema.get("propertyNames");
        for (key, item) in object {
            if let Some(names) = names {
                let key_value = Value::String(key.clone());
                self.at(Segment::Key(key), |walk| walk.value(names, &key_value));
            }
            if properties.is_some_and(|p| p.contains_key(key)) {
                continue;
            }
            let mut matched = false;
            for (pattern, item_schema) in patterns.into_iter().flatten() {
                if self.schema.is_match(pattern, key) == Some(true) {
                    matched = true;
                    self.at(Segment::Key(key), |walk| walk.value(item_schema, item));
                }
            }
            match additional {
                _ if matched => {}
                Some(Value::Bool(false)) => self.at(Segment::Key(key), |walk| {
                    match (properties, patterns.and_then(|p| p.keys().next())) {
                        // A map whose keys must match a pattern (integer keys).
                        (None, Some(pattern)) => walk.push(
                            "key",
                            format!("`{key}` is not a valid key: expected {}", key_rule(pattern)),
                        ),
                        _ => walk.push("unknown_field", format!("unknown field `{key}`")),
                    }
                }),
                Some(item_schema) => {
                    self.at(Segment::Key(key), |walk| walk.value(item_schema, item))
                }
                None => {}
            }
        }
    }
}

/// What is wrong with a length `len` under the bounds `min_key` and `max_key` of `schema`,
/// if anything.
fn length_error(
    schema: &Map<String, Value>,
    min_key: &str,
    max_key: &str,
    len: u64,
) -> Option<String> {
    let min = schema.get(min_key).and_then(Value::as_u64);
    let max = schema.get(max_key).and_then(Value::as_u64);
    let outside = min.is_some_and(|min| len < min) || max.is_some_and(|max| len > max);
    outside.then(|| length_rule(min, max))
}

/// How many values `value` holds, itself included.
fn nodes(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nodes).sum::<usize>(),
        Value::Object(object) => 1 + object.values().map(nodes).sum::<usize>(),
        _ => 1,
    }
}

/// A step into a value.
enum Segment<'k> {
    Key(&'k str),
    Index(usize),
}

/// Whether `value` has one of the JSON types `types` names. `1.0` is an integer, as JSON
/// Schema says: the body is then read with its integral floats as integers
/// ([`integral_floats_to_integers`](super::integral_floats_to_integers)), so the server takes
/// what the document allows.
fn type_admits(types: &Value, value: &Value) -> bool {
    let admits = |name: &str| match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(super::is_integral)
        }
        _ => true,
    };
    match types {
        Value::String(name) => admits(name),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(admits),
        _ => true,
    }
}

/// The range of the Rust integer a schemars `format` stands for, where schemars gives no
/// `minimum`/`maximum` of its own.
fn integer_format_range(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" | "uint" => (0, u64::MAX.into()),
        _ => return None,
    })
}

fn as_i128(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

/// Orders two JSON numbers: exactly when both are integers, as floats otherwise.
fn compare(a: &Number, b: &Number) -> std::cmp::Ordering {
    match (as_i128(a), as_i128(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
        }
    }
}
