//! Types that exist only to describe requests and answers in the OpenAPI document
//! (`src/http/openapi.rs` lists them): health answers, the page shapes of the list
//! endpoints whose handlers build their JSON from other types, the broadcast target,
//! room settings in a request, and the closed sets of strings (statuses, kinds,
//! actions) that the handlers keep as `&str` — each enum here is built from the
//! constants the code uses, so the document cannot list a value the server does not.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::http::api::{audit, members, rooms, tokens};
use crate::store::broadcasts::{
    Target, JOB_CANCELLED, JOB_DONE, JOB_FAILED, JOB_PENDING, JOB_RUNNING, ROOM_CANCELLED, ROOM_DELIVERED,
    ROOM_FAILED, ROOM_PENDING,
};
use crate::store::rooms::SpamSettings;

/// A `type: string` schema with exactly `values`.
fn string_enum<'a>(description: &str, values: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.into_iter().map(str::to_string)))
        .into()
}

/// Declares a schema-only string enum named `$name` whose values come from the code.
macro_rules! string_enum {
    ($(#[doc = $doc:literal])+ $name:ident = $values:expr) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let doc: Vec<&str> = vec![$($doc.trim()),+];
                string_enum(&doc.join("\n"), $values)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

string_enum! {
    /// The status of a broadcast job: `failed` when every room failed.
    BroadcastStatus = [JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_CANCELLED, JOB_FAILED]
}

string_enum! {
    /// The status of one target room of a broadcast job.
    BroadcastRoomStatus = [ROOM_PENDING, ROOM_DELIVERED, ROOM_FAILED, ROOM_CANCELLED]
}

string_enum! {
    /// What an actor is.
    ActorKind = crate::actors::mailbox::ActorKind::ALL.map(crate::actors::mailbox::ActorKind::as_str)
}

string_enum! {
    /// What an admin made with the API: the `action` of an audit entry.
    AuditAction = audit_actions()
}

fn audit_actions() -> impl Iterator<Item = &'static str> {
    crate::http::audit::ACTIONS.iter().copied()
}

/// Schema only: one Server-Sent Event of `GET /api/v1/broadcasts/{id}/events` (an
/// OpenAPI 3.1 `text/event-stream` schema describes each event of the stream).
#[derive(Serialize, ToSchema)]
pub struct BroadcastEvent {
    pub event: BroadcastEventName,
    /// JSON: for `progress` `{id,status,counts}`, for `room`
    /// `{room,status,attempts,seq,last_error}`, for `done` the job (`BroadcastView`
    /// without `rooms`).
    #[schema(
        example = r#"{"id":"bc_19ab3c4d5e6f123456","status":"running","counts":{"total":2,"delivered":1,"failed":0,"pending":1,"cancelled":0}}"#
    )]
    pub data: String,
}

/// The name of a broadcast progress event: `progress` (the counts), `room` (one room's
/// attempt), `done` (the last one: the finished job).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BroadcastEventName {
    Progress,
    Room,
    Done,
}

/// Schema only: one Server-Sent Event of `GET /api/v1/rooms/{id}/events`.
#[derive(Serialize, ToSchema)]
pub struct RoomEvent {
    pub event: RoomEventName,
    /// The seq of a `message` (what a reconnecting client sends as `Last-Event-ID`);
    /// absent on the other events.
    pub id: Option<i64>,
    /// JSON: for `message` the message (`MessageItem`), for `message_deleted`
    /// `{room,seq,deleted_by,deleted_at}`, for `room_deleted` `{room}`.
    #[schema(
        example = r#"{"room":"lobby","seq":42,"deleted_by":"system","deleted_at":"2026-12-06T10:00:00.000Z"}"#
    )]
    pub data: String,
}

/// The name of a room event: `message`, `message_deleted`, `room_deleted` (the last
/// one: the stream ends after it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomEventName {
    Message,
    MessageDeleted,
    RoomDeleted,
}

/// Schema only: `GET /api/v1/openapi.json` answer, an OpenAPI 3.1 document (this one).
pub struct OpenApiDocument;

impl PartialSchema for OpenApiDocument {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("An OpenAPI 3.1 document (this one)"))
            .property("openapi", ObjectBuilder::new().schema_type(Type::String).examples(["3.1.0"]))
            .required("openapi")
            .into()
    }
}

impl ToSchema for OpenApiDocument {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OpenApiDocument")
    }
}

/// `GET /healthz` answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = HealthStatus)]
    pub status: &'static str,
}

/// Schema only: `Health.status`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
}

/// The kind of an access token (`system` is roomd's own and has none).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Admin,
    Bot,
    User,
}

