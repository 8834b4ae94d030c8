//! `GET /ws`: authenticate, then upgrade to a `WsSession`. A bad or missing token is a
//! 401 with a JSON error and no upgrade.

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;

use super::auth::authenticate;
use super::AppState;
use crate::actors::ws_session::WsSession;
use crate::error::ApiError;

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
        (status = 429, description = "Too many upgrade attempts from this IP (`rate_limited`, `limits.connects_per_ip_per_sec`)",
         body = crate::http::openapi::ErrorBody,
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
        (status = 503, description = "The store cannot check the token now (`unavailable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn upgrade(
    req: HttpRequest,
    stream: web::Payload,
    st: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if let Some(peer) = req.peer_addr() {
        st.upgrade_limiter.check(peer.ip())?;
    }
    let identity = authenticate(&req).await.map_err(ApiError::from)?;
    let codec = actix_http::ws::Codec::new().max_size(WsSession::codec_limit(&st.cfg));
    ws::WsResponseBuilder::new(WsSession::new(identity, st.session_deps.clone()), &req, stream)
        .codec(codec)
        .start()
}
