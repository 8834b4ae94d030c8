//! `GET /ws`: check the caller's limits and token, then upgrade to a `WsSession`. A bad
//! or missing token is a 401 with a JSON error and no upgrade.
//!
//! The session reads whole messages from a `FrameReader` and writes through an
//! `outbox` (src/websocket/): actix-web-actors' own reader and writer would buffer a
//! frame of any declared size and freeze a session whose client stops reading.

use actix::AsyncContext;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use futures_util::stream;
use slog::{info, warn};

use super::auth::authenticate;
use super::AppState;
use crate::actors::ws_session::WsSession;
use crate::error::ApiError;
use crate::metrics::metrics;
use crate::websocket::outbox::{self, Ending};
use crate::websocket::reader::{FrameReader, SharedStream};
use crate::websocket::socket::PeerSocket;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(upgrade));
}

#[utoipa::path(
    get,
    path = "/ws",
    tag = "health",
    description = "WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer` or, \
                   for clients that cannot set headers, in `?token=`.",
    params(("token" = Option<String>, Query, description = "The bearer token, when no Authorization header is sent")),
    security(("bearer" = []), ()),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 400, description = "Not a valid WebSocket handshake (no body)"),
        (status = 401, description = "Missing, unknown, revoked or expired token (`unauthorized`)", body = crate::http::openapi::ErrorBody),
        (status = 429, description = "Too many upgrade attempts from this IP (`rate_limited`, `limits.connects_per_ip_per_sec`, with `Retry-After`), \
                                      or too many open sessions for this token or IP (`rate_limited`, `limits.max_sessions_per_token`, `limits.max_sessions_per_ip`)",
         body = crate::http::openapi::ErrorBody,
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
        (status = 503, description = "The store cannot check the token now, or the server is at its connection limit (`unavailable`, `limits.max_connections`)",
         body = crate::http::openapi::ErrorBody,
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    ),
)]
async fn upgrade(
    req: HttpRequest,
    payload: web::Payload,
    st: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let ip = req.peer_addr().map(|p| p.ip());
    if let Some(ip) = ip {
        st.upgrade_limiter.check(ip)?;
    }
    st.session_quota.check_connections()?;
    let identity = authenticate(&req).await.map_err(ApiError::from)?;
    // JWT sessions have no token id: their subject's sessions count together.
    let token_key = identity.token_id.clone().unwrap_or_else(|| format!("jwt:{}", identity.user.id));
    let permit = st.session_quota.acquire(&token_key, ip)?;
    let mut response = ws::handshake(&req)?;
    let limits = &st.cfg.limits;
    let payload = SharedStream::new(payload);
    let frames = FrameReader::new(payload.clone(), limits.max_frame_bytes);
    let user = identity.user.id.clone();
    let session = WsSession::new(identity, st.session_deps.clone());
    let (log, name) = (st.log.clone(), session.name().to_string());
    let context = ws::WebsocketContext::with_factory(stream::pending(), move |ctx| {
        ctx.add_stream(frames);
        session
    });
    let socket = req.conn_data::<PeerSocket>().map(PeerSocket::handle);
    let max_outbound = limits.max_outbound_bytes;
    let body = outbox::start(context, payload, socket, max_outbound, move |ending| {
        drop(permit);
        metrics().ws_closed(ending);
        match ending {
            Ending::SlowConsumer => warn!(log, "connection cut: the client does not read (slow consumer)";
                "session" => name, "user" => user,
                "limit_bytes" => max_outbound),
            Ending::Unread => info!(log, "connection cut: the client did not take its last frames";
                "session" => name, "user" => user),
            Ending::Closed | Ending::PeerGone => {}
        }
    });
    Ok(response.streaming(body))
}
