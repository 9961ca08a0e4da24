//! Entity tags: a row's version as its `ETag`, and `If-Match` as what a write expects.

use oxapi::http::header::IF_MATCH;
use oxapi::http::request::Parts;
use oxapi::{
    ApiError, FieldError, FrameworkError, FromRequestParts, OperationDoc, ParamDoc, ParamLocation,
    ParamRules, Problem, RequestContext,
};

use crate::repo::Expect;

/// The grammar of `If-Match` (RFC 9110, sections 13.1.1 and 8.8.3): `*`, or a comma-separated
/// list of entity tags, each quoted and perhaps weak (`W/"3"`), between its quotes any visible
/// ASCII but `"` (a comma too), with spaces or tabs around the commas. Stated in the document
/// and checked by [`expect`], so a value that breaks it is a 422 like any broken rule.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$"#;

/// Optional whitespace around a list's commas (RFC 9110, section 5.6.3).
const OWS: [char; 2] = [' ', '\t'];

/// The `If-Match` header of a write, read as what the write expects of the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(pub Expect);

impl FromRequestParts for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        let header = match parts.headers.get(IF_MATCH) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| malformed("it is not ASCII"))?),
        };
        expect(header).map(IfMatch)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let doc = ParamDoc {
            description: Some(
                "The `ETag` of the version this write was made to: the write is refused with \
                 412 if the row is at another. Without it (or with `*`), the write is \
                 unconditional.",
            ),
            rules: ParamRules {
                pattern: Some(IF_MATCH_PATTERN),
                ..ParamRules::NONE
            },
            ..ParamDoc::default()
        };
        op.param_with::<String>(ParamLocation::Header, "if-match", false, doc);
    }
}

/// The 422 for an `If-Match` that breaks [`IF_MATCH_PATTERN`], saying `why`.
fn malformed(why: &str) -> ApiError {
    let message = format!("`If-Match` must be `*` or a list of entity tags like \"3\": {why}");
    ApiError::from_problem(
        Problem::from(FrameworkError::Validation).with_errors([FieldError::new(
            "header.if-match",
            "pattern",
            message,
        )]),
    )
}

/// The strong entity tag of a row at `version`: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// What an `If-Match` header asks of a write (RFC 9110, section 13.1.1): none or `*`, any
/// version; else one of the versions its strong tags name. A weak tag (`W/"7"`) never
/// matches (If-Match compares strongly), nor does a tag this service never sent (`"07"` is
/// not `"7"`).
///
/// # Errors
///
/// A 422 problem for a header that breaks [`IF_MATCH_PATTERN`].
pub fn expect(if_match: Option<&str>) -> Result<Expect, ApiError> {
    let Some(header) = if_match else {
        return Ok(Expect::Any);
    };
    let mut rest = header.trim_matches(OWS);
    if rest == "*" {
        return Ok(Expect::Any);
    }
    let mut versions = Vec::new();
    loop {
        let (tag, after) = entity_tag(rest)?;
        if let Some(version) = tag.strong_version() {
            versions.push(version);
        }
        rest = after.trim_start_matches(OWS);
        if rest.is_empty() {
            return Ok(Expect::OneOf(versions));
        }
        rest = rest
            .strip_prefix(',')
            .ok_or_else(|| malformed(&format!("`{rest}` does not follow a tag with a comma")))?
            .trim_start_matches(OWS);
    }
}

/// One entity tag as sent: its opaque part (between the quotes) and whether it is weak.
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

impl EntityTag<'_> {
    /// The version a strong tag names, if it is one this service sends ([`etag`]).
    fn strong_version(&self) -> Option<i64> {
        let version = self.opaque.parse::<i64>().ok()?;
        (!self.weak && version.to_string() == self.opaque).then_some(version)
    }
}

/// The entity tag at the start of `text`, and what follows it. The tag ends at its closing
/// quote, so a comma inside the quotes belongs to it.
fn entity_tag(text: &str) -> Result<(EntityTag<'_>, &str), ApiError> {
    let no_tag = || malformed(&format!("`{text}` does not start with a quoted tag"));
    let (weak, quoted) = match text.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let inside = quoted.strip_prefix('"').ok_or_else(no_tag)?;
    let end = inside.find('"').ok_or_else(no_tag)?;
    let opaque = &inside[..end];
    // etagc: visible ASCII but `"` (obs-text is not read: the header must be ASCII).
    if let Some(bad) = opaque.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(malformed(&format!(
            "`{opaque}` holds {bad:?}, which no entity tag may"
        )));
    }
    Ok((EntityTag { weak, opaque }, &inside[end + 1..]))
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
            // A comma inside the quotes is the tag's own.
            (Some("\"3,4\",\t\"5\""), Expect::OneOf(vec![5])),
            // Strong comparison is of the characters: `"07"` and `"+7"` are not `"7"`.
            (Some("\"07\", \"+7\""), Expect::OneOf(vec![])),
        ] {
            assert_eq!(expect(header).unwrap(), expected, "{header:?}");
        }
    }

    #[test]
    fn a_header_that_is_no_list_of_tags_is_refused_as_its_pattern_says() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).unwrap();
        for header in [
            "3",
            "\"3",
            "\"3\"\"",
            "",
            "\"3\", 4",
            "W/3",
            "\"x y\"",
            "\"3\",",
            "\"3\" \"4\"",
            "\"3\"\u{a0},\"4\"",
        ] {
            let error = expect(Some(header)).unwrap_err();
            assert_eq!(error.status(), 422, "{header:?}");
            assert!(!pattern.is_match(header), "{header:?}");
        }
        for header in [
            "*",
            "\"3\"",
            "W/\"3\" , \"x,y\"",
            "\"\"",
            "\"a\"\t,W/\"!#~\"",
        ] {
            assert!(expect(Some(header)).is_ok(), "{header:?}");
            assert!(pattern.is_match(header), "{header:?}");
        }
    }

    #[test]
    fn a_version_round_trips_through_its_tag() {
        assert_eq!(expect(Some(&etag(42))).unwrap(), Expect::OneOf(vec![42]));
    }
}
