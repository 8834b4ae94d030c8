//! The close codes roomd ends a WebSocket connection with (protocol 1.1), each defined
//! once: its number, the reason text sent with it, and what a client should do next.
//! docs/PROTOCOL.md's "Close codes" table is checked against this one
//! (`cargo test --lib close_code_table`).
//!
//! Codes 4000–4499 mean "reconnect and resume"; 4500–4999 mean "do not reconnect with
//! the same credentials". A client that meets a code it does not know can act on its
//! range; the RFC 6455 codes (1000–1015) keep their usual meaning.

/// Why the server closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// The server answered the client's own close frame.
    Normal,
    /// The server is shutting down (SIGTERM/SIGINT), after what was acked is durable.
    ServerShutdown,
    /// The client broke RFC 6455 (unmasked frame, bad opcode, …).
    ProtocolError,
    /// A text message that is not valid UTF-8.
    InvalidUtf8,
    /// A frame over `limits.max_frame_bytes`.
    FrameTooLarge,
    /// The session crashed; only this connection was closed.
    InternalError,
    /// Cluster mode: the room moved to another node and this session could not follow.
    MovedToAnotherNode,
    /// Nothing heard from the client for two heartbeat intervals.
    HeartbeatTimeout,
    /// More than `session.send_buffer` deliveries queued for a client that reads slowly.
    SlowConsumer,
    /// `limits.max_violations` policy violations (rate limit, spam) within a minute.
    PolicyViolations,
    /// The upgrade carried no token, or one the server does not know.
    Unauthorized,
    /// The JWT's `exp` has passed.
    TokenExpired,
    /// The opaque token was revoked (before the upgrade or while connected).
    TokenRevoked,
    /// An operator ended the session (reserved for the admin API's session disconnect).
    DisconnectedByOperator,
}

/// What a client should do after a close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// Do not reconnect: the client ended it, or must fix itself first.
    No,
    /// Reconnect at once (with a little jitter) and resume with `after_seq`.
    AtOnce,
    /// Reconnect with exponential backoff and jitter, and resume with `after_seq`.
    WithBackoff,
    /// Do not reconnect with the same token; a client that can get a fresh one may.
    NewToken,
}

impl CloseCode {
    /// Every code, in the order of the docs' table.
    pub const ALL: [CloseCode; 14] = [
        Self::Normal,
        Self::ServerShutdown,
        Self::ProtocolError,
        Self::InvalidUtf8,
        Self::FrameTooLarge,
        Self::InternalError,
        Self::MovedToAnotherNode,
        Self::HeartbeatTimeout,
        Self::SlowConsumer,
        Self::PolicyViolations,
        Self::Unauthorized,
        Self::TokenExpired,
        Self::TokenRevoked,
        Self::DisconnectedByOperator,
    ];

    /// The number on the wire, its reason text and what a client does next.
    const fn spec(self) -> (u16, &'static str, Reconnect) {
        use Reconnect::*;
        match self {
            Self::Normal => (1000, "closed", No),
            Self::ServerShutdown => (1001, "server shutdown", WithBackoff),
            Self::ProtocolError => (1002, "protocol error", No),
            Self::InvalidUtf8 => (1007, "invalid UTF-8", No),
            Self::FrameTooLarge => (1009, "frame too large", No),
            Self::InternalError => (1011, "internal error", WithBackoff),
            Self::MovedToAnotherNode => (1012, "room moved to another node; reconnect", AtOnce),
            Self::HeartbeatTimeout => (4000, "heartbeat timeout", AtOnce),
            Self::SlowConsumer => (4001, "slow consumer", AtOnce),
            Self::PolicyViolations => (4002, "too many policy violations", WithBackoff),
            Self::Unauthorized => (4500, "unauthorized", NewToken),
            Self::TokenExpired => (4501, "token expired", NewToken),
            Self::TokenRevoked => (4502, "token revoked", No),
            Self::DisconnectedByOperator => (4503, "disconnected by an operator", No),
        }
    }

    /// The code on the wire.
    pub const fn code(self) -> u16 {
        self.spec().0
    }

    /// The reason text sent with the code (at most 123 bytes, as RFC 6455 allows).
    pub const fn reason(self) -> &'static str {
        self.spec().1
    }

    /// The reason text followed by `detail` (`"token revoked: …"`), cut to the 123
    /// bytes a close frame allows (at a character boundary); just the reason text
    /// when `detail` is empty, and `detail` alone when it already starts with it.
    pub fn reason_with(self, detail: &str) -> String {
        let mut text = match detail {
            "" => self.reason().to_string(),
            d if d.starts_with(self.reason()) => d.to_string(),
            d => format!("{}: {d}", self.reason()),
        };
        let mut end = text.len().min(123);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text
    }

    /// What a client should do after this close.
    pub const fn reconnect(self) -> Reconnect {
        self.spec().2
    }

    /// How the docs' table begins its "the client" cell for this code.
    pub const fn advice(self) -> &'static str {
        match self.reconnect() {
            Reconnect::No => "do not reconnect",
            Reconnect::AtOnce => "reconnect at once",
            Reconnect::WithBackoff => "reconnect with backoff",
            Reconnect::NewToken => "do not reconnect with this token",
        }
    }

    /// The code of a number, if it is one of the table's.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detailed_reason_starts_with_the_codes_words_and_fits_a_close_frame() {
        let c = CloseCode::DisconnectedByOperator;
        assert_eq!(c.reason_with(""), "disconnected by an operator");
        assert_eq!(c.reason_with("spam"), "disconnected by an operator: spam");
        let long = c.reason_with(&"é".repeat(200));
        assert!(long.len() <= 123 && long.len() >= 121, "{}", long.len());
        assert!(long.starts_with("disconnected by an operator: é"));
    }

    #[test]
    fn codes_are_unique_and_their_range_says_whether_to_reconnect() {
        for c in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(c.code()), Some(c));
            assert!(c.reason().len() <= 123, "{c:?}");
            match c.code() {
                4000..=4499 => assert_ne!(c.reconnect(), Reconnect::No, "{c:?}"),
                4500..=4999 => assert!(matches!(c.reconnect(), Reconnect::No | Reconnect::NewToken), "{c:?}"),
                1000..=1015 => {}
                other => panic!("{c:?} has {other}, outside the ranges the docs promise"),
            }
        }
    }

    /// docs/PROTOCOL.md's table lists every code once, with this table's number.
    #[test]
    fn close_code_table_in_the_protocol_doc_matches() {
        let path = format!("{}/docs/PROTOCOL.md", env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read_to_string(&path).unwrap();
        let mut rows = doc.lines().skip_while(|l| l.trim() != "| code | reason | meaning | the client |");
        assert!(rows.next().is_some(), "PROTOCOL.md has no close code table");
        let listed: Vec<(u16, String, bool)> = rows
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code: u16 = cells[1].parse().unwrap_or(0);
                let advice_ok = CloseCode::from_code(code).is_some_and(|c| cells[4].starts_with(c.advice()));
                (code, cells[2].trim_matches('`').to_string(), advice_ok)
            })
            .collect();
        let expected: Vec<(u16, String, bool)> =
            CloseCode::ALL.iter().map(|c| (c.code(), c.reason().to_string(), true)).collect();
        assert_eq!(listed, expected, "(code, reason, the client cell begins with the advice)");
    }
}
