-- Todo lists and their items. Ids are UUIDv7 (time-ordered), so sorting by id sorts by
-- creation; `version` counts a row's updates and is its ETag. `owner_id` is the user a list
-- belongs to: every list is the anonymous owner's (the nil UUID) until users come.
CREATE TABLE lists (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL,
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
