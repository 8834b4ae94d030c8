//! `StoreWriter`: the one actor that appends messages. Group commit: everything that
//! queues while a transaction commits goes into the next transaction (up to
//! `store.batch_max_rows`), with no fixed delay. Sequence numbers are assigned inside
//! the transaction, so they are gap-free and never reused. The blocking diesel work
//! runs on the blocking thread pool; the actor itself never blocks.
//!
//! Store outage: a batch that fails for a transient reason is retried with backoff;
//! messages wait at most `store.commit_timeout_ms` (then `room_unavailable`) and at
//! most `store.max_pending` wait at once.

use std::collections::{HashMap, VecDeque};
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{error, warn, Logger};
use tokio::sync::oneshot;

use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr, TrackedRecipient};
use super::room::{panic_message, SendTicket};
use crate::config::{Settings, StoreConfig};
use crate::error::ErrorCode;
use crate::metrics::metrics;
use crate::store::conn::{abort_if_left_idle, write_txn};
use crate::store::members::MemberTouch;
use crate::store::messages::{append_batch, AppendOutcome, NewMessage};
use crate::store::room_life::{RoomWrite, WelcomeMark};
use crate::store::{Store, StoreError};

/// Append a message; the result goes to `notify` as part of a [`Committed`].
#[derive(Message)]
#[rtype(result = "()")]
pub struct AppendMessage {
    pub msg: NewMessage,
    pub ticket: SendTicket,
    pub notify: TrackedRecipient<Committed>,
}

/// Create or refresh a membership (presence, name); committed with the next batch.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TouchMember(pub MemberTouch);

/// A read position or another small room write; committed with the next batch.
#[derive(Message)]
#[rtype(result = "()")]
pub struct WriteRoom(pub RoomWrite);

/// Append a welcome message and record the welcome (`mark`), queued together so they
/// normally commit in one transaction (the mark first, should a batch boundary fall
/// between them).
#[derive(Message)]
#[rtype(result = "()")]
pub struct AppendWelcome {
    pub append: AppendMessage,
    pub mark: WelcomeMark,
}

/// A room's messages were purged: forget its cached last seq (the next append reads
/// it from the table again).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ForgetRoom(pub String);

/// Resolves once everything queued before it is committed (or failed).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

/// What became of a room's messages in one batch, in append order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub results: Vec<(SendTicket, Result<AppendOutcome, ErrorCode>)>,
}

// Messages are nearly every item: boxing the large variant would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Pending {
    Message { msg: NewMessage, ticket: SendTicket, notify: TrackedRecipient<Committed>, queued: Instant },
    Member(MemberTouch),
    Write(RoomWrite),
}

/// The group-commit writer.
pub struct StoreWriter {
    store: Store,
    cfg: StoreConfig,
    dedupe_ms: i64,
    log: Logger,
    pending: VecDeque<Pending>,
    messages_pending: usize,
    committing: bool,
    /// Items at the head of `pending` to commit one per transaction, to isolate a
    /// message that makes its batch fail.
    isolate: usize,
    retry_delay: Duration,
    last_seqs: HashMap<String, i64>,
    /// Rooms forgotten while a commit was in flight (its seq cache is applied after).
    forgotten: Vec<String>,
    /// Cluster mode on PostgreSQL: a writer transaction left idle this long (the node
    /// froze mid-commit) is aborted by the server, releasing its row locks well
    /// before another node can take the node's rooms (`cluster.lease_ms`).
    idle_txn_timeout_ms: Option<u64>,
    flush_waiters: Vec<oneshot::Sender<()>>,
    /// Restarts after a panic, since the process started.
    pub restarts: u32,
    /// A `batch_max_delay_us` wait is running.
    delaying: bool,
    mailbox: Registration,
}

const RETRY_MIN: Duration = Duration::from_millis(20);
const RETRY_MAX: Duration = Duration::from_secs(2);

