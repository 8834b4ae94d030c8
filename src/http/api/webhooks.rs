//! `/api/v1/webhooks`: webhook endpoints (docs/INTEGRATIONS.md), their test delivery,
//! resume and recent deliveries. The delivering itself is `src/webhooks/`; a handler
//! changes the store and tells the hub (`SyncEndpoints`), and each endpoint's actor
//! reads its row again at its next round.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::hooks::is_http_url;
use crate::http::audit;
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::AppState;
use crate::ids::{is_webhook_id, new_webhook_id};
use crate::model::{now_ms, rfc3339};
use crate::store::webhooks::{
    count_after, deliveries, record_delivery, DeliveryRow, EventRow, NewDelivery, WebhookPatch, WebhookRow,
    STATE_ACTIVE, STATE_PAUSED,
};
use crate::webhooks::batch::{body, post};
use crate::webhooks::hub::SyncEndpoints;
use crate::webhooks::{EVENT_TYPES, MIN_SECRET_LEN};

/// Deliveries shown by `GET /webhooks/{id}/deliveries`, at most.
const DELIVERIES_SHOWN: i64 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/webhooks").get(list_webhooks).post(create_webhook))
        .service(web::resource("/webhooks/{id}").get(get_webhook).patch(patch_webhook).delete(delete_webhook))
        .service(web::resource("/webhooks/{id}/test").post(test_webhook))
        .service(web::resource("/webhooks/{id}/resume").post(resume_webhook))
        .service(web::resource("/webhooks/{id}/deliveries").get(list_deliveries));
}

/// `POST /webhooks` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: an `http://` or `https://` URL.
    #[schema(example = "https://backend.example/roomd-events")]
    pub url: String,
    /// The event types wanted: `message`, `message_deleted`, `member_joined`,
    /// `member_left`, `room_created`, `room_deleted`, `broadcast_finished`.
    #[schema(min_items = 1)]
    pub events: Vec<String>,
    /// Only events of these rooms; empty or absent: every room.
    #[serde(default)]
    pub rooms: Vec<String>,
    /// Only events of rooms with one of these tags; empty or absent: any.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The HMAC-SHA256 key of the signature, at least 16 characters.
    #[schema(min_length = 16)]
    pub secret: String,
}

/// `PATCH /webhooks/{id}` body: any subset of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub rooms: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub secret: Option<String>,
    /// `paused` stops deliveries (the position is kept); `active` resumes them.
    #[schema(value_type = Option<WebhookState>)]
    pub state: Option<String>,
}

/// An endpoint's state.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum WebhookState {
    Active,
    Paused,
}

/// An endpoint. The secret is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub rooms: Vec<String>,
    pub tags: Vec<String>,
    #[schema(value_type = WebhookState)]
    pub state: String,
    /// Failed deliveries in a row (`webhooks.max_failures` pauses the endpoint).
    pub failures: i64,
    /// The receiver's status at the last attempt; null if it did not answer.
    #[schema(required = true)]
    pub last_status: Option<i64>,
    /// Why the last attempt failed; null after a success.
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub last_attempt_at: Option<String>,
    /// The outbox position delivered up to.
    pub position: i64,
    /// Events committed after `position`, not all of them for this endpoint (its
    /// filter is applied at delivery).
    pub lag: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl WebhookView {
    fn new(r: WebhookRow, lag: i64) -> Self {
        let list = |json: &str| serde_json::from_str(json).unwrap_or_default();
        Self {
            events: list(&r.events),
            rooms: list(&r.rooms),
            tags: list(&r.tags),
            last_attempt_at: r.last_attempt_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            id: r.id,
            url: r.url,
            state: r.state,
            failures: r.failures,
            last_status: r.last_status,
            last_error: r.last_error,
            position: r.position,
            lag,
        }
    }
}

/// `GET /webhooks` answer.
#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// One delivery attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// When the attempt started.
    #[schema(format = DateTime)]
    pub at: String,
    /// A test delivery (`POST /api/v1/webhooks/{id}/test`).
    pub test: bool,
    /// Events in the batch.
    pub events: i64,
    /// The receiver's HTTP status; null when no answer came.
    #[schema(required = true)]
    pub status: Option<i64>,
    /// Why the attempt failed; null when it succeeded.
    #[schema(required = true)]
    pub error: Option<String>,
    pub latency_ms: i64,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        Self {
            id: d.id,
            at: rfc3339(d.at),
            test: d.test,
            events: d.events,
            status: d.status,
            error: d.error,
            latency_ms: d.latency_ms,
        }
    }
}

