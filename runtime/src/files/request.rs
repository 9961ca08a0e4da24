//! [`FileRequest`]: what a request asks of a file (`Range`, `If-Range`, `If-None-Match`,
//! `If-Modified-Since`), and the validators a file is compared by.

use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, RANGE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};

use crate::context::RequestContext;
use crate::extract::FromRequestParts;

/// What a request asks of a file it downloads: a byte range, and the conditions under which
/// its copy is still good. Give it to [`FileResponse::for_request`](crate::FileResponse::for_request)
/// to answer `304 Not Modified`, `206 Partial Content` or `416` as the headers ask.
#[derive(Debug, Clone, Default)]
pub struct FileRequest {
    /// `true` for GET: the only method ranges apply to (RFC 9110 §14.2).
    get: bool,
    /// `true` for GET and HEAD: the methods `If-Modified-Since` applies to.
    get_or_head: bool,
    range: Option<HeaderValue>,
    if_range: Option<HeaderValue>,
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<HeaderValue>,
}

impl FileRequest {
    /// The request of `method` with `headers`.
    pub fn new(method: &Method, headers: &HeaderMap) -> Self {
        Self {
            get: method == Method::GET,
            get_or_head: method == Method::GET || method == Method::HEAD,
            range: headers.get(RANGE).cloned(),
            if_range: headers.get(IF_RANGE).cloned(),
            if_none_match: headers.get(IF_NONE_MATCH).cloned(),
            if_modified_since: headers.get(IF_MODIFIED_SINCE).cloned(),
        }
    }

    /// Whether the client's copy, of `validators`, is current: `304 Not Modified`.
    /// `If-None-Match` decides when present; else `If-Modified-Since` (RFC 9110 §13.2.2).
    pub(crate) fn not_modified(&self, validators: &Validators) -> bool {
        if !self.get_or_head {
            return false;
        }
        if let Some(tags) = self.if_none_match.as_ref().and_then(|v| v.to_str().ok()) {
            return tags.trim() == "*"
                || tags
                    .split(',')
                    .any(|tag| weak(tag.trim()) == weak(&validators.etag));
        }
        match (self.if_modified_since.as_ref(), validators.modified) {
            (Some(since), Some(modified)) => since
                .to_str()
                .ok()
                .and_then(|since| httpdate::parse_http_date(since).ok())
                .is_some_and(|since| seconds(modified) <= seconds(since)),
            _ => false,
        }
    }

    /// The `Range` header to honour, if any: only on GET, and only if `If-Range` (when sent)
    /// still names this file (RFC 9110 §13.1.5: a strong ETag match or the exact date).
    pub(crate) fn range(&self, validators: &Validators) -> Option<&str> {
        if !self.get {
            return None;
        }
        let range = self.range.as_ref()?.to_str().ok()?;
        let Some(if_range) = self.if_range.as_ref() else {
            return Some(range);
        };
        let if_range = if_range.to_str().ok()?.trim();
        let current = if if_range.starts_with('"') {
            if_range == validators.etag
        } else {
            let date = httpdate::parse_http_date(if_range).ok();
            matches!((date, validators.modified), (Some(date), Some(modified)) if seconds(date) == seconds(modified))
        };
        current.then_some(range)
    }
}

impl FromRequestParts for FileRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::new(&parts.method, &parts.headers))
    }
}

/// What identifies one version of a file: its entity tag (from its length and modification
/// time, as nginx makes them) and its modification time.
#[derive(Debug, Clone)]
pub(crate) struct Validators {
    pub(crate) etag: String,
    pub(crate) modified: Option<SystemTime>,
}

impl Validators {
    pub(crate) fn of(metadata: &std::fs::Metadata) -> Self {
        let modified = metadata.modified().ok();
        let nanos = modified
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        Self {
            etag: format!("\"{:x}-{nanos:x}\"", metadata.len()),
            modified,
        }
    }
}

/// An entity tag without its weakness mark, for the weak comparison.
fn weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Whole seconds since the epoch: HTTP dates have no finer resolution.
fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Request headers, as (name, value) pairs.
    type Headers<'a> = &'a [(&'static str, &'a str)];

    fn request(method: Method, headers: Headers<'_>) -> FileRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        FileRequest::new(&method, &map)
    }

    fn validators() -> Validators {
        Validators {
            etag: "\"a-1\"".into(),
            modified: Some(UNIX_EPOCH + Duration::from_millis(1_000_500)),
        }
    }

    #[test]
    fn if_none_match_decides_before_if_modified_since() {
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1000));
        let old = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(999));
        let cases: [(Headers<'_>, bool); 7] = [
            (&[("if-none-match", "\"a-1\"")], true),
            (&[("if-none-match", "W/\"a-1\"")], true),
            (&[("if-none-match", "\"b\", \"a-1\"")], true),
            (&[("if-none-match", "*")], true),
            (
                &[("if-none-match", "\"b\""), ("if-modified-since", &date)],
                false,
            ),
            (&[("if-modified-since", &date)], true),
            (&[("if-modified-since", &old)], false),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                request(Method::GET, headers).not_modified(&validators()),
                expected,
                "{headers:?}"
            );
        }
        assert!(!request(Method::POST, &[("if-none-match", "*")]).not_modified(&validators()));
    }

    #[test]
    fn if_range_keeps_the_range_only_for_the_same_file() {
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1000));
        let cases: [(Headers<'_>, Option<&str>); 5] = [
            (&[("range", "bytes=0-1")], Some("bytes=0-1")),
            (
                &[("range", "bytes=0-1"), ("if-range", "\"a-1\"")],
                Some("bytes=0-1"),
            ),
            (&[("range", "bytes=0-1"), ("if-range", "\"b\"")], None),
            (&[("range", "bytes=0-1"), ("if-range", "W/\"a-1\"")], None),
            (
                &[("range", "bytes=0-1"), ("if-range", &date)],
                Some("bytes=0-1"),
            ),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                request(Method::GET, headers).range(&validators()),
                expected,
                "{headers:?}"
            );
        }
        assert_eq!(
            request(Method::HEAD, &[("range", "bytes=0-1")]).range(&validators()),
            None
        );
    }
}
