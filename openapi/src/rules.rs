//! Rules on a single parameter (`#[query(range(min = 1, max = 100))]`): declared once, read by
//! the server to enforce them and by the document to state them.

use serde_json::{Map, Value, json};

/// A bound of a `range(..)` rule, as written: an integer stays exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer literal.
    Int(i128),
    /// A literal with a fraction or an exponent.
    Float(f64),
}

impl Number {
    /// The bound as JSON: an integer when it is one.
    pub fn to_json(self) -> Value {
        match self {
            Self::Int(n) => i64::try_from(n)
                .map(Value::from)
                .or_else(|_| u64::try_from(n).map(Value::from))
                .unwrap_or_else(|_| json!(n as f64)),
            Self::Float(f) => json!(f),
        }
    }

    /// Orders two numbers; integers compare exactly, anything else as `f64`.
    pub fn compare(self, other: Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Self::Int(n) => n as f64,
            Self::Float(f) => f,
        }
    }

    fn from_json(value: &Value) -> Option<Self> {
        if let Some(n) = value.as_i64() {
            Some(Self::Int(n.into()))
        } else if let Some(n) = value.as_u64() {
            Some(Self::Int(n.into()))
        } else {
            value.as_f64().map(Self::Float)
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Float(x) => write!(f, "{x}"),
        }
    }
}

/// The rules on one parameter's value; for a list parameter, on each of its values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParamRules {
    /// `range(min = ..)`: the value is at least this.
    pub minimum: Option<Number>,
    /// `range(exclusive_min = ..)`: the value is greater than this.
    pub exclusive_minimum: Option<Number>,
    /// `range(max = ..)`: the value is at most this.
    pub maximum: Option<Number>,
    /// `range(exclusive_max = ..)`: the value is less than this.
    pub exclusive_maximum: Option<Number>,
    /// `length(min = ..)` (or `equal`): at least this many characters.
    pub min_length: Option<u64>,
    /// `length(max = ..)` (or `equal`): at most this many characters.
    pub max_length: Option<u64>,
    /// `pattern = ".."`: a regular expression the value must match (anywhere, unless anchored).
    pub pattern: Option<&'static str>,
}

impl ParamRules {
    /// No rule at all.
    pub const NONE: Self = Self {
        minimum: None,
        exclusive_minimum: None,
        maximum: None,
        exclusive_maximum: None,
        min_length: None,
        max_length: None,
        pattern: None,
    };

    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::NONE
    }

    /// Why `value` breaks the range rules, if it does.
    pub fn check_number(&self, value: Number) -> Option<String> {
        use std::cmp::Ordering::{Greater, Less};
        let below = |bound: Option<Number>, fails: &[std::cmp::Ordering]| {
            bound.filter(|&bound| {
                value
                    .compare(bound)
                    .is_none_or(|ordering| fails.contains(&ordering))
            })
        };
        let broken = below(self.minimum, &[Less]).is_some()
            || below(self.exclusive_minimum, &[Less, std::cmp::Ordering::Equal]).is_some()
            || below(self.maximum, &[Greater]).is_some()
            || below(
                self.exclusive_maximum,
                &[Greater, std::cmp::Ordering::Equal],
            )
            .is_some();
        broken.then(|| self.range_message())
    }

    /// Why a text of `chars` characters breaks the length rules, if it does.
    pub fn check_length(&self, chars: u64) -> Option<String> {
        let short = self.min_length.is_some_and(|min| chars < min);
        let long = self.max_length.is_some_and(|max| chars > max);
        (short || long).then(|| self.length_message())
    }

    /// "must be at least 1 and at most 100".
    pub fn range_message(&self) -> String {
        let lower = self
            .minimum
            .map(|m| format!("at least {m}"))
            .or_else(|| self.exclusive_minimum.map(|m| format!("greater than {m}")));
        let upper = self
            .maximum
            .map(|m| format!("at most {m}"))
            .or_else(|| self.exclusive_maximum.map(|m| format!("less than {m}")));
        match (lower, upper) {
            (Some(lower), Some(upper)) => format!("must be {lower} and {upper}"),
            (Some(bound), None) | (None, Some(bound)) => format!("must be {bound}"),
            (None, None) => "is out of range".to_owned(),
        }
    }

    /// "length must be at most 50".
    pub fn length_message(&self) -> String {
        match (self.min_length, self.max_length) {
            (Some(min), Some(max)) if min == max => format!("length must be exactly {min}"),
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            (None, None) => "length is out of range".to_owned(),
        }
    }

    /// States the rules in `schema`, the schema of one value. A bound from a rule replaces the
    /// type's own bound on that side when it is stricter, so the document states the bound
    /// the server enforces, once.
    pub fn apply_to(&self, schema: &mut Value) {
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        apply_side(object, &LOWER, self.minimum, self.exclusive_minimum);
        apply_side(object, &UPPER, self.maximum, self.exclusive_maximum);
        if let Some(min) = self.min_length {
            object.insert("minLength".into(), json!(min));
        }
        if let Some(max) = self.max_length {
            object.insert("maxLength".into(), json!(max));
        }
        if let Some(pattern) = self.pattern {
            object.insert("pattern".into(), json!(pattern));
        }
    }
}

