DROP TRIGGER members_count_delete;
DROP TRIGGER members_count_insert;
DROP INDEX rooms_members_id;
DROP INDEX rooms_activity_id;
ALTER TABLE rooms DROP COLUMN member_count;
ALTER TABLE rooms DROP COLUMN last_message_at;
