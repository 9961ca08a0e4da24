//! Every failure as RFC 9457 problem details (`application/problem+json`), with the status
//! oxapi's todo answers: 400, 401, 403, 404, 409, 412, 415, 422, 500.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One invalid input: where it is, a stable code, and what is wrong.
#[derive(Debug, Serialize)]
pub struct FieldError {
    pub location: String,
    pub message: String,
    pub code: &'static str,
}

/// A failed request, answered as a problem.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    errors: Vec<FieldError>,
    /// `WWW-Authenticate` for 401 and 403.
    challenge: Option<String>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            errors: Vec::new(),
            challenge: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("no such {what}"))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 412: the row is at `current`, not a version `If-Match` names.
    pub fn version_mismatch(current: i64) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            format!("the resource changed: it is at version {current}, not one `If-Match` names"),
        )
    }

    /// 422 with one field error.
    pub fn invalid(
        location: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            errors: vec![FieldError {
                location: location.into(),
                message: message.into(),
                code,
            }],
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "the request is invalid")
        }
    }

    /// 401 with the bearer challenge.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self {
            challenge: Some(r#"Bearer error="invalid_token""#.to_owned()),
            ..Self::new(StatusCode::UNAUTHORIZED, detail)
        }
    }

    /// 401 for a request without a token.
    pub fn no_token() -> Self {
        Self {
            challenge: Some("Bearer".to_owned()),
            ..Self::new(StatusCode::UNAUTHORIZED, "not authenticated")
        }
    }

    /// 403: the token lacks `scope`.
    pub fn insufficient_scope(scope: &str) -> Self {
        Self {
            challenge: Some(format!(
                r#"Bearer error="insufficient_scope", scope="{scope}""#
            )),
            ..Self::new(StatusCode::FORBIDDEN, "the token lacks a scope this needs")
        }
    }

    /// 500: logged with its cause; the client learns nothing of it.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        eprintln!("internal error: {error}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::try_from(c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => Self::invalid("body", "type", error.body_text()),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected `Content-Type: application/json`",
            ),
            other => Self::bad_request(other.body_text()),
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        match rejection {
            FormRejection::InvalidFormContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected `Content-Type: application/x-www-form-urlencoded`",
            ),
            other => Self::invalid("body", "invalid", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::invalid("path", "type", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid("query", "type", rejection.body_text())
    }
}

/// The fallback: no route has this path.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no route has this path")
}
