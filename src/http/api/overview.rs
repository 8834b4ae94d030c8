//! `GET /api/v1/overview`: one answer with what a console polls for — this node's
//! version, start time, connections, rooms by status, message and delivery totals, the
//! store-commit latency of the last minute, restarts in the last hour, the last five
//! minutes second by second, the busiest actors and (cluster mode) the nodes. Totals
//! are read live; the history comes from the stats sampler (`actors::stats_sampler`).
//! No actor is asked anything, so a stuck actor cannot stall the answer.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::actors::mailbox::{directory, ActorKind, ActorStatus};
use crate::actors::stats_sampler::{read_counters, Sample};
use crate::error::ApiError;
use crate::http::api::actors::{busiest, Node, SortKey};
use crate::http::api::cluster_view::{nodes, NodeView};
use crate::http::auth::AdminAuth;
use crate::http::AppState;
use crate::model::rfc3339;
use crate::store::rooms::RoomRow;

/// Actors listed in each of `busiest`'s lists.
const BUSIEST: usize = 10;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/overview", web::get().to(overview));
}

/// This node at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The server's version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// This node's id in cluster mode; null otherwise.
    #[schema(required = true, example = "n1")]
    pub node: Option<String>,
    /// When the process started.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// Open WebSocket sessions on this node.
    pub connections: u64,
    pub rooms: OverviewRooms,
    /// Messages committed to the store since start-up (`roomd_messages_total`).
    pub messages_total: u64,
    /// Message frames handed to sessions since start-up (`roomd_deliveries_total`).
    pub deliveries_total: u64,
    /// Median and 99th percentile of the store's commit time over the last 60 s; null
    /// when nothing was committed in that time.
    #[schema(required = true)]
    pub store_commit_ms: Option<CommitLatency>,
    /// Actor restarts of every kind (crash or operator) on this node in the last hour.
    pub restarts_last_hour: u64,
    /// One sample per second, oldest first: the last 300 s (fewer after start-up).
    pub series: Vec<OverviewSample>,
    pub busiest: BusiestActors,
    /// Cluster mode: every node that has joined (as `GET /api/v1/nodes`); null otherwise.
    #[schema(required = true)]
    pub nodes: Option<Vec<NodeView>>,
}

/// Rooms: how many are stored, and how many of them this node runs, by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewRooms {
    /// Rooms in the store.
    pub stored: u64,
    /// Room actors of this node running.
    pub running: u64,
    /// …restarting after a crash.
    pub restarting: u64,
    /// …quarantined after too many crashes.
    pub quarantined: u64,
    /// `stored` minus the three above (never negative): rooms no actor of this node runs.
    pub stopped: u64,
}

/// Store commit time in milliseconds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StoreCommitLatency)]
pub struct CommitLatency {
    pub p50: f64,
    pub p99: f64,
}

/// One second of `series`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewSample {
    /// The end of the second.
    #[schema(format = DateTime)]
    pub at: String,
    /// Messages committed per second.
    pub messages_per_s: f64,
    /// Message frames handed to sessions per second.
    pub deliveries_per_s: f64,
    /// Open WebSocket sessions at `at`.
    pub connections: u64,
}

/// The busiest actors of this node, as `GET /api/v1/actors?top=10&sort=depth|wait`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusiestActors {
    pub by_depth: Vec<Node>,
    pub by_wait: Vec<Node>,
}

impl OverviewSample {
    fn new(s: Sample) -> Self {
        Self {
            at: rfc3339(s.at_ms),
            messages_per_s: s.messages_per_s,
            deliveries_per_s: s.deliveries_per_s,
            connections: s.connections,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/overview",
    operation_id = "get_overview",
    tag = "overview",
    security(("bearer" = [])),
    responses((status = 200, description = "This node at a glance", body = Overview)),
)]
async fn overview(_: AdminAuth, st: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let stored = st.store.run(RoomRow::count).await?;
    let nodes = nodes(&st).await?;
    let now = read_counters();
    let history = &st.history;
    let rooms = directory().by_kind()[ActorKind::Room.index()].by_status;
    let live = |s: ActorStatus| rooms[s.index()];
    let (running, restarting, quarantined) =
        (live(ActorStatus::Running), live(ActorStatus::Restarting), live(ActorStatus::Quarantined));
    let stored = u64::try_from(stored).unwrap_or(0);
    let ms = |secs: f64| (secs * 1e6).round() / 1e3;
    let body = Overview {
        version: env!("CARGO_PKG_VERSION"),
        node: st.cluster.as_ref().map(|c| c.me.node.clone()),
        started_at: rfc3339(history.started_at_ms()),
        connections: now.connections,
        rooms: OverviewRooms {
            stored,
            running,
            restarting,
            quarantined,
            stopped: stored.saturating_sub(running + restarting + quarantined),
        },
        messages_total: now.messages,
        deliveries_total: now.deliveries,
        store_commit_ms: history
            .commits_in_window(&now.commits)
            .p50_p99()
            .map(|(p50, p99)| CommitLatency { p50: ms(p50), p99: ms(p99) }),
        restarts_last_hour: history.restarts_last_hour(now.at_ms, now.restarts),
        series: history.series().into_iter().map(OverviewSample::new).collect(),
        busiest: BusiestActors {
            by_depth: busiest(SortKey::Depth, BUSIEST),
            by_wait: busiest(SortKey::Wait, BUSIEST),
        },
        nodes,
    };
    Ok(HttpResponse::Ok().json(body))
}
