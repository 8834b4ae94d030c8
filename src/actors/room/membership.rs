//! Memberships as the room changes them: the rows are written only by the
//! `StoreWriter`, in the order the room sends the writes (join, leave, kick), so a
//! write queued before a kick can never bring the member back.
//!
//! - A join that creates a membership is answered only once its row committed
//!   ([`Room::when_durable`]): once a client has `joined`, the member is listed and
//!   can be kicked. Should the row fail to commit (a store outage longer than
//!   `store.commit_timeout_ms`), the join is undone and answered `room_unavailable`.
//! - A kick removes the member here at once and its row through the writer, and is
//!   answered after that removal committed.

use std::time::Duration;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::messages::{JoinReply, Removal, RoomError, SessionId};
use super::Room;
use crate::actors::exchange::Outbound;
use crate::actors::store_writer::WriteMember;
use crate::error::ErrorCode;
use crate::model::UserRef;
use crate::protocol::outbound as out;
use crate::store::members::{MemberTouch, MemberWrite};

/// The outcome of a membership write, as the writer reports it.
pub(super) type MemberOutcome = oneshot::Receiver<Result<bool, ErrorCode>>;

impl Room {
    /// The presence write of `user` at `at` (creates the membership if missing).
    pub(super) fn touch_of(&self, user: &UserRef, at: i64) -> MemberWrite {
        MemberWrite::Touch(MemberTouch {
            room_id: self.id.to_string(),
            user_id: user.id.clone(),
            name: user.name.clone(),
            kind: user.kind.as_str().to_string(),
            at,
        })
    }

    /// Sends a membership write the caller admitted through the gate (`do_send`: the
    /// gate, not the writer's mailbox, bounds what waits).
    pub(super) fn write_member(
        &self,
        write: MemberWrite,
        done: Option<oneshot::Sender<Result<bool, ErrorCode>>>,
    ) {
        self.writer().do_send(WriteMember { write, done });
    }

    /// Answers a join with `reply` once the membership it created committed; undoes
    /// the join if it did not.
    pub(super) fn when_durable(
        &mut self,
        stored: MemberOutcome,
        session: SessionId,
        user_id: String,
        reply: JoinReply,
    ) -> ResponseActFuture<Self, Result<JoinReply, RoomError>> {
        Box::pin(async move { stored.await }.into_actor(self).map(move |res, act, _| match res {
            Ok(Ok(_)) => {
                if let Some(m) = act.members.get_mut(&user_id) {
                    m.durable = true;
                }
                Ok(reply)
            }
            _ => {
                act.undo_join(session, &user_id);
                Err(RoomError::Unavailable)
            }
        }))
    }

    /// A join whose membership did not commit: the session leaves, and the member goes
    /// too if it has no stored row and no other session. Nothing is written.
    fn undo_join(&mut self, session: SessionId, user_id: &str) {
        self.online.remove(&session);
        self.forget_alias(session);
        let Some(member) = self.members.get_mut(user_id) else { return };
        member.sessions.retain(|s| *s != session);
        if member.sessions.is_empty() && !member.durable {
            let Some(member) = self.members.remove(user_id) else { return };
            self.bot_gone(user_id);
            let frame = out::encode(&out::MemberEvent {
                kind: "member_left",
                room: self.id.as_str(),
                user: &member.user,
            });
            self.broadcast_event(frame, Some(user_id));
        }
    }

    /// Kick (or a ban's removal): closes the room for the member's sessions
    /// (`room_closed`, reason `kicked` or `banned`), tells the others `member_left`, and
    /// queues the removal of the row behind every membership write sent before.
    /// Resolves once it committed.
    pub(super) fn on_kick(&mut self, user_id: &str, why: Removal) -> Result<KickPending, RoomError> {
        self.check_running()?;
        let known = self.members.remove(user_id);
        if let Some(member) = &known {
            self.bot_gone(user_id);
            let frame = out::encode(&out::RoomClosed { room: self.id.as_str(), reason: why.as_str() });
            for sid in &member.sessions {
                self.forget_alias(*sid);
                if let Some((_, to)) = self.online.remove(sid) {
                    to.do_send(Outbound::RoomClosed { room: self.id.clone(), frame: frame.clone() });
                }
            }
            if !member.sessions.is_empty() {
                let frame = out::encode(&out::MemberEvent {
                    kind: "member_left",
                    room: self.id.as_str(),
                    user: &member.user,
                });
                self.broadcast_event(frame, Some(user_id));
            }
        }
        // An operator's kick cannot be refused for lack of room: admitted over the limit.
        self.deps.writes.force_admit(1);
        let (tx, rx) = oneshot::channel();
        let write = MemberWrite::Remove { room_id: self.id.to_string(), user_id: user_id.to_string() };
        self.write_member(write, Some(tx));
        Ok(KickPending {
            known: known.is_some(),
            removed: rx,
            user: user_id.to_string(),
            room: self.id.to_string(),
            timeout: Duration::from_millis(self.deps.cfg.store.commit_timeout_ms),
        })
    }
}

/// A kick whose removal is on its way to the store.
pub(super) struct KickPending {
    /// The room had the member (a row may exist even if not: it is removed anyway).
    known: bool,
    removed: MemberOutcome,
    user: String,
    room: String,
    timeout: Duration,
}

impl KickPending {
    /// Waits for the removal: `NotMember` if neither the room nor the store had the
    /// member; `KickQueued` if the store did not answer within `commit_timeout_ms`.
    pub(super) async fn outcome(self) -> Result<(), RoomError> {
        match tokio::time::timeout(self.timeout, self.removed).await {
            Ok(Ok(Ok(deleted))) if self.known || deleted => Ok(()),
            Ok(Ok(Ok(_))) => Err(RoomError::NotMember { user: self.user, room: self.room }),
            Ok(Ok(Err(_))) | Ok(Err(_)) => Err(RoomError::Unavailable),
            Err(_) => Err(RoomError::KickQueued),
        }
    }
}
