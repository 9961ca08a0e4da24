//! What the API reads and writes: the models of its bodies and query strings.

use oxapi::prelude::*;
use oxapi::types::{Timestamp, Uuid};

/// A user of the service.
#[model]
pub struct User {
    /// The user's id.
    pub id: Uuid,
    /// The name the user signs in with.
    pub username: String,
    /// When the user signed up.
    pub created_at: Timestamp,
}

/// A sign-up.
#[model]
pub struct NewUser {
    /// The name to sign in with: 3 to 32 characters, unique.
    #[validate(length(min = 3, max = 32))]
    pub username: String,
    /// The password: 8 to 128 characters. Only its Argon2id hash is kept.
    #[validate(length(min = 8, max = 128))]
    pub password: String,
}

/// An access token, as the OAuth2 password flow returns it (RFC 6749, section 5.1).
#[model]
pub struct Token {
    /// The signed token (a JWT) to send as `Authorization: Bearer TOKEN`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// How many seconds the token is valid for.
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// One entry of a user's audit log.
#[model]
pub struct AuditEntry {
    /// The entry's id.
    pub id: Uuid,
    /// What was done: `list.created`, `item.updated`, ….
    pub action: String,
    /// The list or item it was done to.
    pub target_id: Uuid,
    /// When.
    pub at: Timestamp,
}

/// A todo list.
#[model]
pub struct TodoList {
    /// The list's id.
    pub id: Uuid,
    /// What the list is for.
    pub title: String,
    /// How many times the list was changed since it was made; its `ETag` says the same.
    pub version: i64,
    /// When the list was made.
    pub created_at: Timestamp,
    /// When the list last changed.
    pub updated_at: Timestamp,
}

/// A new todo list.
#[model]
pub struct NewList {
    /// What the list is for: unique among the owner's lists.
    #[validate(length(min = 1, max = 200))]
    pub title: String,
}

/// Changes to a todo list: each field present is set.
#[model]
pub struct ListPatch {
    /// A new title: unique among the owner's lists.
    #[validate(length(min = 1, max = 200))]
    pub title: Option<String>,
}

/// One thing to do, on a list.
#[model]
pub struct Item {
    /// The item's id.
    pub id: Uuid,
    /// The list it is on.
    pub list_id: Uuid,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// How many times the item was changed since it was made; its `ETag` says the same.
    pub version: i64,
    /// When the item was made.
    pub created_at: Timestamp,
    /// When the item last changed.
    pub updated_at: Timestamp,
}

/// A new item.
#[model]
pub struct NewItem {
    /// What to do.
    #[validate(length(min = 1, max = 500))]
    pub title: String,
    /// Whether it is done already.
    #[serde(default)]
    pub done: bool,
}

/// Changes to an item: each field present is set.
#[model]
pub struct ItemPatch {
    /// What to do.
    #[validate(length(min = 1, max = 500))]
    pub title: Option<String>,
    /// Whether it is done.
    pub done: Option<bool>,
}

/// The order of a page: by creation (`created`, oldest first) or by title, `-` for the
/// reverse.
#[model]
#[derive(Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first.
    #[default]
    #[serde(rename = "created")]
    Created,
    /// Newest first.
    #[serde(rename = "-created")]
    CreatedDesc,
    /// By title, A to Z; the same titles oldest first.
    #[serde(rename = "title")]
    Title,
    /// By title, Z to A; the same titles newest first.
    #[serde(rename = "-title")]
    TitleDesc,
}

/// One page of todo lists.
#[model]
pub struct ListPage {
    /// The lists on this page.
    pub items: Vec<TodoList>,
    /// How many lists there are, on every page.
    pub total: i64,
}

/// One page of items.
#[model]
pub struct ItemPage {
    /// The items on this page.
    pub items: Vec<Item>,
    /// How many items match, on every page.
    pub total: i64,
}

/// Which part of a collection a page shows, in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many rows.
    pub limit: u32,
    /// After skipping this many.
    pub offset: u32,
    /// In this order.
    pub sort: Sort,
}
