//! Supervision (docs/ARCHITECTURE.md): a crashed room restarts without disturbing any other
//! room or session, keeps its members and its seqs; repeated crashes quarantine it
//! until an operator restarts it; a poison message cannot make a room loop; a failed
//! session closes only its own socket (1011); a PostgreSQL outage loses no acked
//! message and work resumes by itself.
//!
//! Crashes are caused through fault injection (`debug.fault_injection`): the crash
//! endpoint, and a `send` whose text is the poison text.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::db::TestDb;
use crate::common::{assert_api_error, assert_error_frame, eventually, seq, text, TestServer, WsClient};
use crate::common::{FAST, LONG, TIMEOUT};

/// The text that panics inside the room when fault injection is on.
const POISON: &str = "__roomd_fault_injection_panic__";

/// `FAST` plus fault injection and the given supervisor settings.
fn faulty(max_restarts: &str, backoff_max_ms: &str) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = FAST.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.extend([
        ("ROOMD__DEBUG__FAULT_INJECTION", "true".to_string()),
        ("ROOMD__SUPERVISOR__MAX_RESTARTS", max_restarts.to_string()),
        ("ROOMD__SUPERVISOR__WINDOW_SECS", "600".to_string()),
        ("ROOMD__SUPERVISOR__BACKOFF_MIN_MS", "1".to_string()),
        ("ROOMD__SUPERVISOR__BACKOFF_MAX_MS", backoff_max_ms.to_string()),
    ]);
    env
}

