//! Fan-out of one committed message to N online sessions (N = 10, 100, 1000).
//!
//! What is timed, per message: the room handling a `Committed` report for one stored
//! message (as the store writer sends it after the commit) — encoding the `message`
//! frame once, the tail, `try_send` of the shared frame to each of the N sessions
//! through their metered mailboxes — until all N fake session actors have handled
//! their `Outbound::Room`. The store write itself is not included (see `store`), nor
//! the WebSocket write (the fake sessions only count).
//!
//! Layout as in the server: the room runs on its own arbiter (thread), the sessions on
//! another (the bench's System arbiter), so each delivery crosses threads. SQLite in a
//! temp dir backs the room's load. Run: `cargo bench --bench fanout`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput};
use roomd::actors::exchange::Committed;
use roomd::actors::exchange::Outbound;
use roomd::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use roomd::actors::registry::{GetRoom, RoomRegistry};
use roomd::actors::room::{GetStats, Join, ReplyTo, Room, RoomDeps, SendTicket};
use roomd::actors::store_writers::StoreWriters;
use roomd::config::Settings;
use roomd::model::{now_ms, RoomId, UserKind, UserRef};
use roomd::store::messages::{AppendOutcome, MessageRow};
use roomd::store::rooms::RoomRow;
use roomd::store::Store;
use tokio::sync::Notify;

const SIZES: [usize; 3] = [10, 100, 1000];

/// Counts the sequenced room frames all sessions of one room received, and wakes the
/// bench when the count reaches `target`.
#[derive(Default)]
struct Tally {
    received: AtomicU64,
    target: AtomicU64,
    done: Notify,
}

/// A session that only counts what the room delivers to it.
struct FakeSession {
    tally: Arc<Tally>,
    capacity: usize,
    mailbox: Registration,
}

impl Actor for FakeSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.capacity);
        self.mailbox.set_capacity(self.capacity);
    }
}

impl Metered for FakeSession {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

impl Handler<Outbound> for FakeSession {
    type Result = ();

    fn handle(&mut self, m: Outbound, _: &mut Context<Self>) {
        if let Outbound::Room(batch) = m {
            if batch.frames.iter().any(|f| f.seq > 0) {
                let n = self.tally.received.fetch_add(1, Relaxed) + 1;
                if n == self.tally.target.load(Relaxed) {
                    self.tally.done.notify_one();
                }
            }
        }
    }
}

/// A panic in the bench is a bug in the bench: the default restart is fine.
impl roomd::actors::shell::Shell for FakeSession {
    const NAME: &'static str = "bench";

