//! Getting frames to members: acks after commit, fan-out of one shared frame batch to
//! every online session, presence events, gap repair, and dropping slow sessions.

use crate::actors::shell::Shell;
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;
use slog::{debug, warn};

use super::messages::{ReplyTo, SendTicket, SessionId};
use super::Room;
use crate::actors::exchange::Committed;
use crate::actors::exchange::{Outbound, RoomFrame, RoomFrames};
use crate::actors::mailbox::TrackedRecipient;
use crate::actors::room_feed::FeedEvent;
use crate::error::ErrorCode;
use crate::metrics::metrics;
use crate::model::now_ms;
use crate::protocol::close::CloseCode;
use crate::protocol::outbound as out;
use crate::store::messages::{AppendOutcome, MessageRow};

impl Room {
    /// Handles a commit report: repairs a gap first if the report skips seqs.
    pub(super) fn on_committed(&mut self, m: Committed, ctx: &mut Context<Self>) {
        let first_new = m.results.iter().find_map(|(_, r)| match r {
            Ok(AppendOutcome::Stored(row)) => Some(row.seq),
            _ => None,
        });
        let delivered = self.delivered_seq.unwrap_or(0);
        match first_new {
            Some(first) if first > delivered + 1 => self.repair_gap(delivered, first - 1, m, ctx),
            _ => self.apply_committed(m, ctx),
        }
    }

    /// Reads `after < seq <= upto` from the store, delivers it, then applies `m`. The
    /// mailbox waits meanwhile so order is kept.
    fn repair_gap(&mut self, after: i64, upto: i64, m: Committed, ctx: &mut Context<Self>) {
        warn!(self.log, "delivery gap, reading it from the store"; "after" => after, "upto" => upto);
        let (store, id) = (self.deps.store.clone(), self.id.to_string());
        let fut = async move { store.run(move |c| MessageRow::range(c, &id, after, upto)).await };
        ctx.wait(fut.into_actor(self).map(move |rows, act, ctx| {
            act.guarded(ctx, "gap repair", |act, ctx| {
                match rows {
                    Ok(rows) => {
                        let frames = rows
                            .iter()
                            .map(|r| RoomFrame { seq: r.seq, text: out::message_frame(r) })
                            .collect();
                        act.fan_out(frames);
                    }
                    Err(e) => warn!(act.log, "gap repair failed"; "err" => %e),
                }
                act.apply_committed(m, ctx);
            });
        }));
    }

    /// Acks each sender, then sends all new frames to every member session at once,
    /// then runs the `!commands` among them.
    fn apply_committed(&mut self, m: Committed, ctx: &mut Context<Self>) {
        let mut frames = Vec::new();
        let mut invocations = Vec::new();
        for (ticket, result) in m.results {
            match result {
                Ok(AppendOutcome::Stored(row)) => {
                    let new = row.seq > self.delivered_seq.unwrap_or(0);
                    if new {
                        invocations.extend(self.invocation_of(&row, &ticket));
                    }
                    send_ack(ticket, self.id.as_str(), row.seq, false);
                    if new {
                        frames.push(RoomFrame { seq: row.seq, text: out::message_frame(&row) });
                    }
                }
                Ok(AppendOutcome::Duplicate { seq }) => send_ack(ticket, self.id.as_str(), seq, true),
                Err(code) => reply_error(ticket, code, "message not stored, retry with the same client_id"),
            }
        }
        if !frames.is_empty() {
            self.fan_out(frames);
        }
        if !invocations.is_empty() {
            self.run_commands(invocations, ctx);
        }
    }

    /// Delivers committed frames (in seq order) to every online session and the tail.
    pub(super) fn fan_out(&mut self, frames: Vec<RoomFrame>) {
        let Some(last) = frames.last().map(|f| f.seq) else { return };
        self.delivered_seq = Some(last);
        self.deps.feed.publish(self.id.as_str(), FeedEvent::Committed(last));
        self.rate.add(frames.len() as u32);
        // A replica keeps no tail: replays are the owner's (or the store's).
        let cap = if self.replica_of().is_some() { 0 } else { self.deps.cfg.rooms.tail_len };
        if cap > 0 {
            for f in &frames {
                if self.tail.len() == cap {
                    self.tail.pop_front();
                }
                self.tail.push_back(f.clone());
            }
        }
        self.deliver_all(frames, None);
    }

