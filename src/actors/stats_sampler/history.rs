//! The bounded history the stats sampler keeps for `GET /api/v1/overview`: from one
//! [`Reading`] of the process's counters per second it derives the last 300 one-second
//! samples (message and delivery rates, open connections), restarts per minute for the
//! last 60 minutes, and the store-commit histogram as it stood at each second of the
//! last minute (so the overview can take the latency of the last 60 s as a difference).
//! Pure bookkeeping behind one mutex; its memory does not grow with time or load.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::metrics::HistogramCounts;

/// One-second samples kept (5 minutes).
pub const SERIES_LEN: usize = 300;
/// Minutes of restart counts kept.
pub const RESTART_MINUTES: i64 = 60;
/// The commit-latency window, in seconds.
pub const COMMIT_WINDOW_SECS: i64 = 60;

/// The process's counters at one instant (totals since start-up).
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Unix ms.
    pub at_ms: i64,
    pub messages: u64,
    pub deliveries: u64,
    /// Open WebSocket sessions.
    pub connections: u64,
    /// Actor restarts of every kind.
    pub restarts: u64,
    /// `roomd_store_commit_seconds`.
    pub commits: HistogramCounts,
}

/// One second of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Unix ms of the reading that ends the second.
    pub at_ms: i64,
    pub messages_per_s: f64,
    pub deliveries_per_s: f64,
    pub connections: u64,
}

/// The history; shared by the sampler (which records) and the HTTP handlers (which read).
pub struct History {
    started_at_ms: i64,
    rings: Mutex<Rings>,
}

#[derive(Default)]
struct Rings {
    /// The latest reading (without its histogram, kept in `commits`).
    last: Option<Reading>,
    samples: VecDeque<Sample>,
    /// (minute since the epoch, restarts counted in it), oldest first.
    restarts: VecDeque<(i64, u64)>,
    /// (Unix ms, the commit histogram then), oldest first, spanning the window.
    commits: VecDeque<(i64, HistogramCounts)>,
}

impl History {
    /// An empty history of a process started at `started_at_ms`.
    pub fn new(started_at_ms: i64) -> Self {
        Self { started_at_ms, rings: Mutex::default() }
    }

    pub fn started_at_ms(&self) -> i64 {
        self.started_at_ms
    }

    /// Adds a reading: a sample of the rates since the previous one, its restarts to
    /// their minute, its histogram to the window; the oldest entries fall out.
    pub fn record(&self, mut r: Reading) {
        let mut rings = self.lock();
        if let Some(prev) = &rings.last {
            let secs = (r.at_ms - prev.at_ms).max(1) as f64 / 1000.0;
            let rate = |now: u64, before: u64| round2(now.saturating_sub(before) as f64 / secs);
            let sample = Sample {
                at_ms: r.at_ms,
                messages_per_s: rate(r.messages, prev.messages),
                deliveries_per_s: rate(r.deliveries, prev.deliveries),
                connections: r.connections,
            };
            let restarted = r.restarts.saturating_sub(prev.restarts);
            push_bounded(&mut rings.samples, sample, SERIES_LEN);
            let minute = r.at_ms.div_euclid(60_000);
            match rings.restarts.back_mut() {
                Some((m, n)) if *m == minute => *n += restarted,
                _ => rings.restarts.push_back((minute, restarted)),
            }
            while rings.restarts.front().is_some_and(|(m, _)| *m <= minute - RESTART_MINUTES) {
                rings.restarts.pop_front();
            }
        }
        let commits = std::mem::take(&mut r.commits);
        push_bounded(&mut rings.commits, (r.at_ms, commits), COMMIT_WINDOW_SECS as usize + 1);
        let oldest = r.at_ms - COMMIT_WINDOW_SECS * 1000;
        while rings.commits.len() > 1 && rings.commits.front().is_some_and(|(at, _)| *at < oldest) {
            rings.commits.pop_front();
        }
        rings.last = Some(r);
    }

    /// The samples, oldest first.
    pub fn series(&self) -> Vec<Sample> {
        self.lock().samples.iter().cloned().collect()
    }

