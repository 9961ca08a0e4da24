//! Entity tags: a row's version as its `ETag`, and `If-Match` as what a write expects.

use oxapi::ApiError;

use crate::repo::Expect;

/// The strong entity tag of a row at `version`: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// What an `If-Match` header asks of a write (RFC 9110, section 13.1.1): none or `*`, any
/// version; else one of the versions its strong tags name. A weak tag (`W/"7"`) never
/// matches (If-Match compares strongly), nor does a tag this service never sent.
///
/// # Errors
///
/// A 400 problem for a header that is no list of entity tags.
pub fn expect(if_match: Option<&str>) -> Result<Expect, ApiError> {
    let Some(header) = if_match else {
        return Ok(Expect::Any);
    };
    let header = header.trim();
    if header == "*" {
        return Ok(Expect::Any);
    }
    let mut versions = Vec::new();
    for tag in header.split(',').map(str::trim) {
        let (weak, quoted) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let opaque = quoted
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|opaque| !opaque.contains('"'))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`If-Match` must be `*` or a list of entity tags like \"3\", not `{header}`"
                ))
            })?;
        if !weak && let Ok(version) = opaque.parse::<i64>() {
            versions.push(version);
        }
    }
    Ok(Expect::OneOf(versions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_names_the_versions_a_write_may_change() {
        for (header, expected) in [
            (None, Expect::Any),
            (Some("*"), Expect::Any),
            (Some("\"3\""), Expect::OneOf(vec![3])),
            (Some(" \"3\", \"5\" "), Expect::OneOf(vec![3, 5])),
            (Some("W/\"3\""), Expect::OneOf(vec![])),
            (Some("\"abc\""), Expect::OneOf(vec![])),
            (Some("W/\"3\", \"4\""), Expect::OneOf(vec![4])),
        ] {
            assert_eq!(expect(header).unwrap(), expected, "{header:?}");
        }
    }

    #[test]
    fn a_header_that_is_no_list_of_tags_is_a_bad_request() {
        for header in ["3", "\"3", "\"3\"\"", "", "\"3\", 4"] {
            let error = expect(Some(header)).unwrap_err();
            assert_eq!(error.status(), 400, "{header:?}");
        }
    }

    #[test]
    fn a_version_round_trips_through_its_tag() {
        assert_eq!(expect(Some(&etag(42))).unwrap(), Expect::OneOf(vec![42]));
    }
}
