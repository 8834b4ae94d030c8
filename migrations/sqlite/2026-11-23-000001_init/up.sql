-- Rooms, tokens, members and messages. Times are Unix milliseconds (BIGINT) so the
-- same schema and queries serve SQLite and PostgreSQL.
CREATE TABLE rooms (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',      -- JSON array of strings
    settings    TEXT NOT NULL DEFAULT '{}',      -- JSON object
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,                  -- admin | bot | user
    name         TEXT NOT NULL,
    roles        TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
    secret_hash  TEXT NOT NULL UNIQUE,           -- hex SHA-256 of the secret
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE members (
    room_id          TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    role             TEXT NOT NULL DEFAULT 'member',
    role_expires_at  BIGINT,
    base_role        TEXT NOT NULL DEFAULT 'member',
    last_read_seq    BIGINT NOT NULL DEFAULT 0,
    last_seen        BIGINT,
    joined_at        BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE messages (
    room_id      TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    sender_id    TEXT NOT NULL,
    sender_name  TEXT NOT NULL,
    sender_kind  TEXT NOT NULL,
    text         TEXT NOT NULL,
    client_id    TEXT,
    reply_to     TEXT,
    ts           BIGINT NOT NULL,
    PRIMARY KEY (room_id, seq)
);

-- Dedupe: one message per (room, sender, client_id). client_id leads so a batch's
-- lookup `client_id IN (...)` uses the index.
CREATE UNIQUE INDEX messages_dedupe ON messages (client_id, room_id, sender_id);
