//! A serde deserializer over the string values of one parameter (a path segment, the values
//! of a query key, of a header or of a cookie), so that any `Deserialize` type works as a
//! scalar parameter: integers, floats, bools, `String`, uuids, unit enums, `Option<T>` (no
//! value) and `Vec<T>` (repeated values).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IntoDeserializer, Visitor};
use smallvec::SmallVec;

/// Why a value did not deserialize.
#[derive(Debug)]
pub(crate) enum ValueError {
    /// The parameter is required but absent.
    Missing,
    /// The value is present but not of the expected form.
    Invalid(String),
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("field required"),
            Self::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::Invalid(message.to_string())
    }
}

impl ValueError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Invalid(_) => "invalid",
        }
    }
}

/// Deserializes `values`: none, one, or several values of one parameter.
pub(crate) struct ValuesDeserializer<'a> {
    values: &'a [Cow<'a, str>],
}

impl<'a> ValuesDeserializer<'a> {
    pub(crate) fn new(values: &'a [Cow<'a, str>]) -> Self {
        Self { values }
    }

    /// The one value a scalar reads. With repeated values, the last one wins, as in most
    /// query parsers.
    fn single(&self) -> Result<&'a str, ValueError> {
        self.values
            .last()
            .map(|v| v.as_ref())
            .ok_or(ValueError::Missing)
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident : $ty:ty, $what:literal;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
                let raw = self.single()?;
                match raw.trim().parse::<$ty>() {
                    Ok(value) => visitor.$visit(value),
                    Err(_) => Err(number_error::<$ty>(raw, $what)),
                }
            }
        )*
    };
}

