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
//! stale), a replica closes its sessions with 1012 — clients reconnect and resume with
//! `after_seq` — and restarts, claiming the lease again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn};
use tokio::sync::oneshot;

use super::messages::{
    Join, JoinReply, Leave, Replay, ReplyTo, RoomError, RoomStats, SendText, SendTicket, SessionId,
};
use super::{
    CloseRoom, Crash, Kick, MarkRead, RegisterCommand, ReloadRoles, Restart, Room, SettingsChanged, Status,
    Typing,
};
use crate::actors::remote_session::RemoteSession;
use crate::actors::ws_session::{Outbound, RoomFrame};
pub(super) use crate::cluster::wire::CallBody;
use crate::cluster::wire::{
    code_of, CallReply, JoinedWire, MemberWire, NodeKey, ReplayWire, RoomBatch, RoomCall, StatsWire,
};
use crate::error::{ErrorCode, HasCode};
use crate::protocol::outbound::MemberView;
use crate::store::cluster::{self as leases, LeaseHolder};
use crate::store::messages::MessageRow;

/// Alias ids of remote sessions on an owner: far above this process's own session ids.
static NEXT_ALIAS: AtomicU64 = AtomicU64::new(1 << 62);

/// How long to wait before claiming again when the store is unreachable.
const CLAIM_RETRY: Duration = Duration::from_millis(500);

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
    /// Replica: the subscription to the room's subject, while it has sessions here.
    sub: Option<SpawnHandle>,
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

/// These nodes stopped heartbeating: drop their sessions (owner) or give up a room
/// they owned (replica).
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct NodesDown(pub Arc<Vec<String>>);

crate::tracked_handlers!(Room: RemoteCall, Resync, NodesDown);

/// A forwarded call's outcome as seen by the replica.
type Forwarded = Result<CallReply, RoomError>;