async fn start(env: &[(&'static str, String)]) -> TestServer {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestServer::start_with(&env).await
}

/// `GET /api/v1/rooms/{id}`.
async fn room(srv: &TestServer, id: &str) -> Value {
    let resp = srv.get(&format!("/api/v1/rooms/{id}")).send().await.expect("GET room");
    assert_eq!(resp.status().as_u16(), 200, "GET room {id}");
    resp.json().await.expect("room JSON")
}

/// `POST /api/v1/rooms/{id}/crash`, which must be accepted.
async fn crash(srv: &TestServer, id: &str) {
    let resp = srv.post(&format!("/api/v1/rooms/{id}/crash"), &json!({})).send().await.expect("POST crash");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("crash JSON");
    assert_eq!((status, &body), (202, &json!({"id": id, "crashed": true})), "crash {id}");
}

async fn wait_status(srv: &TestServer, id: &str, status: &str) {
    eventually(&format!("room {id} is {status}"), LONG, || async { room(srv, id).await["status"] == status })
        .await;
}

/// Sends `text` with `client_id` until it is acked, resending (same `client_id`) after
/// each `room_unavailable`; returns the ack and how many times the send was refused.
async fn send_until_acked(ws: &mut WsClient, room: &str, text: &str, client_id: &str) -> (Value, usize) {
    for refused in 0..100 {
        let reply =
            ws.request(json!({"type": "send", "room": room, "text": text, "client_id": client_id})).await;
        match reply["type"].as_str() {
            Some("ack") => return (reply, refused),
            _ => assert_error_frame(&reply, Some(reply["id"].clone()), "room_unavailable"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{client_id} was never acked");
}

/// Reads `n` `message` frames of `room`, failing on any error frame.
async fn messages(ws: &mut WsClient, room: &str, n: usize) -> Vec<Value> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let f = ws
            .expect_where("a message or an error", |f| f["type"] == "message" || f["type"] == "error")
            .await;
        assert_eq!(f["type"], "message", "no error frame may reach this client: {f}");
        if f["room"] == room {
            got.push(f);
        }
    }
    got
}

/// The seqs of `frames` are `first, first+1, …` (no gap, no duplicate, in order).
fn assert_consecutive(frames: &[Value], first: i64, what: &str) {
    let seqs: Vec<i64> = frames.iter().map(seq).collect();
    let want: Vec<i64> = (first..first + frames.len() as i64).collect();
    assert_eq!(seqs, want, "{what}: seqs must continue by 1");
}

const ROOMS: usize = 20;
const PER_ROOM: usize = 60;
const CRASHES: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_rooms_keep_flowing_while_one_room_is_crashed_fifty_times() {
    let srv = start(&faulty("1000", "5")).await;
    let rooms: Vec<String> = (0..ROOMS).map(|i| format!("steady{i}")).collect();
    for r in rooms.iter().map(String::as_str).chain(["crashme"]) {
        srv.create_room(r).await;
    }
    // One sender per steady room, one watcher in all of them.
    let mut watcher = srv.ws_user("watcher").await;
    let mut senders = Vec::new();
    for (i, r) in rooms.iter().enumerate() {
        watcher.join(r).await;
        let mut ws = srv.ws_user(&format!("sender{i}")).await;
        ws.join(r).await;
        senders.push(ws);
    }
    let mut crash_sender = srv.ws_user("crash_sender").await;
    let mut crash_member = srv.ws_user("crash_member").await;
    crash_sender.join("crashme").await;
    crash_member.join("crashme").await;

    let steady = senders.into_iter().zip(rooms.clone()).map(|(mut ws, r)| {
        tokio::spawn(async move {
            for n in 0..PER_ROOM {
                let reply = ws
                    .request(json!({"type": "send", "room": r, "text": format!("{r}-{n}"), "client_id": format!("{r}-{n}")}))
                    .await;
                assert_eq!(reply["type"], "ack", "{r}: every send of a steady room is acked: {reply}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ws
        })
    });
    let steady: Vec<_> = steady.collect();

    // Crash the room and send to it in turn; a send that meets the crash is resent
    // with its client_id until acked.
    let mut acked: Vec<(i64, String)> = Vec::new();
    for n in 0..CRASHES {
        crash(&srv, "crashme").await;
        let text = format!("crashme-{n}");
        let (ack, _) = send_until_acked(&mut crash_sender, "crashme", &text, &text).await;
        acked.push((seq(&ack), text));
    }

    for task in steady {
        task.await.expect("a steady sender failed");
    }
    let mut per_room: HashMap<String, Vec<Value>> = HashMap::new();
    while per_room.values().map(Vec::len).sum::<usize>() < ROOMS * PER_ROOM {
        let f = watcher
            .expect_where("a message or an error", |f| f["type"] == "message" || f["type"] == "error")
            .await;
        assert_eq!(f["type"], "message", "the steady rooms' watcher must see no error frame: {f}");
        per_room.entry(f["room"].as_str().expect("room").to_string()).or_default().push(f);
    }
    for r in &rooms {
        let got = &per_room[r];
        assert_consecutive(got, 1, r);
        let texts: Vec<&str> = got.iter().map(text).collect();
        let want: Vec<String> = (0..PER_ROOM).map(|n| format!("{r}-{n}")).collect();
        assert_eq!(texts, want, "{r}: every message, in the order sent");
    }

    // The crashed room: its member stayed joined (it never re-joined) and saw every
    // acked message once, in seq order, with seqs continuing by 1.
    let seen = messages(&mut crash_member, "crashme", CRASHES).await;
    assert_consecutive(&seen, 1, "crashme as seen by a member");
    let seen: Vec<(i64, String)> = seen.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(seen, acked, "crashme: the member sees exactly the acked messages");
    let history = crash_member.full_history("crashme").await;
    let stored: Vec<(i64, String)> = history.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(stored, acked, "crashme: one stored copy of each acked message");

    let info = room(&srv, "crashme").await;
    assert_eq!(info["status"], "running", "{info}");
    assert!(info["restarts"].as_u64().expect("restarts") >= CRASHES as u64, "{info}");
    assert!(info["last_restart_at"].is_string(), "{info}");
    for r in &rooms {
        assert_eq!(room(&srv, r).await["restarts"], 0, "{r} was never restarted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_crashes_quarantine_the_room_until_an_operator_restarts_it() {
    let srv = start(&faulty("3", "20")).await;
    srv.create_room("fragile").await;
    srv.create_room("calm").await;
    let mut member = srv.ws_user("member").await;
    member.join("fragile").await;
    member.join("calm").await;
    let first = member.say("fragile", "before").await;

    // max_restarts = 3: the fourth crash within the window quarantines.
    for n in 1..=3 {
        crash(&srv, "fragile").await;
        eventually(&format!("restart {n} counted"), LONG, || async {
            room(&srv, "fragile").await["restarts"] == n
        })
        .await;
        wait_status(&srv, "fragile", "running").await;
    }
    crash(&srv, "fragile").await;
    wait_status(&srv, "fragile", "quarantined").await;

    let reply = member.request(json!({"type": "send", "room": "fragile", "text": "while quarantined"})).await;
    assert_error_frame(&reply, Some(reply["id"].clone()), "room_unavailable");
    let listed: Value = srv.get("/api/v1/rooms").send().await.expect("GET rooms").json().await.expect("JSON");
    let fragile = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["id"] == "fragile")
        .unwrap_or_else(|| panic!("fragile is listed: {listed}"))
        .clone();
    assert_eq!(fragile["status"], "quarantined", "the list shows the quarantine: {fragile}");
    // The log is written asynchronously: the line may follow the status by a moment.
    eventually("a log line says the room is quarantined", LONG, || async {
        srv.stdout_text().lines().any(|l| l.contains("room quarantined") && l.contains("fragile"))
    })
    .await;
    // Nothing else is affected.
    assert_eq!(member.say("calm", "elsewhere").await["type"], "ack");

    let resp = srv.post("/api/v1/rooms/fragile/restart", &json!({})).send().await.expect("POST restart");
    assert_eq!(resp.status().as_u16(), 200, "restart lifts the quarantine");
    wait_status(&srv, "fragile", "running").await;
    let after = member.say("fragile", "after").await;
    assert_eq!(seq(&after), seq(&first) + 1, "seqs continue after the quarantine");
    let m = member.expect_where("the message sent after the restart", |f| f["text"] == "after").await;
    assert_eq!(seq(&m), seq(&after), "the member, still joined, receives it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_isolated_and_cannot_make_the_room_loop() {
    let max_restarts = 4;
    let srv = start(&faulty(&max_restarts.to_string(), "20")).await;
    srv.create_room("mined").await;
    let mut ws = srv.ws_user("sender").await;
    ws.join("mined").await;

    // Pipelined: the good messages wait in the mailbox behind each poison message.
    let plan = ["good-0", POISON, "good-1", "good-2", POISON, "good-3"];
    for (i, t) in plan.iter().enumerate() {
        ws.send(json!({"type": "send", "room": "mined", "text": t, "client_id": format!("c{i}"), "id": i}))
            .await;
    }
    let mut replies: BTreeMap<u64, Value> = BTreeMap::new();
    while replies.len() < plan.len() {
        let f = ws.expect_where("a reply", |f| f["type"] == "ack" || f["type"] == "error").await;
        let id = f["id"].as_u64().unwrap_or_else(|| panic!("reply without our id: {f}"));
        assert!(replies.insert(id, f.clone()).is_none(), "two replies to frame {id}: {f}");
    }
    let mut acked = Vec::new();
    for (i, t) in plan.iter().enumerate() {
        let f = &replies[&(i as u64)];
        if *t == POISON {
            assert_error_frame(f, Some(json!(i)), "room_unavailable");
        } else {
            assert_eq!(f["type"], "ack", "{t} is handled after the crash: {f}");
            acked.push((seq(f), t.to_string()));
        }
    }
    assert_eq!(acked.iter().map(|a| a.0).collect::<Vec<_>>(), [1, 2, 3, 4], "no seq is used by a poison");

    // Sending the poison again and again: the room restarts max_restarts times in the
    // window, the next crash quarantines it, and then it refuses without crashing.
    for _ in 0..2 * max_restarts {
        let reply =
            ws.request(json!({"type": "send", "room": "mined", "text": POISON, "client_id": "p"})).await;
        assert_error_frame(&reply, Some(reply["id"].clone()), "room_unavailable");
    }
    wait_status(&srv, "mined", "quarantined").await;
    let info = room(&srv, "mined").await;
    assert_eq!(
        info["restarts"], max_restarts,
        "the poison crashed the room a bounded number of times: {info}"
    );

    let resp = srv.post("/api/v1/rooms/mined/restart", &json!({})).send().await.expect("POST restart");
    assert_eq!(resp.status().as_u16(), 200);
    let history = ws.full_history("mined").await;
    let stored: Vec<(i64, String)> = history.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(stored, acked, "exactly the good messages are stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_session_closes_only_its_own_socket_with_1011() {
    let srv = start(&faulty("5", "20")).await;
    srv.create_room("lobby").await;
    let mut doomed = srv.ws_user("doomed").await;
    let mut bystander = srv.ws_user("bystander").await;
    doomed.join("lobby").await;
    bystander.join("lobby").await;

    doomed.send_raw(POISON.to_string()).await;
    assert_eq!(doomed.expect_close(TIMEOUT).await, Some(1011), "the failed session closes with 1011");

    let left = bystander.expect("member_left").await;
    assert_eq!(left["user"]["id"], "doomed", "{left}");
    bystander.ping().await;
    let ack = bystander.say("lobby", "still here").await;
    assert_eq!(seq(&ack), 1);
    let info = room(&srv, "lobby").await;
    assert_eq!(
        (&info["status"], &info["restarts"]),
        (&json!("running"), &json!(0)),
        "the room is untouched: {info}"
    );
    // The user can come back at once.
    let mut back = srv.ws(&srv.user("doomed2").await).await;
    back.join("lobby").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_fault_injection_there_is_no_crash_endpoint_and_no_poison() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let resp = srv.post("/api/v1/rooms/lobby/crash", &json!({})).send().await.expect("POST crash");
    assert_api_error(resp, 404, "not_found").await;
    let mut ws = srv.ws_user("someone").await;
    ws.join("lobby").await;
    let ack = ws.say("lobby", POISON).await;
    assert_eq!(seq(&ack), 1, "the text is an ordinary message");
    ws.send_raw(POISON.to_string()).await;
    let reply = ws.expect("error").await;
    assert_error_frame(&reply, None, "bad_request");
    ws.ping().await;
    assert_eq!(room(&srv, "lobby").await["restarts"], 0);
}

const OUTAGE_MESSAGES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_outage_loses_no_acked_message_and_work_resumes_by_itself() {
    let Some(db) = TestDb::postgres_with_own_role() else {
        eprintln!("skipped: the store outage test needs PostgreSQL (set ROOMD_TEST_DATABASE_URL)");
        return;
    };
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    env.extend([("ROOMD__STORE__COMMIT_TIMEOUT_MS", "1500"), ("ROOMD__DATABASE__CONNECT_TIMEOUT_MS", "500")]);
    let srv = TestServer::start_on(db, &env).await;
    srv.create_room("lobby").await;
    let mut sender = srv.ws_user("sender").await;
    let mut listener = srv.ws_user("listener").await;
    sender.join("lobby").await;
    listener.join("lobby").await;

    // The sender resends each message (same client_id) until it is acked.
    let acks = Arc::new(AtomicUsize::new(0));
    let count = acks.clone();
    let sending = tokio::spawn(async move {
        let (mut acked, mut refusals) = (Vec::new(), 0);
        for n in 0..OUTAGE_MESSAGES {
            let text = format!("m{n}");
            let (ack, refused) = send_until_acked(&mut sender, "lobby", &text, &text).await;
            refusals += refused;
            assert_eq!(ack["duplicate"], false, "{ack}");
            acked.push((seq(&ack), text));
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (acked, refusals)
    });

    eventually("some messages acked before the outage", LONG, || async { acks.load(Ordering::SeqCst) >= 30 })
        .await;
    srv.db().cut_off();
    // A commit already in flight may still finish; after that, nothing is acked.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = acks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(acks.load(Ordering::SeqCst), during, "no send is acked while the database is unreachable");
    assert!(during < OUTAGE_MESSAGES, "the outage began before the sender finished");
    let ready = srv.http().get(srv.url("/readyz")).send().await.expect("GET /readyz");
    assert_eq!(ready.status().as_u16(), 503, "not ready while the store is unreachable");
    srv.db().restore();

    let (acked, refusals) = tokio::time::timeout(Duration::from_secs(120), sending)
        .await
        .expect("the sender finished after the outage")
        .expect("sender task");
    assert!(refusals > 0, "a send waiting longer than commit_timeout_ms is answered room_unavailable");
    let want: Vec<i64> = (1..=OUTAGE_MESSAGES as i64).collect();
    assert_eq!(acked.iter().map(|a| a.0).collect::<Vec<_>>(), want, "one seq per message, no gap");

    let seen = messages(&mut listener, "lobby", OUTAGE_MESSAGES).await;
    let seen: Vec<(i64, String)> = seen.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(seen, acked, "the listener got every acked message once, in order");
    let mut reader = srv.ws_user("reader").await;
    reader.join("lobby").await;
    let stored: Vec<(i64, String)> =
        reader.full_history("lobby").await.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(stored, acked, "every acked message is stored exactly once");
    let ready = srv.http().get(srv.url("/readyz")).send().await.expect("GET /readyz");
    assert_eq!(ready.status().as_u16(), 200, "ready again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_drops_cost_no_message() {
    // PostgreSQL only: a restart of the database server, or an operator ending the
    // server's sessions, drops every connection the server holds, the store writers'
    // kept ones too; the next sends must be acked (after a reconnect), none refused.
    let Some(db) = TestDb::postgres_with_own_role() else { return };
    let srv = TestServer::start_on(db, FAST).await;
    srv.create_room("lobby").await;
    let mut sender = srv.ws_user("sender").await;
    let mut listener = srv.ws_user("listener").await;
    sender.join("lobby").await;
    listener.join("lobby").await;
    let mut acked = Vec::new();
    for round in 0..3 {
        if round > 0 {
            srv.db().drop_connections();
        }
        for n in 0..5 {
            let text = format!("r{round}m{n}");
            let reply = sender
                .request(json!({"type": "send", "room": "lobby", "text": text, "client_id": text}))
                .await;
            assert_eq!(reply["type"], "ack", "a send right after the connections were dropped: {reply}");
            assert_eq!(reply["duplicate"], false, "{reply}");
            acked.push((seq(&reply), text));
        }
    }
    let want: Vec<i64> = (1..=15).collect();
    assert_eq!(acked.iter().map(|a| a.0).collect::<Vec<_>>(), want, "one seq per message, no gap");
    let seen = messages(&mut listener, "lobby", 15).await;
    let seen: Vec<(i64, String)> = seen.iter().map(|m| (seq(m), text(m).to_string())).collect();
    assert_eq!(seen, acked, "the listener got every message once, in order");
}
