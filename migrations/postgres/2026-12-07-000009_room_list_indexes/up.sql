-- GET /api/v1/rooms pages in SQL (src/store/room_list.rs), comparing text byte-wise
-- (COLLATE "C") whatever the database's collation: by id, by name then id.
CREATE INDEX rooms_id_c ON rooms (id COLLATE "C");
CREATE INDEX rooms_name_id_c ON rooms (name COLLATE "C", id COLLATE "C");
