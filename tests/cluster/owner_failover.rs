//! The owner node of a busy room dies (`kill -9`) while senders on every node, the
//! owner's included, keep sending, several messages in flight each. Clients behave as
//! real ones: a send refused or left without an answer is sent again with the same
//! `client_id`; a dropped connection or a close (1012 included) means reconnecting to
//! a node that answers and joining with `after_seq` = the last seq seen. This proves:
//! every acked message is stored once with its acked seq and no seq carries two
//! messages; every logical client — also those whose node died — is delivered every
//! seq exactly once, in order, with no gap, across its reconnections; another node
//! takes the room over (a survivor reports a new `owner_node`) and
//! `GET /api/v1/nodes` shows the dead node as not alive.

use serde_json::json;

use crate::fixture::{create_room, get_json, node_id, Cluster};
use crate::peer::Peer;
use crate::traffic::Traffic;

const ROOM: &str = "hot";
/// Acks (all senders) before the owner is killed.
const BEFORE_KILL: usize = 60;
/// Acks each sender must get after the kill before the traffic stops.
const AFTER_KILL: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_under_traffic_loses_and_repeats_nothing() {
    let Some(mut cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    // The first join makes the room live somewhere; that node is the one to kill.
    let token = cluster.nodes[0].user("member0-0").await;
    let first = Peer::join("member0-0", &token, ROOM, cluster.addrs(), 0).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let dead_id = node_id(owner);
    let traffic = Traffic::start(&cluster, ROOM, first).await;

    traffic.wait_total(BEFORE_KILL).await;
    cluster.nodes[owner].kill_9().await;
    let at_kill = traffic.acks();
    let survivor = (owner + 1) % 3;
    let new_owner = cluster.wait_owner(survivor, ROOM, |o| o != dead_id).await;
    traffic.wait_each_more(&at_kill, AFTER_KILL).await;
    let outcome = traffic.finish(&cluster, survivor).await;

    assert!(outcome.peers.iter().all(|p| p.node != owner), "every client ends on a surviving node");
    // Operators see the dead node as such.
    let nodes = get_json(&cluster.nodes[survivor], "/api/v1/nodes").await;
    let dead =
        nodes["items"].as_array().expect("items").iter().find(|n| n["id"] == dead_id.as_str()).cloned();
    assert_eq!(dead.as_ref().map(|n| &n["alive"]), Some(&json!(false)), "{nodes}");
    let owner_now = cluster.owner_of(survivor, ROOM).await;
    assert_eq!(owner_now.as_deref(), Some(node_id(new_owner).as_str()), "the room stays with its new owner");
    eprintln!(
        "owner {dead_id} killed; new owner {}; {} messages acked",
        node_id(new_owner),
        outcome.acked.len()
    );
}
