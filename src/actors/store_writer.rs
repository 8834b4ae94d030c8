//! `StoreWriter`: the one actor that appends (and deletes) messages. Group commit:
//! everything that queues while a transaction commits goes into the next transaction
//! (up to `store.batch_max_rows`), with no fixed delay. Sequence numbers are assigned
//! inside the transaction, so they are gap-free and never reused. Each writer has an
//! arbiter (a thread) of its own and commits on it: diesel blocks that thread, which
//! runs nothing else, and no commit crosses to another thread and back (measured in
//! docs/PERFORMANCE.md: 21% less server CPU at 1,000 msg/s than with the commit on
//! the blocking pool).
//!
//! Store outage: a batch that fails for a transient reason is retried with backoff;
//! messages, deletions (and joins waiting for their membership) wait at most
//! `store.commit_timeout_ms` (then `room_unavailable`). Every item — message,
//! membership, read position, welcome mark, deletion — is admitted by its sender
//! through the [`WriteGate`] (at most `store.max_pending` wait at once) and released
//! here when its outcome is known; an admitted item is never dropped, only committed
//! or failed. A full disk refuses the batch's messages and deletions at once with
//! `room_unavailable` and makes `/readyz` 503 until a commit succeeds again.

use std::collections::{HashMap, VecDeque};
use std::mem;
use std::time::{Duration, Instant};

use actix::prelude::*;
use diesel::r2d2::R2D2Connection;
use slog::{error, warn, Logger};
use tokio::sync::oneshot;

use super::exchange::{Committed, SendTicket};
use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr, TrackedRecipient};
use super::shell::Shell;
use crate::actors::write_gate::WriteGate;
use crate::backoff::Backoff;
use crate::config::{Settings, StoreConfig};
use crate::error::ErrorCode;
use crate::metrics::metrics;
use crate::store::conn::write_txn;
use crate::store::members::MemberWrite;
use crate::store::messages::{append_batch, AppendOutcome, NewMessage};
use crate::store::room_life::{RoomWrite, WelcomeMark};
use crate::store::tombstones::{Tombstone, TombstoneOutcome};
use crate::store::{probe_write, DbConn, Store, StoreError, WriterConn};

/// Append a message; the result goes to `notify` as part of a [`Committed`]. The
/// sender admitted it through the [`WriteGate`].
#[derive(Message)]
#[rtype(result = "()")]
pub struct AppendMessage {
    pub msg: NewMessage,
    pub ticket: SendTicket,
    pub notify: TrackedRecipient<Committed>,
}

/// What became of a membership write: whether it touched a row, or why it failed.
pub type MemberDone = oneshot::Sender<Result<bool, ErrorCode>>;

/// Create, refresh or remove a membership; committed with the next batch, in the
/// order sent. With `done`, the outcome is reported there, and a write that waits
/// longer than `store.commit_timeout_ms` for a store outage to end is failed
/// (`room_unavailable`) — except a removal, which is kept until it commits.
#[derive(Message)]
#[rtype(result = "()")]
pub struct WriteMember {
    pub write: MemberWrite,
    pub done: Option<MemberDone>,
}

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

/// What became of a deletion, for whoever asked the room for it.
pub type TombstoneDone = oneshot::Sender<Result<TombstoneOutcome, ErrorCode>>;

/// Delete messages (make them tombstones); committed with the next batch, after its
/// appends, so it follows the insert of every message queued before it. The outcome
/// goes to `notify` as a [`Tombstoned`], after that batch's [`Committed`] (same
/// mailbox, so the room has delivered a message before it learns of its deletion).
/// Like an append, it fails (`room_unavailable`) after `store.commit_timeout_ms` of
/// outage. The sender admitted it through the [`WriteGate`].
#[derive(Message)]
#[rtype(result = "()")]
pub struct WriteTombstone {
    pub write: Tombstone,
    pub done: TombstoneDone,
    pub notify: TrackedRecipient<Tombstoned>,
}

