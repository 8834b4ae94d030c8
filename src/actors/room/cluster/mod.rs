//! A room in cluster mode (docs/CLUSTER.md). The node that holds the room's lease
//! (`room:ID` in `store::cluster`) is its **owner**: the room runs there exactly as on
//! a single node. On every other node the same actor is a **replica**:
//!
//! - it keeps only its node's sessions (`online`) and forwards what they do (join,
//!   send, leave, typing, read, register_command) and what operators ask (stats,
//!   restart, delete, kick, settings) to the owner over NATS ([`Cluster::call`]);
//! - it subscribes to the room's subject, on which the owner publishes each committed
//!   batch once, and delivers the frames to its sessions; a seq gap (frames lost while
//!   NATS was down) is read from the store first, so members see every seq once, in
//!   order.
//!
//! On the owner, a session of another node is a `RemoteSession` stand-in (an alias id
//! in `online`), so presence, notices, command invocations and kicks work unchanged;
//! room-wide frames skip the stand-ins and go out once on the room's subject.
//!
//! When the owner is lost (a call finds another holder, or the owner's heartbeat goes
//! stale), a replica restarts and claims the lease again, keeping its sessions: they
//! are joined at the new owner, or become members here if this node won the room, and
//! read what they missed from the store. Sends still open are answered
//! `room_unavailable` (a forwarded send is answered after its commit, so the replica
//! knows which are open); a session that cannot be moved is closed with 1012.

pub mod convert;
mod owner;
mod replica;
mod route;

use crate::actors::shell::Shell;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn};
use tokio::sync::oneshot;

use super::messages::{RoomError, SendTicket, SessionId};
use super::{Room, Status};
use crate::actors::exchange::RoomFrame;
use crate::actors::store_writer::ForgetRoom;
pub(super) use crate::cluster::wire::CallBody;
use crate::cluster::wire::{CallReply, NodeKey, RoomBatch, RoomCall};
use crate::error::ErrorCode;
use crate::model::UserRef;
use crate::store::cluster::{self as leases, LeaseHolder};

/// Alias ids of remote sessions on an owner: far above this process's own session ids.
pub(super) static NEXT_ALIAS: AtomicU64 = AtomicU64::new(1 << 62);

/// How long to wait before claiming again when the store is unreachable.
pub(super) const CLAIM_RETRY: Duration = Duration::from_millis(500);

/// What this node is for the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Owner,
    Replica(String),
}

/// The room's cluster state (empty on a single node).
#[derive(Default)]
pub(super) struct ClusterState {
    part: Option<Part>,
    /// Owner: the alias of each remote session, and back.
    aliases: HashMap<(NodeKey, u64), SessionId>,
    alias_of: HashMap<SessionId, (NodeKey, u64)>,
    /// Owner: the incarnation each node last called from.
    incarnations: HashMap<String, u64>,
    /// Replica: the subscription to the room's subject, while it has sessions here.
    sub: Option<SpawnHandle>,
    /// Replica: a lease check is under way.
    checking: bool,
    /// Replica: who each of this node's sessions is, to join them again at a new owner
    /// (or to make them members here if this node takes the room over).
    users: HashMap<SessionId, UserRef>,
    /// Replica: sends forwarded and not answered yet, answered `room_unavailable` if the
    /// owner is lost meanwhile (the client resends with the same `client_id`).
    inflight: HashMap<u64, SendTicket>,
    next_inflight: u64,
    /// Replica: "call to the room's owner failed", at most one line per period.
    call_failures: crate::logging::Throttle,
}

/// A call from another node to this room (which this node should own).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RemoteCall {
    pub call: RoomCall,
    pub reply: oneshot::Sender<CallReply>,
}

/// NATS is back after an outage: replicas read what they missed from the store.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Resync;

/// These nodes stopped heartbeating: drop their sessions (owner), or claim again a
/// room one of them owned, moving this node's sessions (replica).
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct NodesDown(pub Arc<Vec<String>>);

crate::actor_shell!(Room: RemoteCall, Resync, NodesDown);

/// A forwarded call's outcome as seen by the replica.
pub(super) type Forwarded = Result<CallReply, RoomError>;

