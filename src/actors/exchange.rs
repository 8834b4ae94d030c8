//! The message types that actors of different kinds exchange: what a room delivers to
//! sessions (`Outbound`, `RoomFrame`), where a send's outcome goes (`SendTicket`), and
//! what the store writer reports back to a room (`Committed`). A leaf: it imports no
//! actor, so the actors that exchange these import it and not each other.

use std::borrow::Cow;
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;

use super::mailbox::TrackedRecipient;
use crate::error::ErrorCode;
use crate::model::RoomId;
use crate::protocol::close::CloseCode;
use crate::protocol::FrameId;
use crate::store::messages::AppendOutcome;

/// Identifies a WebSocket session.
pub type SessionId = u64;

/// Where a send came from, so its `ack` or `error` finds its way back.
pub struct SendTicket {
    pub reply: ReplyTo,
    pub frame_id: Option<FrameId>,
    pub client_id: Option<String>,
}

/// What became of an operator's post: `(seq, duplicate)` or why it failed.
pub type PostOutcome = Result<(i64, bool), (ErrorCode, String)>;

/// Who is waiting for the outcome of a send.
pub enum ReplyTo {
    /// A WebSocket session: `ack` / `error` frames.
    Session(TrackedRecipient<Outbound>),
    /// An admin API request (`POST /rooms/{id}/messages`).
    Operator(tokio::sync::oneshot::Sender<PostOutcome>),
    /// Nobody: the room posted it itself (a welcome); the outcome is dropped.
    Room,
    /// A session on another node (cluster mode): the outcome goes back to that node,
    /// which writes the `ack` or `error`; notices go to the session's stand-in `out`.
    /// A dropped `done` means the session was answered with frames (or, as on one
    /// node, not at all).
    Forwarded { out: TrackedRecipient<Outbound>, done: tokio::sync::oneshot::Sender<PostOutcome> },
}

/// One frame of a room, with its seq (0 for unsequenced events like `member_joined`).
#[derive(Debug, Clone)]
pub struct RoomFrame {
    pub seq: i64,
    pub text: ByteString,
}

/// Frames of one room for all its member sessions: one allocation shared by every
/// recipient, so a delivery costs one reference count, not one per field.
#[derive(Debug)]
pub struct RoomFrames {
    pub room: RoomId,
    pub frames: Vec<RoomFrame>,
}

/// Something to write to the client.
#[derive(Message)]
#[rtype(result = "()")]
pub enum Outbound {
    /// Frames of a room; dropped if the session is no longer in it, and sequenced
    /// frames already replayed are skipped.
    Room(Arc<RoomFrames>),
    /// A frame for this session alone (ack, error).
    Direct(ByteString),
    /// The room was deleted or this user removed from it: forget it and pass on
    /// `frame` (`room_closed`).
    RoomClosed { room: RoomId, frame: ByteString },
    /// Close the connection with this code (one of [`CloseCode`]'s, carried as its
    /// number so that it crosses the cluster as it is) and reason text (the code's
    /// own, or with an operator's words after it: [`CloseCode::reason_with`]).
    Close { code: u16, reason: Cow<'static, str> },
    /// The server is shutting down: refuse new frames (but `ping`) from now on.
    Drain,
    /// A frame for this session alone that reports a policy violation (a spam
    /// `notice`): written, and counted toward `limits.max_violations`.
    Violation(ByteString),
}

impl Outbound {
    /// Close the connection with `code` and its reason text.
    pub fn close(code: CloseCode) -> Self {
        Self::Close { code: code.code(), reason: Cow::Borrowed(code.reason()) }
    }
}

/// What became of a room's messages in one batch, in append order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub results: Vec<(SendTicket, Result<AppendOutcome, ErrorCode>)>,
}
