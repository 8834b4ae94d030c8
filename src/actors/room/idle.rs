//! Idle stop (`rooms.idle_stop_secs`): a room with no session — no member online here,
//! no other node's session in cluster mode — and no pending work (nothing in its
//! mailbox, no message handled, no append waiting for its commit) for that long
//! retires: it tells the registry to forget it and refuses anything that still
//! reaches it (`room_unavailable`, retryable). Once the last address is dropped, actix
//! stops the actor for good (its `Supervisor` restarts only an actor that is still
//! addressed), so it leaves `/api/v1/actors` and the metrics as `stopped`, never as
//! crashed. The next join, post or admin call starts a fresh actor, which loads the
//! room from the store: seqs continue (the store assigns them) and history is intact.
//!
//! Cluster mode: a replica holds no lease and simply retires. An owner keeps the
//! room's lease (it is this node's until the node leaves or dies, as before): a call
//! from another node reaches this node, whose registry starts the room again here.
//!
//! Activity is read from the mailbox counters (questions — live figures, who is
//! online — do not count); with `metrics.enabled = false` only sessions and pending
//! appends hold a room up.

use super::messages::RoomGone;
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::info;

use super::{Room, Status};

/// The idle clock of a room.
#[derive(Default)]
pub(super) struct IdleWatch {
    timer: Option<SpawnHandle>,
    /// Messages handled that were only questions (live figures, who is online): a
    /// dashboard polling the rooms does not keep them up.
    pub queries: u64,
    /// Messages handled at the last check, less the questions.
    last_handled: u64,
    /// Since when the room has been seen quiet.
    since: Option<Instant>,
}

impl Room {
    /// Starts the idle clock (at every start and restart of the actor).
    pub(super) fn arm_idle(&mut self, ctx: &mut Context<Self>) {
        let secs = self.deps.cfg.rooms.idle_stop_secs;
        if secs == 0 {
            return;
        }
        let idle = Duration::from_secs(secs);
        let tick = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        self.idle.since = None;
        self.idle.timer = Some(ctx.run_interval(tick, move |act, ctx| act.check_idle(idle, ctx)));
    }

    fn check_idle(&mut self, idle: Duration, ctx: &mut Context<Self>) {
        let handled = self.mailbox.handled().saturating_sub(self.idle.queries);
        let quiet = self.status == Status::Running
            && self.online.is_empty()
            && self.pending_appends == 0
            && self.cluster_idle()
            && self.mailbox.depth() == 0
            && handled == self.idle.last_handled;
        self.idle.last_handled = handled;
        if !quiet {
            self.idle.since = None;
            return;
        }
        let since = *self.idle.since.get_or_insert_with(Instant::now);
        if since.elapsed() >= idle {
            self.retire(ctx);
        }
    }

    /// Leaves the registry; the actor stops once nothing addresses it.
    fn retire(&mut self, ctx: &mut Context<Self>) {
        info!(self.log, "room idle; stopping its actor"; "idle_stop_secs" => self.deps.cfg.rooms.idle_stop_secs);
        if let Some(h) = self.idle.timer.take() {
            ctx.cancel_future(h);
        }
        self.retire_cluster(ctx);
        self.set_status(Status::Retired);
        self.deps.registry.do_send(RoomGone { id: self.id.clone(), addr: self.tracked(ctx) });
    }
}
