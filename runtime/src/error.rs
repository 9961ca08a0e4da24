//! Handler errors: the [`HttpError`] trait and the ready-made [`ApiError`].

use std::fmt;

use http::StatusCode;

use crate::body::BoxError;
use oxapi_openapi::FrameworkError;

use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use oxapi_openapi::OperationDoc;

/// An error type a handler can return (as the `E` of `Result<T, E>`): it knows its status and
/// renders as problem details.
///
/// ```
/// use oxapi::{HttpError, Problem, StatusCode};
///
/// #[derive(Debug)]
/// enum OrderError { NotFound(u64), OutOfStock }
///
/// impl HttpError for OrderError {
///     fn status(&self) -> StatusCode {
///         match self {
///             Self::NotFound(_) => StatusCode::NOT_FOUND,
///             Self::OutOfStock => StatusCode::CONFLICT,
///         }
///     }
///     fn problem(&self) -> Problem {
///         let problem = Problem::new(self.status());
///         match self {
///             Self::NotFound(id) => problem.with_detail(format!("order {id} does not exist")),
///             Self::OutOfStock => problem.with_detail("out of stock"),
///         }
///     }
/// }
/// ```
pub trait HttpError: fmt::Debug {
    /// The response status.
    fn status(&self) -> StatusCode;

    /// The problem details sent to the client. The default carries the status only: for a
    /// 5xx error, the client should not learn the server's internals.
    fn problem(&self) -> Problem {
        Problem::new(self.status())
    }

    /// Documents the statuses this error type can have, usually with
    /// [`OperationDoc::problem_response`]. The default documents none: list them here, or
    /// with `responses(404 = "..")` on the route.
    fn describe(op: &mut OperationDoc<'_>)
    where
        Self: Sized,
    {
        let _ = op;
    }
}

// Not recommended in diagnostics: for a type that is no response at all, "implement
// `HttpError`" is the wrong advice; `IntoResponse`'s own message says what to do.
#[diagnostic::do_not_recommend]
impl<E: HttpError> IntoResponse for E {
    fn describe(op: &mut OperationDoc<'_>) {
        E::describe(op);
    }

    fn into_response(self) -> Response {
        http_error_response(&self)
    }
}

/// The response to an [`HttpError`]: its problem details, logged if it is a server error.
pub(crate) fn http_error_response<E: HttpError + ?Sized>(error: &E) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(error = ?error, status = status.as_u16(), "handler failed");
    }
    error.problem().into_response()
}

/// A handler error with a status and problem details.
///
/// Any `std::error::Error` converts into a 500 with `?`; the error is logged and its text is
/// not sent to the client.
///
/// ```
/// use oxapi::ApiError;
/// fn find(id: u64) -> Result<String, ApiError> {
///     if id == 0 {
///         return Err(ApiError::not_found(format!("item {id} does not exist")));
///     }
///     Ok(format!("item {id}"))
/// }
/// assert_eq!(find(0).unwrap_err().status(), oxapi::StatusCode::NOT_FOUND);
/// ```
pub struct ApiError {
    // Boxed: a handler's `Result<T, ApiError>` stays small (clippy's `result_large_err`
    // would flag every handler that returns one), and only the error path allocates.
    inner: Box<Inner>,
}

struct Inner {
    problem: Problem,
    source: Option<BoxError>,
}

impl ApiError {
    /// An error with `status` and a `detail` for the client.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(status).with_detail(detail))
    }

    /// An error with the given problem details.
    pub fn from_problem(problem: Problem) -> Self {
        Self {
            inner: Box::new(Inner {
                problem,
                source: None,
            }),
        }
    }

    /// `400 Bad Request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// `401 Unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// `403 Forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// `404 Not Found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// `409 Conflict`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// `500 Internal Server Error` caused by `source`, which is logged but not sent.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self {
            inner: Box::new(Inner {
                problem: Problem::from(FrameworkError::Internal),
                source: Some(source.into()),
            }),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.inner.problem.status()
    }

    /// The problem details that will be sent.
    pub fn problem_details(&self) -> &Problem {
        &self.inner.problem
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ApiError");
        debug.field("status", &self.inner.problem.status().as_u16());
        if let Some(detail) = self.inner.problem.detail() {
            debug.field("detail", &detail);
        }
        if let Some(source) = &self.inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.problem.status();
        match self.inner.problem.detail() {
            Some(detail) => write!(f, "{}: {detail}", status.as_u16()),
            None => write!(f, "{status}"),
        }
    }
}

impl HttpError for ApiError {
    fn status(&self) -> StatusCode {
        self.inner.problem.status()
    }

    fn problem(&self) -> Problem {
        self.inner.problem.clone()
    }
}

/// Any error is a 500 that hides its text, except an extractor's [`Rejection`] (a
/// [`BodyStream`](crate::BodyStream) over the limit, say) passed on with `?`: that is sent as
/// the problem it is.
///
/// [`Rejection`]: crate::Rejection
impl<E: std::error::Error + Send + Sync + 'static> From<E> for ApiError {
    fn from(error: E) -> Self {
        if let Some(rejection) =
            (&error as &dyn std::any::Any).downcast_ref::<crate::extract::Rejection>()
        {
            return Self::from_problem(rejection.problem());
        }
        // A security extractor's refusal keeps its status and detail; `ApiError` has no
        // headers, so its `WWW-Authenticate` is only kept by `oxapi::Error` or by returning it.
        if let Some(refusal) =
            (&error as &dyn std::any::Any).downcast_ref::<crate::security::AuthError>()
        {
            return Self::from_problem(refusal.problem());
        }
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_text() {
        let error = ApiError::from(std::io::Error::other("disk /dev/sda1 failed"));
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.body().as_full().unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("sda1"));
    }

    #[test]
    fn a_rejection_passed_on_keeps_its_status() {
        let error = ApiError::from(crate::extract::Rejection::BodyTooLarge { limit: 10 });
        assert_eq!(
            error.into_response().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn a_security_refusal_passed_on_keeps_its_status() {
        let error = ApiError::from(crate::security::AuthError::insufficient_scope(&["write"]));
        assert_eq!(error.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            error.problem_details().detail(),
            Some("the token lacks a required scope: write")
        );
    }

    #[test]
    fn client_errors_carry_their_detail() {
        let response = ApiError::not_found("no item 3").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = response.body().as_full().unwrap();
        assert!(String::from_utf8_lossy(&body).contains("no item 3"));
    }
}
