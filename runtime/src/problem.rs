//! RFC 9457 problem details: the one format every error response of oxapi uses.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::body::Body;
use crate::response::Response;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object, sent as `application/problem+json`.
///
/// ```
/// use oxapi::{Problem, StatusCode};
/// let problem = Problem::new(StatusCode::NOT_FOUND).with_detail("item 7 does not exist");
/// assert_eq!(problem.status(), StatusCode::NOT_FOUND);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: Cow<'static, str>,
    title: Cow<'static, str>,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

/// One failing input: where it is (`body.items[2].price`, `query.limit`, `path.id`) and what
/// is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where the value is: the source (`path`, `query`, `header`, `cookie`, `body`) and the
    /// path inside it.
    pub location: String,
    /// What is wrong, for a human.
    pub message: String,
    /// A stable machine-readable code: `invalid`, `missing`, `length`, `range`, ...
    pub code: Cow<'static, str>,
}

impl FieldError {
    /// A field error at `location`.
    pub fn new(
        location: impl Into<String>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
            code: code.into(),
        }
    }
}

impl Problem {
    /// A problem with the standard title of `status` and `type` `about:blank`.
    pub fn new(status: StatusCode) -> Self {
        Self {
            kind: Cow::Borrowed("about:blank"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    /// Sets the `type` URI that identifies this kind of problem.
    #[must_use]
    pub fn with_type(mut self, kind: impl Into<Cow<'static, str>>) -> Self {
        self.kind = kind.into();
        self
    }

    /// Sets the short, human-readable `title` of this kind of problem.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the `detail`: what went wrong in this occurrence.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the `instance` URI of this occurrence.
    #[must_use]
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds failing inputs, listed under `errors`.
    #[must_use]
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = FieldError>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The `detail`, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The failing inputs.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The `type` URI.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Renders the problem as a response.
    pub fn to_response(&self) -> Response {
        // Serializing these plain fields cannot fail; fall back to a fixed body if it did.
        let body = crate::response::json_bytes(self).unwrap_or_else(|_| {
            Bytes::from_static(
                br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#,
            )
        });
        let mut response = Response::new(Body::full(body));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// `type` URIs of the problems oxapi itself reports.
pub(crate) mod kinds {
    pub(crate) const VALIDATION: &str = "urn:oxapi:problem:validation";
    pub(crate) const MALFORMED: &str = "urn:oxapi:problem:malformed-body";
    pub(crate) const MEDIA_TYPE: &str = "urn:oxapi:problem:unsupported-media-type";
    pub(crate) const TOO_LARGE: &str = "urn:oxapi:problem:body-too-large";
    pub(crate) const NOT_FOUND: &str = "urn:oxapi:problem:not-found";
    pub(crate) const METHOD: &str = "urn:oxapi:problem:method-not-allowed";
    pub(crate) const OVERLOADED: &str = "urn:oxapi:problem:overloaded";
    pub(crate) const INTERNAL: &str = "urn:oxapi:problem:internal";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc9457_members() {
        let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
            .with_type(kinds::VALIDATION)
            .with_detail("1 invalid input")
            .with_errors([FieldError::new(
                "query.limit",
                "range",
                "must be at most 100",
            )]);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "urn:oxapi:problem:validation",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "1 invalid input",
                "errors": [{"location": "query.limit", "message": "must be at most 100", "code": "range"}],
            })
        );
    }

    #[test]
    fn response_has_problem_media_type_and_status() {
        let response = Problem::new(StatusCode::NOT_FOUND).to_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
