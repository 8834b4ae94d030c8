//! Restart policy shared by every supervised actor: count restarts in a sliding window
//! (`supervisor.max_restarts` within `supervisor.window_secs`), back off exponentially
//! between them, and quarantine when the intensity is exceeded. Pure logic; the actor
//! decides what restarting means (actix `Supervisor` restarts it in place, same `Addr`
//! and mailbox, so messages queued behind a crash are kept).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::SupervisorConfig;

/// What to do after a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Restart after this delay (zero for the first crash in the window).
    Restart(Duration),
    /// Too many restarts: stay down until an operator restarts it.
    Quarantine,
}

/// Restart bookkeeping of one actor.
#[derive(Debug, Clone)]
pub struct RestartPolicy {
    cfg: SupervisorConfig,
    recent: VecDeque<Instant>,
    /// Every restart since the actor first started (the `restarts` figure).
    pub total: u32,
    pub last_restart_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl RestartPolicy {
    pub fn new(cfg: SupervisorConfig) -> Self {
        Self { cfg, recent: VecDeque::new(), total: 0, last_restart_at: None }
    }

    /// Records a crash at `now` and decides. The k-th crash within the window restarts
    /// after `backoff_min_ms · 2^(k-2)` (capped at `backoff_max_ms`; the first one at
    /// once: [`SupervisorConfig::restart_backoff`]); crash number `max_restarts + 1`
    /// quarantines.
    pub fn on_crash(&mut self, now: Instant) -> Decision {
        let window = Duration::from_secs(self.cfg.window_secs);
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > window) {
            self.recent.pop_front();
        }
        if self.recent.len() as u32 >= self.cfg.max_restarts {
            return Decision::Quarantine;
        }
        self.recent.push_back(now);
        self.total += 1;
        self.last_restart_at = Some(chrono::Utc::now());
        let k = self.recent.len() as u32;
        Decision::Restart(self.cfg.restart_backoff().delay(k - 1))
    }

    /// An operator restart: forget the window (the total stays).
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy::new(SupervisorConfig {
            max_restarts: 3,
            window_secs: 60,
            backoff_min_ms: 10,
            backoff_max_ms: 25,
        })
    }

    #[test]
    fn backs_off_then_quarantines_past_the_limit() {
        let mut p = policy();
        let t = Instant::now();
        assert_eq!(p.on_crash(t), Decision::Restart(Duration::ZERO));
        assert_eq!(p.on_crash(t), Decision::Restart(Duration::from_millis(10)));
        assert_eq!(p.on_crash(t), Decision::Restart(Duration::from_millis(20)));
        assert_eq!(p.on_crash(t), Decision::Quarantine);
        assert_eq!(p.total, 3);
    }

    #[test]
    fn backoff_is_capped() {
        let mut p = RestartPolicy::new(SupervisorConfig {
            max_restarts: 10,
            window_secs: 60,
            backoff_min_ms: 10,
            backoff_max_ms: 25,
        });
        let t = Instant::now();
        let delays: Vec<_> = (0..5).map(|_| p.on_crash(t)).collect();
        assert_eq!(delays[4], Decision::Restart(Duration::from_millis(25)));
    }

    #[test]
    fn crashes_older_than_the_window_do_not_count() {
        let mut p = policy();
        let t = Instant::now();
        for _ in 0..3 {
            p.on_crash(t);
        }
        let later = t + Duration::from_secs(61);
        assert_eq!(p.on_crash(later), Decision::Restart(Duration::ZERO));
    }

    #[test]
    fn an_operator_reset_clears_the_window() {
        let mut p = policy();
        let t = Instant::now();
        for _ in 0..3 {
            p.on_crash(t);
        }
        p.reset();
        assert_eq!(p.on_crash(t), Decision::Restart(Duration::ZERO));
        assert_eq!(p.total, 4);
    }
}
