//! [`Lenient<T>`]: a number or boolean that also accepts its text, for clients that quote
//! numbers in JSON (`"50.5"`), as FastAPI's lax mode does.

use std::borrow::Cow;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// A value of `T` in a JSON body or a model that may also come as text: `50.5` or `"50.5"`.
///
/// oxapi reads JSON strictly: a string is not a number. A field that must take both, as
/// FastAPI does by default, is declared `Lenient<f64>` (any integer type, `f32`, `f64` or
/// `bool`); the document says so (`anyOf` the number and a string of its digits), so the
/// server accepts exactly what it documents. It serializes as a plain `T`.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::Lenient;
///
/// #[model]
/// struct NewItem {
///     price: Lenient<f64>,
/// }
///
/// let item: NewItem = oxapi::__private::serde_json::from_str(r#"{"price": "50.5"}"#).unwrap();
/// assert_eq!(*item.price, 50.5);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Lenient<T>(pub T);

impl<T> std::ops::Deref for Lenient<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// A type [`Lenient`] can read from text: numbers and booleans, each with the pattern its text
/// matches.
pub trait FromText: FromStr + for<'de> Deserialize<'de> + Serialize + JsonSchema {
    /// The pattern of the text forms `from_str` accepts, for the document.
    const PATTERN: &'static str;

    /// Whether a parsed value is one JSON could carry: not an infinity or NaN.
    fn is_plain(&self) -> bool {
        true
    }
}

macro_rules! from_text {
    ($pattern:literal: $($ty:ty),*) => {$(
        impl FromText for $ty {
            const PATTERN: &'static str = $pattern;
        }
    )*};
}

from_text!("^\\+?[0-9]+$": u8, u16, u32, u64, u128, usize);
from_text!("^[-+]?[0-9]+$": i8, i16, i32, i64, i128, isize);
from_text!("^(true|false)$": bool);

// What Rust's float parser takes, less `inf` and `NaN`, which JSON cannot carry.
const FLOAT: &str = "^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$";

impl FromText for f32 {
    const PATTERN: &'static str = FLOAT;
    fn is_plain(&self) -> bool {
        self.is_finite()
    }
}

impl FromText for f64 {
    const PATTERN: &'static str = FLOAT;
    fn is_plain(&self) -> bool {
        self.is_finite()
    }
}

impl<'de, T: FromText> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The value is buffered once to try both forms; bodies are small, and this type is
        // chosen for the fields that need it only.
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(text) => match text.parse::<T>() {
                Ok(parsed) if parsed.is_plain() => Ok(Self(parsed)),
                _ => Err(de::Error::custom(format_args!(
                    "`{text}` is not a {}",
                    T::schema_name()
                ))),
            },
            other => T::deserialize(other).map(Self).map_err(de::Error::custom),
        }
    }
}

impl<T: Serialize> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<T: FromText> JsonSchema for Lenient<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Lenient_{}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<T>();
        let pattern = T::PATTERN;
        json_schema!({
            "anyOf": [value, { "type": "string", "pattern": pattern }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_as_numbers_or_as_their_text() {
        let read = |json: &str| serde_json::from_str::<Lenient<f64>>(json).map(|v| v.0);
        assert_eq!(read("50.5").unwrap(), 50.5);
        assert_eq!(read(r#""50.5""#).unwrap(), 50.5);
        assert_eq!(read(r#""-1e3""#).unwrap(), -1000.0);
        for bad in [r#""abc""#, r#""NaN""#, r#""inf""#, "true", "null"] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let read = |json: &str| serde_json::from_str::<Lenient<u8>>(json).map(|v| v.0);
        assert_eq!(read(r#""7""#).unwrap(), 7);
        assert!(read(r#""300""#).is_err());
        assert!(read(r#""-1""#).is_err());
        assert!(
            serde_json::from_str::<Lenient<bool>>(r#""true""#)
                .unwrap()
                .0
        );
    }

    #[test]
    fn the_schema_takes_the_value_or_its_text() {
        let schema = schemars::schema_for!(Lenient<u32>).to_value();
        assert_eq!(schema["anyOf"][0]["type"], "integer");
        assert_eq!(schema["anyOf"][1]["pattern"], "^\\+?[0-9]+$");
    }

    #[test]
    fn it_serializes_as_the_value() {
        assert_eq!(serde_json::to_string(&Lenient(5u8)).unwrap(), "5");
    }
}
