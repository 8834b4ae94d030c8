//! The owner node of a busy room dies (`kill -9`) while senders on every node, the
//! owner's included, keep sending, several messages in flight each. Clients behave as
//! real ones: a send refused or left without an answer is sent again with the same
//! `client_id`; a dropped connection or a close (1012 included) means reconnecting to
//! a node that answers and joining with `after_seq` = the last seq seen. This proves: every acked message is stored once
//! with its acked seq and no seq carries two messages; every logical client — also
//! those whose node died — is delivered every seq exactly once, in order, with no gap,
//! across its reconnections; another node takes the room over (a survivor reports a
//! new `owner_node`) and `GET /api/v1/nodes` shows the dead node as not alive.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::common::{eventually, seq, LONG};
use crate::fixture::{create_room, get_json, node_id, stored_messages, Cluster, FAILOVER};
use crate::peer::Peer;

const ROOM: &str = "hot";
const MEMBERS_PER_NODE: usize = 2;
/// Pause between one sender's messages, to keep the traffic (and the resume gaps)
/// well within what a 2-core machine and `rooms.max_replay` handle.
const PACE: Duration = Duration::from_millis(2);
/// Messages a sender has in flight at once.
const IN_FLIGHT: usize = 4;
/// Acks (all senders) before the owner is killed.
const BEFORE_KILL: usize = 60;
/// Acks each sender must get after the kill before the traffic stops.
const AFTER_KILL: usize = 20;

/// What the test and its client tasks share.
struct Ctl {
    stop: AtomicBool,
    /// Acks per sender so far.
    acks: Vec<AtomicUsize>,
    /// Senders that have stopped sending.
    done: AtomicUsize,
}

