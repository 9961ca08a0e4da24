//! The statements, as `examples/todo/src/repo/sql.rs` spells them (the PostgreSQL side):
//! the same text, so PostgreSQL does the same work for both servers.

pub const INSERT_USER: &str = "INSERT INTO users (id, username, password_hash, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id, username, password_hash, created_at";
pub const USER_BY_NAME: &str =
    "SELECT id, username, password_hash, created_at FROM users WHERE username = $1";

pub const INSERT_LIST: &str = "INSERT INTO lists (id, owner_id, title, version, created_at, \
     updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING id, title, version, created_at, \
     updated_at";
pub const LIST_VERSION: &str = "SELECT version FROM lists WHERE id = $1 AND owner_id = $2";

pub const INSERT_ITEM: &str = "INSERT INTO items (id, list_id, title, done, version, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id, list_id, title, \
     done, version, created_at, updated_at";
pub const SELECT_ITEM: &str = "SELECT id, list_id, title, done, version, created_at, updated_at \
     FROM items WHERE id = $1 AND list_id = $2 AND EXISTS (SELECT 1 FROM lists WHERE lists.id \
     = $2 AND lists.owner_id = $3)";
pub const ITEM_VERSION: &str = "SELECT version FROM items WHERE id = $1 AND list_id = $2 AND \
     EXISTS (SELECT 1 FROM lists WHERE lists.id = $2 AND lists.owner_id = $3)";
pub const COUNT_ITEMS: &str =
    "SELECT COUNT(*) FROM items WHERE list_id = $1 AND ($2 IS NULL OR done = $2)";
/// A page of a list's items, by [`Sort`](crate::model::Sort): ids are UUIDv7, so the id's
/// order is creation's.
pub const PAGE_ITEMS: [&str; 4] = [
    "SELECT id, list_id, title, done, version, created_at, updated_at FROM items WHERE list_id \
     = $1 AND ($2 IS NULL OR done = $2) ORDER BY id LIMIT $3 OFFSET $4",
    "SELECT id, list_id, title, done, version, created_at, updated_at FROM items WHERE list_id \
     = $1 AND ($2 IS NULL OR done = $2) ORDER BY id DESC LIMIT $3 OFFSET $4",
    "SELECT id, list_id, title, done, version, created_at, updated_at FROM items WHERE list_id \
     = $1 AND ($2 IS NULL OR done = $2) ORDER BY title, id LIMIT $3 OFFSET $4",
    "SELECT id, list_id, title, done, version, created_at, updated_at FROM items WHERE list_id \
     = $1 AND ($2 IS NULL OR done = $2) ORDER BY title DESC, id DESC LIMIT $3 OFFSET $4",
];
pub const UPDATE_ITEM: &str = "UPDATE items SET title = COALESCE($1, title), done = \
     COALESCE($2, done), version = version + 1, updated_at = $3 WHERE id = $4 AND list_id = $5 \
     AND version = $6 RETURNING id, list_id, title, done, version, created_at, updated_at";

/// The time now as PostgreSQL stores it: to the microsecond, so what a write returns is
/// what a later read returns.
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.microsecond() * 1000)
        .unwrap_or(now)
}

/// An entry of the user's audit log: what oxapi's todo writes after each write's response.
pub const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (id, owner_id, action, target_id, at) VALUES ($1, $2, $3, $4, $5)";
