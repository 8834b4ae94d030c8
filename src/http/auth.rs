//! Bearer extraction and the `AdminAuth` extractor that guards the admin API: a live
//! (not revoked) admin token within its request rate (`limits.admin_per_sec`/
//! `admin_burst`, see `rate_limit`), with the request's id for the audit log.
//!
//! Where a token may travel ([`Carriers`]): the admin API and `/metrics` take it only in
//! `Authorization: Bearer …` (a query string lands in proxies' access logs); `GET /ws`
//! also in the WebSocket subprotocol `roomd.token.<TOKEN>` (what a browser can send) and,
//! for clients that can do neither, in `?token=…`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::request_id::RequestId;
use super::{request_log, AppState};
use crate::auth::{AuthError, Identity};
use crate::error::ApiError;

/// The subprotocol a WebSocket client offers (and the server echoes) to speak roomd's
/// protocol; offering it also asks for auth failures as close codes (`http::ws`).
pub const SUBPROTOCOL: &str = "roomd.v1";

/// The prefix of the subprotocol that carries the token: `roomd.token.<TOKEN>`.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "roomd.token.";

/// Where a request's bearer token is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carriers {
    /// `Authorization: Bearer …` only (admin API, metrics).
    Header,
    /// The header, else the `roomd.token.` subprotocol, else `?token=` (`GET /ws`).
    WebSocket,
}

/// The bearer token of a request, from the carriers `carriers` allows, in that order.
pub fn bearer(req: &HttpRequest, carriers: Carriers) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_string());
    }
    if carriers == Carriers::Header {
        return None;
    }
    if let Some(token) = offered_subprotocols(req)
        .find_map(|p| p.strip_prefix(TOKEN_SUBPROTOCOL_PREFIX).filter(|t| !t.is_empty()).map(str::to_string))
    {
        return Some(token);
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

/// The subprotocols a WebSocket upgrade offers (`Sec-WebSocket-Protocol`, a
/// comma-separated list, possibly over several headers).
pub fn offered_subprotocols(req: &HttpRequest) -> impl Iterator<Item = &str> {
    req.headers()
        .get_all(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Resolves the request's bearer token, looked for in `carriers`, to an identity (and
/// names it in the request's log line).
pub async fn authenticate(req: &HttpRequest, carriers: Carriers) -> Result<Identity, AuthError> {
    let st = req.app_data::<web::Data<AppState>>().ok_or(AuthError::Invalid)?;
    let token = bearer(req, carriers).ok_or_else(|| missing(req, carriers))?;
    let id = st.auth.verify(&token).await?;
    request_log::note_caller(req, &id);
    Ok(id)
}

/// No token where `carriers` looks: a token in `?token=` on the admin API is named as
/// the mistake it is.
fn missing(req: &HttpRequest, carriers: Carriers) -> AuthError {
    let in_query = url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "token");
    if carriers == Carriers::Header && in_query {
        AuthError::TokenInQuery
    } else {
        AuthError::Missing
    }
}

/// An authenticated global admin whose request was within its token's rate limit, and
/// the request's id (`X-Request-Id`, kept in audit entries).
pub struct AdminAuth(pub Identity, pub RequestId);

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let id = authenticate(&req, Carriers::Header).await?;
            if !id.is_admin() {
                return Err(AuthError::NotAdmin.into());
            }
            if let Some(st) = req.app_data::<web::Data<AppState>>() {
                st.admin_limiter.check(id.token_id.as_deref().unwrap_or(&id.user.id))?;
            }
            // The request log middleware always sets it; a new id covers a request
            // that did not pass through it.
            let request_id = req.extensions().get::<RequestId>().cloned().unwrap_or_else(RequestId::generate);
            Ok(AdminAuth(id, request_id))
        })
    }
}
