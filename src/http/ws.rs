//! `GET /ws`: check the caller's limits and token, then upgrade to a `WsSession`.
//!
//! A bad or missing token is a 401 with a JSON error and no upgrade — unless the client
//! offered the `roomd.v1` subprotocol or sent an `Origin` header (every browser does).
//! A browser's WebSocket API shows a refused upgrade only as close 1006, the same as a
//! server that is down, so such a client is upgraded and at once sent the close code
//! that says why (4500 unauthorized, 4501 expired, 4502 revoked) with the reason; the
//! connection then ends like any closed session's (`outbox`: half-closed once the frame
//! is out, cut after `CLOSE_GRACE`). It has counted against the per-IP upgrade limit
//! like any attempt, and it never gets a session.
//!
//! The 101 carries a [`Handover`]: once it is written, the socket leaves actix-web
//! (`http::handover`) and the session owns it, reading whole messages through a
//! `FrameReader` and writing through an `Outbox` (src/websocket/), each with its
//! memory bounded.

use actix::{Actor, AsyncContext};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use slog::{info, warn};

use super::auth::{authenticate, offered_subprotocols, Carriers, SUBPROTOCOL};
use super::handover::Handover;
use super::AppState;
use crate::actors::session_facts::Peer;
use crate::actors::ws_session::WsSession;
use crate::auth::AuthError;
use crate::error::{ApiError, HasCode};
use crate::metrics::metrics;
use crate::protocol::close::CloseCode;
use crate::websocket::outbox::{Ending, Outbox, Writer};
use crate::websocket::reader::{FrameReader, SocketBytes};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(upgrade));
}

#[utoipa::path(
    get,
    path = "/ws",
    tag = "health",
    description = "WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer`, in the \
                   subprotocol `roomd.token.<TOKEN>` offered together with `roomd.v1` (browsers), or in \
                   `?token=`. A client that offers `roomd.v1` (or sends `Origin`) learns of a bad token from \
                   a close code after the upgrade (4500, 4501, 4502) instead of a 401.",
    params(
        ("token" = Option<String>, Query, description = "The bearer token, when neither the Authorization header nor the subprotocol carries it"),
        ("Sec-WebSocket-Protocol" = Option<String>, Header, description = "`roomd.v1` (echoed back) and optionally `roomd.token.<TOKEN>`; other offers are ignored"),
    ),
    security(("bearer" = []), ()),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol (`roomd.v1` echoed when offered); with a bad token and `roomd.v1` or `Origin`, closed at once with 4500, 4501 or 4502"),
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
async fn upgrade(req: HttpRequest, st: web::Data<AppState>) -> Result<HttpResponse, actix_web::Error> {
    let ip = req.peer_addr().map(|p| p.ip());
    if let Some(ip) = ip {
        st.upgrade_limiter.check(ip)?;
    }
    st.session_quota.check_connections()?;
    let identity = match authenticate(&req, Carriers::WebSocket).await {
        Ok(identity) => identity,
        Err(e) => return refuse(&req, &st, e),
    };
    // JWT sessions have no token id: their subject's sessions count together.
    let token_key = identity.token_id.clone().unwrap_or_else(|| format!("jwt:{}", identity.user.id));
    let permit = st.session_quota.acquire(&token_key, ip)?;
    let response = ws::handshake_with_protocols(&req, &[SUBPROTOCOL])?.finish();
    let (max_frame, max_outbound) = (st.cfg.limits.max_frame_bytes, st.cfg.limits.max_outbound_bytes);
    let (peer, deps, log) = (peer(&req, &st), st.session_deps.clone(), st.log.clone());
    let user = identity.user.id.clone();
    Ok(Handover::respond(response, move |socket, early| {
        let frames = FrameReader::new(SocketBytes::new(socket.clone(), early), max_frame);
        let mut session = WsSession::new(identity, peer, deps, Outbox::new(socket, max_outbound));
        let name = session.name().to_string();
        session.outbox().on_end(Box::new(move |ending| {
            drop(permit);
            metrics().ws_closed(ending);
            match ending {
                Ending::SlowConsumer => {
                    warn!(log, "connection cut: the client does not read (slow consumer)";
                    "session" => name, "user" => user,
                    "limit_bytes" => max_outbound)
                }
                Ending::Unread => info!(log, "connection cut: the client did not take its last frames";
                    "session" => name, "user" => user),
                Ending::Closed | Ending::PeerGone => {}
            }
        }));
        WsSession::create(move |ctx| {
            ctx.add_stream(frames);
            session
        });
    }))
}

/// Where the connection comes from: the client's address (the peer's, or from a
/// trusted proxy the one its `X-Forwarded-For` gives) and its `User-Agent`.
fn peer(req: &HttpRequest, st: &AppState) -> Peer {
    let forwarded = req.headers().get_all(FORWARDED_FOR).filter_map(|v| v.to_str().ok());
    let remote_addr = req.peer_addr().map(|p| st.cfg.server.trusted_proxies.client_addr(p.ip(), forwarded));
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Peer { remote_addr, user_agent }
}

const FORWARDED_FOR: &str = "x-forwarded-for";

/// Answers an upgrade whose token was refused: a 401 (or the store's 503), or, for a
/// client that can only see close codes (it offered `roomd.v1` or sent `Origin`), an
/// upgrade that carries nothing but the close frame saying why.
fn refuse(req: &HttpRequest, st: &AppState, e: AuthError) -> Result<HttpResponse, actix_web::Error> {
    let close_code = e.close_code().filter(|_| {
        offered_subprotocols(req).any(|p| p == SUBPROTOCOL) || req.headers().contains_key(header::ORIGIN)
    });
    let Some(code) = close_code else {
        return Err(ApiError::from(e).into());
    };
    let response = ws::handshake_with_protocols(req, &[SUBPROTOCOL])?.finish();
    let reason =
        ws::CloseReason { code: ws::CloseCode::from(code.code()), description: Some(close_reason(code, &e)) };
    let max_outbound = st.cfg.limits.max_outbound_bytes;
    Ok(Handover::respond(response, move |socket, _| {
        let mut outbox = Outbox::new(socket, max_outbound);
        let _ = outbox.close(Some(reason));
        actix_web::rt::spawn(outbox.finish());
    }))
}

/// The close reason: the table's words and what the server found, within the 123
/// bytes a close frame allows.
fn close_reason(code: CloseCode, e: &AuthError) -> String {
    code.reason_with(&e.public_message())
}
