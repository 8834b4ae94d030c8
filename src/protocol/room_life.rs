//! Server frames of a room's life around its messages: `typing`, `read` receipts and
//! `notice` (a refusal or remark for one session, never stored).

use serde::Serialize;

use super::FrameId;
use crate::model::UserRef;

/// `typing`: `user` started (`active: true`) or stopped typing in `room`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "typing")]
pub struct Typing<'a> {
    pub room: &'a str,
    pub user: &'a UserRef,
    pub active: bool,
}

/// `read`: `user` has read `room` up to `seq`. Also the reply to a `read` frame that
/// carried an `id` (then `seq` is the read position in force, which never goes back).
#[derive(Serialize)]
#[serde(tag = "type", rename = "read")]
pub struct ReadReceipt<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub user: &'a UserRef,
    pub seq: i64,
}

/// `notice`: for one session only, not stored. A refused `send` (spam) gets one,
/// echoing its `id`, with a machine-readable `reason`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "notice")]
pub struct Notice<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    pub room: &'a str,
    pub text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}
