DROP TABLE schedule_fires;
DROP TABLE schedules;
DROP TABLE broadcast_rooms;
DROP TABLE broadcasts;