impl Room {
    /// At start and after each restart: claim the lease (cluster) or just load.
    pub(super) fn start_up(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        let Some(cluster) = self.deps.cluster.clone() else { return self.load(delay, ctx) };
        self.set_status(Status::Loading);
        self.cluster.part = None;
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
                act.load(Duration::ZERO, ctx);
            }
            Ok(LeaseHolder::Other(owner)) => act.become_replica(owner),
            Err(e) => {
                warn!(act.log, "cannot claim the room's lease; retrying"; "err" => %e);
                act.set_status(Status::Unavailable);
                act.start_up(CLAIM_RETRY, ctx);
            }
        }));
    }

    fn become_replica(&mut self, owner: String) {
        info!(self.log, "room owned by another node"; "owner" => &owner);
        self.cluster.part = Some(Part::Replica(owner));
        self.set_status(Status::Running);
    }

    /// Subscribes to the room's subject before the first session joins here; the
    /// mailbox waits meanwhile, so the join is forwarded only once frames published
    /// after it are sure to arrive.
    fn subscribe(&mut self, ctx: &mut Context<Self>) {
        let Some(cluster) = &self.deps.cluster else { return };
        let (client, subject) = (cluster.client().clone(), cluster.room_subject(self.id.as_str()));
        ctx.wait(async move { client.subscribe(subject).await }.into_actor(self).map(
            |sub, act, ctx| match sub {
                Ok(sub) => act.cluster.sub = Some(ctx.add_stream(sub)),
                Err(e) => warn!(act.log, "cannot subscribe to the room's subject"; "err" => %e),
            },
        ));
    }

    /// The last session here left: stop receiving the room's frames, and forget where
    /// this replica stood (the next first join sets it again).
    fn unsubscribe_if_idle(&mut self, ctx: &mut Context<Self>) {
        if self.online.is_empty() {
            if let Some(h) = self.cluster.sub.take() {
                ctx.cancel_future(h);
            }
            self.delivered_seq = None;
            self.tail.clear();
        }
    }

    /// The owner's node id when this node is a replica of the room.
    pub(super) fn replica_of(&self) -> Option<&str> {
        match &self.cluster.part {
            Some(Part::Replica(owner)) => Some(owner),
            _ => None,
        }
    }

    /// Owner in cluster mode: room-wide frames are published for the replicas.
    pub(super) fn publish_batch(&self, frames: &[RoomFrame], skip_user: Option<&str>) {
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
    pub(super) fn is_remote(&self, session: &SessionId) -> bool {
        !self.cluster.alias_of.is_empty() && self.cluster.alias_of.contains_key(session)
    }

    /// Forgets a remote session's alias (it left or was dropped).
    pub(super) fn forget_alias(&mut self, session: SessionId) {
        if let Some(key) = self.cluster.alias_of.remove(&session) {
            self.cluster.aliases.remove(&key);
        }
    }

    /// An owner in cluster mode whose own heartbeat is stale must not commit: another
    /// node may be taking its rooms.
    pub(super) fn check_fenced(&self) -> Result<(), RoomError> {
        match &self.deps.cluster {
            Some(c) if !c.lease_fresh() => Err(RoomError::Remote {
                code: ErrorCode::RoomUnavailable,
                message: "this node lost contact with the store; retry".into(),
            }),
            _ => Ok(()),
        }
    }

    // ---- replica side ----------------------------------------------------------

    /// Sends `body` to the owner on behalf of `session`; a transport failure or a
    /// `NotOwner` answer makes the replica check who owns the room now.
    fn forward_call(
        &self,
        session: u64,
        body: CallBody,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Forwarded> {
        let (Some(cluster), Some(owner)) = (self.deps.cluster.clone(), self.replica_of().map(str::to_string))
        else {
            return Box::pin(fut::ready(Err(RoomError::Unavailable)));
        };
        let _ = ctx;
        let call = RoomCall { room: self.id.to_string(), from: cluster.me.clone(), session, body };
        let fut = async move { cluster.call(&owner, call).await };
        Box::pin(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok(CallReply::NotOwner) => {
                act.check_owner(ctx);
                Err(RoomError::Unavailable)
            }
            Ok(CallReply::Refused { code, message }) => {
                Err(RoomError::Remote { code: code_of(&code), message })
            }
            Ok(reply) => Ok(reply),
            Err(e) => {
                warn!(act.log, "call to the room's owner failed"; "err" => %e);
                act.check_owner(ctx);
                Err(RoomError::Remote {
                    code: ErrorCode::RoomUnavailable,
                    message: format!("the room's owner node is unreachable ({e}); retry"),
                })
            }
        }))
    }

    /// Forwards without waiting for the answer (leave, typing, operator actions).
    fn forward_and_forget(&mut self, session: u64, body: CallBody, ctx: &mut Context<Self>) {
        let f = self.forward_call(session, body, ctx);
        ctx.spawn(f.map(|_, _, _| ()));
    }

    /// Join on a replica: the session is added here (so frames published from now on
    /// reach it; its `ctx.wait` holds them until `joined` is written), then at the owner.
    pub(super) fn replica_join(
        &mut self,
        m: Join,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<JoinReply, RoomError>> {
        let session = m.session;
        if self.cluster.sub.is_none() {
            self.subscribe(ctx);
        }
        self.online.insert(session, (m.user.id.clone(), m.out));
        let body = CallBody::Join { user: m.user, after_seq: m.after_seq };
        Box::pin(self.forward_call(session, body, ctx).map(move |res, act, ctx| match res {
            Ok(CallReply::Joined(w)) => {
                // Only the first join sets where this replica stands: a later join's
                // last seq may be ahead of frames still on their way to the sessions
                // joined before it (they come on the room subject, the reply does not).
                act.delivered_seq.get_or_insert(w.last_seq);
                Ok(join_reply(w))
            }
            Ok(_) => {
                act.online.remove(&session);
                act.unsubscribe_if_idle(ctx);
                Err(RoomError::Unavailable)
            }
            Err(e) => {
                act.online.remove(&session);
                act.unsubscribe_if_idle(ctx);
                Err(e)
            }
        }))
    }

    /// Also for a session already dropped here (slow consumer): the owner forgets it.
    pub(super) fn replica_leave(&mut self, m: Leave, ctx: &mut Context<Self>) {
        self.online.remove(&m.session);
        self.forward_and_forget(m.session, CallBody::Leave, ctx);
        self.unsubscribe_if_idle(ctx);
    }

    pub(super) fn replica_send(&mut self, m: SendText, ctx: &mut Context<Self>) {
        let SendText { session, user, text, reply_to, ticket } = m;
        let body = match session {
            Some(_) => CallBody::Send {
                user,
                text,
                reply_to,
                frame_id: ticket.frame_id.clone(),
                client_id: ticket.client_id.clone(),
            },
            None => CallBody::Post { user, text, client_id: ticket.client_id.clone() },
        };
        let f = self.forward_call(session.unwrap_or(0), body, ctx);
        ctx.spawn(f.map(move |res, act, _| match res {
            // The owner sends the ack (or error) to the session itself.
            Ok(CallReply::Accepted) => {}
            Ok(CallReply::Posted { seq, duplicate }) => {
                super::delivery::send_ack(ticket, act.id.as_str(), seq, duplicate)
            }
            Ok(_) => super::delivery::reply_error(
                ticket,
                ErrorCode::RoomUnavailable,
                "unexpected answer from the owner",
            ),
            Err(e) => super::delivery::reply_error(ticket, e.code(), &e.to_string()),
        }));
    }

    pub(super) fn replica_typing(&mut self, m: Typing, ctx: &mut Context<Self>) {
        if self.online.contains_key(&m.session) {
            self.forward_and_forget(m.session, CallBody::Typing { user: m.user, active: m.active }, ctx);
        }
    }

    pub(super) fn replica_read(&mut self, m: MarkRead, ctx: &mut Context<Self>) {
        let (out, id) = (m.out, m.id.clone());
        let f =
            self.forward_call(m.session, CallBody::Read { user: m.user, seq: m.seq, frame_id: m.id }, ctx);
        ctx.spawn(f.map(move |res, _, _| {
            if let Err(e) = res {
                super::delivery::send_error(&out, id.as_ref(), e.code(), &e.to_string());
            }
        }));
    }

    pub(super) fn replica_register(
        &mut self,
        m: RegisterCommand,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<(), super::CommandError>> {
        let body = CallBody::RegisterCommand {
            bot: m.bot,
            name: m.name,
            description: m.description,
            min_role: m.min_role,
        };
        Box::pin(
            self.forward_call(m.session, body, ctx)
                .map(|res, _, _| res.map(|_| ()).map_err(super::CommandError::Room)),
        )
    }

    pub(super) fn replica_stats(&mut self, ctx: &mut Context<Self>) -> ResponseActFuture<Self, RoomStats> {
        Box::pin(self.forward_call(0, CallBody::Stats, ctx).map(|res, act, _| match res {
            Ok(CallReply::Stats(w)) => stats_of(w),
            _ => act.local_stats(),
        }))
    }

    pub(super) fn replica_online(&mut self, ctx: &mut Context<Self>) -> ResponseActFuture<Self, Vec<String>> {
        Box::pin(self.forward_call(0, CallBody::Online, ctx).map(|res, _, _| match res {
            Ok(CallReply::Online { users }) => users,
            _ => Vec::new(),
        }))
    }

    /// Operator actions on a replica go to the owner; a delete also closes the room
    /// here for good.
    pub(super) fn replica_admin(&mut self, body: CallBody, ctx: &mut Context<Self>) {
        let closing = matches!(body, CallBody::Close);
        self.forward_and_forget(0, body, ctx);
        if closing {
            self.online.clear();
            self.set_status(Status::NotFound);
            self.deps
                .registry
                .do_send(crate::actors::registry::RoomGone { id: self.id.clone(), addr: self.tracked(ctx) });
        }
    }

    /// Frames the owner published.
    fn on_batch(&mut self, batch: RoomBatch, ctx: &mut Context<Self>) {
        if self.replica_of().is_none() {
            return;
        }
        let (mut sequenced, events): (Vec<RoomFrame>, Vec<RoomFrame>) = batch
            .frames
            .into_iter()
            .map(|(seq, text)| RoomFrame { seq, text: text.into() })
            .partition(|f| f.seq > 0);
        if !events.is_empty() {
            self.deliver_all(events, batch.skip_user.as_deref());
        }
        let delivered = self.delivered_seq;
        sequenced.retain(|f| delivered.is_none_or(|d| f.seq > d));
        let Some(first) = sequenced.first().map(|f| f.seq) else { return };
        match delivered {
            Some(d) if first > d + 1 => self.catch_up(d, Some(first - 1), sequenced, ctx),
            _ => self.fan_out(sequenced),
        }
    }

    /// Reads `after < seq <= upto` (or everything after) from the store, delivers it,
    /// then `then`. The mailbox waits meanwhile, keeping order.
    fn catch_up(&mut self, after: i64, upto: Option<i64>, then: Vec<RoomFrame>, ctx: &mut Context<Self>) {
        warn!(self.log, "replica missed frames, reading them from the store"; "after" => after);
        let (store, id) = (self.deps.store.clone(), self.id.to_string());
        // At most `rooms.max_replay` at once (after a long NATS outage the rest comes
        // with the next catch-up or the sessions page with `history`).
        let upto = upto.unwrap_or(after.saturating_add(self.deps.cfg.rooms.max_replay.max(1)));
        let fut = async move { store.run(move |c| MessageRow::range(c, &id, after, upto)).await };
        ctx.wait(fut.into_actor(self).map(|rows, act, _| {
            match rows {
                Ok(rows) => {
                    let d = act.delivered_seq.unwrap_or(0);
                    let frames: Vec<RoomFrame> = rows
                        .iter()
                        .filter(|r| r.seq > d)
                        .map(|r| RoomFrame { seq: r.seq, text: crate::protocol::outbound::message_frame(r) })
                        .collect();
                    act.fan_out(frames);
                }
                Err(e) => warn!(act.log, "catch-up read failed"; "err" => %e),
            }
            let d = act.delivered_seq.unwrap_or(0);
            let rest: Vec<RoomFrame> = then.into_iter().filter(|f| f.seq > d).collect();
            act.fan_out(rest);
        }));
    }

    /// After a call failed: who holds the lease now? Another holder (or this node)
    /// means the owner was lost.
    fn check_owner(&mut self, ctx: &mut Context<Self>) {
        let (Some(cluster), Some(owner)) = (self.deps.cluster.clone(), self.replica_of().map(str::to_string))
        else {
            return;
        };
        let (store, name, node) =
            (self.deps.store.clone(), lease_name(self.id.as_str()), cluster.me.node.clone());
        let lease_ms = cluster.cfg.lease_ms as i64;
        let fut = async move { store.run(move |c| leases::acquire(c, &name, &node, lease_ms)).await };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(LeaseHolder::Other(now)) if now == owner => {}
            Ok(_) if act.replica_of() == Some(owner.as_str()) => act.owner_lost(ctx),
            Ok(_) => {}
            Err(e) => warn!(act.log, "cannot read the room's lease"; "err" => %e),
        }));
    }

    /// The owner is gone: this node's sessions reconnect (1012) and resume with
    /// `after_seq`; the room restarts and claims the lease again.
    fn owner_lost(&mut self, ctx: &mut Context<Self>) {
        info!(self.log, "room's owner lost; closing its sessions here with 1012");
        for (_, (_, to)) in self.online.drain() {
            to.do_send(Outbound::Close { code: 1012, reason: "room moved to another node; reconnect" });
        }
        self.cluster.part = None;
        self.unsubscribe_if_idle(ctx);
        ctx.stop();
    }

    // ---- owner side ------------------------------------------------------------

    fn on_remote_call(&mut self, m: RemoteCall, ctx: &mut Context<Self>) {
        let RemoteCall { call, reply } = m;
        if self.cluster.part != Some(Part::Owner) {
            let _ = reply.send(CallReply::NotOwner);
            return;
        }
        let Some(cluster) = self.deps.cluster.clone() else { return };
        self.forget_stale_incarnations(&call.from);
        let key = (call.from.clone(), call.session);
        let alias = self.cluster.aliases.get(&key).copied();
        let out_of = |room: &Self, alias: Option<SessionId>| {
            alias.and_then(|a| room.online.get(&a).map(|(_, o)| o.clone()))
        };
        let answer = match call.body {
            CallBody::Join { user, after_seq } => {
                let alias = alias.unwrap_or_else(|| NEXT_ALIAS.fetch_add(1, Ordering::Relaxed));
                let out = out_of(self, Some(alias)).unwrap_or_else(|| {
                    RemoteSession::start(cluster, call.from.clone(), call.session, &self.deps.cfg.metrics)
                });
                match self.on_join(Join { session: alias, user, out, after_seq }, ctx) {
                    Ok(r) => {
                        self.cluster.aliases.insert(key.clone(), alias);
                        self.cluster.alias_of.insert(alias, key);
                        CallReply::Joined(joined_wire(r))
                    }
                    Err(e) => CallReply::refused(e.code(), e.to_string()),
                }
            }
            CallBody::Leave => {
                if let Some(a) = alias {
                    self.remove_session(a);
                    self.forget_alias(a);
                }
                CallReply::Accepted
            }
            CallBody::Send { user, text, reply_to, frame_id, client_id } => match out_of(self, alias) {
                Some(out) => {
                    let ticket = SendTicket { reply: ReplyTo::Session(out), frame_id, client_id };
                    let m = SendText { session: alias, user, text, reply_to, ticket };
                    <Self as Handler<SendText>>::handle(self, m, ctx);
                    CallReply::Accepted
                }
                None => CallReply::refused(ErrorCode::NotJoined, "join the room first"),
            },
            CallBody::Post { user, text, client_id } => {
                let (tx, rx) = oneshot::channel();
                let ticket = SendTicket { reply: ReplyTo::Operator(tx), frame_id: None, client_id };
                <Self as Handler<SendText>>::handle(
                    self,
                    SendText { session: None, user, text, reply_to: None, ticket },
                    ctx,
                );
                actix::spawn(async move {
                    let answer = match rx.await {
                        Ok(Ok((seq, duplicate))) => CallReply::Posted { seq, duplicate },
                        Ok(Err((code, message))) => CallReply::refused(code, message),
                        Err(_) => CallReply::refused(ErrorCode::RoomUnavailable, "room crashed; retry"),
                    };
                    let _ = reply.send(answer);
                });
                return;
            }
            CallBody::Typing { user, active } => {
                if let Some(a) = alias {
                    <Self as Handler<Typing>>::handle(self, Typing { session: a, user, active }, ctx);
                }
                CallReply::Accepted
            }
            CallBody::Read { user, seq, frame_id } => match (alias, out_of(self, alias)) {
                (Some(a), Some(out)) => {
                    <Self as Handler<MarkRead>>::handle(
                        self,
                        MarkRead { session: a, user, seq, id: frame_id, out },
                        ctx,
                    );
                    CallReply::Accepted
                }
                _ => CallReply::refused(ErrorCode::NotJoined, "join the room first"),
            },
            CallBody::RegisterCommand { bot, name, description, min_role } => {
                let m = RegisterCommand { session: alias.unwrap_or(0), bot, name, description, min_role };
                match self.register_now(m) {
                    Ok(()) => CallReply::Accepted,
                    Err(e) => CallReply::refused(e.code(), e.to_string()),
                }
            }
            CallBody::Stats => CallReply::Stats(stats_wire(self.local_stats())),
            CallBody::Online => CallReply::Online { users: self.online_users() },
            CallBody::Restart => {
                <Self as Handler<Restart>>::handle(self, Restart, ctx);
                CallReply::Accepted
            }
            CallBody::Close => {
                <Self as Handler<CloseRoom>>::handle(self, CloseRoom, ctx);
                CallReply::Accepted
            }
            CallBody::Kick { user_id } => {
                <Self as Handler<Kick>>::handle(self, Kick { user_id }, ctx);
                CallReply::Accepted
            }
            CallBody::ReloadRoles => {
                <Self as Handler<ReloadRoles>>::handle(self, ReloadRoles, ctx);
                CallReply::Accepted
            }
            CallBody::Settings { name, settings } => {
                <Self as Handler<SettingsChanged>>::handle(self, SettingsChanged { name, settings }, ctx);
                CallReply::Accepted
            }
            CallBody::Crash => {
                <Self as Handler<Crash>>::handle(self, Crash, ctx);
                CallReply::Accepted
            }
        };
        let _ = reply.send(answer);
    }

    /// A node restarted under the same id: its old sessions are gone.
    fn forget_stale_incarnations(&mut self, from: &NodeKey) {
        let stale: Vec<SessionId> = self
            .cluster
            .alias_of
            .iter()
            .filter(|(_, (k, _))| k.node == from.node && k.incarnation != from.incarnation)
            .map(|(a, _)| *a)
            .collect();
        for a in stale {
            self.remove_session(a);
            self.forget_alias(a);
        }
    }

    fn on_nodes_down(&mut self, down: &[String], ctx: &mut Context<Self>) {
        if let Some(owner) = self.replica_of() {
            if down.iter().any(|n| n == owner) {
                self.owner_lost(ctx);
            }
            return;
        }
        let gone: Vec<SessionId> = self
            .cluster
            .alias_of
            .iter()
            .filter(|(_, (k, _))| down.contains(&k.node))
            .map(|(a, _)| *a)
            .collect();
        for a in gone {
            self.remove_session(a);
            self.forget_alias(a);
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

fn joined_wire(r: JoinReply) -> JoinedWire {
    JoinedWire {
        last_seq: r.last_seq,
        last_read_seq: r.last_read_seq,
        members: r
            .members
            .into_iter()
            .map(|m| MemberWire {
                id: m.id,
                name: m.name,
                kind: m.kind,
                role: crate::model::Role::parse(m.role).unwrap_or(crate::model::Role::Member),
                online: m.online,
            })
            .collect(),
        replay: match r.replay {
            Replay::Nothing => ReplayWire::Nothing,
            Replay::Frames(f) => ReplayWire::Frames { frames: f.iter().map(|t| t.to_string()).collect() },
            Replay::FromStore { after, upto } => ReplayWire::FromStore { after, upto },
            Replay::Truncated => ReplayWire::Truncated,
        },
    }
}

fn join_reply(w: JoinedWire) -> JoinReply {
    JoinReply {
        last_seq: w.last_seq,
        last_read_seq: w.last_read_seq,
        members: w
            .members
            .into_iter()
            .map(|m| MemberView {
                id: m.id,
                name: m.name,
                kind: m.kind,
                role: m.role.as_str(),
                online: m.online,
            })
            .collect(),
        replay: match w.replay {
            ReplayWire::Nothing => Replay::Nothing,
            ReplayWire::Frames { frames } => Replay::Frames(frames.into_iter().map(Into::into).collect()),
            ReplayWire::FromStore { after, upto } => Replay::FromStore { after, upto },
            ReplayWire::Truncated => Replay::Truncated,
        },
    }
}

fn stats_wire(s: RoomStats) -> StatsWire {
    StatsWire {
        status: s.status.to_string(),
        last_seq: s.last_seq,
        members_online: s.members_online,
        messages_per_min: s.messages_per_min,
        restarts: s.restarts,
        last_restart_at: s.last_restart_at,
        mailbox_depth: s.mailbox_depth,
    }
}

pub fn stats_of(w: StatsWire) -> RoomStats {
    RoomStats {
        status: match w.status.as_str() {
            "restarting" => "restarting",
            "stopped" => "stopped",
            "quarantined" => "quarantined",
            _ => "running",
        },
        last_seq: w.last_seq,
        members_online: w.members_online,
        messages_per_min: w.messages_per_min,
        restarts: w.restarts,
        last_restart_at: w.last_restart_at,
        mailbox_depth: w.mailbox_depth,
    }
}
