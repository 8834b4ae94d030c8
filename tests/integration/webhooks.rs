//! Webhooks (docs/INTEGRATIONS.md): committed events reach a real HTTP receiver in
//! this process, signed, in commit order, at least once per idempotency key — across a
//! `kill -9`, a receiver that fails and recovers, and a pause and resume. Bad input is
//! 422 naming the field.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::receiver::{Receiver, Reply};
use crate::common::{assert_api_error, eventually, seq, TestServer, FAST, LONG};
use crate::durability::{start_senders, wait_for_acks};

const SECRET: &str = "s3cret-s3cret-s3cret";

/// Fast polls and retries, small batches (so a crash lands mid-stream).
const QUICK: &[(&str, &str)] = &[
    ("ROOMD__LIMITS__MSGS_PER_SEC", "100000"),
    ("ROOMD__LIMITS__BURST", "100000"),
    ("ROOMD__WEBHOOKS__POLL_MS", "20"),
    ("ROOMD__WEBHOOKS__BATCH_MAX", "10"),
    ("ROOMD__WEBHOOKS__RETRY_MIN_MS", "20"),
    ("ROOMD__WEBHOOKS__RETRY_MAX_MS", "100"),
];

fn ok() -> Reply {
    (200, json!({}), Duration::ZERO)
}

async fn create_webhook(srv: &TestServer, body: Value) -> Value {
    let resp = srv.post("/api/v1/webhooks", &body).send().await.expect("POST /webhooks");
    let status = resp.status().as_u16();
    let view: Value = resp.json().await.expect("webhook JSON");
    assert_eq!(status, 201, "create webhook: {view}");
    view
}

async fn get_json(srv: &TestServer, path: &str) -> Value {
    let resp = srv.get(path).send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.json().await.expect("JSON")
}

/// The endpoint at `path` once its stored position has caught up (`lag` 0): the
/// position moves after the receiver's answer, so a test that saw the answer waits
/// for the store.
async fn caught_up(srv: &TestServer, path: &str) -> Value {
    eventually("the endpoint's position caught up", LONG, || {
        let get = srv.get(path).send();
        async move { get.await.unwrap().json::<Value>().await.unwrap()["lag"] == 0 }
    })
    .await;
    get_json(srv, path).await
}

