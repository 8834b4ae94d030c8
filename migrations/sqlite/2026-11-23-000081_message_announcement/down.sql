ALTER TABLE messages DROP COLUMN announcement;
