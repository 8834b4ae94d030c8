//! Retry delays, written once for the process: a [`Backoff`] turns "this is retry
//! number n" into how long to wait. It only computes; each caller schedules the retry
//! itself (`ctx.run_later` in an actor, the reconnect callback of the NATS client), so
//! a retry count that lives in an actor, in a sliding window or in the store works as
//! well as one in a loop.
//!
//! Who waits how (delays in whole milliseconds):
//!
//! | caller | schedule |
//! |---|---|
//! | restart of a supervised actor (`src/actors/supervisor.rs`, `[supervisor]`) | the k-th crash in the window waits `delay(k-1)`: at once, then `backoff_min_ms` doubling, capped at `backoff_max_ms` |
//! | store writer, store unavailable (`src/actors/store_writer.rs`) | 20 ms doubling to 2 s; back to 20 ms after a commit succeeds |
//! | broadcast delivery to an unavailable room (`src/actors/broadcast/job/mod.rs`, `[broadcast]`) | attempt n waits `jittered(n)`: `retry_min_ms` doubling, capped at `retry_max_ms` (at least `retry_min_ms`), then between half and all of it |
//! | NATS reconnect (`src/cluster/mod.rs`) | linear: 100 ms per failed attempt, at most 1 s |

use std::time::Duration;

/// How the delay grows from one retry to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Growth {
    /// first, 2·first, 4·first, …
    Doubling,
    /// first, 2·first, 3·first, …
    Linear,
}

/// A retry schedule: the delay before retry 1, 2, 3, …, never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    growth: Growth,
}

impl Backoff {
    /// `first`, then doubling per retry, capped at `max`.
    pub const fn doubling(first: Duration, max: Duration) -> Self {
        Self { first, max, growth: Growth::Doubling }
    }

    /// `step` more per retry, capped at `max`.
    pub const fn linear(step: Duration, max: Duration) -> Self {
        Self { first: step, max, growth: Growth::Linear }
    }

    /// The delay before retry `n` (1 = the first retry; 0 = no wait).
    pub fn delay(&self, n: u32) -> Duration {
        if n == 0 {
            return Duration::ZERO;
        }
        let factor = match self.growth {
            Growth::Doubling => 1u64.checked_shl(n - 1).unwrap_or(u64::MAX),
            Growth::Linear => u64::from(n),
        };
        Duration::from_millis(millis(self.first).saturating_mul(factor).min(millis(self.max)))
    }

    /// [`Backoff::delay`] spread uniformly over between half and all of it, so retries
    /// that failed together do not come back together.
    pub fn jittered(&self, n: u32) -> Duration {
        let full = millis(self.delay(n));
        let half = full / 2;
        Duration::from_millis(half + rand::random_range(0..=full - half))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn doubling_starts_at_first_and_is_capped() {
        let b = Backoff::doubling(MS(20), MS(2000));
        let delays: Vec<u64> = (0..10).map(|n| b.delay(n).as_millis() as u64).collect();
        assert_eq!(delays, [0, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000]);
        assert_eq!(b.delay(u32::MAX), MS(2000), "no overflow far out");
    }

    #[test]
    fn linear_adds_a_step_per_retry_and_is_capped() {
        let b = Backoff::linear(MS(100), MS(1000));
        let delays: Vec<u64> = [0, 1, 2, 9, 10, 11, u32::MAX].map(|n| b.delay(n).as_millis() as u64).into();
        assert_eq!(delays, [0, 100, 200, 900, 1000, 1000, 1000]);
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay() {
        let b = Backoff::doubling(MS(7), MS(7));
        let seen: Vec<u64> = (0..200).map(|_| b.jittered(1).as_millis() as u64).collect();
        assert!(seen.iter().all(|d| (3..=7).contains(d)), "{seen:?}");
        assert!(seen.contains(&3) && seen.contains(&7), "both ends are reached: {seen:?}");
        assert_eq!(b.jittered(0), Duration::ZERO);
    }
}
