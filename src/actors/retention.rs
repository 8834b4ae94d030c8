//! `Retention`: the supervised actor that deletes messages older than their room's
//! retention (`retention_days` setting, else `rooms.retention_days`; 0 = forever).
//! Every `rooms.retention_check_secs` it walks the rooms a page at a time and, for each
//! room with a retention, deletes its expired messages through
//! `store::retention::delete_expired`: at most `rooms.retention_batch_rows` per
//! transaction, with `rooms.retention_pause_ms` between two transactions.
//!
//! Why not through the store writer: on SQLite every write transaction takes the one
//! database write lock (`BEGIN IMMEDIATE`), whichever connection runs it, so a delete on
//! a pooled connection and the writer's group commit take turns exactly as if the
//! delete were queued to the writer; a bounded batch holds the lock for a few
//! milliseconds and the pause hands it back. Queued to the writer, a purge would
//! instead ride inside a message batch and delay that batch's acks, and the writer's
//! mailbox would mix a bulk job with live traffic. PostgreSQL takes only row locks, on
//! rows no one writes any more. The room's newest message is never deleted, so the
//! writer's cached last seqs and a restarted room's `MAX(seq)` stay right.
//!
//! "Now" is the server clock (`SharedClock`): with `debug.fault_injection` the test
//! clock of `POST /api/v1/debug/clock`, so tests move time instead of waiting. A sweep
//! runs to its end before the next starts (the mailbox waits); a panic restarts the
//! actor and the next tick sweeps again. Cluster nodes each sweep; deletes are
//! idempotent, so the only cost is the repeated reads.

use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn, Logger};

use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::scheduler::SharedClock;
use crate::actors::shell::Shell;
use crate::config::{MetricsConfig, RoomsConfig};
use crate::metrics::metrics;
use crate::store::retention::delete_expired;
use crate::store::rooms::RoomRow;
use crate::store::{Store, StoreError};

const RETENTION_MAILBOX: usize = 4;
/// Rooms read per page while sweeping.
const ROOMS_PAGE: i64 = 500;
const DAY_MS: i64 = 86_400_000;

/// Delete what has expired, now.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Sweep;

/// The retention actor.
pub struct Retention {
    store: Store,
    clock: SharedClock,
    cfg: RoomsConfig,
    log: Logger,
    mailbox: Registration,
}

impl Retention {
    /// Starts the actor under a `Supervisor`.
    pub fn start(
        store: Store,
        clock: SharedClock,
        cfg: RoomsConfig,
        metrics_cfg: &MetricsConfig,
        log: &Logger,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Retention, "retention", metrics_cfg);
        let stats = mailbox.stats().clone();
        let log = log.new(slog::o!("actor" => "retention"));
        let addr = Supervisor::start(move |_| Self { store, clock, cfg, log, mailbox });
        TrackedAddr::new(addr, stats)
    }
}

impl Actor for Retention {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(RETENTION_MAILBOX);
        self.mailbox.set_capacity(RETENTION_MAILBOX);
        let me = TrackedAddr::new(ctx.address(), self.mailbox.stats().clone());
        ctx.run_interval(Duration::from_secs(self.cfg.retention_check_secs.max(1)), move |_, _| {
            // A full mailbox means a sweep is still running or queued: skip this tick.
            let _ = me.try_send(Sweep);
        });
    }
}

impl Supervised for Retention {}

impl Metered for Retention {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(Retention: Sweep);

/// A panic restarts the actor in place; the next tick sweeps again.
impl Shell for Retention {
    const NAME: &'static str = "retention";

    fn log(&self) -> &Logger {
        &self.log
    }
}

impl Handler<Sweep> for Retention {
    type Result = ();

    fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        let (store, cfg, now) = (self.store.clone(), self.cfg.clone(), self.clock.now_ms());
        let fut = async move { sweep(&store, &cfg, now).await };
        ctx.wait(fut.into_actor(self).map(|res, act, _| match res {
            Ok(0) => {}
            Ok(n) => info!(act.log, "retention deleted expired messages"; "deleted" => n),
            Err(e) => warn!(act.log, "retention sweep failed; the next one tries again"; "err" => %e),
        }));
    }
}

/// One pass over every room: deletes what expired before `now_ms`; returns how many
/// messages it deleted.
async fn sweep(store: &Store, cfg: &RoomsConfig, now_ms: i64) -> Result<u64, StoreError> {
    let (batch, pause) =
        (i64::from(cfg.retention_batch_rows.max(1)), Duration::from_millis(cfg.retention_pause_ms));
    let mut deleted = 0u64;
    let mut after: Option<String> = None;
    loop {
        let cursor = after.clone();
        let page = store.run(move |c| RoomRow::list(c, None, cursor.as_deref(), ROOMS_PAGE)).await?;
        let Some(last) = page.last() else { return Ok(deleted) };
        after = Some(last.id.clone());
        for room in page {
            let days = room.settings().effective_retention_days(cfg.retention_days);
            if days == 0 {
                continue;
            }
            let cutoff = now_ms.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
            loop {
                let id = room.id.clone();
                let n = store.run(move |c| delete_expired(c, &id, cutoff, batch)).await?;
                if n == 0 {
                    break;
                }
                deleted += n as u64;
                metrics().retention_deleted.inc_by(n as u64);
                tokio::time::sleep(pause).await;
                if (n as i64) < batch {
                    break;
                }
            }
        }
    }
}
