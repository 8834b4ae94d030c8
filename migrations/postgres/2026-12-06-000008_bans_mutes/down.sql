DROP TABLE room_restrictions;
