//! [`AuthError`]: the 401 and 403 answers of the security extractors.

use std::borrow::Cow;

use http::HeaderValue;
use http::header::WWW_AUTHENTICATE;
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Why a security extractor or a scope check refused a request: a 401 problem (credentials
/// missing or malformed) or a 403 problem (a required scope missing), each with its
/// `WWW-Authenticate` challenge.
///
/// Return it (`Result<_, AuthError>`) from a handler or a dependency, or pass it on with `?`:
/// into [`oxapi::Error`](crate::Error) it keeps everything; into [`ApiError`](crate::ApiError)
/// it keeps its status and detail but not its `WWW-Authenticate`, which `ApiError` has no
/// place for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    error: FrameworkError,
    challenge: Cow<'static, str>,
    detail: Cow<'static, str>,
}

impl AuthError {
    /// 401: the credentials are missing or malformed; `challenge` is the `WWW-Authenticate`
    /// value (`Bearer`, `Basic realm="api"`).
    pub fn unauthorized(
        challenge: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            error: FrameworkError::Unauthorized,
            challenge: challenge.into(),
            detail: detail.into(),
        }
    }

    /// 401 for a bearer token that is present but not valid (expired, a bad signature):
    /// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750, section 3.1).
    pub fn invalid_token(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::unauthorized(r#"Bearer error="invalid_token""#, detail)
    }

    /// 403: the token lacks a scope in `required`: `WWW-Authenticate: Bearer
    /// error="insufficient_scope", scope="<required, space-separated>"` (RFC 6750, section 3.1).
    pub fn insufficient_scope(required: &[&str]) -> Self {
        let scope = required.join(" ");
        Self {
            error: FrameworkError::Forbidden,
            challenge: Cow::Owned(format!(
                r#"Bearer error="insufficient_scope", scope="{scope}""#
            )),
            detail: Cow::Owned(format!("the token lacks a required scope: {scope}")),
        }
    }

    /// The status: 401 or 403.
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.error.spec().status)
            .unwrap_or(http::StatusCode::UNAUTHORIZED)
    }

    /// The `WWW-Authenticate` value sent.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// The problem's detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem details sent, without the challenge.
    pub fn problem(&self) -> Problem {
        Problem::from(self.error).with_detail(self.detail.as_ref())
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for AuthError {}

impl IntoResponse for AuthError {
    fn describe(op: &mut OperationDoc<'_>) {
        op.errors(&[FrameworkError::Unauthorized, FrameworkError::Forbidden]);
    }

    fn into_response(self) -> Response {
        let mut response = self.problem().render();
        // Challenges are built from the extractors' constants and scope names; one that is no
        // valid header value (a scope with a control character) is left out, not a 500.
        if let Ok(value) = HeaderValue::try_from(self.challenge.as_ref()) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }

    fn into_response_with_status(self, _: http::StatusCode) -> Response {
        self.into_response()
    }
}
