DROP TABLE welcomes;
