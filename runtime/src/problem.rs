//! RFC 9457 problem details: the one format every error response of oxapi uses.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use oxapi_openapi::{FrameworkError, PROBLEM_JSON};
use serde::Serialize;

use crate::body::Body;
use crate::body::Response;
use crate::report::FrameworkErrorReport;

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
    /// `None` leaves the member out; a framework error that always lists its inputs starts
    /// with an empty list, so its body has `errors` even when the list is empty, as its
    /// schema requires.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
    /// The catalogue entry this problem was made from, if any: its response then carries a
    /// [`FrameworkErrorReport`], so that the app's renderer for it can take over.
    #[serde(skip)]
    framework: Option<FrameworkError>,
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
    /// A stable machine-readable code: `missing`, `type`, `range`, `length`, `pattern`,
    /// `enum`, `unknown_field`, `key` (a map key of the wrong kind), `forbidden` (a value where
    /// none may be), `invalid` (anything else the parser refused), or a custom validation
    /// rule's own code.
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
            errors: None,
            framework: None,
        }
    }

    /// Sets the `type` URI that identifies this kind of problem.
    ///
    /// A framework error given another `type` is no longer that framework error: the app's
    /// renderer for it leaves it alone.
    #[must_use]
    pub fn with_type(mut self, kind: impl Into<Cow<'static, str>>) -> Self {
        self.kind = kind.into();
        self.framework = None;
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
        self.errors.get_or_insert_with(Vec::new).extend(errors);
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
        self.errors.as_deref().unwrap_or_default()
    }

    /// The `type` URI.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The framework error this problem is, if it was made from one and kept its `type`.
    pub fn framework_error(&self) -> Option<FrameworkError> {
        self.framework
    }

    /// Renders the problem as a response.
    ///
    /// The response of a framework error carries a [`FrameworkErrorReport`] in its
    /// extensions, read by the app's
    /// [`framework_error_handler`](crate::App::framework_error_handler) if it has one.
    pub fn to_response(&self) -> Response {
        match self.framework {
            Some(_) => self.clone().render(),
            None => self.body_response(),
        }
    }

    /// As [`to_response`](Self::to_response), moving the problem into the report instead of
    /// copying it: what `IntoResponse` for `Problem` does.
    pub(crate) fn render(self) -> Response {
        let mut response = self.body_response();
        if let Some(kind) = self.framework {
            // Only error responses pay for this: one extension, the problem moved into it.
            response
                .extensions_mut()
                .insert(FrameworkErrorReport::new(kind, self));
        }
        response
    }

    /// The response without its report: status, media type and body.
    fn body_response(&self) -> Response {
        // Serializing these plain fields cannot fail; fall back to a bare internal error if
        // it did.
        let body = crate::response::json_bytes(self).unwrap_or_else(|_| {
            let internal = FrameworkError::Internal.spec();
            Bytes::from(format!(
                r#"{{"type":"{}","title":"{}","status":{}}}"#,
                internal.type_uri, internal.title, internal.status
            ))
        });
        let mut response = Response::new(Body::full(body));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if matches!(
            self.framework,
            Some(FrameworkError::Overloaded | FrameworkError::NotReady)
        ) {
            // The header their catalogue entries document: a full pool has room again within
            // a second or so, whoever refused the call (a plain fn, `BlockingPool::spawn_blocking`);
            // a probe asks again at its own period anyway.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// The problem of a framework error, as its catalogue entry declares it: status, `type`, title,
/// and an empty `errors` list if it always lists the failing inputs.
///
/// ```
/// use oxapi::{FrameworkError, Problem, StatusCode};
/// let problem = Problem::from(FrameworkError::NotFound).with_detail("no route matches /nowhere");
/// assert_eq!(problem.status(), StatusCode::NOT_FOUND);
/// assert_eq!(problem.kind(), "urn:oxapi:problem:not-found");
/// ```
impl From<FrameworkError> for Problem {
    fn from(error: FrameworkError) -> Self {
        let spec = error.spec();
        Self {
            kind: Cow::Borrowed(spec.type_uri),
            title: Cow::Borrowed(spec.title),
            status: spec.status,
            detail: None,
            instance: None,
            errors: spec.field_errors.then(Vec::new),
            framework: Some(error),
        }
    }
}

/// The response to a handler that panicked: a 500 whose body says nothing of the panic.
pub(crate) fn panic_response(panic: &(dyn std::any::Any + Send)) -> Response {
    tracing::error!(panic = panic_message(panic), "handler panicked");
    Problem::from(FrameworkError::Internal).render()
}

/// A panic's message, when it has one (`panic!("..")` with or without arguments).
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use oxapi_openapi::{ApiInfo, DocumentBuilder, OperationMeta};
    use serde_json::Value;

    use super::*;

    #[test]
    fn renders_rfc9457_members() {
        let problem = Problem::from(FrameworkError::Validation)
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
                "title": "Validation failed",
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

    /// The table test of the catalogue: every framework error, rendered as the runtime sends
    /// it, is what the document's component for it says.
    #[test]
    fn every_framework_error_renders_as_its_component_documents_it() {
        // One operation that may send every error, so that those only some operations send
        // (426) are listed too.
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let meta = OperationMeta::named("every");
        let mut op = builder.operation(&meta);
        for &error in FrameworkError::ALL {
            op.error(error);
        }
        let op = op.finish();
        builder.insert("GET", "/every", op);
        let document = builder.finish().unwrap();
        let components = document["components"]["responses"].as_object().unwrap();
        assert_eq!(components.len(), FrameworkError::ALL.len());
        for &error in FrameworkError::ALL {
            let spec = error.spec();
            let component = &components[spec.component];
            if !spec.problem_body {
                // Sent by hyper, bodiless (an end-to-end test checks it): documented so.
                assert!(component.get("content").is_none(), "{error:?}");
                continue;
            }
            let response = Problem::from(error).to_response();
            let content = component["content"].as_object().unwrap();
            let media_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                [media_type],
                "{error:?}"
            );
            let schema = &content[media_type]["schema"];
            let body: Value = serde_json::from_slice(&response.body().as_full().unwrap()).unwrap();
            assert_eq!(response.status().as_u16(), spec.status, "{error:?}");
            for member in ["type", "title", "status"] {
                assert_eq!(
                    schema["properties"][member]["const"], body[member],
                    "{error:?} {member}"
                );
            }
            assert_eq!(body["type"], spec.type_uri);
            assert_eq!(body["status"], response.status().as_u16());
            // What the schema requires, the body has.
            for required in schema["required"].as_array().into_iter().flatten() {
                let member = required.as_str().unwrap();
                assert!(body.get(member).is_some(), "{error:?} lacks {member}");
            }
            assert_eq!(component["description"], spec.description);
        }
    }
}
