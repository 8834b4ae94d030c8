DROP TABLE messages;
DROP TABLE members;
DROP TABLE tokens;
DROP TABLE rooms;
