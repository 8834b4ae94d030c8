-- GET /api/v1/audit?actor= pages through one actor's entries newest first.
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
