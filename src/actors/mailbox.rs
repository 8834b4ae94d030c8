//! Mailbox metering for every actor. actix exposes no queue length, so each metered
//! actor's messages travel in a [`Tracked`] envelope through a [`TrackedAddr`] or
//! [`TrackedRecipient`], which count the enqueue (and, when timing is on, stamp the
//! time); the actor's `Handler<Tracked<M>>` (the shell, `shell.rs`) counts
//! the handling, records the wait (enqueue → handler start) and the handler time, and
//! then runs the actor's ordinary `Handler<M>`.
//!
//! `depth = enqueued − handled`. A message refused by a full or closed mailbox is not
//! counted. Every live actor's [`MailboxStats`] sits in the process-wide directory
//! ([`directory()`]) until the actor is gone for good (its [`Registration`] drops), so
//! `/metrics` ([`collector`], which reads the directory when scraped) and
//! `/api/v1/actors` see exactly the live actors.
//!
//! Wait and handler times go to a small per-actor histogram (for the p50/p99 of
//! `/api/v1/actors`) and to its kind's histogram ([`collector::kind_timing`]). Timing
//! can be sampled (`metrics.timing_sample`, every Nth message) or switched off with the
//! counters (`metrics.enabled = false`).

pub mod collector;
pub mod directory;

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix::dev::{Request, ToEnvelope};
use actix::prelude::*;
use crossbeam_utils::CachePadded;
use prometheus::{Histogram, HistogramOpts};

pub use self::directory::directory;
use crate::config::MetricsConfig;
use crate::metrics::{HistogramCounts, DURATION_BUCKETS};
pub use crate::model::ActorStatus;

/// What an actor is, as shown in `/api/v1/actors` and in the `actor` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Supervisor,
    Registry,
    Room,
    Session,
    StoreWriter,
    Broadcast,
    Scheduler,
    /// Cluster mode: the node's heartbeat and liveness watch.
    Cluster,
    /// The stats sampler: the once-a-second history of `GET /api/v1/overview`.
    Sampler,
    /// The retention actor: deletes expired messages (`actors/retention.rs`).
    Retention,
    /// A webhook endpoint's delivery actor, and the hub that starts them (`src/webhooks/`).
    Webhook,
}

impl ActorKind {
    pub const ALL: [ActorKind; 11] = [
        Self::Supervisor,
        Self::Registry,
        Self::Room,
        Self::Session,
        Self::StoreWriter,
        Self::Broadcast,
        Self::Scheduler,
        Self::Cluster,
        Self::Sampler,
        Self::Retention,
        Self::Webhook,
    ];

    /// The kind's place in [`ActorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supervisor => "supervisor",
            Self::Registry => "registry",
            Self::Room => "room",
            Self::Session => "session",
            Self::StoreWriter => "store_writer",
            Self::Broadcast => "broadcast",
            Self::Scheduler => "scheduler",
            Self::Cluster => "cluster",
            Self::Sampler => "sampler",
            Self::Retention => "retention",
            Self::Webhook => "webhook",
        }
    }
}

/// Wait and handler time of one actor.
struct Timing {
    wait: Histogram,
    handle: Histogram,
    kind_wait: Histogram,
    kind_handle: Histogram,
}

/// The figures of one actor's mailbox; shared by its addresses and the actor.
pub struct MailboxStats {
    pub kind: ActorKind,
    pub id: String,
    key: u64,
    enabled: bool,
    /// Look at one enqueue in this many (`metrics.timing_sample`, at least 1): time it
    /// (when timing is on) and compare the depth with `max_depth`.
    sample_every: u64,
    capacity: AtomicUsize,
    /// Written by senders (other threads)…
    enqueued: CachePadded<AtomicU64>,
    /// …and this by the actor's own thread: apart, so they do not share a cache line.
    handled: CachePadded<AtomicU64>,
    max_depth: AtomicU64,
    restarts: AtomicU32,
    /// Unix ms of the last restart; 0 = never.
    last_restart_ms: AtomicI64,
    status: AtomicU8,
    /// Whether wait and handler times are recorded at all.
    timed: bool,
    /// The actor's histograms, made at its first timed message (an idle session never
    /// pays for them).
    timing: OnceLock<Timing>,
}

