//! `BroadcastJob`: one per unfinished broadcast job. Loads its pending rooms from the
//! store, asks the queue to pace them, and delivers each room it is handed (`Go`) as
//! an operator post with `client_id = "bc:<job>"` (so a repeat never posts twice).
//! Outcomes are written to the store (batched, one transaction every 200 ms) before
//! they count: a room that was unavailable (restarting, quarantined, mailbox full, no
//! answer) is retried after an exponential, jittered delay (`broadcast.retry_min_ms` → `retry_max_ms`) up to
//! `broadcast.max_attempts`, then marked `failed` with the reason; a room that no
//! longer exists fails at once. Rooms never wait for each other. When no room is
//! pending the job is finished in the store, publishes its final event and tells the
//! queue.
//!
//! Supervised: a panic restarts it in place, and it reloads everything from the store.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::json;
use slog::{error, info, warn};

use super::delivery::{deliver, Failure};
use super::{client_id, BroadcastDeps, ProgressEvent};
use crate::actors::mailbox::{MailboxStats, Metered, Registration, TrackedRecipient};
use crate::actors::shell::Shell;
use crate::actors::supervisor::{Decision, RestartPolicy};
use crate::config::BroadcastConfig;
use crate::metrics::metrics;
use crate::model::now_ms;
use crate::store::broadcasts::{BroadcastRoomRow, BroadcastRow, Counts, Priority};
use slog::Logger;

mod persist;

const JOB_MAILBOX: usize = 4096;
/// Fault injection (`debug.fault_injection`): a job with exactly this text panics once,
/// after its second delivery, to show that it restarts and resumes from the store.
pub const JOB_PANIC_TEXT: &str = "__roomd_fault_injection_job_panic__";
/// Fault injection: a job with exactly this text panics at every attempt (so it gives up).
pub const JOB_PANIC_ALWAYS_TEXT: &str = "__roomd_fault_injection_job_panic_always__";
/// Why the rooms of a job that crashed too often failed.
pub const GAVE_UP: &str = "internal: the broadcast job crashed repeatedly and gave up";
/// Outcomes are written at most this long after they arrive…
const FLUSH_DELAY: Duration = Duration::from_millis(200);
/// …or at once when this many wait.
const FLUSH_MAX: usize = 500;
/// Delay before retrying a store operation of the job itself (load, finish).
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Deliver to this room now (from the queue).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Go(pub String);

/// The job was cancelled (the store already says so): stop.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Cancel;

/// What one attempt came to, as written to the store.
#[derive(Debug, Clone)]
enum Step {
    Delivered(i64),
    Retry(String),
    Failed(String),
}

/// An attempt's outcome waiting to be written to the store.
struct Unsaved {
    room: String,
    attempt: i64,
    step: Step,
}

/// The job's view of its rooms once loaded.
struct Loaded {
    text: String,
    priority: Priority,
    /// Who posts: the job's creator (`actors::operator_post`).
    operator: String,
    /// Rooms still to reach → attempts made so far.
    pending: HashMap<String, i64>,
    in_flight: HashSet<String>,
    counts: Counts,
}

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

/// How a job reaches the queue that started it (the job does not know the queue's type).
pub struct QueueLink {
    pub enqueue: TrackedRecipient<Enqueue>,
    pub finished: TrackedRecipient<JobFinished>,
}

/// One broadcast job.
pub struct BroadcastJob {
    id: String,
    deps: BroadcastDeps,
    queue: QueueLink,
    state: Option<Loaded>,
    finished: bool,
    /// Restarts after a panic.
    restarts: u32,
    /// Crash intensity (`[supervisor]`): too many crashes and the job gives up.
    policy: RestartPolicy,
    /// Wait this long before reloading after a restart (the policy's backoff).
    restart_delay: Duration,
    /// Outcomes not yet written; a room stays in flight until its outcome is.
    unsaved: Vec<Unsaved>,
    /// A write of `unsaved` is scheduled or running.
    flushing: bool,
    /// Bumped at each restart: outcomes of attempts started before it are stale.
    generation: u64,
    mailbox: Registration,
}

impl BroadcastJob {
    pub fn new(id: String, deps: BroadcastDeps, queue: QueueLink, mailbox: Registration) -> Self {
        let log = deps.log.new(slog::o!("actor" => "broadcast", "job" => id.clone()));
        let policy = RestartPolicy::new(deps.cfg.supervisor.clone());
        Self {
            id,
            deps: BroadcastDeps { log, ..deps },
            queue,
            state: None,
            finished: false,
            restarts: 0,
            policy,
            restart_delay: Duration::ZERO,
            unsaved: Vec::new(),
            flushing: false,
            generation: 0,
            mailbox,
        }
    }

