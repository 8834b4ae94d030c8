//! One room actor tested in-process: a real SQLite store and store writer, the room
//! under its actix `Supervisor` exactly as the registry starts it, and stand-ins for
//! everything around it — sessions that record every frame the room sends them, and a
//! registry that records what the room tells it. No socket, no HTTP: these tests read
//! the room's ordering and supervision directly, alongside the black-box tests in
//! `tests/integration` that drive the real server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::Value;

use super::*;
use crate::actors::exchange::{Outbound, ReplyTo, SendTicket};
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::actors::store_writers::StoreWriters;
use crate::config::Settings;
use crate::model::{RoomId, UserKind, UserRef};
use crate::protocol::FrameId;
use crate::store::members::MemberRow;
use crate::store::messages::{append_batch, MessageRow, NewMessage};
use crate::store::rooms::RoomRow;
use crate::store::Store;

/// A stand-in for a session or for the registry: keeps what it is sent, as JSON (a
/// session's frames; `{"gone": room}` for a room that told the registry it is gone).
struct StandIn {
    seen: Arc<Mutex<Vec<Value>>>,
    mailbox: Registration,
    log: slog::Logger,
}

impl StandIn {
    fn start(
        kind: ActorKind,
        name: &str,
        cfg: &Settings,
        log: &slog::Logger,
    ) -> (TrackedAddr<Self>, Arc<Mutex<Vec<Value>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mailbox = MailboxStats::register(kind, name, &cfg.metrics);
        let stats = mailbox.stats().clone();
        let addr = Self { seen: seen.clone(), mailbox, log: log.clone() }.start();
        (TrackedAddr::new(addr, stats), seen)
    }
}

impl Actor for StandIn {
    type Context = Context<Self>;
}

impl Metered for StandIn {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

impl Shell for StandIn {
    const NAME: &'static str = "stand-in";

    fn log(&self) -> &slog::Logger {
        &self.log
    }
}

crate::actor_shell!(StandIn: Outbound, RoomGone);

impl Handler<Outbound> for StandIn {
    type Result = ();

    fn handle(&mut self, m: Outbound, _: &mut Context<Self>) {
        let texts: Vec<String> = match m {
            Outbound::Room(batch) => batch.frames.iter().map(|f| f.text.to_string()).collect(),
            Outbound::Direct(f) | Outbound::Violation(f) | Outbound::RoomClosed { frame: f, .. } => {
                vec![f.to_string()]
            }
            Outbound::Close { .. } | Outbound::Drain => Vec::new(),
        };
        let mut seen = self.seen.lock().unwrap();
        seen.extend(texts.iter().map(|t| serde_json::from_str::<Value>(t).expect("the room sends JSON")));
    }
}

impl Handler<RoomGone> for StandIn {
    type Result = ();

    fn handle(&mut self, m: RoomGone, _: &mut Context<Self>) {
        self.seen.lock().unwrap().push(serde_json::json!({ "gone": m.id.as_str() }));
    }
}

/// A session joined to the room under test.
struct Member {
    session: SessionId,
    user: UserRef,
    out: TrackedRecipient<Outbound>,
    frames: Arc<Mutex<Vec<Value>>>,
}

impl Member {
    fn frames(&self) -> Vec<Value> {
        self.frames.lock().unwrap().clone()
    }

    /// The seqs of the `message` frames this session received, in order.
    fn seqs(&self) -> Vec<i64> {
        self.frames().iter().filter(|f| f["type"] == "message").map(|f| f["seq"].as_i64().unwrap()).collect()
    }

    fn of_type(&self, kind: &str) -> Vec<Value> {
        self.frames().into_iter().filter(|f| f["type"] == kind).collect()
    }
}

/// The room under test and what it runs on.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    cfg: Arc<Settings>,
    log: slog::Logger,
    room: TrackedAddr<Room>,
    next_session: SessionId,
}

const ROOM: &str = "lobby";

