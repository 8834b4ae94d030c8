-- Bans and mutes: one row per (room, kind, user), kind `ban` (the user may not join
-- the room) or `mute` (the user may not send in it), until `expires_at` (NULL: until
-- lifted). An expired row is inert (checked at each join and send) and is replaced by
-- the next ban or mute of the user. Rows go with their room.
CREATE TABLE room_restrictions (
    room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                   -- 'ban' or 'mute'
    user_id     TEXT NOT NULL,
    expires_at  BIGINT,                          -- Unix ms; NULL: until lifted
    reason      TEXT,
    created_by  TEXT NOT NULL,                   -- admin token id, or the moderator's user id
    created_at  BIGINT NOT NULL,                 -- Unix ms
    PRIMARY KEY (room_id, kind, user_id)
);
