//! `/api/v1/broadcasts`: start a broadcast job (one system message to many rooms),
//! list the history of jobs, show one with its per-room progress and report, cancel
//! one. Progress as Server-Sent Events is in `broadcast_events`.

use std::collections::{BTreeMap, HashMap};

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::actors::broadcast::{CancelJob, StartJob};
use crate::error::{ApiError, ErrorCode};
use crate::http::audit;
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::ids::{is_job_id, new_job_id};
use crate::metrics::metrics;
use crate::model::{now_ms, rfc3339};
use crate::protocol::inbound::check_send;
use crate::store::broadcasts::{
    BroadcastRoomRow, BroadcastRow, Counts, Priority, Target, TargetError, JOB_PENDING,
};
use crate::store::conn::write_txn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/broadcasts").get(list_broadcasts).post(create_broadcast))
        .service(web::resource("/broadcasts/{id}").get(get_broadcast).delete(cancel_broadcast));
}

/// `POST /broadcasts` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBroadcast {
    /// 1 to `limits.max_text` characters, no NUL.
    #[schema(min_length = 1, example = "maintenance at noon")]
    pub text: String,
    /// A list of room ids, `"all"`, or `{"tag": T}`.
    pub rooms: Target,
    /// `high`, `normal` (default) or `low`.
    #[serde(default)]
    pub priority: Priority,
}

/// One target room of a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomProgressView {
    pub room: String,
    #[schema(value_type = crate::http::openapi::BroadcastRoomStatus)]
    pub status: String,
    pub attempts: i64,
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// The message's seq in the room once delivered.
    #[schema(required = true)]
    pub seq: Option<i64>,
}

/// The summary of a finished job.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// From the first delivery attempt to the end (ms).
    pub duration_ms: i64,
    /// Failed rooms by reason.
    pub failures_by_reason: BTreeMap<String, i64>,
}

/// A broadcast job.
#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastView {
    pub id: String,
    pub text: String,
    /// The target as given: a list of room ids, `"all"` or `{"tag": T}`.
    #[schema(value_type = Target)]
    pub target: Value,
    #[schema(value_type = Priority)]
    pub priority: String,
    #[schema(value_type = crate::http::openapi::BroadcastStatus)]
    pub status: String,
    /// The admin token's name, or `schedule:<id>`.
    pub created_by: String,
    #[schema(required = true)]
    pub schedule_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required = true, format = DateTime)]
    pub started_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub finished_at: Option<String>,
    pub counts: Counts,
    /// Null until the job has finished.
    #[schema(required = true)]
    pub report: Option<ReportView>,
    /// Every target room (only when one job is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rooms: Option<Vec<RoomProgressView>>,
}

impl BroadcastView {
    pub fn new(
        row: BroadcastRow,
        counts: Counts,
        reasons: BTreeMap<String, i64>,
        rooms: Option<Vec<BroadcastRoomRow>>,
    ) -> Self {
        let report = row.finished().then(|| ReportView {
            duration_ms: row.finished_at.unwrap_or(row.created_at) - row.started_at.unwrap_or(row.created_at),
            failures_by_reason: reasons,
        });
        Self {
            target: serde_json::from_str(&row.target).unwrap_or(Value::Null),
            created_at: rfc3339(row.created_at),
            started_at: row.started_at.map(rfc3339),
            finished_at: row.finished_at.map(rfc3339),
            counts,
            report,
            rooms: rooms.map(|rows| {
                rows.into_iter()
                    .map(|r| RoomProgressView {
                        room: r.room_id,
                        status: r.status,
                        attempts: r.attempts,
                        last_error: r.last_error,
                        seq: r.seq,
                    })
                    .collect()
            }),
            id: row.id,
            text: row.text,
            priority: row.priority,
            status: row.status,
            created_by: row.created_by,
            schedule_id: row.schedule_id,
        }
    }
}

/// Schema only: `GET /api/v1/broadcasts` answer.
#[derive(Serialize, ToSchema)]
pub struct BroadcastPage {
    pub items: Vec<BroadcastView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// The job `id` as the API shows it, or 404.
pub async fn load_view(st: &AppState, id: &str, with_rooms: bool) -> Result<BroadcastView, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("broadcast {id} not found"));
    if !is_job_id(id) {
        return Err(not_found());
    }
    let key = id.to_string();
    let found = st
        .store
        .run(move |c| {
            let Some(row) = BroadcastRow::find(c, &key)? else { return Ok(None) };
            let ids = [key.clone()];
            let counts = BroadcastRoomRow::counts(c, &ids)?.remove(&key).unwrap_or_default();
            let reasons = BroadcastRoomRow::failure_reasons(c, &ids)?.remove(&key).unwrap_or_default();
            let rooms = if with_rooms { Some(BroadcastRoomRow::for_job(c, &key)?) } else { None };
            Ok(Some(BroadcastView::new(row, counts, reasons, rooms)))
        })
        .await?;
    found.ok_or_else(not_found)
}