    /// Sends an unsequenced event to every session except those of `skip_user`.
    pub(super) fn broadcast_event(&mut self, text: ByteString, skip_user: Option<&str>) {
        self.deliver_all(vec![RoomFrame { seq: 0, text }], skip_user);
    }

    pub(super) fn deliver_all(&mut self, frames: Vec<RoomFrame>, skip_user: Option<&str>) {
        self.publish_batch(&frames, skip_user);
        // Sessions to drop: cut as slow consumers (true) or found gone (false).
        let mut slow = Vec::new();
        let sequenced = frames.iter().filter(|f| f.seq > 0).count() as u64;
        let batch = Arc::new(RoomFrames { room: self.id.clone(), frames });
        let mut delivered = 0u64;
        for (sid, (uid, addr)) in &self.online {
            if skip_user == Some(uid.as_str()) || self.is_remote(sid) {
                continue;
            }
            match addr.try_send(Outbound::Room(batch.clone())) {
                Ok(()) => delivered += sequenced,
                Err(SendError::Full(_)) => {
                    // do_send: the close must get through the full queue.
                    addr.do_send(Outbound::close(CloseCode::SlowConsumer));
                    slow.push((*sid, true));
                }
                Err(SendError::Closed(_)) => slow.push((*sid, false)),
            }
        }
        if delivered > 0 {
            metrics().deliveries.inc_by(delivered);
        }
        for (sid, cut) in slow {
            if cut {
                warn!(self.log, "session dropped"; "session" => sid, "reason" => "slow consumer");
            } else {
                // A disconnect whose leave the room has not handled yet: ordinary.
                debug!(self.log, "session dropped"; "session" => sid, "reason" => "gone");
            }
            self.remove_session(sid);
        }
    }

    /// Drops a session; the user's last session going tells the others `member_left`.
    pub(super) fn remove_session(&mut self, session: SessionId) {
        self.forget_alias(session);
        let Some((user_id, _)) = self.online.remove(&session) else { return };
        let Some(member) = self.members.get_mut(&user_id) else { return };
        member.sessions.retain(|s| *s != session);
        if member.sessions.is_empty() {
            let user = member.user.clone();
            let durable = member.durable;
            self.bot_gone(&user_id);
            // A leave's presence cannot be refused: admitted over the limit. A member
            // whose join is still being stored gets its row from that join.
            if durable {
                self.deps.writes.force_admit(1);
                self.write_member(self.touch_of(&user, now_ms()), None);
            }
            let frame =
                out::encode(&out::MemberEvent { kind: "member_left", room: self.id.as_str(), user: &user });
            self.broadcast_event(frame, Some(&user_id));
        }
    }
}

pub(super) fn send_ack(ticket: SendTicket, room: &str, seq: i64, duplicate: bool) {
    match ticket.reply {
        ReplyTo::Session(to) => {
            let frame = out::encode(&out::Ack {
                id: ticket.frame_id.as_ref(),
                room,
                seq,
                client_id: ticket.client_id.as_deref(),
                duplicate,
            });
            // do_send: acks are few (one per send) and must not be lost; the delivery
            // queue's bound is enforced on fan-out.
            to.do_send(Outbound::Direct(frame));
        }
        ReplyTo::Operator(tx) | ReplyTo::Forwarded { done: tx, .. } => {
            let _ = tx.send(Ok((seq, duplicate)));
        }
        ReplyTo::Room => {}
    }
}

/// Answers a send with an `error` frame (or the operator with the error).
pub(super) fn reply_error(ticket: SendTicket, code: ErrorCode, message: &str) {
    match ticket.reply {
        ReplyTo::Session(to) => send_error(&to, ticket.frame_id.as_ref(), code, message),
        ReplyTo::Operator(tx) | ReplyTo::Forwarded { done: tx, .. } => {
            let _ = tx.send(Err((code, message.to_string())));
        }
        // The room's own posts (welcomes) are best effort: a failed one is dropped.
        ReplyTo::Room => {}
    }
}

pub(super) fn send_error(
    to: &TrackedRecipient<Outbound>,
    id: Option<&crate::protocol::FrameId>,
    code: ErrorCode,
    message: &str,
) {
    metrics().reject(code.as_str());
    // do_send: like acks, one per failed request.
    to.do_send(Outbound::Direct(out::error_frame(id, code, message, None)));
}
