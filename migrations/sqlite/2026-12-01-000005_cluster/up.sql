-- Cluster mode (docs/CLUSTER.md): one row per node, refreshed by its heartbeat, and
-- leases (a room, the scheduler, a broadcast job) held by a node while it is alive.
-- Times are milliseconds since the Unix epoch, taken from the database's clock.
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY NOT NULL,
    address TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    connections BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE cluster_leases (
    name TEXT PRIMARY KEY NOT NULL,
    node_id TEXT NOT NULL,
    -- Bumped each time the lease changes hands.
    epoch BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);

CREATE INDEX cluster_leases_by_node ON cluster_leases (node_id);
