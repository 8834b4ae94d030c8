//! Client → server frames and their parsing. A frame that does not parse still gets
//! its `id` echoed on the `error` when the id itself can be read.

use serde::Deserialize;

use super::FrameId;
use crate::error::{ErrorCode, HasCode};

/// Every frame a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Join {
        id: Option<FrameId>,
        room: String,
        after_seq: Option<i64>,
    },
    Leave {
        id: Option<FrameId>,
        room: String,
    },
    Send {
        id: Option<FrameId>,
        room: String,
        text: String,
        client_id: Option<String>,
        reply_to: Option<FrameId>,
    },
    History {
        id: Option<FrameId>,
        room: String,
        before_seq: Option<i64>,
        limit: Option<i64>,
    },
    Ping {
        id: Option<FrameId>,
    },
    Typing {
        id: Option<FrameId>,
        room: String,
        active: bool,
    },
    Read {
        id: Option<FrameId>,
        room: String,
        seq: i64,
    },
    /// Delete the message `seq` of `room` (own messages; moderators and above: any).
    Delete {
        id: Option<FrameId>,
        room: String,
        seq: i64,
        reason: Option<String>,
    },
    /// Bots only: `!name` in `room` (a room id, or `*` for every room the session is
    /// in) is forwarded to this bot (docs/PROTOCOL.md, Bots).
    RegisterCommand {
        id: Option<FrameId>,
        room: String,
        name: String,
        description: Option<String>,
        min_role: Option<String>,
    },
}

/// Frame types the server understands, for the "unknown type" message.
const KNOWN_TYPES: &[&str] =
    &["join", "leave", "send", "history", "ping", "typing", "read", "register_command", "delete"];

impl ClientFrame {
    pub fn id(&self) -> Option<&FrameId> {
        match self {
            Self::Join { id, .. }
            | Self::Leave { id, .. }
            | Self::Send { id, .. }
            | Self::History { id, .. }
            | Self::Ping { id }
            | Self::Typing { id, .. }
            | Self::Read { id, .. }
            | Self::RegisterCommand { id, .. }
            | Self::Delete { id, .. } => id.as_ref(),
        }
    }
}

/// A frame that could not be understood, with the id to echo if one was readable.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    pub id: Option<FrameId>,
    pub code: ErrorCode,
    pub message: String,
}

impl HasCode for FrameError {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<ClientFrame, FrameError> {
    serde_json::from_str::<ClientFrame>(text).map_err(|e| explain(text, e))
}

/// Builds a precise error by reading the frame loosely (only on the error path).
fn explain(text: &str, err: serde_json::Error) -> FrameError {
    let bad = |id, message: String| FrameError { id, code: ErrorCode::BadRequest, message };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return bad(None, "malformed JSON".into()),
    };
    let Some(obj) = value.as_object() else {
        return bad(None, "a frame must be a JSON object".into());
    };
    let id = obj.get("id").and_then(|v| serde_json::from_value::<FrameId>(v.clone()).ok());
    match obj.get("type") {
        None => bad(id, "missing \"type\"".into()),
        Some(serde_json::Value::String(t)) if !KNOWN_TYPES.contains(&t.as_str()) => {
            bad(id, format!("unknown type {t:?}"))
        }
        Some(serde_json::Value::String(t)) => {
            // serde's message names the field and the expected type; drop the position.
            let msg = err.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            bad(id, format!("invalid {t} frame: {msg}"))
        }
        Some(_) => bad(id, "\"type\" must be a string".into()),
    }
}

/// Checks a message about to be sent (over WebSocket or by the operator): text 1 to
/// `max_text` characters without NUL, `client_id` 1 to 128 bytes without NUL.
pub fn check_send(text: &str, client_id: Option<&str>, max_text: usize) -> Result<(), (ErrorCode, String)> {
    if text.is_empty() {
        return Err((ErrorCode::BadRequest, "text must not be empty".into()));
    }
    let chars = text.chars().count();
    if chars > max_text {
        return Err((ErrorCode::TooLarge, format!("text is {chars} characters, the limit is {max_text}")));
    }
    if text.contains('\0') {
        return Err((ErrorCode::BadRequest, "text must not contain NUL characters".into()));
    }
    if let Some(c) = client_id {
        if c.is_empty() || c.len() > 128 || c.contains('\0') {
            return Err((ErrorCode::BadRequest, "client_id must be 1 to 128 bytes, without NUL".into()));
        }
    }
    Ok(())
}

/// Most characters a deletion's `reason` may have.
pub const MAX_REASON: usize = 200;

/// Checks a deletion's reason (WebSocket `delete` or admin API): at most
/// [`MAX_REASON`] characters, no NUL.
pub fn check_reason(reason: Option<&str>) -> Result<(), String> {
    match reason {
        Some(r) if r.chars().count() > MAX_REASON => Err(format!("reason is over {MAX_REASON} characters")),
        Some(r) if r.contains('\0') => Err("reason must not contain NUL characters".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_frame_parses_with_its_id() {
        let f = parse(r#"{"type":"send","room":"a","text":"hi","client_id":"c1","id":7}"#).unwrap();
        assert!(matches!(&f, ClientFrame::Send { text, .. } if text == "hi"));
        assert_eq!(f.id(), Some(&FrameId::Num(7.into())));
    }

    #[test]
    fn errors_say_what_is_wrong_and_keep_the_id() {
        let e = parse("{nope").unwrap_err();
        assert_eq!((e.code, e.message.as_str(), e.id), (ErrorCode::BadRequest, "malformed JSON", None));

        let e = parse(r#"{"type":"dance","id":"x"}"#).unwrap_err();
        assert_eq!(e.message, "unknown type \"dance\"");
        assert_eq!(e.id, Some(FrameId::Str("x".into())));

        let e = parse(r#"{"type":"send","room":5,"text":"t","id":1}"#).unwrap_err();
        assert!(e.message.starts_with("invalid send frame: invalid type: integer `5`"), "{}", e.message);
        assert_eq!(e.id, Some(FrameId::Num(1.into())));

        let e = parse("[1]").unwrap_err();
        assert_eq!(e.message, "a frame must be a JSON object");
    }
}
