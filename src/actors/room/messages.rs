//! The messages a `Room` handles, its replies and its error, in handler order.

use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;
use slog::Logger;

use crate::actors::exchange::Outbound;
pub use crate::actors::exchange::{PostOutcome, ReplyTo, SendTicket, SessionId};
use crate::actors::mailbox::{TrackedAddr, TrackedRecipient};
use crate::actors::store_writers::StoreWriters;
use crate::actors::write_gate::WriteGate;
use crate::config::Settings;
use crate::error::{ErrorCode, HasCode};
pub use crate::model::RoomStats;
use crate::model::{RoomId, UserRef};
use crate::protocol::outbound::MemberView;
use crate::store::Store;

/// To the registry: this room found it does not exist (or retired); forget it, if
/// `addr` is still the one registered.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomGone {
    pub id: RoomId,
    pub addr: TrackedAddr<super::Room>,
}

/// Join a session to the room; replies with the room's last seq and members.
#[derive(Message)]
#[rtype(result = "Result<JoinReply, RoomError>")]
pub struct Join {
    pub session: SessionId,
    pub user: UserRef,
    pub out: TrackedRecipient<Outbound>,
    pub after_seq: Option<i64>,
}

/// Remove a session from the room (leave or disconnect).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub session: SessionId,
}

/// Append a text message; the `ack` or `error` goes to `ticket.reply`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendText {
    /// The sending session, which must have joined; `None` for the operator, who
    /// posts without joining.
    pub session: Option<SessionId>,
    pub user: UserRef,
    pub text: String,
    pub reply_to: Option<String>,
    pub ticket: SendTicket,
}

/// Live figures of the room, for the admin API.
#[derive(Message)]
#[rtype(result = "RoomStats")]
pub struct GetStats;

/// Resolves once every message handled before it was passed on (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Sync;

/// Fault injection: panic inside this handler (only with `debug.fault_injection`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;

/// The room was deleted: tell every member session (`room_closed`) and stop for good.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseRoom;

/// Remove a member (kick, or the removal of a ban): close the room for their sessions
/// (`room_closed` with reason `kicked` or `banned`), tell the others `member_left`, and
/// remove the membership through the store writer, after every membership write queued
/// before it. Answered once the removal committed; `NotMember` if there was no such
/// member.
#[derive(Message)]
#[rtype(result = "Result<(), RoomError>")]
pub struct Kick {
    pub user_id: String,
    pub reason: Removal,
}

/// Why a member is removed: the `reason` of their `room_closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    #[default]
    Kicked,
    Banned,
}

impl Removal {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Kicked => "kicked",
            Self::Banned => "banned",
        }
    }
}

/// Ids of the users with a session in the room now.
#[derive(Message)]
#[rtype(result = "Vec<String>")]
pub struct OnlineUsers;

/// Roles, bans or mutes changed in the store: re-read them.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReloadRoles;

/// Operator restart: reload from the store and lift a quarantine.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Restart;

/// What a joining session needs to send `joined` and replay.
pub struct JoinReply {
    pub last_seq: i64,
    pub last_read_seq: i64,
    pub members: Vec<MemberView>,
    pub replay: Replay,
}

/// How to replay `after_seq < seq <= last_seq` to a joining session.
pub enum Replay {
    Nothing,
    /// Frames from the room's tail, oldest first.
    Frames(Vec<ByteString>),
    /// Read this range from the store.
    FromStore {
        after: i64,
        upto: i64,
    },
    /// More than `rooms.max_replay` messages: the client pages with `history`.
    Truncated,
}

/// Why a room refused a request.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("room not found")]
    NotFound,
    #[error("room unavailable")]
    Unavailable,
    #[error("room quarantined after repeated crashes; an operator must restart it")]
    Quarantined,
    #[error("room unavailable: {0}")]
    Mailbox(#[from] MailboxError),
    #[error("room is full: it has {0} members, its max_members setting")]
    Full(u32),
    /// `store.max_pending` writes wait already.
    #[error("store busy, retry")]
    StoreBusy,
    #[error("{user} is not a member of {room}")]
    NotMember { user: String, room: String },
    /// A kick's removal waited `store.commit_timeout_ms` for the store; it stays queued.
    #[error("the store is unavailable; the kick is queued and applies when the store is back")]
    KickQueued,
    /// A session's request for a room it has not joined.
    #[error("join the room first")]
    NotJoined,
    #[error("no message with seq {0} in this room")]
    NoSuchMessage(i64),
    #[error("only moderators and above may delete other members' messages")]
    NotYourMessage,
    /// The store writer failed the write (`room_unavailable`: retry; `internal`).
    #[error("not stored, retry")]
    NotStored(ErrorCode),
    /// The user is banned from the room until `expires_at` (Unix ms; `None`: until lifted).
    #[error("you are banned from this room")]
    Banned { expires_at: Option<i64> },
    /// The room's owner node refused (cluster mode).
    #[error("{message}")]
    Remote { code: ErrorCode, message: String },
}

impl HasCode for RoomError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound | Self::NotMember { .. } => ErrorCode::NotFound,
            Self::Unavailable | Self::Quarantined | Self::Mailbox(_) | Self::StoreBusy | Self::KickQueued => {
                ErrorCode::RoomUnavailable
            }
            Self::Full(_) | Self::NotYourMessage => ErrorCode::Forbidden,
            Self::NotJoined => ErrorCode::NotJoined,
            Self::NoSuchMessage(_) => ErrorCode::NotFound,
            Self::Banned { .. } => ErrorCode::Banned,
            Self::NotStored(code) | Self::Remote { code, .. } => *code,
        }
    }
}

/// Everything a room needs from the rest of the server.
#[derive(Clone)]
pub struct RoomDeps {
    pub store: Store,
    /// The room's writes go to `writers.for_room(its id)` (`Room::writer`).
    pub writers: StoreWriters,
    /// Admits writes before they are sent to a writer (`store.max_pending`).
    pub writes: WriteGate,
    pub registry: TrackedRecipient<RoomGone>,
    pub cfg: Arc<Settings>,
    pub log: Logger,
    /// Cluster mode: this node's NATS side (`None` on a single node).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Wakes the operators' event streams of this room (`room_feed`).
    pub feed: Arc<crate::actors::room_feed::RoomFeedHub>,
}
