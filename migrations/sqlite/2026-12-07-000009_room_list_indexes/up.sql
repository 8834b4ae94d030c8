-- GET /api/v1/rooms pages in SQL (src/store/room_list.rs): by name then id, and by
-- newest message (MAX(ts) per room, a lookup in this index per room).
CREATE INDEX rooms_name_id ON rooms (name, id);
CREATE INDEX messages_room_ts ON messages (room_id, ts);
