//! `Scheduler`: one supervised actor that fires cron schedules. Every
//! `scheduler.tick_ms` (and whenever asked with [`Tick`]) it reads the enabled
//! schedules whose `next_run_at` has come (by its [`Clock`]) and handles each due time
//! with one idempotent store operation (`store::schedules::fire_due`): `next_run_at`
//! is moved on (compare-and-set), the due time claimed in `schedule_fires`, and the
//! broadcast job created, in one transaction. The queue then starts the job. The scheduler keeps no
//! state of its own, so a crash or a process restart can neither lose nor repeat a
//! fire.
//!
//! Missed due times (the process was down, or the test clock jumped): each one
//! younger than `scheduler.misfire_grace_secs` fires; an older run of them is
//! recorded once as `skipped` and the schedule resumes at the first due time within
//! the grace.

pub mod clock;
pub mod cron;

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn, Logger};

use crate::actors::broadcast::{BroadcastQueue, StartJob};
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::cluster::Cluster;
use crate::config::{MetricsConfig, SchedulerConfig};
use crate::ids::new_job_id;
use crate::metrics::metrics;
use crate::model::{now_ms, rfc3339};
use crate::store::cluster::{self as leases, LeaseHolder};
use crate::store::schedules::{fire_due, DueTime, FireOutcome, ScheduleRow};
use crate::store::{Store, StoreError};

pub use clock::{Clock, SharedClock, SystemClock, TestClock};
pub use cron::{CronError, CronSpec};

/// Most due times handled for one schedule in one tick (a catch-up after a long stop
/// is bounded; the rest waits for the next tick).
const MAX_PER_TICK: usize = 1000;
const SCHEDULER_MAILBOX: usize = 1024;
/// The lease that makes one node of a cluster the scheduler.
const SCHEDULER_LEASE: &str = "scheduler";

/// Look for due schedules now; resolves when they are handled (and their jobs asked
/// to start).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Tick;

/// The scheduler.
pub struct Scheduler {
    store: Store,
    queue: TrackedAddr<BroadcastQueue>,
    clock: SharedClock,
    cfg: SchedulerConfig,
    /// Cluster mode: only the node holding the `scheduler` lease fires schedules.
    cluster: Option<Arc<Cluster>>,
    log: Logger,
    mailbox: Registration,
}

impl Scheduler {
    /// Starts the scheduler under a `Supervisor`.
    pub fn start(
        store: Store,
        queue: TrackedAddr<BroadcastQueue>,
        clock: SharedClock,
        cfg: SchedulerConfig,
        cluster: Option<Arc<Cluster>>,
        metrics_cfg: &MetricsConfig,
        log: &Logger,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Scheduler, "scheduler", metrics_cfg);
        let stats = mailbox.stats().clone();
        let log = log.new(slog::o!("actor" => "scheduler"));
        let addr = Supervisor::start(move |_| Self { store, queue, clock, cfg, cluster, log, mailbox });
        TrackedAddr::new(addr, stats)
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(SCHEDULER_MAILBOX);
        self.mailbox.set_capacity(SCHEDULER_MAILBOX);
        // Through the metered mailbox, so ticks show in the scheduler's figures.
        let me = TrackedAddr::new(ctx.address(), self.mailbox.stats().clone());
        me.do_send(Tick);
        ctx.run_interval(Duration::from_millis(self.cfg.tick_ms.max(10)), move |_, _| me.do_send(Tick));
    }
}

/// Restarted in place after a panic; it has no state to reload (the store has it).
impl Supervised for Scheduler {}

impl Metered for Scheduler {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(Scheduler: Tick);

/// A panic restarts the scheduler in place; the next tick runs as usual.
impl Shell for Scheduler {
    const NAME: &'static str = "scheduler";

    fn log(&self) -> &Logger {
        &self.log
    }
}

impl Handler<Tick> for Scheduler {
    /// Atomic: the next tick waits until this one is handled.
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, _: Tick, _: &mut Context<Self>) -> Self::Result {
        let work = self.due_now();
        AtomicResponse::new(Box::pin(work.into_actor(self).map(|handled, s, _| s.started_jobs(handled))))
    }
}

