//! What crosses nodes over NATS, as JSON: calls a node makes to a room's owner (or to
//! another node itself: [`NodeCall`]), their replies, frames an owner sends to one
//! session on another node, and the committed frames an owner publishes on the room's
//! subject.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::live_sessions::{SessionFilter, SessionInfo};
use crate::model::RoomStats;
use crate::model::{Role, UserRef};
use crate::protocol::FrameId;
use crate::store::rooms::RoomSettings;
use crate::store::tombstones::{DeleteTarget, Deletion};

/// Identifies one process of a node: a node restarted under the same id is a new
/// incarnation, and what was meant for the old one is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeKey {
    pub node: String,
    pub incarnation: u64,
}

/// A request to the owner of `room`, from a session (`session`) or an operator on `from`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RoomCall {
    pub room: String,
    pub from: NodeKey,
    pub session: u64,
    pub body: CallBody,
}

/// What is asked of the owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CallBody {
    Join {
        user: UserRef,
        after_seq: Option<i64>,
    },
    Leave,
    Send {
        user: UserRef,
        text: String,
        reply_to: Option<String>,
        frame_id: Option<FrameId>,
        client_id: Option<String>,
    },
    /// An operator's (or a broadcast job's) post; answered with its outcome.
    Post {
        user: UserRef,
        text: String,
        client_id: Option<String>,
    },
    Typing {
        user: UserRef,
        active: bool,
    },
    Read {
        user: UserRef,
        seq: i64,
        frame_id: Option<FrameId>,
    },
    RegisterCommand {
        bot: UserRef,
        name: String,
        description: String,
        min_role: Role,
    },
    Stats,
    Online,
    Restart,
    Close,
    Kick {
        user_id: String,
        #[serde(default)]
        reason: crate::actors::room::Removal,
    },
    ReloadRoles,
    Settings {
        name: String,
        settings: RoomSettings,
    },
    Crash,
    /// Delete messages: from a session (`user`), or the operator (`user` absent);
    /// answered with [`CallReply::Deleted`] once the tombstones committed.
    Delete {
        target: DeleteTarget,
        user: Option<UserRef>,
    },
}

impl CallBody {
    /// Every [`CallBody::kind`] (declared at start, so each series exists at 0).
    pub const KINDS: [&'static str; 4] = ["join", "send", "leave", "other"];

    /// The `kind` label of `roomd_cluster_forwarded_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Join { .. } => "join",
            Self::Send { .. } | Self::Post { .. } => "send",
            Self::Leave => "leave",
            _ => "other",
        }
    }
}

/// A request to a node about itself rather than a room (answered on `P.node.NODE`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum NodeCall {
    /// Its live sessions matching `filter` with an id after `after`, by id, at most
    /// `limit`; answered with [`CallReply::Sessions`].
    ListSessions { filter: SessionFilter, after: Option<String>, limit: usize },
}

impl NodeCall {
    /// The `kind` label of `roomd_cluster_forwarded_total`.
    pub fn kind(&self) -> &'static str {
        "other"
    }
}

/// The owner's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum CallReply {
    /// Taken; acks, errors and notices follow as frames to the session.
    Accepted,
    Joined(JoinedWire),
    Posted {
        seq: i64,
        duplicate: bool,
    },
    Stats(RoomStats),
    Deleted(Deletion),
    Online {
        users: Vec<String>,
    },
    Refused {
        code: String,
        message: String,
        /// `banned`: the ban, whose expiry goes in the session's `error` frame.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ban: Option<BanWire>,
    },
    /// This node does not own the room (any more): ask the lease again.
    NotOwner,
    /// A node's live sessions (`node` is left for the asking node to fill in).
    Sessions {
        items: Vec<SessionInfo>,
    },
}

impl CallReply {
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Refused { code: code.as_str().to_string(), message: message.into(), ban: None }
    }
}

/// The ban that refused a join.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BanWire {
    /// Unix ms; null: until lifted.
    pub expires_at: Option<i64>,
}

/// The wire name of an error code back to the code (`internal` if unknown).
pub fn code_of(name: &str) -> ErrorCode {
    ErrorCode::parse(name).unwrap_or(ErrorCode::Internal)
}

/// `JoinReply` on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub struct JoinedWire {
    pub last_seq: i64,
    pub last_read_seq: i64,
    pub members: Vec<MemberWire>,
    pub replay: ReplayWire,
}

/// A `MemberView` on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub struct MemberWire {
    pub id: String,
    pub name: String,
    pub kind: crate::model::UserKind,
    pub role: Role,
    pub online: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReplayWire {
    Nothing,
    Frames { frames: Vec<String> },
    FromStore { after: i64, upto: i64 },
    Truncated,
}

/// A frame (or close) for one session on another node.
#[derive(Debug, Serialize, Deserialize)]
pub struct ToSession {
    pub incarnation: u64,
    pub session: u64,
    pub out: OutboundWire,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboundWire {
    Direct { frame: String },
    Violation { frame: String },
    RoomClosed { room: String, frame: String },
    Close { code: u16, reason: String },
}

/// Committed frames (and room-wide events) of a room, published by its owner.
#[derive(Debug, Serialize, Deserialize)]
pub struct RoomBatch {
    pub frames: Vec<(i64, String)>,
    /// Not for this user's sessions (their own `typing`, `member_joined`…).
    pub skip_user: Option<String>,
}

/// Cluster-wide control messages (on `P.control`; every node runs them, the sender too).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Control {
    /// A token was revoked: forget it and close its sessions.
    TokenRevoked { token_id: String },
    /// A broadcast job was cancelled.
    BroadcastCancelled { id: String },
    /// An operator disconnected sessions: each node other than `from` (which closed
    /// its own) closes those of its sessions that match, with 4503 and the reason.
    DisconnectSessions { from: String, filter: SessionFilter, reason: Option<String> },
}