/// The bound the type states on one side, as (value, exclusive).
fn existing(
    object: &Map<String, Value>,
    inclusive: &str,
    exclusive: &str,
) -> Option<(Number, bool)> {
    let inclusive = object
        .get(inclusive)
        .and_then(Number::from_json)
        .map(|n| (n, false));
    let exclusive = object
        .get(exclusive)
        .and_then(Number::from_json)
        .map(|n| (n, true));
    inclusive.or(exclusive)
}

/// One side of a range: its keywords, and which way is stricter.
struct Side {
    inclusive: &'static str,
    exclusive: &'static str,
    /// The ordering of a stricter bound against a looser one.
    stricter: std::cmp::Ordering,
}

const LOWER: Side = Side {
    inclusive: "minimum",
    exclusive: "exclusiveMinimum",
    stricter: std::cmp::Ordering::Greater,
};

const UPPER: Side = Side {
    inclusive: "maximum",
    exclusive: "exclusiveMaximum",
    stricter: std::cmp::Ordering::Less,
};

/// Puts the rule's bound on `side` into `object`, in place of the type's own if stricter.
fn apply_side(
    object: &mut Map<String, Value>,
    side: &Side,
    inclusive: Option<Number>,
    exclusive: Option<Number>,
) {
    let rule = match (inclusive, exclusive) {
        (Some(bound), _) => (bound, false),
        (None, Some(bound)) => (bound, true),
        (None, None) => return,
    };
    // Stricter: further in, or as far and exclusive where the type's is not.
    let stricter = existing(object, side.inclusive, side.exclusive).is_none_or(|(bound, excl)| {
        match rule.0.compare(bound) {
            Some(std::cmp::Ordering::Equal) => rule.1 && !excl,
            Some(ordering) => ordering == side.stricter,
            None => false,
        }
    });
    if stricter {
        object.remove(side.inclusive);
        object.remove(side.exclusive);
        let key = if rule.1 {
            side.exclusive
        } else {
            side.inclusive
        };
        object.insert(key.into(), rule.0.to_json());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: Option<i128>, max: Option<i128>) -> ParamRules {
        ParamRules {
            minimum: min.map(Number::Int),
            maximum: max.map(Number::Int),
            ..ParamRules::NONE
        }
    }

    #[test]
    fn numbers_are_checked_at_and_across_each_bound() {
        let rules = range(Some(1), Some(100));
        assert_eq!(
            rules.check_number(Number::Int(0)).as_deref(),
            Some("must be at least 1 and at most 100")
        );
        assert_eq!(rules.check_number(Number::Int(1)), None);
        assert_eq!(rules.check_number(Number::Int(100)), None);
        assert!(rules.check_number(Number::Int(101)).is_some());
        let exclusive = ParamRules {
            exclusive_minimum: Some(Number::Float(0.0)),
            exclusive_maximum: Some(Number::Int(10)),
            ..ParamRules::NONE
        };
        assert!(exclusive.check_number(Number::Float(0.0)).is_some());
        assert_eq!(exclusive.check_number(Number::Float(0.001)), None);
        assert_eq!(exclusive.check_number(Number::Float(9.999)), None);
        assert_eq!(
            exclusive.check_number(Number::Int(10)).as_deref(),
            Some("must be greater than 0 and less than 10")
        );
        assert!(exclusive.check_number(Number::Float(f64::NAN)).is_some());
    }

    #[test]
    fn large_integers_compare_exactly() {
        let rules = range(None, Some(i128::from(u64::MAX) - 1));
        assert!(rules.check_number(Number::Int(u64::MAX.into())).is_some());
        assert_eq!(
            rules.check_number(Number::Int(i128::from(u64::MAX) - 1)),
            None
        );
    }

    #[test]
    fn lengths_are_checked_in_characters() {
        let rules = ParamRules {
            min_length: Some(2),
            max_length: Some(3),
            ..ParamRules::NONE
        };
        assert!(rules.check_length(1).is_some());
        assert_eq!(rules.check_length(2), None);
        assert_eq!(rules.check_length(3), None);
        assert_eq!(
            rules.check_length(4).as_deref(),
            Some("length must be between 2 and 3")
        );
    }

    #[test]
    fn a_rule_replaces_the_types_own_bound_when_stricter() {
        let mut schema =
            json!({"type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295u64});
        range(Some(1), Some(100)).apply_to(&mut schema);
        assert_eq!(
            schema,
            json!({"type": "integer", "format": "uint32", "minimum": 1, "maximum": 100})
        );

        let mut schema =
            json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255});
        range(Some(-5), Some(1000)).apply_to(&mut schema);
        assert_eq!(schema["minimum"], 0, "the type's bound is stricter");
        assert_eq!(schema["maximum"], 255);

        let mut schema = json!({"type": "integer", "format": "uint32", "minimum": 0});
        ParamRules {
            exclusive_minimum: Some(Number::Int(0)),
            ..ParamRules::NONE
        }
        .apply_to(&mut schema);
        assert_eq!(
            schema,
            json!({"type": "integer", "format": "uint32", "exclusiveMinimum": 0})
        );
    }

    #[test]
    fn strings_get_lengths_and_patterns() {
        let mut schema = json!({"type": "string"});
        ParamRules {
            max_length: Some(50),
            pattern: Some("^[a-z]+$"),
            ..ParamRules::NONE
        }
        .apply_to(&mut schema);
        assert_eq!(
            schema,
            json!({"type": "string", "maxLength": 50, "pattern": "^[a-z]+$"})
        );
    }
}
