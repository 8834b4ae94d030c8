//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers within
//! 500 ms and its last write did not fail for lack of disk space, the room supervisor
//! is up and, in cluster mode, NATS is connected). No auth.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::actors::registry::CountRooms;

/// How long `/readyz` waits for the store's ping.
const STORE_PING_TIMEOUT: Duration = Duration::from_millis(500);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "get_health",
    tag = "health",
    responses((status = 200, description = "The process answers", body = crate::http::openapi::Health)),
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "get_readiness",
    tag = "health",
    responses(
        (status = 200, description = "The store answers and the supervisor is up", body = crate::http::openapi::Readiness),
        (status = 503, description = "The store does not answer within 500 ms or its disk is full (`store_writes: false`), the supervisor is down, or (cluster mode) the node has not connected to NATS yet", body = crate::http::openapi::Readiness),
    ),
)]
async fn readyz(st: web::Data<AppState>) -> HttpResponse {
    // A database that does not answer in time is down: no waiting for the pool's
    // connect timeout (`database.connect_timeout_ms`).
    let store = tokio::time::timeout(STORE_PING_TIMEOUT, st.store.ping()).await.unwrap_or(false);
    let store_writes = !st.store.writes_failing();
    let supervisor = st.registry.send(CountRooms).await.is_ok();
    // Cluster mode: a node that has not yet connected to NATS would refuse every room
    // owned elsewhere, so it is not ready. A later NATS outage hits every node alike:
    // the node stays ready (its own rooms still work) and reports `nats: false`.
    let nats = st.cluster.as_ref().map(|c| c.is_connected());
    let starting = st.cluster.as_ref().is_some_and(|c| !c.has_connected());
    let ready = store && store_writes && supervisor && !starting;
    let mut body = json!({"status": if ready {"ready"} else {"unavailable"},
                          "store": store, "store_writes": store_writes, "supervisor": supervisor});
    if let Some(nats) = nats {
        body["nats"] = json!(nats);
    }
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
