//! One slog line per HTTP request (`req` id, method, path, status, duration). The
//! query string is left out: it may carry a `token`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use slog::info;

use super::AppState;

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
    if let Some(log) = log {
        let status = match &res {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        info!(log, "http request"; "req" => id, "method" => method, "path" => path,
              "status" => status, "us" => started.elapsed().as_micros() as u64);
    }
    res
}
