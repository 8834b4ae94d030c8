//! roomd: a real-time chat and event engine. Rooms, WebSocket sessions and the store
//! writer are actix actors; the store is SQLite or PostgreSQL through diesel.
//! See `actors` for the actor tree and `server` for how the process boots and stops.

/// jemalloc instead of glibc's malloc for everything that links roomd (the server, its
/// benches and tests). A delivery's envelope is allocated on the room's thread and
/// freed on the session's; glibc serves such cross-thread frees slowly (29% of the
/// fan-out bench's time was in malloc/free), jemalloc does not: fan-out to 1000
/// sessions 785 µs → 430 µs per message (docs/PERFORMANCE.md, "Allocator, token cache and clock changes").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod actors;
pub mod auth;
pub mod backoff;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod config_sources;
pub mod duration;
pub mod error;
pub mod hooks;
pub mod http;
pub mod ids;
pub mod live_sessions;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod net;
pub mod protocol;
pub mod rooms_file;
pub mod schema;
pub mod server;
pub mod store;
pub mod transfer;
pub mod webhooks;
pub mod websocket;
