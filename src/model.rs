//! Small domain types shared by the store, the actors and the wire: room ids, users,
//! kinds and roles, and the clock.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A validated room id: `[a-z0-9][a-z0-9_-]{0,63}`. Cheap to clone (shared string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(Arc<str>);

/// Why a string is not a room id.
#[derive(Debug, Clone, thiserror::Error)]
#[error("room id must match [a-z0-9][a-z0-9_-]{{0,63}}")]
pub struct InvalidRoomId;

impl RoomId {
    pub fn parse(s: &str) -> Result<Self, InvalidRoomId> {
        let bytes = s.as_bytes();
        let first_ok = matches!(bytes.first(), Some(b'a'..=b'z' | b'0'..=b'9'));
        let rest_ok =
            bytes[1.min(bytes.len())..].iter().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
        if first_ok && rest_ok && bytes.len() <= 64 {
            Ok(Self(Arc::from(s)))
        } else {
            Err(InvalidRoomId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomId {
    type Error = InvalidRoomId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RoomId> for String {
    fn from(r: RoomId) -> String {
        r.0.to_string()
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest user id, token name, room id, tag or role, in characters (room ids, being
/// ASCII, are also 64 bytes). docs/ADMIN_API.md and docs/PROTOCOL.md list every limit.
pub const MAX_ID_CHARS: usize = 64;

/// User ids no token or JWT may have, compared case-insensitively and ignoring
/// surrounding blanks: `system` is the sender id of messages roomd and operators post,
/// `roomd` is the server's own name.
pub const RESERVED_USER_IDS: [&str; 2] = ["system", "roomd"];

/// Why a string cannot be a user id (a token name, a JWT `sub`, a member id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUserId {
    #[error("must be 1 to 64 characters, not only blanks")]
    Length,
    #[error("must not contain NUL")]
    Nul,
    #[error("is reserved (system and roomd cannot be user ids)")]
    Reserved,
    #[error("must not be . or .. (a URL path cannot name them: /members/.. is the room itself)")]
    Dots,
}

/// Checks a user id: 1 to [`MAX_ID_CHARS`] characters, not only blanks, no NUL, not
/// one of [`RESERVED_USER_IDS`], not `.` or `..` (the admin API's member paths could
/// not address them: clients resolve those segments before sending).
pub fn check_user_id(id: &str) -> Result<(), InvalidUserId> {
    if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(InvalidUserId::Length);
    }
    if id.contains('\0') {
        return Err(InvalidUserId::Nul);
    }
    if is_reserved_user_id(id) {
        return Err(InvalidUserId::Reserved);
    }
    if id == "." || id == ".." {
        return Err(InvalidUserId::Dots);
    }
    Ok(())
}

/// True for a [`RESERVED_USER_IDS`] entry in any case, with or without surrounding blanks.
pub fn is_reserved_user_id(id: &str) -> bool {
    let id = id.trim();
    RESERVED_USER_IDS.iter().any(|r| r.eq_ignore_ascii_case(id))
}

/// What kind of principal a token or message sender is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    User,
    Bot,
    Admin,
    /// Messages posted by roomd itself or by an operator through the admin API.
    System,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Bot => "bot",
            Self::Admin => "admin",
            Self::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "bot" => Some(Self::Bot),
            "admin" => Some(Self::Admin),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

/// An authenticated principal as it appears on the wire (`{"id","name","kind"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: String,
    pub name: String,
    pub kind: UserKind,
}

/// A room member's role; ordered so `Owner > Admin > Moderator > Member`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Moderator,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "moderator" => Some(Self::Moderator),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch, the store's time unit.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Formats store milliseconds as RFC 3339 with millisecond precision (`…T07:22:52.123Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_follow_the_contract_pattern() {
        for ok in ["a", "lobby", "0", "a-b_c", &"x".repeat(64)] {
            assert!(RoomId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "_a", "A", "a b", "room!", "é", &"x".repeat(65)] {
            assert!(RoomId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_ids_are_length_limited_and_not_reserved() {
        for ok in ["alice", "a", &"x".repeat(64), "systems", "Ünïcode"] {
            assert_eq!(check_user_id(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_user_id(""), Err(InvalidUserId::Length));
        assert_eq!(check_user_id("  "), Err(InvalidUserId::Length));
        assert_eq!(check_user_id(&"x".repeat(65)), Err(InvalidUserId::Length));
        assert_eq!(check_user_id("a\0b"), Err(InvalidUserId::Nul));
        assert_eq!(check_user_id("."), Err(InvalidUserId::Dots));
        assert_eq!(check_user_id(".."), Err(InvalidUserId::Dots));
        assert_eq!(check_user_id("..."), Ok(()));
        for reserved in ["system", "SYSTEM", " System ", "roomd", "RoomD"] {
            assert_eq!(check_user_id(reserved), Err(InvalidUserId::Reserved), "{reserved:?}");
        }
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Moderator && Role::Moderator > Role::Member);
    }

    #[test]
    fn timestamps_render_as_rfc3339_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    }
}

/// An actor's life as the supervisor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum ActorStatus {
    Running = 0,
    Restarting = 1,
    Quarantined = 2,
    Stopped = 3,
}

impl ActorStatus {
    pub const ALL: [ActorStatus; 4] = [Self::Running, Self::Restarting, Self::Quarantined, Self::Stopped];

    /// The status's place in [`ActorStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Quarantined => "quarantined",
            Self::Stopped => "stopped",
        }
    }

    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Restarting,
            2 => Self::Quarantined,
            3 => Self::Stopped,
            _ => Self::Running,
        }
    }
}

/// A room's live figures (also sent between cluster nodes).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RoomStats {
    pub status: ActorStatus,
    pub last_seq: i64,
    pub members_online: usize,
    pub messages_per_min: u64,
    pub restarts: u32,
    pub last_restart_at: Option<String>,
    /// Messages waiting in the room's mailbox.
    pub mailbox_depth: u64,
}
