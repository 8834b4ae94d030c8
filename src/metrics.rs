//! The process's Prometheus registry: the counters and histograms of docs/METRICS.md
//! that are fed where things happen (messages, deliveries, rejections, store commits,
//! broadcasts, HTTP requests, cluster calls), the process collector (RSS, CPU, open
//! fds), and the collectors other modules own, added at start-up
//! ([`Metrics::register`]): the actor families (connections, rooms by status,
//! mailboxes, handled messages, restarts) are read from the actor directory when
//! scraped (src/actors/mailbox/collector.rs). This module imports nothing from the
//! actors.
//! Labels are actor kinds, statuses, reasons and routes — never a room or session id,
//! so the number of series does not grow with the number of rooms. `roomd_build_info`
//! is the constant 1 labelled with the crate version, for version panels and joins.
//!
//! Every family is in the exposition from start-up, with every label value known in
//! advance at 0 (error codes, results, connection endings here; spam reasons and
//! forwarded kinds as their modules declare them at start-up), so a dashboard shows 0
//! rather than "no data" (`declare_known_series`).

use std::sync::LazyLock;

use prometheus::core::{Collector, Metric};
use prometheus::{
    exponential_buckets, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::error::ErrorCode;
use crate::websocket::outbox::Ending;

/// Bounds (seconds) of the duration histograms: 1 µs doubling to ~16.8 s.
pub static DURATION_BUCKETS: LazyLock<Vec<f64>> =
    LazyLock::new(|| exponential_buckets(1e-6, 2.0, 25).unwrap_or_default());

/// The families.
pub struct Metrics {
    registry: Registry,
    pub messages: IntCounter,
    pub deliveries: IntCounter,
    pub rejected: IntCounterVec,
    pub store_commit: Histogram,
    pub store_batch_rows: Histogram,
    pub sqlite_wal_bytes: IntGauge,
    pub sqlite_wal_restarts: IntCounter,
    pub broadcast_rooms: IntCounterVec,
    pub schedule_fires: IntCounter,
    pub retention_deleted: IntCounter,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub cluster_forwarded: IntCounterVec,
    pub cluster_nodes: IntGauge,
    pub webhook_events: IntCounterVec,
    pub webhook_failures: IntCounterVec,
    pub webhook_lag: IntGaugeVec,
    pub webhook_seconds: HistogramVec,
    pub publish_hook_seconds: HistogramVec,
    ws_closed: IntCounterVec,
    build_info: IntGaugeVec,
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
            sqlite_wal_bytes: IntGauge::new(
                "roomd_sqlite_wal_bytes",
                "Size of SQLite's write-ahead log file, read every 100 ms (0 on PostgreSQL).",
            )
            .expect("valid"),
            sqlite_wal_restarts: IntCounter::new(
                "roomd_sqlite_wal_restarts_total",
                "RESTART checkpoints the store writer ran because the write-ahead log passed \
                 database.sqlite_wal_max_mb.",
            )
            .expect("valid"),
            broadcast_rooms: IntCounterVec::new(
                Opts::new("roomd_broadcast_rooms_total", "Broadcast deliveries to rooms, by result."),
                &["result"],
            )
            .expect("valid"),
            schedule_fires: IntCounter::new("roomd_schedule_fires_total", "Scheduled announcements fired.")
                .expect("valid"),
            retention_deleted: IntCounter::new(
                "roomd_retention_deleted_total",
                "Messages deleted by retention (older than their room's retention_days).",
            )
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
            webhook_events: IntCounterVec::new(
                Opts::new(
                    "roomd_webhook_events_total",
                    "Events delivered to a webhook endpoint (2xx answer).",
                ),
                &["webhook"],
            )
            .expect("valid"),
            webhook_failures: IntCounterVec::new(
                Opts::new("roomd_webhook_failures_total", "Failed delivery attempts to a webhook endpoint."),
                &["webhook"],
            )
            .expect("valid"),
            webhook_lag: IntGaugeVec::new(
                Opts::new(
                    "roomd_webhook_lag_events",
                    "Events committed that a webhook endpoint has not had yet.",
                ),
                &["webhook"],
            )
            .expect("valid"),
            webhook_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "roomd_webhook_delivery_seconds",
                    "Duration of one delivery (HTTP POST) to a webhook endpoint.",
                )
                .buckets(durations()),
                &["webhook"],
            )
            .expect("valid"),
            publish_hook_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "roomd_publish_hook_seconds",
                    "Duration of one publish hook call, by outcome.",
                )
                .buckets(durations()),
                &["outcome"],
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
            build_info: IntGaugeVec::new(
                Opts::new("roomd_build_info", "Always 1; the version label is the running roomd's version."),
                &["version"],
            )
            .expect("valid"),
            registry,
        };
        m.register_all();
        m
    }

    fn register_all(&self) {
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(self.messages.clone()),
            Box::new(self.deliveries.clone()),
            Box::new(self.rejected.clone()),
            Box::new(self.store_commit.clone()),
            Box::new(self.store_batch_rows.clone()),
            Box::new(self.sqlite_wal_bytes.clone()),
            Box::new(self.sqlite_wal_restarts.clone()),
            Box::new(self.broadcast_rooms.clone()),
            Box::new(self.schedule_fires.clone()),
            Box::new(self.retention_deleted.clone()),
            Box::new(self.http_requests.clone()),
            Box::new(self.http_seconds.clone()),
            Box::new(self.cluster_forwarded.clone()),
            Box::new(self.cluster_nodes.clone()),
            Box::new(self.webhook_events.clone()),
            Box::new(self.webhook_failures.clone()),
            Box::new(self.webhook_lag.clone()),
            Box::new(self.webhook_seconds.clone()),
            Box::new(self.publish_hook_seconds.clone()),
            Box::new(self.ws_closed.clone()),
            Box::new(self.build_info.clone()),
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
        for code in ErrorCode::ALL {
            self.rejected.with_label_values(&[code.as_str()]);
        }
        for result in ["delivered", "failed"] {
            self.broadcast_rooms.with_label_values(&[result]);
        }
        for outcome in crate::hooks::OUTCOMES {
            self.publish_hook_seconds.with_label_values(&[outcome]);
        }
        // Routes, methods and statuses are not known in advance; the scrape's own
        // series is, and it keeps both HTTP families in the first exposition.
        self.http_requests.with_label_values(&[METRICS_ROUTE, "GET", "200"]);
        self.http_seconds.with_label_values(&[METRICS_ROUTE]);
        for ending in Ending::ALL {
            self.ws_closed.with_label_values(&[ending.as_str()]);
        }
        self.build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
    }

    /// Adds a collector another module owns (the actor directory's): called once at
    /// start-up, before the first scrape.
    pub fn register(&self, collector: Box<dyn Collector>) -> Result<(), prometheus::Error> {
        self.registry.register(collector)
    }

    /// Makes the series of `roomd_rejected_total` for rejection reasons that are not
    /// error codes (the room's spam refusals), at 0.
    pub fn declare_rejections(&self, reasons: &[&str]) {
        for reason in reasons {
            self.rejected.with_label_values(&[reason]);
        }
    }

    /// Makes the series of `roomd_cluster_forwarded_total` for each kind of call the
    /// cluster forwards, at 0.
    pub fn declare_forwarded(&self, kinds: &[&str]) {
        for kind in kinds {
            self.cluster_forwarded.with_label_values(&[kind]);
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

    /// The text exposition.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// A histogram's figures at one moment: the cumulative count at each upper bound (as
/// Prometheus keeps them, without `+Inf`) and the number of observations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistogramCounts {
    pub buckets: Vec<(f64, u64)>,
    pub total: u64,
}

impl HistogramCounts {
    /// `h` now.
    pub fn of(h: &Histogram) -> Self {
        let m = h.metric();
        let hist = m.get_histogram();
        let buckets = hist.get_bucket().iter().map(|b| (b.upper_bound(), b.cumulative_count())).collect();
        Self { buckets, total: hist.get_sample_count() }
    }

    /// What was observed after `earlier` (the same histogram read before; an empty
    /// `earlier` counts as nothing observed).
    pub fn since(&self, earlier: &Self) -> Self {
        let before = |i: usize| earlier.buckets.get(i).map_or(0, |b| b.1);
        let buckets = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, &(upper, n))| (upper, n.saturating_sub(before(i))))
            .collect();
        Self { buckets, total: self.total.saturating_sub(earlier.total) }
    }

    /// (p50, p99) in the histogram's unit, interpolated inside the bucket as
    /// Prometheus' `histogram_quantile` does; `None` without observations.
    pub fn p50_p99(&self) -> Option<(f64, f64)> {
        if self.total == 0 {
            return None;
        }
        let q = |q: f64| {
            let rank = q * self.total as f64;
            let (mut lower, mut below) = (0.0, 0u64);
            for &(upper, cumulative) in &self.buckets {
                if cumulative as f64 >= rank {
                    let in_bucket = cumulative.saturating_sub(below) as f64;
                    let frac = if in_bucket > 0.0 { (rank - below as f64) / in_bucket } else { 1.0 };
                    return lower + (upper - lower) * frac;
                }
                (lower, below) = (upper, cumulative);
            }
            lower // beyond the last bucket: its bound is the best estimate
        };
        Some((q(0.5), q(0.99)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_what_was_observed_since_an_earlier_reading() {
        let h = Histogram::with_opts(HistogramOpts::new("t", "t").buckets(DURATION_BUCKETS.clone())).unwrap();
        for _ in 0..10 {
            h.observe(0.050); // before: slow
        }
        let earlier = HistogramCounts::of(&h);
        for _ in 0..100 {
            h.observe(0.000_100); // after: fast, bucket (65.5 µs, 131 µs]
        }
        let (p50, p99) = HistogramCounts::of(&h).since(&earlier).p50_p99().expect("observations");
        assert!((65e-6..=131.1e-6).contains(&p50) && (65e-6..=131.1e-6).contains(&p99), "{p50} {p99}");
        assert_eq!(HistogramCounts::of(&h).since(&HistogramCounts::of(&h)).p50_p99(), None);
        assert_eq!(HistogramCounts::of(&h).since(&HistogramCounts::default()).total, 110);
    }
}
