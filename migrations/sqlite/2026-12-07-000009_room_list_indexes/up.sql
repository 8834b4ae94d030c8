-- GET /api/v1/rooms pages in SQL (src/store/room_list.rs): by name then id.
CREATE INDEX rooms_name_id ON rooms (name, id);
