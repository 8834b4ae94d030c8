//! What this node does with what the cluster brings it (the actors' side of
//! `cluster::serve::NodeInbox`): calls to the rooms it owns go to the room actors,
//! frames for its sessions to the session actors, control messages (a token revoked, a
//! broadcast cancelled) to whoever acts on them, and a NATS reconnect makes every
//! room read from the store what its members missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use super::exchange::Outbound;
use super::mailbox::{ActorStatus, TrackedAddr};
use super::registry::{FindRoom, GetRoom, Resync, RoomRegistry};
use super::room::{RemoteCall, Room};
use super::sessions::SessionDirectory;
use crate::cluster::serve::NodeInbox;
use crate::cluster::wire::{CallBody, CallReply, Control, NodeCall, OutboundWire, RoomCall};
use crate::error::ErrorCode;
use crate::model::RoomId;

/// How often the inbox forgets the addresses of stopped rooms.
const CACHE_PRUNE: Duration = Duration::from_secs(5);

/// The node's inbox.
pub struct ClusterInbox {
    registry: TrackedAddr<RoomRegistry>,
    sessions: Arc<SessionDirectory>,
    /// Runs a control message on this node.
    control: Box<dyn Fn(Control) + Send + Sync>,
    /// Room addresses already looked up, so a call costs no registry round trip. Those
    /// of stopped rooms (deleted, or idle: `rooms.idle_stop_secs`) are dropped now and
    /// then, so the actor of a room that is called no more can go away.
    rooms: Mutex<RoomCache>,
}

type RoomCache = HashMap<RoomId, TrackedAddr<Room>>;

impl ClusterInbox {
    /// Makes the inbox and starts its cache pruning (every [`CACHE_PRUNE`], until the
    /// inbox is dropped).
    pub fn start(
        registry: TrackedAddr<RoomRegistry>,
        sessions: Arc<SessionDirectory>,
        control: impl Fn(Control) + Send + Sync + 'static,
    ) -> Arc<Self> {
        let rooms = Mutex::new(RoomCache::new());
        let inbox = Arc::new(Self { registry, sessions, control: Box::new(control), rooms });
        let weak = Arc::downgrade(&inbox);
        tokio::spawn(async move {
            let mut prune = tokio::time::interval(CACHE_PRUNE);
            loop {
                prune.tick().await;
                let Some(inbox) = weak.upgrade() else { break };
                inbox.cache().retain(|_, a| live(a));
            }
        });
        inbox
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, RoomCache> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live room actor for `room`, from the cache or the registry. A call for
    /// `Stats` does not start a room that is not running: no `Stats` answer means
    /// `stopped` to the asking node.
    async fn room(&self, room: &RoomId, body: &CallBody) -> Result<TrackedAddr<Room>, CallReply> {
        let cached = self.cache().get(room).filter(|a| live(a)).cloned();
        if let Some(addr) = cached {
            return Ok(addr);
        }
        // A deleted (or never existing) room's actor is `stopped`: ask the registry,
        // which starts a fresh one if the room exists again.
        if matches!(body, CallBody::Stats) {
            return match self.registry.send(FindRoom(room.clone())).await.ok().flatten() {
                Some(a) => Ok(a),
                None => Err(CallReply::refused(ErrorCode::NotFound, "room not running")),
            };
        }
        match self.registry.send(GetRoom(room.clone())).await {
            Ok(a) => {
                self.cache().insert(room.clone(), a.clone());
                Ok(a)
            }
            Err(_) => Err(CallReply::refused(ErrorCode::RoomUnavailable, "room registry unavailable")),
        }
    }
}

fn live(a: &TrackedAddr<Room>) -> bool {
    a.connected() && a.stats().status() != ActorStatus::Stopped
}

impl NodeInbox for ClusterInbox {
    fn room_call(&self, call: RoomCall) -> BoxFuture<'_, Result<oneshot::Receiver<CallReply>, CallReply>> {
        Box::pin(async move {
            let room = RoomId::parse(&call.room)
                .map_err(|e| CallReply::refused(ErrorCode::BadRequest, e.to_string()))?;
            let addr = self.room(&room, &call.body).await?;
            let (tx, rx) = oneshot::channel();
            // do_send, in arrival order: a session's calls reach the room in the order sent.
            addr.do_send(RemoteCall { call, reply: tx });
            Ok(rx)
        })
    }

    fn node_call(&self, call: NodeCall) -> CallReply {
        match call {
            NodeCall::ListSessions { filter, after, limit } => {
                CallReply::Sessions { items: self.sessions.list(&filter, after.as_deref(), limit, None) }
            }
        }
    }

    fn to_session(&self, session: u64, out: OutboundWire) {
        let Some(to) = self.sessions.get(session) else { return };
        to.do_send(match out {
            OutboundWire::Direct { frame } => Outbound::Direct(frame.into()),
            OutboundWire::Violation { frame } => Outbound::Violation(frame.into()),
            OutboundWire::RoomClosed { room, frame } => match RoomId::parse(&room) {
                Ok(room) => Outbound::RoomClosed { room, frame: frame.into() },
                Err(_) => return,
            },
            OutboundWire::Close { code, reason } => Outbound::Close { code, reason: reason.into() },
        });
    }

    fn control(&self, control: Control) {
        (self.control)(control)
    }

    fn reconnected(&self) {
        self.registry.do_send(Resync);
    }
}