impl Fixture {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}/t.db", dir.path().display()), 4, Duration::from_secs(5))
                .expect("store");
        let mut cfg = Settings::load(None).expect("default config");
        cfg.welcome.template_file = String::new();
        cfg.debug.fault_injection = true;
        cfg.spam.max_repeats = 0;
        let cfg = Arc::new(cfg);
        let row = RoomRow {
            id: ROOM.into(),
            name: "Lobby".into(),
            tags: "[]".into(),
            settings: "{}".into(),
            created_at: now_ms(),
            updated_at: now_ms(),
        };
        store.run_blocking(move |c| row.insert(c)).expect("room row");
        let log = slog::Logger::root(slog::Discard, slog::o!());
        let (writers, writes) = StoreWriters::start(&[Arbiter::current()], store.clone(), &cfg, &log);
        let (registry, _) = StandIn::start(ActorKind::Registry, "stand-in", &cfg, &log);
        let registry = registry.recipient();
        let deps = RoomDeps {
            store: store.clone(),
            writers,
            writes,
            registry,
            cfg: cfg.clone(),
            log: log.clone(),
            cluster: None,
            feed: Default::default(),
        };
        let mailbox = MailboxStats::register(ActorKind::Room, ROOM, &cfg.metrics);
        let stats = mailbox.stats().clone();
        let id = RoomId::parse(ROOM).unwrap();
        let room = TrackedAddr::new(Supervisor::start(move |_| Room::new(id, deps, mailbox)), stats);
        Self { _dir: dir, store, cfg, log, room, next_session: 1 }
    }

    async fn join(&mut self, user: &str) -> (Member, JoinReply) {
        let session = self.next_session;
        self.next_session += 1;
        let (stand_in, frames) =
            StandIn::start(ActorKind::Session, &format!("stand-in-{session}"), &self.cfg, &self.log);
        let out = stand_in.recipient();
        let user = UserRef { id: user.into(), name: user.into(), kind: UserKind::User };
        let join = Join { session, user: user.clone(), out: out.clone(), after_seq: None };
        let reply = self.room.send(join).await.expect("room mailbox").expect("joined");
        (Member { session, user, out, frames }, reply)
    }

    fn send(&self, from: &Member, text: &str, id: i64) {
        self.room.do_send(SendText {
            session: Some(from.session),
            user: from.user.clone(),
            text: text.into(),
            reply_to: None,
            ticket: SendTicket {
                reply: ReplyTo::Session(from.out.clone()),
                frame_id: Some(FrameId::Num(id.into())),
                client_id: Some(format!("{}-{id}", from.user.id)),
            },
        });
    }

    async fn stats(&self) -> RoomStats {
        self.room.send(GetStats).await.expect("room mailbox")
    }
}

/// Waits (up to 5 s) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out waiting until {what}");
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix_rt::test]
async fn members_see_every_send_once_in_order_and_a_kick_cuts_one_off() {
    let mut f = Fixture::start().await;
    let (alice, _) = f.join("alice").await;
    let (bob, joined) = f.join("bob").await;
    assert_eq!(joined.last_seq, 0);
    assert_eq!(joined.members.len(), 2, "bob's joined lists both members");

    for i in 1..=20 {
        f.send(&alice, &format!("hello {i}"), i);
    }
    until("bob has 20 messages", || bob.seqs().len() == 20).await;
    assert_eq!(bob.seqs(), (1..=20).collect::<Vec<_>>(), "in order, none twice, no gap");
    until("alice has 20 acks", || alice.of_type("ack").len() == 20).await;
    let acked: Vec<i64> = alice.of_type("ack").iter().map(|a| a["seq"].as_i64().unwrap()).collect();
    assert_eq!(acked, (1..=20).collect::<Vec<_>>(), "acks in send order, with the stored seqs");

    f.room.send(Kick { user_id: "bob".into(), reason: Removal::Kicked }).await.unwrap().expect("kicked");
    let closed = bob.of_type("room_closed");
    assert_eq!(closed.len(), 1, "bob is told once: {closed:?}");
    assert_eq!(closed[0]["reason"], "kicked");
    let stored = f.store.run_blocking(|c| MemberRow::find(c, ROOM, "bob")).unwrap();
    assert!(stored.is_none(), "the kick answered after the membership row was removed");

    f.send(&alice, "after the kick", 21);
    until("alice's 21st ack", || alice.of_type("ack").len() == 21).await;
    assert_eq!(bob.seqs().len(), 20, "nothing reaches a kicked member");
    assert!(alice.of_type("member_left").iter().any(|e| e["user"]["id"] == "bob"));
}