/// To the room: a deletion's outcome, to apply (tail, `message_deleted`) and pass on
/// to `done`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Tombstoned {
    pub outcome: Result<TombstoneOutcome, ErrorCode>,
    pub done: TombstoneDone,
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

// Messages are nearly every item: boxing the large variant would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Pending {
    Message { msg: NewMessage, ticket: SendTicket, notify: TrackedRecipient<Committed>, queued: Instant },
    Member { write: MemberWrite, done: Option<MemberDone>, queued: Instant },
    Write(RoomWrite),
    Tombstone { write: Tombstone, done: TombstoneDone, notify: TrackedRecipient<Tombstoned>, queued: Instant },
}

impl Pending {
    /// When the item was queued, if it fails after `commit_timeout_ms` of outage.
    fn expires_from(&self) -> Option<Instant> {
        match self {
            Pending::Message { queued, .. } | Pending::Tombstone { queued, .. } => Some(*queued),
            Pending::Member { write: MemberWrite::Touch(_), done: Some(_), queued } => Some(*queued),
            Pending::Member { .. } | Pending::Write(_) => None,
        }
    }

    fn room_id(&self) -> &str {
        match self {
            Pending::Message { msg, .. } => &msg.room_id,
            Pending::Member { write, .. } => write.room_id(),
            Pending::Write(w) => w.room_id(),
            Pending::Tombstone { write, .. } => &write.room_id,
        }
    }
}

/// The group-commit writer.
pub struct StoreWriter {
    store: Store,
    cfg: StoreConfig,
    dedupe_ms: i64,
    log: Logger,
    pending: VecDeque<Pending>,
    /// Admitted items not yet released (shared with the senders).
    gate: WriteGate,
    /// Items in the commit under way.
    in_flight: usize,
    committing: bool,
    /// Items at the head of `pending` to commit one per transaction, to isolate a
    /// message that makes its batch fail.
    isolate: usize,
    /// Commits failed in a row for a transient reason (the retry waits `RETRY.delay`).
    failures: u32,
    last_seqs: HashMap<String, i64>,
    /// Rooms forgotten while a commit was in flight (its seq cache is applied after).
    forgotten: Vec<String>,
    /// Cluster mode on PostgreSQL: a writer transaction left idle this long (the node
    /// froze mid-commit) is aborted by the server, releasing its row locks well
    /// before another node can take the node's rooms (`cluster.lease_ms`).
    idle_txn_timeout_ms: Option<u64>,
    flush_waiters: Vec<oneshot::Sender<()>>,
    /// The connection this writer commits on, kept between commits (`None` after a
    /// failed commit, or when the store had none to give; the next commit asks again).
    conn: Option<WriterConn>,
    /// Restarts after a panic, since the process started.
    pub restarts: u32,
    /// A `batch_max_delay_us` wait is running.
    delaying: bool,
    mailbox: Registration,
}

const RETRY_MAX: Duration = Duration::from_secs(2);
/// The wait after the n-th transient failure in a row: 20 ms doubling to `RETRY_MAX`.
const RETRY: Backoff = Backoff::doubling(Duration::from_millis(20), RETRY_MAX);