/// Whether a schedule's due time started a broadcast (`fired`) or was skipped (its
/// `reason` says why).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FireOutcome {
    Fired,
    Skipped,
}

/// The `type` of a stored message (as of the WebSocket `message` frame).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Message,
}

/// The broadcast target `"all"`: every room that exists when the job starts (or, for a
/// schedule, at each due time).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetAll {
    All,
}

/// The broadcast target `{"tag": T}`: every room with the tag `T`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetTag {
    #[schema(min_length = 1, max_length = 64, example = "eu")]
    pub tag: String,
}

/// Which rooms a broadcast (or a schedule) goes to: a list of room ids, `"all"`
/// (`TargetAll`), or `{"tag": T}` (`TargetTag`). Anything else is 422 with a message
/// naming these forms. Listed ids that are not rooms fail one by one (`not_found`).
impl PartialSchema for Target {
    fn schema() -> RefOr<Schema> {
        let ids = ArrayBuilder::new()
            .title(Some("RoomIds"))
            .description(Some("These rooms (room ids; at least one)"))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[a-z0-9][a-z0-9_-]*$"))
                    .min_length(Some(1))
                    .max_length(Some(64)),
            )
            .min_items(Some(1));
        OneOfBuilder::new()
            .description(Some(
                "Which rooms: a list of room ids, `\"all\"` (`TargetAll`), or `{\"tag\": T}` (`TargetTag`); \
                 anything else is 422 with a message naming these forms",
            ))
            .item(ids)
            .item(Ref::from_schema_name("TargetAll"))
            .item(Ref::from_schema_name("TargetTag"))
            .examples([serde_json::json!(["lobby", "support"])])
            .into()
    }
}

impl ToSchema for Target {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Target")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((TargetAll::name().into(), TargetAll::schema()));
        schemas.push((TargetTag::name().into(), TargetTag::schema()));
    }
}

/// Room settings in a request: any of them (an unknown one is 422); each one given
/// replaces the stored one (or, on creation, the default), and `null` sets it back to
/// its default.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomSettingsUpdate {
    /// The welcome sent to a member who joins (`{{name}}`, `{{room}}` and
    /// `{{member_count}}` are filled in; empty: no welcome).
    pub welcome_template: Option<String>,
    /// The room's rules.
    pub rules: Option<String>,
    /// Messages containing one of these words (case-insensitive, whole words) are
    /// refused; no entry empty or blank.
    pub banned_words: Option<Vec<String>>,
    /// At most this many members; null for no limit.
    #[schema(minimum = 1)]
    pub max_members: Option<u32>,
    /// Spam limits overriding the server's `[spam]`.
    pub spam: Option<SpamSettings>,
    /// Messages older than this many days are deleted; 0 keeps them forever; null:
    /// the server's `rooms.retention_days`.
    pub retention_days: Option<u32>,
    /// The room's own publish hook, overriding `[hooks]`; an empty `url` switches the
    /// hook off in this room; null: the server's.
    pub publish_hook: Option<crate::hooks::PublishHookSettings>,
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
    #[schema(value_type = MessageType)]
    #[serde(rename = "type")]
    pub kind: String,
    pub room: String,
    pub seq: i64,
    pub from: MessageFrom,
    pub text: String,
    #[schema(format = DateTime)]
    pub ts: String,
    #[schema(required = true)]
    pub client_id: Option<String>,
    /// The bot's answer to a command: the `invocation` id it answers.
    pub reply_to: Option<String>,
    /// Present (and true) only on messages posted by `!announce`.
    pub announcement: Option<bool>,
    /// Present (and true) only on tombstones: a deleted message, its `text` empty.
    pub deleted: Option<bool>,
    /// Tombstones only: who deleted it (a user id; `system` for an operator).
    pub deleted_by: Option<String>,
    /// Tombstones only: when it was deleted.
    #[schema(format = DateTime)]
    pub deleted_at: Option<String>,
}

/// Schema only: the sender of a message.
#[derive(Serialize, ToSchema)]
pub struct MessageFrom {
    pub id: String,
    pub name: String,
    #[schema(value_type = crate::model::UserKind)]
    pub kind: String,
}

/// Schema only: `GET /api/v1/rooms/{id}/messages` answer.
#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<MessageItem>,
    pub has_more: bool,
    /// Where the room's stored history begins: the oldest seq still stored (older
    /// ones were deleted by retention, or the room was purged); null when the room
    /// has no stored message.
    #[schema(required = true, minimum = 1)]
    pub retained_from_seq: Option<i64>,
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
