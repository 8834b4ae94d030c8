//! The replica side of a room in cluster mode: forwarding to the owner, delivering the
//! owner's frames, catching up from the store, handing sessions over when the owner
//! is lost.

use actix::prelude::*;
use slog::{info, warn};

use super::convert::*;
use super::{lease_name, Forwarded};
use crate::actors::exchange::{Outbound, RoomFrame};
use crate::actors::room::delivery::{reply_error, send_ack, send_error};
use crate::actors::room::messages::SessionId;
use crate::actors::room::messages::{Join, JoinReply, Leave, RoomError, RoomStats, SendText, SendTicket};
use crate::actors::room::{MarkRead, Member, RegisterCommand, Room, Status, Typing};
use crate::cluster::wire::CallBody;
use crate::cluster::wire::{code_of, CallReply, RoomBatch, RoomCall};
use crate::error::{ErrorCode, HasCode};
use crate::model::UserRef;
use crate::protocol::close::CloseCode;
use crate::store::cluster::{self as leases, LeaseHolder};
use crate::store::messages::MessageRow;

impl Room {
    /// Sends `body` to the owner on behalf of `session`; a transport failure or a
    /// `NotOwner` answer makes the replica check who owns the room now.
    pub(in crate::actors::room) fn forward_call(
        &self,
        session: u64,
        body: CallBody,
    ) -> ResponseActFuture<Self, Forwarded> {
        let (Some(cluster), Some(owner)) = (self.deps.cluster.clone(), self.replica_of().map(str::to_string))
        else {
            return Box::pin(fut::ready(Err(RoomError::Unavailable)));
        };
        let call = RoomCall { room: self.id.to_string(), from: cluster.me.clone(), session, body };
        // On the wire now, in handler order; only the answer is awaited later.
        let started = cluster.start_call(&owner, call);
        let fut = async move {
            match started {
                Ok(answer) => answer.await,
                Err(e) => Err(e),
            }
        };
        Box::pin(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok(CallReply::NotOwner) => {
                act.check_owner(ctx);
                Err(RoomError::Unavailable)
            }
            Ok(CallReply::Refused { ban: Some(ban), .. }) => {
                Err(RoomError::Banned { expires_at: ban.expires_at })
            }
            Ok(CallReply::Refused { code, message, .. }) => {
                Err(RoomError::Remote { code: code_of(&code), message })
            }
            Ok(reply) => Ok(reply),
            Err(e) => {
                if let Some(held_back) = act.cluster.call_failures.pass() {
                    warn!(act.log, "call to the room's owner failed"; "err" => %e, "held_back" => held_back);
                }
                act.check_owner(ctx);
                Err(RoomError::Remote {
                    code: ErrorCode::RoomUnavailable,
                    message: format!("the room's owner node is unreachable ({e}); retry"),
                })
            }
        }))
    }

    /// Forwards without waiting for the answer (leave, typing, operator actions).
    pub(in crate::actors::room) fn forward_and_forget(
        &mut self,
        session: u64,
        body: CallBody,
        ctx: &mut Context<Self>,
    ) {
        let f = self.forward_call(session, body);
        ctx.spawn(f.map(|_, _, _| ()));
    }

    /// Join on a replica: the session is added here (so frames published from now on
    /// reach it; its `ctx.wait` holds them until `joined` is written), then at the owner.
    pub(in crate::actors::room) fn replica_join(
        &mut self,
        m: Join,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<JoinReply, RoomError>> {
        let session = m.session;
        if self.cluster.sub.is_none() {
            self.subscribe(ctx, |_, _| {});
        }
        self.online.insert(session, (m.user.id.clone(), m.out));
        self.cluster.users.insert(session, m.user.clone());
        let body = CallBody::Join { user: m.user, after_seq: m.after_seq };
        // Forwarded when first polled: after the subscription above (spawned futures
        // wait for `ctx.wait`).
        let forward = fut::ready(()).then(move |_, act: &mut Self, _| act.forward_call(session, body));
        Box::pin(forward.map(move |res, act, ctx| match res {
            Ok(CallReply::Joined(w)) => {
                // Only the first join sets where this replica stands: a later join's
                // last seq may be ahead of frames still on their way to the sessions
                // joined before it (they come on the room subject, the reply does not).
                act.delivered_seq.get_or_insert(w.last_seq);
                Ok(join_reply(w))
            }
            Ok(_) => {
                act.forget_local(session, ctx);
                Err(RoomError::Unavailable)
            }
            Err(e) => {
                act.forget_local(session, ctx);
                Err(e)
            }
        }))
    }

    /// Also for a session already dropped here (slow consumer): the owner forgets it.
    pub(in crate::actors::room) fn replica_leave(&mut self, m: Leave, ctx: &mut Context<Self>) {
        self.forward_and_forget(m.session, CallBody::Leave, ctx);
        self.forget_local(m.session, ctx);
    }

    /// A session of this node is no longer in the room here.
    fn forget_local(&mut self, session: SessionId, ctx: &mut Context<Self>) {
        self.online.remove(&session);
        self.cluster.users.remove(&session);
        self.unsubscribe_if_idle(ctx);
    }

    pub(in crate::actors::room) fn replica_send(&mut self, m: SendText, ctx: &mut Context<Self>) {
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
        let f = self.forward_call(session.unwrap_or(0), body);
        let key = self.cluster.next_inflight;
        self.cluster.next_inflight += 1;
        self.cluster.inflight.insert(key, ticket);
        ctx.spawn(f.map(move |res, act, ctx| {
            // Already answered if the owner was lost meanwhile.
            let Some(ticket) = act.cluster.inflight.remove(&key) else { return };
            act.answer_forwarded(session, ticket, res, ctx);
        }));
    }

    fn answer_forwarded(
        &mut self,
        session: Option<SessionId>,
        ticket: SendTicket,
        res: Forwarded,
        ctx: &mut Context<Self>,
    ) {
        match res {
            // The owner sends the ack (or error) to the session itself.
            Ok(CallReply::Accepted) => {}
            Ok(CallReply::Posted { seq, duplicate }) => send_ack(ticket, self.id.as_str(), seq, duplicate),
            Ok(_) => reply_error(ticket, ErrorCode::RoomUnavailable, "unexpected answer from the owner"),
            Err(e) => {
                reply_error(ticket, e.code(), &e.to_string());
                // The owner does not know a session that joined here: it restarted
                // (same node id, new process). Hand the sessions over as if it had died.
                if e.code() == ErrorCode::NotJoined && session.is_some_and(|s| self.online.contains_key(&s)) {
                    self.owner_lost(ctx);
                }
            }
        }
    }

    pub(in crate::actors::room) fn replica_typing(&mut self, m: Typing, ctx: &mut Context<Self>) {
        if self.online.contains_key(&m.session) {
            self.forward_and_forget(m.session, CallBody::Typing { user: m.user, active: m.active }, ctx);
        }
    }

    pub(in crate::actors::room) fn replica_read(&mut self, m: MarkRead, ctx: &mut Context<Self>) {
        let (out, id) = (m.out, m.id.clone());
        let f = self.forward_call(m.session, CallBody::Read { user: m.user, seq: m.seq, frame_id: m.id });
        ctx.spawn(f.map(move |res, _, _| {
            if let Err(e) = res {
                send_error(&out, id.as_ref(), e.code(), &e.to_string());
            }
        }));
    }

    /// A deletion goes to the owner, which checks it and answers once it committed.
    pub(in crate::actors::room) fn replica_delete(
        &mut self,
        m: crate::actors::room::DeleteMessages,
    ) -> ResponseActFuture<Self, Result<crate::store::tombstones::Deletion, RoomError>> {
        use crate::actors::room::Deleter;
        let (session, user) = match m.by {
            Deleter::Member { session, .. } if !self.online.contains_key(&session) => {
                return Box::pin(fut::ready(Err(RoomError::NotJoined)));
            }
            Deleter::Member { session, user } => (session, Some(user)),
            Deleter::Operator => (0, None),
        };
        Box::pin(self.forward_call(session, CallBody::Delete { target: m.target, user }).map(|res, _, _| {
            match res? {
                CallReply::Deleted(d) => Ok(d),
                _ => Err(RoomError::Unavailable),
            }
        }))
    }

    pub(in crate::actors::room) fn replica_register(
        &mut self,
        m: RegisterCommand,
    ) -> ResponseActFuture<Self, Result<(), crate::actors::room::CommandError>> {
        let body = CallBody::RegisterCommand {
            bot: m.bot,
            name: m.name,
            description: m.description,
            min_role: m.min_role,
        };
        Box::pin(
            self.forward_call(m.session, body)
                .map(|res, _, _| res.map(|_| ()).map_err(crate::actors::room::CommandError::Room)),
        )
    }

    pub(in crate::actors::room) fn replica_stats(&mut self) -> ResponseActFuture<Self, RoomStats> {
        Box::pin(self.forward_call(0, CallBody::Stats).map(|res, act, _| match res {
            Ok(CallReply::Stats(s)) => s,
            _ => act.local_stats(),
        }))
    }

    pub(in crate::actors::room) fn replica_online(&mut self) -> ResponseActFuture<Self, Vec<String>> {
        Box::pin(self.forward_call(0, CallBody::Online).map(|res, _, _| match res {
            Ok(CallReply::Online { users }) => users,
            _ => Vec::new(),
        }))
    }

    /// A kick goes to the owner, which answers once the removal committed.
    pub(in crate::actors::room) fn replica_kick(
        &mut self,
        user_id: String,
        reason: crate::actors::room::Removal,
    ) -> ResponseActFuture<Self, Result<(), RoomError>> {
        Box::pin(self.forward_call(0, CallBody::Kick { user_id, reason }).map(|res, _, _| res.map(|_| ())))
    }

    /// Operator actions on a replica go to the owner; a delete also closes the room
    /// here for good.
    pub(in crate::actors::room) fn replica_admin(&mut self, body: CallBody, ctx: &mut Context<Self>) {
        let closing = matches!(body, CallBody::Close);
        self.forward_and_forget(0, body, ctx);
        if closing {
            self.online.clear();
            self.set_status(Status::NotFound);
            self.deps
                .registry
                .do_send(super::super::messages::RoomGone { id: self.id.clone(), addr: self.tracked(ctx) });
        }
    }

    /// Frames the owner published.
    pub(in crate::actors::room) fn on_batch(&mut self, batch: RoomBatch, ctx: &mut Context<Self>) {
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
    pub(in crate::actors::room) fn catch_up(
        &mut self,
        after: i64,
        upto: Option<i64>,
        then: Vec<RoomFrame>,
        ctx: &mut Context<Self>,
    ) {
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
    pub(in crate::actors::room) fn check_owner(&mut self, ctx: &mut Context<Self>) {
        let (Some(cluster), Some(owner)) = (self.deps.cluster.clone(), self.replica_of().map(str::to_string))
        else {
            return;
        };
        // One check at a time (every failed call asks for one, e.g. during an outage).
        if std::mem::replace(&mut self.cluster.checking, true) {
            return;
        }
        let (store, name, node) =
            (self.deps.store.clone(), lease_name(self.id.as_str()), cluster.me.node.clone());
        let lease_ms = cluster.cfg.lease_ms as i64;
        let fut = async move { store.run(move |c| leases::acquire(c, &name, &node, lease_ms)).await };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| {
            act.cluster.checking = false;
            match res {
                Ok(LeaseHolder::Other(now)) if now == owner => {}
                Ok(_) if act.replica_of() == Some(owner.as_str()) => act.owner_lost(ctx),
                Ok(_) => {}
                Err(e) => warn!(act.log, "cannot read the room's lease"; "err" => %e),
            }
        }));
    }

    /// The owner is gone (or forgot this node's sessions): the room restarts and claims
    /// the lease again, keeping this node's sessions and where they stand. If another
    /// node holds it now, they are joined there ([`Self::reattach`]); if this node takes
    /// the room over, they become its members when it has loaded (`adopt_sessions`).
    /// Either way they miss nothing: what they have not seen is read from the store.
    pub(in crate::actors::room) fn owner_lost(&mut self, ctx: &mut Context<Self>) {
        info!(self.log, "room's owner lost; claiming the room again"; "sessions" => self.online.len());
        for (_, ticket) in self.cluster.inflight.drain() {
            reply_error(ticket, ErrorCode::RoomUnavailable, "the room is moving to another node; resend");
        }
        self.cluster.part = None;
        self.cluster.users.retain(|s, _| self.online.contains_key(s));
        self.unsubscribe_if_idle(ctx);
        ctx.stop();
    }

    /// After a claim found another owner: this node's sessions (kept across the
    /// restart) are joined at the new owner, and what they missed meanwhile is read
    /// from the store. A session the owner refuses is closed with 1012 (it reconnects
    /// and resumes with `after_seq`).
    pub(in crate::actors::room) fn reattach(&mut self, ctx: &mut Context<Self>) {
        let users: Vec<(SessionId, UserRef)> = self
            .cluster
            .users
            .iter()
            .filter(|(s, _)| self.online.contains_key(s))
            .map(|(s, u)| (*s, u.clone()))
            .collect();
        if users.is_empty() {
            self.cluster.users.clear();
            self.delivered_seq = None;
            self.tail.clear();
            return;
        }
        info!(self.log, "joining this node's sessions at the new owner"; "sessions" => users.len());
        self.subscribe(ctx, move |act, ctx| act.join_again(users, ctx));
    }

    fn join_again(&mut self, users: Vec<(SessionId, UserRef)>, ctx: &mut Context<Self>) {
        for (session, user) in users {
            let f = self.forward_call(session, CallBody::Join { user, after_seq: None });
            ctx.spawn(f.map(move |res, act, _| {
                if !matches!(res, Ok(CallReply::Joined(_))) {
                    if let Some((_, to)) = act.online.remove(&session) {
                        to.do_send(Outbound::close(CloseCode::MovedToAnotherNode));
                    }
                    act.cluster.users.remove(&session);
                }
            }));
        }
        if let Some(d) = self.delivered_seq {
            self.catch_up(d, None, Vec::new(), ctx);
        }
    }

    /// After this node took a room over from a lost owner and loaded it: the sessions
    /// it had as a replica become members (they are online here already).
    pub(in crate::actors::room) fn adopt_sessions(&mut self) {
        for (session, user) in std::mem::take(&mut self.cluster.users) {
            if !self.online.contains_key(&session) {
                continue;
            }
            let member = self.members.entry(user.id.clone()).or_insert_with(|| Member::new(user.clone()));
            if !member.sessions.contains(&session) {
                member.sessions.push(session);
            }
        }
    }
}
