//! The export file: JSON Lines, one record per line, each an object whose first field
//! `type` names it. Line 1 is the [`Header`]; the last line is the [`End`], which
//! counts the records between them, so a file cut at a line boundary is still known to
//! be incomplete. A data record is a stored row with its columns as fields, in the
//! column order of `src/schema.rs` (JSON-text columns as JSON values, times as Unix
//! milliseconds, absent values as `null`). docs/OPERATIONS.md describes every type.
//!
//! Version policy: [`FORMAT`] grows when a type or field is added, renamed or changes
//! meaning; an import reads every format up to its own and refuses a newer one.

use serde::{Deserialize, Serialize};

use crate::store::audit::AuditRow;
use crate::store::broadcasts::{BroadcastRoomRow, BroadcastRow};
use crate::store::members::MemberRow;
use crate::store::messages::MessageRow;
use crate::store::restrictions::RestrictionRow;
use crate::store::room_life::WelcomeRow;
use crate::store::rooms::RoomRow;
use crate::store::schedules::{ScheduleFireRow, ScheduleRow};
use crate::store::tokens::TokenRow;

/// The format this build writes, and the newest it reads.
pub const FORMAT: u32 = 1;

/// Line 1 of a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    /// The version of the roomd that wrote the file.
    pub roomd: String,
    /// When the export started (RFC 3339, UTC); absent with `--no-timestamp`, so two
    /// exports of the same data are byte-identical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
}

/// The last line of a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// Data records between the header and this line.
    pub records: u64,
}

/// One line of a file. The order of the variants is the order of the file: a record
/// comes after those it refers to (a member after its room, a broadcast's rooms
/// after the broadcast).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Room(RoomRow),
    Token(TokenRow),
    Member(MemberRow),
    Restriction(RestrictionRow),
    Welcome(WelcomeRow),
    Message(MessageRow),
    Schedule(ScheduleRow),
    ScheduleFire(ScheduleFireRow),
    Broadcast(BroadcastRow),
    BroadcastRoom(BroadcastRoomRow),
    Audit(AuditRow),
    End(End),
}

/// The data record types, in file order, as `type` spells them.
pub const DATA_TYPES: [&str; 11] = [
    "room",
    "token",
    "member",
    "restriction",
    "welcome",
    "message",
    "schedule",
    "schedule_fire",
    "broadcast",
    "broadcast_room",
    "audit",
];

impl Record {
    /// The `type` of the record.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Header(_) => "header",
            Self::Room(_) => "room",
            Self::Token(_) => "token",
            Self::Member(_) => "member",
            Self::Restriction(_) => "restriction",
            Self::Welcome(_) => "welcome",
            Self::Message(_) => "message",
            Self::Schedule(_) => "schedule",
            Self::ScheduleFire(_) => "schedule_fire",
            Self::Broadcast(_) => "broadcast",
            Self::BroadcastRoom(_) => "broadcast_room",
            Self::Audit(_) => "audit",
            Self::End(_) => "end",
        }
    }
}

/// The table each data type is stored in (same order as [`DATA_TYPES`]).
pub const TABLES: [&str; 11] = [
    "rooms",
    "tokens",
    "members",
    "room_restrictions",
    "welcomes",
    "messages",
    "schedules",
    "schedule_fires",
    "broadcasts",
    "broadcast_rooms",
    "audit_log",
];