impl StoreWriter {
    /// Starts a writer named `name` on `arbiter` under an actix `Supervisor`; senders
    /// admit their writes through `gate` (`StoreWriters::start` starts them all).
    pub fn start_supervised(
        arbiter: &ArbiterHandle,
        store: Store,
        cfg: &Settings,
        log: &Logger,
        gate: WriteGate,
        name: String,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::StoreWriter, name.clone(), &cfg.metrics);
        let stats = mailbox.stats().clone();
        let (scfg, dedupe, log) = (
            cfg.store.clone(),
            cfg.rooms.dedupe_secs,
            log.new(slog::o!("actor" => "store_writer", "writer" => name)),
        );
        let idle_txn = cfg.cluster.idle_txn_timeout_ms();
        let addr = Supervisor::start_in_arbiter(arbiter, move |_| {
            let mut writer = Self::new(store, scfg, dedupe, log, mailbox, gate);
            writer.idle_txn_timeout_ms = idle_txn;
            writer
        });
        TrackedAddr::new(addr, stats)
    }

    fn new(
        store: Store,
        cfg: StoreConfig,
        dedupe_secs: u64,
        log: Logger,
        mailbox: Registration,
        gate: WriteGate,
    ) -> Self {
        Self {
            store,
            cfg,
            dedupe_ms: (dedupe_secs as i64).saturating_mul(1000),
            log,
            pending: VecDeque::new(),
            gate,
            in_flight: 0,
            committing: false,
            isolate: 0,
            failures: 0,
            last_seqs: HashMap::new(),
            forgotten: Vec::new(),
            idle_txn_timeout_ms: None,
            flush_waiters: Vec::new(),
            conn: None,
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
        // The connection now rather than with the first message (which would wait
        // for it); if the store cannot give one, the first commit asks again.
        self.conn = self.store.writer_connection(self.idle_txn_timeout_ms).ok();
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
        self.conn = None;
        self.restarts += 1;
    }
}

impl Metered for StoreWriter {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

/// A panic stops the writer; its `Supervisor` restarts it in place (`restarting`).
impl Shell for StoreWriter {
    const NAME: &'static str = "store writer";

    fn log(&self) -> &Logger {
        &self.log
    }
}

crate::actor_shell!(StoreWriter: AppendMessage, WriteMember, Flush, ForgetRoom, WriteRoom, AppendWelcome, WriteTombstone);

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
        self.on_append(m, ctx);
    }
}

impl StoreWriter {
    fn on_append(&mut self, m: AppendMessage, ctx: &mut Context<Self>) {
        self.pending.push_back(Pending::Message {
            msg: m.msg,
            ticket: m.ticket,
            notify: m.notify,
            queued: Instant::now(),
        });
        self.commit_next(ctx);
    }
}

impl Handler<WriteMember> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: WriteMember, ctx: &mut Self::Context) {
        self.pending.push_back(Pending::Member { write: m.write, done: m.done, queued: Instant::now() });
        self.commit_next(ctx);
    }
}

impl Handler<WriteRoom> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: WriteRoom, ctx: &mut Self::Context) {
        self.pending.push_back(Pending::Write(m.0));
        self.commit_next(ctx);
    }
}

impl Handler<WriteTombstone> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: WriteTombstone, ctx: &mut Self::Context) {
        let (write, done, notify) = (m.write, m.done, m.notify);
        self.pending.push_back(Pending::Tombstone { write, done, notify, queued: Instant::now() });
        self.commit_next(ctx);
    }
}

impl Handler<AppendWelcome> for StoreWriter {
    type Result = ();

    fn handle(&mut self, m: AppendWelcome, ctx: &mut Self::Context) {
        // Queued before the message: `on_append` starts the commit, which then
        // takes both into one transaction (the sender admitted both).
        self.pending.push_back(Pending::Write(RoomWrite::Welcome(m.mark)));
        self.on_append(m.append, ctx);
    }
}

