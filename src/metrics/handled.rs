//! `roomd_actor_messages_handled_total{actor}`: messages handled by the actors of each
//! kind since the process started, exact. Nothing on the message path feeds it: the
//! mailbox metering already counts every handled message per actor
//! (`actors::mailbox`), and this collector sums those counts from the actor directory
//! when `/metrics` is scraped (the directory keeps the counts of actors gone for good).

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, Opts};

use crate::actors::mailbox::{directory, ActorKind};

const NAME: &str = "roomd_actor_messages_handled_total";
const HELP: &str = "Messages handled by actors, by kind (exact; 0 with metrics.enabled = false).";

/// Reads the handled counts from the directory at each scrape.
pub struct HandledCollector {
    /// Only describes the family; each scrape fills a fresh one.
    shape: IntCounterVec,
}

impl HandledCollector {
    pub fn new() -> Self {
        Self { shape: family() }
    }
}

fn family() -> IntCounterVec {
    // Constant, valid options: a failure would be a bug caught by any test.
    IntCounterVec::new(Opts::new(NAME, HELP), &["actor"]).unwrap_or_else(|e| panic!("{NAME}: {e}"))
}

impl Collector for HandledCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.shape.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let counts = directory().handled_by_kind();
        let fresh = family();
        for kind in ActorKind::ALL {
            fresh.with_label_values(&[kind.as_str()]).inc_by(counts[kind.index()]);
        }
        fresh.collect()
    }
}
