//! Validation of request values after they deserialize.
//!
//! `#[model]` types implement [`Validate`] from their `#[validate(..)]` rules (the
//! `validator` crate's, which also appear in the type's JSON Schema); std types accept
//! every value, and collections validate each element.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use crate::check::{length_rule, range_rule};
use crate::problem::FieldError;

mod wire;

pub(crate) use wire::wire_locations;

/// Field errors found by validation, with locations relative to the validated value
/// (`name`, `items[2].price`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

/// A type whose values are checked after deserializing from a request.
///
/// `#[oxapi::model]` implements it from the type's `#[validate(..)]` rules. For a type that
/// has no rules, an empty impl accepts every value:
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Ping { note: String }
/// impl oxapi::Validate for Ping {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request: it does not implement `oxapi::Validate`",
    note = "add `#[oxapi::model]` to `{Self}`, or write `impl oxapi::Validate for {Self} {{}}` to accept every value"
)]
pub trait Validate {
    /// Checks the value; `Ok` if it is acceptable.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }
}

/// Prefixes each location with `source` (`body`, `query`).
pub(crate) fn prefixed(source: &str, errors: ValidationErrors) -> Vec<FieldError> {
    errors
        .0
        .into_iter()
        .map(|mut error| {
            error.location = if error.location.is_empty() {
                source.to_owned()
            } else if error.location.starts_with('[') {
                format!("{source}{}", error.location)
            } else {
                format!("{source}.{}", error.location)
            };
            error
        })
        .collect()
}

macro_rules! accept_all {
    ($($ty:ty),* $(,)?) => { $( impl Validate for $ty {} )* };
}

accept_all!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    bytes::Bytes,
    serde_json::Value,
);

impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        (**self).validate()
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        self.as_ref().map_or(Ok(()), Validate::validate)
    }
}

fn validate_each<'a, K: Display, T: Validate + 'a>(
    items: impl Iterator<Item = (K, &'a T)>,
    bracket: bool,
) -> Result<(), ValidationErrors> {
    let mut all = Vec::new();
    for (key, item) in items {
        if let Err(ValidationErrors(errors)) = item.validate() {
            for mut error in errors {
                let key = if bracket {
                    format!("[{key}]")
                } else {
                    format!(".{key}")
                };
                let rest = if error.location.is_empty() || error.location.starts_with('[') {
                    error.location.clone()
                } else {
                    format!(".{}", error.location)
                };
                error.location = format!("{key}{rest}");
                all.push(error);
            }
        }
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(all))
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        validate_each(self.iter().enumerate(), true)
    }
}

impl<K: Display, V: Validate, S> Validate for HashMap<K, V, S> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        validate_each(self.iter(), true)
    }
}

impl<K: Display, V: Validate> Validate for BTreeMap<K, V> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        validate_each(self.iter(), true)
    }
}

/// Converts `validator`'s errors, used by `#[model]`'s generated impls.
pub(crate) fn validation_result(
    result: Result<(), validator::ValidationErrors>,
) -> Result<(), ValidationErrors> {
    let Err(errors) = result else { return Ok(()) };
    let mut all = Vec::new();
    collect(&errors, "", &mut all);
    all.sort_by(|a, b| a.location.cmp(&b.location));
    Err(ValidationErrors(all))
}

fn collect(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in errors.errors() {
        let location = if field == "__all__" {
            prefix.trim_end_matches('.').to_owned()
        } else {
            format!("{prefix}{field}")
        };
        match kind {
            Kind::Field(list) => {
                for error in list {
                    // The code the schema check gives the same rule, so that one rule has one
                    // code whichever way the request failed.
                    let code = match error.code.as_ref() {
                        "regex" => Cow::Borrowed("pattern"),
                        _ => error.code.clone(),
                    };
                    out.push(FieldError::new(location.clone(), code, message(error)));
                }
            }
            Kind::Struct(inner) => collect(inner, &format!("{location}."), out),
            Kind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{location}[{index}]."), out);
                }
            }
        }
    }
}

/// A readable message for a validator error: its own message if the rule gave one.
fn message(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).map(|value| value.to_string());
    match error.code.as_ref() {
        "length" => match param("equal") {
            Some(n) => length_rule(Some(&n), Some(&n)),
            None => length_rule(param("min"), param("max")),
        },
        "range" => {
            let lower = param("min")
                .map(|m| format!("at least {m}"))
                .or_else(|| param("exclusive_min").map(|m| format!("greater than {m}")));
            let upper = param("max")
                .map(|m| format!("at most {m}"))
                .or_else(|| param("exclusive_max").map(|m| format!("less than {m}")));
            range_rule(lower, upper)
        }
        "email" => "must be an email address".to_owned(),
        "url" => "must be a URL".to_owned(),
        "regex" => "does not match the required pattern".to_owned(),
        "required" => "field required".to_owned(),
        "contains" => format!("must contain {}", param("needle").unwrap_or_default()),
        "does_not_contain" => format!("must not contain {}", param("needle").unwrap_or_default()),
        "must_match" => format!("must match `{}`", param("other").unwrap_or_default()),
        "ip" | "ip_v4" | "ip_v6" => "must be an IP address".to_owned(),
        code => format!("failed the `{code}` check"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate as _;

    #[derive(validator::Validate)]
    struct Item {
        #[validate(length(min = 1, max = 50))]
        name: String,
        #[validate(range(min = 0.0))]
        price: f64,
    }

    #[derive(validator::Validate)]
    struct Order {
        #[validate(nested)]
        items: Vec<Item>,
        #[validate(range(min = 1, max = 100))]
        count: u32,
    }

    fn errors(order: &Order) -> Vec<(String, String)> {
        validation_result(order.validate())
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.location, e.message))
            .collect()
    }

    #[test]
    fn every_failing_field_is_listed_with_its_location() {
        let order = Order {
            items: vec![
                Item {
                    name: "ok".into(),
                    price: 1.0,
                },
                Item {
                    name: String::new(),
                    price: -1.0,
                },
            ],
            count: 0,
        };
        assert_eq!(
            errors(&order),
            vec![
                (
                    "count".to_owned(),
                    "must be at least 1 and at most 100".to_owned()
                ),
                (
                    "items[1].name".to_owned(),
                    "length must be between 1 and 50".to_owned()
                ),
                (
                    "items[1].price".to_owned(),
                    "must be at least 0.0".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_pattern_rule_has_the_code_the_schema_check_gives_it() {
        static SLUG: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new("^[a-z]+$").unwrap());
        #[derive(validator::Validate)]
        struct Slug {
            #[validate(regex(path = *SLUG))]
            slug: String,
        }
        let slug = Slug { slug: "A1".into() };
        let errors = validation_result(slug.validate()).unwrap_err();
        assert_eq!(errors.0[0].code, "pattern");
        assert_eq!(errors.0[0].message, "does not match the required pattern");
    }

    #[test]
    fn vec_validation_indexes_elements() {
        struct Odd(u32);
        impl Validate for Odd {
            fn validate(&self) -> Result<(), ValidationErrors> {
                if self.0 % 2 == 1 {
                    Ok(())
                } else {
                    Err(ValidationErrors(vec![FieldError::new(
                        "",
                        "odd",
                        "must be odd",
                    )]))
                }
            }
        }
        let errors = vec![Odd(1), Odd(2)].validate().unwrap_err();
        assert_eq!(errors.0[0].location, "[1]");
        assert_eq!(prefixed("body", errors)[0].location, "body[1]");
    }
}
