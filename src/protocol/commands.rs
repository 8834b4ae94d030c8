//! Server → client frames of `!commands`: `registered` (reply to `register_command`)
//! and `command` (a bot's forwarded invocation). Refusals and timeouts are `notice`
//! frames (`protocol::room_life::Notice`); replies are ordinary stored `message` frames.

use serde::Serialize;

use super::FrameId;
use crate::model::UserRef;

/// Reply to `register_command`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "registered")]
pub struct Registered<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a FrameId>,
    /// The room id, or `*`.
    pub room: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub min_role: &'a str,
    /// With `*`: the rooms the command now applies in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rooms: Option<&'a [String]>,
    /// With `*`: rooms where another bot already holds the name (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<&'a [String]>,
}

/// `command`: an invocation of a bot's command, forwarded to the bot. `seq` is the
/// seq of the invoking message; the bot answers with a `send` whose `reply_to` is
/// `invocation`.
#[derive(Serialize)]
#[serde(tag = "type", rename = "command")]
pub struct CommandFrame<'a> {
    pub room: &'a str,
    pub invocation: &'a str,
    pub name: &'a str,
    pub args: &'a str,
    pub from: &'a UserRef,
    pub seq: i64,
}
