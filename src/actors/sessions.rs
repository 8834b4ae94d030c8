//! `SessionDirectory`: every live WebSocket session, so the server can reach them all
//! at shutdown (close 1001) and those of one token when it is revoked (close 1008).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::mailbox::TrackedRecipient;
use super::ws_session::Outbound;

/// Live sessions by id. A plain mutex: it is touched once per connect and disconnect.
#[derive(Default)]
pub struct SessionDirectory {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<u64, Entry>,
    /// Tokens revoked through this process. A session whose upgrade verified its
    /// token just before the revoke may register just after `close_token` ran; it is
    /// refused here, under the same lock, so no revoked session survives.
    revoked: HashSet<String>,
}

struct Entry {
    token_id: Option<String>,
    out: TrackedRecipient<Outbound>,
}

impl SessionDirectory {
    /// Adds a session; false (and nothing added) if its token was revoked meanwhile.
    #[must_use]
    pub fn register(&self, id: u64, token_id: Option<String>, out: TrackedRecipient<Outbound>) -> bool {
        let mut inner = self.lock();
        if token_id.as_ref().is_some_and(|t| inner.revoked.contains(t)) {
            return false;
        }
        inner.sessions.insert(id, Entry { token_id, out });
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

    /// Closes the sessions opened with token `token_id`, and refuses any that
    /// register later; returns how many were closed.
    pub fn close_token(&self, token_id: &str, code: u16, reason: &'static str) -> usize {
        let mut guard = self.lock();
        guard.revoked.insert(token_id.to_owned());
        let mut n = 0;
        for e in guard.sessions.values().filter(|e| e.token_id.as_deref() == Some(token_id)) {
            e.out.do_send(Outbound::Close { code, reason });
            n += 1;
        }
        n
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the map inconsistent (single
        // insert/remove calls), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
