//! The actor families of `/metrics` (docs/METRICS.md), as a Prometheus collector that
//! reads the actor directory when scraped: open sessions, rooms by status, mailbox
//! depths, handled messages and restarts by actor kind. Nothing on the message path
//! feeds them; the mailbox metering's own counts are summed at each scrape.
//!
//! The wait and handler histograms by kind are the exception: observations cannot be
//! summed afterwards, so the metering records each timed message into its kind's
//! histogram here ([`kind_timing`]) as well as into the actor's own.
//!
//! Every family is exported from the first scrape, with every actor kind and room
//! status at 0. The server registers the collector at start-up (src/server.rs).

use std::sync::LazyLock;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts};

use super::directory::directory;
use super::{ActorKind, ActorStatus};
use crate::metrics::DURATION_BUCKETS;

/// Reads the directory at each scrape.
pub struct DirectoryCollector {
    /// Only describes the families; each scrape fills fresh ones.
    shape: Figures,
}

/// The families computed from the directory.
struct Figures {
    ws_connections: IntGauge,
    rooms: IntGaugeVec,
    depth: IntGaugeVec,
    depth_max: IntGaugeVec,
    handled: IntCounterVec,
    restarts: IntCounterVec,
}

/// The wait and handler histograms of each actor kind.
struct KindTiming {
    wait: HistogramVec,
    handler: HistogramVec,
}

/// Kind `kind`'s (wait, handler) histograms.
pub fn kind_timing(kind: ActorKind) -> (Histogram, Histogram) {
    let t = timing();
    let label = [kind.as_str()];
    (t.wait.with_label_values(&label), t.handler.with_label_values(&label))
}

fn timing() -> &'static KindTiming {
    static TIMING: LazyLock<KindTiming> = LazyLock::new(|| {
        let histogram = |name: &str, help: &str| {
            HistogramVec::new(HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.clone()), &["actor"])
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let t = KindTiming {
            wait: histogram("roomd_mailbox_wait_seconds", "Time from enqueue to handler start."),
            handler: histogram("roomd_handler_seconds", "Time spent in message handlers."),
        };
        for kind in ActorKind::ALL {
            // Each kind's series, at 0 until observed.
            t.wait.with_label_values(&[kind.as_str()]);
            t.handler.with_label_values(&[kind.as_str()]);
        }
        t
    });
    &TIMING
}

impl DirectoryCollector {
    pub fn new() -> Self {
        Self { shape: Figures::new() }
    }
}

impl Default for DirectoryCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl Figures {
    fn new() -> Self {
        // Constant, valid options: a failure would be a bug caught by any test.
        let gauges = |name: &str, help: &str, label: &str| {
            IntGaugeVec::new(Opts::new(name, help), &[label]).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let counters = |name: &str, help: &str| {
            IntCounterVec::new(Opts::new(name, help), &["actor"]).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        Self {
            ws_connections: IntGauge::new("roomd_ws_connections", "Open WebSocket sessions.")
                .unwrap_or_else(|e| panic!("roomd_ws_connections: {e}")),
            rooms: gauges("roomd_rooms", "Room actors by status.", "status"),
            depth: gauges(
                "roomd_mailbox_depth",
                "Messages waiting in mailboxes, summed by actor kind.",
                "actor",
            ),
            depth_max: gauges(
                "roomd_mailbox_depth_max",
                "Deepest mailbox seen by any live actor of the kind since it started.",
                "actor",
            ),
            handled: counters(
                "roomd_actor_messages_handled_total",
                "Messages handled by actors, by kind (exact; 0 with metrics.enabled = false).",
            ),
            restarts: counters("roomd_actor_restarts_total", "Actor restarts (crash or operator), by kind."),
        }
    }

    /// The directory's figures now.
    fn read() -> Self {
        let f = Self::new();
        let kinds = directory().by_kind();
        for kind in ActorKind::ALL {
            let k = &kinds[kind.index()];
            let label = [kind.as_str()];
            f.depth.with_label_values(&label).set(k.depth as i64);
            f.depth_max.with_label_values(&label).set(k.max_depth as i64);
            f.handled.with_label_values(&label).inc_by(k.handled);
            f.restarts.with_label_values(&label).inc_by(k.restarts);
        }
        let rooms = &kinds[ActorKind::Room.index()];
        for status in ActorStatus::ALL {
            f.rooms.with_label_values(&[status.as_str()]).set(rooms.by_status[status.index()] as i64);
        }
        f.ws_connections.set(kinds[ActorKind::Session.index()].live as i64);
        f
    }

    fn collectors(&self) -> [&dyn Collector; 6] {
        [&self.ws_connections, &self.rooms, &self.depth, &self.depth_max, &self.handled, &self.restarts]
    }
}

impl Collector for DirectoryCollector {
    fn desc(&self) -> Vec<&Desc> {
        let t = timing();
        let mut descs: Vec<&Desc> = self.shape.collectors().into_iter().flat_map(|c| c.desc()).collect();
        descs.extend(t.wait.desc());
        descs.extend(t.handler.desc());
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let t = timing();
        let figures = Figures::read();
        let mut families: Vec<MetricFamily> =
            figures.collectors().into_iter().flat_map(|c| c.collect()).collect();
        families.extend(t.wait.collect());
        families.extend(t.handler.collect());
        families
    }
}
