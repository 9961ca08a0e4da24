//! Every failing location of a request value at once, as pydantic lists them.
//!
//! serde stops at the first error, and serde_json cannot resume inside a nested value. So the
//! typed parse stays the only work a valid request pays for; when it fails, the input is read
//! again as a [`serde_json::Value`] and checked against the type's JSON Schema, the one the
//! document states (schemars mirrors serde's renames, defaults, tags and unknown-field rules,
//! and validator's length, range and pattern rules). Each failing location becomes a
//! [`FieldError`] at its name on the wire (`body.items[2].price`), with a message for people
//! and a stable code (`missing`, `type`, `range`, `length`, `pattern`, `enum`,
//! `unknown_field`, `key`, `forbidden`).

mod coerce;
mod walk;
mod words;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use regex::Regex;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::problem::FieldError;

pub(crate) use coerce::pairs_value;
pub(crate) use words::{length_rule, range_rule, rephrase_serde};

/// How many `$ref`s in a row are followed before giving up (schemars writes one at a time).
const MAX_REFS: usize = 32;

/// A type's JSON Schema, ready to check values: the root with its `$defs`, and every regular
/// expression it holds, compiled.
#[derive(Debug)]
pub(crate) struct TypeSchema {
    root: Value,
    patterns: HashMap<String, Option<Regex>>,
}

impl TypeSchema {
    /// The schema of `T`, made once per type and kept (only failing requests ask).
    pub(crate) fn of<T: JsonSchema + ?Sized>() -> Arc<Self> {
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<TypeSchema>>>> = OnceLock::new();
        let id = T::schema_id();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(schema) = cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id.as_ref())
        {
            return Arc::clone(schema);
        }
        // Built outside the lock: two first failures of one type may both build it.
        let schema = Arc::new(Self::new(Self::generate::<T>()));
        cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.into_owned(), Arc::clone(&schema));
        schema
    }

    /// The root schema of `T` in the dialect the document uses, for deserialization.
    fn generate<T: JsonSchema + ?Sized>() -> Value {
        let mut settings = SchemaSettings::draft2020_12();
        settings.meta_schema = None;
        settings
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value()
    }

    /// Prepares `root` for checking: compiles its patterns.
    pub(crate) fn new(root: Value) -> Self {
        let mut patterns = HashMap::new();
        collect_patterns(&root, &mut patterns);
        Self { root, patterns }
    }

    /// Every failing location of `value`, under `source` (`body`, `query`); empty if the
    /// schema accepts it.
    pub(crate) fn check(&self, value: &Value, source: &str) -> Vec<FieldError> {
        let mut walk = walk::Walk::new(self, source, value);
        walk.value(&self.root, value);
        walk.errors
    }

    /// The schema a `$ref` names (`#/$defs/Item`), if this schema holds it.
    fn resolve(&self, reference: &Value) -> Option<&Value> {
        let pointer = reference.as_str()?.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    /// `schema` with its `$ref`s followed: the schema that says what it is.
    fn flatten<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..MAX_REFS {
            match schema.get("$ref").and_then(|r| self.resolve(r)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    /// Whether `text` matches `pattern`; `None` if the pattern is not one the regex engine
    /// reads (then it constrains nothing here).
    fn is_match(&self, pattern: &str, text: &str) -> Option<bool> {
        let regex = self.patterns.get(pattern)?.as_ref()?;
        Some(regex.is_match(text))
    }
}

/// Every failing location of `value` as a `T`, under `source`.
pub(crate) fn check<T: JsonSchema + ?Sized>(value: &Value, source: &str) -> Vec<FieldError> {
    TypeSchema::of::<T>().check(value, source)
}

/// Compiles each `pattern` and `patternProperties` key found in `schema`.
fn collect_patterns(schema: &Value, out: &mut HashMap<String, Option<Regex>>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("pattern", Value::String(pattern)) => compile(pattern, out),
                    ("patternProperties", Value::Object(patterns)) => {
                        for pattern in patterns.keys() {
                            compile(pattern, out);
                        }
                    }
                    _ => {}
                }
                collect_patterns(value, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_patterns(item, out)),
        _ => {}
    }
}

fn compile(pattern: &str, out: &mut HashMap<String, Option<Regex>>) {
    if !out.contains_key(pattern) {
        out.insert(pattern.to_owned(), Regex::new(pattern).ok());
    }
}

/// Rewrites every number like `354.0` (a float with no fraction, within ±2^63) as the
/// integer `354`, which JSON Schema's `integer` takes and serde's integers do not; whether it
/// found one.
pub(crate) fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            let Some(float) = number.as_f64() else {
                return false;
            };
            let integer = if is_integral(float) {
                Some(float as i64)
            } else {
                None
            };
            match integer {
                Some(integer) => {
                    *value = Value::from(integer);
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items.iter_mut().fold(false, |found, item| {
            integral_floats_to_integers(item) | found
        }),
        Value::Object(members) => members.values_mut().fold(false, |found, member| {
            integral_floats_to_integers(member) | found
        }),
        _ => false,
    }
}

/// Whether `float` is an integer JSON Schema's way that serde can read once rewritten: no
/// fraction, within ±2^63 (where `as i64` is exact).
pub(crate) fn is_integral(float: f64) -> bool {
    float.fract() == 0.0 && float.abs() < 9.223_372_036_854_776e18
}