impl StoreWriter {
    /// Starts the writer on `arbiter` under an actix `Supervisor`.
    pub fn start_supervised(
        arbiter: &ArbiterHandle,
        store: Store,
        cfg: &Settings,
        log: &Logger,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::StoreWriter, "store", &cfg.metrics);
        let stats = mailbox.stats().clone();
        let (scfg, dedupe, log) =
            (cfg.store.clone(), cfg.rooms.dedupe_secs, log.new(slog::o!("actor" => "store_writer")));
        let idle_txn = cfg.cluster.idle_txn_timeout_ms();
        let addr = Supervisor::start_in_arbiter(arbiter, move |_| {
            let mut writer = Self::new(store, scfg, dedupe, log, mailbox);
            writer.idle_txn_timeout_ms = idle_txn;
            writer
        });
        TrackedAddr::new(addr, stats)
    }

    fn new(store: Store, cfg: StoreConfig, dedupe_secs: u64, log: Logger, mailbox: Registration) -> Self {
        Self {
            store,
            cfg,
            dedupe_ms: (dedupe_secs as i64).saturating_mul(1000),
            log,
            pending: VecDeque::new(),
            messages_pending: 0,
            committing: false,
            isolate: 0,
            retry_delay: RETRY_MIN,
            last_seqs: HashMap::new(),
            forgotten: Vec::new(),
            idle_txn_timeout_ms: None,
            flush_waiters: Vec::new(),
            restarts: 0,
            delaying: false,
            mailbox,
        }
    }
}

impl Actor for StoreWriter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.cfg.mailbox_capacity);
        self.mailbox.set_capacity(self.cfg.mailbox_capacity);
        // After a restart, carry on with what was queued.
        self.commit_next(ctx);
    }
}

/// Restarted in place by its `Supervisor` after a panic: the queue of pending writes
/// is kept; what was derived from the failed incarnation (the seq cache, the commit in
/// flight) is dropped. A batch whose commit was in flight gets no report: its senders
/// resend with the same `client_id` and get the original seq.
impl Supervised for StoreWriter {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.committing = false;
        self.isolate = 0;
        self.last_seqs.clear();
        self.delaying = false;
        self.restarts += 1;
        self.mailbox.on_restart();
    }
}

impl Metered for StoreWriter {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::tracked_handlers!(StoreWriter: AppendMessage, TouchMember, Flush, ForgetRoom, WriteRoom, AppendWelcome);

impl Handler<ForgetRoom> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: ForgetRoom, _: &mut Self::Context) {
        self.last_seqs.remove(&m.0);
        if self.committing {
            self.forgotten.push(m.0);
        }
    }
}

impl StoreWriter {
    /// Puts back the seq cache a commit worked with, minus the rooms forgotten meanwhile.
    fn restore_seqs(&mut self, mut last_seqs: HashMap<String, i64>) {
        for room in self.forgotten.drain(..) {
            last_seqs.remove(&room);
        }
        self.last_seqs = last_seqs;
    }
}

impl Handler<AppendMessage> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: AppendMessage, ctx: &mut Self::Context) {
        self.guarded(ctx, |w, ctx| w.on_append(m, ctx));
    }
}

impl StoreWriter {
    fn on_append(&mut self, m: AppendMessage, ctx: &mut Context<Self>) {
        if self.messages_pending >= self.cfg.max_pending {
            m.notify.do_send(Committed { results: vec![(m.ticket, Err(ErrorCode::RoomUnavailable))] });
            return;
        }
        self.messages_pending += 1;
        self.pending.push_back(Pending::Message {
            msg: m.msg,
            ticket: m.ticket,
            notify: m.notify,
            queued: Instant::now(),
        });
        self.commit_next(ctx);
    }
}

impl Handler<TouchMember> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: TouchMember, ctx: &mut Self::Context) {
        self.guarded(ctx, |w, ctx| {
            w.pending.push_back(Pending::Member(m.0));
            w.commit_next(ctx);
        });
    }
}

impl Handler<WriteRoom> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: WriteRoom, ctx: &mut Self::Context) {
        self.guarded(ctx, |w, ctx| {
            w.pending.push_back(Pending::Write(m.0));
            w.commit_next(ctx);
        });
    }
}

impl Handler<AppendWelcome> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: AppendWelcome, ctx: &mut Self::Context) {
        self.guarded(ctx, |w, ctx| {
            // Queued before the message: `on_append` starts the commit, which then
            // takes both into one transaction. A message refused for lack of room
            // (`max_pending`) leaves no mark either.
            if w.messages_pending < w.cfg.max_pending {
                w.pending.push_back(Pending::Write(RoomWrite::Welcome(m.mark)));
            }
            w.on_append(m.append, ctx);
        });
    }
}

