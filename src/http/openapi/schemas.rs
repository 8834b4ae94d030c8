//! Types that exist only to describe answers in the OpenAPI document (`src/http/openapi.rs`
//! lists them): health answers, statuses, and the page shapes of the list endpoints
//! whose handlers build their JSON from other types.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::api::{audit, members, rooms, tokens};

/// `GET /healthz` answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String, example = "ok", pattern = "^ok$")]
    pub status: &'static str,
}

/// `GET /readyz` answer, with 200 (`ready`) or 503 (`unavailable`).
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(value_type = ReadyStatus)]
    pub status: &'static str,
    /// The store answered a ping within 500 ms.
    pub store: bool,
    /// False from a commit that failed for lack of disk space until one succeeds again.
    pub store_writes: bool,
    /// The room registry answered.
    pub supervisor: bool,
    /// Cluster mode only: connected to NATS now (calls to rooms owned elsewhere work).
    #[schema(nullable = false)]
    pub nats: Option<bool>,
}

/// Schema only: `Readiness.status`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReadyStatus {
    Ready,
    Unavailable,
}

/// Schema only: the life of a room's actor (`stopped` when none is running).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoomStatus {
    Running,
    Restarting,
    Quarantined,
    Stopped,
}

/// `POST /api/v1/rooms/{id}/crash` answer (202).
#[derive(Serialize, ToSchema)]
pub struct Crashed {
    pub id: String,
    #[schema(value_type = bool, example = true)]
    pub crashed: bool,
}

/// Schema only: `GET /api/v1/rooms/{id}/members` answer.
#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<members::MemberView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Schema only: a stored message, shaped like the WebSocket `message` frame.
#[derive(Serialize, ToSchema)]
pub struct MessageItem {
    #[schema(example = "message")]
    #[serde(rename = "type")]
    pub kind: String,
    pub room: String,
    pub seq: i64,
    pub from: MessageFrom,
    pub text: String,
    /// RFC 3339.
    pub ts: String,
    #[schema(required = true)]
    pub client_id: Option<String>,
    /// The bot's answer to a command: the `invocation` id it answers.
    pub reply_to: Option<String>,
    /// Present (and true) only on messages posted by `!announce`.
    pub announcement: Option<bool>,
}

/// Schema only: the sender of a message.
#[derive(Serialize, ToSchema)]
pub struct MessageFrom {
    pub id: String,
    pub name: String,
    /// `user`, `bot`, `admin` or `system`.
    pub kind: String,
}

/// Schema only: `GET /api/v1/rooms/{id}/messages` answer.
#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<MessageItem>,
    pub has_more: bool,
}

/// Schema only: `GET /api/v1/tokens` answer.
#[derive(Serialize, ToSchema)]
pub struct TokenPage {
    pub items: Vec<tokens::TokenView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Schema only: `GET /api/v1/audit` answer.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<audit::AuditView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Schema only: `GET /api/v1/rooms` answer.
#[derive(Serialize, ToSchema)]
pub struct RoomPage {
    pub items: Vec<rooms::RoomView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}