    fn cfg(&self) -> &BroadcastConfig {
        &self.deps.cfg.broadcast
    }
}

/// A panic restarts the job in place after its policy's delay; one that crashes too
/// often gives up and finishes `failed`.
impl Shell for BroadcastJob {
    const NAME: &'static str = "broadcast job";

    fn log(&self) -> &Logger {
        &self.deps.log
    }

    fn crashed(&mut self, what: &'static str, why: String, ctx: &mut Context<Self>) {
        match self.policy.on_crash(Instant::now()) {
            Decision::Restart(delay) => {
                error!(self.deps.log, "broadcast job crashed, restarting"; "in" => what, "err" => why,
                       "delay_ms" => delay.as_millis() as u64);
                self.restarts += 1;
                self.restart_delay = delay;
                self.mailbox.on_restart();
                ctx.stop();
            }
            Decision::Quarantine => {
                error!(self.deps.log, "broadcast job crashed too often; giving up"; "in" => what, "err" => why);
                self.give_up(ctx);
            }
        }
    }
}

impl BroadcastJob {
    /// Reads the job and its pending rooms; marks it running.
    fn load(&mut self, ctx: &mut Context<Self>) {
        let (store, id) = (self.deps.store.clone(), self.id.clone());
        let read = async move {
            store
                .run(move |c| {
                    let Some(row) = BroadcastRow::find(c, &id)? else { return Ok(None) };
                    if row.finished() {
                        return Ok(Some((row, Vec::new(), Counts::default())));
                    }
                    BroadcastRow::mark_running(c, &id, now_ms())?;
                    let pending = BroadcastRoomRow::pending(c, &id)?;
                    let counts = BroadcastRoomRow::counts(c, std::slice::from_ref(&id))?
                        .remove(&id)
                        .unwrap_or_default();
                    Ok(Some((row, pending, counts)))
                })
                .await
        };
        let generation = self.generation;
        ctx.spawn(read.into_actor(self).map(move |loaded, job, ctx| {
            if generation != job.generation || job.finished {
                return;
            }
            match loaded {
                Err(e) => {
                    warn!(job.deps.log, "loading the job failed; retrying"; "err" => %e);
                    ctx.run_later(STORE_RETRY, |job, ctx| job.load(ctx));
                }
                Ok(None) => job.stop_for_good(),
                Ok(Some((row, _, _))) if row.finished() => job.stop_for_good(),
                Ok(Some((row, pending, counts))) => job.on_loaded(row, pending, counts, ctx),
            }
        }));
    }

    fn on_loaded(
        &mut self,
        row: BroadcastRow,
        pending: Vec<(String, i64)>,
        counts: Counts,
        ctx: &mut Context<Self>,
    ) {
        info!(self.deps.log, "broadcast job running"; "pending" => pending.len(), "total" => counts.total);
        let priority = Priority::parse(&row.priority);
        let rooms: Vec<String> = pending.iter().map(|(r, _)| r.clone()).collect();
        self.state = Some(Loaded {
            text: row.text,
            priority,
            operator: row.created_by,
            pending: pending.into_iter().collect(),
            in_flight: HashSet::new(),
            counts,
        });
        self.queue.enqueue.do_send(Enqueue { job: self.id.clone(), priority, rooms, replace: true });
        self.publish_progress();
        self.maybe_finish(ctx);
    }

    /// Starts one attempt at `room`.
    fn on_go(&mut self, room: String, ctx: &mut Context<Self>) {
        if self.finished {
            return;
        }
        let max_attempts = i64::from(self.cfg().max_attempts.max(1));
        let Some(st) = self.state.as_mut() else { return };
        if st.in_flight.contains(&room) {
            return;
        }
        if self.deps.cfg.debug.fault_injection
            && ((st.text == JOB_PANIC_TEXT && self.restarts == 0 && st.counts.delivered >= 2)
                || st.text == JOB_PANIC_ALWAYS_TEXT)
        {
            panic!("fault injection: broadcast job crash");
        }
        let Some(attempts) = st.pending.get_mut(&room) else { return };
        *attempts += 1;
        let attempt = *attempts;
        st.in_flight.insert(room.clone());
        let (text, operator) = (st.text.clone(), st.operator.clone());
        let (registry, job) = (self.deps.registry.clone(), self.id.clone());
        let attempt_fut = async move {
            match deliver(&registry, &room, text, operator, client_id(&job)).await {
                Ok(seq) => (room, Step::Delivered(seq)),
                Err(Failure::Fatal(why)) => (room, Step::Failed(why)),
                Err(Failure::Retry(why)) if attempt >= max_attempts => (room, Step::Failed(why)),
                Err(Failure::Retry(why)) => (room, Step::Retry(why)),
            }
        };
        let generation = self.generation;
        ctx.spawn(attempt_fut.into_actor(self).map(move |(room, step), job, ctx| {
            if generation == job.generation {
                job.unsaved.push(Unsaved { room, attempt, step });
                job.schedule_flush(ctx);
            }
        }));
    }

