//! `SessionDirectory`: every live WebSocket session, so the server can reach them all
//! at shutdown (close 1001), those of one token when it is revoked (close 4502), and
//! those an operator lists or disconnects (close 4503) through their shared facts
//! (`SessionFacts`), without asking the session actors.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::exchange::Outbound;
use super::mailbox::TrackedRecipient;
use super::session_facts::SessionFacts;
use crate::live_sessions::{SessionFilter, SessionInfo};
use crate::protocol::close::CloseCode;

/// How long past the token cache lifetime a revoked token is still remembered: more
/// than an upgrade that verified the token just before the revoke can take to register.
pub const REVOKED_MARGIN: Duration = Duration::from_secs(60);

/// Live sessions by id. A plain mutex: it is touched once per connect and disconnect.
pub struct SessionDirectory {
    inner: Mutex<Inner>,
    /// How long a revoked token is remembered (`auth.token_cache_secs` + [`REVOKED_MARGIN`]).
    revoked_ttl: Duration,
}

impl Default for SessionDirectory {
    fn default() -> Self {
        Self::new(Duration::ZERO)
    }
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<u64, Entry>,
    /// Tokens revoked through this process, with when. A session whose upgrade
    /// verified its token just before the revoke may register just after
    /// `close_token` ran; it is refused here, under the same lock, so no revoked
    /// session survives. Entries older than `revoked_ttl` are pruned at the next
    /// revoke: by then no such racing upgrade can still be under way (and the token
    /// cache no longer holds the token), so the set holds only recent revokes.
    revoked: HashMap<String, Instant>,
}

struct Entry {
    facts: Arc<SessionFacts>,
    out: TrackedRecipient<Outbound>,
}

impl SessionDirectory {
    /// A directory that remembers revoked tokens for `token_cache` (the token cache
    /// lifetime) plus [`REVOKED_MARGIN`].
    pub fn new(token_cache: Duration) -> Self {
        Self { inner: Mutex::default(), revoked_ttl: token_cache + REVOKED_MARGIN }
    }

    /// Adds a session; false (and nothing added) if its token was revoked meanwhile.
    #[must_use]
    pub fn register(&self, id: u64, facts: Arc<SessionFacts>, out: TrackedRecipient<Outbound>) -> bool {
        let mut inner = self.lock();
        if facts.token_id.as_ref().is_some_and(|t| inner.revoked.contains_key(t)) {
            return false;
        }
        inner.sessions.insert(id, Entry { facts, out });
        true
    }

    /// The session `id`'s frame queue, if it is connected.
    pub fn get(&self, id: u64) -> Option<TrackedRecipient<Outbound>> {
        self.lock().sessions.get(&id).map(|e| e.out.clone())
    }

    pub fn unregister(&self, id: u64) {
        self.lock().sessions.remove(&id);
    }

    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends every session a control message (drain, close).
    pub fn broadcast(&self, msg: impl Fn() -> Outbound) {
        for e in self.lock().sessions.values() {
            // do_send: control messages must get through even when a session's queue is full.
            e.out.do_send(msg());
        }
    }

    /// Closes the sessions opened with token `token_id` (4502 "token revoked"), and
    /// refuses any that register later; returns how many were closed.
    pub fn close_token(&self, token_id: &str) -> usize {
        let mut guard = self.lock();
        self.remember_revoked(&mut guard, token_id, Instant::now());
        let mut n = 0;
        for e in guard.sessions.values().filter(|e| e.facts.token_id.as_deref() == Some(token_id)) {
            e.out.do_send(Outbound::close(CloseCode::TokenRevoked));
            n += 1;
        }
        n
    }

    /// The sessions matching `filter` whose id sorts after `after`, by id, at most
    /// `limit` of them; `node` is this node's id in cluster mode. The directory's lock
    /// is held only to copy the session list; no session actor is asked anything.
    pub fn list(
        &self,
        filter: &SessionFilter,
        after: Option<&str>,
        limit: usize,
        node: Option<&str>,
    ) -> Vec<SessionInfo> {
        let mut found: Vec<Arc<SessionFacts>> = self
            .facts()
            .into_iter()
            .filter(|f| after.is_none_or(|a| f.name.as_str() > a) && f.matches(filter))
            .collect();
        found.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        found.into_iter().take(limit).map(|f| f.info(node)).collect()
    }

    /// Closes the sessions matching `filter` with 4503 ("disconnected by an
    /// operator"), the operator's `reason` after the code's own words; returns their ids.
    pub fn disconnect(&self, filter: &SessionFilter, reason: Option<&str>) -> Vec<String> {
        let text = CloseCode::DisconnectedByOperator.reason_with(reason.unwrap_or_default());
        let entries: Vec<_> =
            self.lock().sessions.values().map(|e| (e.facts.clone(), e.out.clone())).collect();
        let mut closed = Vec::new();
        for (facts, out) in entries {
            if facts.matches(filter) {
                // do_send: a close must get through even when the session's queue is full.
                out.do_send(Outbound::Close {
                    code: CloseCode::DisconnectedByOperator.code(),
                    reason: text.clone().into(),
                });
                closed.push(facts.name.clone());
            }
        }
        closed.sort_unstable();
        closed
    }

    fn facts(&self) -> Vec<Arc<SessionFacts>> {
        self.lock().sessions.values().map(|e| e.facts.clone()).collect()
    }

    /// How many revoked tokens are remembered now.
    pub fn revoked_len(&self) -> usize {
        self.lock().revoked.len()
    }

    /// Records a revoke at `now`, first forgetting those older than `revoked_ttl`.
    fn remember_revoked(&self, inner: &mut Inner, token_id: &str, now: Instant) {
        let ttl = self.revoked_ttl;
        inner.revoked.retain(|_, at| now.saturating_duration_since(*at) < ttl);
        inner.revoked.insert(token_id.to_owned(), now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the map inconsistent (single
        // insert/remove calls), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_tokens_are_forgotten_after_the_cache_lifetime_and_margin() {
        let dir = SessionDirectory::new(Duration::from_secs(30));
        let t0 = Instant::now();
        // Ten thousand revokes within one lifetime are all remembered.
        for i in 0..10_000u64 {
            let mut g = dir.lock();
            dir.remember_revoked(&mut g, &format!("tok_{i}"), t0 + Duration::from_millis(i));
        }
        assert_eq!(dir.revoked_len(), 10_000);
        // A revoke just inside the lifetime of the oldest keeps them all.
        let edge = t0 + Duration::from_secs(30) + REVOKED_MARGIN - Duration::from_millis(1);
        dir.remember_revoked(&mut dir.lock(), "tok_edge", edge);
        assert_eq!(dir.revoked_len(), 10_001);
        assert!(dir.lock().revoked.contains_key("tok_0"));
        // One lifetime later, the next revoke prunes everything older.
        let later = t0 + Duration::from_secs(30) + REVOKED_MARGIN + Duration::from_secs(11);
        dir.remember_revoked(&mut dir.lock(), "tok_late", later);
        let mut left: Vec<String> = dir.lock().revoked.keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["tok_edge", "tok_late"], "only the revokes within one lifetime are left");
    }
}
