DROP INDEX messages_room_ts;
DROP INDEX rooms_name_id;
