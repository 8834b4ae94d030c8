//! The session's side of typing indicators, read receipts and policy violations: the
//! frames are checked here (joined room, `seq >= 0`) and handed to the room; too many
//! violations in a minute close the connection with 4002.

use std::time::Instant;

use actix::prelude::*;
use slog::info;

use super::WsSession;
use crate::actors::room::{MarkRead, Typing};
use crate::error::ErrorCode;
use crate::protocol::close::CloseCode;
use crate::protocol::FrameId;

impl WsSession {
    /// `typing`: passed to the room, which throttles it; ephemeral, so a full room
    /// mailbox drops it. No reply on success.
    pub(super) fn on_typing(
        &mut self,
        id: Option<FrameId>,
        room: &str,
        active: bool,
        ctx: &mut Context<Self>,
    ) {
        let addr = match self.joined_room(room) {
            Ok((_, j)) => j.addr.clone(),
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        let _ = addr.try_send(Typing { session: self.id, user: self.identity.user.clone(), active });
    }

    /// `read`: the room checks `seq` against its last seq, stores it and answers.
    pub(super) fn on_read(&mut self, id: Option<FrameId>, room: &str, seq: i64, ctx: &mut Context<Self>) {
        let addr = match self.joined_room(room) {
            Ok((_, j)) => j.addr.clone(),
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if seq < 0 {
            return self.error(ctx, id.as_ref(), ErrorCode::BadRequest, "seq must be >= 0", None);
        }
        let mark =
            MarkRead { session: self.id, user: self.identity.user.clone(), seq, id, out: self.me(ctx) };
        match addr.try_send(mark) {
            Ok(()) => {}
            Err(SendError::Full(mark)) => {
                // Back-pressure, as for `send`: stop reading until the room has room.
                self.hold(
                    ctx,
                    addr.send(mark).into_actor(self).map(|res, act, ctx| {
                        if res.is_err() {
                            act.error(ctx, None, ErrorCode::RoomUnavailable, "room unavailable", None);
                        }
                    }),
                );
            }
            Err(SendError::Closed(mark)) => {
                self.error(ctx, mark.id.as_ref(), ErrorCode::RoomUnavailable, "room unavailable", None)
            }
        }
    }

    /// Counts a policy violation; the one that reaches `limits.max_violations` within
    /// a minute closes the connection with 4002.
    pub(super) fn violation(&mut self, ctx: &mut Context<Self>) {
        if self.violations.record(Instant::now()) {
            info!(self.log, "session closed for repeated violations";
                  "user" => &self.identity.user.id, "max_violations" => self.deps.cfg.limits.max_violations);
            self.close(CloseCode::PolicyViolations, ctx);
        }
    }
}
