//! The words of the checker's messages: what a value is, what a schema expects.

use std::fmt::Display;

use serde_json::Value;

/// How long a quoted string may be in a message before it is cut.
const QUOTE_LIMIT: usize = 40;

/// What `value` is, for a message: `the number 5`, `the string "x"`, `an array`.
pub(super) fn got(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", quoted(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `value` as JSON, short: strings are cut after [`QUOTE_LIMIT`] characters, containers are
/// named rather than shown.
pub(super) fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => quoted(s),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((end, _)) => {
            let head = Value::from(&text[..end]).to_string();
            // Only the closing quote goes: an escaped one before it stays.
            format!("{}…\"", head.strip_suffix('"').unwrap_or(&head))
        }
        None => Value::from(text).to_string(),
    }
}

/// A JSON Schema type name as a noun: `integer` → `an integer`.
pub(super) fn type_noun(name: &str) -> &'static str {
    match name {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean",
        "object" => "an object",
        "array" => "an array",
        "null" => "null",
        _ => "a value",
    }
}

/// A schema's `type` (one name or a list) as a noun: `an integer or null`.
pub(super) fn types_noun(types: &Value) -> String {
    match types {
        Value::Array(names) => {
            let nouns: Vec<String> = names
                .iter()
                .filter_map(Value::as_str)
                .map(|name| type_noun(name).to_owned())
                .collect();
            either(&nouns)
        }
        other => type_noun(other.as_str().unwrap_or_default()).to_owned(),
    }
}

/// `a`, `a or b`, `a, b or c`.
pub(super) fn either(items: &[String]) -> String {
    match items {
        [] => "a value".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `one of "a", "b"` for a list of allowed values, or the one value.
pub(super) fn one_of(values: &[Value]) -> String {
    let items: Vec<String> = values.iter().map(literal).collect();
    match items.as_slice() {
        [one] => one.clone(),
        _ => format!("one of {}", items.join(", ")),
    }
}

/// A length rule in words, for strings (characters) and lists (items) alike, as the
/// checker and validation both state it: `length must be between 1 and 50`.
pub(crate) fn length_rule(min: Option<impl Display>, max: Option<impl Display>) -> String {
    match (min, max) {
        (Some(min), Some(max)) if min.to_string() == max.to_string() => {
            format!("length must be exactly {min}")
        }
        (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
        (Some(min), None) => format!("length must be at least {min}"),
        (None, Some(max)) => format!("length must be at most {max}"),
        (None, None) => "length is out of range".to_owned(),
    }
}

/// A range rule in words from its bounds (`at least 1`, `less than 10`): `must be at least
/// 1 and at most 100`.
pub(crate) fn range_rule(lower: Option<String>, upper: Option<String>) -> String {
    match (lower, upper) {
        (Some(lower), Some(upper)) => format!("must be {lower} and {upper}"),
        (Some(bound), None) | (None, Some(bound)) => format!("must be {bound}"),
        (None, None) => "is out of range".to_owned(),
    }
}

/// Says what a key that must match `pattern` should look like, naming the integer key
/// patterns schemars writes for integer-keyed maps.
pub(super) fn key_rule(pattern: &str) -> String {
    match pattern {
        r"^\d+$" => "a non-negative integer".to_owned(),
        r"^-?\d+$" => "an integer".to_owned(),
        other => format!("a key matching the pattern `{other}`"),
    }
}

/// serde's own error message, in the checker's words where its shape is known:
/// `invalid type: integer `5`, expected a string` → `expected a string, got integer `5``.
pub(crate) fn rephrase_serde(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            return format!("expected {expected}, got {got}");
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {expected}, got {got} items");
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_named_for_people() {
        let cases = [
            (json!(5), "the number 5"),
            (json!(1.5), "the number 1.5"),
            (json!("x"), "the string \"x\""),
            (json!(null), "null"),
            (json!(true), "the boolean true"),
            (json!([]), "an array"),
            (json!({}), "an object"),
        ];
        for (value, words) in cases {
            assert_eq!(got(&value), words);
        }
        let quotes = format!("{}\"", "a".repeat(39));
        assert_eq!(
            got(&json!(quotes + "tail")),
            format!("the string \"{}\\\"…\"", "a".repeat(39))
        );
        let long = "a".repeat(100);
        assert_eq!(
            got(&json!(long)),
            format!("the string \"{}…\"", "a".repeat(40))
        );
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(either(&["a".into()]), "a");
        assert_eq!(either(&["a".into(), "b".into()]), "a or b");
        assert_eq!(either(&["a".into(), "b".into(), "c".into()]), "a, b or c");
        assert_eq!(one_of(&[json!("x")]), "\"x\"");
        assert_eq!(one_of(&[json!("x"), json!(1)]), "one of \"x\", 1");
    }

    #[test]
    fn serde_messages_are_turned_around() {
        let cases = [
            (
                "invalid type: integer `5`, expected a string",
                "expected a string, got integer `5`",
            ),
            (
                "invalid value: integer `300`, expected u8",
                "expected u8, got integer `300`",
            ),
            (
                "invalid length 1, expected a tuple of size 2",
                "expected a tuple of size 2, got 1 items",
            ),
            ("duplicate field `a`", "duplicate field `a`"),
        ];
        for (serde, ours) in cases {
            assert_eq!(rephrase_serde(serde), ours);
        }
    }
}
