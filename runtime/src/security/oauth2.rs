//! OAuth2's password flow: [`OAuth2PasswordBearer`], its scopes, and the form a client posts
//! to the token URL, [`OAuth2PasswordRequestForm`].

use std::marker::PhantomData;

use http::request::Parts;
use oxapi_openapi::OperationDoc;
use serde_json::{Map, Value, json};

use super::challenge::AuthError;
use super::{HttpBearer, SecurityScheme, describe_required};
use crate::context::RequestContext;
use crate::extract::FromRequestParts;
use crate::problem::FieldError;
use crate::validate::{Validate, ValidationErrors};

/// An OAuth2 password flow: where clients get tokens, and the scopes tokens may carry.
///
/// ```
/// use oxapi::security::OAuth2Flow;
///
/// /// Tokens from `POST /token`.
/// struct Tokens;
///
/// impl OAuth2Flow for Tokens {
///     const TOKEN_URL: &'static str = "/token";
///     const SCOPES: &'static [(&'static str, &'static str)] =
///         &[("items:read", "Read items."), ("items:write", "Change items.")];
/// }
/// ```
pub trait OAuth2Flow: Send + Sync + 'static {
    /// The URL a client posts an [`OAuth2PasswordRequestForm`] to, relative to the server.
    const TOKEN_URL: &'static str;
    /// Every scope a token may carry, with its description, for the document.
    const SCOPES: &'static [(&'static str, &'static str)] = &[];
    /// The security scheme's name in the document.
    const SCHEME: &'static str = "OAuth2PasswordBearer";
}

/// Scopes an operation requires: a marker type (FastAPI's `Security(.., scopes=[..])`).
///
/// ```
/// use oxapi::security::Scopes;
///
/// /// Needs `items:write`.
/// struct WriteItems;
///
/// impl Scopes for WriteItems {
///     const SCOPES: &'static [&'static str] = &["items:write"];
/// }
/// ```
pub trait Scopes: Send + Sync + 'static {
    /// The scopes, every one required.
    const SCOPES: &'static [&'static str];
}

/// No scope required.
#[derive(Debug, Clone, Copy)]
pub struct NoScopes;

impl Scopes for NoScopes {
    const SCOPES: &'static [&'static str] = &[];
}

/// A bearer token from the OAuth2 password flow `F`, for an operation that requires the
/// scopes `S`. The token is not checked: decode it in a dependency of your own, then call
/// [`require_scopes`](Self::require_scopes) with the scopes it grants (FastAPI's
/// `SecurityScopes`).
///
/// Absent or malformed → 401 as for [`HttpBearer`]; a token without a required scope → 403
/// with `WWW-Authenticate: Bearer error="insufficient_scope", scope=".."`. Documented as the
/// `oauth2` scheme `F::SCHEME` with a password flow at `F::TOKEN_URL`, and the operation's
/// `security` lists `S::SCOPES`, also when the extractor sits in a router's or the app's
/// dependency: the docs page's Authorize button then asks for a user name and password.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::security::{OAuth2Flow, OAuth2PasswordBearer, Scopes};
///
/// struct Tokens;
/// impl OAuth2Flow for Tokens {
///     const TOKEN_URL: &'static str = "/token";
///     const SCOPES: &'static [(&'static str, &'static str)] = &[("items:write", "Change items.")];
/// }
/// struct WriteItems;
/// impl Scopes for WriteItems {
///     const SCOPES: &'static [&'static str] = &["items:write"];
/// }
///
/// #[delete("/items/{id}")]
/// async fn delete_item(id: u64, token: OAuth2PasswordBearer<Tokens, WriteItems>) -> Result<String, oxapi::security::AuthError> {
///     // A real service decodes the token (a JWT, a database row) to find its scopes.
///     let granted: &[&str] = match token.token() {
///         "writer-token" => &["items:read", "items:write"],
///         _ => &["items:read"],
///     };
///     token.require_scopes(granted.iter().copied())?;
///     Ok(format!("deleted {id}"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![delete_item]).test_client();
/// let ok = client.delete("/items/1").header("authorization", "Bearer writer-token").send().await;
/// assert_eq!(ok.text(), "deleted 1");
/// let weak = client.delete("/items/1").header("authorization", "Bearer reader-token").send().await;
/// assert_eq!(weak.status(), 403);
/// # }
/// ```
pub struct OAuth2PasswordBearer<F: OAuth2Flow, S: Scopes = NoScopes> {
    token: String,
    flow: PhantomData<fn() -> (F, S)>,
}

