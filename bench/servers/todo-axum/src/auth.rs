//! Signing in: Argon2id password hashes and HS256 JWT access tokens with scopes, checked on
//! every request by the [`Reader`] and [`Writer`] extractors (401 without a valid token, 403
//! without the scope), as oxapi's todo does.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::model::Token;

pub const READ: &str = "lists:read";
pub const WRITE: &str = "lists:write";
/// Every scope there is.
pub const SCOPES: [&str; 2] = [READ, WRITE];
const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// What a token says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    scope: String,
    iat: u64,
    exp: u64,
}

/// The keys that sign and check tokens.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A token for `user` carrying `scopes`.
    pub fn issue(&self, user: Uuid, scopes: &[&str]) -> Result<Token, ApiError> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let claims = Claims {
            sub: user,
            scope: scopes.join(" "),
            iat,
            exp: iat + TOKEN_LIFETIME.as_secs(),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(ApiError::internal)?;
        Ok(Token {
            access_token,
            token_type: "bearer",
            expires_in: TOKEN_LIFETIME.as_secs(),
            scope: claims.scope,
        })
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::unauthorized("the token is invalid or expired"))
    }
}

/// The scope a [`User`] needs.
pub trait Scope {
    const NAME: &'static str;
}

pub struct ReadScope;
impl Scope for ReadScope {
    const NAME: &'static str = READ;
}

pub struct WriteScope;
impl Scope for WriteScope {
    const NAME: &'static str = WRITE;
}

/// The signed-in user a request acts for, from a valid bearer token granting `S`.
pub struct User<S> {
    pub id: Uuid,
    scope: PhantomData<fn() -> S>,
}

pub type Reader = User<ReadScope>;
pub type Writer = User<WriteScope>;

impl<S: Scope, St> FromRequestParts<St> for User<S>
where
    Arc<Keys>: FromRef<St>,
    St: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(ApiError::no_token)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(ApiError::no_token)?;
        let claims = Arc::<Keys>::from_ref(state).verify(token)?;
        if !claims.scope.split(' ').any(|granted| granted == S::NAME) {
            return Err(ApiError::insufficient_scope(S::NAME));
        }
        Ok(Self {
            id: claims.sub,
            scope: PhantomData,
        })
    }
}

/// `password`'s Argon2id hash with a fresh salt. CPU work: run it with `spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` hashes to `hash`; with no hash (no such user) a stand-in is checked,
/// so that an unknown name takes as long as a wrong password. CPU work: `spawn_blocking`.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static STAND_IN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stand_in = STAND_IN.get_or_init(|| {
        Argon2::default()
            .hash_password_with_salt(b"not anyone's password", b"stand-in-salt-16")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    });
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(stand_in)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    hash.is_some() && matches
}
