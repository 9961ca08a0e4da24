-- Users, their todo lists and the lists' items. Ids are UUIDv7 (time-ordered), so sorting by
-- id sorts by creation; `version` counts a row's updates and is its ETag. A user's password is
-- kept only as its Argon2id hash (a PHC string: algorithm, parameters, salt and hash).
CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE lists (
    id BLOB PRIMARY KEY NOT NULL,
    owner_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (owner_id, title)
);

CREATE TABLE items (
    id BLOB PRIMARY KEY NOT NULL,
    list_id BLOB NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done INTEGER NOT NULL CHECK (done IN (0, 1)),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX items_by_list ON items (list_id, id);
