//! The scheduler's time source, injectable so schedules can be tested without waiting.
//! Production uses [`SystemClock`]. With `debug.fault_injection = true` the server uses
//! a [`TestClock`]: it follows the system clock until a test sets it
//! (`POST /api/v1/debug/clock`), then stands at the time set until set again.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::SeqCst};
use std::sync::Arc;

/// Now, in Unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// A clock shared by the scheduler and the schedules API.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::model::now_ms()
    }
}

/// A clock a test can set (test-only; see the module docs).
#[derive(Default)]
pub struct TestClock {
    set: AtomicBool,
    at_ms: AtomicI64,
}

impl TestClock {
    /// From now on the clock reads `ms` (until set again).
    pub fn set(&self, ms: i64) {
        self.at_ms.store(ms, SeqCst);
        self.set.store(true, SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        if self.set.load(SeqCst) {
            self.at_ms.load(SeqCst)
        } else {
            crate::model::now_ms()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_follows_the_system_until_set() {
        let c = TestClock::default();
        assert!((c.now_ms() - crate::model::now_ms()).abs() < 1000);
        c.set(42);
        assert_eq!(c.now_ms(), 42);
    }
}
