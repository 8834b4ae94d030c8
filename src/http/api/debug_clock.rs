//! `POST /api/v1/debug/clock` (tests and drills only): sets the scheduler's clock and
//! runs a scheduler tick. 404 unless `debug.fault_injection = true`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actors::scheduler::Tick;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::AppState;
use crate::model::rfc3339;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/debug/clock").post(set_clock));
}

/// `debug/clock` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339.
    #[schema(format = DateTime, example = "2026-03-29T00:00:00Z")]
    pub now: String,
}

/// Test only: sets the scheduler's clock (it then stands at that time until set
/// again) and runs a scheduler tick; answers once the due schedules are handled.
/// 404 unless `debug.fault_injection = true`.
#[utoipa::path(
    post,
    path = "/api/v1/debug/clock",
    operation_id = "set_scheduler_clock",
    tag = "schedules",
    request_body(content = SetClock, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clock was set and due schedules handled", body = SetClock),
        (status = 400, description = "Malformed JSON, or a `now` that is not RFC 3339 or not in the years 1970 to 4000 (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "Fault injection is off (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "A missing or unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The scheduler did not answer, or the store cannot check the token now (`unavailable`); may carry `Retry-After`"),
    ),
)]
async fn set_clock(
    _: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<SetClock>,
) -> Result<HttpResponse, ApiError> {
    let Some(clock) = st.test_clock.as_ref().filter(|_| st.cfg.debug.fault_injection) else {
        return Err(ApiError::new(ErrorCode::NotFound, "fault injection is off"));
    };
    let at = chrono::DateTime::parse_from_rfc3339(&body.now)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("now is not RFC 3339: {e}")))?;
    if !(1970..=4000).contains(&chrono::Datelike::year(&at.naive_utc())) {
        return Err(ApiError::new(ErrorCode::BadRequest, "now must be between the years 1970 and 4000"));
    }
    clock.set(at.timestamp_millis());
    st.scheduler
        .send(Tick)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("scheduler did not answer: {e}")))?;
    Ok(HttpResponse::Ok().json(json!({"now": rfc3339(at.timestamp_millis())})))
}