/// `GET /webhooks/{id}/deliveries` answer: the recent attempts, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

fn unprocessable(message: String) -> ApiError {
    ApiError::new(ErrorCode::Unprocessable, message)
}

fn check_url(url: &str) -> Result<(), ApiError> {
    if url.len() > 2048 || !is_http_url(url) {
        return Err(unprocessable("url must be an http:// or https:// URL of at most 2048 bytes".into()));
    }
    Ok(())
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() {
        return Err(unprocessable(format!("events must name at least one of {}", EVENT_TYPES.join(", "))));
    }
    match events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        Some(bad) => Err(unprocessable(format!(
            "events: unknown event type {bad:?}; known: {}",
            EVENT_TYPES.join(", ")
        ))),
        None => Ok(()),
    }
}

fn check_secret(secret: &str) -> Result<(), ApiError> {
    let n = secret.chars().count();
    if !(MIN_SECRET_LEN..=256).contains(&n) || secret.contains('\0') {
        return Err(unprocessable(format!("secret must be {MIN_SECRET_LEN} to 256 characters, without NUL")));
    }
    Ok(())
}

fn check_names(field: &str, names: &[String]) -> Result<(), ApiError> {
    if names.len() > 1000 {
        return Err(unprocessable(format!("{field} may list at most 1000 entries")));
    }
    names.iter().try_for_each(|n| super::check_name(field, n, 128))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

async fn find(st: &AppState, id: &str) -> Result<WebhookRow, ApiError> {
    if !is_webhook_id(id) {
        return Err(ApiError::new(ErrorCode::NotFound, format!("webhook {id} not found")));
    }
    let key = id.to_string();
    Ok(st.store.run(move |c| WebhookRow::find(c, &key)).await?)
}

async fn view(st: &AppState, row: WebhookRow) -> Result<WebhookView, ApiError> {
    let position = row.position;
    let lag = st.store.run(move |c| count_after(c, position)).await?;
    Ok(WebhookView::new(row, lag))
}

/// Registers an endpoint; it receives the events committed from now on.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    request_body(content = CreateWebhook, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = WebhookView),
        (status = 422, description = "A url that is not http(s), an unknown event type, a secret under 16 characters, or a missing or unknown field (`unprocessable`; the message names the field)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn create_webhook(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    check_url(&b.url)?;
    check_events(&b.events)?;
    check_names("rooms", &b.rooms)?;
    check_names("tags", &b.tags)?;
    check_secret(&b.secret)?;
    let now = now_ms();
    let row = WebhookRow {
        id: new_webhook_id(),
        url: b.url,
        events: json_list(&b.events),
        rooms: json_list(&b.rooms),
        tags: json_list(&b.tags),
        secret: b.secret,
        state: STATE_ACTIVE.into(),
        failures: 0,
        last_status: None,
        last_error: None,
        last_attempt_at: None,
        position: 0,
        created_at: now,
        updated_at: now,
    };
    let row = st.store.run(move |c| row.create(c)).await?;
    st.webhooks.do_send(SyncEndpoints);
    audit::record(&st, &admin, "webhook.create", &row.id, json!({"url": row.url, "events": b.events})).await;
    Ok(HttpResponse::Created().json(WebhookView::new(row, 0)))
}

/// Every endpoint, by id.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, description = "Endpoints by id", body = WebhookList)),
)]
async fn list_webhooks(_: AdminAuth, st: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = st.store.run(WebhookRow::list).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(view(&st, row).await?);
    }
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

/// One endpoint: state, last status and error, lag.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint", body = WebhookView),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn get_webhook(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    Ok(HttpResponse::Ok().json(view(&st, row).await?))
}

