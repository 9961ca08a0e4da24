-- Users, their todo lists and the lists' items. Ids are UUIDv7 (time-ordered), so sorting by
-- id sorts by creation; `version` counts a row's updates and is its ETag. A user's password is
-- kept only as its Argon2id hash (a PHC string: algorithm, parameters, salt and hash).
CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE lists (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (owner_id, title)
);

CREATE TABLE items (
    id UUID PRIMARY KEY,
    list_id UUID NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX items_by_list ON items (list_id, id);