/// Starts a job: resolves the target now (unknown listed rooms are `failed` with
/// `not_found` at once), stores the job and its rooms, and hands it to the queue.
#[utoipa::path(
    post,
    path = "/api/v1/broadcasts",
    tag = "broadcasts",
    request_body(content = CreateBroadcast, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created and started; with every target room", body = BroadcastView),
        (status = 400, description = "Malformed JSON, empty text or NUL (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "Body or text too large (`too_large`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "A missing or unknown field, a bad priority, a bad room id, or a target that matches no room (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn create_broadcast(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<CreateBroadcast>,
) -> Result<HttpResponse, ApiError> {
    let CreateBroadcast { text, rooms, priority } = body.into_inner();
    check_send(&text, None, st.cfg.limits.max_text).map_err(|(code, m)| ApiError::new(code, m))?;
    rooms.check()?;
    let now = now_ms();
    let row = BroadcastRow {
        id: new_job_id(now),
        text,
        target: serde_json::to_string(&rooms).unwrap_or_else(|_| "null".into()),
        priority: priority.as_str().into(),
        status: JOB_PENDING.into(),
        created_by: admin.0.user.name.clone(),
        schedule_id: None,
        created_at: now,
        started_at: None,
        finished_at: None,
    };
    let job = row.clone();
    let outcome = st
        .store
        .run(move |c| {
            let created = write_txn(c, |c| {
                let resolved = rooms.resolve(c)?;
                job.insert_with_rooms(c, &resolved)?;
                Ok::<_, TargetError>(resolved)
            });
            match created {
                Ok(resolved) => Ok(Ok(resolved)),
                Err(TargetError::Store(e)) => Err(e),
                Err(refused) => Ok(Err(refused)),
            }
        })
        .await?;
    let resolved = outcome?;
    // Unknown rooms failed at creation; the job counts the others as they end.
    metrics().broadcast_rooms.with_label_values(&["failed"]).inc_by(resolved.unknown.len() as u64);
    st.broadcasts.do_send(StartJob(row.id.clone()));
    let detail =
        json!({"rooms": resolved.rooms.len(), "unknown": resolved.unknown.len(), "priority": row.priority});
    audit::record(&st, &admin, "broadcast.create", &row.id, detail).await;
    Ok(HttpResponse::Created().json(load_view(&st, &row.id, true).await?))
}

/// The history of jobs, newest first; the cursor is the last id of the previous page.
#[utoipa::path(
    get,
    path = "/api/v1/broadcasts",
    tag = "broadcasts",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Jobs, newest first, without their room lists", body = BroadcastPage),
        (status = 400, description = "A bad `limit` or `cursor` (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_broadcasts(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = query.into_inner().checked(is_job_id)?;
    let (rows, mut counts, mut reasons) = st
        .store
        .run(move |c| {
            let rows = BroadcastRow::page(c, cursor.as_deref(), limit + 1)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, BroadcastRoomRow::counts(c, &ids)?, BroadcastRoomRow::failure_reasons(c, &ids)?))
        })
        .await?;
    let views: Vec<BroadcastView> = rows
        .into_iter()
        .map(|r| {
            let (c, why) = (take(&mut counts, &r.id), take(&mut reasons, &r.id));
            BroadcastView::new(r, c, why, None)
        })
        .collect();
    let page = Page::from_rows(views, limit, |v| v.id.clone(), |v| v);
    Ok(HttpResponse::Ok().json(page))
}

fn take<T: Default>(map: &mut HashMap<String, T>, key: &str) -> T {
    map.remove(key).unwrap_or_default()
}

/// One job with every target room's status, attempts, last error and seq.
#[utoipa::path(
    get,
    path = "/api/v1/broadcasts/{id}",
    tag = "broadcasts",
    params(("id" = String, Path, description = "Job id", example = "bc_19ab3c4d5e6f123456")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = BroadcastView),
        (status = 404, description = "No such job (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn get_broadcast(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_view(&st, &id, true).await?))
}

/// Cancels a job: rooms not reached yet become `cancelled` (a delivery already handed
/// to a room completes and shows as `delivered`). A finished job is left as it is
/// (200 with its state).
#[utoipa::path(
    delete,
    path = "/api/v1/broadcasts/{id}",
    tag = "broadcasts",
    params(("id" = String, Path, description = "Job id", example = "bc_19ab3c4d5e6f123456")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled now, or already finished", body = BroadcastView),
        (status = 404, description = "No such job (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn cancel_broadcast(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("broadcast {id} not found"));
    if !is_job_id(&id) {
        return Err(not_found());
    }
    let key = id.clone();
    let (_, cancelled) =
        st.store.run(move |c| BroadcastRow::cancel(c, &key, now_ms())).await?.ok_or_else(not_found)?;
    if cancelled {
        st.broadcasts.do_send(CancelJob(id.clone()));
        if let Some(cluster) = &st.cluster {
            // The job may run on another node: it stops there.
            let cancelled = crate::cluster::wire::Control::BroadcastCancelled { id: id.clone() };
            cluster.publish_json(cluster.control_subject(), &cancelled);
        }
        audit::record(&st, &admin, "broadcast.cancel", &id, json!({})).await;
    }
    Ok(HttpResponse::Ok().json(load_view(&st, &id, true).await?))
}