/// A point-in-time copy of an actor's figures.
#[derive(Debug, Clone)]
pub struct MailboxSnapshot {
    pub kind: ActorKind,
    pub id: String,
    pub status: ActorStatus,
    pub depth: u64,
    pub capacity: usize,
    pub max_depth: u64,
    pub handled: u64,
    /// (p50, p99) in µs; `None` before the first timed message or with timing off.
    pub wait_us: Option<(f64, f64)>,
    pub handle_us: Option<(f64, f64)>,
    pub restarts: u32,
    pub last_restart_ms: Option<i64>,
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

impl MailboxStats {
    /// New figures for an actor of `kind` named `id`, registered in the directory until
    /// the returned [`Registration`] drops.
    pub fn register(kind: ActorKind, id: impl Into<String>, cfg: &MetricsConfig) -> Registration {
        let stats = Arc::new(Self {
            kind,
            id: id.into(),
            key: NEXT_KEY.fetch_add(1, Relaxed),
            enabled: cfg.enabled,
            sample_every: cfg.timing_sample.max(1),
            capacity: AtomicUsize::new(0),
            enqueued: CachePadded::new(AtomicU64::new(0)),
            handled: CachePadded::new(AtomicU64::new(0)),
            max_depth: AtomicU64::new(0),
            restarts: AtomicU32::new(0),
            last_restart_ms: AtomicI64::new(0),
            status: AtomicU8::new(ActorStatus::Running as u8),
            timed: cfg.enabled && cfg.timing_sample > 0,
            timing: OnceLock::new(),
        });
        directory().insert(stats.key, stats.clone());
        Registration(stats)
    }

    /// Counts a message about to be enqueued; returns its stamp if it is to be timed.
    /// Only sampled enqueues read `handled` (written by the actor's thread), so the
    /// common path touches no cache line another thread writes.
    fn on_enqueue(&self) -> Option<Instant> {
        if !self.enabled {
            return None;
        }
        // The N-th, 2N-th, … enqueue is sampled (not the first), so an actor that
        // handles fewer than N messages never allocates its histograms.
        let n = self.enqueued.fetch_add(1, Relaxed) + 1;
        if !n.is_multiple_of(self.sample_every) {
            return None;
        }
        self.note_depth(n.saturating_sub(self.handled.load(Relaxed)));
        self.timed.then(Instant::now)
    }

    fn timing(&self) -> &Timing {
        self.timing.get_or_init(|| {
            let (kind_wait, kind_handle) = collector::kind_timing(self.kind);
            Timing {
                wait: actor_histogram("wait"),
                handle: actor_histogram("handle"),
                kind_wait,
                kind_handle,
            }
        })
    }

    fn note_depth(&self, depth: u64) {
        if depth > self.max_depth.load(Relaxed) {
            self.max_depth.fetch_max(depth, Relaxed);
        }
    }

    /// Uncounts a message a mailbox refused and hands it back unwrapped.
    fn refused<M>(&self, e: SendError<Tracked<M>>) -> SendError<M> {
        self.on_refused(matches!(e, SendError::Full(_)));
        match e {
            SendError::Full(t) => SendError::Full(t.msg),
            SendError::Closed(t) => SendError::Closed(t.msg),
        }
    }

    /// A counted message did not make it into the mailbox; `full` says the mailbox
    /// was at its capacity.
    fn on_refused(&self, full: bool) {
        if self.enabled {
            self.enqueued.fetch_sub(1, Relaxed);
            if full {
                self.note_depth(self.capacity.load(Relaxed) as u64);
            }
        }
    }

    /// Counts the start of a handler; returns the start time if the message is timed.
    pub fn on_handle(&self, enqueued_at: Option<Instant>) -> Option<Instant> {
        if !self.enabled {
            return None;
        }
        self.handled.fetch_add(1, Relaxed);
        let at = enqueued_at?;
        let t = self.timing();
        let now = Instant::now();
        let wait = now.saturating_duration_since(at).as_secs_f64();
        t.wait.observe(wait);
        t.kind_wait.observe(wait);
        Some(now)
    }

