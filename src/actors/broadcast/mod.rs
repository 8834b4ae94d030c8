//! Broadcast jobs: one announcement delivered to many rooms.
//!
//! ```text
//! BroadcastQueue ─ one dispatcher: paces deliveries (`broadcast.rooms_per_sec`) over
//! │                all running jobs, high → normal → low priority
//! └── BroadcastJob × N ─ one per unfinished job (supervised): its rooms' progress,
//!                        retries with backoff, SSE progress through the ProgressHub
//! ```
//!
//! A job's state lives in the store (`store::broadcasts`): the job row and one row per
//! target room. The job actor loads its pending rooms from there at start and after a
//! restart, and the queue resumes every unfinished job when the process starts. Each
//! room gets the message through the room actor as an operator post with
//! `client_id = "bc:<job>"`, so a repeated attempt (after a crash, a lost reply or a
//! process restart) is answered with the original seq instead of posting twice.

pub mod delivery;
pub mod job;
pub mod progress;
pub mod queue;

use std::sync::Arc;

use slog::Logger;

use super::mailbox::TrackedAddr;
use super::registry::RoomRegistry;
use crate::config::Settings;
use crate::store::Store;

pub use job::BroadcastJob;
pub use progress::{ProgressEvent, ProgressHub};
pub use queue::{BroadcastQueue, CancelJob, StartJob};

/// What the queue and its jobs need from the rest of the server.
#[derive(Clone)]
pub struct BroadcastDeps {
    pub store: Store,
    pub registry: TrackedAddr<RoomRegistry>,
    pub hub: Arc<ProgressHub>,
    pub cfg: Arc<Settings>,
    pub log: Logger,
    /// Cluster mode: a job runs on the node holding its lease (`broadcast:ID`).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// The dedupe key of a job's post in every room.
pub fn client_id(job: &str) -> String {
    format!("bc:{job}")
}
