//! The process-wide directory of live actors: every metered actor's [`MailboxStats`]
//! from its registration until it is gone for good, and per kind the counts of those
//! gone (handled messages, restarts), so totals since start-up never go back. Read
//! without messaging any actor by `/api/v1/actors`, the rooms API and `/metrics`
//! (src/actors/mailbox/collector.rs).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use super::{ActorKind, ActorStatus, MailboxStats};

const KINDS: usize = ActorKind::ALL.len();

/// Every live actor's figures.
pub struct Directory {
    actors: Mutex<Actors>,
}

#[derive(Default)]
struct Actors {
    live: HashMap<u64, Arc<MailboxStats>>,
    /// Counts of the actors gone for good, by kind (`ActorKind::index`).
    retired: [Totals; KINDS],
}

/// Counts that add up over an actor's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    handled: u64,
    restarts: u64,
}

/// The figures of one actor kind at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindFigures {
    /// Live actors of the kind.
    pub live: u64,
    /// Live actors by status (`ActorStatus::index`).
    pub by_status: [u64; ActorStatus::ALL.len()],
    /// Messages waiting, summed over the live actors.
    pub depth: u64,
    /// The deepest mailbox any live actor of the kind has had.
    pub max_depth: u64,
    /// Messages handled since start-up, by live actors and those gone (exact).
    pub handled: u64,
    /// Restarts since start-up, of live actors and those gone.
    pub restarts: u64,
}

impl Directory {
    pub(super) fn insert(&self, key: u64, stats: Arc<MailboxStats>) {
        self.lock().live.insert(key, stats);
    }

    /// Forgets an actor gone for good, keeping its counts in its kind's totals.
    pub(super) fn remove(&self, key: u64) {
        let mut actors = self.lock();
        if let Some(gone) = actors.live.remove(&key) {
            let retired = &mut actors.retired[gone.kind.index()];
            retired.handled += gone.handled();
            retired.restarts += u64::from(gone.restarts());
        }
    }

    /// The live actors (a copy of the list; the figures stay live).
    pub fn all(&self) -> Vec<Arc<MailboxStats>> {
        self.lock().live.values().cloned().collect()
    }

    /// The `n` live actors with the highest `key`, highest first. Ranked under the lock
    /// on references (no copy of the list, no reference count touched per actor): with
    /// 100,000 room actors this is one pass and a partial sort.
    pub fn top_by(&self, n: usize, key: impl Fn(&MailboxStats) -> (f64, f64)) -> Vec<Arc<MailboxStats>> {
        let actors = self.lock();
        let mut ranked: Vec<((f64, f64), &Arc<MailboxStats>)> =
            actors.live.values().map(|a| (key(a), a)).collect();
        let highest_first = |a: &((f64, f64), &Arc<MailboxStats>), b: &((f64, f64), &Arc<MailboxStats>)| {
            b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal)
        };
        if n == 0 {
            return Vec::new();
        }
        if ranked.len() > n {
            ranked.select_nth_unstable_by(n - 1, highest_first);
            ranked.truncate(n);
        }
        ranked.sort_by(highest_first);
        ranked.into_iter().map(|(_, a)| a.clone()).collect()
    }

    /// Each kind's figures, indexed by [`ActorKind::index`]. The totals are summed
    /// under the lock that moves an actor's counts to its kind's when it goes, so they
    /// never go back.
    pub fn by_kind(&self) -> [KindFigures; KINDS] {
        let actors = self.lock();
        let mut kinds = [KindFigures::default(); KINDS];
        for (k, retired) in kinds.iter_mut().zip(&actors.retired) {
            (k.handled, k.restarts) = (retired.handled, retired.restarts);
        }
        for a in actors.live.values() {
            let k = &mut kinds[a.kind.index()];
            k.live += 1;
            k.by_status[a.status().index()] += 1;
            k.depth += a.depth();
            k.max_depth = k.max_depth.max(a.max_depth());
            k.handled += a.handled();
            k.restarts += u64::from(a.restarts());
        }
        kinds
    }

    fn lock(&self) -> MutexGuard<'_, Actors> {
        // Single inserts and removes cannot leave the map half-changed.
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The process-wide directory of live actors.
pub fn directory() -> &'static Directory {
    static DIRECTORY: LazyLock<Directory> = LazyLock::new(|| Directory { actors: Mutex::default() });
    &DIRECTORY
}