/// Sends numbered messages until told to stop, each until acked; then reads on like
/// a member. Returns the client and (client_id, acked seq).
async fn run_sender(
    mut peer: Peer,
    k: usize,
    ctl: Arc<Ctl>,
    last: watch::Receiver<Option<i64>>,
) -> (Peer, Vec<(String, i64)>) {
    let mut acked = Vec::new();
    for round in 0.. {
        if ctl.stop.load(Ordering::SeqCst) {
            break;
        }
        let batch: Vec<(String, String)> = (0..IN_FLIGHT)
            .map(|i| format!("{}-{}", peer.name, round * IN_FLIGHT + i))
            .map(|id| (id.clone(), format!("message {id}")))
            .collect();
        for ((id, _), ack) in batch.iter().zip(peer.send_batch_until_acked(&batch).await) {
            acked.push((id.clone(), seq(&ack)));
        }
        ctl.acks[k].fetch_add(IN_FLIGHT, Ordering::SeqCst);
        tokio::time::sleep(PACE).await;
    }
    ctl.done.fetch_add(1, Ordering::SeqCst);
    (peer.follow(last).await, acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_under_traffic_loses_and_repeats_nothing() {
    let mut cluster = Cluster::start(3, &[]).await;
    create_room(&cluster.nodes[0], ROOM).await;
    let addrs = cluster.addrs();
    let n0 = &cluster.nodes[0];

    // The first join makes the room live somewhere; that node is the one to kill.
    let first = Peer::join("member0-0", &n0.user("member0-0").await, ROOM, addrs.clone(), 0).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let dead_id = node_id(owner);

    let mut members = vec![first];
    for node in 0..3 {
        for m in 0..MEMBERS_PER_NODE {
            let name = format!("member{node}-{m}");
            if name != "member0-0" {
                members.push(Peer::join(&name, &n0.user(&name).await, ROOM, addrs.clone(), node).await);
            }
        }
    }
    // One sender per node: the owner's and the two others'.
    let mut senders = Vec::new();
    for node in 0..3 {
        let name = format!("sender{node}");
        senders.push(Peer::join(&name, &n0.user(&name).await, ROOM, addrs.clone(), node).await);
    }

    let ctl = Arc::new(Ctl {
        stop: AtomicBool::new(false),
        acks: (0..senders.len()).map(|_| AtomicUsize::new(0)).collect(),
        done: AtomicUsize::new(0),
    });
    let (set_last, last) = watch::channel(None);
    let member_tasks: Vec<_> = members.into_iter().map(|p| tokio::spawn(p.follow(last.clone()))).collect();
    let sender_tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(k, p)| tokio::spawn(run_sender(p, k, ctl.clone(), last.clone())))
        .collect();
    let acks_of = |k: usize| ctl.acks[k].load(Ordering::SeqCst);

    eventually(&format!("{BEFORE_KILL} acks before the kill"), LONG, || {
        let total: usize = (0..3).map(acks_of).sum();
        async move { total >= BEFORE_KILL }
    })
    .await;
    cluster.nodes[owner].kill_9().await;
    let at_kill: Vec<usize> = (0..3).map(acks_of).collect();

    let survivor = (owner + 1) % 3;
    let new_owner = cluster.wait_owner(survivor, ROOM, |o| o != dead_id).await;
    eventually(&format!("every sender gets {AFTER_KILL} acks after the kill"), FAILOVER, || {
        let resumed = (0..3).all(|k| acks_of(k) >= at_kill[k] + AFTER_KILL);
        async move { resumed }
    })
    .await;
    ctl.stop.store(true, Ordering::SeqCst);
    eventually("the senders stop", FAILOVER, || {
        let done = ctl.done.load(Ordering::SeqCst) == 3;
        async move { done }
    })
    .await;

    // Every send was repeated until acked, so the acked messages are all there is.
    let mut acked: HashMap<String, i64> = HashMap::new();
    let mut peers = Vec::new();
    // The senders are done: the room's last seq is final.
    let view = cluster.room(survivor, ROOM).await;
    let top = view["last_seq"].as_i64().unwrap_or_else(|| panic!("last_seq in {view}"));
    set_last.send(Some(top)).expect("clients listen");
    for task in sender_tasks {
        let (peer, sent) = task.await.expect("sender task");
        acked.extend(sent);
        peers.push(peer);
    }
    for task in member_tasks {
        peers.push(task.await.expect("member task"));
    }

    // Stored: seqs 1..=top, each message once, exactly the acked ones at their acked seqs.
    let stored = stored_messages(&cluster.nodes[survivor], ROOM).await;
    let stored_seqs: Vec<i64> = stored.iter().map(seq).collect();
    assert_eq!(stored_seqs, (1..=top).collect::<Vec<_>>(), "stored seqs are 1..=last_seq with no gap");
    let by_seq: HashMap<i64, &str> =
        stored.iter().map(|m| (seq(m), m["client_id"].as_str().unwrap_or_default())).collect();
    let distinct: HashSet<&str> = by_seq.values().copied().collect();
    assert_eq!(distinct.len(), stored.len(), "a client_id is stored under two seqs");
    for (client_id, s) in &acked {
        assert_eq!(by_seq.get(s), Some(&client_id.as_str()), "{client_id} was acked with seq {s}");
    }
    assert_eq!(acked.len(), stored.len(), "stored messages that no ack reported");
    assert_eq!(top, acked.values().copied().max().unwrap_or(0), "the highest acked seq is the room's last");

    // Every logical client: each seq once, in order, carrying the stored message.
    for peer in &peers {
        peer.assert_each_seq_once_in_order(top);
        for (s, client_id) in &peer.delivered {
            assert_eq!(by_seq.get(s), Some(&client_id.as_str()), "{} got seq {s} as {client_id}", peer.name);
        }
    }
    assert!(peers.iter().all(|p| p.node != owner), "every client ends on a surviving node");
    // Operators see the dead node as such.
    let nodes = get_json(&cluster.nodes[survivor], "/api/v1/nodes").await;
    let dead =
        nodes["items"].as_array().expect("items").iter().find(|n| n["id"] == dead_id.as_str()).cloned();
    assert_eq!(dead.as_ref().map(|n| &n["alive"]), Some(&serde_json::json!(false)), "{nodes}");
    let owner_now = cluster.owner_of(survivor, ROOM).await;
    assert_eq!(owner_now.as_deref(), Some(node_id(new_owner).as_str()), "the room stays with its new owner");
    for p in &peers {
        let (refused, dups) = (p.errors.len(), p.duplicates);
        eprintln!(
            "{}: ends on {}, connection ends {:?}, {refused} refused sends, {dups} duplicate acks",
            p.name,
            node_id(p.node),
            p.ends
        );
    }
    eprintln!("owner {dead_id} killed; new owner {}; {} messages acked", node_id(new_owner), acked.len());
}
