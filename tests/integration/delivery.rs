//! Delivery under load and across reconnects: one gapless order seen by every member,
//! and `join` with `after_seq` replaying exactly what a client missed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::common::{eventually, pick, seq, text, TestServer, WsClient, FAST, TIMEOUT};

const SENDERS: usize = 10;
const PER_SENDER: usize = 200;
const LISTENERS: usize = 5;
const TOTAL: usize = SENDERS * PER_SENDER;

/// A delivered message as (seq, text, sender id).
type Seen = (i64, String, String);

/// Reads `n` `message` frames.
async fn read_messages(ws: &mut WsClient, n: usize) -> Vec<Seen> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        let m = ws.expect("message").await;
        seen.push((seq(&m), text(&m).to_string(), m["from"]["id"].as_str().expect("from.id").to_string()));
    }
    seen
}

/// Pipelines all of sender `k`'s messages, then reads the replies (by id) and every
/// message of the room; returns (ack per message index, messages seen).
async fn run_sender(mut ws: WsClient, k: usize) -> (Vec<Value>, Vec<Seen>) {
    for i in 0..PER_SENDER {
        let frame = json!({"type": "send", "room": "lobby", "text": format!("s{k}-{i}"), "client_id": format!("c{k}-{i}"), "id": i});
        ws.send(frame).await;
    }
    let mut acks = vec![Value::Null; PER_SENDER];
    for _ in 0..PER_SENDER {
        let reply = ws.expect_where("an ack or error", |f| f["type"] == "ack" || f["type"] == "error").await;
        assert_eq!(reply["type"], "ack", "sender{k}: {reply}");
        let i =
            reply["id"].as_u64().unwrap_or_else(|| panic!("ack without our numeric id: {reply}")) as usize;
        assert!(acks[i].is_null(), "sender{k}: second reply to id {i}: {reply}");
        acks[i] = reply;
    }
    let seen = read_messages(&mut ws, TOTAL).await;
    (acks, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_senders_and_five_listeners_agree_on_one_gapless_order() {
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let mut clients = Vec::new();
    for name in
        (0..LISTENERS).map(|i| format!("listener{i}")).chain((0..SENDERS).map(|k| format!("sender{k}")))
    {
        let mut ws = srv.ws_user(&name).await;
        ws.join("lobby").await;
        clients.push(ws);
    }
    let senders = clients.split_off(LISTENERS);

    let listeners: Vec<_> = clients
        .into_iter()
        .map(|mut ws| tokio::spawn(async move { read_messages(&mut ws, TOTAL).await }))
        .collect();
    let senders: Vec<_> =
        senders.into_iter().enumerate().map(|(k, ws)| tokio::spawn(run_sender(ws, k))).collect();

    let mut orders = Vec::new();
    for l in listeners {
        orders.push(l.await.expect("listener task"));
    }
    let reference = orders[0].clone();
    let seqs: Vec<i64> = reference.iter().map(|s| s.0).collect();
    assert_eq!(seqs, (1..=TOTAL as i64).collect::<Vec<_>>(), "seq 1..{TOTAL}, in order, no gap");
    let texts: HashSet<&str> = reference.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(texts.len(), TOTAL, "every message exactly once");
    for (seq, text, from) in &reference {
        let k = text.trim_start_matches('s').split('-').next().unwrap_or("?");
        assert_eq!(from, &format!("sender{k}"), "seq {seq} {text:?} has the wrong sender");
    }
    for (i, order) in orders.iter().enumerate() {
        assert!(order == &reference, "listener{i} saw a different order than listener0");
    }

    let seq_of: HashMap<&str, i64> = reference.iter().map(|s| (s.1.as_str(), s.0)).collect();
    for (k, task) in senders.into_iter().enumerate() {
        let (acks, seen) = task.await.expect("sender task");
        assert!(seen == reference, "sender{k} saw a different order than the listeners");
        for (i, ack) in acks.iter().enumerate() {
            let expected_seq = seq_of[format!("s{k}-{i}").as_str()];
            assert_eq!(
                pick(ack, &["type", "id", "room", "seq", "client_id", "duplicate"]),
                json!({"type": "ack", "id": i, "room": "lobby", "seq": expected_seq, "client_id": format!("c{k}-{i}"), "duplicate": false}),
                "ack of sender{k} message {i}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_reconnects_with_after_seq_gets_every_message_exactly_once() {
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let mut sender = srv.ws_user("sender").await;
    sender.join("lobby").await;
    let token = srv.user("listener").await;
    let mut listener = srv.ws(&token).await;
    listener.join("lobby").await;

    // The sender keeps going, one message at a time, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicI64::new(0));
    let sending = tokio::spawn({
        let (stop, acked) = (stop.clone(), acked.clone());
        async move {
            let mut sent = Vec::new();
            while !stop.load(Ordering::SeqCst) && sent.len() < 20_000 {
                let text = format!("m{}", sent.len());
                let ack = sender.say("lobby", &text).await;
                acked.store(seq(&ack), Ordering::SeqCst);
                sent.push((seq(&ack), text));
            }
            sent
        }
    });

    let before = read_messages(&mut listener, 100).await;
    let last_seen = before.last().expect("100 messages").0;
    drop(listener); // the network goes away mid-stream
                    // Make sure there is something to replay.
    eventually("the sender gets 20 messages ahead", TIMEOUT, || {
        let ahead = acked.load(Ordering::SeqCst) >= last_seen + 20;
        async move { ahead }
    })
    .await;

    let mut listener = srv.ws(&token).await;
    let joined = listener.join_after("lobby", last_seen).await;
    assert_ne!(joined["truncated"], true, "a short gap is replayed in full: {joined}");
    let at_join = seq(&joined);
    assert!(at_join >= last_seen + 20, "joined.seq {at_join} is behind what was acked");
    let mut after = Vec::new();
    // Read well past the join point so replay and live both happen, then stop the sender.
    while after.last().is_none_or(|s: &Seen| s.0 < at_join + 100) {
        after.extend(read_messages(&mut listener, 1).await);
    }
    stop.store(true, Ordering::SeqCst);
    let sent = sending.await.expect("sender task");
    let last_sent = sent.last().expect("sent something").0;
    let remaining =
        usize::try_from(last_sent - after.last().unwrap().0).expect("no message beyond the last ack");
    after.extend(read_messages(&mut listener, remaining).await);

    let got: Vec<(i64, String)> = before.into_iter().chain(after).map(|(s, t, _)| (s, t)).collect();
    assert_eq!(
        sent.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=last_sent).collect::<Vec<_>>(),
        "acked seqs"
    );
    assert!(
        got == sent,
        "the listener's messages differ from what was sent (len {} vs {})",
        got.len(),
        sent.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_after_seq_replays_the_missed_messages_then_live_ones() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    for i in 1..=5 {
        alice.say("lobby", &format!("m{i}")).await;
    }
    let mut bob = srv.ws_user("bob").await;
    let joined = bob.join_after("lobby", 2).await;
    assert_eq!(joined["seq"], 5, "{joined}");
    assert_ne!(joined["truncated"], true, "{joined}");
    alice.say("lobby", "m6").await;
    let got: Vec<(i64, String)> =
        read_messages(&mut bob, 4).await.into_iter().map(|(s, t, _)| (s, t)).collect();
    assert_eq!(got, (3..=6).map(|i| (i, format!("m{i}"))).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_beyond_max_replay_is_marked_truncated_and_history_fills_it() {
    let srv = TestServer::start_with(&[("ROOMD__ROOMS__MAX_REPLAY", "5")]).await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    for i in 1..=10 {
        alice.say("lobby", &format!("m{i}")).await;
    }
    let mut bob = srv.ws_user("bob").await;
    let joined = bob.join_after("lobby", 0).await;
    assert_eq!((&joined["seq"], &joined["truncated"]), (&json!(10), &json!(true)), "{joined}");

    alice.say("lobby", "m11").await;
    let live = bob.expect_where("the live message 11", |f| f["type"] == "message" && f["seq"] == 11).await;
    assert_eq!(text(&live), "m11");
    let texts: Vec<String> = bob.full_history("lobby").await.iter().map(|m| text(m).to_string()).collect();
    assert_eq!(texts, (1..=11).map(|i| format!("m{i}")).collect::<Vec<_>>());
}
