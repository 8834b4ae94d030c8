//! `RoomRegistry`: the room actors by id. Starts a `Room` on demand, under an actix
//! `Supervisor`, on one of the room arbiters (chosen by hashing the id, so a room
//! always lands on the same thread). The room itself checks that it exists.
//!
//! The map of running rooms is also readable from any thread ([`RunningRooms`]): a
//! session joining a room whose actor runs takes its address there, without a round
//! trip through the registry's thread. Only the registry writes it.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use actix::prelude::*;
use futures_util::future::join_all;

use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr, TrackedRecipient};
use super::room::{GetStats, Room, RoomDeps, RoomStats, Sync};
pub use super::room::{NodesDown, Resync, RoomGone};
use crate::actors::shell::{CrashAnswer, Shell};
use crate::config::MetricsConfig;
use crate::model::RoomId;

/// The address of a room's actor, starting it if needed.
#[derive(Message)]
#[rtype(result = "TrackedAddr<Room>")]
pub struct GetRoom(pub RoomId);

/// The address of a room's actor if it runs (never starts one).
#[derive(Message)]
#[rtype(result = "Option<TrackedAddr<Room>>")]
pub struct FindRoom(pub RoomId);

/// Resolves once every running room has passed its queued sends to the writer.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SyncAll;

/// Live figures of those of `ids` whose actor runs.
#[derive(Message)]
#[rtype(result = "HashMap<RoomId, RoomStats>")]
pub struct StatsFor(pub Vec<RoomId>);

/// How many room actors are running.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct CountRooms;

const REGISTRY_MAILBOX: usize = 1 << 16;

/// The addresses of the running room actors, shared by the registry (which alone
/// starts, adds and removes them) and the sessions (which read).
#[derive(Clone, Default)]
pub struct RunningRooms(Arc<RwLock<HashMap<RoomId, TrackedAddr<Room>>>>);

impl RunningRooms {
    /// The address of `id`'s actor if it runs; `None` sends the caller to the registry
    /// ([`GetRoom`]), which starts it.
    pub fn get(&self, id: &RoomId) -> Option<TrackedAddr<Room>> {
        self.read().get(id).filter(|a| a.connected()).cloned()
    }

    // A panic while the lock is held cannot leave the map half-changed (each change is
    // one insert or remove), so a poisoned lock is used as it is.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<RoomId, TrackedAddr<Room>>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<RoomId, TrackedAddr<Room>>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The registry actor.
pub struct RoomRegistry {
    rooms: RunningRooms,
    arbiters: Vec<ArbiterHandle>,
    deps: RoomDeps,
    mailbox: Registration,
}

impl RoomRegistry {
    /// Starts the registry, keeping `rooms` up to date; `deps` builds the rooms'
    /// dependencies, which include the registry's own address.
    pub fn start(
        arbiters: Vec<ArbiterHandle>,
        rooms: RunningRooms,
        metrics: &MetricsConfig,
        deps: impl FnOnce(TrackedRecipient<RoomGone>) -> RoomDeps + 'static,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Registry, "rooms", metrics);
        let stats = mailbox.stats().clone();
        let addr = Supervisor::start(|ctx: &mut Context<Self>| {
            let me = TrackedAddr::new(ctx.address(), mailbox.stats().clone());
            Self { rooms, arbiters, deps: deps(me.recipient()), mailbox }
        });
        TrackedAddr::new(addr, stats)
    }

    fn arbiter_for(&self, id: &RoomId) -> Option<&ArbiterHandle> {
        if self.arbiters.is_empty() {
            return None;
        }
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        self.arbiters.get((h.finish() % self.arbiters.len() as u64) as usize)
    }
}

impl Actor for RoomRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Control actor: every first join of a room, and every API request for one,
        // passes through it, so its queue is generous.
        ctx.set_mailbox_capacity(REGISTRY_MAILBOX);
        self.mailbox.set_capacity(REGISTRY_MAILBOX);
    }
}

/// Restarted in place after a panic, keeping its map of rooms.
impl Supervised for RoomRegistry {}

