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
use slog::{info, warn};

use super::job::{BroadcastJob, Cancel, Enqueue, Go, JobFinished, QueueLink};
use super::BroadcastDeps;
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::store::broadcasts::{BroadcastRow, Priority};
use crate::store::cluster::{self as leases, LeaseHolder};

/// How often the bucket is refilled and deliveries handed out.
const TICK: Duration = Duration::from_millis(10);
const QUEUE_MAILBOX: usize = 1 << 16;

/// Start (or resume) the job with this id, unless it already runs.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartJob(pub String);

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

    /// Starts the jobs `ids` that this node may run: all of them on a single node; in
    /// cluster mode those whose lease this node holds or takes (their holder is gone).
    fn claim_and_start(&mut self, ids: Vec<String>, ctx: &mut Context<Self>) {
        let Some(cluster) = self.deps.cluster.clone() else {
            return ids.into_iter().for_each(|id| self.start_job(id, ctx));
        };
        let ids: Vec<String> =
            ids.into_iter().filter(|id| !self.jobs.get(id).is_some_and(|a| a.connected())).collect();
        if ids.is_empty() {
            return;
        }
        let (store, node, lease_ms) =
            (self.deps.store.clone(), cluster.me.node.clone(), cluster.cfg.lease_ms as i64);
        let claim = async move {
            store
                .run(move |c| {
                    let mut mine = Vec::new();
                    for id in ids {
                        if let LeaseHolder::Me { .. } = leases::acquire(c, &job_lease(&id), &node, lease_ms)?
                        {
                            mine.push(id);
                        }
                    }
                    Ok(mine)
                })
                .await
        };
        ctx.spawn(claim.into_actor(self).map(|mine, q, ctx| match mine {
            Ok(mine) => mine.into_iter().for_each(|id| q.start_job(id, ctx)),
            Err(e) => warn!(q.deps.log, "could not claim broadcast jobs"; "err" => %e),
        }));
    }

    /// Lists unfinished jobs and starts those this node may run.
    fn resume_unfinished(&mut self, ctx: &mut Context<Self>) {
        let store = self.deps.store.clone();
        ctx.spawn(async move { store.run(BroadcastRow::unfinished).await }.into_actor(self).map(
            |found, q, ctx| match found {
                Ok(ids) => {
                    let orphans: Vec<String> =
                        ids.into_iter().filter(|id| !q.jobs.get(id).is_some_and(|a| a.connected())).collect();
                    if !orphans.is_empty() {
                        info!(q.deps.log, "resuming unfinished broadcast jobs"; "jobs" => orphans.len());
                    }
                    q.claim_and_start(orphans, ctx);
                }
                // The jobs stay in the store; the next start (or restart) resumes them.
                Err(e) => warn!(q.deps.log, "could not list unfinished broadcast jobs"; "err" => %e),
            },
        ));
    }

    fn start_job(&mut self, id: String, ctx: &Context<Self>) {
        if self.jobs.get(&id).is_some_and(|a| a.connected()) {
            return;
        }
        let mailbox = MailboxStats::register(ActorKind::Broadcast, id.as_str(), &self.deps.cfg.metrics);
        let stats = mailbox.stats().clone();
        let me = self.me(ctx);
        let queue = QueueLink { enqueue: me.clone().recipient(), finished: me.recipient() };
        let (deps, job) = (self.deps.clone(), id.clone());
        let addr = Supervisor::start(move |_| BroadcastJob::new(job, deps, queue, mailbox));
        self.jobs.insert(id, TrackedAddr::new(addr, stats));
    }
}

/// A panic restarts the queue in place (the default of [`Shell::crashed`]).
impl Shell for BroadcastQueue {
    const NAME: &'static str = "broadcast queue";

    fn log(&self) -> &slog::Logger {
        &self.deps.log
    }
}

impl Actor for BroadcastQueue {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(QUEUE_MAILBOX);
        self.mailbox.set_capacity(QUEUE_MAILBOX);
        self.last_refill = Instant::now();
        ctx.run_interval(TICK, |q, ctx| {
            q.guarded(ctx, "dispatch", |q, _| q.dispatch());
        });
        self.resume_unfinished(ctx);
        // Cluster mode: adopt the jobs of nodes that died.
        if let Some(cluster) = &self.deps.cluster {
            ctx.run_interval(cluster.cfg.lease(), |q, ctx| q.resume_unfinished(ctx));
        }
    }
}

/// Restarted in place after a panic: the queued rooms and running jobs are kept.
impl Supervised for BroadcastQueue {}

impl Metered for BroadcastQueue {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(BroadcastQueue: StartJob, Enqueue, JobFinished, CancelJob);

impl Handler<StartJob> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: StartJob, ctx: &mut Context<Self>) {
        self.claim_and_start(vec![m.0], ctx);
    }
}

impl Handler<Enqueue> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: Enqueue, _: &mut Context<Self>) {
        if m.replace {
            for lane in &mut self.lanes {
                lane.retain(|(job, _)| *job != m.job);
            }
        }
        let lane = &mut self.lanes[Self::lane(m.priority)];
        lane.extend(m.rooms.into_iter().map(|room| (m.job.clone(), room)));
    }
}

impl Handler<JobFinished> for BroadcastQueue {
    type Result = ();

    fn handle(&mut self, m: JobFinished, _: &mut Context<Self>) {
        self.jobs.remove(&m.0);
        if let Some(cluster) = &self.deps.cluster {
            let (store, node) = (self.deps.store.clone(), cluster.me.node.clone());
            actix::spawn(async move {
                let _ = store.run(move |c| leases::release(c, &job_lease(&m.0), &node)).await;
            });
        }
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

/// The lease name of a broadcast job.
fn job_lease(id: &str) -> String {
    format!("broadcast:{id}")
}
