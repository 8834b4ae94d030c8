//! `StoreWriters`: the store writers of this process and which one a room's writes go
//! to. Each [`StoreWriter`] commits its own batches, so with several of them several
//! transactions commit at once (PostgreSQL: the server works on all of them instead of
//! waiting on one writer's round trips). A room's writes always go to the same writer
//! — a fixed hash of the room id modulo their number — so its seqs are still assigned
//! by one writer, in order, and its messages, memberships and deletions still commit
//! in the order the room sent them. `store.writers` chooses how many
//! (`Settings::store_writers`: 1 on SQLite, where one writer holds the lock anyway).
//! All of them share one [`WriteGate`] (`store.max_pending` counts every write waiting).

use std::sync::Arc;

use actix::prelude::*;
use slog::Logger;

use super::mailbox::TrackedAddr;
use super::store_writer::{Flush, StoreWriter};
use super::write_gate::WriteGate;
use crate::config::Settings;
use crate::store::Store;

/// The writers, addressed by room; cheap to clone.
#[derive(Clone)]
pub struct StoreWriters {
    writers: Arc<[TrackedAddr<StoreWriter>]>,
}

impl StoreWriters {
    /// Starts one writer on each of `arbiters` (at least one), sharing one gate.
    pub fn start(
        arbiters: &[ArbiterHandle],
        store: Store,
        cfg: &Settings,
        log: &Logger,
    ) -> (Self, WriteGate) {
        assert!(!arbiters.is_empty(), "at least one store writer");
        let gate = WriteGate::new(cfg.store.max_pending);
        let writers: Vec<_> = arbiters
            .iter()
            .enumerate()
            .map(|(i, arbiter)| {
                // The first keeps the name one writer always had (`/api/v1/actors`).
                let name = match i {
                    0 => "store".to_string(),
                    _ => format!("store-{i}"),
                };
                StoreWriter::start_supervised(arbiter, store.clone(), cfg, log, gate.clone(), name)
            })
            .collect();
        (Self { writers: writers.into() }, gate)
    }

    /// The writer of `room`: always the same one for the same id.
    pub fn for_room(&self, room: &str) -> &TrackedAddr<StoreWriter> {
        &self.writers[writer_index(room, self.writers.len())]
    }

    pub fn len(&self) -> usize {
        self.writers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writers.is_empty()
    }

    /// Resolves once everything queued on every writer before it has committed (or
    /// failed); `Err` if a writer is gone.
    pub async fn flush(&self) -> Result<(), MailboxError> {
        let sends: Vec<_> = self.writers.iter().map(|w| w.send(Flush)).collect();
        for done in futures_util::future::join_all(sends).await {
            done?;
        }
        Ok(())
    }
}

/// FNV-1a of the room id, modulo `n`: fixed (no per-process hash seed), so the mapping
/// is the same for the life of the process and in every process.
fn writer_index(room: &str, n: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in room.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % n.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::writer_index;

    #[test]
    fn a_room_always_maps_to_the_same_writer_and_rooms_spread_over_all() {
        assert_eq!(writer_index("lobby", 4), writer_index("lobby", 4));
        assert_eq!(writer_index("anything", 1), 0);
        let mut per_writer = [0usize; 4];
        for r in 0..100 {
            per_writer[writer_index(&format!("room-{r}"), 4)] += 1;
        }
        assert!(per_writer.iter().all(|&n| n >= 10), "{per_writer:?}");
    }
}
