//! One slog line per HTTP request (`req` id, method, path, status, duration) and the
//! request figures by route (`roomd_http_requests_total`, `roomd_http_request_seconds`;
//! the route is the matched pattern, so ids in paths do not become labels). The query
//! string is left out of the log: it may carry a `token`. An error answered with a
//! fixed message (a store failure) gets a second line with its full text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use slog::{info, warn};

use super::AppState;
use crate::error::ApiError;
use crate::metrics::metrics;

static NEXT_REQ: AtomicU64 = AtomicU64::new(1);

/// `middleware::from_fn` body.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = NEXT_REQ.fetch_add(1, Ordering::Relaxed);
    let log = req.app_data::<web::Data<AppState>>().map(|st| st.log.clone());
    let (method, path) = (req.method().to_string(), req.path().to_string());
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    let route = match &res {
        Ok(r) => r.request().match_pattern().unwrap_or_else(|| "unmatched".into()),
        Err(_) => "unmatched".into(),
    };
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
        warn!(log, "request failed"; "req" => id, "err" => detail);
    }
    if let Some(log) = log {
        info!(log, "http request"; "req" => id, "method" => method, "path" => path,
              "status" => status, "us" => started.elapsed().as_micros() as u64);
    }
    res
}
