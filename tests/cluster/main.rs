//! roomd cluster tests (issue #10): three (or two) real `roomd` processes on loopback
//! ports, one PostgreSQL schema and one NATS subject prefix per test, driven by real
//! WebSocket and HTTP clients. They always run on PostgreSQL (cluster mode needs it):
//! `ROOMD_TEST_DATABASE_URL` if set, else `postgres://postgres@127.0.0.1:5432/test`;
//! NATS at 127.0.0.1:4222 (the outage test runs its own `nats-server`).
//!
//! They run one at a time (each test boots several servers; one at a time keeps a
//! 2-core machine honest): every test's `Cluster` holds a process-wide lock for its
//! life (`fixture::ONE_AT_A_TIME`), so plain `cargo test` runs them that way too.
//! Just these: `cargo test --test cluster -- --test-threads=1`.
//!
//! Without PostgreSQL or NATS (`ROOMD_TEST_NATS_URL` overrides the NATS URL) each
//! test is skipped with a line saying so (`common/services.rs`); with
//! `ROOMD_REQUIRE_SERVICES` set, as `.ci/run` sets it, it fails instead.

#[allow(dead_code)] // the integration helpers this binary does not use
#[path = "../integration/common/mod.rs"]
mod common;

mod fixture;
mod nats;
mod peer;
mod traffic;

mod fanout;
mod idle;
mod message_deletion;
mod moderation;
mod nats_outage;
mod operator_actions;
mod owner_failover;
mod owner_pause;
mod sender_order;
mod sessions;
mod singletons;
mod survivors;
mod webhooks;