/// A message saying why `raw` is not a `T`, naming the range when it is a number out of it.
fn number_error<T>(raw: &str, what: &str) -> ValueError {
    let looks_numeric = {
        let digits = raw.trim().trim_start_matches(['-', '+']);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let type_name = std::any::type_name::<T>();
    let range = match type_name {
        "u8" => Some("0 to 255"),
        "u16" => Some("0 to 65535"),
        "u32" => Some("0 to 4294967295"),
        "u64" => Some("0 to 18446744073709551615"),
        "i8" => Some("-128 to 127"),
        "i16" => Some("-32768 to 32767"),
        "i32" => Some("-2147483648 to 2147483647"),
        "i64" => Some("-9223372036854775808 to 9223372036854775807"),
        _ => None,
    };
    match range {
        Some(range) if looks_numeric => ValueError::Invalid(format!(
            "`{raw}` is out of range: expected {what} from {range}"
        )),
        _ => ValueError::Invalid(format!("`{raw}` is not {what}")),
    }
}

impl<'de> de::Deserializer<'de> for ValuesDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_str(self.single()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let raw = self.single()?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => visitor.visit_bool(true),
            "false" | "0" | "no" | "off" => visitor.visit_bool(false),
            _ => Err(ValueError::Invalid(format!(
                "`{raw}` is not a boolean: expected `true` or `false`"
            ))),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8, "an integer";
        deserialize_i16 => visit_i16: i16, "an integer";
        deserialize_i32 => visit_i32: i32, "an integer";
        deserialize_i64 => visit_i64: i64, "an integer";
        deserialize_i128 => visit_i128: i128, "an integer";
        deserialize_u8 => visit_u8: u8, "a non-negative integer";
        deserialize_u16 => visit_u16: u16, "a non-negative integer";
        deserialize_u32 => visit_u32: u32, "a non-negative integer";
        deserialize_u64 => visit_u64: u64, "a non-negative integer";
        deserialize_u128 => visit_u128: u128, "a non-negative integer";
        deserialize_f32 => visit_f32: f32, "a number";
        deserialize_f64 => visit_f64: f64, "a number";
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let raw = self.single()?;
        let mut chars = raw.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(ValueError::Invalid(format!(
                "`{raw}` is not a single character"
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_str(self.single()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_string(self.single()?.to_owned())
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_bytes(self.single()?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_byte_buf(self.single()?.as_bytes().to_vec())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if self.values.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_seq(de::value::SeqDeserializer::new(
            self.values
                .iter()
                .map(|value| ValuesDeserializer::new(std::slice::from_ref(value))),
        ))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ValueError> {
        Err(ValueError::Invalid(
            "a single parameter cannot hold a map; use `Query<T>` for structured queries".into(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let raw = self.single()?;
        visitor.visit_enum(IntoDeserializer::<ValueError>::into_deserializer(raw))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for ValuesDeserializer<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The `key=value` pairs of a query string or form body, grouped by key in order of first
/// appearance.
pub(crate) struct FormPairs<'a> {
    groups: Groups<'a>,
}

/// The values of one key: usually one, kept inline.
type Values<'a> = SmallVec<[Cow<'a, str>; 1]>;

/// Keys with their values: usually a few, kept inline.
type Groups<'a> = SmallVec<[(Cow<'a, str>, Values<'a>); 4]>;

impl<'a> FormPairs<'a> {
    /// Parses `application/x-www-form-urlencoded` input (a query string is the same format).
    pub(crate) fn parse(input: &'a [u8]) -> Self {
        let mut groups = Groups::new();
        for pair in input.split(|&byte| byte == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = decode_pair(pair);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => groups.push((key, smallvec::smallvec![value])),
            }
        }
        Self { groups }
    }

    /// Groups `pairs` (a request's headers or cookies) by key, in order of first appearance.
    pub(crate) fn from_pairs(
        pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    ) -> Self {
        let mut groups = Groups::new();
        for (key, value) in pairs {
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => groups.push((key, smallvec::smallvec![value])),
            }
        }
        Self { groups }
    }

    /// Each key with its values, in order of first appearance.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (&str, &[Cow<'a, str>])> {
        self.groups
            .iter()
            .map(|(key, values)| (key.as_ref(), values.as_slice()))
    }

    /// Deserializes a struct whose fields each read their key's values as a single
    /// parameter would (`#[query]`), so both report the same errors.
    pub(crate) fn deserialize<'de, T: de::Deserialize<'de>>(&'de self) -> Result<T, ValueError> {
        T::deserialize(self.map())
    }

    /// Deserializes as [`deserialize`](Self::deserialize) does, tracking where it is: slower,
    /// for explaining a failure.
    pub(crate) fn deserialize_with_path<'de, T: de::Deserialize<'de>>(
        &'de self,
    ) -> Result<T, serde_path_to_error::Error<ValueError>> {
        serde_path_to_error::deserialize(self.map())
    }

    fn map<'de>(
        &'de self,
    ) -> de::value::MapDeserializer<
        'de,
        impl Iterator<Item = (&'de str, ValuesDeserializer<'de>)>,
        ValueError,
    > {
        de::value::MapDeserializer::new(
            self.groups
                .iter()
                .map(|(key, values)| (key.as_ref(), ValuesDeserializer::new(values))),
        )
    }
}

/// Splits and decodes one `key=value` pair. Most pairs hold no escapes and are UTF-8 already:
/// they are borrowed as they are. The others are decoded by `form_urlencoded`, as the format
/// specifies (`+` is a space, `%XX` a byte, invalid UTF-8 replaced).
fn decode_pair(pair: &[u8]) -> (Cow<'_, str>, Cow<'_, str>) {
    if !pair.iter().any(|&byte| byte == b'%' || byte == b'+')
        && let Ok(text) = std::str::from_utf8(pair)
    {
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        return (Cow::Borrowed(key), Cow::Borrowed(value));
    }
    form_urlencoded::parse(pair).next().unwrap_or_default()
}

/// Deserializes a `T` from the values of one parameter.
pub(crate) fn from_values<'a, T: de::Deserialize<'a>>(
    values: &'a [Cow<'a, str>],
) -> Result<T, ValueError> {
    T::deserialize(ValuesDeserializer::new(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one<'a, T: de::Deserialize<'a>>(values: &'a [Cow<'a, str>]) -> Result<T, String> {
        from_values(values).map_err(|e| e.to_string())
    }

    fn vals(list: &[&'static str]) -> Vec<Cow<'static, str>> {
        list.iter().map(|s| Cow::Borrowed(*s)).collect()
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Green,
    }

    #[test]
    fn scalars_parse_from_strings() {
        assert_eq!(one::<u64>(&vals(&["42"])), Ok(42));
        assert_eq!(one::<i8>(&vals(&["-3"])), Ok(-3));
        assert_eq!(one::<f64>(&vals(&["2.5"])), Ok(2.5));
        assert_eq!(one::<bool>(&vals(&["true"])), Ok(true));
        assert_eq!(one::<bool>(&vals(&["0"])), Ok(false));
        assert_eq!(one::<String>(&vals(&["héllo"])), Ok("héllo".to_owned()));
        assert_eq!(one::<char>(&vals(&["x"])), Ok('x'));
        assert_eq!(one::<Color>(&vals(&["green"])), Ok(Color::Green));
    }

    #[test]
    fn options_and_lists() {
        assert_eq!(one::<Option<u32>>(&vals(&[])), Ok(None));
        assert_eq!(one::<Option<u32>>(&vals(&["7"])), Ok(Some(7)));
        assert_eq!(one::<Vec<u32>>(&vals(&["1", "2", "3"])), Ok(vec![1, 2, 3]));
        assert_eq!(one::<Vec<u32>>(&vals(&[])), Ok(vec![]));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Page {
        limit: u8,
        #[serde(default)]
        tag: Vec<String>,
        color: Option<Color>,
    }

    #[test]
    fn structs_read_pairs_like_single_parameters() {
        let pairs = FormPairs::parse(b"limit=5&tag=a&tag=b%20c&color=red&unknown=1");
        assert_eq!(
            pairs.deserialize::<Page>().unwrap(),
            Page {
                limit: 5,
                tag: vec!["a".into(), "b c".into()],
                color: Some(Color::Red)
            }
        );
        let pairs = FormPairs::parse(b"limit=300");
        let error = pairs.deserialize_with_path::<Page>().unwrap_err();
        assert_eq!(error.path().to_string(), "limit");
        assert!(
            error.inner().to_string().contains("out of range"),
            "{}",
            error.inner()
        );
        let pairs = FormPairs::parse(b"");
        let error = pairs.deserialize_with_path::<Page>().unwrap_err();
        assert_eq!(error.inner().to_string(), "missing field `limit`");
    }

    /// The borrowing fast path splits and decodes exactly as `form_urlencoded` does.
    #[test]
    fn pairs_decode_as_the_form_format_says() {
        let inputs: &[&[u8]] = &[
            b"a=1&b=2",
            b"a=1&&b=2&",
            b"&&",
            b"flag&x=",
            b"=v&k==v=",
            b"q=a+b&r=%41%zz%&s=caf%C3%A9",
            b"name=caf\xc3\xa9",
            b"bad=\xff\xfe&ok=1",
            b"a%3Db=c%26d",
        ];
        for &input in inputs {
            let ours: Vec<(String, String)> = input
                .split(|&byte| byte == b'&')
                .filter(|pair| !pair.is_empty())
                .map(decode_pair)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let theirs: Vec<(String, String)> = form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert_eq!(one::<u32>(&vals(&[])), Err("field required".to_owned()));
        assert_eq!(
            one::<u32>(&vals(&["abc"])),
            Err("`abc` is not a non-negative integer".to_owned())
        );
        assert_eq!(
            one::<u8>(&vals(&["300"])),
            Err("`300` is out of range: expected a non-negative integer from 0 to 255".to_owned())
        );
        assert_eq!(
            one::<u8>(&vals(&["-1"])),
            Err("`-1` is out of range: expected a non-negative integer from 0 to 255".to_owned())
        );
        assert!(
            one::<Color>(&vals(&["blue"]))
                .unwrap_err()
                .contains("unknown variant `blue`")
        );
        assert!(
            one::<bool>(&vals(&["maybe"]))
                .unwrap_err()
                .contains("not a boolean")
        );
    }
}