/// Changes any of `url`, `events`, `rooms`, `tags`, `secret`, `state`; the endpoint's
/// next delivery uses them.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    request_body(content = PatchWebhook, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = WebhookView),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An invalid field, named in the message (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn patch_webhook(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<PatchWebhook>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let p = body.into_inner();
    p.url.as_deref().map(check_url).transpose()?;
    p.events.as_deref().map(check_events).transpose()?;
    p.rooms.as_deref().map(|r| check_names("rooms", r)).transpose()?;
    p.tags.as_deref().map(|t| check_names("tags", t)).transpose()?;
    p.secret.as_deref().map(check_secret).transpose()?;
    if let Some(state) = p.state.as_deref().filter(|s| ![STATE_ACTIVE, STATE_PAUSED].contains(s)) {
        return Err(unprocessable(format!("state must be active or paused, not {state:?}")));
    }
    let patch = WebhookPatch {
        url: p.url,
        events: p.events.as_deref().map(json_list),
        rooms: p.rooms.as_deref().map(json_list),
        tags: p.tags.as_deref().map(json_list),
        secret: p.secret,
        state: p.state,
        updated_at: now_ms(),
    };
    let detail = json!({"url": patch.url, "events": p.events, "state": patch.state, "secret_changed": patch.secret.is_some()});
    let row = st.store.run(move |c| WebhookRow::update(c, &row.id, &patch)).await?;
    audit::record(&st, &admin, "webhook.update", &row.id, detail).await;
    Ok(HttpResponse::Ok().json(view(&st, row).await?))
}

/// Deletes an endpoint and its delivery log; deliveries stop.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn delete_webhook(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let key = row.id.clone();
    st.store.run(move |c| WebhookRow::delete(c, &key)).await?;
    st.webhooks.do_send(SyncEndpoints);
    audit::record(&st, &admin, "webhook.delete", &row.id, json!({"url": row.url})).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes a paused endpoint active again, with no failures counted; delivery continues
/// from the stored position.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/resume",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active again", body = WebhookView),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn resume_webhook(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let now = now_ms();
    let row = st.store.run(move |c| WebhookRow::resume(c, &row.id, now)).await?;
    st.webhooks.do_send(SyncEndpoints);
    audit::record(&st, &admin, "webhook.resume", &row.id, json!({"position": row.position})).await;
    Ok(HttpResponse::Ok().json(view(&st, row).await?))
}

/// The outcome of a test delivery.
#[derive(Serialize, ToSchema)]
pub struct TestOutcome {
    /// The receiver answered 2xx.
    pub ok: bool,
    #[schema(required = true)]
    pub status: Option<u16>,
    #[schema(required = true)]
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// Sends one signed `test` event to the endpoint now (paused or not) and answers how
/// it went; the attempt is recorded with the deliveries. Position and failures do not
/// change.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The delivery was tried (see `ok`)", body = TestOutcome),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn test_webhook(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let now = now_ms();
    let event = EventRow {
        id: 0,
        kind: "test".into(),
        room_id: None,
        seq: None,
        payload: json!({"message": "a test delivery from roomd"}).to_string(),
        at: now,
        pos: None,
    };
    let timeout = std::time::Duration::from_millis(st.cfg.webhooks.timeout_ms.max(1));
    let outcome = post(&row, body(&row.id, std::slice::from_ref(&event)), timeout).await;
    let delivery = NewDelivery {
        webhook_id: row.id.clone(),
        at: now,
        test: true,
        events: 1,
        status: outcome.status.map(i64::from),
        error: outcome.error.clone(),
        latency_ms: outcome.latency.as_millis() as i64,
    };
    let keep = i64::from(st.cfg.webhooks.deliveries_kept);
    st.store.run(move |c| record_delivery(c, &delivery, keep)).await?;
    Ok(HttpResponse::Ok().json(TestOutcome {
        ok: outcome.ok(),
        status: outcome.status,
        error: outcome.error,
        latency_ms: outcome.latency.as_millis() as u64,
    }))
}

/// The endpoint's recent delivery attempts (the newest `webhooks.deliveries_kept`),
/// newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id", example = "wh_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recent attempts, newest first", body = DeliveryList),
        (status = 404, description = "No such webhook (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_deliveries(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find(&st, &id).await?;
    let rows = st.store.run(move |c| deliveries(c, &row.id, DELIVERIES_SHOWN)).await?;
    Ok(HttpResponse::Ok().json(DeliveryList { items: rows.into_iter().map(DeliveryView::from).collect() }))
}
