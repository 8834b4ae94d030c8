//! What the admin API adds in cluster mode: each room's owner node, live figures of
//! rooms owned by other nodes (asked of the owner directly, no local room actor), and
//! `GET /api/v1/nodes`.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use futures_util::future::join_all;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actors::registry::StatsFor;
use crate::actors::room::{lease_name, RoomStats};
use crate::cluster::wire::{CallBody, CallReply, RoomCall};
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::http::auth::AdminAuth;
use crate::http::AppState;
use crate::model::rfc3339;
use crate::model::RoomId;
use crate::store::cluster::{self as leases, NodeRow};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/nodes").get(list_nodes));
}

/// The owner node of each of `ids` (absent: no node has claimed the room yet, or
/// cluster mode is off).
pub async fn owners(st: &AppState, ids: &[String]) -> Result<HashMap<String, String>, ApiError> {
    if st.cluster.is_none() || ids.is_empty() {
        return Ok(HashMap::new());
    }
    let names: Vec<String> = ids.iter().map(|id| lease_name(id)).collect();
    let held = st.store.run(move |c| leases::holders(c, &names)).await?;
    Ok(held.into_iter().map(|(name, node)| (name.trim_start_matches("room:").to_string(), node)).collect())
}

/// Live figures of `ids`: from this node's room actors, and (cluster mode) from the
/// owner node of each room owned elsewhere.
pub async fn live_stats(
    st: &AppState,
    ids: Vec<RoomId>,
    owners: &HashMap<String, String>,
) -> HashMap<RoomId, RoomStats> {
    let Some(cluster) = &st.cluster else {
        return st.registry.send(StatsFor(ids)).await.unwrap_or_default();
    };
    let me = cluster.me.node.as_str();
    let (local, remote): (Vec<RoomId>, Vec<RoomId>) =
        ids.into_iter().partition(|id| owners.get(id.as_str()).is_none_or(|o| o == me));
    let mut stats = st.registry.send(StatsFor(local)).await.unwrap_or_default();
    let asks = remote.into_iter().filter_map(|id| {
        let owner = owners.get(id.as_str())?.clone();
        let call =
            RoomCall { room: id.to_string(), from: cluster.me.clone(), session: 0, body: CallBody::Stats };
        Some(async move { (id, cluster.call(&owner, call).await) })
    });
    for (id, answer) in join_all(asks).await {
        if let Ok(CallReply::Stats(s)) = answer {
            stats.insert(id, s);
        }
    }
    stats
}

#[derive(ToSchema)]
/// A node of the cluster.
#[derive(Debug, Serialize)]
pub struct NodeView {
    pub id: String,
    /// Its HTTP/WebSocket address (`cluster.advertise`, else the bound address).
    pub address: String,
    /// Rooms whose lease it holds.
    pub rooms_owned: i64,
    /// Open WebSocket connections at its last heartbeat.
    pub connections: i64,
    #[schema(format = DateTime)]
    pub last_heartbeat: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    /// Its heartbeat is within `cluster.lease_ms`; a dead node's leases can be taken.
    pub alive: bool,
}

#[derive(ToSchema)]
/// Every node that has joined the cluster.
#[derive(Debug, Serialize)]
pub struct NodeList {
    pub items: Vec<NodeView>,
}

impl NodeView {
    fn new(n: NodeRow) -> Self {
        Self {
            id: n.node_id,
            address: n.address,
            rooms_owned: n.rooms_owned,
            connections: n.connections,
            last_heartbeat: rfc3339(n.heartbeat_at),
            started_at: rfc3339(n.started_at),
            alive: n.alive,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/nodes",
    operation_id = "list_cluster_nodes",
    tag = "cluster",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every node that has joined the cluster, by id", body = NodeList),
        (status = 404, description = "Cluster mode is off (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn list_nodes(_: AdminAuth, st: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match nodes(&st).await? {
        Some(items) => Ok(HttpResponse::Ok().json(NodeList { items })),
        None => Err(ApiError::new(ErrorCode::NotFound, "cluster mode is off (cluster.enabled = false)")),
    }
}

/// Every node that has joined the cluster, by id; `None` when cluster mode is off.
pub async fn nodes(st: &AppState) -> Result<Option<Vec<NodeView>>, ApiError> {
    let Some(cluster) = &st.cluster else { return Ok(None) };
    let lease_ms = cluster.cfg.lease_ms as i64;
    let rows = st.store.run(move |c| leases::nodes(c, lease_ms)).await?;
    Ok(Some(rows.into_iter().map(NodeView::new).collect()))
}
