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

use subtle::ConstantTimeEq;

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
