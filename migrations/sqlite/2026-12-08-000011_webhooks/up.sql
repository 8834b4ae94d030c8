-- Webhook endpoints (docs/INTEGRATIONS.md). `position` is the id of the last
-- `webhook_events` row the endpoint has handled: delivery resumes after it, on any
-- node, after any restart.
CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY NOT NULL,
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,                -- JSON array of event types
    rooms            TEXT NOT NULL DEFAULT '[]',   -- JSON array of room ids; empty: every room
    tags             TEXT NOT NULL DEFAULT '[]',   -- JSON array of room tags; empty: any
    secret           TEXT NOT NULL,
    state            TEXT NOT NULL,                -- active | paused
    failures         BIGINT NOT NULL DEFAULT 0,    -- failed attempts in a row
    last_status      BIGINT,                       -- HTTP status of the last attempt
    last_error       TEXT,
    last_attempt_at  BIGINT,
    position         BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- Recent delivery attempts per endpoint (the newest `webhooks.deliveries_kept` are kept).
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    test        BOOLEAN NOT NULL,
    events      BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    latency_ms  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- The outbox of events for webhooks, written by the triggers below inside the
-- transaction that commits the change, only while at least one webhook exists. `id`
-- is taken at insert, before commit, so it does not follow commit order when
-- transactions overlap (PostgreSQL). `pos` does: it is set after commit, in id order,
-- by whoever reads the outbox (src/store/webhooks.rs `sequence`, one at a time), so a
-- row that commits later always gets a later `pos`. Endpoints read and keep their
-- `position` in `pos`. Rows every endpoint has passed are deleted.
CREATE TABLE webhook_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind     TEXT NOT NULL,
    room_id  TEXT,
    seq      BIGINT,
    payload  TEXT NOT NULL,                        -- JSON object
    at       BIGINT NOT NULL,                      -- Unix ms
    pos      BIGINT                                -- commit order; NULL until sequenced
);
CREATE UNIQUE INDEX webhook_events_pos ON webhook_events (pos);
CREATE INDEX webhook_events_unsequenced ON webhook_events (id) WHERE pos IS NULL;

CREATE TRIGGER webhook_event_message AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, seq, payload, at) VALUES ('message', NEW.room_id, NEW.seq,
        json_object('room', NEW.room_id, 'seq', NEW.seq,
            'sender', json_object('id', NEW.sender_id, 'name', NEW.sender_name, 'kind', NEW.sender_kind),
            'text', NEW.text, 'reply_to', NEW.reply_to, 'ts', NEW.ts,
            'announcement', json(CASE WHEN NEW.announcement THEN 'true' ELSE 'false' END)),
        NEW.ts);
END;

CREATE TRIGGER webhook_event_message_deleted AFTER UPDATE OF deleted_at ON messages
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL AND EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, seq, payload, at) VALUES ('message_deleted', NEW.room_id, NEW.seq,
        json_object('room', NEW.room_id, 'seq', NEW.seq, 'deleted_by', NEW.deleted_by, 'deleted_at', NEW.deleted_at),
        NEW.deleted_at);
END;

CREATE TRIGGER webhook_event_member_joined AFTER INSERT ON members
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('member_joined', NEW.room_id,
        json_object('room', NEW.room_id,
            'user', json_object('id', NEW.user_id, 'name', NEW.name, 'kind', NEW.kind), 'role', NEW.role),
        NEW.joined_at);
END;

CREATE TRIGGER webhook_event_member_left AFTER DELETE ON members
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('member_left', OLD.room_id,
        json_object('room', OLD.room_id, 'user', json_object('id', OLD.user_id, 'name', OLD.name, 'kind', OLD.kind)),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER webhook_event_room_created AFTER INSERT ON rooms
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('room_created', NEW.id,
        json_object('room', NEW.id, 'name', NEW.name, 'tags', CASE WHEN json_valid(NEW.tags) THEN json(NEW.tags) ELSE json('[]') END), NEW.created_at);
END;

CREATE TRIGGER webhook_event_room_deleted AFTER DELETE ON rooms
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('room_deleted', OLD.id,
        json_object('room', OLD.id, 'name', OLD.name, 'tags', CASE WHEN json_valid(OLD.tags) THEN json(OLD.tags) ELSE json('[]') END),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER webhook_event_broadcast_finished AFTER UPDATE OF finished_at ON broadcasts
WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL AND EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, payload, at) VALUES ('broadcast_finished',
        json_object('broadcast', NEW.id, 'status', NEW.status, 'target', NEW.target), NEW.finished_at);
END;
