-- Broadcast jobs, their per-room progress, cron schedules and the record of each
-- schedule's due times. A job is resumable from these rows alone (no actor state is
-- needed), so a restarted process, or later another node, can carry it on.
CREATE TABLE broadcasts (
    id           TEXT PRIMARY KEY NOT NULL,  -- bc_<hex ms><hex random>: sorts by creation
    text         TEXT NOT NULL,
    target       TEXT NOT NULL,              -- JSON: ["a","b"] | "all" | {"tag":"x"}
    priority     TEXT NOT NULL,              -- high | normal | low
    status       TEXT NOT NULL,              -- pending | running | done | cancelled | failed
    created_by   TEXT NOT NULL,              -- admin token name, or schedule:<id>
    schedule_id  TEXT,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    finished_at  BIGINT
);
CREATE INDEX broadcasts_status ON broadcasts (status);

CREATE TABLE broadcast_rooms (
    broadcast_id  TEXT NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    room_id       TEXT NOT NULL,
    status        TEXT NOT NULL,             -- pending | delivered | failed | cancelled
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    seq           BIGINT,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (broadcast_id, room_id)
);

CREATE TABLE schedules (
    id                 TEXT PRIMARY KEY NOT NULL,
    cron               TEXT NOT NULL,
    timezone           TEXT NOT NULL,
    target             TEXT NOT NULL,        -- JSON, as broadcasts.target
    text               TEXT NOT NULL,
    priority           TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL,
    next_run_at        BIGINT,               -- null while disabled
    last_run_at        BIGINT,
    last_broadcast_id  TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- One row per due time that was handled: fired (with its broadcast) or skipped.
-- The primary key makes a second fire of the same due time impossible, even with
-- two schedulers.
CREATE TABLE schedule_fires (
    schedule_id   TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    handled_at    BIGINT NOT NULL,
    outcome       TEXT NOT NULL,             -- fired | skipped
    reason        TEXT,
    broadcast_id  TEXT,
    PRIMARY KEY (schedule_id, due_at)
);
