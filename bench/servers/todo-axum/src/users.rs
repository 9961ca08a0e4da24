//! `POST /v1/users` (sign up) and `POST /v1/token` (the OAuth2 password flow).

use axum::extract::State;
use axum::http::StatusCode;
use sqlx::PgPool;
use std::sync::Arc;

use crate::auth::{self, Keys, SCOPES};
use crate::error::ApiError;
use crate::extract::{Form, Json};
use crate::model::{NewUser, Token, TokenForm, User, UserRow};
use crate::sql;

/// Sign up; the password is hashed with Argon2id on tokio's blocking pool.
pub async fn sign_up(
    State(pool): State<PgPool>,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    new.validate()?;
    let NewUser { username, password } = new;
    let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)??;
    let row: UserRow = sqlx::query_as(sql::INSERT_USER)
        .bind(uuid::Uuid::now_v7())
        .bind(username)
        .bind(password_hash)
        .bind(sql::now())
        .fetch_one(&pool)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                ApiError::conflict("the username is taken")
            }
            _ => ApiError::from(error),
        })?;
    Ok((StatusCode::CREATED, Json(row.user)))
}

/// Sign in: a username and password for an access token (400 if either is wrong).
pub async fn issue_token(
    State(pool): State<PgPool>,
    State(keys): State<Arc<Keys>>,
    Form(form): Form<TokenForm>,
) -> Result<Json<Token>, ApiError> {
    if form
        .grant_type
        .as_deref()
        .is_some_and(|grant| grant != "password")
    {
        return Err(ApiError::bad_request("grant_type must be `password`"));
    }
    let mut scopes = Vec::new();
    for asked in form.scope.split_whitespace() {
        let known = SCOPES
            .into_iter()
            .find(|known| *known == asked)
            .ok_or_else(|| ApiError::bad_request(format!("no such scope: `{asked}`")))?;
        if !scopes.contains(&known) {
            scopes.push(known);
        }
    }
    if scopes.is_empty() {
        scopes = SCOPES.to_vec();
    }
    let found: Option<UserRow> = sqlx::query_as(sql::USER_BY_NAME)
        .bind(&form.username)
        .fetch_optional(&pool)
        .await?;
    let hash = found.as_ref().map(|row| row.password_hash.clone());
    let password = form.password;
    let verified =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, hash.as_deref()))
            .await
            .map_err(ApiError::internal)?;
    match found {
        Some(row) if verified => Ok(Json(keys.issue(row.user.id, &scopes)?)),
        _ => Err(ApiError::bad_request("incorrect username or password")),
    }
}
