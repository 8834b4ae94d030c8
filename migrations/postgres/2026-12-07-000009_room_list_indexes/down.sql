DROP INDEX rooms_name_id_c;
DROP INDEX rooms_id_c;
