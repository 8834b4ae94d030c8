//! `RateWindow`: events in the last 60 seconds, in one-second buckets (a room's
//! `messages_per_min`). Constant memory, O(1) per event.

use std::time::Instant;

const BUCKETS: usize = 60;

/// Counts events over a sliding minute.
#[derive(Debug, Clone)]
pub struct RateWindow {
    origin: Instant,
    buckets: [u32; BUCKETS],
    /// The second (since `origin`) each bucket was last written in.
    stamps: [u64; BUCKETS],
}

impl Default for RateWindow {
    fn default() -> Self {
        Self { origin: Instant::now(), buckets: [0; BUCKETS], stamps: [u64::MAX; BUCKETS] }
    }
}

impl RateWindow {
    /// Records `n` events now.
    pub fn add(&mut self, n: u32) {
        let sec = self.origin.elapsed().as_secs();
        self.add_at(sec, n);
    }

    /// Events in the last 60 seconds.
    pub fn per_minute(&self) -> u64 {
        self.per_minute_at(self.origin.elapsed().as_secs())
    }

    fn add_at(&mut self, sec: u64, n: u32) {
        let i = (sec % BUCKETS as u64) as usize;
        if self.stamps[i] != sec {
            self.stamps[i] = sec;
            self.buckets[i] = 0;
        }
        self.buckets[i] = self.buckets[i].saturating_add(n);
    }

    fn per_minute_at(&self, now: u64) -> u64 {
        (0..BUCKETS)
            .filter(|&i| self.stamps[i] != u64::MAX && now.saturating_sub(self.stamps[i]) < BUCKETS as u64)
            .map(|i| u64::from(self.buckets[i]))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_minute_only() {
        let mut w = RateWindow::default();
        w.add_at(0, 5);
        w.add_at(30, 2);
        assert_eq!(w.per_minute_at(30), 7);
        assert_eq!(w.per_minute_at(59), 7);
        assert_eq!(w.per_minute_at(60), 2);
        w.add_at(61, 1); // bucket 1, second 61
        assert_eq!(w.per_minute_at(61), 3);
        assert_eq!(w.per_minute_at(200), 0);
    }
}
