-- Messages posted by `!announce` carry "announcement":true in their frame.
ALTER TABLE messages ADD COLUMN announcement BOOLEAN NOT NULL DEFAULT FALSE;
