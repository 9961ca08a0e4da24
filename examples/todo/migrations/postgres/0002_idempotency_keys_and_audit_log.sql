-- What a create answered, kept under the `Idempotency-Key` its client sent, in the same
-- transaction as the row it made: a retry with the key answers the same, and a retry with the
-- key and another request is refused. `fingerprint` is the SHA-256 of the request (its path
-- and canonical JSON body); `response` is the body answered, null only inside the
-- transaction that makes the row.
CREATE TABLE idempotency_keys (
    owner_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner_id, key)
);

-- Who changed what, written after the response by a background task.
CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    target_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL
);

CREATE INDEX audit_log_by_owner ON audit_log (owner_id, id);
