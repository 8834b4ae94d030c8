//! What is said about live WebSocket sessions outside the session actors: the view of
//! one session (`GET /api/v1/sessions`, and the answer a node gives another in cluster
//! mode) and the filter that picks sessions out. Plain data: the session directory
//! (`actors::sessions`) makes them, the admin API and the cluster carry them.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::UserKind;
use crate::net::IpBlock;

/// One live session, as it was when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    /// The session's id (`hello.session`), stable while it lives.
    #[schema(example = "s2a-9f3c01de")]
    pub id: String,
    /// The user id of its token (a token's `name`, a JWT's `sub`).
    pub user_id: String,
    /// The user's display name.
    pub user_name: String,
    /// The kind of its token.
    #[schema(value_type = crate::http::openapi::TokenKind)]
    pub kind: UserKind,
    /// The opaque token it authenticated with (null for a JWT).
    #[schema(required = true)]
    pub token_id: Option<String>,
    /// The client's address: the peer's, or from a trusted proxy (`server.trusted_proxies`)
    /// what its `X-Forwarded-For` says. Null when the connection has no IP peer.
    #[schema(required = true, value_type = Option<String>, example = "203.0.113.9")]
    pub remote_addr: Option<IpAddr>,
    /// The upgrade request's `User-Agent` (null without one; at most 256 characters kept).
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// When the session started (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub connected_at: String,
    /// The rooms it has joined, by id.
    pub rooms: Vec<String>,
    /// Cluster mode: the node that holds the connection; null otherwise.
    #[schema(required = true)]
    pub node: Option<String>,
    /// Text and binary frames received from the client (control frames not counted).
    pub frames_in: u64,
    /// Text frames written to the client (`hello`, replies, deliveries).
    pub frames_out: u64,
    /// Deliveries queued in the session's mailbox, not written yet.
    pub outbound_queue_messages: u64,
    /// Bytes written but not yet taken by the client's socket (at most about
    /// `limits.max_outbound_bytes`: beyond it the client is cut off as a slow consumer).
    pub outbound_queue_bytes: u64,
}

/// Which sessions a listing or a disconnect is about; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionFilter {
    /// Exactly this session.
    pub id: Option<String>,
    pub user_id: Option<String>,
    /// Joined to this room.
    pub room: Option<String>,
    pub kind: Option<UserKind>,
    /// The client address is in this block.
    #[serde(with = "block_text")]
    pub remote_addr: Option<IpBlock>,
}

impl SessionFilter {
    /// Whether the session with these facts matches. `rooms` is asked only when a room
    /// is filtered on.
    pub fn matches(
        &self,
        id: &str,
        user_id: &str,
        kind: UserKind,
        remote_addr: Option<IpAddr>,
        rooms: impl FnOnce(&str) -> bool,
    ) -> bool {
        self.id.as_deref().is_none_or(|x| x == id)
            && self.user_id.as_deref().is_none_or(|u| u == user_id)
            && self.kind.is_none_or(|k| k == kind)
            && self.remote_addr.is_none_or(|b| remote_addr.is_some_and(|ip| b.contains(ip)))
            && self.room.as_deref().is_none_or(rooms)
    }
}

/// An [`IpBlock`] on the wire as its text (`10.0.0.0/8`).
mod block_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::net::IpBlock;

    pub fn serialize<S: Serializer>(b: &Option<IpBlock>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_some(&b.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpBlock>, D::Error> {
        Option::<String>::deserialize(d)?.map(|t| t.parse().map_err(serde::de::Error::custom)).transpose()
    }
}
