-- A deleted message is a tombstone: it keeps its seq, its text is emptied, and these
-- say who deleted it (a user id, `system` for an operator) and when (Unix ms).
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted_by TEXT;
