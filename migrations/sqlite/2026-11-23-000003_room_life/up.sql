-- Welcome messages already posted: one row per (room, user), the time of the last
-- welcome. A join within `welcome.dedupe_secs` of it posts no new welcome, also
-- across restarts. Rows go with their room.
CREATE TABLE welcomes (
    room_id      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    welcomed_at  BIGINT NOT NULL,                -- Unix ms
    PRIMARY KEY (room_id, user_id)
);