    /// Records the handler time of a timed message.
    pub fn on_handled(&self, started: Option<Instant>) {
        if let (Some(t), Some(s)) = (self.timing.get(), started) {
            let secs = s.elapsed().as_secs_f64();
            t.handle.observe(secs);
            t.kind_handle.observe(secs);
        }
    }

    pub fn set_capacity(&self, capacity: usize) {
        self.capacity.store(capacity, Relaxed);
    }

    pub fn set_status(&self, status: ActorStatus) {
        self.status.store(status as u8, Relaxed);
    }

    pub fn status(&self) -> ActorStatus {
        ActorStatus::from_u8(self.status.load(Relaxed))
    }

    /// Counts a restart (crash or operator) now.
    pub fn on_restart(&self) {
        self.restarts.fetch_add(1, Relaxed);
        self.last_restart_ms.store(crate::model::now_ms(), Relaxed);
    }

    pub fn restarts(&self) -> u32 {
        self.restarts.load(Relaxed)
    }

    pub fn depth(&self) -> u64 {
        self.enqueued.load(Relaxed).saturating_sub(self.handled.load(Relaxed))
    }

    pub fn max_depth(&self) -> u64 {
        self.max_depth.load(Relaxed)
    }

    pub fn handled(&self) -> u64 {
        self.handled.load(Relaxed)
    }

    /// p99 of the wait in µs (0 before any timed message): the `wait` sort key.
    pub fn wait_p99_us(&self) -> f64 {
        self.timing.get().and_then(|t| quantiles_us(&t.wait)).map_or(0.0, |q| q.1)
    }

    pub fn snapshot(&self) -> MailboxSnapshot {
        let last = self.last_restart_ms.load(Relaxed);
        MailboxSnapshot {
            kind: self.kind,
            id: self.id.clone(),
            status: self.status(),
            depth: self.depth(),
            capacity: self.capacity.load(Relaxed),
            max_depth: self.max_depth(),
            handled: self.handled(),
            wait_us: self.timing.get().and_then(|t| quantiles_us(&t.wait)),
            handle_us: self.timing.get().and_then(|t| quantiles_us(&t.handle)),
            restarts: self.restarts(),
            last_restart_ms: (last != 0).then_some(last),
        }
    }
}

/// Keeps an actor's figures in the directory; dropped with the actor (for a
/// supervised actor, when it stops for good, not at a restart).
pub struct Registration(Arc<MailboxStats>);

impl Registration {
    pub fn stats(&self) -> &Arc<MailboxStats> {
        &self.0
    }
}

impl std::ops::Deref for Registration {
    type Target = MailboxStats;

    fn deref(&self) -> &MailboxStats {
        &self.0
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        directory().remove(self.0.key);
    }
}

fn actor_histogram(name: &str) -> Histogram {
    let opts = HistogramOpts::new(name, name).buckets(DURATION_BUCKETS.to_vec());
    // The options are constant and valid; a failure would be a bug caught by any test.
    Histogram::with_opts(opts).unwrap_or_else(|e| panic!("histogram options: {e}"))
}

/// (p50, p99) in µs (`HistogramCounts::p50_p99`); `None` without observations.
fn quantiles_us(h: &Histogram) -> Option<(f64, f64)> {
    HistogramCounts::of(h).p50_p99().map(|(p50, p99)| (p50 * 1e6, p99 * 1e6))
}

/// A message with its enqueue stamp.
pub struct Tracked<M> {
    pub msg: M,
    pub enqueued_at: Option<Instant>,
}

impl<M: Message> Message for Tracked<M> {
    type Result = M::Result;
}

/// An actor's address that meters what it sends.
pub struct TrackedAddr<A: Actor> {
    addr: Addr<A>,
    stats: Arc<MailboxStats>,
}

impl<A: Actor> Clone for TrackedAddr<A> {
    fn clone(&self) -> Self {
        Self { addr: self.addr.clone(), stats: self.stats.clone() }
    }
}

impl<A: Actor> PartialEq for TrackedAddr<A> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}