impl Handler<Flush> for StoreWriter {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Flush, ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.flush_waiters.push(tx);
        self.commit_next(ctx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// What a batch's commit reports: the messages' outcomes, whether each membership
/// write touched a row, and the deletions' outcomes (each in batch order).
type BatchOutcome = (Vec<AppendOutcome>, Vec<bool>, Vec<TombstoneOutcome>);

/// One batch's transaction on `c`: the messages appended in order, then each other
/// write in its place. `last_seqs` is advanced; the caller keeps it only on success.
fn commit_batch(
    store: &Store,
    c: &mut DbConn,
    batch: &[Pending],
    last_seqs: &mut HashMap<String, i64>,
    dedupe_ms: i64,
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    store.restart_wal_if_due(c);
    write_txn(c, |c| {
        // Rooms first: a message notes its time on its room's row, a membership counts
        // on it.
        for p in batch {
            if let Pending::Write(w) = p {
                if w.creates_room() {
                    w.apply(c)?;
                }
            }
        }
        let msgs: Vec<NewMessage> = batch
            .iter()
            .filter_map(|p| match p {
                Pending::Message { msg, .. } => Some(msg.clone()),
                Pending::Member { .. } | Pending::Write(_) | Pending::Tombstone { .. } => None,
            })
            .collect();
        let outcomes = append_batch(c, &msgs, last_seqs, dedupe_ms, now)?;
        let (mut members, mut tombstones) = (Vec::new(), Vec::new());
        for p in batch {
            match p {
                Pending::Member { write, .. } => members.push(write.apply(c)?),
                Pending::Write(w) if !w.creates_room() => w.apply(c)?,
                Pending::Write(_) | Pending::Message { .. } => {}
                // After every append above: a deletion sees the insert of
                // each message queued before it.
                Pending::Tombstone { write, .. } => tombstones.push(write.apply(c)?),
            }
        }
        Ok::<_, StoreError>((outcomes, members, tombstones))
    })
}

/// The result of committing one batch.
struct BatchResult {
    batch: Vec<Pending>,
    last_seqs: HashMap<String, i64>,
    outcome: Result<BatchOutcome, StoreError>,
}

impl StoreWriter {
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
            Pending::Member { .. } | Pending::Write(_) | Pending::Tombstone { .. } => None,
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
        // The commit runs on this writer's own arbiter thread, as a spawned item: actix
        // polls spawned items only after handling every message already queued, so the
        // batch taken then holds everything that arrived meanwhile (group commit).
        self.committing = true;
        ctx.spawn(actix::fut::ready(()).map(|(), act: &mut Self, ctx| act.commit_now(ctx)));
    }

    /// Commits the head of the queue on the calling thread (the writer's arbiter).
    fn commit_now(&mut self, ctx: &mut Context<Self>) {
        let take = if self.isolate > 0 { 1 } else { self.pending.len().min(self.cfg.batch_max_rows.max(1)) };
        let batch: Vec<Pending> = self.pending.drain(..take).collect();
        self.in_flight = batch.len();
        let store = self.store.clone();
        let mut last_seqs = mem::take(&mut self.last_seqs);
        let (dedupe_ms, now) = (self.dedupe_ms, crate::model::now_ms());
        let idle_txn = self.idle_txn_timeout_ms;
        let held = self.conn.take();
        // A panic drops the connection (and a transaction left open on it: r2d2
        // discards a connection still in a transaction).
        let job = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let started = Instant::now();
            let (mut conn, outcome) = match held.map_or_else(|| store.writer_connection(idle_txn), Ok) {
                Ok(mut c) => {
                    let outcome = commit_batch(&store, &mut c, &batch, &mut last_seqs, dedupe_ms, now);
                    (Some(c), outcome)
                }
                Err(e) => (None, Err(e)),
            };
            // A failure that does not look like an outage may still be one (a connection
            // cut mid-transaction reports all sorts of errors): ask the connection, then
            // the store.
            let outcome = match outcome {
                Err(e)
                    if !e.is_transient()
                        && !e.is_full()
                        && (conn.as_mut().is_some_and(|c| c.ping().is_err()) || !store.reachable()) =>
                {
                    Err(StoreError::Unavailable(e.to_string()))
                }
                other => other,
            };
            if outcome.is_ok() {
                metrics().store_commit.observe(started.elapsed().as_secs_f64());
                metrics().store_batch_rows.observe(batch.len() as f64);
            }
            // After a failure the connection goes back to the pool, which tests it
            // before handing it out again.
            let conn = conn.filter(|_| outcome.is_ok());
            (BatchResult { batch, last_seqs, outcome }, conn)
        }));
        self.committing = false;
        match job {
            Ok((r, conn)) => {
                self.conn = conn;
                self.finish(r, ctx)
            }
            Err(_) => {
                // The commit panicked: nothing committed for certain and the batch
                // is gone; its senders get no ack and may resend (a membership
                // write's `done` is dropped: its waiter fails).
                error!(self.log, "store batch commit panicked");
                self.gate.release(mem::take(&mut self.in_flight));
                self.last_seqs.clear();
                self.commit_next(ctx);
            }
        }
    }

    fn finish(&mut self, r: BatchResult, ctx: &mut Context<Self>) {
        let BatchResult { batch, mut last_seqs, outcome } = r;
        match outcome {
            Ok((outcomes, members, tombstones)) => {
                self.store.note_write(true);
                let stored = outcomes.iter().filter(|o| matches!(o, AppendOutcome::Stored(_))).count();
                metrics().messages.inc_by(stored as u64);
                self.restore_seqs(last_seqs);
                self.failures = 0;
                self.isolate = self.isolate.saturating_sub(1);
                self.notify(
                    batch,
                    outcomes.into_iter().map(Ok),
                    members.into_iter().map(Ok),
                    tombstones.into_iter().map(Ok),
                );
                self.commit_next(ctx);
            }
            Err(e) => {
                // Seqs read or advanced inside the failed transaction are not trusted.
                for p in &batch {
                    last_seqs.remove(p.room_id());
                }
                self.restore_seqs(last_seqs);
                if e.is_full() {
                    self.disk_full(batch, &e, ctx);
                } else if e.is_transient() {
                    self.retry_later(batch, &e, ctx);
                } else if batch.len() > 1 {
                    warn!(self.log, "store batch failed, isolating its items"; "err" => %e, "rows" => batch.len());
                    self.isolate = batch.len();
                    self.requeue_front(batch);
                    self.commit_next(ctx);
                } else {
                    error!(self.log, "store rejected a write"; "err" => %e);
                    self.isolate = self.isolate.saturating_sub(1);
                    self.fail(batch, ErrorCode::Internal);
                    self.commit_next(ctx);
                }
            }
        }
    }

    /// Puts the batch back, fails what waited too long (messages, joins), and retries
    /// after a backoff; everything else stays queued until it commits.
    fn retry_later(&mut self, batch: Vec<Pending>, e: &StoreError, ctx: &mut Context<Self>) {
        self.failures = self.failures.saturating_add(1);
        let delay = RETRY.delay(self.failures);
        warn!(self.log, "store unavailable, will retry"; "err" => %e, "retry_ms" => delay.as_millis() as u64);
        self.requeue_front(batch);
        let timeout = Duration::from_millis(self.cfg.commit_timeout_ms);
        let (expired, kept): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| p.expires_from().is_some_and(|q| q.elapsed() > timeout));
        self.pending = kept.into();
        if !expired.is_empty() {
            self.fail(expired, ErrorCode::RoomUnavailable);
        }
        self.committing = true;
        ctx.run_later(delay, |act, ctx| {
            act.committing = false;
            act.commit_next(ctx);
        });
    }

    /// The disk is full: no item is at fault, and waiting rarely helps soon. The batch's
    /// messages are refused at once (`room_unavailable`: their senders resend with the
    /// same `client_id`), its other writes wait at the head of the queue, `/readyz`
    /// answers 503 until a commit succeeds, and one is tried every `RETRY_MAX` (the
    /// queue, or else `probe_write`) so readiness comes back with the space.
    fn disk_full(&mut self, batch: Vec<Pending>, e: &StoreError, ctx: &mut Context<Self>) {
        error!(self.log, "store disk full: writes refused until a commit succeeds"; "err" => %e);
        self.store.note_write(false);
        self.isolate = 0;
        let (messages, others): (Vec<Pending>, Vec<Pending>) =
            batch.into_iter().partition(|p| matches!(p, Pending::Message { .. } | Pending::Tombstone { .. }));
        self.requeue_front(others);
        self.fail(messages, ErrorCode::RoomUnavailable);
        self.retry_after_full(ctx);
    }

    /// After `RETRY_MAX`: commits what is queued, or probes when nothing is.
    fn retry_after_full(&mut self, ctx: &mut Context<Self>) {
        self.committing = true;
        ctx.run_later(RETRY_MAX, |act, ctx| {
            act.committing = false;
            if act.pending.is_empty() && act.store.writes_failing() {
                act.probe(ctx);
            } else {
                act.commit_next(ctx);
            }
        });
    }

    /// With nothing queued after a full disk: one small real write, to learn whether
    /// writes succeed again.
    fn probe(&mut self, ctx: &mut Context<Self>) {
        self.committing = true;
        let store = self.store.clone();
        let job = tokio::task::spawn_blocking(move || store.run_blocking(|c| write_txn(c, probe_write)));
        ctx.spawn(job.into_actor(self).map(|res, act, ctx| {
            act.committing = false;
            match res {
                Ok(Ok(())) => {
                    act.store.note_write(true);
                    act.commit_next(ctx);
                }
                _ => act.retry_after_full(ctx),
            }
        }));
    }

    fn requeue_front(&mut self, batch: Vec<Pending>) {
        for p in batch.into_iter().rev() {
            self.pending.push_front(p);
        }
    }

    /// Fails every item of `batch` with `code`.
    fn fail(&mut self, batch: Vec<Pending>, code: ErrorCode) {
        let (e1, e2, e3) =
            (std::iter::repeat(Err(code)), std::iter::repeat(Err(code)), std::iter::repeat(Err(code)));
        self.notify(batch, e1, e2, e3);
    }

    /// Sends each room its results, in append order, and each membership write's
    /// waiter its outcome, then each deletion's room its outcome; releases every item
    /// from the gate. `results` pairs with the batch's messages in order, `members`
    /// with its membership writes, `tombstones` with its deletions.
    fn notify(
        &mut self,
        batch: Vec<Pending>,
        mut results: impl Iterator<Item = Result<AppendOutcome, ErrorCode>>,
        mut members: impl Iterator<Item = Result<bool, ErrorCode>>,
        mut tombstones: impl Iterator<Item = Result<TombstoneOutcome, ErrorCode>>,
    ) {
        let mut per_room: HashMap<String, (TrackedRecipient<Committed>, Vec<_>)> = HashMap::new();
        let mut deletions = Vec::new();
        self.gate.release(batch.len());
        for p in batch {
            match p {
                Pending::Message { msg, ticket, notify, .. } => {
                    let result = results.next().unwrap_or(Err(ErrorCode::Internal));
                    per_room
                        .entry(msg.room_id)
                        .or_insert_with(|| (notify, Vec::new()))
                        .1
                        .push((ticket, result));
                }
                Pending::Member { done, .. } => {
                    let result = members.next().unwrap_or(Err(ErrorCode::Internal));
                    if let Some(done) = done {
                        let _ = done.send(result);
                    }
                }
                Pending::Write(_) => {}
                Pending::Tombstone { done, notify, .. } => {
                    let outcome = tombstones.next().unwrap_or(Err(ErrorCode::Internal));
                    deletions.push((notify, Tombstoned { outcome, done }));
                }
            }
        }
        for (_, (notify, results)) in per_room {
            // do_send: a commit result must never be dropped for lack of mailbox room
            // (the room's mailbox bound applies to senders, not to the writer).
            notify.do_send(Committed { results });
        }
        // After the commits: a room delivers a message before its deletion.
        for (notify, tombstoned) in deletions {
            notify.do_send(tombstoned);
        }
    }
}