    fn on_outcome(&mut self, room: String, attempt: i64, step: Step, ctx: &mut Context<Self>) {
        let Some(st) = self.state.as_mut() else { return };
        st.in_flight.remove(&room);
        if self.finished {
            return;
        }
        let event = match &step {
            Step::Delivered(seq) => {
                st.pending.remove(&room);
                st.counts.delivered += 1;
                st.counts.pending -= 1;
                metrics().broadcast_rooms.with_label_values(&["delivered"]).inc();
                json!({"room": room, "status": "delivered", "attempts": attempt, "seq": seq, "last_error": null})
            }
            Step::Failed(why) => {
                st.pending.remove(&room);
                st.counts.failed += 1;
                st.counts.pending -= 1;
                metrics().broadcast_rooms.with_label_values(&["failed"]).inc();
                warn!(self.deps.log, "broadcast room failed"; "room" => &room, "attempts" => attempt, "err" => why);
                json!({"room": room, "status": "failed", "attempts": attempt, "seq": null, "last_error": why})
            }
            Step::Retry(why) => {
                json!({"room": room, "status": "pending", "attempts": attempt, "seq": null, "last_error": why})
            }
        };
        self.deps.hub.publish(&self.id, ProgressEvent::new("room", event));
        self.publish_progress();
        match step {
            Step::Retry(_) => self.retry_later(room, attempt, ctx),
            _ => self.maybe_finish(ctx),
        }
    }

    /// Queues `room` again after the backoff for `attempt`.
    fn retry_later(&mut self, room: String, attempt: i64, ctx: &mut Context<Self>) {
        let retry = u32::try_from(attempt.max(1)).unwrap_or(u32::MAX);
        let delay = self.cfg().retry_backoff().jittered(retry);
        ctx.run_later(delay, move |job, _| {
            let Some(st) = job.state.as_ref().filter(|_| !job.finished) else { return };
            if st.pending.contains_key(&room) {
                job.queue.enqueue.do_send(Enqueue {
                    job: job.id.clone(),
                    priority: st.priority,
                    rooms: vec![room],
                    replace: false,
                });
            }
        });
    }

    fn publish_progress(&self) {
        if let Some(st) = &self.state {
            let data = json!({"id": self.id, "status": "running", "counts": st.counts});
            self.deps.hub.publish(&self.id, ProgressEvent::new("progress", data));
        }
    }

    /// Publishes the final event and leaves the queue; the actor then stops once its
    /// last address is gone.
    fn finish_with(&mut self, status: &str) {
        let counts = self.state.as_ref().map(|s| s.counts).unwrap_or_default();
        let data = json!({"id": self.id, "status": status, "counts": counts});
        self.deps.hub.finish(&self.id, ProgressEvent::new("done", data));
        self.stop_for_good();
    }

    fn stop_for_good(&mut self) {
        self.finished = true;
        self.queue.finished.do_send(JobFinished(self.id.clone()));
    }
}

impl Actor for BroadcastJob {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // `Go` arrives by `do_send` (the queue never waits); the bound is for the figures.
        ctx.set_mailbox_capacity(JOB_MAILBOX);
        self.mailbox.set_capacity(JOB_MAILBOX);
        if self.finished {
            return;
        }
        match std::mem::take(&mut self.restart_delay) {
            Duration::ZERO => self.load(ctx),
            delay => {
                ctx.run_later(delay, |job, ctx| job.load(ctx));
            }
        }
    }
}

/// Restarted in place after a panic: forget everything and reload from the store.
impl Supervised for BroadcastJob {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.generation += 1;
        self.state = None;
        self.unsaved.clear();
        self.flushing = false;
    }
}

impl Metered for BroadcastJob {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(BroadcastJob: Go, Cancel);

impl Handler<Go> for BroadcastJob {
    type Result = ();

    fn handle(&mut self, m: Go, ctx: &mut Context<Self>) {
        self.on_go(m.0, ctx);
    }
}

impl Handler<Cancel> for BroadcastJob {
    type Result = ();

    fn handle(&mut self, _: Cancel, _: &mut Context<Self>) {
        if !self.finished {
            info!(self.deps.log, "broadcast job cancelled");
            self.finish_with("cancelled");
        }
    }
}