impl<A: Actor> TrackedAddr<A> {
    pub fn new(addr: Addr<A>, stats: Arc<MailboxStats>) -> Self {
        Self { addr, stats }
    }

    pub fn connected(&self) -> bool {
        self.addr.connected()
    }

    pub fn stats(&self) -> &Arc<MailboxStats> {
        &self.stats
    }

    /// `Addr::do_send`: ignores the mailbox bound.
    pub fn do_send<M>(&self, msg: M)
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<Tracked<M>>,
        A::Context: ToEnvelope<A, Tracked<M>>,
    {
        let enqueued_at = self.stats.on_enqueue();
        self.addr.do_send(Tracked { msg, enqueued_at });
    }

    /// `Addr::try_send`: fails when the mailbox is full or closed.
    pub fn try_send<M>(&self, msg: M) -> Result<(), SendError<M>>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<Tracked<M>>,
        A::Context: ToEnvelope<A, Tracked<M>>,
    {
        let enqueued_at = self.stats.on_enqueue();
        self.addr.try_send(Tracked { msg, enqueued_at }).map_err(|e| self.stats.refused(e))
    }

    /// `Addr::send`: waits for room in the mailbox, then for the reply.
    pub fn send<M>(&self, msg: M) -> Request<A, Tracked<M>>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<Tracked<M>>,
        A::Context: ToEnvelope<A, Tracked<M>>,
    {
        let enqueued_at = self.stats.on_enqueue();
        self.addr.send(Tracked { msg, enqueued_at })
    }

    pub fn recipient<M>(&self) -> TrackedRecipient<M>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<Tracked<M>>,
        A::Context: ToEnvelope<A, Tracked<M>>,
    {
        TrackedRecipient { recipient: self.addr.clone().recipient(), stats: self.stats.clone() }
    }
}

/// Lets a handler reply with a `TrackedAddr` (as actix does for `Addr`).
impl<A, M, R> actix::dev::MessageResponse<A, M> for TrackedAddr<R>
where
    A: Actor,
    R: Actor,
    M: Message<Result = TrackedAddr<R>>,
{
    fn handle(self, _: &mut A::Context, tx: Option<actix::dev::OneshotSender<M::Result>>) {
        if let Some(tx) = tx {
            let _ = tx.send(self);
        }
    }
}

/// A recipient that meters what it sends.
pub struct TrackedRecipient<M: Message + Send>
where
    M::Result: Send,
{
    recipient: Recipient<Tracked<M>>,
    stats: Arc<MailboxStats>,
}

impl<M: Message + Send> Clone for TrackedRecipient<M>
where
    M::Result: Send,
{
    fn clone(&self) -> Self {
        Self { recipient: self.recipient.clone(), stats: self.stats.clone() }
    }
}

impl<M: Message + Send + 'static> TrackedRecipient<M>
where
    M::Result: Send,
{
    pub fn do_send(&self, msg: M) {
        let enqueued_at = self.stats.on_enqueue();
        self.recipient.do_send(Tracked { msg, enqueued_at });
    }

    pub fn try_send(&self, msg: M) -> Result<(), SendError<M>> {
        let enqueued_at = self.stats.on_enqueue();
        self.recipient.try_send(Tracked { msg, enqueued_at }).map_err(|e| self.stats.refused(e))
    }
}

/// Gives the tracked handlers their actor's figures.
pub trait Metered {
    fn mailbox(&self) -> &MailboxStats;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(timing_sample: u64) -> MetricsConfig {
        MetricsConfig { enabled: true, timing_sample, token: String::new() }
    }

    #[test]
    fn depth_is_enqueued_minus_handled_and_refusals_do_not_count() {
        let m = MailboxStats::register(ActorKind::Room, "t-depth", &cfg(1));
        for _ in 0..5 {
            m.on_enqueue();
        }
        m.on_refused(false);
        assert_eq!((m.depth(), m.max_depth()), (4, 5));
        let started = m.on_handle(Some(Instant::now()));
        m.on_handled(started);
        assert_eq!((m.depth(), m.handled(), m.max_depth()), (3, 1, 5));
        assert!(m.snapshot().wait_us.is_some() && m.snapshot().handle_us.is_some());
    }

