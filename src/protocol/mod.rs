//! The WebSocket protocol of docs/PROTOCOL.md: client frames in ([`inbound`]) and server
//! frames out ([`outbound`]), and the codes that close a connection ([`close`]). Every
//! frame is one JSON text object with a `type`.

pub mod close;
pub mod commands;
pub mod inbound;
pub mod outbound;
pub mod room_life;

use serde::{Deserialize, Serialize};

/// A client-chosen frame id (string or number), echoed on the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FrameId {
    Num(serde_json::Number),
    Str(String),
}

impl FrameId {
    /// The id as text (for `reply_to`, which may be given either way).
    pub fn to_text(&self) -> String {
        match self {
            Self::Num(n) => n.to_string(),
            Self::Str(s) => s.clone(),
        }
    }
}
