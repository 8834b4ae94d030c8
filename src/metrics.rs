//! The process's Prometheus registry and the fixed families of docs/METRICS.md, plus HTTP
//! request figures and the process collector (RSS, CPU, open fds). Labels are actor
//! kinds, statuses, reasons and routes — never a room or session id, so the number of
//! series does not grow with the number of rooms.
//!
//! Counters and histograms are fed where things happen; the gauges that describe the
//! actor population (connections, rooms by status, mailbox depths) are computed from
//! the actor directory when scraped ([`Metrics::render`]), and so are the handled
//! message counts (`handled`).
//!
//! Every family is in the exposition from start-up, with every label value known in
//! advance at 0 (actor kinds, error codes, spam reasons, results, forwarded kinds), so
//! a dashboard shows 0 rather than "no data" (`declare_known_series`).

mod handled;

use std::collections::HashMap;
use std::sync::LazyLock;

use prometheus::{
    exponential_buckets, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::actors::mailbox::{directory, ActorKind, ActorStatus};
use crate::actors::room::Refusal;
use crate::cluster::wire::CallBody;
use crate::error::ErrorCode;
use crate::websocket::outbox::Ending;

/// Bounds (seconds) of the duration histograms: 1 µs doubling to ~16.8 s.
pub static DURATION_BUCKETS: LazyLock<Vec<f64>> =
    LazyLock::new(|| exponential_buckets(1e-6, 2.0, 25).unwrap_or_default());

/// The families.
pub struct Metrics {
    registry: Registry,
    ws_connections: IntGauge,
    rooms: IntGaugeVec,
    pub messages: IntCounter,
    pub deliveries: IntCounter,
    pub rejected: IntCounterVec,
    mailbox_depth: IntGaugeVec,
    mailbox_depth_max: IntGaugeVec,
    pub mailbox_wait: HistogramVec,
    pub handler: HistogramVec,
    pub restarts: IntCounterVec,
    pub store_commit: Histogram,
    pub store_batch_rows: Histogram,
    pub broadcast_rooms: IntCounterVec,
    pub schedule_fires: IntCounter,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub cluster_forwarded: IntCounterVec,
    pub cluster_nodes: IntGauge,
    ws_closed: IntCounterVec,
}

/// The route of `GET /metrics` (its `route` label).
pub const METRICS_ROUTE: &str = "/metrics";

/// The process-wide families.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let durations = || DURATION_BUCKETS.clone();
        let m = Self {
            ws_connections: IntGauge::new("roomd_ws_connections", "Open WebSocket sessions.").expect("valid"),
            rooms: IntGaugeVec::new(Opts::new("roomd_rooms", "Room actors by status."), &["status"])
                .expect("valid"),
            messages: IntCounter::new("roomd_messages_total", "Messages committed to the store.")
                .expect("valid"),
            deliveries: IntCounter::new(
                "roomd_deliveries_total",
                "Message frames handed to sessions for delivery.",
            )
            .expect("valid"),
            rejected: IntCounterVec::new(
                Opts::new("roomd_rejected_total", "Client frames answered with an error, by error code."),
                &["reason"],
            )
            .expect("valid"),
            mailbox_depth: IntGaugeVec::new(
                Opts::new("roomd_mailbox_depth", "Messages waiting in mailboxes, summed by actor kind."),
                &["actor"],
            )
            .expect("valid"),
            mailbox_depth_max: IntGaugeVec::new(
                Opts::new(
                    "roomd_mailbox_depth_max",
                    "Deepest mailbox seen by any live actor of the kind since it started.",
                ),
                &["actor"],
            )
            .expect("valid"),
            mailbox_wait: HistogramVec::new(
                HistogramOpts::new("roomd_mailbox_wait_seconds", "Time from enqueue to handler start.")
                    .buckets(durations()),
                &["actor"],
            )
            .expect("valid"),
            handler: HistogramVec::new(
                HistogramOpts::new("roomd_handler_seconds", "Time spent in message handlers.")
                    .buckets(durations()),
                &["actor"],
            )
            .expect("valid"),
            restarts: IntCounterVec::new(
                Opts::new("roomd_actor_restarts_total", "Actor restarts (crash or operator), by kind."),
                &["actor"],
            )
            .expect("valid"),
            store_commit: Histogram::with_opts(
                HistogramOpts::new("roomd_store_commit_seconds", "Duration of one group-commit transaction.")
                    .buckets(durations()),
            )
            .expect("valid"),
            store_batch_rows: Histogram::with_opts(
                HistogramOpts::new("roomd_store_batch_rows", "Rows written by one group commit.")
                    .buckets(exponential_buckets(1.0, 2.0, 14).unwrap_or_default()),
            )
            .expect("valid"),
            broadcast_rooms: IntCounterVec::new(
                Opts::new("roomd_broadcast_rooms_total", "Broadcast deliveries to rooms, by result."),
                &["result"],
            )
            .expect("valid"),
            schedule_fires: IntCounter::new("roomd_schedule_fires_total", "Scheduled announcements fired.")
                .expect("valid"),
            http_requests: IntCounterVec::new(
                Opts::new("roomd_http_requests_total", "HTTP requests by route, method and status."),
                &["route", "method", "status"],
            )
            .expect("valid"),
            http_seconds: HistogramVec::new(
                HistogramOpts::new("roomd_http_request_seconds", "HTTP request duration by route.")
                    .buckets(durations()),
                &["route"],
            )
            .expect("valid"),
            cluster_forwarded: IntCounterVec::new(
                Opts::new(
                    "roomd_cluster_forwarded_total",
                    "Calls this node forwarded to a room's owner on another node, by kind.",
                ),
                &["kind"],
            )
            .expect("valid"),
            cluster_nodes: IntGauge::new(
                "roomd_cluster_nodes",
                "Live cluster nodes this node sees (0 off cluster).",
            )
            .expect("valid"),
            ws_closed: IntCounterVec::new(
                Opts::new(
                    "roomd_ws_closed_total",
                    "WebSocket connections ended, by how: closed (orderly), unread (the client did not take \
                     its last frames in time), slow_consumer (over limits.max_outbound_bytes), peer_gone.",
                ),
                &["reason"],
            )
            .expect("valid"),
            registry,
        };
        m.register_all();
        m
    }

    fn register_all(&self) {
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(self.ws_connections.clone()),
            Box::new(self.rooms.clone()),
            Box::new(self.messages.clone()),
            Box::new(self.deliveries.clone()),
            Box::new(self.rejected.clone()),
            Box::new(self.mailbox_depth.clone()),
            Box::new(self.mailbox_depth_max.clone()),
            Box::new(self.mailbox_wait.clone()),
            Box::new(self.handler.clone()),
            Box::new(self.restarts.clone()),
            Box::new(self.store_commit.clone()),
            Box::new(self.store_batch_rows.clone()),
            Box::new(self.broadcast_rooms.clone()),
            Box::new(self.schedule_fires.clone()),
            Box::new(self.http_requests.clone()),
            Box::new(self.http_seconds.clone()),
            Box::new(self.cluster_forwarded.clone()),
            Box::new(self.cluster_nodes.clone()),
            Box::new(self.ws_closed.clone()),
            Box::new(handled::HandledCollector::new()),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        ];
        for c in collectors {
            // Distinct names by construction; registering twice is a bug.
            self.registry.register(c).expect("metric families are registered once");
        }
        self.declare_known_series();
    }

    /// Makes every series whose labels are known in advance, at 0: a family with a
    /// label has no series (and is left out of the exposition) until one is made.
    fn declare_known_series(&self) {
        for kind in ActorKind::ALL {
            let k = [kind.as_str()];
            self.restarts.with_label_values(&k);
            self.mailbox_depth.with_label_values(&k);
            self.mailbox_depth_max.with_label_values(&k);
            self.mailbox_wait.with_label_values(&k);
            self.handler.with_label_values(&k);
        }
        for status in ActorStatus::ALL {
            self.rooms.with_label_values(&[status.as_str()]);
        }
        let codes = ErrorCode::ALL.map(ErrorCode::as_str);
        for reason in codes.iter().chain(&Refusal::REASONS) {
            self.rejected.with_label_values(&[reason]);
        }
        for result in ["delivered", "failed"] {
            self.broadcast_rooms.with_label_values(&[result]);
        }
        for kind in CallBody::KINDS {
            self.cluster_forwarded.with_label_values(&[kind]);
        }
        // Routes, methods and statuses are not known in advance; the scrape's own
        // series is, and it keeps both HTTP families in the first exposition.
        self.http_requests.with_label_values(&[METRICS_ROUTE, "GET", "200"]);
        self.http_seconds.with_label_values(&[METRICS_ROUTE]);
        for ending in Ending::ALL {
            self.ws_closed.with_label_values(&[ending.as_str()]);
        }
    }

    /// Counts a WebSocket connection that ended.
    pub fn ws_closed(&self, ending: Ending) {
        self.ws_closed.with_label_values(&[ending.as_str()]).inc();
    }

    /// Counts a client frame answered with error `code`.
    pub fn reject(&self, code: &str) {
        self.rejected.with_label_values(&[code]).inc();
    }

    /// The text exposition, with the population gauges refreshed from the directory.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        self.refresh_gauges();
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    fn refresh_gauges(&self) {
        let mut depth: HashMap<ActorKind, (i64, i64)> = HashMap::new();
        let mut rooms: HashMap<ActorStatus, i64> = HashMap::new();
        let mut sessions = 0;
        for a in directory().all() {
            let d = depth.entry(a.kind).or_default();
            d.0 += a.depth() as i64;
            d.1 = d.1.max(a.max_depth() as i64);
            match a.kind {
                ActorKind::Room => *rooms.entry(a.status()).or_default() += 1,
                ActorKind::Session => sessions += 1,
                _ => {}
            }
        }
        for kind in ActorKind::ALL {
            let (sum, max) = depth.get(&kind).copied().unwrap_or_default();
            self.mailbox_depth.with_label_values(&[kind.as_str()]).set(sum);
            self.mailbox_depth_max.with_label_values(&[kind.as_str()]).set(max);
        }
        for status in ActorStatus::ALL {
            self.rooms.with_label_values(&[status.as_str()]).set(rooms.get(&status).copied().unwrap_or(0));
        }
        self.ws_connections.set(sessions);
    }
}
