//! `ViolationWindow`: a session's policy violations (rate-limited frames, refused
//! repeats, banned words) over the last minute. Reaching `limits.max_violations`
//! within a minute means the session is closed with 4002.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back violations count.
pub const VIOLATION_WINDOW: Duration = Duration::from_secs(60);

/// Times of recent violations, oldest first (at most `max` are kept).
#[derive(Debug)]
pub struct ViolationWindow {
    max: u32,
    at: VecDeque<Instant>,
}

impl ViolationWindow {
    /// A window that trips at `max` violations per minute (0 = never).
    pub fn new(max: u32) -> Self {
        Self { max, at: VecDeque::new() }
    }

    /// Records a violation at `now`; true when it is the one that reaches the limit.
    pub fn record(&mut self, now: Instant) -> bool {
        if self.max == 0 {
            return false;
        }
        while self.at.front().is_some_and(|t| now.duration_since(*t) >= VIOLATION_WINDOW) {
            self.at.pop_front();
        }
        self.at.push_back(now);
        if self.at.len() > self.max as usize {
            self.at.pop_front();
        }
        self.at.len() >= self.max as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_at_the_limit_within_a_minute_only() {
        let t0 = Instant::now();
        let mut w = ViolationWindow::new(3);
        assert!(!w.record(t0));
        assert!(!w.record(t0 + Duration::from_secs(30)));
        // The first one has aged out by then: still two in the window.
        assert!(!w.record(t0 + Duration::from_secs(61)));
        assert!(w.record(t0 + Duration::from_secs(62)), "three within a minute");
    }

    #[test]
    fn zero_means_no_limit() {
        let mut w = ViolationWindow::new(0);
        assert!((0..100).all(|_| !w.record(Instant::now())));
    }
}
