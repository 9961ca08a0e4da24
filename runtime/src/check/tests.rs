//! The checker against every serde shape `#[model]` supports: each case is a type, a body,
//! and the errors expected, as `location code: message`. Every case also asserts that serde
//! agrees: a body with errors fails the typed parse, a body without passes it.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::*;

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Item {
    name: String,
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Address {
    zip_code: String,
    #[serde(rename = "town")]
    city: String,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Order {
    items: Vec<Item>,
    address: Option<Address>,
    #[serde(default)]
    counts: HashMap<String, u32>,
    #[serde(default)]
    by_id: HashMap<i64, u8>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    colour: String,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Sizes {
    small: u8,
    count: u32,
    signed: i32,
    ratio: f32,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
enum External {
    Point,
    Circle { radius: f64 },
    Pair(u8, u8),
    Named(String),
}

#[derive(Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[allow(dead_code)]
enum Tagged {
    Circle { radius: f64 },
    Square { side: f64 },
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    Number(u32),
    Pair { a: u8, b: u8 },
}

#[derive(Deserialize, JsonSchema, validator::Validate)]
#[allow(dead_code)]
struct Rules {
    #[validate(length(min = 1, max = 5))]
    name: String,
    #[validate(range(min = 1, max = 100))]
    count: u32,
    #[validate(regex(path = *SLUG))]
    slug: String,
    #[validate(length(max = 2))]
    tags: Vec<String>,
}

static SLUG: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new("^[a-z]+$").expect("a valid pattern"));

#[derive(Deserialize, JsonSchema)]
#[serde(tag = "t", content = "c")]
#[allow(dead_code)]
enum Adjacent {
    Count(u8),
    Word(String),
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Point(u8, u8);

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Meters(f64);

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Color {
    Red,
    Green,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Wrapper {
    #[serde(flatten)]
    item: Item,
    color: Color,
    point: Point,
    length: Meters,
    by_name: std::collections::BTreeMap<String, Item>,
}

type Runner = fn(&str) -> Vec<String>;

/// The checker's errors for `body` as a `T`, after asserting serde agrees there are some
/// (or none).
fn run<T: DeserializeOwned + JsonSchema>(body: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(body).expect("test bodies are JSON");
    let errors: Vec<String> = check::<T>(&value, "body")
        .into_iter()
        .map(|e| format!("{} {}: {}", e.location, e.code, e.message))
        .collect();
    // What the server takes: serde's reading, or, when that fails, the body with its
    // integral floats read as integers.
    let serde = serde_json::from_str::<T>(body).or_else(|error| {
        let mut value = value.clone();
        if super::integral_floats_to_integers(&mut value) {
            serde_json::from_value::<T>(value)
        } else {
            Err(error)
        }
    });
    assert_eq!(
        serde.is_err(),
        !errors.is_empty(),
        "serde and the checker disagree on {body}: {errors:?}"
    );
    errors
}

/// As [`run`], for a type with validation rules: serde and validator together agree.
fn run_rules<T: DeserializeOwned + JsonSchema + validator::Validate>(body: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(body).expect("test bodies are JSON");
    let errors: Vec<String> = check::<T>(&value, "body")
        .into_iter()
        .map(|e| format!("{} {}: {}", e.location, e.code, e.message))
        .collect();
    let accepted = serde_json::from_str::<T>(body).is_ok_and(|value| value.validate().is_ok());
    assert_eq!(accepted, errors.is_empty(), "{body}: {errors:?}");
    errors
}

#[test]
fn every_failing_location_of_every_shape() {
    let cases: &[(Runner, &str, &[&str])] = &[
        // Structs: missing and wrong fields, all at once, in declaration order.
        (run::<Item>, r#"{"name": "pen", "price": 1.5}"#, &[]),
        (
            run::<Item>,
            r#"{"name": 5, "price": "x"}"#,
            &[
                "body.name type: expected a string, got the number 5",
                "body.price type: expected a number, got the string \"x\"",
            ],
        ),
        (
            run::<Item>,
            "{}",
            &[
                "body.name missing: field required",
                "body.price missing: field required",
            ],
        ),
        (
            run::<Item>,
            "[]",
            &["body type: expected an object, got an array"],
        ),
        (
            run::<Item>,
            r#"{"name": "pen", "price": 1, "tags": ["a", 2], "note": false}"#,
            &[
                "body.tags[1] type: expected a string, got the number 2",
                "body.note type: expected a string or null, got the boolean false",
            ],
        ),
        // `Option<T>` takes null; `default` fields may be absent.
        (
            run::<Item>,
            r#"{"name": "pen", "price": 1, "note": null}"#,
            &[],
        ),
        // Nested models, `Vec<Model>`, `Option<Model>`, renames.
        (
            run::<Order>,
            r#"{"items": [{"name": "a", "price": 1}, {"name": "b", "price": 2}, {"name": "c", "price": "x"}]}"#,
            &["body.items[2].price type: expected a number, got the string \"x\""],
        ),
        (
            run::<Order>,
            r#"{"items": [], "address": {"zip_code": "1", "city": "x"}}"#,
            &[
                "body.address.zipCode missing: field required",
                "body.address.town missing: field required",
            ],
        ),
        (
            run::<Order>,
            r#"{"items": [], "address": {"zipCode": 1, "town": "x"}}"#,
            &["body.address.zipCode type: expected a string, got the number 1"],
        ),
        (
            run::<Order>,
            r#"{"items": [], "address": 7}"#,
            &["body.address type: expected an object or null, got the number 7"],
        ),
        (run::<Order>, r#"{"items": [], "address": null}"#, &[]),
        // Maps: string keys with bad values; integer keys that are not integers.
        (
            run::<Order>,
            r#"{"items": [], "counts": {"a": 1, "b": -1}}"#,
            &["body.counts.b range: must be at least 0"],
        ),
        (
            run::<Order>,
            r#"{"items": [], "by_id": {"-3": 1, "foo": 1, "4": 256}}"#,
            &[
                "body.by_id.foo key: `foo` is not a valid key: expected an integer",
                "body.by_id.4 range: must be at least 0 and at most 255",
            ],
        ),
        // Unknown fields, where the model denies them.
        (
            run::<Strict>,
            r#"{"colour": "red", "color": "red"}"#,
            &["body.color unknown_field: unknown field `color`"],
        ),
        // Numbers out of the Rust type's range, floats for integers.
        (
            run::<Sizes>,
            r#"{"small": 300, "count": -1, "signed": 3000000000, "ratio": 1}"#,
            &[
                "body.small range: must be at least 0 and at most 255",
                "body.count range: must be at least 0",
                "body.signed range: must be at least -2147483648 and at most 2147483647",
            ],
        ),
        (
            run::<Sizes>,
            r#"{"small": 1.5, "count": 2.0, "signed": 1, "ratio": "1"}"#,
            &[
                // `2.0` for `count` is an integer, as the schema says.
                "body.small type: expected an integer, got the number 1.5",
                "body.ratio type: expected a number, got the string \"1\"",
            ],
        ),
        // Externally tagged enums: unit, struct, tuple and newtype variants.
        (run::<External>, r#""Point""#, &[]),
        (run::<External>, r#"{"Pair": [1, 2]}"#, &[]),
        (
            run::<External>,
            r#"{"Circle": {"radius": "big"}}"#,
            &["body.Circle.radius type: expected a number, got the string \"big\""],
        ),
        (
            run::<External>,
            r#"{"Pair": [1, 300]}"#,
            &["body.Pair[1] range: must be at least 0 and at most 255"],
        ),
        (
            run::<External>,
            r#"{"Named": 5}"#,
            &["body.Named type: expected a string, got the number 5"],
        ),
        (
            run::<External>,
            r#""Square""#,
            &["body type: expected \"Point\" or an object, got the string \"Square\""],
        ),
        // Internally tagged enums: the tag picks the variant whose errors are listed.
        (run::<Tagged>, r#"{"type": "square", "side": 2}"#, &[]),
        (
            run::<Tagged>,
            r#"{"type": "square", "side": "x"}"#,
            &["body.side type: expected a number, got the string \"x\""],
        ),
        (
            run::<Tagged>,
            r#"{"side": 1}"#,
            &["body.type missing: field required"],
        ),
        (
            run::<Tagged>,
            r#"{"type": "triangle"}"#,
            &[
                "body.type enum: expected one of \"circle\", \"square\", got the string \"triangle\"",
            ],
        ),
        // Untagged enums: the variant of the value's shape.
        (run::<Untagged>, "5", &[]),
        (
            run::<Untagged>,
            r#"{"a": 1, "b": 999}"#,
            &["body.b range: must be at least 0 and at most 255"],
        ),
        (
            run::<Untagged>,
            r#""x""#,
            &["body type: expected an integer or an object, got the string \"x\""],
        ),
        // Adjacently tagged enums.
        (run::<Adjacent>, r#"{"t": "Count", "c": 3}"#, &[]),
        (
            run::<Adjacent>,
            r#"{"t": "Count", "c": "x"}"#,
            &["body.c type: expected an integer, got the string \"x\""],
        ),
        (
            run::<Adjacent>,
            r#"{"t": "Size", "c": 1}"#,
            &["body.t enum: expected one of \"Count\", \"Word\", got the string \"Size\""],
        ),
        // Flattened fields, unit enums, tuple and newtype structs, maps of models.
        (
            run::<Wrapper>,
            r#"{"name": "a", "price": 1, "color": "red", "point": [1, 2], "length": 2.5, "by_name": {}}"#,
            &[],
        ),
        (
            run::<Wrapper>,
            r#"{"name": "a", "color": "blue", "point": [1], "length": "far", "by_name": {"k": {"name": 1, "price": 1}}}"#,
            &[
                "body.price missing: field required",
                "body.color enum: expected one of \"red\", \"green\", got the string \"blue\"",
                "body.point length: length must be exactly 2",
                "body.length type: expected a number, got the string \"far\"",
                "body.by_name.k.name type: expected a string, got the number 1",
            ],
        ),
        // Validation rules the schema states, beside type errors.
        (
            run_rules::<Rules>,
            r#"{"name": "", "count": 0, "slug": "A1", "tags": ["a", "b", "c"]}"#,
            &[
                "body.name length: length must be between 1 and 5",
                "body.count range: must be at least 1 and at most 100",
                "body.slug pattern: must match the pattern `^[a-z]+$`",
                "body.tags length: length must be at most 2",
            ],
        ),
        (
            run_rules::<Rules>,
            r#"{"name": "toolong", "count": "x", "slug": "ok", "tags": []}"#,
            &[
                "body.name length: length must be between 1 and 5",
                "body.count type: expected an integer, got the string \"x\"",
            ],
        ),
    ];
    for (index, (run, body, expected)) in cases.iter().enumerate() {
        assert_eq!(&run(body), expected, "case {index}: {body}");
    }
}

#[test]
fn query_values_are_read_as_their_fields_types() {
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Page {
        limit: u32,
        ratio: Option<f64>,
        flag: Option<bool>,
        tag: Option<Vec<u8>>,
        address: Option<Address>,
    }
    let schema = TypeSchema::of::<Page>();
    let pairs = crate::extract::FormPairs::parse(b"limit=5&ratio=0.5&flag=on&tag=1&tag=2&other=x");
    let value = pairs_value(&schema, pairs.groups());
    assert_eq!(
        value,
        serde_json::json!({"limit": 5, "ratio": 0.5, "flag": true, "tag": [1, 2], "other": "x"})
    );
    assert!(schema.check(&value, "query").is_empty());
    let pairs = crate::extract::FormPairs::parse(b"limit=many&tag=1&tag=x");
    let value = pairs_value(&schema, pairs.groups());
    let errors: Vec<String> = schema
        .check(&value, "query")
        .into_iter()
        .map(|e| format!("{}: {}", e.location, e.message))
        .collect();
    assert_eq!(
        errors,
        [
            "query.limit: expected an integer, got the string \"many\"",
            "query.tag[1]: expected an integer, got the string \"x\"",
        ]
    );
}

#[test]
fn each_type_schema_is_made_once() {
    let first = TypeSchema::of::<Item>();
    let second = TypeSchema::of::<Item>();
    assert!(Arc::ptr_eq(&first, &second));
}

#[test]
fn bounds_of_every_kind() {
    let schema = TypeSchema::new(serde_json::json!({
        "type": "object",
        "properties": {
            "a": {"type": "number", "exclusiveMinimum": 0},
            "b": {"type": "number", "exclusiveMaximum": 10},
            "c": {"type": "array", "minItems": 1},
            "d": {"type": "string", "maxLength": 1},
            "e": {"type": "integer", "format": "uint64"},
            "f": false
        }
    }));
    let value = serde_json::json!({"a": 0, "b": 10.0, "c": [], "d": "éé", "e": -1, "f": 1});
    let errors: Vec<String> = schema
        .check(&value, "body")
        .into_iter()
        .map(|e| format!("{} {}: {}", e.location, e.code, e.message))
        .collect();
    assert_eq!(
        errors,
        [
            "body.a range: must be greater than 0",
            "body.b range: must be less than 10",
            "body.c length: length must be at least 1",
            "body.d length: length must be at most 1",
            "body.e range: must be at least 0 and at most 18446744073709551615",
            "body.f forbidden: no value is allowed here",
        ]
    );
}

/// Each level of this type has two object variants, both recursive: trying every branch at
/// every level would take 2^depth steps.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Nest {
    A { x: Box<Nest> },
    B { x: Box<Nest>, y: u8 },
    End(u8),
}

#[test]
fn nested_unions_take_bounded_time() {
    let mut body = "300".to_owned();
    for _ in 0..60 {
        body = format!(r#"{{"x": {body}}}"#);
    }
    let value: Value = serde_json::from_str(&body).expect("JSON");
    // Finishing at all is the test; what it reports once out of steps is a best effort.
    let _ = check::<Nest>(&value, "body");
}

#[test]
fn unknown_patterns_constrain_nothing() {
    let schema = TypeSchema::new(serde_json::json!({"type": "string", "pattern": "(?<=a)b"}));
    assert!(schema.check(&Value::from("zzz"), "body").is_empty());
}
