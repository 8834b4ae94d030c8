//! `/api/v1/schedules`: cron schedules that start a broadcast job at each due time
//! (see `actors::scheduler`). The scheduler's test clock is in `debug_clock`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::actors::scheduler::CronSpec;
use crate::error::{ApiError, ErrorCode};
use crate::http::audit;
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::ids::{is_schedule_id, new_schedule_id};
use crate::model::{now_ms, rfc3339};
use crate::protocol::inbound::check_send;
use crate::store::broadcasts::{Priority, Target};
use crate::store::schedules::{ScheduleFireRow, ScheduleRow};

/// Handled due times shown with one schedule.
const RECENT_FIRES: i64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/schedules").get(list_schedules).post(create_schedule)).service(
        web::resource("/schedules/{id}").get(get_schedule).patch(patch_schedule).delete(delete_schedule),
    );
}

fn utc() -> String {
    "UTC".into()
}

fn yes() -> bool {
    true
}

/// `POST /schedules` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSchedule {
    /// 5 fields (`min hour day month weekday`) or 6 (seconds first).
    #[schema(example = "30 9 * * MON-FRI")]
    pub cron: String,
    /// IANA time zone name (default `UTC`).
    #[serde(default = "utc")]
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// A list of room ids, `"all"`, or `{"tag": T}`; resolved at each due time.
    pub rooms: Target,
    #[schema(min_length = 1)]
    pub text: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// `PATCH /schedules/{id}` body: any subset of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSchedule {
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub rooms: Option<Target>,
    pub text: Option<String>,
    pub priority: Option<Priority>,
    pub enabled: Option<bool>,
}

/// A handled due time.
#[derive(Debug, Serialize, ToSchema)]
pub struct FireView {
    #[schema(format = DateTime)]
    pub due_at: String,
    #[schema(format = DateTime)]
    pub handled_at: String,
    #[schema(value_type = crate::http::openapi::FireOutcome)]
    pub outcome: String,
    #[schema(required = true)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub broadcast_id: Option<String>,
}

/// A schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub id: String,
    pub cron: String,
    pub timezone: String,
    #[schema(value_type = Target)]
    pub rooms: Value,
    pub text: String,
    #[schema(value_type = Priority)]
    pub priority: String,
    pub enabled: bool,
    /// The next due time; null while disabled (or if the cron never fires again).
    #[schema(required = true, format = DateTime)]
    pub next_run_at: Option<String>,
    /// When it last fired (by the scheduler's clock).
    #[schema(required = true, format = DateTime)]
    pub last_run_at: Option<String>,
    #[schema(required = true)]
    pub last_broadcast_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The latest handled due times, newest first (only when one schedule is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub recent: Option<Vec<FireView>>,
}

impl ScheduleView {
    fn new(r: ScheduleRow, recent: Option<Vec<ScheduleFireRow>>) -> Self {
        Self {
            rooms: serde_json::from_str(&r.target).unwrap_or(Value::Null),
            next_run_at: r.next_run_at.map(rfc3339),
            last_run_at: r.last_run_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            recent: recent.map(|rows| {
                rows.into_iter()
                    .map(|f| FireView {
                        due_at: rfc3339(f.due_at),
                        handled_at: rfc3339(f.handled_at),
                        outcome: f.outcome,
                        reason: f.reason,
                        broadcast_id: f.broadcast_id,
                    })
                    .collect()
            }),
            id: r.id,
            cron: r.cron,
            timezone: r.timezone,
            text: r.text,
            priority: r.priority,
            enabled: r.enabled,
            last_broadcast_id: r.last_broadcast_id,
        }
    }
}

/// Schema only: `GET /api/v1/schedules` answer.
#[derive(Serialize, ToSchema)]
pub struct SchedulePage {
    pub items: Vec<ScheduleView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Checks everything a schedule needs; returns its next due time after `now` (when enabled).
fn validate(row: &ScheduleRow, st: &AppState, now: i64) -> Result<Option<i64>, ApiError> {
    let spec = CronSpec::parse(&row.cron, &row.timezone)?;
    check_send(&row.text, None, st.cfg.limits.max_text).map_err(|(code, m)| ApiError::new(code, m))?;
    let target: Target = serde_json::from_str(&row.target)
        .map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("rooms: {e}")))?;
    target.check()?;
    let next = spec.first_after(now)?;
    Ok(row.enabled.then_some(next))
}

async fn find(st: &AppState, id: &str) -> Result<ScheduleRow, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("schedule {id} not found"));
    if !is_schedule_id(id) {
        return Err(not_found());
    }
    let key = id.to_string();
    st.store.run(move |c| ScheduleRow::find(c, &key)).await?.ok_or_else(not_found)
}