impl Scheduler {
    /// The store work of one tick, to run off the actor's thread.
    fn due_now(&self) -> impl std::future::Future<Output = Result<Handled, StoreError>> {
        let (store, now) = (self.store.clone(), self.clock.now_ms());
        let grace_ms = i64::try_from(self.cfg.misfire_grace_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let lease = self.cluster.as_ref().map(|c| (c.me.node.clone(), c.cfg.lease_ms as i64));
        async move {
            store
                .run(move |c| {
                    // Cluster mode: a singleton by lease; the other nodes' ticks do nothing.
                    if let Some((node, lease_ms)) = &lease {
                        if !matches!(
                            leases::acquire(c, SCHEDULER_LEASE, node, *lease_ms)?,
                            LeaseHolder::Me { .. }
                        ) {
                            return Ok(Vec::new());
                        }
                    }
                    handle_due(c, now, grace_ms)
                })
                .await
        }
    }

    fn started_jobs(&mut self, handled: Result<Handled, StoreError>) {
        let handled = match handled {
            Ok(h) => h,
            // The due times stay due; the next tick tries again.
            Err(e) => return warn!(self.log, "scheduler tick failed"; "err" => %e),
        };
        for (schedule, outcome) in handled {
            match outcome {
                Ok(FireOutcome::Fired { job, unknown }) => {
                    metrics().schedule_fires.inc();
                    metrics().broadcast_rooms.with_label_values(&["failed"]).inc_by(unknown as u64);
                    info!(self.log, "schedule fired"; "schedule" => &schedule, "job" => &job);
                    self.queue.do_send(StartJob(job));
                }
                Ok(FireOutcome::Skipped(reason)) => {
                    warn!(self.log, "schedule due time skipped"; "schedule" => &schedule, "reason" => reason)
                }
                Ok(FireOutcome::AlreadyHandled) => {
                    info!(self.log, "due time already handled"; "schedule" => &schedule)
                }
                // That due time stays due; the next tick tries again.
                Err(e) => warn!(self.log, "firing a schedule failed"; "schedule" => &schedule, "err" => %e),
            }
        }
    }
}

/// What one tick did: per schedule, each due time's outcome, or the store error that
/// stopped that schedule (the others go on).
type Handled = Vec<(String, Result<FireOutcome, StoreError>)>;

/// Handles every due time up to `now` of every enabled schedule (blocking; store).
fn handle_due(c: &mut crate::store::DbConn, now: i64, grace_ms: i64) -> Result<Handled, StoreError> {
    let mut handled = Vec::new();
    for mut schedule in ScheduleRow::due(c, now)? {
        // Only valid crons are stored; one that no longer parses (a time zone gone from
        // the database) is recorded as skipped once and stops (`next_run_at` null).
        let spec = CronSpec::parse(&schedule.cron, &schedule.timezone);
        for _ in 0..MAX_PER_TICK {
            let Some(due) = schedule.next_run_at.filter(|d| *d <= now) else { break };
            let late = now - due > grace_ms;
            let (next, skip) = match &spec {
                Err(e) => (None, Some(e.to_string())),
                // A run of due times older than the grace is recorded once, and the
                // schedule resumes at its first due time within the grace.
                Ok(spec) if late => (
                    spec.next_after(now - grace_ms - 1),
                    Some(format!(
                        "missed by more than scheduler.misfire_grace_secs ({}s); due times up to {} skipped",
                        grace_ms / 1000,
                        rfc3339(now - grace_ms)
                    )),
                ),
                Ok(spec) => (spec.next_after(due), None),
            };
            let d = DueTime {
                schedule: &schedule,
                due_at: due,
                next_at: next,
                now,
                skip,
                job_id: new_job_id(now_ms()),
            };
            let outcome = fire_due(c, &d);
            // An error, or a schedule changed meanwhile: the next tick reads it again.
            let stop = matches!(outcome, Err(_) | Ok(FireOutcome::AlreadyHandled));
            handled.push((schedule.id.clone(), outcome));
            if stop {
                break;
            }
            schedule.next_run_at = next;
        }
    }
    Ok(handled)
}
