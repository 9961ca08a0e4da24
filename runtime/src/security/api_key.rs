//! [`ApiKey<K>`]: a key from a header, a query parameter or a cookie, named by `K`.

use std::marker::PhantomData;

use http::request::Parts;
use oxapi_openapi::OperationDoc;
use serde_json::{Value, json};

use super::challenge::AuthError;
use super::{SecurityScheme, describe_required, secrets_match};
use crate::context::RequestContext;
use crate::extract::{FromRequestParts, cookies};

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

impl ApiKeyLocation {
    /// The OpenAPI `in` value.
    fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Query => "query",
            Self::Cookie => "cookie",
        }
    }
}

/// Names an API key: a marker type, since a `const &str` cannot be a generic parameter.
///
/// ```
/// use oxapi::security::{ApiKeyLocation, ApiKeyName};
///
/// /// The key in the `x-api-key` header.
/// struct XApiKey;
///
/// impl ApiKeyName for XApiKey {
///     const NAME: &'static str = "x-api-key";
///     const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
/// }
/// ```
pub trait ApiKeyName: Send + Sync + 'static {
    /// The header (lowercase), query parameter or cookie that holds the key.
    const NAME: &'static str;
    /// Where the key is sent.
    const LOCATION: ApiKeyLocation;
    /// The security scheme's name in the document; the key's name unless set.
    const SCHEME: &'static str = Self::NAME;
    /// The scheme's description in the document.
    const DESCRIPTION: Option<&'static str> = None;
}

/// An API key, read from where `K` says, not checked: compare it with
/// [`matches`](Self::matches) (constant time) or in a dependency of your own.
///
/// Absent or empty → 401 with `WWW-Authenticate: APIKey`. Documented as an `apiKey` security
/// scheme named `K::SCHEME`, with `in` and `name` from `K`.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::security::{ApiKey, ApiKeyLocation, ApiKeyName};
///
/// struct XApiKey;
/// impl ApiKeyName for XApiKey {
///     const NAME: &'static str = "x-api-key";
///     const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
/// }
///
/// #[get("/stock")]
/// async fn stock(key: ApiKey<XApiKey>) -> Result<&'static str, ApiError> {
///     if !key.matches("let-me-in") {
///         return Err(ApiError::forbidden("unknown API key"));
///     }
///     Ok("42 books")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![stock]).test_client();
/// assert_eq!(client.get("/stock").header("x-api-key", "let-me-in").send().await.text(), "42 books");
/// assert_eq!(client.get("/stock").send().await.status(), 401);
/// assert_eq!(client.get("/stock").header("x-api-key", "guess").send().await.status(), 403);
/// # }
/// ```
pub struct ApiKey<K: ApiKeyName> {
    key: String,
    name: PhantomData<fn() -> K>,
}

impl<K: ApiKeyName> ApiKey<K> {
    /// The key as sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the key is `expected`, compared in constant time ([`secrets_match`]).
    pub fn matches(&self, expected: &str) -> bool {
        secrets_match(self.key.as_bytes(), expected.as_bytes())
    }

    fn read(parts: &Parts) -> Option<String> {
        match K::LOCATION {
            ApiKeyLocation::Header => parts
                .headers
                .get(K::NAME)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            ApiKeyLocation::Query => {
                form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                    .find(|(name, _)| name == K::NAME)
                    .map(|(_, value)| value.into_owned())
            }
            ApiKeyLocation::Cookie => cookies(&parts.headers)
                .find(|(name, _)| *name == K::NAME)
                .map(|(_, value)| value.to_owned()),
        }
        .filter(|key| !key.is_empty())
    }
}

impl<K: ApiKeyName> Clone for ApiKey<K> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            name: PhantomData,
        }
    }
}

/// Shows where the key came from, never the key.
impl<K: ApiKeyName> std::fmt::Debug for ApiKey<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("name", &K::NAME)
            .finish_non_exhaustive()
    }
}

impl<K: ApiKeyName> FromRequestParts for ApiKey<K> {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        match Self::read(parts) {
            Some(key) => Ok(Self {
                key,
                name: PhantomData,
            }),
            None => Err(AuthError::unauthorized(
                "APIKey",
                format!(
                    "not authenticated: the API key `{}` ({}) is missing",
                    K::NAME,
                    K::LOCATION.as_str()
                ),
            )),
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        describe_required::<Self>(op);
    }
}

impl<K: ApiKeyName> SecurityScheme for ApiKey<K> {
    const NAME: &'static str = K::SCHEME;

    fn scheme() -> Value {
        let mut scheme = json!({ "type": "apiKey", "in": K::LOCATION.as_str(), "name": K::NAME });
        if let Some(description) = K::DESCRIPTION {
            scheme["description"] = description.into();
        }
        scheme
    }

    /// An empty key counts as none.
    fn is_sent(parts: &Parts) -> bool {
        Self::read(parts).is_some()
    }
}
