//! Server → client frames. Each is encoded once into a [`ByteString`] (a shared,
//! reference-counted buffer), so one `message` frame serves every recipient.

use bytestring::ByteString;
use serde::Serialize;

use super::FrameId;
use crate::error::ErrorCode;
use crate::model::{rfc3339, UserKind, UserRef};
use crate::store::messages::MessageRow;

/// Serializes a frame. Our frame types contain only strings, numbers and maps, for
/// which serde_json cannot fail; the fallback keeps the type honest anyway.
pub fn encode<T: Serialize>(frame: &T) -> ByteString {
    match serde_json::to_string(frame) {
        Ok(s) => ByteString::from(s),
        Err(_) => {
            ByteString::from_static(r#"{"type":"error","code":"internal","message":"encoding failed"}"#)
        }
    }
}

/// The protocol version `hello` announces.
pub const PROTOCOL_VERSION: &str = "1.1";

/// `hello`, the first frame of a session.
#[derive(Serialize)]
#[serde(tag = "type", rename = "hello")]
pub struct Hello<'a> {
    /// The protocol version this server speaks (docs/PROTOCOL.md, "Versions").
    pub protocol: &'static str,
    pub session: &'a str,
    pub user: &'a UserRef,
    pub heartbeat_ms: u64,
    pub limits: HelloLimits,
}

/// The limits a session is held to.
#[derive(Serialize)]
pub struct HelloLimits {
    pub max_text: usize,
    pub max_frame_bytes: usize,
    pub msgs_per_sec: u32,
    pub burst: u32,
}

/// One entry of `joined.members`.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub kind: UserKind,
    pub role: &'static str,
    pub online: bool,
}

/// Reply to `join`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "joined")]
pub struct Joined<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub seq: i64,
    pub last_read_seq: i64,
    pub unread: i64,
    pub truncated: bool,
    pub members: &'a [MemberView],
}

/// Reply to `leave`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "left")]
pub struct Left<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
}

/// Reply to `send` once the message is durable (or known as a duplicate).
#[derive(Serialize)]
#[serde(tag = "type", rename = "ack")]
pub struct Ack<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub seq: i64,
    pub client_id: Option<&'a str>,
    pub duplicate: bool,
}

/// Reply to `ping`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "pong")]
pub struct Pong<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
}

/// `member_joined` / `member_left`.
#[derive(Serialize)]
pub struct MemberEvent<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub room: &'a str,
    pub user: &'a UserRef,
}

/// `room_closed`: the room was deleted or this member removed.
#[derive(Serialize)]
#[serde(tag = "type", rename = "room_closed")]
pub struct RoomClosed<'a> {
    pub room: &'a str,
    pub reason: &'a str,
}

/// An `error` frame.
#[derive(Serialize)]
#[serde(tag = "type", rename = "error")]
pub struct ErrorFrame<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub code: ErrorCode,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// The `from` of a stored message.
#[derive(Serialize)]
struct From<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'a str,
}

/// A stored message as it appears on the wire: the `message` frame, and the items of
/// `history` (WS and HTTP).
#[derive(Serialize)]
#[serde(tag = "type", rename = "message")]
pub struct MessageView<'a> {
    room: &'a str,
    seq: i64,
    from: From<'a>,
    text: &'a str,
    ts: String,
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    /// Present (and true) only on `!announce` messages.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    announcement: bool,
    /// Present only on tombstones (a deleted message, its `text` empty): `true`, who
    /// deleted it (a user id, `system` for an operator) and when.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<String>,
}

impl<'a> MessageView<'a> {
    pub fn new(row: &'a MessageRow) -> Self {
        Self {
            room: &row.room_id,
            seq: row.seq,
            from: From { id: &row.sender_id, name: &row.sender_name, kind: &row.sender_kind },
            text: &row.text,
            ts: rfc3339(row.ts),
            client_id: row.client_id.as_deref(),
            reply_to: row.reply_to.as_deref(),
            announcement: row.announcement,
            deleted: row.deleted_at.is_some(),
            deleted_by: row.deleted_by.as_deref(),
            deleted_at: row.deleted_at.map(rfc3339),
        }
    }
}

/// The `message` frame of a stored message, encoded once.
pub fn message_frame(row: &MessageRow) -> ByteString {
    encode(&MessageView::new(row))
}

