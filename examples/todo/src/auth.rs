//! Signing in: passwords kept as Argon2id hashes, access tokens as signed JWTs (HS256), and
//! the extractor that reads a request's token.
//!
//! Tokens carry scopes, as in FastAPI's "OAuth2 scopes" tutorial: [`READ`] lets a client read
//! the user's lists and items, [`WRITE`] also change them. A route taking a [`Reader`] needs
//! a valid token with `lists:read` (else 401), one taking a [`Writer`] `lists:write` (else
//! 403 with `error="insufficient_scope"`).
//!
//! Hashing and checking a password is CPU work on purpose (tens of milliseconds): the
//! handlers run it on the blocking pool with [`BlockingPool`](oxapi::BlockingPool), never on
//! the event loop.

use std::marker::PhantomData;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use oxapi::http::request::Parts;
use oxapi::security::{AuthError, OAuth2Flow, OAuth2PasswordBearer, Scopes};
use oxapi::types::Uuid;
use oxapi::{ApiError, FromRequestParts, OperationDoc, RequestContext};
use serde::{Deserialize, Serialize};

use crate::model::Token;
use crate::repo::Owner;

/// The scope that reads a user's lists and items.
pub const READ: &str = "lists:read";
/// The scope that makes, changes and deletes them.
pub const WRITE: &str = "lists:write";

/// How long an access token is valid when the configuration does not say.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The service's OAuth2 password flow: tokens from `POST /v1/token`.
#[derive(Debug)]
pub struct Tokens;

impl OAuth2Flow for Tokens {
    const TOKEN_URL: &'static str = "/v1/token";
    const SCOPES: &'static [(&'static str, &'static str)] = &[
        (READ, "Read your lists and their items."),
        (WRITE, "Make, change and delete your lists and their items."),
    ];
}

/// Needs [`READ`].
#[derive(Debug)]
pub struct ReadScope;

impl Scopes for ReadScope {
    const SCOPES: &'static [&'static str] = &[READ];
}

/// Needs [`WRITE`].
#[derive(Debug)]
pub struct WriteScope;

impl Scopes for WriteScope {
    const SCOPES: &'static [&'static str] = &[WRITE];
}

/// How tokens are signed and for how long they are valid.
#[derive(Clone)]
pub struct AuthConfig {
    /// The HMAC key tokens are signed with: every instance of the service must share it.
    pub secret: Vec<u8>,
    /// How long a token is valid.
    pub token_lifetime: Duration,
}

impl AuthConfig {
    /// Tokens signed with `secret`, valid for [`DEFAULT_TOKEN_LIFETIME`].
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }

    /// Tokens signed with a key made up now: they end with the process, and another instance
    /// refuses them. For tests and a first run; a deployment sets a secret.
    pub fn ephemeral() -> Self {
        // Two v4 UUIDs: 244 bits from the operating system's random source.
        Self::new(format!(
            "{}{}",
            Uuid::new_v4().simple(),
            Uuid::new_v4().simple()
        ))
    }
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("AuthConfig")
            .field("secret", &"…")
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
}

/// The keys that sign and check tokens: app state.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl Keys {
    /// The keys of `config`.
    pub fn new(config: &AuthConfig) -> Self {
        Self {
            encoding: EncodingKey::from_secret(&config.secret),
            decoding: DecodingKey::from_secret(&config.secret),
            lifetime: config.token_lifetime,
        }
    }

    /// A token for `user` carrying `scopes`.
    ///
    /// # Errors
    ///
    /// A 500 if the token cannot be signed (it always can with an HMAC key).
    pub fn issue(&self, user: Uuid, scopes: &[&str]) -> Result<Token, ApiError> {
        let issued_at = unix_now();
        let claims = Claims {
            sub: user,
            scope: scopes.join(" "),
            iat: issued_at,
            exp: issued_at + self.lifetime.as_secs(),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(ApiError::internal)?;
        Ok(Token {
            access_token,
            token_type: "bearer".to_owned(),
            expires_in: self.lifetime.as_secs(),
            scope: claims.scope,
        })
    }

    /// What a valid token says: its signature checks, it has not expired.
    fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::invalid_token("the token is invalid or expired"))
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// What a token says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user.
    sub: Uuid,
    /// The scopes granted, space-separated (RFC 8693's `scope` claim).
    scope: String,
    /// When it was issued, in seconds since the epoch.
    iat: u64,
    /// When it expires.
    exp: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The signed-in user a request acts for, from a valid token granting every scope of `S`.
///
/// Documented as the `Tokens` OAuth2 scheme with `S`'s scopes; a missing, forged or expired
/// token is a 401 problem, a token without the scope a 403.
#[derive(Debug)]
pub struct User<S = ReadScope> {
    owner: Owner,
    scope: PhantomData<fn() -> S>,
}

/// A user whose token may read.
pub type Reader = User<ReadScope>;
/// A user whose token may write.
pub type Writer = User<WriteScope>;

impl<S> User<S> {
    /// Whom the request acts for.
    pub fn owner(&self) -> Owner {
        self.owner
    }
}

impl<S: Scopes> FromRequestParts for User<S> {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        let bearer = OAuth2PasswordBearer::<Tokens, S>::from_request_parts(parts, ctx).await?;
        let keys = ctx
            .state::<Keys>()
            .ok_or_else(|| AuthError::invalid_token("the service has no keys"))?;
        let claims = keys.verify(bearer.token())?;
        bearer.require_scopes(claims.scope.split(' '))?;
        Ok(Self {
            owner: Owner(claims.sub),
            scope: PhantomData,
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        OAuth2PasswordBearer::<Tokens, S>::describe(op);
        op.require_state::<Keys>();
    }
}

/// `password`'s Argon2id hash, as a PHC string with a fresh random salt. CPU work: call it on
/// the blocking pool.
///
/// # Errors
///
/// A 500 if the operating system gives no randomness for the salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::internal(error.to_string()))
}

/// Whether `password` hashes to `hash`. With no hash (no such user), a stand-in is checked
/// instead, so that an unknown name costs the same time as a wrong password and the answer's
/// timing does not tell which names exist. CPU work: call it on the blocking pool.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let stand_in = stand_in_hash();
    let known = hash.is_some();
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(stand_in)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    known && matches
}

/// A hash made once with the default parameters, checked against when a user is unknown.
fn stand_in_hash() -> &'static str {
    static STAND_IN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STAND_IN.get_or_init(|| {
        Argon2::default()
            .hash_password_with_salt(b"not anyone's password", b"stand-in-salt-16")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}