    fn log(&self) -> &slog::Logger {
        static DISCARD: std::sync::LazyLock<slog::Logger> =
            std::sync::LazyLock::new(|| slog::Logger::root(slog::Discard, slog::o!()));
        &DISCARD
    }
}

roomd::actor_shell!(FakeSession: Outbound);

fn add_room(store: &Store, id: &str) {
    let now = now_ms();
    let row = RoomRow {
        id: id.into(),
        name: id.into(),
        tags: "[]".into(),
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    store.run_blocking(|c| row.insert(c)).expect("room row");
}

fn row(room: &str, seq: i64) -> MessageRow {
    MessageRow {
        room_id: room.into(),
        seq,
        sender_id: "u_0000".into(),
        sender_name: "Bench User".into(),
        sender_kind: "user".into(),
        text: "Hello everyone, the deploy went fine; see the notes for details".into(),
        client_id: Some(format!("c-{seq}")),
        reply_to: None,
        ts: now_ms(),
        announcement: false,
        deleted_at: None,
        deleted_by: None,
    }
}

/// One room with `n` joined fake sessions (one user each).
struct Fixture {
    id: String,
    room: TrackedAddr<Room>,
    tally: Arc<Tally>,
    n: u64,
    seq: i64,
    _sessions: Vec<Addr<FakeSession>>,
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();

    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(&format!("sqlite://{}/bench.db", dir.path().display()), 4, Duration::from_secs(5))
            .expect("store");
    for n in SIZES {
        add_room(&store, &format!("fan{n}"));
    }
    let mut cfg = Settings::load(None).expect("settings");
    // No welcome posts on join: they would take seqs the bench assigns itself.
    cfg.welcome.template_file = String::new();
    let cfg = Arc::new(cfg);
    let log = slog::Logger::root(slog::Discard, slog::o!());

    let sys = actix_rt::System::new();
    let writer_arbiter = Arbiter::new();
    let room_arbiter = Arbiter::new();
    let mut fixtures: Vec<Fixture> = sys.block_on({
        let (store, cfg, log) = (store.clone(), cfg.clone(), log.clone());
        let (wa, ra) = (writer_arbiter.handle(), room_arbiter.handle());
        async move {
            let (writers, writes) = StoreWriters::start(&[wa], store.clone(), &cfg, &log);
            let registry = RoomRegistry::start(vec![ra], Default::default(), &cfg.metrics, {
                let (store, cfg, log) = (store.clone(), cfg.clone(), log.clone());
                let feed = Arc::new(roomd::actors::room_feed::RoomFeedHub::default());
                move |registry| RoomDeps { store, writers, writes, registry, cfg, log, cluster: None, feed }
            });
            let mut fixtures = Vec::new();
            for n in SIZES {
                let id = format!("fan{n}");
                let room = registry.send(GetRoom(RoomId::parse(&id).expect("id"))).await.expect("room");
                room.send(GetStats).await.expect("loaded");
                let tally = Arc::new(Tally::default());
                let mut sessions = Vec::with_capacity(n);
                for i in 0..n {
                    let mailbox = MailboxStats::register(ActorKind::Session, format!("s{i}"), &cfg.metrics);
                    let stats = mailbox.stats().clone();
                    let capacity = cfg.session.send_buffer;
                    let addr = FakeSession { tally: tally.clone(), capacity, mailbox }.start();
                    let out = TrackedAddr::new(addr.clone(), stats).recipient::<Outbound>();
                    let user =
                        UserRef { id: format!("u_{i:04}"), name: format!("User {i}"), kind: UserKind::User };
                    room.send(Join { session: i as u64 + 1, user, out, after_seq: None })
                        .await
                        .expect("room answers")
                        .unwrap_or_else(|e| panic!("join: {e}"));
                    sessions.push(addr);
                }
                let stats = room.send(GetStats).await.expect("stats");
                assert_eq!(stats.members_online, n, "every session joined");
                fixtures.push(Fixture {
                    id,
                    room,
                    tally,
                    n: n as u64,
                    seq: stats.last_seq,
                    _sessions: sessions,
                });
            }
            fixtures
        }
    });

    let mut g = c.benchmark_group("fanout/committed_to_all_sessions");
    for f in &mut fixtures {
        g.throughput(Throughput::Elements(f.n));
        g.bench_function(BenchmarkId::from_parameter(f.n), |b| {
            b.iter_custom(|iters| {
                sys.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        f.seq += 1;
                        let before = f.tally.received.load(Relaxed);
                        f.tally.target.store(before + f.n, Relaxed);
                        let (tx, _rx) = tokio::sync::oneshot::channel();
                        let ticket =
                            SendTicket { reply: ReplyTo::Operator(tx), frame_id: None, client_id: None };
                        let stored = Ok(AppendOutcome::Stored(row(&f.id, f.seq)));
                        f.room.do_send(Committed { results: vec![(ticket, stored)] });
                        f.tally.done.notified().await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.finish();

    // Nothing was dropped as a slow consumer.
    sys.block_on(async {
        for f in &fixtures {
            let stats = f.room.send(GetStats).await.expect("stats");
            assert_eq!(stats.members_online as u64, f.n, "no session was dropped");
            assert_eq!(stats.last_seq, f.seq, "every message was delivered");
        }
    });
    room_arbiter.stop();
    writer_arbiter.stop();
    c.final_summary();
}
