//! Durability across process death: after `kill -9` or SIGTERM while clients are
//! sending, every acked message is in history with its seq and text after a restart,
//! and seqs continue with no gap and no reuse. SIGTERM also closes sockets with 1001
//! and exits 0 within 10 s.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::task::JoinHandle;

use crate::common::{eventually, seq, text, TestServer, WsClient, FAST, LONG, TIMEOUT};

/// Sends in flight per sender before waiting for their replies.
const WINDOW: usize = 16;

/// Messages acked to one sender, as (seq, text).
pub(crate) type Acked = Vec<(i64, String)>;

/// Sends numbered messages to `lobby`, `WINDOW` at a time, until the server goes
/// away; returns what was acked. Errors (e.g. during shutdown) are not acks.
async fn send_until_gone(mut ws: WsClient, name: String, count: Arc<AtomicUsize>) -> Acked {
    let mut acked = Vec::new();
    let mut n = 0;
    'run: loop {
        for _ in 0..WINDOW {
            let text = format!("{name}-{n}");
            n += 1;
            if !ws
                .try_send(
                    json!({"type": "send", "room": "lobby", "text": text, "client_id": text, "id": text}),
                )
                .await
            {
                break 'run;
            }
        }
        let mut waiting = WINDOW;
        while waiting > 0 {
            let Some(frame) = ws.try_next(TIMEOUT).await else { break 'run };
            match frame["type"].as_str() {
                Some("ack") => {
                    assert_eq!(
                        (&frame["duplicate"], &frame["client_id"]),
                        (&json!(false), &frame["id"]),
                        "{frame}"
                    );
                    acked.push((seq(&frame), frame["id"].as_str().expect("ack id").to_string()));
                    count.fetch_add(1, Ordering::SeqCst);
                    waiting -= 1;
                }
                Some("error") => waiting -= 1,
                _ => {} // the room's message frames
            }
        }
    }
    acked
}

/// Starts `n` joined senders.
pub(crate) async fn start_senders(
    srv: &TestServer,
    n: usize,
    count: &Arc<AtomicUsize>,
) -> Vec<JoinHandle<Acked>> {
    let mut tasks = Vec::new();
    for k in 0..n {
        let name = format!("sender{k}");
        let mut ws = srv.ws_user(&name).await;
        ws.join("lobby").await;
        tasks.push(tokio::spawn(send_until_gone(ws, name, count.clone())));
    }
    tasks
}

pub(crate) async fn wait_for_acks(count: &Arc<AtomicUsize>, n: usize) {
    eventually(&format!("{n} acks"), LONG, || {
        let done = count.load(Ordering::SeqCst) >= n;
        async move { done }
    })
    .await;
}

/// After a restart: history is exactly seq 1..=last, holds every acked (seq, text)
/// and each text once, and a new send gets last + 1.
async fn assert_history_keeps(srv: &TestServer, senders: Vec<JoinHandle<Acked>>) {
    let mut acked = Vec::new();
    for task in senders {
        acked.extend(task.await.expect("sender task"));
    }
    assert!(!acked.is_empty(), "nothing was acked before the server went down");

    let mut reader = srv.ws_user("reader").await;
    let last = seq(&reader.join("lobby").await);
    let history = reader.full_history("lobby").await;
    let seqs: Vec<i64> = history.iter().map(seq).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "stored seqs are 1..=joined.seq without gap");
    let stored: HashMap<i64, &str> = history.iter().map(|m| (seq(m), text(m))).collect();
    let distinct: HashSet<&str> = stored.values().copied().collect();
    assert_eq!(distinct.len(), history.len(), "a message was stored twice");
    for (s, t) in &acked {
        assert_eq!(
            stored.get(s),
            Some(&t.as_str()),
            "acked message {t:?} with seq {s} is not in history as acked"
        );
    }

    let ack = reader.say("lobby", "after restart").await;
    assert_eq!(seq(&ack), last + 1, "a new send continues right after the highest stored seq");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_survive_kill_9_and_seqs_continue() {
    let mut srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let count = Arc::new(AtomicUsize::new(0));
    let senders = start_senders(&srv, 4, &count).await;

    wait_for_acks(&count, 300).await;
    srv.kill_9().await;
    srv.restart().await;
    assert_history_keeps(&srv, senders).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_exits_0_and_keeps_acked_messages() {
    let mut srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let mut listener = srv.ws_user("listener").await;
    listener.join("lobby").await;
    let mut idle = srv.ws_user("idle").await;
    let count = Arc::new(AtomicUsize::new(0));
    let senders = start_senders(&srv, 3, &count).await;
    // Read concurrently so the close handshake is answered at once.
    let closes = [
        tokio::spawn(async move { listener.expect_close(LONG).await }),
        tokio::spawn(async move { idle.expect_close(LONG).await }),
    ];

    wait_for_acks(&count, 200).await;
    srv.terminate();
    let status =
        srv.wait_exit(Duration::from_secs(10)).await.expect("roomd still running 10 s after SIGTERM");
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM; stderr:\n{}", srv.stderr_text());
    for (who, close) in ["a room member", "a session in no room"].iter().zip(closes) {
        assert_eq!(close.await.expect("close task"), Some(1001), "close code seen by {who}");
    }

    srv.restart().await;
    assert_history_keeps(&srv, senders).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_ahead_log_stops_growing_while_writes_never_pause() {
    // SQLite only, whatever store the suite runs on: the log is SQLite's `-wal` file.
    // Under writes that never pause, checkpoints alone never start the log over, so
    // without the store writer's restart (src/store/checkpoint.rs) the file grows with
    // every commit, in proportion to the messages.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("roomd.db").display());
    let mut env = FAST.to_vec();
    env.push(("ROOMD__DATABASE__SQLITE_WAL_MAX_MB", "1"));
    let mut srv = TestServer::new_shared(&url, &env);
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;
    srv.create_room("lobby").await;
    let wal = dir.path().join("roomd.db-wal");
    let wal_bytes = move || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    const LIMIT: u64 = 1 << 20;

    let count = Arc::new(AtomicUsize::new(0));
    let senders = start_senders(&srv, 3, &count).await;
    let grown = wal_bytes.clone();
    eventually("the WAL grows past 1 MiB", Duration::from_secs(60), || {
        let past = grown() > LIMIT;
        async move { past }
    })
    .await;
    let (acked_then, size_then) = (count.load(Ordering::SeqCst).max(1), wal_bytes());
    // Several of the checkpoint thread's 1 s periods of writes.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (acked_now, size) = (count.load(Ordering::SeqCst), wal_bytes());
    assert!(acked_now > acked_then * 2, "the sends went on: {acked_then} then {acked_now} acked");
    // Without a restart the file would have grown with the messages.
    let unbounded = size_then as f64 * acked_now as f64 / acked_then as f64;
    assert!(
        (size as f64) < unbounded / 2.0,
        "the WAL is {size} bytes with {acked_now} acked; it was {size_then} at {acked_then} acked"
    );

    // Nothing acked was lost to a restart of the log.
    srv.terminate();
    srv.wait_exit(Duration::from_secs(10)).await.expect("roomd still running 10 s after SIGTERM");
    srv.restart().await;
    assert_history_keeps(&srv, senders).await;
}
