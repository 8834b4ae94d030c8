//! Read receipts: a member's `read` frame moves their `last_read_seq` forward (never
//! back), stores it through the `StoreWriter` (batched with other writes), and tells
//! the other members' sessions. When the writer is over `store.max_pending` the frame
//! is answered `room_unavailable` and nothing moves. A `seq` beyond the room's last is `bad_request` and
//! changes nothing; a `seq` at or below the current position is accepted and ignored.
//! A frame with an `id` is answered with the `read` frame itself, carrying the position
//! in force.

use actix::prelude::*;

use super::delivery::send_error;
use super::messages::SessionId;
use super::Room;
use crate::actors::exchange::Outbound;
use crate::actors::mailbox::TrackedRecipient;
use crate::actors::store_writer::WriteRoom;
use crate::error::{ErrorCode, HasCode};
use crate::model::UserRef;
use crate::protocol::outbound::encode;
use crate::protocol::room_life::ReadReceipt;
use crate::protocol::FrameId;
use crate::store::room_life::{ReadMark, RoomWrite};

/// A session's `read` frame.
#[derive(Message)]
#[rtype(result = "()")]
pub struct MarkRead {
    pub session: SessionId,
    pub user: UserRef,
    pub seq: i64,
    /// The frame's `id`, echoed on the reply.
    pub id: Option<FrameId>,
    pub out: TrackedRecipient<Outbound>,
}

crate::actor_shell!(Room, routed: MarkRead);

impl Handler<MarkRead> for Room {
    type Result = ();

    fn handle(&mut self, m: MarkRead, _: &mut Context<Self>) {
        self.crash_notice = Some(super::CrashNotice {
            to: m.out.clone(),
            id: m.id.clone(),
            text: "room crashed handling this frame",
        });
        self.on_mark_read(m);
        self.crash_notice = None;
    }
}

impl Room {
    fn on_mark_read(&mut self, m: MarkRead) {
        if let Err(e) = self.check_running() {
            return send_error(&m.out, m.id.as_ref(), e.code(), &e.to_string());
        }
        if !self.online.contains_key(&m.session) {
            return send_error(&m.out, m.id.as_ref(), ErrorCode::NotJoined, "join the room first");
        }
        let last = self.delivered_seq.unwrap_or(0);
        if m.seq > last {
            let msg = format!("seq {} is beyond the room's last seq {last}", m.seq);
            return send_error(&m.out, m.id.as_ref(), ErrorCode::BadRequest, &msg);
        }
        let Some(member) = self.members.get_mut(&m.user.id) else {
            return send_error(&m.out, m.id.as_ref(), ErrorCode::NotJoined, "join the room first");
        };
        let moved = m.seq > member.last_read_seq;
        if moved {
            // Refused, not dropped, when the writer is over `store.max_pending`: the
            // position stays where it was and the client may send `read` again.
            if !self.deps.writes.try_admit(1) {
                let msg = "store busy; read position not stored, retry";
                return send_error(&m.out, m.id.as_ref(), ErrorCode::RoomUnavailable, msg);
            }
            member.last_read_seq = m.seq;
        }
        let position = member.last_read_seq;
        if moved {
            let mark = ReadMark { room_id: self.id.to_string(), user_id: m.user.id.clone(), seq: m.seq };
            // do_send: admitted already; the gate bounds what waits.
            self.writer().do_send(WriteRoom(RoomWrite::Read(mark)));
            let frame = encode(&ReadReceipt { id: None, room: self.id.as_str(), user: &m.user, seq: m.seq });
            self.broadcast_event(frame, Some(&m.user.id));
        }
        if let Some(id) = &m.id {
            let frame =
                encode(&ReadReceipt { id: Some(id), room: self.id.as_str(), user: &m.user, seq: position });
            // do_send: one reply per request, like acks.
            m.out.do_send(Outbound::Direct(frame));
        }
    }
}