/// The seqs of room `room`'s `message` events, in the order received.
fn message_seqs(events: &[Value], room: &str) -> Vec<i64> {
    events
        .iter()
        .filter(|e| e["type"] == "message" && e["room"] == room)
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

/// Each key once, in first-arrival order; asserts a repeat only ever repeats a key
/// already seen (at-least-once) and that first arrivals keep commit order.
fn first_arrivals(seqs: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    let firsts: Vec<i64> = seqs.iter().copied().filter(|s| seen.insert(*s)).collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "first arrivals out of commit order: {firsts:?}");
    firsts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_422_naming_the_field() {
    let srv = TestServer::start().await;
    let good = json!({"url": "http://127.0.0.1:9/h", "events": ["message"], "secret": SECRET});
    for (field, value) in [
        ("url", json!("ftp://127.0.0.1/h")),
        ("url", json!("not a url")),
        ("events", json!(["message", "message_edited"])),
        ("events", json!([])),
        ("secret", json!("short")),
    ] {
        let mut body = good.clone();
        body[field] = value.clone();
        let resp = srv.post("/api/v1/webhooks", &body).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 422, "{field} = {value}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unprocessable", "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "the message names {field}: {message}");
    }
    let resp = srv
        .post("/api/v1/webhooks", &json!({"url": "http://127.0.0.1:9/h", "events": ["message"]}))
        .send()
        .await
        .unwrap();
    assert_api_error(resp, 422, "unprocessable").await;
    let created = create_webhook(&srv, good).await;
    let id = created["id"].as_str().unwrap();
    assert!(created.get("secret").is_none(), "the secret is never shown: {created}");
    let resp = srv
        .http()
        .patch(srv.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"url": "gopher://x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let resp = srv.get("/api/v1/webhooks/wh_nosuchwebhook00").send().await.unwrap();
    assert_api_error(resp, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_message_reaches_the_endpoint_once_per_key_across_kill_9() {
    let receiver = Receiver::start(|_| ok());
    let mut srv = TestServer::start_with(QUICK).await;
    srv.create_room("lobby").await;
    create_webhook(&srv, json!({"url": receiver.url, "events": ["message"], "secret": SECRET})).await;
    let count = Arc::new(AtomicUsize::new(0));
    let senders = start_senders(&srv, 3, &count).await;
    wait_for_acks(&count, 300).await;
    eventually("deliveries are under way", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n > 0 }
    })
    .await;
    srv.kill_9().await;
    let mut acked = Vec::new();
    for task in senders {
        acked.extend(task.await.expect("sender task").into_iter().map(|(s, _)| s));
    }
    srv.restart().await;

    let mut reader = srv.ws_user("reader").await;
    let last = seq(&reader.join("lobby").await);
    assert!(acked.iter().all(|s| *s <= last), "every acked message is stored");
    eventually("every stored message reached the endpoint", LONG, || {
        let got: HashSet<i64> = message_seqs(&receiver.accepted_events(), "lobby").into_iter().collect();
        async move { (1..=last).all(|s| got.contains(&s)) }
    })
    .await;
    let events = receiver.accepted_events();
    let firsts = first_arrivals(&message_seqs(&events, "lobby"));
    assert_eq!(firsts, (1..=last).collect::<Vec<_>>(), "each stored message once, in seq order");
    for e in &events {
        assert_eq!(
            e["key"],
            format!("message:lobby:{}", e["seq"]),
            "the idempotency key is (room, seq): {e}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_5_times_then_recovering_gets_everything_in_order() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let receiver = Receiver::start(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
        0..5 => (500, json!({"error": "down"}), Duration::ZERO),
        _ => ok(),
    });
    let srv = TestServer::start_with(QUICK).await;
    srv.create_room("lobby").await;
    let hook =
        create_webhook(&srv, json!({"url": receiver.url, "events": ["message"], "secret": SECRET})).await;
    let id = hook["id"].as_str().unwrap();
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    for n in 1..=25 {
        ws.say("lobby", &format!("m{n}")).await;
    }
    eventually("all 25 delivered", LONG, || {
        let n = first_arrivals(&message_seqs(&receiver.accepted_events(), "lobby")).len();
        async move { n == 25 }
    })
    .await;
    let events = receiver.accepted_events();
    assert_eq!(message_seqs(&events, "lobby"), (1..=25).collect::<Vec<_>>(), "in order, none twice");
    assert_eq!(events[0]["data"]["text"], "m1", "{}", events[0]);
    let failed: Vec<Value> =
        receiver.requests().iter().filter(|r| r.status == 500).map(|r| r.json()).collect();
    assert_eq!(failed.len(), 5);
    assert!(
        failed.iter().all(|b| b["events"][0]["seq"] == 1),
        "every retry starts at the first undelivered event"
    );

    let view = caught_up(&srv, &format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(
        (&view["state"], &view["failures"], &view["last_status"], &view["lag"]),
        (&json!("active"), &json!(0), &json!(200), &json!(0)),
        "{view}"
    );
    let log = get_json(&srv, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    let statuses: Vec<i64> =
        log["items"].as_array().unwrap().iter().rev().map(|d| d["status"].as_i64().unwrap()).collect();
    assert_eq!(&statuses[..5], &[500; 5], "the log shows the failures oldest first: {log}");
    assert!(statuses[5..].iter().all(|s| *s == 200), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_endpoint_shows_why_and_resumes_from_its_position() {
    let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = up.clone();
    let receiver = Receiver::start(move |_| match flag.load(Ordering::SeqCst) {
        true => ok(),
        false => (503, json!({}), Duration::ZERO),
    });
    let mut env = QUICK.to_vec();
    env.push(("ROOMD__WEBHOOKS__MAX_FAILURES", "3"));
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    let hook =
        create_webhook(&srv, json!({"url": receiver.url, "events": ["message"], "secret": SECRET})).await;
    let path = format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap());
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    for n in 1..=5 {
        ws.say("lobby", &format!("m{n}")).await;
    }
    eventually("the endpoint is paused", LONG, || {
        let get = srv.get(&path).send();
        async move { get.await.unwrap().json::<Value>().await.unwrap()["state"] == "paused" }
    })
    .await;
    let view = get_json(&srv, &path).await;
    assert_eq!((&view["failures"], &view["last_status"]), (&json!(3), &json!(503)), "{view}");
    // The 5 messages at least (alice's membership too, unless a round passed it
    // before the first message committed).
    assert!(view["lag"].as_i64().unwrap() >= 5, "{view}");
    assert!(view["last_error"].as_str().unwrap().contains("503"), "{view}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.requests().len(), 3, "a paused endpoint gets nothing more");

    ws.say("lobby", "m6").await;
    up.store(true, Ordering::SeqCst);
    let resp = srv.post(&format!("{path}/resume"), &json!({})).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    eventually("everything delivered after resume", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n == 6 }
    })
    .await;
    assert_eq!(message_seqs(&receiver.accepted_events(), "lobby"), (1..=6).collect::<Vec<_>>());
    let view = caught_up(&srv, &path).await;
    assert_eq!(
        (&view["state"], &view["failures"], &view["lag"]),
        (&json!("active"), &json!(0), &json!(0)),
        "{view}"
    );
}

/// The documented Python verification (docs/INTEGRATIONS.md, the first `python` block)
/// run on what the receiver got; and the same HMAC computed here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_verify_with_the_documented_signature_snippet() {
    use hmac::{Hmac, Mac};
    let receiver = Receiver::start(|_| ok());
    let srv = TestServer::start_with(QUICK).await;
    let hook = create_webhook(
        &srv,
        json!({"url": receiver.url, "events": ["message", "room_created", "member_joined"], "secret": SECRET}),
    )
    .await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    ws.say("lobby", "signed").await;
    eventually("three events", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n >= 3 }
    })
    .await;
    let types: Vec<Value> = receiver.accepted_events().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [json!("room_created"), json!("member_joined"), json!("message")], "in commit order");

    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/INTEGRATIONS.md")).unwrap();
    let snippet =
        doc.split("```python\n").nth(1).and_then(|s| s.split("```").next()).expect("a python block");
    for r in receiver.requests() {
        let (ts, sig) = (r.timestamp.clone().unwrap(), r.signature.clone().unwrap());
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(&r.body);
        assert_eq!(sig, format!("v1={}", hex::encode(mac.finalize().into_bytes())));
        assert_eq!(r.json()["webhook"], hook["id"]);

        let script = format!(
            "{snippet}\nimport sys\nbody = sys.stdin.buffer.read()\n\
             assert verify({SECRET:?}.encode(), {ts:?}, body, {sig:?}, now={ts})\n\
             assert not verify(b'another-secret-0000', {ts:?}, body, {sig:?}, now={ts})\n\
             assert not verify({SECRET:?}.encode(), {ts:?}, body + b' ', {sig:?}, now={ts})\n\
             assert not verify({SECRET:?}.encode(), {ts:?}, body, {sig:?}, now={ts} + 3600)\n"
        );
        let mut child = std::process::Command::new("python3")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the documented snippet");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&r.body).unwrap();
        assert!(child.wait().unwrap().success(), "the documented snippet verifies the delivery");
    }

    let test = srv
        .post(&format!("/api/v1/webhooks/{}/test", hook["id"].as_str().unwrap()), &json!({}))
        .send()
        .await
        .unwrap();
    let outcome: Value = test.json().await.unwrap();
    assert_eq!((&outcome["ok"], &outcome["status"]), (&json!(true), &json!(200)), "{outcome}");
    assert_eq!(receiver.requests().last().unwrap().json()["events"][0]["type"], "test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_gets_only_its_event_types_and_rooms() {
    let receiver = Receiver::start(|_| ok());
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("a").await;
    srv.create_room("b").await;
    create_webhook(
        &srv,
        json!({"url": receiver.url, "events": ["message"], "rooms": ["a"], "secret": SECRET}),
    )
    .await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("a").await;
    ws.join("b").await;
    ws.say("b", "not for the endpoint").await;
    ws.say("a", "for the endpoint").await;
    eventually("one event", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n >= 1 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = receiver.accepted_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((&events[0]["room"], &events[0]["data"]["text"]), (&json!("a"), &json!("for the endpoint")));
}

/// PostgreSQL: transactions overlap, so an outbox row can take its id before rows
/// that commit first. Such an event is delivered when its transaction commits, after
/// the events that committed before it — never passed for good. (SQLite has one
/// writer at a time: no transaction can hold an id while others commit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_commits_after_later_ids_is_still_delivered() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let receiver = Receiver::start(|_| ok());
    let srv = TestServer::start_with(QUICK).await;
    if !srv.db().url().starts_with("postgres") {
        return;
    }
    create_webhook(
        &srv,
        json!({"url": receiver.url, "events": ["room_created", "message"], "secret": SECRET}),
    )
    .await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;

    // A transaction that creates a room (its outbox row takes an id now) and stays open.
    let mut held = PgConnection::establish(&srv.db().url()).expect("connect");
    diesel::sql_query("BEGIN").execute(&mut held).expect("BEGIN");
    diesel::sql_query(
        "INSERT INTO rooms (id, name, tags, settings, created_at, updated_at) \
         VALUES ('late', 'late', '[]', '{}', 0, 0)",
    )
    .execute(&mut held)
    .expect("insert a room");
    for text in ["one", "two", "three"] {
        ws.say("lobby", text).await;
    }
    eventually("the messages that committed first", LONG, || {
        let n = message_seqs(&receiver.accepted_events(), "lobby").len();
        async move { n >= 3 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // several rounds pass meanwhile
    diesel::sql_query("COMMIT").execute(&mut held).expect("COMMIT");

    eventually("the room created last is delivered", LONG, || {
        let events = receiver.accepted_events();
        async move { events.iter().any(|e| e["type"] == "room_created" && e["room"] == "late") }
    })
    .await;
    let events = receiver.accepted_events();
    let late = events.iter().position(|e| e["room"] == "late").expect("late");
    let last_message = events.iter().rposition(|e| e["type"] == "message").expect("messages");
    assert!(late > last_message, "delivered in commit order: {events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_departures_and_a_room_deletion_are_delivered_in_order() {
    let receiver = Receiver::start(|_| ok());
    let srv = TestServer::start_with(QUICK).await;
    let events = ["member_joined", "message_deleted", "member_left", "room_deleted"];
    create_webhook(&srv, json!({"url": receiver.url, "events": events, "secret": SECRET})).await;
    srv.create_room("r").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("r").await;
    let said = seq(&alice.say("r", "oops").await);
    let admin = |req: reqwest::RequestBuilder| req.bearer_auth(&srv.admin_token).send();
    let del = admin(srv.http().delete(srv.url(&format!("/api/v1/rooms/r/messages/{said}")))).await.unwrap();
    assert_eq!(del.status().as_u16(), 200);
    let kick = admin(srv.http().delete(srv.url("/api/v1/rooms/r/members/alice"))).await.unwrap();
    assert!(kick.status().is_success(), "{}", kick.status());
    let gone = admin(srv.http().delete(srv.url("/api/v1/rooms/r"))).await.unwrap();
    assert_eq!(gone.status().as_u16(), 204);

    eventually("the room's deletion", LONG, || {
        let got = receiver.accepted_events();
        async move { got.iter().any(|e| e["type"] == "room_deleted") }
    })
    .await;
    let got = receiver.accepted_events();
    let kinds: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, events, "{got:?}");
    assert_eq!((&got[1]["room"], &got[1]["seq"]), (&json!("r"), &json!(said)));
    assert_eq!(got[2]["data"]["user"]["id"], "alice", "{}", got[2]);
    assert_eq!(got[3]["room"], "r");
}

/// The outbox's triggers go with the last webhook and come back with the next one:
/// a message sent while no webhook exists reaches no one, the first one after a new
/// webhook is created reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_created_after_the_last_was_deleted_gets_what_follows_and_nothing_from_between() {
    let receiver = Receiver::start(|_| ok());
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let body = json!({"url": receiver.url, "events": ["message"], "secret": SECRET});
    let first = create_webhook(&srv, body.clone()).await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    ws.say("lobby", "to the first").await;
    eventually("the first webhook's event", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n == 1 }
    })
    .await;
    let path = format!("/api/v1/webhooks/{}", first["id"].as_str().unwrap());
    let gone = srv.http().delete(srv.url(&path)).bearer_auth(&srv.admin_token).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 204);

    ws.say("lobby", "while none exists").await;
    create_webhook(&srv, body).await;
    let after = seq(&ws.say("lobby", "to the second").await);
    eventually("the second webhook's event", LONG, || {
        let n = receiver.accepted_events().len();
        async move { n >= 2 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = receiver.accepted_events();
    let texts: Vec<&str> = events.iter().map(|e| e["data"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["to the first", "to the second"], "{events:?}");
    assert_eq!(events[1]["seq"], json!(after));
}
