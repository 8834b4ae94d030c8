DROP INDEX rooms_name_id;
