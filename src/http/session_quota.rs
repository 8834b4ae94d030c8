//! Who may open one more WebSocket session: at most `limits.max_sessions_per_token`
//! per token and `limits.max_sessions_per_ip` per client IP at once, and none while
//! the process is near its open-file limit (`limits.max_connections`). Checked at the
//! upgrade, after the token; a session holds its [`SessionPermit`] until its
//! connection has ended.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use slog::{warn, Logger};

use crate::config::LimitsConfig;
use crate::error::{ApiError, ErrorCode};
use crate::websocket::socket;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Token(String),
    Ip(IpAddr),
}

/// Counts of open sessions, by token and by IP.
pub struct SessionQuota {
    per_token: usize,
    per_ip: usize,
    limit_loopback: bool,
    max_connections: usize,
    open: Mutex<HashMap<Key, usize>>,
    /// Unix second of the last "near the open-file limit" log line (one a second).
    last_warned: AtomicU64,
    log: Logger,
}

/// One open session's place in the counts; given back when dropped.
pub struct SessionPermit {
    quota: Arc<SessionQuota>,
    keys: Vec<Key>,
}

impl SessionQuota {
    /// `nofile`: the process's open-file limit (for `max_connections = 0`).
    pub fn new(limits: &LimitsConfig, nofile: u64, log: Logger) -> Self {
        let max_connections = match limits.max_connections {
            0 => nofile.saturating_sub(socket::RESERVED_FDS).max(1) as usize,
            n => n,
        };
        Self {
            per_token: limits.max_sessions_per_token,
            per_ip: limits.max_sessions_per_ip,
            limit_loopback: limits.sessions_limit_loopback,
            max_connections,
            open: Mutex::new(HashMap::new()),
            last_warned: AtomicU64::new(0),
            log,
        }
    }

    /// Open TCP connections past which upgrades are refused.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Refuses an upgrade while the process is at its connection ceiling (503).
    pub fn check_connections(&self) -> Result<(), ApiError> {
        let open = socket::open_connections();
        if open <= self.max_connections {
            return Ok(());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.last_warned.swap(now, Ordering::Relaxed) != now {
            warn!(self.log, "refusing WebSocket upgrades: too many open connections";
                "open" => open, "max_connections" => self.max_connections);
        }
        Err(ApiError {
            retry_after: Some(Duration::from_secs(1)),
            ..ApiError::new(
                ErrorCode::Unavailable,
                format!(
                    "the server is at its connection limit ({} open); try again later",
                    self.max_connections
                ),
            )
        })
    }

    /// Takes a place for a session of `token_id` from `ip`, or a 429 naming the limit.
    pub fn acquire(self: &Arc<Self>, token_id: &str, ip: Option<IpAddr>) -> Result<SessionPermit, ApiError> {
        let mut keys = Vec::with_capacity(2);
        if self.per_token > 0 {
            keys.push((Key::Token(token_id.to_string()), self.per_token, "max_sessions_per_token", "token"));
        }
        if let Some(ip) = ip.filter(|ip| self.per_ip > 0 && (self.limit_loopback || !ip.is_loopback())) {
            keys.push((Key::Ip(ip), self.per_ip, "max_sessions_per_ip", "address"));
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for (key, limit, setting, what) in &keys {
            if open.get(key).copied().unwrap_or(0) >= *limit {
                return Err(ApiError::new(
                    ErrorCode::RateLimited,
                    format!("this {what} already has {limit} open sessions (limits.{setting})"),
                ));
            }
        }
        let keys: Vec<Key> = keys.into_iter().map(|(k, ..)| k).collect();
        for key in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(SessionPermit { quota: self.clone(), keys })
    }
}

impl Drop for SessionPermit {
    fn drop(&mut self) {
        let mut open = self.quota.open.lock().unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(per_token: usize, per_ip: usize, limit_loopback: bool) -> Arc<SessionQuota> {
        let mut limits = crate::config::Settings::load(None).expect("default config").limits;
        limits.max_sessions_per_token = per_token;
        limits.max_sessions_per_ip = per_ip;
        limits.sessions_limit_loopback = limit_loopback;
        Arc::new(SessionQuota::new(&limits, 1024, Logger::root(slog::Discard, slog::o!())))
    }

    #[test]
    fn a_token_gets_its_places_back_when_sessions_end() {
        let q = quota(2, 0, true);
        let (a, _b) = (q.acquire("t1", None).unwrap(), q.acquire("t1", None).unwrap());
        let err = q.acquire("t1", None).err().expect("third session refused");
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(err.message.contains("limits.max_sessions_per_token"), "{}", err.message);
        assert!(q.acquire("t2", None).is_ok(), "another token is not limited by t1's sessions");
        drop(a);
        assert!(q.acquire("t1", None).is_ok());
    }

    #[test]
    fn loopback_counts_per_ip_unless_configured_otherwise() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let q = quota(0, 1, true);
        let _a = q.acquire("t1", Some(lo)).unwrap();
        assert!(q.acquire("t2", Some(lo)).is_err(), "second session from the same address");
        let q = quota(0, 1, false);
        let _a = q.acquire("t1", Some(lo)).unwrap();
        assert!(q.acquire("t2", Some(lo)).is_ok(), "loopback exempt");
    }
}
