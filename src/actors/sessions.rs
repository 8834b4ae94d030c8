//! `SessionDirectory`: every live WebSocket session, so the server can reach them all
//! at shutdown (close 1001) and those of one token when it is revoked (close 1008).

use std::collections::HashMap;
use std::sync::Mutex;

use super::mailbox::TrackedRecipient;
use super::ws_session::Outbound;

/// Live sessions by id. A plain mutex: it is touched once per connect and disconnect.
#[derive(Default)]
pub struct SessionDirectory {
    inner: Mutex<HashMap<u64, Entry>>,
}

struct Entry {
    token_id: Option<String>,
    out: TrackedRecipient<Outbound>,
}

impl SessionDirectory {
    pub fn register(&self, id: u64, token_id: Option<String>, out: TrackedRecipient<Outbound>) {
        self.lock().insert(id, Entry { token_id, out });
    }

    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends every session a control message (drain, close).
    pub fn broadcast(&self, msg: impl Fn() -> Outbound) {
        for e in self.lock().values() {
            // do_send: control messages must get through even when a session's queue is full.
            e.out.do_send(msg());
        }
    }

    /// Closes the sessions opened with token `token_id`; returns how many.
    pub fn close_token(&self, token_id: &str, code: u16, reason: &'static str) -> usize {
        let guard = self.lock();
        let mut n = 0;
        for e in guard.values().filter(|e| e.token_id.as_deref() == Some(token_id)) {
            e.out.do_send(Outbound::Close { code, reason });
            n += 1;
        }
        n
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        // A panic while holding this lock cannot leave the map inconsistent (single
        // insert/remove calls), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
