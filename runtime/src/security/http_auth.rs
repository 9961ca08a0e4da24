//! HTTP authentication schemes (RFC 9110, section 11): [`HttpBearer`] and [`HttpBasic`].

use std::marker::PhantomData;

use base64::Engine;
use http::header::AUTHORIZATION;
use http::request::Parts;
use oxapi_openapi::OperationDoc;
use serde_json::{Value, json};

use super::challenge::AuthError;
use super::{SecurityScheme, describe_required, secrets_match};
use crate::context::RequestContext;
use crate::extract::FromRequestParts;

/// The `Authorization` header's credentials for `scheme` (matched without regard to case):
/// `Ok(None)` if the header is absent, `Err(())` if it is not `<scheme> <credentials>`.
pub(super) fn credentials<'p>(parts: &'p Parts, scheme: &str) -> Result<Option<&'p str>, ()> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (given, credentials) = value.split_once(' ').ok_or(())?;
    if !given.eq_ignore_ascii_case(scheme) {
        return Err(());
    }
    let credentials = credentials.trim_matches(' ');
    if credentials.is_empty() {
        return Err(());
    }
    Ok(Some(credentials))
}

/// Whether `token` is an RFC 6750 `b64token`: `[A-Za-z0-9-._~+/]+ =*`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A bearer token from `Authorization: Bearer <token>` (RFC 6750), not checked: verify it in
/// a dependency of your own.
///
/// Absent → 401 with `WWW-Authenticate: Bearer`; another scheme or a token that is no
/// `b64token` → 401 with `Bearer error="invalid_request"`. Documented as the security
/// scheme `HTTPBearer` (`type: http, scheme: bearer`).
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::security::HttpBearer;
///
/// #[get("/me")]
/// async fn me(bearer: HttpBearer) -> String {
///     format!("token {}", bearer.token())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![me]).test_client();
/// let ok = client.get("/me").header("authorization", "Bearer abc").send().await;
/// assert_eq!(ok.text(), "token abc");
/// let missing = client.get("/me").send().await;
/// assert_eq!(missing.status(), 401);
/// assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBearer {
    token: String,
}

impl HttpBearer {
    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Reads a bearer token, for the extractors built on it.
    pub(super) fn read(parts: &Parts) -> Result<String, AuthError> {
        match credentials(parts, "Bearer") {
            Ok(Some(token)) if is_b64token(token) => Ok(token.to_owned()),
            Ok(None) => Err(AuthError::unauthorized("Bearer", "not authenticated")),
            Ok(Some(_)) | Err(()) => Err(AuthError::unauthorized(
                r#"Bearer error="invalid_request""#,
                "the Authorization header is not `Bearer <token>`",
            )),
        }
    }
}

impl FromRequestParts for HttpBearer {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        Self::read(parts).map(|token| Self { token })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        describe_required::<Self>(op);
    }
}

impl SecurityScheme for HttpBearer {
    const NAME: &'static str = "HTTPBearer";

    fn scheme() -> Value {
        json!({ "type": "http", "scheme": "bearer" })
    }

    fn is_sent(parts: &Parts) -> bool {
        parts.headers.contains_key(AUTHORIZATION)
    }
}

/// The realm an [`HttpBasic`] challenge names: `WWW-Authenticate: Basic realm="<REALM>"`.
pub trait Realm: Send + Sync + 'static {
    /// The realm: a short name of what the credentials protect.
    const REALM: &'static str;
}

/// The default realm, `api`.
#[derive(Debug, Clone, Copy)]
pub struct ApiRealm;

impl Realm for ApiRealm {
    const REALM: &'static str = "api";
}

