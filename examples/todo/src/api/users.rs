//! `/v1/users` and `/v1/token`: signing up and signing in (the OAuth2 password flow).

use oxapi::prelude::*;
use oxapi::security::{OAuth2Flow, OAuth2PasswordRequestForm};
use oxapi::{BlockingPool, Router};

use crate::Store;
use crate::auth::{self, Keys, READ, Reader, Tokens, WRITE};
use crate::model::{AuditEntry, NewUser, Token, User};

/// The users' routes.
pub fn router() -> Router {
    Router::new()
        .tag("users")
        .routes(routes![sign_up, issue_token, me, my_audit_log])
}

/// Sign up: make a user who can then sign in at `/v1/token`.
///
/// The password is hashed with Argon2id on the blocking pool: tens of milliseconds of CPU
/// that would otherwise hold the event loop and every request waiting on it.
#[post("/users", status = 201, responses(409 = "The username is taken"))]
pub async fn sign_up(
    store: State<Store>,
    pool: BlockingPool,
    new: Json<NewUser>,
) -> Result<Json<User>, ApiError> {
    let NewUser { username, password } = new.0;
    let password_hash = pool
        .spawn_blocking(move || auth::hash_password(&password))
        .await??;
    Ok(Json(store.create_user(username, password_hash).await?))
}

/// Sign in: trade a username and password for an access token (OAuth2 password flow).
///
/// `scope` may ask for `lists:read` alone (a read-only token); with no scope, the token gets
/// both `lists:read` and `lists:write`. A wrong name or password is a 400 problem, as
/// RFC 6749 answers `invalid_grant`; an unknown name takes as long as a wrong password.
#[post(
    "/token",
    responses(400 = "Incorrect username or password, or a scope that does not exist")
)]
pub async fn issue_token(
    store: State<Store>,
    keys: State<Keys>,
    pool: BlockingPool,
    form: Form<OAuth2PasswordRequestForm>,
) -> Result<Json<Token>, ApiError> {
    let scopes = granted_scopes(&form)?;
    let found = store.find_user(form.username.clone()).await?;
    let hash = found.as_ref().map(|found| found.password_hash.clone());
    let password = form.password.clone();
    let verified = pool
        .spawn_blocking(move || auth::verify_password(&password, hash.as_deref()))
        .await?;
    match found {
        Some(found) if verified => Ok(Json(keys.issue(found.user.id, &scopes)?)),
        _ => Err(ApiError::bad_request("incorrect username or password")),
    }
}

/// The scopes a token request asks for: each one known, and all of them if it names none.
fn granted_scopes(form: &OAuth2PasswordRequestForm) -> Result<Vec<&'static str>, ApiError> {
    let mut granted = Vec::new();
    for asked in form.scopes() {
        let known = Tokens::SCOPES
            .iter()
            .map(|(name, _)| *name)
            .find(|known| *known == asked)
            .ok_or_else(|| ApiError::bad_request(format!("no such scope: `{asked}`")))?;
        if !granted.contains(&known) {
            granted.push(known);
        }
    }
    if granted.is_empty() {
        granted = vec![READ, WRITE];
    }
    Ok(granted)
}

/// Who the token's user is.
#[get("/users/me", responses(404 = "The user was deleted"))]
pub async fn me(store: State<Store>, user: Reader) -> Result<Json<User>, ApiError> {
    Ok(Json(store.get_user(user.owner().0).await?))
}

/// What the token's user did, newest first: each write is recorded after its response, by a
/// background task.
#[get("/users/me/audit")]
pub async fn my_audit_log(
    store: State<Store>,
    user: Reader,
    /// How many entries.
    #[query(default = 50, range(min = 1, max = 500))]
    limit: u32,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(store.audit_log(user.owner(), limit).await?))
}
