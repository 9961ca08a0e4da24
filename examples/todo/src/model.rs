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
    /// Where the next page starts: pass it as `cursor` (with the same `sort`). Absent when
    /// this page is not full, so there is no next one.
    pub next_cursor: Option<String>,
}

/// One page of items.
#[model]
pub struct ItemPage {
    /// The items on this page.
    pub items: Vec<Item>,
    /// How many items match, on every page.
    pub total: i64,
    /// Where the next page starts: pass it as `cursor` (with the same `sort` and `done`).
    /// Absent when this page is not full, so there is no next one. Unlike an offset, a cursor
    /// skips nothing and repeats nothing when items are added or deleted meanwhile.
    pub next_cursor: Option<String>,
}

impl Sort {
    /// The name a query string gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::CreatedDesc => "-created",
            Self::Title => "title",
            Self::TitleDesc => "-title",
        }
    }

    /// The order named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Created,
            Self::CreatedDesc,
            Self::Title,
            Self::TitleDesc,
        ]
        .into_iter()
        .find(|sort| sort.name() == name)
    }
}

/// Which part of a collection a page shows, in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many rows.
    pub limit: u32,
    /// After skipping this many.
    pub offset: u32,
    /// In this order.
    pub sort: Sort,
    /// Only the rows after this one, in `sort`'s order (keyset pagination).
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The cursor of the page after this one, whose last row (of `count`) has `last`'s id and
    /// title: none if the page is not full, so there is no next one.
    pub fn next_cursor(&self, last: Option<(Uuid, &String)>, count: usize) -> Option<String> {
        let (id, title) = last.filter(|_| count == self.limit as usize)?;
        Some(
            Cursor {
                sort: self.sort,
                id,
                title: title.clone(),
            }
            .encode(),
        )
    }
}

/// The last row of a page, as a cursor says: where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The order the page was in.
    pub sort: Sort,
    /// The row's id.
    pub id: Uuid,
    /// The row's title (the key of the title orders).
    pub title: String,
}

impl Cursor {
    /// The opaque text a client passes back: URL-safe base64 of the order, the id and the
    /// title.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let plain = format!("{}\n{}\n{}", self.sort.name(), self.id.simple(), self.title);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain)
    }

    /// The cursor `text` encodes, if it is one [`encode`](Self::encode) made.
    pub fn decode(text: &str) -> Option<Self> {
        use base64::Engine;
        let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let plain = String::from_utf8(plain).ok()?;
        let mut parts = plain.splitn(3, '\n');
        let sort = Sort::from_name(parts.next()?)?;
        let id = Uuid::try_parse(parts.next()?).ok()?;
        let title = parts.next()?.to_owned();
        Some(Self { sort, id, title })
    }
}
