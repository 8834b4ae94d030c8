//! `SessionFacts`: what the admin API may know of one live session without asking its
//! actor — who, from where, since when, which rooms, and its traffic counters — kept
//! where the session directory can read it, so a listing never waits on a session's
//! mailbox. The session updates it on its own thread: the counters are relaxed atomics
//! with a single writer (a plain load and store per frame, no lock), the room set a
//! small mutex touched on join and leave only.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::mailbox::MailboxStats;
use crate::auth::Identity;
use crate::live_sessions::{SessionFilter, SessionInfo};
use crate::model::{now_ms, rfc3339, RoomId};

/// Longest `User-Agent` kept, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// Where a connection came from, as the upgrade saw it.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// The client's address (`server.trusted_proxies` applied).
    pub remote_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The shared facts of one session.
pub struct SessionFacts {
    pub name: String,
    pub user_id: String,
    pub user_name: String,
    pub kind: crate::model::UserKind,
    pub token_id: Option<String>,
    pub remote_addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    connected_at: i64,
    frames_in: AtomicU64,
    frames_out: AtomicU64,
    /// Bytes waiting in the session's outbox (`websocket::outbox` keeps it current).
    outbox_bytes: Arc<AtomicUsize>,
    mailbox: Arc<MailboxStats>,
    rooms: Mutex<BTreeSet<RoomId>>,
}

impl SessionFacts {
    pub fn new(name: String, identity: &Identity, peer: Peer, mailbox: Arc<MailboxStats>) -> Self {
        let user_agent = peer.user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        Self {
            name,
            user_id: identity.user.id.clone(),
            user_name: identity.user.name.clone(),
            kind: identity.user.kind,
            token_id: identity.token_id.clone(),
            remote_addr: peer.remote_addr,
            user_agent,
            connected_at: now_ms(),
            frames_in: AtomicU64::new(0),
            frames_out: AtomicU64::new(0),
            outbox_bytes: Arc::default(),
            mailbox,
            rooms: Mutex::default(),
        }
    }

    /// Counts a frame from the client. Only the session's own thread writes the
    /// counters, so a load and a store do (no locked read-modify-write per frame).
    pub fn frame_in(&self) {
        bump(&self.frames_in, 1);
    }

    /// Counts `n` frames written to the client (see [`Self::frame_in`]).
    pub fn frames_out(&self, n: u64) {
        bump(&self.frames_out, n);
    }

    /// The gauge the session's outbox keeps at the bytes it holds.
    pub fn outbox_gauge(&self) -> Arc<AtomicUsize> {
        self.outbox_bytes.clone()
    }

    pub fn joined(&self, room: &RoomId) {
        self.room_set().insert(room.clone());
    }

    pub fn left(&self, room: &RoomId) {
        self.room_set().remove(room);
    }

    pub fn matches(&self, filter: &SessionFilter) -> bool {
        filter.matches(&self.name, &self.user_id, self.kind, self.remote_addr, |room| {
            RoomId::parse(room).is_ok_and(|r| self.room_set().contains(&r))
        })
    }

    /// The session as the admin API shows it; `node` is this node's id in cluster mode.
    pub fn info(&self, node: Option<&str>) -> SessionInfo {
        SessionInfo {
            id: self.name.clone(),
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            kind: self.kind,
            token_id: self.token_id.clone(),
            remote_addr: self.remote_addr,
            user_agent: self.user_agent.clone(),
            connected_at: rfc3339(self.connected_at),
            rooms: self.room_set().iter().map(|r| r.to_string()).collect(),
            node: node.map(str::to_owned),
            frames_in: self.frames_in.load(Ordering::Relaxed),
            frames_out: self.frames_out.load(Ordering::Relaxed),
            outbound_queue_messages: self.mailbox.depth(),
            outbound_queue_bytes: self.outbox_bytes.load(Ordering::Relaxed) as u64,
        }
    }

    fn room_set(&self) -> std::sync::MutexGuard<'_, BTreeSet<RoomId>> {
        // Single inserts and removes: a poisoned set is still consistent.
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Adds `n` to a counter that only one thread writes.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}
