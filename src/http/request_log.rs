//! One slog line per HTTP request (`req` id, `peer` address, the caller's `token` id
//! or JWT `user` once authenticated, method, path, status, duration), the request id in
//! the `X-Request-Id` response header (see `request_id`), and the request figures by
//! route (`roomd_http_requests_total`, `roomd_http_request_seconds`; the route is the
//! matched pattern, so ids in paths do not become labels). The query string is left
//! out of the log: it may carry a `token`; only the token's id is logged, never the
//! secret.
//! An error answered with a fixed message (a store failure) gets a second line with
//! its full text.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};
use slog::{info, warn};

use super::request_id::{self, RequestId};
use super::AppState;
use crate::auth::Identity;
use crate::error::ApiError;
use crate::metrics::metrics;

/// Who a request authenticated as, for its log line: left in the request's extensions
/// by [`note_caller`].
#[derive(Debug, Clone)]
struct Caller {
    /// The opaque token's id; `None` for a JWT.
    token_id: Option<String>,
    /// The JWT subject (an opaque token is named by its id alone).
    jwt_user: Option<String>,
}

/// Records that `req` authenticated as `who` (called by `auth::authenticate`).
pub fn note_caller(req: &HttpRequest, who: &Identity) {
    let caller = Caller {
        token_id: who.token_id.clone(),
        jwt_user: who.token_id.is_none().then(|| who.user.id.clone()),
    };
    req.extensions_mut().insert(caller);
}

/// `middleware::from_fn` body.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::from_header(req.headers().get(request_id::HEADER));
    req.extensions_mut().insert(id.clone());
    let log = req.app_data::<web::Data<AppState>>().map(|st| st.log.clone());
    let peer = req.peer_addr().map(|a| a.to_string());
    let (method, path) = (req.method().to_string(), req.path().to_string());
    let mut res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    let route = match &res {
        Ok(r) => r.request().match_pattern().unwrap_or_else(|| "unmatched".into()),
        Err(_) => "unmatched".into(),
    };
    let caller = res.as_ref().ok().and_then(|r| r.request().extensions().get::<Caller>().cloned());
    if let Ok(r) = &mut res {
        r.headers_mut().insert(request_id::HEADER, id.header_value());
    }
    // Only the standard methods become label values (any other string would be a new series).
    let method_label = match method.as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    };
    let m = metrics();
    m.http_requests.with_label_values(&[route.as_str(), method_label, &status.to_string()]).inc();
    m.http_seconds.with_label_values(&[route.as_str()]).observe(started.elapsed().as_secs_f64());
    // The full text of an error answered with a fixed message (the store's own words).
    let detail = match &res {
        Ok(r) => r.response().error().and_then(|e| e.as_error::<ApiError>()).and_then(|e| e.detail.clone()),
        Err(_) => None,
    };
    if let (Some(log), Some(detail)) = (&log, detail) {
        warn!(log, "request failed"; "req" => id.as_str(), "err" => detail);
    }
    if let Some(log) = log {
        let (token, user) = caller.map_or((None, None), |c| (c.token_id, c.jwt_user));
        info!(log, "http request"; "req" => id.as_str(), "peer" => peer, "token" => token, "user" => user,
              "method" => method, "path" => path, "status" => status, "us" => started.elapsed().as_micros() as u64);
    }
    res
}
