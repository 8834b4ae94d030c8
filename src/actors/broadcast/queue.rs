//! `BroadcastQueue`: the one dispatcher of broadcast deliveries. Jobs enqueue the rooms
//! they want to reach (all pending rooms at start, one room again after a retry delay);
//! a token bucket refilled at `broadcast.rooms_per_sec` hands them out, every 10 ms,
//! high-priority lanes first, then normal, then low, each lane first in first out. So
//! a 10,000-room job cannot starve live traffic, and a high-priority job started later
//! overtakes the rest of a low-priority one. The queue also owns the running jobs'
//! addresses (start, cancel, resume at process start).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{error, info, warn};

use super::job::{BroadcastJob, Cancel, Go};
use super::BroadcastDeps;
use crate::actors::guard::run_guarded;
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::store::broadcasts::{BroadcastRow, Priority};

/// How often the bucket is refilled and deliveries handed out.
const TICK: Duration = Duration::from_millis(10);
const QUEUE_MAILBOX: usize = 1 << 16;

/// Start (or resume) the job with this id, unless it already runs.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartJob(pub String);

/// A job wants these rooms reached; with `replace`, forget what it queued before
/// (a job that reloaded its state after a restart).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Enqueue {
    pub job: String,
    pub priority: Priority,
    pub rooms: Vec<String>,
    pub replace: bool,
}

/// The job finished; forget it (its queued rooms are dropped).
#[derive(Message)]
#[rtype(result = "()")]
pub struct JobFinished(pub String);

/// The job was cancelled in the store: stop it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CancelJob(pub String);

/// The dispatcher.
pub struct BroadcastQueue {
    deps: BroadcastDeps,
    jobs: HashMap<String, TrackedAddr<BroadcastJob>>,
    /// Queued (job, room) per priority, high first.
    lanes: [VecDeque<(String, String)>; 3],
    budget: f64,
    last_refill: Instant,
    mailbox: Registration,
}

impl BroadcastQueue {
    /// Starts the queue under a `Supervisor`; it resumes every unfinished job.
    pub fn start(deps: BroadcastDeps) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Broadcast, "queue", &deps.cfg.metrics);
        let stats = mailbox.stats().clone();
        let addr = Supervisor::start(move |_| Self {
            deps,
            jobs: HashMap::new(),
            lanes: Default::default(),
            budget: 0.0,
            last_refill: Instant::now(),
            mailbox,
        });
        TrackedAddr::new(addr, stats)
    }

    fn me(&self, ctx: &Context<Self>) -> TrackedAddr<Self> {
        TrackedAddr::new(ctx.address(), self.mailbox.stats().clone())
    }

    fn lane(priority: Priority) -> usize {
        match priority {
            Priority::High => 0,
            Priority::Normal => 1,
            Priority::Low => 2,
        }
    }

    /// Refills the bucket and hands out what it allows, high priority first.
    fn dispatch(&mut self) {
        let now = Instant::now();
        let rate = f64::from(self.deps.cfg.broadcast.rooms_per_sec.max(1));
        let burst = (rate / 20.0).max(1.0);
        let elapsed = now.duration_since(self.last_refill).as_secs_f64();
        self.budget = (self.budget + rate * elapsed).min(burst);
        self.last_refill = now;
        for lane in &mut self.lanes {
            while self.budget >= 1.0 {
                let Some((job, room)) = lane.pop_front() else { break };
                // Rooms of a finished or cancelled job are dropped without cost.
                if let Some(addr) = self.jobs.get(&job) {
                    addr.do_send(Go(room));
                    self.budget -= 1.0;
                }
            }
        }
    }

    fn start_job(&mut self, id: String, ctx: &Context<Self>) {
        if self.jobs.get(&id).is_some_and(|a| a.connected()) {
            return;
        }
        let mailbox = MailboxStats::register(ActorKind::Broadcast, id.as_str(), &self.deps.cfg.metrics);
        let stats = mailbox.stats().clone();
        let (deps, queue, job) = (self.deps.clone(), self.me(ctx), id.clone());
        let addr = Supervisor::start(move |_| BroadcastJob::new(job, deps, queue, mailbox));
        self.jobs.insert(id, TrackedAddr::new(addr, stats));
    }

    fn guarded(
        &mut self,
        ctx: &mut Context<Self>,
        what: &'static str,
        body: impl FnOnce(&mut Self, &mut Context<Self>),
    ) {
        if let Err(why) = run_guarded(self, ctx, body) {
            error!(self.deps.log, "broadcast queue crashed, restarting"; "in" => what, "err" => why);
            self.mailbox.on_restart();
            ctx.stop();
        }
    }
}

impl Actor for BroadcastQueue {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(QUEUE_MAILBOX);
        self.mailbox.set_capacity(QUEUE_MAILBOX);
        self.last_refill = Instant::now();
        ctx.run_interval(TICK, |q, ctx| q.guarded(ctx, "dispatch", |q, _| q.dispatch()));
        let store = self.deps.store.clone();
        ctx.spawn(async move { store.run(BroadcastRow::unfinished).await }.into_actor(self).map(
            |found, q, ctx| match found {
                Ok(ids) => {
                    if !ids.is_empty() {
                        info!(q.deps.log, "resuming unfinished broadcast jobs"; "jobs" => ids.len());
                    }
                    for id in ids {
                        q.start_job(id, ctx);
                    }
                }
                // The jobs stay in the store; the next start (or restart) resumes them.
                Err(e) => warn!(q.deps.log, "could not list unfinished broadcast jobs"; "err" => %e),
            },
        ));
    }
}

/// Restarted in place after a panic: the queued rooms and running jobs are kept.
impl Supervised for BroadcastQueue {}

impl Metered for BroadcastQueue {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::tracked_handlers!(BroadcastQueue: StartJob, Enqueue, JobFinished, CancelJob);

impl Handler<StartJob> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: StartJob, ctx: &mut Context<Self>) {
        self.guarded(ctx, "start", |q, ctx| q.start_job(m.0, ctx));
    }
}

impl Handler<Enqueue> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: Enqueue, ctx: &mut Context<Self>) {
        self.guarded(ctx, "enqueue", |q, _| {
            if m.replace {
                for lane in &mut q.lanes {
                    lane.retain(|(job, _)| *job != m.job);
                }
            }
            let lane = &mut q.lanes[Self::lane(m.priority)];
            lane.extend(m.rooms.into_iter().map(|room| (m.job.clone(), room)));
        });
    }
}

impl Handler<JobFinished> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: JobFinished, _: &mut Context<Self>) {
        self.jobs.remove(&m.0);
    }
}

impl Handler<CancelJob> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: CancelJob, _: &mut Context<Self>) {
        if let Some(addr) = self.jobs.remove(&m.0) {
            addr.do_send(Cancel);
        }
    }
}