    /// Restarts in the last hour (the 60 minutes up to `now_ms`), counting those since
    /// the latest reading from `restarts_now`, the total now.
    pub fn restarts_last_hour(&self, now_ms: i64, restarts_now: u64) -> u64 {
        let rings = self.lock();
        let first = now_ms.div_euclid(60_000) - (RESTART_MINUTES - 1);
        let recorded: u64 = rings.restarts.iter().filter(|(m, _)| *m >= first).map(|(_, n)| n).sum();
        let since = rings.last.as_ref().map_or(0, |l| restarts_now.saturating_sub(l.restarts));
        recorded + since
    }

    /// What the commit histogram `now` (read just now) gained over the window: since
    /// the oldest reading of the last 60 s (everything, before the first reading).
    pub fn commits_in_window(&self, now: &HistogramCounts) -> HistogramCounts {
        match self.lock().commits.front() {
            Some((_, base)) => now.since(base),
            None => now.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Rings> {
        // Each update leaves the rings consistent; a panic between two cannot tear one.
        self.rings.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T, max: usize) {
    if ring.len() == max {
        ring.pop_front();
    }
    ring.push_back(item);
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(at_s: i64, messages: u64, restarts: u64, commits: u64) -> Reading {
        Reading {
            at_ms: at_s * 1000,
            messages,
            deliveries: messages * 2,
            connections: 3,
            restarts,
            commits: HistogramCounts { buckets: vec![(0.001, commits), (0.01, commits)], total: commits },
        }
    }

    #[test]
    fn samples_are_rates_per_second_and_bounded() {
        let h = History::new(0);
        h.record(reading(1000, 0, 0, 0));
        assert!(h.series().is_empty(), "no rate before a second reading");
        h.record(reading(1002, 10, 0, 0));
        let s = h.series();
        assert_eq!(
            s,
            vec![Sample { at_ms: 1_002_000, messages_per_s: 5.0, deliveries_per_s: 10.0, connections: 3 }]
        );
        for i in 0..1000 {
            h.record(reading(1003 + i, 10, 0, 0));
        }
        let s = h.series();
        assert_eq!(s.len(), SERIES_LEN);
        assert_eq!(s.last().map(|s| s.at_ms), Some(2_002_000), "the newest is kept, oldest first");
        assert!(s.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
    }

    #[test]
    fn restarts_count_for_an_hour() {
        let h = History::new(0);
        let t0 = 600_000; // seconds; a whole minute
        h.record(reading(t0, 0, 0, 0));
        h.record(reading(t0 + 1, 0, 2, 0));
        assert_eq!(h.restarts_last_hour((t0 + 1) * 1000, 2), 2);
        assert_eq!(h.restarts_last_hour((t0 + 1) * 1000, 5), 5, "restarts since the last reading count");
        h.record(reading(t0 + 30 * 60, 0, 3, 0));
        assert_eq!(h.restarts_last_hour((t0 + 30 * 60) * 1000, 3), 3);
        h.record(reading(t0 + 61 * 60, 0, 3, 0));
        assert_eq!(h.restarts_last_hour((t0 + 61 * 60) * 1000, 3), 1, "the first two are over an hour old");
        for m in 0..500 {
            h.record(reading(t0 + 62 * 60 + m * 60, 0, 3 + m as u64, 0));
        }
        assert!(h.lock().restarts.len() <= RESTART_MINUTES as usize);
    }

    #[test]
    fn commits_are_taken_over_the_last_minute() {
        let h = History::new(0);
        let now = |n: u64| HistogramCounts { buckets: vec![(0.001, n), (0.01, n)], total: n };
        assert_eq!(h.commits_in_window(&now(4)).total, 4, "before any reading: everything");
        for s in 0..200 {
            h.record(reading(s, 0, 0, s as u64));
        }
        assert!(h.lock().commits.len() <= COMMIT_WINDOW_SECS as usize + 1);
        // The oldest reading kept is from 60 s before the newest (199 - 60 = 139).
        assert_eq!(h.commits_in_window(&now(199)).total, 60);
        assert_eq!(h.commits_in_window(&now(139)).p50_p99(), None);
    }
}
