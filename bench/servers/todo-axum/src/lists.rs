//! `POST /v1/lists`.

use axum::extract::State;
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderName, StatusCode};
use sqlx::PgPool;

use crate::auth::Writer;
use crate::error::ApiError;
use crate::extract::Json;
use crate::items::etag;
use crate::model::{NewList, TodoList};
use crate::sql;

/// Make a todo list: 201 with its `ETag` and `Location` (409 if the owner has its title).
pub async fn create_list(
    State(pool): State<PgPool>,
    user: Writer,
    Json(new): Json<NewList>,
) -> Result<(StatusCode, [(HeaderName, String); 2], Json<TodoList>), ApiError> {
    new.validate()?;
    let list: TodoList = sqlx::query_as(sql::INSERT_LIST)
        .bind(uuid::Uuid::now_v7())
        .bind(user.id)
        .bind(new.title)
        .bind(sql::now())
        .fetch_one(&pool)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                ApiError::conflict("the owner has a list with this title")
            }
            _ => ApiError::from(error),
        })?;
    let headers = [
        (ETAG, etag(list.version)),
        (LOCATION, format!("/v1/lists/{}", list.id)),
    ];
    Ok((StatusCode::CREATED, headers, Json(list)))
}