/// `message_deleted`: the message `seq` became a tombstone (to every member session).
#[derive(Serialize)]
#[serde(tag = "type", rename = "message_deleted")]
pub struct MessageDeleted<'a> {
    pub room: &'a str,
    pub seq: i64,
    pub deleted_by: &'a str,
    pub deleted_at: String,
}

/// Reply to `delete`: the message `seq` is a tombstone (now or already).
#[derive(Serialize)]
#[serde(tag = "type", rename = "deleted")]
pub struct Deleted<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub seq: i64,
    pub deleted_by: &'a str,
    pub deleted_at: String,
}

/// Reply to `history`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "history")]
pub struct History<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub messages: Vec<MessageView<'a>>,
    pub has_more: bool,
    /// The oldest seq still stored (older ones were deleted by retention or a
    /// purge); null when the room has no stored message.
    pub retained_from_seq: Option<i64>,
}

/// Encodes an `error` frame.
pub fn error_frame(
    id: Option<&FrameId>,
    code: ErrorCode,
    message: &str,
    retry_after_ms: Option<u64>,
) -> ByteString {
    encode(&ErrorFrame { id, code, message, retry_after_ms })
}

/// The `error` frame of a refusal by a ban (`banned`, on `join`) or a mute (`muted`, on
/// `send`): `expires_at` is when it lapses (RFC 3339), null when it lasts until lifted.
#[derive(Serialize)]
#[serde(tag = "type", rename = "error")]
struct RestrictedError<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a FrameId>,
    code: ErrorCode,
    message: &'a str,
    expires_at: Option<String>,
}

/// The message of a ban's or a mute's refusal: "you are {what} {room} until …", `what`
/// being `banned from` or `muted in`.
pub fn restriction_message(what: &str, room: &str, expires_at: Option<i64>) -> String {
    match expires_at {
        Some(t) => format!("you are {what} {room} until {}", crate::model::rfc3339(t)),
        None => format!("you are {what} {room} until a moderator lifts it"),
    }
}

/// Encodes the `error` frame of a ban or mute lasting until `expires_at` (Unix ms).
pub fn restricted_error_frame(
    id: Option<&FrameId>,
    code: ErrorCode,
    message: &str,
    expires_at: Option<i64>,
) -> ByteString {
    encode(&RestrictedError { id, code, message, expires_at: expires_at.map(rfc3339) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MessageRow {
        MessageRow {
            room_id: "lobby".into(),
            seq: 3,
            sender_id: "alice".into(),
            sender_name: "Alice".into(),
            sender_kind: "user".into(),
            text: "hi \"there\"".into(),
            client_id: Some("c1".into()),
            reply_to: None,
            ts: 0,
            announcement: false,
            deleted_at: None,
            deleted_by: None,
        }
    }

    #[test]
    fn message_frames_have_the_contract_shape() {
        let v: serde_json::Value = serde_json::from_str(&message_frame(&row())).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"message","room":"lobby","seq":3,
                "from":{"id":"alice","name":"Alice","kind":"user"},
                "text":"hi \"there\"","ts":"1970-01-01T00:00:00.000Z","client_id":"c1"})
        );
    }

    #[test]
    fn tombstones_carry_who_deleted_them_and_when() {
        let r = MessageRow {
            text: String::new(),
            deleted_at: Some(1_000),
            deleted_by: Some("bob".into()),
            ..row()
        };
        let v: serde_json::Value = serde_json::from_str(&message_frame(&r)).unwrap();
        assert_eq!(
            (&v["text"], &v["deleted"], &v["deleted_by"], &v["deleted_at"]),
            (
                &serde_json::json!(""),
                &serde_json::json!(true),
                &serde_json::json!("bob"),
                &serde_json::json!("1970-01-01T00:00:01.000Z")
            )
        );
    }

    #[test]
    fn error_frames_echo_the_id_and_omit_what_is_absent() {
        let f = error_frame(Some(&FrameId::Str("a".into())), ErrorCode::NotJoined, "join first", None);
        assert_eq!(&*f, r#"{"type":"error","id":"a","code":"not_joined","message":"join first"}"#);
        let f = error_frame(None, ErrorCode::RateLimited, "slow down", Some(200));
        assert_eq!(
            &*f,
            r#"{"type":"error","code":"rate_limited","message":"slow down","retry_after_ms":200}"#
        );
    }
}