impl Metered for RoomRegistry {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

/// A panic restarts the registry in place (the default of [`Shell::crashed`]); the
/// request it was handling sees its reply channel dropped.
impl Shell for RoomRegistry {
    const NAME: &'static str = "room registry";

    fn log(&self) -> &slog::Logger {
        &self.deps.log
    }
}

impl CrashAnswer for Option<TrackedAddr<Room>> {}
impl CrashAnswer for TrackedAddr<Room> {}
impl CrashAnswer for HashMap<RoomId, RoomStats> {}
impl CrashAnswer for usize {}

crate::actor_shell!(RoomRegistry: GetRoom, FindRoom, RoomGone, SyncAll, StatsFor, CountRooms, Resync, NodesDown);

impl Handler<FindRoom> for RoomRegistry {
    type Result = Option<TrackedAddr<Room>>;

    fn handle(&mut self, m: FindRoom, _: &mut Self::Context) -> Self::Result {
        self.rooms.get(&m.0)
    }
}

impl Handler<GetRoom> for RoomRegistry {
    type Result = TrackedAddr<Room>;

    fn handle(&mut self, m: GetRoom, _: &mut Self::Context) -> Self::Result {
        if let Some(addr) = self.rooms.get(&m.0) {
            return addr;
        }
        let deps = self.deps.clone();
        let id = m.0.clone();
        let mailbox = MailboxStats::register(ActorKind::Room, id.as_str(), &deps.cfg.metrics);
        let stats = mailbox.stats().clone();
        let make = move |_: &mut Context<Room>| Room::new(id, deps, mailbox);
        let addr = match self.arbiter_for(&m.0) {
            Some(arb) => Supervisor::start_in_arbiter(arb, make),
            None => Supervisor::start(make),
        };
        let addr = TrackedAddr::new(addr, stats);
        self.rooms.write().insert(m.0, addr.clone());
        addr
    }
}

impl Handler<RoomGone> for RoomRegistry {
    type Result = ();

    fn handle(&mut self, m: RoomGone, _: &mut Self::Context) {
        let mut rooms = self.rooms.write();
        if rooms.get(&m.id) == Some(&m.addr) {
            rooms.remove(&m.id);
        }
    }
}

impl Handler<SyncAll> for RoomRegistry {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: SyncAll, _: &mut Self::Context) -> Self::Result {
        let syncs: Vec<_> = self.rooms.read().values().map(|a| a.send(Sync)).collect();
        Box::pin(async move {
            join_all(syncs).await;
        })
    }
}

impl Handler<StatsFor> for RoomRegistry {
    type Result = ResponseFuture<HashMap<RoomId, RoomStats>>;

    fn handle(&mut self, m: StatsFor, _: &mut Self::Context) -> Self::Result {
        let asks: Vec<_> = {
            let rooms = self.rooms.read();
            m.0.into_iter().filter_map(|id| rooms.get(&id).map(|a| (id, a.send(GetStats)))).collect()
        };
        Box::pin(async move {
            let (ids, futs): (Vec<_>, Vec<_>) = asks.into_iter().unzip();
            let stats = join_all(futs).await;
            ids.into_iter().zip(stats).filter_map(|(id, s)| s.ok().map(|s| (id, s))).collect()
        })
    }
}

impl Handler<CountRooms> for RoomRegistry {
    type Result = usize;

    fn handle(&mut self, _: CountRooms, _: &mut Self::Context) -> usize {
        self.rooms.read().len()
    }
}

impl Handler<Resync> for RoomRegistry {
    type Result = ();

    fn handle(&mut self, m: Resync, _: &mut Self::Context) {
        for room in self.rooms.read().values() {
            room.do_send(m.clone());
        }
    }
}

impl Handler<NodesDown> for RoomRegistry {
    type Result = ();

    fn handle(&mut self, m: NodesDown, _: &mut Self::Context) {
        for room in self.rooms.read().values() {
            room.do_send(m.clone());
        }
    }
}
