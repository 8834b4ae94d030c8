//! `WriteGate`: how many writes wait for the `StoreWriter` (queued in its mailbox, in
//! its queue, or in the commit under way), bounded by `store.max_pending`. Every
//! sender admits its items here *before* sending them, so a refusal is known at once,
//! on the sender's thread, and answered `room_unavailable`: nothing is dropped after
//! it was accepted. The writer releases each item when its commit (or failure) is
//! reported. Writes that cannot be refused (a leave's presence, a kick) are admitted
//! over the limit: they still count, so the sends and joins after them are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Shared between the writer and everything that sends it writes.
#[derive(Clone, Debug)]
pub struct WriteGate(Arc<Gate>);

#[derive(Debug)]
struct Gate {
    pending: AtomicUsize,
    max: usize,
}

impl WriteGate {
    pub fn new(max_pending: usize) -> Self {
        Self(Arc::new(Gate { pending: AtomicUsize::new(0), max: max_pending }))
    }

    /// Admits `n` items if they fit under the limit; false (nothing admitted) if not.
    #[must_use]
    pub fn try_admit(&self, n: usize) -> bool {
        let before = self.0.pending.fetch_add(n, Ordering::AcqRel);
        if before.saturating_add(n) > self.0.max {
            self.release(n);
            return false;
        }
        true
    }

    /// Admits `n` items that must be written whatever the limit.
    pub fn force_admit(&self, n: usize) {
        self.0.pending.fetch_add(n, Ordering::AcqRel);
    }

    /// `n` admitted items are done (committed, failed, or never sent).
    pub fn release(&self, n: usize) {
        let _ =
            self.0.pending.fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| Some(p.saturating_sub(n)));
    }

    /// Items admitted and not released.
    pub fn pending(&self) -> usize {
        self.0.pending.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::WriteGate;

    #[test]
    fn refuses_past_the_limit_and_counts_forced_items() {
        let g = WriteGate::new(3);
        assert!(g.try_admit(2));
        assert!(!g.try_admit(2), "2 + 2 > 3");
        assert_eq!(g.pending(), 2, "a refusal admits nothing");
        assert!(g.try_admit(1));
        g.force_admit(1);
        assert_eq!(g.pending(), 4);
        g.release(2);
        assert!(!g.try_admit(2), "a forced item counts toward the limit");
        assert!(g.try_admit(1));
        g.release(10);
        assert_eq!(g.pending(), 0, "never below zero");
    }
}
