//! `StatsSampler`: one supervised actor that, once a second, reads the process's
//! counters (messages and deliveries committed, open sessions, actor restarts, the
//! store-commit histogram) into the bounded [`History`] that `GET /api/v1/overview`
//! reads. It is metered like every actor (`sampler stats` in `GET /api/v1/actors`); a
//! panic restarts it in place and the history, held outside it, is kept.

pub mod history;

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use slog::Logger;

use crate::actors::mailbox::{directory, ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::config::MetricsConfig;
use crate::metrics::{metrics, HistogramCounts};
use crate::model::now_ms;

pub use history::{History, Reading, Sample};

/// How often the counters are read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);
const SAMPLER_MAILBOX: usize = 16;

/// Read the counters now and add them to the history.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TakeReading;

/// The sampler.
pub struct StatsSampler {
    history: Arc<History>,
    log: Logger,
    mailbox: Registration,
}

impl StatsSampler {
    /// Starts the sampler under a `Supervisor`, recording into `history`.
    pub fn start(history: Arc<History>, metrics_cfg: &MetricsConfig, log: &Logger) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Sampler, "stats", metrics_cfg);
        let stats = mailbox.stats().clone();
        let log = log.new(slog::o!("actor" => "stats_sampler"));
        let addr = Supervisor::start(move |_| Self { history, log, mailbox });
        TrackedAddr::new(addr, stats)
    }
}

/// The counters now.
pub fn read_counters() -> Reading {
    let m = metrics();
    let kinds = directory().by_kind();
    Reading {
        at_ms: now_ms(),
        messages: m.messages.get(),
        deliveries: m.deliveries.get(),
        connections: kinds[ActorKind::Session.index()].live,
        restarts: kinds.iter().map(|k| k.restarts).sum(),
        commits: HistogramCounts::of(&m.store_commit),
    }
}

impl Actor for StatsSampler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(SAMPLER_MAILBOX);
        self.mailbox.set_capacity(SAMPLER_MAILBOX);
        // Through the metered mailbox, so the readings show in the sampler's figures.
        let me = TrackedAddr::new(ctx.address(), self.mailbox.stats().clone());
        me.do_send(TakeReading);
        ctx.run_interval(SAMPLE_EVERY, move |_, _| {
            // A full mailbox means readings are already waiting: skip this one.
            let _ = me.try_send(TakeReading);
        });
    }
}

/// Restarted in place after a panic; its history lives outside it.
impl Supervised for StatsSampler {}

impl Metered for StatsSampler {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(StatsSampler: TakeReading);

/// A panic restarts the sampler in place; the next second's reading goes on.
impl Shell for StatsSampler {
    const NAME: &'static str = "stats sampler";

    fn log(&self) -> &Logger {
        &self.log
    }
}

impl Handler<TakeReading> for StatsSampler {
    type Result = ();

    fn handle(&mut self, _: TakeReading, _: &mut Context<Self>) {
        self.history.record(read_counters());
    }
}