#[actix_rt::test]
async fn a_committed_seq_the_room_never_saw_is_read_from_the_store_before_the_next() {
    let mut f = Fixture::start().await;
    let (alice, _) = f.join("alice").await;
    let (bob, _) = f.join("bob").await;
    // Seq 1 is committed behind the room's back (as when a commit report was lost in a
    // crash): the room has not delivered it.
    let lost = NewMessage {
        room_id: ROOM.into(),
        sender_id: "carol".into(),
        sender_name: "carol".into(),
        sender_kind: "user".into(),
        text: "committed while nobody was told".into(),
        client_id: None,
        reply_to: None,
        ts: now_ms(),
        announcement: false,
    };
    f.store
        .run_blocking(move |c| append_batch(c, &[lost], &mut Default::default(), 60_000, now_ms()))
        .unwrap();

    f.send(&alice, "the next one", 1);
    until("bob has both", || bob.seqs().len() == 2).await;
    assert_eq!(bob.seqs(), vec![1, 2], "the gap is delivered first, then the new message");
    assert_eq!(bob.of_type("message")[0]["text"], "committed while nobody was told");
    let stored = f.store.run_blocking(|c| MessageRow::range(c, ROOM, 0, 10)).unwrap();
    assert_eq!(stored.len(), 2);
}

#[actix_rt::test]
async fn a_poison_message_restarts_the_room_in_place_and_members_stay_joined() {
    let mut f = Fixture::start().await;
    let (alice, _) = f.join("alice").await;
    let (bob, _) = f.join("bob").await;
    f.send(&alice, "before", 1);
    until("bob has seq 1", || bob.seqs() == vec![1]).await;

    f.send(&alice, PANIC_TEXT, 2);
    until("alice is told", || !alice.of_type("error").is_empty()).await;
    let err = &alice.of_type("error")[0];
    assert_eq!((&err["code"], &err["id"]), (&Value::from("room_unavailable"), &Value::from(2)));

    // Same address, same mailbox: the room reloads and goes on; nobody joins again.
    f.send(&alice, "after", 3);
    until("bob has seq 2", || bob.seqs() == vec![1, 2]).await;
    assert_eq!(bob.of_type("message")[1]["text"], "after", "the poison was never stored");
    let stats = f.stats().await;
    assert_eq!((stats.restarts, stats.status), (1, ActorStatus::Running));
    assert_eq!(stats.members_online, 2, "both sessions stayed joined across the restart");
}

#[actix_rt::test]
async fn a_room_that_crashes_too_often_is_quarantined_until_restarted() {
    let mut f = Fixture::start().await;
    let (alice, _) = f.join("alice").await;
    let max = f.cfg.supervisor.max_restarts;
    for _ in 0..=max {
        f.room.do_send(Crash);
    }
    // The restarts back off (10, 20, 40, 80 ms by default); the crashes queued behind
    // them are handled after each reload.
    let start = Instant::now();
    let mut stats = f.stats().await;
    while stats.status != ActorStatus::Quarantined {
        assert!(start.elapsed() < Duration::from_secs(5), "quarantined after {max} restarts: {stats:?}");
        actix_rt::time::sleep(Duration::from_millis(5)).await;
        stats = f.stats().await;
    }
    assert_eq!(stats.restarts, max, "{stats:?}");
    f.send(&alice, "refused", 1);
    until("alice is refused", || !alice.of_type("error").is_empty()).await;
    assert_eq!(alice.of_type("error")[0]["code"], "room_unavailable");

    f.room.do_send(Restart);
    let start = Instant::now();
    while f.stats().await.status != ActorStatus::Running {
        assert!(start.elapsed() < Duration::from_secs(5), "the operator restart brings it back");
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
    let (bob, _) = f.join("bob").await;
    f.send(&bob, "back", 1);
    until("bob's ack", || !bob.of_type("ack").is_empty()).await;
    assert_eq!(bob.of_type("ack")[0]["seq"], 1);
}
