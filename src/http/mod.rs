//! The HTTP side: shared state, JSON error plumbing, and `configure`, which mounts
//! every resource (health, WebSocket upgrade, admin API).

pub mod api;
pub mod audit;
pub mod auth;
pub mod console;
pub mod handover;
pub mod health;
pub mod input_guard;
pub mod json_body;
pub mod listen;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod rate_limit;
pub mod request_id;
pub mod request_log;
pub mod session_quota;
pub mod upgrade_limit;
pub mod ws;

use std::sync::Arc;

use actix_web::{error::JsonPayloadError, web, HttpRequest, HttpResponse};

use crate::actors::broadcast::{BroadcastQueue, ProgressHub};
use crate::actors::mailbox::TrackedAddr;
use crate::actors::registry::RoomRegistry;
use crate::actors::scheduler::{Scheduler, SharedClock, TestClock};
use crate::actors::sessions::SessionDirectory;
use crate::actors::store_writers::StoreWriters;
use crate::actors::ws_session::SessionDeps;
use crate::auth::Authenticator;
use crate::config::Settings;
use crate::error::{ApiError, ErrorCode};
use crate::http::rate_limit::AdminLimiter;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Settings>,
    pub store: Store,
    pub auth: Authenticator,
    pub registry: TrackedAddr<RoomRegistry>,
    pub writers: StoreWriters,
    /// Runs the webhook endpoints; told when one is created, resumed or deleted.
    pub webhooks: TrackedAddr<crate::webhooks::hub::WebhookHub>,
    pub sessions: Arc<SessionDirectory>,
    /// Per-admin-token request budget, checked by `AdminAuth`.
    pub admin_limiter: Arc<AdminLimiter>,
    /// WebSocket upgrade attempts per client IP, checked by `GET /ws`.
    pub upgrade_limiter: Arc<upgrade_limit::UpgradeLimiter>,
    /// Open sessions per token and per IP, and the connection ceiling, checked by `GET /ws`.
    pub session_quota: Arc<session_quota::SessionQuota>,
    /// Handed to every WebSocket session.
    pub session_deps: Arc<SessionDeps>,
    pub log: slog::Logger,
    /// Starts, cancels and paces broadcast jobs.
    pub broadcasts: TrackedAddr<BroadcastQueue>,
    /// Live progress of running jobs, for their SSE streams.
    pub progress: Arc<ProgressHub>,
    /// Wakes the operators' room event streams.
    pub feed: Arc<crate::actors::room_feed::RoomFeedHub>,
    pub scheduler: TrackedAddr<Scheduler>,
    /// The scheduler's clock (schedules' next due times are computed from it).
    pub clock: SharedClock,
    /// Set only with `debug.fault_injection`: the clock tests can move.
    pub test_clock: Option<Arc<TestClock>>,
    /// Cluster mode: this node's NATS side.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// The last minutes of counters, kept by the stats sampler (`GET /api/v1/overview`).
    pub history: Arc<crate::actors::stats_sampler::History>,
    /// Becomes `true` when the server starts shutting down: long-lived responses (the
    /// event streams) end then, instead of holding the shutdown to its timeout.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    let max_body = state.cfg.server.max_body_bytes;
    cfg.app_data(web::Data::new(state.clone()))
        .app_data(web::JsonConfig::default().limit(max_body).error_handler(json_error))
        .app_data(web::PathConfig::default().error_handler(|e, _| bad_request(e.to_string())))
        .app_data(web::QueryConfig::default().error_handler(|e, _| bad_request(e.to_string())))
        .configure(health::configure)
        .configure(metrics::configure)
        .configure(ws::configure)
        .configure(openapi::configure)
        .configure(console::configure)
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(input_guard::reject_nul))
                .configure(api::configure)
                .default_service(web::to(not_found)),
        )
        .default_service(web::to(not_found));
}

/// actix answers an unsupported method on a known route with an empty 405; make it
/// a JSON error like every other (wrap with `ErrorHandlers`).
pub fn json_method_not_allowed<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::ResponseError;
    let (req, _) = res.into_parts();
    let msg = format!("{} is not allowed on {}", req.method(), req.path());
    let resp = ApiError::new(ErrorCode::MethodNotAllowed, msg).error_response();
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, resp).map_into_right_body(),
    ))
}

fn json_error(e: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let err = match &e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(ErrorCode::TooLarge, "request body too large")
        }
        JsonPayloadError::ContentType => {
            ApiError::new(ErrorCode::BadRequest, "Content-Type must be application/json")
        }
        JsonPayloadError::Deserialize(d) if d.is_data() => {
            ApiError::new(ErrorCode::Unprocessable, d.to_string())
        }
        other => ApiError::new(ErrorCode::BadRequest, other.to_string()),
    };
    err.into()
}

fn bad_request(msg: String) -> actix_web::Error {
    ApiError::new(ErrorCode::BadRequest, msg).into()
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::NotFound, format!("no route for {} {}", req.method(), req.path())))
}
