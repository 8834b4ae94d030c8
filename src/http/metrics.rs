//! `GET /metrics`: the Prometheus text exposition (docs/METRICS.md). No auth unless
//! `metrics.token` is set, then `Authorization: Bearer <token>` is required.

use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::auth::{bearer, Carriers};
use super::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::{metrics, METRICS_ROUTE};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(METRICS_ROUTE, web::get().to(render));
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "health",
    security((), ("metrics_bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "`metrics.token` is set and the request lacks it (`unauthorized`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The registry could not be rendered (`unavailable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn render(req: HttpRequest, st: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let want = &st.cfg.metrics.token;
    if !want.is_empty() && !bearer(&req, Carriers::Header).is_some_and(|got| same_secret(&got, want)) {
        return Err(ApiError::new(ErrorCode::Unauthorized, "GET /metrics needs the metrics token"));
    }
    let text = metrics()
        .render()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("metrics unavailable: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

/// Compares digests, so the time taken says nothing about the secret.
fn same_secret(got: &str, want: &str) -> bool {
    Sha256::digest(got.as_bytes()) == Sha256::digest(want.as_bytes())
}