impl<F: OAuth2Flow, S: Scopes> OAuth2PasswordBearer<F, S> {
    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The scopes this operation requires (`S::SCOPES`).
    pub fn required_scopes(&self) -> &'static [&'static str] {
        S::SCOPES
    }

    /// Checks that `granted` (the scopes the token carries) holds every required scope.
    ///
    /// # Errors
    ///
    /// A 403 [`AuthError`] naming the required scopes if one is missing.
    pub fn require_scopes<'s>(
        &self,
        granted: impl IntoIterator<Item = &'s str>,
    ) -> Result<(), AuthError> {
        let granted: Vec<&str> = granted.into_iter().collect();
        if S::SCOPES.iter().all(|scope| granted.contains(scope)) {
            Ok(())
        } else {
            Err(AuthError::insufficient_scope(S::SCOPES))
        }
    }
}

impl<F: OAuth2Flow, S: Scopes> Clone for OAuth2PasswordBearer<F, S> {
    fn clone(&self) -> Self {
        Self {
            token: self.token.clone(),
            flow: PhantomData,
        }
    }
}

/// Shows the required scopes, never the token.
impl<F: OAuth2Flow, S: Scopes> std::fmt::Debug for OAuth2PasswordBearer<F, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2PasswordBearer")
            .field("required_scopes", &S::SCOPES)
            .finish_non_exhaustive()
    }
}

impl<F: OAuth2Flow, S: Scopes> FromRequestParts for OAuth2PasswordBearer<F, S> {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        HttpBearer::read(parts).map(|token| Self {
            token,
            flow: PhantomData,
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        describe_required::<Self>(op);
    }
}

impl<F: OAuth2Flow, S: Scopes> SecurityScheme for OAuth2PasswordBearer<F, S> {
    const NAME: &'static str = F::SCHEME;
    const SCOPES: &'static [&'static str] = S::SCOPES;

    fn scheme() -> Value {
        let scopes: Map<String, Value> = F::SCOPES
            .iter()
            .map(|(name, description)| ((*name).to_owned(), Value::from(*description)))
            .collect();
        json!({
            "type": "oauth2",
            "flows": { "password": { "tokenUrl": F::TOKEN_URL, "scopes": scopes } },
        })
    }

    fn is_sent(parts: &Parts) -> bool {
        HttpBearer::is_sent(parts)
    }
}

/// The form a client posts to an OAuth2 password flow's token URL (RFC 6749, section 4.3.2),
/// read with `Form<OAuth2PasswordRequestForm>`: `username`, `password`, `scope` (space
/// separated), `grant_type` (`password` if given), `client_id`, `client_secret`.
///
/// A `grant_type` other than `password` is a 422 at `body.grant_type`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
pub struct OAuth2PasswordRequestForm {
    /// `password`, if sent.
    #[schemars(regex(pattern = "^password$"))]
    pub grant_type: Option<String>,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The scopes asked for, separated by spaces.
    #[serde(default)]
    pub scope: String,
    /// The client's id, if it sends one.
    pub client_id: Option<String>,
    /// The client's secret, if it sends one.
    pub client_secret: Option<String>,
}

impl OAuth2PasswordRequestForm {
    /// The scopes asked for, one by one.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|scope| !scope.is_empty())
    }
}

/// Shows the user name and scopes, never the password or the client secret.
impl std::fmt::Debug for OAuth2PasswordRequestForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2PasswordRequestForm")
            .field("username", &self.username)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Validate for OAuth2PasswordRequestForm {
    fn validate(&self) -> Result<(), ValidationErrors> {
        match self.grant_type.as_deref() {
            None | Some("password") => Ok(()),
            Some(_) => Err(ValidationErrors(vec![FieldError::new(
                "grant_type",
                "invalid",
                "must be `password`",
            )])),
        }
    }
}