/// A user name and password from `Authorization: Basic <base64(user:password)>` (RFC 7617),
/// not checked: compare them with [`verify`](Self::verify) or in a dependency of your own.
///
/// Absent or malformed (not base64, not UTF-8, no `:`) → 401 with `WWW-Authenticate: Basic
/// realm="<R::REALM>"`, which makes a browser ask for credentials. Documented as the security
/// scheme `HTTPBasic` (`type: http, scheme: basic`).
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::security::HttpBasic;
///
/// #[get("/admin")]
/// async fn admin(credentials: HttpBasic) -> Result<String, ApiError> {
///     if !credentials.verify("admin", "correct horse") {
///         return Err(ApiError::unauthorized("wrong user name or password"));
///     }
///     Ok(format!("hello {}", credentials.username()))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![admin]).test_client();
/// // "admin:correct horse" in base64.
/// let ok = client.get("/admin").header("authorization", "Basic YWRtaW46Y29ycmVjdCBob3JzZQ==").send().await;
/// assert_eq!(ok.text(), "hello admin");
/// let missing = client.get("/admin").send().await;
/// assert_eq!(missing.header("www-authenticate"), Some(r#"Basic realm="api""#));
/// # }
/// ```
pub struct HttpBasic<R: Realm = ApiRealm> {
    username: String,
    password: String,
    realm: PhantomData<fn() -> R>,
}

impl<R: Realm> HttpBasic<R> {
    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Whether the credentials are `username` and `password`, both compared in constant time
    /// ([`secrets_match`]), and both always compared, so the time taken does not tell
    /// whether the user name was right.
    pub fn verify(&self, username: &str, password: &str) -> bool {
        let user_ok = secrets_match(self.username.as_bytes(), username.as_bytes());
        let password_ok = secrets_match(self.password.as_bytes(), password.as_bytes());
        user_ok & password_ok
    }

    /// The 401 this extractor answers with, for code that rejects the credentials it read.
    pub fn challenge(detail: &'static str) -> AuthError {
        AuthError::unauthorized(format!(r#"Basic realm="{}""#, R::REALM), detail)
    }

    fn decode(credentials: &str) -> Option<(String, String)> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (username, password) = text.split_once(':')?;
        Some((username.to_owned(), password.to_owned()))
    }
}

impl<R: Realm> Clone for HttpBasic<R> {
    fn clone(&self) -> Self {
        Self {
            username: self.username.clone(),
            password: self.password.clone(),
            realm: PhantomData,
        }
    }
}

/// Shows the user name only: a password never goes to a log.
impl<R: Realm> std::fmt::Debug for HttpBasic<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBasic")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl<R: Realm> FromRequestParts for HttpBasic<R> {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        match credentials(parts, "Basic") {
            Ok(Some(credentials)) => match Self::decode(credentials) {
                Some((username, password)) => Ok(Self {
                    username,
                    password,
                    realm: PhantomData,
                }),
                None => Err(Self::challenge(
                    "the Basic credentials are not base64 of `user:password`",
                )),
            },
            Ok(None) => Err(Self::challenge("not authenticated")),
            Err(()) => Err(Self::challenge(
                "the Authorization header is not `Basic <credentials>`",
            )),
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        describe_required::<Self>(op);
    }
}

impl<R: Realm> SecurityScheme for HttpBasic<R> {
    const NAME: &'static str = "HTTPBasic";

    fn scheme() -> Value {
        json!({ "type": "http", "scheme": "basic" })
    }

    fn is_sent(parts: &Parts) -> bool {
        parts.headers.contains_key(AUTHORIZATION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64tokens() {
        for good in ["abc", "a.b-c_d~e+f/g", "abc==", "A1"] {
            assert!(is_b64token(good), "{good}");
        }
        for bad in ["", "==", "a b", "a,b", "tök", "a=b"] {
            assert!(!is_b64token(bad), "{bad}");
        }
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        assert_eq!(
            HttpBasic::<ApiRealm>::decode("dTpwOnE="),
            Some(("u".into(), "p:q".into()))
        );
        assert_eq!(HttpBasic::<ApiRealm>::decode("bm9jb2xvbg=="), None);
        assert_eq!(HttpBasic::<ApiRealm>::decode("!!"), None);
    }
}
