//! The actors and how they hang together:
//!
//! ```text
//! main System arbiter
//! ├── RoomRegistry ─ starts a Room on demand, under actix `Supervisor`, on one of
//! │   │              the room arbiters (`rooms.arbiters` threads)
//! │   └── Room × N ─ members, next deliverable seq, a bounded tail of recent frames
//! ├── StoreWriter ── group commit on its own arbiter; assigns seqs inside the
//! │                  transaction; tells each Room what committed
//! ├── BroadcastQueue ─ paces broadcast deliveries, high priority first (`broadcast`)
//! │   └── BroadcastJob × N ─ one per unfinished job; state in the store
//! ├── Scheduler ──── cron schedules; each due time starts a broadcast job
//! ├── StatsSampler ─ once a second, the counters into the overview's history
//! └── HTTP workers ─ one WsSession actor per WebSocket connection
//! ```
//!
//! A message's path: `WsSession --SendText--> Room --AppendMessage--> StoreWriter`
//! (commit) `--Committed--> Room --ack/Outbound--> every member's WsSession`.
//!
//! Every one of these actors is addressed through a `mailbox::TrackedAddr` (or
//! `TrackedRecipient`), which meters its mailbox; see `mailbox`.

pub mod broadcast;
pub mod cluster_inbox;
pub mod cluster_node;
pub mod exchange;
pub mod mailbox;
pub mod operator_post;
pub mod rate_window;
pub mod registry;
pub mod remote_session;
pub mod retention;
pub mod room;
pub mod room_feed;
pub mod scheduler;
pub mod session_facts;
pub mod sessions;
pub mod shell;
pub mod stats_sampler;
pub mod store_writer;
pub mod store_writers;
pub mod supervisor;
pub mod violations;
pub mod write_gate;
pub mod ws_session;
