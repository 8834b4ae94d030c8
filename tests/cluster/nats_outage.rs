//! A NATS outage between two nodes (their own `nats-server`, killed with SIGKILL and
//! started again on the same port). While NATS is gone, a send that must cross
//! nodes is refused with `room_unavailable` and sends on the room's owner node keep
//! being acked. When NATS is back, sends from the other node are acked again, and
//! the member on the other node is delivered every message acked during the outage
//! (more than `rooms.max_replay` of them), in seq order, exactly once, with no gap.
//! Meanwhile `/readyz` stays 200 on both nodes and reports `"nats": false`.

use std::collections::HashMap;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::common::db::postgres_url_or;
use crate::common::services::{self, Need};
use crate::common::{seq, LONG};
use crate::fixture::{create_room, node_id, stored_messages, Cluster, DEFAULT_PG};
use crate::nats::{self, PrivateNats};
use crate::peer::Peer;

const ROOM: &str = "calm";
/// Sends on the owner node while NATS is down: several times `rooms.max_replay`, so
/// catching up takes more than one read (or, after a reconnect, paging with `history`).
const DURING: usize = 30;
const MAX_REPLAY: &str = "8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_outage_refuses_cross_node_sends_and_loses_nothing() {
    if !services::present(&[Need::Program(nats::BIN), Need::Postgres(&postgres_url_or(DEFAULT_PG))]) {
        return;
    }
    let mut nats = PrivateNats::start().await;
    let Some(cluster) = Cluster::start_on(2, &nats.url(), &[("ROOMD__ROOMS__MAX_REPLAY", MAX_REPLAY)]).await
    else {
        return;
    };
    let n0 = &cluster.nodes[0];
    create_room(n0, ROOM).await;
    let addrs = cluster.addrs();

    // The first join makes the room live on some node: the owner.
    let probe = Peer::join("probe", &n0.user("probe").await, ROOM, addrs.clone(), 0).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let other = 1 - owner;
    let peer = |name: &'static str, node: usize| {
        let addrs = addrs.clone();
        async move { Peer::join(name, &n0.user(name).await, ROOM, addrs, node).await }
    };
    let member_owner = peer("member-on-owner", owner).await;
    let member_other = peer("member-on-other", other).await;
    let mut sender_owner = peer("sender-on-owner", owner).await;
    let mut sender_other = peer("sender-on-other", other).await;

    let (set_last, last) = watch::channel(None);
    let listeners: Vec<_> = [probe, member_owner, member_other]
        .into_iter()
        .map(|p| tokio::spawn(p.follow(last.clone())))
        .collect();

    let mut acked: HashMap<String, i64> = HashMap::new();
    for (who, id) in [(&mut sender_other, "other-before"), (&mut sender_owner, "owner-before")] {
        acked.insert(id.to_string(), seq(&who.send_until_acked(id, id).await));
    }

    nats.kill_9();
    // The node may take a moment to notice: until then a cross-node send may still
    // be acked (it was, then, committed).
    let deadline = Instant::now() + LONG;
    let refusal = loop {
        assert!(Instant::now() < deadline, "no send from {} was refused within {LONG:?}", node_id(other));
        let id = format!("other-during-{}", acked.len());
        match sender_other.send_once(&id, &id).await {
            Some(r) if r["type"] == "ack" => {
                acked.insert(id, seq(&r));
            }
            Some(r) => break r,
            None => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (&refusal["type"], &refusal["code"]),
        (&serde_json::json!("error"), &serde_json::json!("room_unavailable")),
        "a send from the other node during the outage: {refusal}"
    );
    let mut during = Vec::new();
    for n in 0..DURING {
        let id = format!("owner-during-{n}");
        let reply = sender_owner.send_once(&id, &id).await;
        let reply = reply.unwrap_or_else(|| panic!("send {id} on the owner node got no answer"));
        assert_eq!(reply["type"], "ack", "send {id} on the owner node during the outage: {reply}");
        during.push(seq(&reply));
        acked.insert(id, seq(&reply));
    }

    // Every node has lost NATS alike: they stay ready (each serves the rooms it owns)
    // and say `nats: false`.
    for node in &cluster.nodes {
        let ready = node.http().get(node.url("/readyz")).send().await.expect("GET /readyz");
        assert_eq!(ready.status().as_u16(), 200, "a node stays ready during a NATS outage");
        let body: serde_json::Value = ready.json().await.expect("readyz JSON");
        assert_eq!(body["nats"], serde_json::json!(false), "/readyz during the outage: {body}");
    }

    nats.restart().await;
    acked.insert(
        "other-after".into(),
        seq(&sender_other.send_until_acked("other-after", "other-after").await),
    );
    acked.insert(
        "owner-after".into(),
        seq(&sender_owner.send_until_acked("owner-after", "owner-after").await),
    );

    let top = acked.values().copied().max().expect("acks");
    set_last.send(Some(top)).expect("listeners");
    let mut peers = Vec::new();
    for task in listeners {
        peers.push(task.await.expect("listener task"));
    }
    for sender in [sender_owner, sender_other] {
        peers.push(sender.follow(last.clone()).await);
    }

    let stored = stored_messages(&cluster.nodes[other], ROOM).await;
    let by_seq: HashMap<i64, &str> =
        stored.iter().map(|m| (seq(m), m["client_id"].as_str().unwrap_or_default())).collect();
    assert_eq!(stored.len(), by_seq.len(), "a seq is stored twice");
    for (id, s) in &acked {
        assert_eq!(by_seq.get(s), Some(&id.as_str()), "{id} was acked with seq {s}");
    }
    for peer in &peers {
        peer.assert_each_seq_once_in_order(top);
        for (s, id) in &peer.delivered {
            assert_eq!(by_seq.get(s), Some(&id.as_str()), "{} was delivered seq {s} as {id}", peer.name);
        }
    }
    let member_other = peers.iter().find(|p| p.name == "member-on-other").expect("member");
    assert_eq!(member_other.node, other, "the member stayed on the node without the room");
    let got: Vec<i64> =
        member_other.delivered.iter().map(|(s, _)| *s).filter(|s| during.contains(s)).collect();
    assert_eq!(got, during, "the other node's member got the outage's messages in order, once");
    for p in &peers {
        eprintln!("{}: on {}, connection ends {:?}, refused {:?}", p.name, node_id(p.node), p.ends, p.errors);
    }
}
