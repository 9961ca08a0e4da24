//! Enforcing the rules of a single parameter: `#[query(range(min = 1, max = 100))]`,
//! `#[header(length(max = 64), pattern = "^[a-z-]+$")]`. The rules are a [`ParamRules`], the
//! same value the document states them from.
//!
//! Which rule applies to which type is checked when the handler compiles ([`RangeRule`],
//! [`LengthRule`], [`PatternRule`]); at run time [`ParamValue::check`] looks at the rules that
//! concern its type.

use std::sync::OnceLock;

use oxapi_openapi::{Number, ParamRules};
use regex::Regex;

use super::Rejection;
use crate::problem::FieldError;

/// A `pattern = ".."` rule: the regular expression, compiled on first use.
///
/// The route macro checks the expression's syntax when the handler compiles, so compiling it
/// here cannot fail on what a user wrote; if it ever did, every value is refused rather than
/// none.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern for `source`, compiled when first matched.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `text` matches (anywhere, unless the expression is anchored).
    fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| Regex::new(self.source).ok())
            .as_ref()
            .is_some_and(|regex| regex.is_match(text))
    }
}

/// What a broken rule says: a stable code and a message.
#[derive(Debug)]
pub struct Broken {
    code: &'static str,
    message: String,
}

/// A parameter value the rules can look at: numbers, text, and `Option`s and lists of them.
pub trait ParamValue {
    /// Checks this value against the rules that concern its type.
    fn check(&self, rules: &ParamRules, pattern: Option<&Pattern>) -> Result<(), Broken>;
}

/// Checks `value`, the parameter at `location` (`query.limit`), against its rules.
pub fn check_param<T: ParamValue>(
    value: &T,
    rules: &ParamRules,
    pattern: Option<&Pattern>,
    location: &str,
) -> Result<(), Rejection> {
    value.check(rules, pattern).map_err(|broken| {
        Rejection::invalid(FieldError::new(location, broken.code, broken.message))
    })
}

fn check_number(rules: &ParamRules, value: Number) -> Result<(), Broken> {
    match rules.check_number(value) {
        None => Ok(()),
        Some(message) => Err(Broken {
            code: "range",
            message,
        }),
    }
}

macro_rules! integers {
    ($($ty:ty),*) => {$(
        impl ParamValue for $ty {
            fn check(&self, rules: &ParamRules, _: Option<&Pattern>) -> Result<(), Broken> {
                // Every integer type but `u128` fits in `i128`; a `u128` past it is past
                // any bound a literal can state too.
                let value = i128::try_from(*self).unwrap_or(i128::MAX);
                check_number(rules, Number::Int(value))
            }
        }
        impl RangeRule for $ty {}
    )*};
}

integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl ParamValue for f32 {
    fn check(&self, rules: &ParamRules, _: Option<&Pattern>) -> Result<(), Broken> {
        check_number(rules, Number::Float(f64::from(*self)))
    }
}

impl ParamValue for f64 {
    fn check(&self, rules: &ParamRules, _: Option<&Pattern>) -> Result<(), Broken> {
        check_number(rules, Number::Float(*self))
    }
}

impl RangeRule for f32 {}
impl RangeRule for f64 {}

impl ParamValue for String {
    fn check(&self, rules: &ParamRules, pattern: Option<&Pattern>) -> Result<(), Broken> {
        if rules.min_length.is_some() || rules.max_length.is_some() {
            // Lengths count characters, as JSON Schema's `maxLength` does.
            let chars = self.chars().count() as u64;
            if let Some(message) = rules.check_length(chars) {
                return Err(Broken {
                    code: "length",
                    message,
                });
            }
        }
        if let Some(pattern) = pattern
            && !pattern.is_match(self)
        {
            return Err(Broken {
                code: "pattern",
                message: format!("must match the pattern `{}`", pattern.source),
            });
        }
        Ok(())
    }
}

impl LengthRule for String {}
impl PatternRule for String {}

impl<T: ParamValue> ParamValue for Option<T> {
    fn check(&self, rules: &ParamRules, pattern: Option<&Pattern>) -> Result<(), Broken> {
        self.as_ref()
            .map_or(Ok(()), |value| value.check(rules, pattern))
    }
}

impl<T: ParamValue> ParamValue for Vec<T> {
    fn check(&self, rules: &ParamRules, pattern: Option<&Pattern>) -> Result<(), Broken> {
        self.iter()
            .try_for_each(|value| value.check(rules, pattern))
    }
}

