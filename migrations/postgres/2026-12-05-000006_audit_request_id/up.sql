-- The request id (`X-Request-Id`, given by the client or made by the server) of the
-- admin request that made the change, so an entry can be matched with the request's
-- log line. NULL for entries written before this column existed.
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
