-- The webhook outbox's triggers on SQLite (src/store/event_triggers.rs installs them
-- with the first webhook and drops them with the last; migration …000011_webhooks
-- created the outbox they write to).

CREATE TRIGGER IF NOT EXISTS webhook_event_message AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, seq, payload, at) VALUES ('message', NEW.room_id, NEW.seq,
        json_object('room', NEW.room_id, 'seq', NEW.seq,
            'sender', json_object('id', NEW.sender_id, 'name', NEW.sender_name, 'kind', NEW.sender_kind),
            'text', NEW.text, 'reply_to', NEW.reply_to, 'ts', NEW.ts,
            'announcement', json(CASE WHEN NEW.announcement THEN 'true' ELSE 'false' END)),
        NEW.ts);
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_message_deleted AFTER UPDATE OF deleted_at ON messages
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL AND EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, seq, payload, at) VALUES ('message_deleted', NEW.room_id, NEW.seq,
        json_object('room', NEW.room_id, 'seq', NEW.seq, 'deleted_by', NEW.deleted_by, 'deleted_at', NEW.deleted_at),
        NEW.deleted_at);
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_member_joined AFTER INSERT ON members
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('member_joined', NEW.room_id,
        json_object('room', NEW.room_id,
            'user', json_object('id', NEW.user_id, 'name', NEW.name, 'kind', NEW.kind), 'role', NEW.role),
        NEW.joined_at);
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_member_left AFTER DELETE ON members
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('member_left', OLD.room_id,
        json_object('room', OLD.room_id, 'user', json_object('id', OLD.user_id, 'name', OLD.name, 'kind', OLD.kind)),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_room_created AFTER INSERT ON rooms
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('room_created', NEW.id,
        json_object('room', NEW.id, 'name', NEW.name, 'tags', CASE WHEN json_valid(NEW.tags) THEN json(NEW.tags) ELSE json('[]') END), NEW.created_at);
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_room_deleted AFTER DELETE ON rooms
WHEN EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, room_id, payload, at) VALUES ('room_deleted', OLD.id,
        json_object('room', OLD.id, 'name', OLD.name, 'tags', CASE WHEN json_valid(OLD.tags) THEN json(OLD.tags) ELSE json('[]') END),
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER IF NOT EXISTS webhook_event_broadcast_finished AFTER UPDATE OF finished_at ON broadcasts
WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL AND EXISTS (SELECT 1 FROM webhooks)
BEGIN
    INSERT INTO webhook_events (kind, payload, at) VALUES ('broadcast_finished',
        json_object('broadcast', NEW.id, 'status', NEW.status, 'target', NEW.target), NEW.finished_at);
END;
