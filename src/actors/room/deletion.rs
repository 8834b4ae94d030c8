//! Message deletion in a room: a member's `delete` frame (their own message; moderators
//! and above: any) or an operator's request (one message, or a user's messages since a
//! time). The room checks who may, then hands a [`Tombstone`] to the `StoreWriter`,
//! which applies it after every write queued before it. Its outcome comes back through
//! the room's mailbox ([`Tombstoned`], behind the commit report of the messages it
//! deletes), where the room swaps the tombstones into its replay tail, tells every
//! member session `message_deleted` (one frame per message), and answers the request.

use actix::prelude::*;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::messages::{RoomError, SessionId};
use super::Room;
use crate::actors::exchange::RoomFrame;
use crate::actors::room_feed::{DeletedInRoom, FeedEvent};
use crate::actors::store_writer::{Tombstoned, WriteTombstone};
use crate::model::{now_ms, rfc3339, Role, UserRef};
use crate::protocol::outbound as out;
use crate::store::messages::MessageRow;
use crate::store::tombstones::{
    DeleteTarget, DeletedMessage, Deletion, Tombstone, TombstoneOutcome, TombstoneTarget,
};

/// Delete messages of the room; answered once the tombstones committed.
#[derive(Message)]
#[rtype(result = "Result<Deletion, RoomError>")]
pub struct DeleteMessages {
    pub target: DeleteTarget,
    pub by: Deleter,
}

/// What `deleted_by` says on an operator's deletion (the audit log names the admin).
pub const OPERATOR_DELETER: &str = "system";

/// Who asks for a deletion.
pub enum Deleter {
    /// A session that joined the room: its own messages, or any with role moderator or
    /// higher in force.
    Member { session: SessionId, user: UserRef },
    /// The operator (admin API): any message. Recorded as deleted by `system`.
    Operator,
}

crate::actor_shell!(Room, routed: DeleteMessages);
crate::actor_shell!(Room: Tombstoned);

impl Handler<DeleteMessages> for Room {
    type Result = ResponseActFuture<Self, Result<Deletion, RoomError>>;

    fn handle(&mut self, m: DeleteMessages, ctx: &mut Context<Self>) -> Self::Result {
        let seq = match &m.target {
            DeleteTarget::Seq { seq } => Some(*seq),
            DeleteTarget::SenderSince { .. } => None,
        };
        let done = match self.start_delete(m, ctx) {
            Ok(done) => done,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        Box::pin(
            async move {
                match done.await {
                    Ok(Ok(TombstoneOutcome::Deleted(rows))) => Ok(Deletion {
                        fresh: !rows.is_empty(),
                        messages: rows.iter().map(DeletedMessage::of).collect(),
                    }),
                    Ok(Ok(TombstoneOutcome::Already(row))) => {
                        Ok(Deletion { messages: vec![DeletedMessage::of(&row)], fresh: false })
                    }
                    Ok(Ok(TombstoneOutcome::NotFound)) => Err(RoomError::NoSuchMessage(seq.unwrap_or(0))),
                    Ok(Ok(TombstoneOutcome::NotSender)) => Err(RoomError::NotYourMessage),
                    Ok(Err(code)) => Err(RoomError::NotStored(code)),
                    Err(_) => Err(RoomError::Unavailable),
                }
            }
            .into_actor(self),
        )
    }
}

impl Handler<Tombstoned> for Room {
    type Result = ();

    fn handle(&mut self, m: Tombstoned, _: &mut Context<Self>) {
        self.pending_appends = self.pending_appends.saturating_sub(1);
        if let Ok(TombstoneOutcome::Deleted(rows)) = &m.outcome {
            self.bury(rows);
        }
        let _ = m.done.send(m.outcome);
    }
}

impl Room {
    /// Checks the request and queues its tombstone; the receiver gets the outcome.
    fn start_delete(
        &mut self,
        m: DeleteMessages,
        ctx: &mut Context<Self>,
    ) -> Result<oneshot::Receiver<Result<TombstoneOutcome, crate::error::ErrorCode>>, RoomError> {
        self.check_running().and_then(|_| self.check_fenced())?;
        // `only_sender`: a member below moderator may delete only their own messages.
        let (by, only_sender) = match m.by {
            Deleter::Operator => (OPERATOR_DELETER.to_string(), None),
            Deleter::Member { session, user } => {
                if !self.online.contains_key(&session) {
                    return Err(RoomError::NotJoined);
                }
                let role = self.members.get(&user.id).map_or(Role::Member, |m| m.role());
                let only = (role < Role::Moderator).then(|| user.id.clone());
                (user.id, only)
            }
        };
        let target = match m.target {
            DeleteTarget::Seq { seq } if seq < 1 => return Err(RoomError::NoSuchMessage(seq)),
            DeleteTarget::Seq { seq } => TombstoneTarget::Seq { seq, only_sender },
            // Bulk deletion is the operator's (or a moderator's) alone.
            DeleteTarget::SenderSince { .. } if only_sender.is_some() => {
                return Err(RoomError::NotYourMessage)
            }
            DeleteTarget::SenderSince { user_id, since } => {
                TombstoneTarget::SenderSince { sender_id: user_id, since }
            }
        };
        if !self.deps.writes.try_admit(1) {
            return Err(RoomError::StoreBusy);
        }
        let (done, rx) = oneshot::channel();
        let write = Tombstone { room_id: self.id.to_string(), target, by, at: now_ms() };
        // do_send: admitted already; the gate bounds what waits.
        self.writer().do_send(WriteTombstone { write, done, notify: self.tracked(ctx).recipient() });
        // Counted with the appends: the room does not retire while it waits (`idle.rs`).
        self.pending_appends += 1;
        Ok(rx)
    }

    /// Committed tombstones: they replace their messages in the replay tail, and every
    /// member session is told, one `message_deleted` frame per message.
    fn bury(&mut self, rows: &[MessageRow]) {
        if rows.is_empty() {
            return;
        }
        for f in self.tail.iter_mut() {
            if let Some(row) = rows.iter().find(|r| r.seq == f.seq) {
                f.text = out::message_frame(row);
            }
        }
        let room = self.id.as_str();
        let frames = rows
            .iter()
            .map(|r| {
                let deleted = DeletedInRoom {
                    room: room.to_string(),
                    seq: r.seq,
                    deleted_by: r.deleted_by.clone().unwrap_or_default(),
                    deleted_at: rfc3339(r.deleted_at.unwrap_or_default()),
                };
                let text = out::encode(&out::MessageDeleted {
                    room,
                    seq: r.seq,
                    deleted_by: &deleted.deleted_by,
                    deleted_at: deleted.deleted_at.clone(),
                });
                self.deps.feed.publish(room, FeedEvent::Deleted(Arc::new(deleted)));
                RoomFrame { seq: 0, text }
            })
            .collect();
        self.deliver_all(frames, None);
    }
}
