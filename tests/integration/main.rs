//! roomd integration tests: the real `roomd` binary on an ephemeral port, driven by a
//! real WebSocket client and a real HTTP client, one fresh database per test (a temp
//! SQLite file, or a PostgreSQL schema when `ROOMD_TEST_DATABASE_URL` is set).
//!
//! Run: `cargo test --test integration`.

mod common;

mod admin_api;
mod admin_cli;
mod admin_props;
mod admin_tokens;
mod auth;
mod bad_input;
mod broadcasts;
mod close_codes;
mod cluster_off;
mod commands;
mod console;
mod delivery;
mod durability;
mod first_run;
mod hostile_clients;
mod input_limits;
mod logs;
mod membership;
mod message_deletion;
mod metrics;
mod moderation;
mod openapi;
mod overview;
mod publish_hook;
mod retention;
mod room_events;
mod room_life;
mod room_list_pages;
mod rooms_api;
mod schedules;
mod sessions_api;
mod store_writers;
mod supervision;
mod transfer;
mod webhooks;
mod ws_protocol;
