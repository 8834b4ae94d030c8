//! Bearer extraction (`Authorization: Bearer …` or `?token=…`) and the `AdminAuth`
//! extractor that guards the admin API: a live (not revoked) admin token within its
//! request rate (`limits.admin_per_sec`/`admin_burst`, see `rate_limit`), with the
//! request's id for the audit log.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::request_id::RequestId;
use super::{request_log, AppState};
use crate::auth::{AuthError, Identity};
use crate::error::ApiError;

/// The bearer token of a request, from the header or else the `token` query parameter.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_string());
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

/// Resolves the request's bearer token to an identity (and names it in the request's
/// log line).
pub async fn authenticate(req: &HttpRequest) -> Result<Identity, AuthError> {
    let st = req.app_data::<web::Data<AppState>>().ok_or(AuthError::Invalid)?;
    let token = bearer(req).ok_or(AuthError::Missing)?;
    let id = st.auth.verify(&token).await?;
    request_log::note_caller(req, &id);
    Ok(id)
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
            let id = authenticate(&req).await?;
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