impl Room {
    /// At start and after each restart: claim the lease (cluster) or just load.
    pub(in crate::actors::room) fn start_up(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        let Some(cluster) = self.deps.cluster.clone() else { return self.load(delay, ctx) };
        self.set_status(Status::Loading);
        self.cluster.part = None;
        self.cluster.checking = false;
        // A restart dropped the subscription's stream.
        self.cluster.sub = None;
        let (store, name, node) =
            (self.deps.store.clone(), lease_name(self.id.as_str()), cluster.me.node.clone());
        let lease_ms = cluster.cfg.lease_ms as i64;
        let fut = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            store.run(move |c| leases::acquire(c, &name, &node, lease_ms)).await
        };
        ctx.wait(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(LeaseHolder::Me { epoch }) => {
                info!(act.log, "room owned here"; "epoch" => epoch);
                act.cluster.part = Some(Part::Owner);
                // Another node may have written the room since this one last did: the
                // writer reads its last seq afresh (this message precedes the room's
                // appends in the writer's mailbox).
                act.writer().do_send(ForgetRoom(act.id.to_string()));
                act.load(Duration::ZERO, ctx);
            }
            Ok(LeaseHolder::Other(owner)) => {
                act.become_replica(owner);
                act.reattach(ctx);
            }
            Err(e) => {
                warn!(act.log, "cannot claim the room's lease; retrying"; "err" => %e);
                act.set_status(Status::Unavailable);
                act.start_up(CLAIM_RETRY, ctx);
            }
        }));
    }

    pub(in crate::actors::room) fn become_replica(&mut self, owner: String) {
        info!(self.log, "room owned by another node"; "owner" => &owner);
        self.cluster.part = Some(Part::Replica(owner));
        self.set_status(Status::Running);
    }

    /// Subscribes to the room's subject, then runs `then`. The mailbox and the room's
    /// spawned futures wait meanwhile (`ctx.wait`), so what `then` (or a later join)
    /// forwards to the owner is sent after the subscription: frames the owner
    /// publishes in answer are sure to arrive.
    pub(in crate::actors::room) fn subscribe(
        &mut self,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut Self, &mut Context<Self>) + 'static,
    ) {
        let Some(cluster) = &self.deps.cluster else { return };
        let (client, subject) = (cluster.client().clone(), cluster.room_subject(self.id.as_str()));
        ctx.wait(async move { client.subscribe(subject).await }.into_actor(self).map(|sub, act, ctx| {
            match sub {
                Ok(sub) => act.cluster.sub = Some(ctx.add_stream(sub)),
                Err(e) => warn!(act.log, "cannot subscribe to the room's subject"; "err" => %e),
            }
            then(act, ctx);
        }));
    }

    /// The last session here left: stop receiving the room's frames, and forget where
    /// this replica stood (the next first join sets it again).
    pub(in crate::actors::room) fn unsubscribe_if_idle(&mut self, ctx: &mut Context<Self>) {
        if self.online.is_empty() {
            if let Some(h) = self.cluster.sub.take() {
                ctx.cancel_future(h);
            }
            self.delivered_seq = None;
            self.tail.clear();
        }
    }

    /// No forwarded send of this replica waits for its answer (`idle.rs`).
    pub(in crate::actors::room) fn cluster_idle(&self) -> bool {
        self.cluster.inflight.is_empty()
    }

    /// The room retires (`idle.rs`): a replica stops receiving the room's frames; an
    /// owner keeps the lease. Either way the actor no longer acts as either, so
    /// anything that still reaches it is refused.
    pub(in crate::actors::room) fn retire_cluster(&mut self, ctx: &mut Context<Self>) {
        if let Some(h) = self.cluster.sub.take() {
            ctx.cancel_future(h);
        }
        self.cluster.part = None;
    }

    /// The owner's node id when this node is a replica of the room.
    pub(in crate::actors::room) fn replica_of(&self) -> Option<&str> {
        match &self.cluster.part {
            Some(Part::Replica(owner)) => Some(owner),
            _ => None,
        }
    }

    /// Owner in cluster mode: room-wide frames are published for the replicas.
    pub(in crate::actors::room) fn publish_batch(&self, frames: &[RoomFrame], skip_user: Option<&str>) {
        let (Some(cluster), Some(Part::Owner)) = (&self.deps.cluster, &self.cluster.part) else { return };
        let batch = RoomBatch {
            frames: frames.iter().map(|f| (f.seq, f.text.to_string())).collect(),
            skip_user: skip_user.map(str::to_string),
        };
        if !cluster.publish_json(cluster.room_subject(self.id.as_str()), &batch) {
            warn!(self.log, "room frames not published (queue full); replicas will repair from the store");
        }
    }

    /// Whether `session` is another node's session (its frames go by the room subject).
    pub(in crate::actors::room) fn is_remote(&self, session: &SessionId) -> bool {
        !self.cluster.alias_of.is_empty() && self.cluster.alias_of.contains_key(session)
    }

    /// Forgets a remote session's alias (it left or was dropped).
    pub(in crate::actors::room) fn forget_alias(&mut self, session: SessionId) {
        if let Some(key) = self.cluster.alias_of.remove(&session) {
            self.cluster.aliases.remove(&key);
        }
    }

    /// An owner in cluster mode whose own heartbeat is stale must not commit: another
    /// node may be taking its rooms.
    pub(in crate::actors::room) fn check_fenced(&self) -> Result<(), RoomError> {
        match &self.deps.cluster {
            Some(c) if !c.lease_fresh() => Err(RoomError::Remote {
                code: ErrorCode::RoomUnavailable,
                message: "this node lost contact with the store; retry".into(),
            }),
            _ => Ok(()),
        }
    }
}

impl StreamHandler<async_nats::Message> for Room {
    fn handle(&mut self, msg: async_nats::Message, ctx: &mut Context<Self>) {
        match serde_json::from_slice::<RoomBatch>(&msg.payload) {
            Ok(batch) => {
                self.guarded(ctx, "replica frames", |room, ctx| room.on_batch(batch, ctx));
            }
            Err(e) => warn!(self.log, "bad room frames from the owner"; "err" => %e),
        }
    }

    /// The subscription ends only when the room stops; nothing to do.
    fn finished(&mut self, _: &mut Context<Self>) {}
}

impl Handler<RemoteCall> for Room {
    type Result = ();

    fn handle(&mut self, m: RemoteCall, ctx: &mut Context<Self>) {
        // A panic drops the reply channel: the caller is answered "room crashed; retry".
        self.on_remote_call(m, ctx);
    }
}

impl Handler<Resync> for Room {
    type Result = ();

    fn handle(&mut self, _: Resync, ctx: &mut Context<Self>) {
        if self.replica_of().is_some() {
            if let Some(d) = self.delivered_seq {
                self.catch_up(d, None, Vec::new(), ctx);
            }
        }
    }
}

impl Handler<NodesDown> for Room {
    type Result = ();

    fn handle(&mut self, m: NodesDown, ctx: &mut Context<Self>) {
        self.on_nodes_down(&m.0, ctx);
    }
}

/// The lease name of a room.
pub fn lease_name(room: &str) -> String {
    format!("room:{room}")
}
