//! WebSocket upgrade attempts per client IP (`limits.connects_per_ip_per_sec`): one
//! governor token bucket per IP, refilled at that rate and holding as many. Checked
//! before the token is looked at, so failed logins count too. Over it: 429
//! `rate_limited` with `Retry-After`, and no upgrade.
//!
//! The IP is the TCP peer address; behind a reverse proxy every client shares the
//! proxy's address, so raise the limit there (or limit at the proxy). Loopback peers
//! are not limited unless `limits.connects_limit_loopback` is on: a load test or a
//! proxy on the same host would otherwise be refused after the first 50 connections.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitsConfig;
use crate::error::{ApiError, ErrorCode};

/// Buckets kept before idle ones (full again) are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// Token buckets keyed by client IP.
pub struct UpgradeLimiter {
    buckets: DefaultKeyedRateLimiter<IpAddr>,
    limit_loopback: bool,
}

impl UpgradeLimiter {
    pub fn new(limits: &LimitsConfig) -> Self {
        let rate = NonZeroU32::new(limits.connects_per_ip_per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            buckets: RateLimiter::keyed(Quota::per_second(rate)),
            limit_loopback: limits.connects_limit_loopback,
        }
    }

    /// Takes one attempt from `ip`'s bucket, or a 429 saying when to try again.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        if ip.is_loopback() && !self.limit_loopback {
            return Ok(());
        }
        if self.buckets.len() > PRUNE_ABOVE {
            self.buckets.retain_recent();
        }
        self.buckets.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.buckets.clock().now());
            ApiError {
                retry_after: Some(wait),
                ..ApiError::new(ErrorCode::RateLimited, "too many connection attempts from this address")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ip_gets_its_own_budget() {
        let limits = LimitsConfig {
            max_text: 1,
            max_frame_bytes: 1,
            msgs_per_sec: 1,
            burst: 1,
            admin_per_sec: 1,
            admin_burst: 1,
            max_violations: 1,
            connects_per_ip_per_sec: 2,
            connects_limit_loopback: true,
            ..crate::config::Settings::load(None).expect("default config").limits
        };
        let limiter = UpgradeLimiter::new(&limits);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(a).is_ok() && limiter.check(a).is_ok());
        let err = limiter.check(a).expect_err("the third attempt in a second is over");
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(err.retry_after.is_some_and(|d| d.as_millis() > 0));
        assert!(limiter.check(b).is_ok(), "another address is not limited");
    }
}
