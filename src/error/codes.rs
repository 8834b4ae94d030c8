//! The error-code table: every code roomd sends, written once. Each row gives the
//! code's wire name, its HTTP status, where it is sent (HTTP, WebSocket or both) and
//! what it means; `error_codes!` turns the rows into [`ErrorCode`] and everything read
//! from it — [`ErrorCode::as_str`], [`ErrorCode::status`], [`ErrorCode::description`],
//! [`ErrorCode::sent_over`], [`ErrorCode::parse`], its serde form and its OpenAPI
//! schema (an enum of the wire names whose description lists each code).
//! The error tables of docs/ADMIN_API.md and docs/PROTOCOL.md are checked against it
//! (`src/error/doc_tables.rs`).

use std::borrow::Cow;

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// Where a code is sent: in an HTTP error body (`{"error":{"code",…}}`, the admin API
/// and the WebSocket upgrade), in a WebSocket `error` frame, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentOver {
    Http,
    WebSocket,
    Both,
}

impl SentOver {
    pub const fn http(self) -> bool {
        matches!(self, Self::Http | Self::Both)
    }

    pub const fn websocket(self) -> bool {
        matches!(self, Self::WebSocket | Self::Both)
    }
}

/// Builds [`ErrorCode`] and its accessors from one table of
/// `Variant = "wire_name", HTTP_STATUS, SentOver, "description";` rows.
macro_rules! error_codes {
    ($( $variant:ident = $name:literal, $status:ident, $sent:ident, $description:literal; )+) => {
        /// Every error code roomd sends, on HTTP and WebSocket alike (the table in
        /// `src/error/codes.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( #[doc = $description] $variant, )+
        }

        impl ErrorCode {
            /// How many codes there are.
            pub const COUNT: usize = [$( $name ),+].len();

            /// Every code, in table order (the OpenAPI document lists them so).
            pub const ALL: [ErrorCode; Self::COUNT] = [$( Self::$variant ),+];

            /// The wire name (`room_unavailable`).
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )+ }
            }

            /// The HTTP status the code is answered with; the only place statuses are chosen.
            pub const fn status(self) -> StatusCode {
                match self { $( Self::$variant => StatusCode::$status, )+ }
            }

            /// Where the code is sent.
            pub const fn sent_over(self) -> SentOver {
                match self { $( Self::$variant => SentOver::$sent, )+ }
            }

            /// What the code means, for people (the OpenAPI document shows it).
            pub const fn description(self) -> &'static str {
                match self { $( Self::$variant => $description, )+ }
            }
        }
    };
}

// The contract promises no 500: failures that cannot be blamed on the request are
// "try again later" (503), `internal` included.
error_codes! {
    BadRequest       = "bad_request",        BAD_REQUEST,            Both,
        "Malformed input: bad JSON or a bad frame, a query parameter that is unknown or out of range, a NUL (`%00`) in the path or query, an empty text or a text with NUL";
    TooLarge         = "too_large",          PAYLOAD_TOO_LARGE,      Both,
        "A body over `server.max_body_bytes`, or a text over `limits.max_text` characters";
    Unauthorized     = "unauthorized",       UNAUTHORIZED,           Http,
        "A missing, unknown, revoked or expired token";
    Forbidden        = "forbidden",          FORBIDDEN,              Both,
        "The token may not do this: not an admin token on the admin API; over WebSocket a join of a full room, a bot-only frame from a user, or a reply to another bot's invocation";
    NotFound         = "not_found",          NOT_FOUND,              Both,
        "No such room, member, token, job, schedule or route, or a feature that is switched off";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED,     Http,
        "The route exists, but not with this method";
    NotJoined        = "not_joined",         BAD_REQUEST,            WebSocket,
        "A frame for a room this session has not joined";
    Conflict         = "conflict",           CONFLICT,               Http,
        "A room with this id exists";
    Unprocessable    = "unprocessable",      UNPROCESSABLE_ENTITY,   Http,
        "Well-formed JSON with a missing, unknown or invalid field";
    RateLimited      = "rate_limited",       TOO_MANY_REQUESTS,      Both,
        "Over a rate or session limit; retry after `Retry-After` seconds (WebSocket: `retry_after_ms`) when given";
    RoomUnavailable  = "room_unavailable",   SERVICE_UNAVAILABLE,    Both,
        "The room's actor, or the store it writes through, cannot take the request now; retry (a message with the same `client_id`)";
    Unavailable      = "unavailable",        SERVICE_UNAVAILABLE,    Http,
        "The store or another dependency cannot serve the request now; retry, after `Retry-After` seconds when given";
    Internal         = "internal",           SERVICE_UNAVAILABLE,    Both,
        "The store refused a write for good (the server logs why); nothing was stored";
    Banned           = "banned",             FORBIDDEN,              WebSocket,
        "A `join` of a room the user is banned from; the frame's `expires_at` says until when (null: until lifted)";
    Muted            = "muted",              FORBIDDEN,              WebSocket,
        "A `send` in a room the user is muted in; the frame's `expires_at` says until when (null: until lifted)";
    RejectedByHook   = "rejected_by_hook",   FORBIDDEN,              WebSocket,
        "The publish hook refused the message (the `message` is the hook's reason code, or `hook_unavailable` when the hook failed under the `fail_closed` policy); nothing was stored";
}

impl ErrorCode {
    /// The code of a wire name, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A string enum of the wire names, in table order; its description lists each code
/// with its status (or "WebSocket only") and meaning.
impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        let mut description = String::from("What went wrong; the code fixes the HTTP status.\n");
        for code in ErrorCode::ALL {
            let status = match code.sent_over() {
                SentOver::WebSocket => "WebSocket only".to_string(),
                _ => code.status().as_u16().to_string(),
            };
            description.push_str(&format!("\n- `{}` ({status}): {}", code.as_str(), code.description()));
        }
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(description))
            .into()
    }
}

impl ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_code_maps_to_500() {
        for code in ErrorCode::ALL {
            assert_ne!(code.status(), StatusCode::INTERNAL_SERVER_ERROR, "{code:?}");
        }
    }

    #[test]
    fn codes_serialize_in_snake_case() {
        assert_eq!(serde_json::to_string(&ErrorCode::RoomUnavailable).unwrap(), "\"room_unavailable\"");
        assert_eq!(serde_json::to_string(&ErrorCode::NotJoined).unwrap(), "\"not_joined\"");
    }

    #[test]
    fn wire_names_are_unique_snake_case_and_parse_back() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{name}");
            assert_eq!(ErrorCode::parse(name), Some(code));
            assert!(!code.description().is_empty(), "{name} has no description");
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn schema_enumerates_and_describes_every_code() {
        let schema = serde_json::to_value(ErrorCode::schema()).expect("schema JSON");
        let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(names));
        let description = schema["description"].as_str().unwrap_or_default();
        for code in ErrorCode::ALL {
            assert!(description.contains(&format!("`{}`", code.as_str())), "{code:?}: {description}");
            assert!(description.contains(code.description()), "{code:?}: {description}");
        }
        assert!(description.contains("`not_joined` (WebSocket only)"), "{description}");
        assert!(description.contains("`room_unavailable` (503)"), "{description}");
    }
}