impl Handler<Flush> for StoreWriter {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Flush, ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.flush_waiters.push(tx);
        self.guarded(ctx, |w, ctx| w.commit_next(ctx));
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// The result of committing one batch on the blocking pool.
struct BatchResult {
    batch: Vec<Pending>,
    last_seqs: HashMap<String, i64>,
    outcome: Result<Vec<AppendOutcome>, StoreError>,
}

impl StoreWriter {
    /// Runs a handler body; a panic stops the writer so its `Supervisor` restarts it.
    fn guarded(&mut self, ctx: &mut Context<Self>, body: impl FnOnce(&mut Self, &mut Context<Self>)) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body(self, ctx))) {
            error!(self.log, "store writer crashed, restarting"; "err" => panic_message(&panic));
            ctx.stop();
        }
    }

    /// Starts the next commit unless one is running (or a batch delay is).
    fn commit_next(&mut self, ctx: &mut Context<Self>) {
        if self.committing || self.delaying {
            return;
        }
        if self.pending.is_empty() {
            for w in self.flush_waiters.drain(..) {
                let _ = w.send(());
            }
            return;
        }
        let delay = Duration::from_micros(self.cfg.batch_max_delay_us);
        let full = self.pending.len() >= self.cfg.batch_max_rows.max(1);
        let oldest_waited = self.pending.iter().find_map(|p| match p {
            Pending::Message { queued, .. } => Some(queued.elapsed()),
            Pending::Member(_) | Pending::Write(_) => None,
        });
        if !delay.is_zero()
            && !full
            && self.flush_waiters.is_empty()
            && oldest_waited.is_some_and(|w| w < delay)
        {
            // Let more rows gather, from the first one's arrival, up to the delay.
            self.delaying = true;
            let wait = delay - oldest_waited.unwrap_or_default();
            ctx.run_later(wait, |act, ctx| {
                act.delaying = false;
                act.commit_next(ctx);
            });
            return;
        }
        let take = if self.isolate > 0 { 1 } else { self.pending.len().min(self.cfg.batch_max_rows.max(1)) };
        let batch: Vec<Pending> = self.pending.drain(..take).collect();
        self.committing = true;
        let store = self.store.clone();
        let mut last_seqs = mem::take(&mut self.last_seqs);
        let (dedupe_ms, now) = (self.dedupe_ms, crate::model::now_ms());
        let idle_txn = self.idle_txn_timeout_ms;
        let job = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let outcome = store.run_blocking(|c| {
                write_txn(c, |c| {
                    abort_if_left_idle(c, idle_txn)?;
                    let msgs: Vec<NewMessage> = batch
                        .iter()
                        .filter_map(|p| match p {
                            Pending::Message { msg, .. } => Some(msg.clone()),
                            Pending::Member(_) | Pending::Write(_) => None,
                        })
                        .collect();
                    let outcomes = append_batch(c, &msgs, &mut last_seqs, dedupe_ms, now)?;
                    for p in &batch {
                        match p {
                            Pending::Member(t) => t.apply(c)?,
                            Pending::Write(w) => w.apply(c)?,
                            Pending::Message { .. } => {}
                        }
                    }
                    Ok::<_, StoreError>(outcomes)
                })
            });
            // A failure that does not look like an outage may still be one (a connection
            // cut mid-transaction reports all sorts of errors): ask the store.
            let outcome = match outcome {
                Err(e) if !e.is_transient() && !store.reachable() => {
                    Err(StoreError::Unavailable(e.to_string()))
                }
                other => other,
            };
            if outcome.is_ok() {
                metrics().store_commit.observe(started.elapsed().as_secs_f64());
                metrics().store_batch_rows.observe(batch.len() as f64);
            }
            BatchResult { batch, last_seqs, outcome }
        });
        ctx.spawn(job.into_actor(self).map(|res, act, ctx| {
            act.committing = false;
            match res {
                Ok(r) => act.finish(r, ctx),
                Err(e) => {
                    // The blocking task panicked: nothing committed for certain
                    // and the batch is gone; its senders get no ack and may resend.
                    error!(act.log, "store batch task failed"; "err" => %e);
                    act.last_seqs.clear();
                    act.commit_next(ctx);
                }
            }
        }));
    }

    fn finish(&mut self, r: BatchResult, ctx: &mut Context<Self>) {
        let BatchResult { batch, mut last_seqs, outcome } = r;
        match outcome {
            Ok(outcomes) => {
                let stored = outcomes.iter().filter(|o| matches!(o, AppendOutcome::Stored(_))).count();
                metrics().messages.inc_by(stored as u64);
                self.restore_seqs(last_seqs);
                self.retry_delay = RETRY_MIN;
                self.isolate = self.isolate.saturating_sub(1);
                self.notify(batch, outcomes.into_iter().map(Ok));
                self.commit_next(ctx);
            }
            Err(e) => {
                // Seqs read or advanced inside the failed transaction are not trusted.
                for p in &batch {
                    let room = match p {
                        Pending::Message { msg, .. } => &msg.room_id,
                        Pending::Member(t) => &t.room_id,
                        Pending::Write(w) => w.room_id(),
                    };
                    last_seqs.remove(room);
                }
                self.restore_seqs(last_seqs);
                if e.is_transient() {
                    self.retry_later(batch, &e, ctx);
                } else if batch.len() > 1 {
                    warn!(self.log, "store batch failed, isolating its items"; "err" => %e, "rows" => batch.len());
                    self.isolate = batch.len();
                    self.requeue_front(batch);
                    self.commit_next(ctx);
                } else {
                    error!(self.log, "store rejected a write"; "err" => %e);
                    self.isolate = self.isolate.saturating_sub(1);
                    self.notify(batch, std::iter::repeat(Err(ErrorCode::Internal)));
                    self.commit_next(ctx);
                }
            }
        }
    }

    /// Puts the batch back, fails what waited too long, and retries after a backoff.
    fn retry_later(&mut self, batch: Vec<Pending>, e: &StoreError, ctx: &mut Context<Self>) {
        warn!(self.log, "store unavailable, will retry"; "err" => %e, "retry_ms" => self.retry_delay.as_millis() as u64);
        self.requeue_front(batch);
        let timeout = Duration::from_millis(self.cfg.commit_timeout_ms);
        let (expired, kept): (Vec<Pending>, Vec<Pending>) = self
            .pending
            .drain(..)
            .partition(|p| matches!(p, Pending::Message { queued, .. } if queued.elapsed() > timeout));
        self.pending = kept.into();
        if !expired.is_empty() {
            self.notify(expired, std::iter::repeat(Err(ErrorCode::RoomUnavailable)));
        }
        let delay = self.retry_delay;
        self.retry_delay = (self.retry_delay * 2).min(RETRY_MAX);
        self.committing = true;
        ctx.run_later(delay, |act, ctx| {
            act.committing = false;
            act.commit_next(ctx);
        });
    }

    fn requeue_front(&mut self, batch: Vec<Pending>) {
        for p in batch.into_iter().rev() {
            self.pending.push_front(p);
        }
    }

    /// Sends each room its results, in append order. `results` pairs with the batch's
    /// messages in order (membership items have no result).
    fn notify(
        &mut self,
        batch: Vec<Pending>,
        results: impl Iterator<Item = Result<AppendOutcome, ErrorCode>>,
    ) {
        let mut per_room: HashMap<String, (TrackedRecipient<Committed>, Vec<_>)> = HashMap::new();
        let mut results = results;
        for p in batch {
            if let Pending::Message { msg, ticket, notify, .. } = p {
                self.messages_pending = self.messages_pending.saturating_sub(1);
                let result = results.next().unwrap_or(Err(ErrorCode::Internal));
                per_room.entry(msg.room_id).or_insert_with(|| (notify, Vec::new())).1.push((ticket, result));
            }
        }
        for (_, (notify, results)) in per_room {
            // do_send: a commit result must never be dropped for lack of mailbox room
            // (the room's mailbox bound applies to senders, not to the writer).
            notify.do_send(Committed { results });
        }
    }
}
