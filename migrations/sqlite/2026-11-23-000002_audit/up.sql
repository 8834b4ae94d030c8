-- Audit log of admin-API changes: who (the admin token), what (an action such as
-- `token.revoke`), when (Unix ms), on which target, with a small JSON detail.
-- Rows are only ever appended; `id` grows with time, so it orders and pages the log.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,                  -- the admin token's id
    actor_name  TEXT NOT NULL,                  -- the admin token's name at the time
    action      TEXT NOT NULL,                  -- room.create | token.revoke | …
    target      TEXT NOT NULL,                  -- id of the room, token, … acted on
    detail      TEXT NOT NULL DEFAULT '{}'      -- JSON object
);

-- The two filters of GET /api/v1/audit, each walked newest first.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
