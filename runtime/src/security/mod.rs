//! Security schemes, FastAPI's `fastapi.security`: extractors that read credentials, reject a
//! request without them with a 401 problem and the right `WWW-Authenticate`, and document
//! themselves as `components.securitySchemes` and the operation's `security`, so the docs
//! page's Authorize button works.
//!
//! | extractor | reads | scheme in the document |
//! |---|---|---|
//! | [`HttpBearer`] | `Authorization: Bearer <token>` | `http`, `bearer` |
//! | [`HttpBasic`] | `Authorization: Basic <base64>` | `http`, `basic` |
//! | [`ApiKey<K>`](ApiKey) | a header, query parameter or cookie named by `K` | `apiKey` |
//! | [`OAuth2PasswordBearer<F, S>`](OAuth2PasswordBearer) | a bearer token from `F`'s `tokenUrl`, requiring the scopes `S` | `oauth2`, password flow |
//!
//! `Option<T>` of each (see [`SecurityScheme`]) reads credentials only if they are sent.
//!
//! The extractors only read credentials; checking them (a password, a token's signature, a
//! token's scopes) is the application's, in a dependency of its own that wraps one of them.
//! Compare secrets with [`secrets_match`], which takes the same time wherever they differ.
//! oxapi has no JWT library: decode tokens with the one you trust (`jsonwebtoken`, ...).

mod api_key;
mod challenge;
mod http_auth;
mod oauth2;

pub use api_key::{ApiKey, ApiKeyLocation, ApiKeyName};
pub use challenge::AuthError;
pub use http_auth::{ApiRealm, HttpBasic, HttpBearer, Realm};
pub use oauth2::{NoScopes, OAuth2Flow, OAuth2PasswordBearer, OAuth2PasswordRequestForm, Scopes};

use http::request::Parts;
use oxapi_openapi::{FrameworkError, OperationDoc};
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::context::RequestContext;
use crate::extract::FromRequestParts;

/// A security extractor: the scheme it documents, and whether a request sent its credentials.
///
/// `Option<T>` of one reads the credentials if they are sent and is `None` if not (FastAPI's
/// `auto_error=False`); credentials sent but malformed are still a 401. The operation's
/// `security` then lists a second alternative: without the scheme, and with it
/// (`[{}, {"HTTPBearer": []}]`).
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::security::HttpBearer;
///
/// #[get("/greeting")]
/// async fn greeting(bearer: Option<HttpBearer>) -> &'static str {
///     if bearer.is_some() { "welcome back" } else { "hello, stranger" }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![greeting]).test_client();
/// assert_eq!(client.get("/greeting").send().await.text(), "hello, stranger");
/// let known = client.get("/greeting").header("authorization", "Bearer t").send().await;
/// assert_eq!(known.text(), "welcome back");
/// let malformed = client.get("/greeting").header("authorization", "Bearer").send().await;
/// assert_eq!(malformed.status(), 401);
/// # }
/// ```
pub trait SecurityScheme: FromRequestParts<Rejection = AuthError> {
    /// The scheme's name under `components.securitySchemes`.
    const NAME: &'static str;
    /// The scopes the extractor requires (OAuth2 only).
    const SCOPES: &'static [&'static str] = &[];

    /// The [Security Scheme Object](https://spec.openapis.org/oas/v3.1.1.html#security-scheme-object).
    fn scheme() -> Value;

    /// Whether the request carries credentials for this scheme, well-formed or not.
    fn is_sent(parts: &Parts) -> bool;
}

/// Documents `T` as required by the operation, with the errors it answers.
fn describe_required<T: SecurityScheme>(op: &mut OperationDoc<'_>) {
    op.security(T::NAME, T::scheme(), T::SCOPES);
    op.error(FrameworkError::Unauthorized);
    if !T::SCOPES.is_empty() {
        op.error(FrameworkError::Forbidden);
    }
}

impl<T: SecurityScheme> FromRequestParts for Option<T> {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        if T::is_sent(parts) {
            T::from_request_parts(parts, ctx).await.map(Some)
        } else {
            Ok(None)
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.optional_security(T::NAME, T::scheme(), T::SCOPES);
        op.error(FrameworkError::Unauthorized);
    }
}

/// Whether two secrets are equal, compared in constant time: how long it takes does not tell
/// where they first differ, so an attacker cannot guess a key byte by byte from response
/// times. Only their lengths may show.
///
/// ```
/// assert!(oxapi::security::secrets_match(b"s3cret", b"s3cret"));
/// assert!(!oxapi::security::secrets_match(b"s3cret", b"s3creT"));
/// ```
pub fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    given.ct_eq(expected).into()
}
