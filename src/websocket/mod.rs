//! The WebSocket transport under a session actor: how a connection's bytes come in
//! ([`reader`]), how they go out ([`outbox`]) and the socket beneath both
//! ([`socket`]). It bounds what one connection can make the server hold — one frame
//! in, `limits.max_outbound_bytes` out — and it keeps a session running (heartbeat,
//! close) whether or not its client reads. It knows nothing of rooms or actors; the
//! upgrade (`http::ws`) puts it together with a `WsSession`.

pub mod outbox;
pub mod reader;
pub mod socket;