/// Creates a schedule; its first due time is the first after now.
#[utoipa::path(
    post,
    path = "/api/v1/schedules",
    tag = "schedules",
    request_body(content = CreateSchedule, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ScheduleView),
        (status = 400, description = "Malformed JSON, empty text or NUL (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "Body or text too large (`too_large`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An invalid cron or time zone, a cron that never fires, a bad target, or a missing or unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn create_schedule(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<CreateSchedule>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let now = now_ms();
    let mut row = ScheduleRow {
        id: new_schedule_id(),
        cron: b.cron.trim().to_string(),
        timezone: b.timezone,
        target: serde_json::to_string(&b.rooms).unwrap_or_else(|_| "null".into()),
        text: b.text,
        priority: b.priority.as_str().into(),
        enabled: b.enabled,
        next_run_at: None,
        last_run_at: None,
        last_broadcast_id: None,
        created_at: now,
        updated_at: now,
    };
    row.next_run_at = validate(&row, &st, st.clock.now_ms())?;
    let stored = row.clone();
    st.store.run(move |c| stored.insert(c)).await?;
    let detail = json!({"cron": row.cron, "timezone": row.timezone, "enabled": row.enabled});
    audit::record(&st, &admin, "schedule.create", &row.id, detail).await;
    Ok(HttpResponse::Created().json(ScheduleView::new(row, Some(Vec::new()))))
}

/// Schedules by id; the cursor is the last id of the previous page.
#[utoipa::path(
    get,
    path = "/api/v1/schedules",
    tag = "schedules",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Schedules by id", body = SchedulePage),
        (status = 400, description = "A bad `limit` or `cursor` (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_schedules(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = query.into_inner().checked(is_schedule_id)?;
    let rows = st.store.run(move |c| ScheduleRow::page(c, cursor.as_deref(), limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone(), |r| ScheduleView::new(r, None));
    Ok(HttpResponse::Ok().json(page))
}

/// One schedule with its latest handled due times (fired or skipped).
#[utoipa::path(
    get,
    path = "/api/v1/schedules/{id}",
    tag = "schedules",
    params(("id" = String, Path, description = "Schedule id", example = "sch_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schedule", body = ScheduleView),
        (status = 404, description = "No such schedule (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn get_schedule(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let key = row.id.clone();
    let recent = st.store.run(move |c| ScheduleFireRow::recent(c, &key, RECENT_FIRES)).await?;
    Ok(HttpResponse::Ok().json(ScheduleView::new(row, Some(recent))))
}

/// Changes any of `cron`, `timezone`, `rooms`, `text`, `priority`, `enabled`. A change
/// of `cron` or `timezone`, or enabling, moves `next_run_at` to the first due time
/// after now; disabling clears it.
#[utoipa::path(
    patch,
    path = "/api/v1/schedules/{id}",
    operation_id = "update_schedule",
    tag = "schedules",
    params(("id" = String, Path, description = "Schedule id", example = "sch_3kq9x0c2m7ab1def")),
    request_body(content = PatchSchedule, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = ScheduleView),
        (status = 400, description = "Malformed JSON, empty text, NUL or a path that is not valid UTF-8 or holds a NUL, `%00` (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such schedule (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "Body or text too large (`too_large`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An invalid cron, time zone or target, or an unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn patch_schedule(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<PatchSchedule>,
) -> Result<HttpResponse, ApiError> {
    let mut row = find(&st, &id).await?;
    let p = body.into_inner();
    let retime = p.cron.is_some() || p.timezone.is_some() || (p.enabled == Some(true) && !row.enabled);
    if let Some(cron) = p.cron {
        row.cron = cron.trim().to_string();
    }
    if let Some(tz) = p.timezone {
        row.timezone = tz;
    }
    if let Some(rooms) = &p.rooms {
        row.target = serde_json::to_string(rooms).unwrap_or_else(|_| "null".into());
    }
    if let Some(text) = p.text {
        row.text = text;
    }
    if let Some(priority) = p.priority {
        row.priority = priority.as_str().into();
    }
    if let Some(enabled) = p.enabled {
        row.enabled = enabled;
    }
    let next = validate(&row, &st, st.clock.now_ms())?;
    if !row.enabled {
        row.next_run_at = None;
    } else if retime || row.next_run_at.is_none() {
        row.next_run_at = next;
    }
    row.updated_at = now_ms();
    let stored = row.clone();
    if !st.store.run(move |c| stored.update(c)).await? {
        return Err(ApiError::new(ErrorCode::NotFound, format!("schedule {} not found", row.id)));
    }
    let detail = json!({"cron": row.cron, "timezone": row.timezone, "enabled": row.enabled});
    audit::record(&st, &admin, "schedule.update", &row.id, detail).await;
    Ok(HttpResponse::Ok().json(ScheduleView::new(row, None)))
}

/// Deletes a schedule (jobs it started stay in `/broadcasts`).
#[utoipa::path(
    delete,
    path = "/api/v1/schedules/{id}",
    tag = "schedules",
    params(("id" = String, Path, description = "Schedule id", example = "sch_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted; the schedule as it was", body = ScheduleView),
        (status = 404, description = "No such schedule (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn delete_schedule(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let key = row.id.clone();
    if !st.store.run(move |c| ScheduleRow::delete(c, &key)).await? {
        return Err(ApiError::new(ErrorCode::NotFound, format!("schedule {} not found", row.id)));
    }
    audit::record(&st, &admin, "schedule.delete", &row.id, json!({})).await;
    Ok(HttpResponse::Ok().json(ScheduleView::new(row, None)))
}
