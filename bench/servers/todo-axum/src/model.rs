//! The bodies the API reads and writes, with oxapi's todo's field names and rules.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;

/// Fails with a 422 unless `value` has `min..=max` characters.
pub fn check_length(location: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    if (min..=max).contains(&length) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            location,
            "length",
            format!("must be {min} to {max} characters long, not {length}"),
        ))
    }
}

/// A user of the service.
#[derive(Debug, Serialize, FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A user with their password's hash, as `users` holds them.
#[derive(Debug, FromRow)]
pub struct UserRow {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
}

/// A sign-up.
#[derive(Debug, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub password: String,
}

impl NewUser {
    pub fn validate(&self) -> Result<(), ApiError> {
        check_length("body.username", &self.username, 3, 32)?;
        check_length("body.password", &self.password, 8, 128)
    }
}

/// The OAuth2 password flow's form (RFC 6749, section 4.3.2).
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub scope: String,
}

/// An access token, as the OAuth2 password flow returns it.
#[derive(Debug, Serialize)]
pub struct Token {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
}

/// A todo list.
#[derive(Debug, Serialize, FromRow)]
pub struct TodoList {
    pub id: Uuid,
    pub title: String,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A new todo list.
#[derive(Debug, Deserialize)]
pub struct NewList {
    pub title: String,
}

impl NewList {
    pub fn validate(&self) -> Result<(), ApiError> {
        check_length("body.title", &self.title, 1, 200)
    }
}

/// One thing to do, on a list.
#[derive(Debug, Serialize, FromRow)]
pub struct Item {
    pub id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub done: bool,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A new item.
#[derive(Debug, Deserialize)]
pub struct NewItem {
    pub title: String,
    #[serde(default)]
    pub done: bool,
}

impl NewItem {
    pub fn validate(&self) -> Result<(), ApiError> {
        check_length("body.title", &self.title, 1, 500)
    }
}

/// Changes to an item: each field present is set.
#[derive(Debug, Deserialize)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub done: Option<bool>,
}

impl ItemPatch {
    pub fn validate(&self) -> Result<(), ApiError> {
        match &self.title {
            Some(title) => check_length("body.title", title, 1, 500),
            None => Ok(()),
        }
    }
}

/// The order of a page.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum Sort {
    #[default]
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDesc,
}

fn default_limit() -> u32 {
    20
}

/// A page of items: its query string.
#[derive(Debug, Deserialize)]
pub struct ItemQuery {
    pub done: Option<bool>,
    #[serde(default = "default_limit")]
    pub limit: u32,
    #[serde(default)]
    pub offset: u32,
    #[serde(default)]
    pub sort: Sort,
}

impl ItemQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        if !(1..=100).contains(&self.limit) {
            return Err(ApiError::invalid(
                "query.limit",
                "range",
                "must be 1 to 100",
            ));
        }
        if self.offset > 1_000_000 {
            return Err(ApiError::invalid(
                "query.offset",
                "range",
                "must be at most 1000000",
            ));
        }
        Ok(())
    }
}

impl Sort {
    fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::CreatedDesc => "-created",
            Self::Title => "title",
            Self::TitleDesc => "-title",
        }
    }
}

impl ItemQuery {
    /// The cursor of the page after one that ends with `last`, if the page is full: the
    /// order, the last row's id and title, URL-safe base64 (as oxapi's todo makes it).
    pub fn next_cursor(&self, last: Option<&Item>, count: usize) -> Option<String> {
        use base64::Engine;
        let last = last.filter(|_| count == self.limit as usize)?;
        let plain = format!("{}\n{}\n{}", self.sort.name(), last.id.simple(), last.title);
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain))
    }
}

/// One page of items.
#[derive(Debug, Serialize)]
pub struct ItemPage {
    pub items: Vec<Item>,
    pub total: i64,
    pub next_cursor: Option<String>,
}