/// A type `range(..)` applies to: a number, or an `Option` or list of numbers.
#[diagnostic::on_unimplemented(
    message = "`range(..)` applies to numbers, not to `{Self}`",
    label = "not a number",
    note = "for text, use `length(..)` or `pattern = \"..\"`"
)]
pub trait RangeRule {}

/// A type `length(..)` applies to: text, or an `Option` or list of texts.
#[diagnostic::on_unimplemented(
    message = "`length(..)` applies to text, not to `{Self}`",
    label = "not a `String`",
    note = "for numbers, use `range(..)`"
)]
pub trait LengthRule {}

/// A type `pattern = ".."` applies to: text, or an `Option` or list of texts.
#[diagnostic::on_unimplemented(
    message = "`pattern = \"..\"` applies to text, not to `{Self}`",
    label = "not a `String`"
)]
pub trait PatternRule {}

impl<T: RangeRule> RangeRule for Option<T> {}
impl<T: RangeRule> RangeRule for Vec<T> {}
impl<T: LengthRule> LengthRule for Option<T> {}
impl<T: LengthRule> LengthRule for Vec<T> {}
impl<T: PatternRule> PatternRule for Option<T> {}
impl<T: PatternRule> PatternRule for Vec<T> {}

/// Fails to compile unless `range(..)` applies to `T`; the route macro names it for a
/// parameter with that rule, at the rule.
pub const fn range_applies<T: RangeRule + ?Sized>() {}

/// Fails to compile unless `length(..)` applies to `T`.
pub const fn length_applies<T: LengthRule + ?Sized>() {}

/// Fails to compile unless `pattern = ".."` applies to `T`.
pub const fn pattern_applies<T: PatternRule + ?Sized>() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn location_and_message(result: Result<(), Rejection>) -> Option<(String, String, String)> {
        match result {
            Ok(()) => None,
            Err(Rejection::Invalid(errors)) => errors
                .into_iter()
                .next()
                .map(|e| (e.location, e.code.into_owned(), e.message)),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn numbers_of_every_width_are_compared_exactly() {
        let rules = ParamRules {
            minimum: Some(Number::Int(1)),
            maximum: Some(Number::Int(100)),
            ..ParamRules::NONE
        };
        assert!(check_param(&1u8, &rules, None, "query.limit").is_ok());
        assert!(check_param(&100i64, &rules, None, "query.limit").is_ok());
        assert_eq!(
            location_and_message(check_param(&0u32, &rules, None, "query.limit")),
            Some((
                "query.limit".into(),
                "range".into(),
                "must be at least 1 and at most 100".into()
            ))
        );
        assert!(check_param(&u128::MAX, &rules, None, "q").is_err());
        assert!(check_param(&100.5f64, &rules, None, "q").is_err());
        assert!(check_param(&Some(101u16), &rules, None, "q").is_err());
        assert!(check_param(&None::<u16>, &rules, None, "q").is_ok());
        assert!(check_param(&vec![5u32, 500], &rules, None, "q").is_err());
    }

    #[test]
    fn text_is_checked_for_length_in_characters_and_pattern() {
        static LOWER: Pattern = Pattern::new("^[a-z]+$");
        let rules = ParamRules {
            max_length: Some(3),
            pattern: Some("^[a-z]+$"),
            ..ParamRules::NONE
        };
        assert!(check_param(&"äöü".to_owned(), &rules, None, "q").is_ok());
        assert_eq!(
            location_and_message(check_param(
                &"abcd".to_owned(),
                &rules,
                Some(&LOWER),
                "query.q"
            )),
            Some((
                "query.q".into(),
                "length".into(),
                "length must be at most 3".into()
            ))
        );
        assert_eq!(
            location_and_message(check_param(
                &"aB".to_owned(),
                &rules,
                Some(&LOWER),
                "query.q"
            )),
            Some((
                "query.q".into(),
                "pattern".into(),
                "must match the pattern `^[a-z]+$`".into()
            ))
        );
        assert!(check_param(&"ab".to_owned(), &rules, Some(&LOWER), "q").is_ok());
    }

    #[test]
    fn an_invalid_pattern_refuses_every_value() {
        static BROKEN: Pattern = Pattern::new("(");
        assert!(check_param(&"x".to_owned(), &ParamRules::NONE, Some(&BROKEN), "q").is_err());
    }
}
