-- GET /api/v1/rooms by activity and by members pages over an index (src/store/room_list.rs):
-- each room's row keeps the time of its last message (set by the store writer with each
-- batch, src/store/messages.rs) and its member count (kept by the trigger below).
ALTER TABLE rooms ADD COLUMN last_message_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
UPDATE rooms SET
  last_message_at = COALESCE((SELECT m.ts FROM messages m WHERE m.room_id = rooms.id ORDER BY m.seq DESC LIMIT 1), 0),
  member_count = (SELECT COUNT(*) FROM members m WHERE m.room_id = rooms.id);
CREATE INDEX rooms_activity_id_c ON rooms (last_message_at DESC, id COLLATE "C");
CREATE INDEX rooms_members_id_c ON rooms (member_count DESC, id COLLATE "C");
CREATE FUNCTION rooms_member_count() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
    RETURN NEW;
  END IF;
  UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
  RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_count AFTER INSERT OR DELETE ON members
  FOR EACH ROW EXECUTE FUNCTION rooms_member_count();
