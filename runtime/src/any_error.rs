//! [`Error`]: any error a handler fails with, answered as the app maps its type.

use std::fmt;
use std::sync::Arc;

use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::body::BoxError;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Any error, for handlers that return `Result<T, oxapi::Error>` and use `?` on whatever
/// fails: FastAPI's raising of an exception that `@app.exception_handler` catches.
///
/// Every `std::error::Error + Send + Sync` converts into it with `?`. The app answers it
/// with the response it mapped the error's type to
/// ([`App::error_handler`](crate::App::error_handler)); an error of a type it did not map is
/// a `500` whose problem details say nothing of it, and is logged with the route and the
/// error's `Display`. An [`ApiError`] converts too, and is sent as it says.
///
/// Like `anyhow::Error`, it does not implement `std::error::Error` itself: if it did, its
/// blanket `From` would also convert it into itself.
///
/// ```
/// use oxapi::prelude::*;
///
/// #[get("/config")]
/// async fn config() -> Result<String, oxapi::Error> {
///     let text = oxapi::tokio::fs::read_to_string("/no/such/file").await?; // an `io::Error`: unmapped
///     Ok(text)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let response = App::new().routes(routes![config]).test_client().get("/config").send().await;
/// assert_eq!(response.status(), 500);
/// assert!(!response.text().contains("/no/such/file"));
/// # }
/// ```
pub struct Error {
    inner: Inner,
}

enum Inner {
    /// An error for the app's mappings.
    Any(BoxError),
    /// An error that says what to send; boxed, as a problem is large and `Result<T, Error>`
    /// should stay small.
    Api(Box<ApiError>),
}

/// An error on its way to the app's mappings, in the response's extensions. Shared, because
/// extensions must be `Clone` and an error is not.
#[derive(Clone)]
pub(crate) struct Unhandled(pub(crate) Arc<dyn std::error::Error + Send + Sync>);

impl Error {
    /// Wraps `error`.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self {
            inner: Inner::Any(error.into()),
        }
    }

    /// Whether the error is an `E`.
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.downcast_ref::<E>().is_some()
    }

    /// The error as an `E`, if it is one.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &self.inner {
            Inner::Any(error) => error.downcast_ref(),
            Inner::Api(_) => None,
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self {
            inner: Inner::Api(Box::new(error)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Any(error) => fmt::Debug::fmt(error, f),
            Inner::Api(error) => fmt::Debug::fmt(error, f),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Any(error) => fmt::Display::fmt(error, f),
            Inner::Api(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl IntoResponse for Error {
    /// The app's mappings are documented on the operation when the app is built: the type
    /// alone cannot know them.
    fn describe(op: &mut OperationDoc<'_>) {
        op.app_errors();
    }

    /// A `500` with nothing of the error in it, carrying the error for the app's mappings,
    /// which replace the response, or log the error if none maps it.
    fn into_response(self) -> Response {
        match self.inner {
            Inner::Api(error) => (*error).into_response(),
            // An extractor's rejection passed on with `?` (a `BodyStream` over the limit) is
            // the framework's own error, sent as such.
            Inner::Any(error) => match error.downcast::<crate::extract::Rejection>() {
                Ok(rejection) => rejection.into_response(),
                // A security extractor's refusal, with its `WWW-Authenticate`.
                Err(error) => match error.downcast::<crate::security::AuthError>() {
                    Ok(refusal) => refusal.into_response(),
                    Err(error) => {
                        let mut response = Problem::from(FrameworkError::Internal).into_response();
                        response
                            .extensions_mut()
                            .insert(Unhandled(Arc::from(error)));
                        response
                    }
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_mark_converts_any_error_and_downcasts_back() {
        fn read() -> Result<(), Error> {
            Err(std::io::Error::other("disk full"))?;
            Ok(())
        }
        let error = read().unwrap_err();
        assert!(error.is::<std::io::Error>());
        assert!(!error.is::<std::fmt::Error>());
        assert_eq!(error.to_string(), "disk full");
    }

    #[test]
    fn an_unhandled_error_is_a_bare_500_carrying_it() {
        let response = Error::from(std::io::Error::other("disk /dev/sda1 failed")).into_response();
        assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.body().as_full().unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("sda1"));
        let Unhandled(error) = response.extensions().get::<Unhandled>().unwrap();
        assert_eq!(error.to_string(), "disk /dev/sda1 failed");
    }

    #[test]
    fn a_rejection_passed_on_keeps_its_status() {
        let rejection = crate::extract::Rejection::BodyTooLarge { limit: 10 };
        let response = Error::from(rejection).into_response();
        assert_eq!(response.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
        assert!(response.extensions().get::<Unhandled>().is_none());
    }

    #[test]
    fn a_security_refusal_passed_on_keeps_its_challenge() {
        let refusal = crate::security::AuthError::unauthorized("Bearer", "not authenticated");
        let response = Error::from(refusal).into_response();
        assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert!(response.extensions().get::<Unhandled>().is_none());
    }

    #[test]
    fn an_api_error_is_sent_as_it_says() {
        let response = Error::from(ApiError::not_found("no item 3")).into_response();
        assert_eq!(response.status(), http::StatusCode::NOT_FOUND);
        assert!(response.extensions().get::<Unhandled>().is_none());
    }
}
