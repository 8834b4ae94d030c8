//! The owner side of a room in cluster mode: calls from other nodes, each of their
//! sessions an alias with a `RemoteSession` stand-in.

use std::sync::atomic::Ordering;

use actix::prelude::*;
use slog::info;
use tokio::sync::oneshot;

use super::convert::*;
use super::{Part, RemoteCall, NEXT_ALIAS};
use crate::actors::exchange::Outbound;
use crate::actors::operator_post::OperatorPost;
use crate::actors::remote_session::RemoteSession;
use crate::actors::room::messages::{Join, PostOutcome, ReplyTo, SendText, SendTicket, SessionId};
use crate::actors::room::{
    CloseRoom, Crash, DeleteMessages, Deleter, Kick, MarkRead, RegisterCommand, ReloadRoles, Restart, Room,
    SettingsChanged, Typing,
};
use crate::cluster::wire::CallBody;
use crate::cluster::wire::{CallReply, NodeKey};
use crate::error::{ErrorCode, HasCode};
use crate::protocol::close::CloseCode;

impl Room {
    pub(in crate::actors::room) fn on_remote_call(&mut self, m: RemoteCall, ctx: &mut Context<Self>) {
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
                let user_id = user.id.clone();
                match self.on_join(Join { session: alias, user, out, after_seq }, ctx) {
                    Ok((r, stored)) => {
                        self.cluster.aliases.insert(key.clone(), alias);
                        self.cluster.alias_of.insert(alias, key);
                        let Some(stored) = stored else {
                            let _ = reply.send(CallReply::Joined(joined_wire(r)));
                            return;
                        };
                        // Answered once the membership committed (`membership.rs`).
                        let joined = self.when_durable(stored, alias, user_id, r);
                        ctx.spawn(joined.map(move |res, _, _| {
                            let _ = reply.send(match res {
                                Ok(r) => CallReply::Joined(joined_wire(r)),
                                Err(e) => refused_join(e),
                            });
                        }));
                        return;
                    }
                    Err(e) => refused_join(e),
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
                    // Answered after the commit, so the session's node writes the ack and
                    // knows what is still unanswered if this node dies.
                    let (done, rx) = oneshot::channel();
                    let ticket = SendTicket { reply: ReplyTo::Forwarded { out, done }, frame_id, client_id };
                    let m = SendText { session: alias, user, text, reply_to, ticket };
                    <Self as Handler<SendText>>::handle(self, m, ctx);
                    answer_after_commit(rx, reply);
                    return;
                }
                None => CallReply::refused(ErrorCode::NotJoined, "join the room first"),
            },
            CallBody::Post { user, text, client_id } => {
                let post = OperatorPost::sent_by(user, text, client_id);
                <Self as Handler<SendText>>::handle(self, post.send, ctx);
                answer_after_commit(post.outcome, reply);
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
            CallBody::Stats => {
                self.idle.queries += 1;
                CallReply::Stats(self.local_stats())
            }
            CallBody::Online => {
                self.idle.queries += 1;
                CallReply::Online { users: self.online_users() }
            }
            CallBody::Restart => {
                <Self as Handler<Restart>>::handle(self, Restart, ctx);
                CallReply::Accepted
            }
            CallBody::Close => {
                <Self as Handler<CloseRoom>>::handle(self, CloseRoom, ctx);
                CallReply::Accepted
            }
            CallBody::Kick { user_id, reason } => {
                let kicked = <Self as Handler<Kick>>::handle(self, Kick { user_id, reason }, ctx);
                ctx.spawn(kicked.map(move |res, _, _| {
                    let _ = reply.send(match res {
                        Ok(()) => CallReply::Accepted,
                        Err(e) => CallReply::refused(e.code(), e.to_string()),
                    });
                }));
                return;
            }
            CallBody::Delete { target, user } => {
                let by = match (user, alias) {
                    (None, _) => Deleter::Operator,
                    (Some(user), Some(session)) => Deleter::Member { session, user },
                    (Some(_), None) => {
                        let _ = reply.send(CallReply::refused(ErrorCode::NotJoined, "join the room first"));
                        return;
                    }
                };
                let deleted =
                    <Self as Handler<DeleteMessages>>::handle(self, DeleteMessages { target, by }, ctx);
                ctx.spawn(deleted.map(move |res, _, _| {
                    let _ = reply.send(match res {
                        Ok(d) => CallReply::Deleted(d),
                        Err(e) => CallReply::refused(e.code(), e.to_string()),
                    });
                }));
                return;
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
    pub(in crate::actors::room) fn forget_stale_incarnations(&mut self, from: &NodeKey) {
        let known = self.cluster.incarnations.insert(from.node.clone(), from.incarnation);
        if known.is_none_or(|k| k == from.incarnation) {
            return;
        }
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

    pub(in crate::actors::room) fn on_nodes_down(&mut self, down: &[String], ctx: &mut Context<Self>) {
        if let Some(owner) = self.replica_of() {
            if down.iter().any(|n| n == owner) {
                self.owner_lost(ctx);
            }
            return;
        }
        if self.deps.cluster.as_ref().is_some_and(|c| down.contains(&c.me.node)) {
            return self.step_down(ctx);
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

    /// This node's heartbeat was lost for longer than the lease: another node may own
    /// the room now. Every session (here and, through the stand-ins, elsewhere) is
    /// closed with 1012 and reconnects; the room restarts and claims the lease again,
    /// becoming a replica if another node took it.
    fn step_down(&mut self, ctx: &mut Context<Self>) {
        info!(self.log, "this node's lease may have lapsed; handing the room's sessions over");
        for (_, (_, to)) in self.online.drain() {
            to.do_send(Outbound::close(CloseCode::MovedToAnotherNode));
        }
        self.members.clear();
        self.cluster.aliases.clear();
        self.cluster.alias_of.clear();
        self.cluster.part = None;
        ctx.stop();
    }
}

/// Answers a forwarded send or post once its outcome is known. A dropped outcome
/// channel means the sender was answered with frames (a spam notice, an error after a
/// crash) — or, for an operator, that the room crashed.
fn answer_after_commit(rx: oneshot::Receiver<PostOutcome>, reply: oneshot::Sender<CallReply>) {
    actix::spawn(async move {
        let answer = match rx.await {
            Ok(Ok((seq, duplicate))) => CallReply::Posted { seq, duplicate },
            Ok(Err((code, message))) => CallReply::refused(code, message),
            Err(_) => CallReply::Accepted,
        };
        let _ = reply.send(answer);
    });
}

/// The refusal of a join; a ban's carries its expiry to the session's `error` frame.
fn refused_join(e: crate::actors::room::RoomError) -> CallReply {
    let ban = match e {
        crate::actors::room::RoomError::Banned { expires_at } => {
            Some(crate::cluster::wire::BanWire { expires_at })
        }
        _ => None,
    };
    CallReply::Refused { code: e.code().as_str().to_string(), message: e.to_string(), ban }
}
