DROP TRIGGER members_count ON members;
DROP FUNCTION rooms_member_count();
DROP INDEX rooms_members_id_c;
DROP INDEX rooms_activity_id_c;
ALTER TABLE rooms DROP COLUMN member_count;
ALTER TABLE rooms DROP COLUMN last_message_at;
