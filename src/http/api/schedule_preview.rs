//! `GET /api/v1/schedules/preview`: the next due times of a cron in a time zone, for a
//! schedule form to show before saving. Parsed and checked exactly as `POST
//! /api/v1/schedules` does (`CronSpec`, the same 422 messages), and computed from the
//! scheduler's clock, so the test clock applies.

use actix_web::{web, HttpResponse};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::actors::scheduler::CronSpec;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::AppState;

/// Most due times one preview lists.
const MAX_COUNT: usize = 20;
const DEFAULT_COUNT: usize = 5;

/// Mounted before `/schedules/{id}`, which would otherwise take `preview` for an id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/schedules/preview", web::get().to(preview));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// 5 fields (`min hour day month weekday`) or 6 (seconds first), as a schedule's.
    #[param(example = "30 9 * * MON-FRI")]
    cron: String,
    /// IANA time zone name (default `UTC`); the times are shown with its offset.
    #[param(example = "Europe/Berlin")]
    timezone: Option<String>,
    /// How many due times, 1 to 20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    count: Option<usize>,
    /// Not documented: the admin API takes the token only in the header.
    #[serde(rename = "token")]
    #[param(ignore)]
    _token: Option<String>,
}

/// The next due times of a cron.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulePreview {
    #[schema(example = "30 9 * * MON-FRI")]
    pub cron: String,
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// Due times strictly after now (by the scheduler's clock), earliest first, in
    /// RFC 3339 with the time zone's offset at each; fewer than `count` only when the
    /// cron stops firing.
    #[schema(value_type = Vec<String>, format = DateTime, example = json!(["2026-12-07T09:30:00+01:00"]))]
    pub next: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/schedules/preview",
    operation_id = "get_schedule_preview",
    tag = "schedules",
    params(PreviewQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The next due times", body = SchedulePreview),
        (status = 400, description = "No `cron`, `count` outside 1 to 20, or an unknown parameter (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An invalid cron or time zone, or a cron that never fires (`unprocessable`), as `POST /api/v1/schedules` answers", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn preview(
    _: AdminAuth,
    st: web::Data<AppState>,
    q: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let PreviewQuery { cron, timezone, count, .. } = q.into_inner();
    let count = count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(ApiError::new(ErrorCode::BadRequest, format!("count must be 1 to {MAX_COUNT}")));
    }
    let (cron, timezone) = (cron.trim().to_string(), timezone.unwrap_or_else(|| "UTC".into()));
    let spec = CronSpec::parse(&cron, &timezone)?;
    let next = spec
        .upcoming(st.clock.now_ms(), count)?
        .iter()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false))
        .collect();
    Ok(HttpResponse::Ok().json(SchedulePreview { cron, timezone, next }))
}