    #[test]
    fn timing_samples_one_message_in_n() {
        let m = MailboxStats::register(ActorKind::Session, "t-sample", &cfg(4));
        let stamped = (0..8).filter(|_| m.on_enqueue().is_some()).count();
        assert_eq!(stamped, 2);
        assert_eq!(m.max_depth(), 8, "the depth is looked at on sampled enqueues (4th and 8th)");
        assert!(m.snapshot().wait_us.is_none(), "no histogram before the first timed message");
        let off = MailboxStats::register(ActorKind::Session, "t-off", &cfg(0));
        assert!(off.on_enqueue().is_none());
        assert_eq!((off.depth(), off.max_depth()), (1, 1), "counting goes on without timing");
        off.set_capacity(16);
        off.on_refused(true);
        assert_eq!(off.max_depth(), 16, "a full mailbox was at its capacity");
    }

    #[test]
    fn kinds_are_indexed_in_all_order() {
        for (i, kind) in ActorKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i, "{kind:?}");
        }
        for (i, status) in ActorStatus::ALL.into_iter().enumerate() {
            assert_eq!(status.index(), i, "{status:?}");
        }
    }

    #[test]
    fn handled_counts_by_kind_keep_those_of_actors_gone() {
        // Scheduler: no other unit test registers one, so the figures are this test's.
        let kind = ActorKind::Scheduler;
        let before = directory().by_kind()[kind.index()].handled;
        let m = MailboxStats::register(kind, "t-handled", &cfg(0));
        for _ in 0..3 {
            m.on_enqueue();
            m.on_handle(None);
        }
        assert_eq!(directory().by_kind()[kind.index()].handled, before + 3);
        drop(m);
        assert_eq!(directory().by_kind()[kind.index()].handled, before + 3, "kept after the actor is gone");
    }

    #[test]
    fn restarts_by_kind_keep_those_of_actors_gone() {
        // Cluster: no other unit test registers one, so the figures are this test's.
        let kind = ActorKind::Cluster;
        let before = directory().by_kind()[kind.index()];
        let m = MailboxStats::register(kind, "t-restarts", &cfg(0));
        m.on_restart();
        m.on_restart();
        m.set_status(ActorStatus::Quarantined);
        let now = directory().by_kind()[kind.index()];
        let quarantined = ActorStatus::Quarantined.index();
        assert_eq!((now.restarts, now.live), (before.restarts + 2, before.live + 1));
        assert_eq!(now.by_status[quarantined], before.by_status[quarantined] + 1);
        drop(m);
        let after = directory().by_kind()[kind.index()];
        assert_eq!(
            (after.restarts, after.live),
            (before.restarts + 2, before.live),
            "kept after the actor is gone"
        );
    }

    #[test]
    fn registrations_leave_the_directory_when_dropped() {
        let m = MailboxStats::register(ActorKind::Room, "t-gone", &cfg(1));
        let key = m.key;
        assert!(directory().all().iter().any(|a| a.key == key));
        drop(m);
        assert!(!directory().all().iter().any(|a| a.key == key));
    }

    #[test]
    fn quantiles_fall_in_the_bucket_of_the_observations() {
        let h = actor_histogram("q");
        for _ in 0..98 {
            h.observe(0.000_100); // 100 µs: bucket (65.5 µs, 131 µs]
        }
        for _ in 0..2 {
            h.observe(0.050); // 50 ms: bucket (33.6 ms, 67.1 ms]
        }
        let (p50, p99) = quantiles_us(&h).expect("observations");
        assert!((65.0..=131.1).contains(&p50), "p50 {p50}");
        assert!((33_554.0..=67_109.0).contains(&p99), "p99 {p99}");
        assert!(quantiles_us(&actor_histogram("empty")).is_none());
    }
}
