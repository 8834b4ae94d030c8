//! Cost of mailbox metering per message: `TrackedAddr::do_send` into a metered actor
//! (counters, sampled `Instant` stamps, wait/handle histograms) against a plain
//! `Addr::do_send` into the same actor, for `metrics.enabled = false`, counters only
//! (`timing_sample = 0`), one message in 16 timed, and every message timed.
//!
//! One iteration sends 1000 messages and waits (one plain `send`) until the actor has
//! handled them all; the figure is per message. The actor runs either on the sender's
//! thread (`same_thread`) or on its own arbiter (`other_thread`, as rooms and sessions
//! do in the server). Run: `cargo bench --bench mailbox`.

use std::time::{Duration, Instant};

use actix::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput};
use roomd::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use roomd::config::MetricsConfig;

const BURST: u64 = 1000;

/// The message under test; the handler does next to nothing so metering shows.
#[derive(Message)]
#[rtype(result = "()")]
struct Ping(u64);

/// Replies once every message queued before it was handled.
#[derive(Message)]
#[rtype(result = "u64")]
struct Drained;

struct Sink {
    sum: u64,
    mailbox: Registration,
}

impl Actor for Sink {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // do_send ignores the bound; set as the server does for its actors.
        ctx.set_mailbox_capacity(256);
    }
}

impl Metered for Sink {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

impl Handler<Ping> for Sink {
    type Result = ();

    fn handle(&mut self, m: Ping, _: &mut Context<Self>) {
        self.sum = self.sum.wrapping_add(m.0);
    }
}

impl Handler<Drained> for Sink {
    type Result = u64;

    fn handle(&mut self, _: Drained, _: &mut Context<Self>) -> u64 {
        self.sum
    }
}

/// A panic in the bench is a bug in the bench: the default restart is fine.
impl roomd::actors::shell::Shell for Sink {
    const NAME: &'static str = "bench";

    fn log(&self) -> &slog::Logger {
        static DISCARD: std::sync::LazyLock<slog::Logger> =
            std::sync::LazyLock::new(|| slog::Logger::root(slog::Discard, slog::o!()));
        &DISCARD
    }
}

roomd::actor_shell!(Sink: Ping);

/// `None` = plain `Addr::do_send` (no envelope at all).
const VARIANTS: [(&str, Option<(bool, u64)>); 5] = [
    ("plain_addr", None),
    ("tracked_off", Some((false, 1))),
    ("tracked_count_only", Some((true, 0))),
    ("tracked_sample_16", Some((true, 16))),
    ("tracked_sample_1", Some((true, 1))),
];

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    let sys = actix_rt::System::new();
    let other = Arbiter::new();

    for (place, arbiter) in [("same_thread", None), ("other_thread", Some(other.handle()))] {
        let mut g = c.benchmark_group(format!("mailbox/do_send_1000/{place}"));
        g.throughput(Throughput::Elements(BURST));
        for (name, variant) in VARIANTS {
            let (enabled, timing_sample) = variant.unwrap_or((false, 0));
            let cfg = MetricsConfig { enabled, timing_sample, token: String::new() };
            let (addr, tracked) = sys.block_on(async {
                let mailbox = MailboxStats::register(ActorKind::Room, format!("bench_{name}"), &cfg);
                let stats = mailbox.stats().clone();
                let sink = Sink { sum: 0, mailbox };
                let addr = match &arbiter {
                    Some(a) => Sink::start_in_arbiter(a, |_| sink),
                    None => sink.start(),
                };
                (addr.clone(), TrackedAddr::new(addr, stats))
            });
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_custom(|iters| {
                    sys.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            for i in 0..BURST {
                                match variant {
                                    None => addr.do_send(Ping(i)),
                                    Some(_) => tracked.do_send(Ping(i)),
                                }
                            }
                            addr.send(Drained).await.expect("sink alive");
                        }
                        start.elapsed()
                    })
                })
            });
            if variant.is_some_and(|(on, _)| on) {
                assert_eq!(tracked.stats().depth(), 0, "every tracked message was counted as handled");
            }
        }
        g.finish();
    }
    other.stop();
    c.final_summary();
}
