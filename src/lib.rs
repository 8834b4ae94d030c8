//! roomd: a real-time chat and event engine. Rooms, WebSocket sessions and the store
//! writer are actix actors; the store is SQLite or PostgreSQL through diesel.
//! See `actors` for the actor tree and `server` for how the process boots and stops.

pub mod actors;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod rooms_file;
pub mod schema;
pub mod server;
pub mod store;
