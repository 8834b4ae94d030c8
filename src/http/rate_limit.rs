//! The admin API's request rate limit: one governor token bucket per admin token
//! (`limits.admin_per_sec`, `limits.admin_burst`), checked by the `AdminAuth` extractor
//! once the token is known to be a live admin token. Keys are token ids, so the map
//! holds at most one entry per admin token ever used, and an unauthenticated caller
//! cannot grow it or spend an admin's budget.

use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitsConfig;
use crate::error::{ApiError, ErrorCode};

/// Token buckets keyed by admin token id.
pub struct AdminLimiter {
    buckets: DefaultKeyedRateLimiter<String>,
}

impl AdminLimiter {
    /// Buckets refilled at `admin_per_sec`, holding up to `admin_burst` requests
    /// (each at least 1).
    pub fn new(limits: &LimitsConfig) -> Self {
        let rate = NonZeroU32::new(limits.admin_per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.admin_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self { buckets: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)) }
    }

    /// Takes one request from `token_id`'s bucket, or a 429 `rate_limited` whose
    /// `Retry-After` says when the next request will be accepted.
    pub fn check(&self, token_id: &str) -> Result<(), ApiError> {
        let key = token_id.to_string();
        self.buckets.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.buckets.clock().now());
            ApiError {
                retry_after: Some(wait),
                ..ApiError::new(ErrorCode::RateLimited, "too many admin API requests for this token")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_sec: u32, burst: u32) -> LimitsConfig {
        LimitsConfig {
            max_text: 1,
            max_frame_bytes: 1,
            msgs_per_sec: 1,
            burst: 1,
            admin_per_sec: per_sec,
            admin_burst: burst,
            max_violations: 10,
            connects_per_ip_per_sec: 50,
            connects_limit_loopback: true,
            ..crate::config::Settings::load(None).expect("default config").limits
        }
    }

    #[test]
    fn each_token_has_its_own_burst_then_gets_429_with_a_retry_after() {
        let limiter = AdminLimiter::new(&limits(1, 3));
        for _ in 0..3 {
            assert!(limiter.check("tok_a").is_ok());
        }
        let err = limiter.check("tok_a").expect_err("the fourth request is over the burst");
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(err.retry_after.is_some_and(|d| d.as_millis() > 0), "{err:?}");
        assert!(limiter.check("tok_b").is_ok(), "another token is not limited");
    }
}
