//! Sessions on surviving nodes are moved, not dropped, when a room's owner dies: a
//! member and a sender on the two other nodes stay connected through `kill -9` of the
//! owner, the sender's sends are acked again once another node has taken the room
//! (each resent with the same `client_id` after a `room_unavailable`), and the member
//! receives every acked message once, in seq order, on its one connection.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::common::{seq, WsClient, LONG};
use crate::fixture::{create_room, Cluster};

const ROOM: &str = "steady";

/// Sends until acked, resending with the same client_id after an error; the ack.
async fn send_until_acked(ws: &mut WsClient, client_id: &str) -> serde_json::Value {
    let deadline = Instant::now() + LONG;
    loop {
        let reply = ws
            .request(json!({"type": "send", "room": ROOM, "text": client_id, "client_id": client_id}))
            .await;
        if reply["type"] == "ack" {
            return reply;
        }
        assert_eq!(reply["code"], "room_unavailable", "send {client_id}: {reply}");
        assert!(Instant::now() < deadline, "send {client_id} not acked within {LONG:?}: {reply}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_surviving_nodes_stay_connected_when_the_owner_dies() {
    let Some(mut cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let holder_token = cluster.nodes[0].user("holder").await;
    let mut holder = cluster.nodes[0].ws(&holder_token).await;
    holder.join(ROOM).await;
    assert_eq!(cluster.owner_of(1, ROOM).await.as_deref(), Some("n1"));

    let member_token = cluster.nodes[0].user("member").await;
    let mut member = cluster.nodes[1].ws(&member_token).await;
    let first = seq(&member.join(ROOM).await);
    let sender_token = cluster.nodes[0].user("sender").await;
    let mut sender = cluster.nodes[2].ws(&sender_token).await;
    sender.join(ROOM).await;

    let mut acked = Vec::new();
    for n in 0..5 {
        acked.push(seq(&send_until_acked(&mut sender, &format!("before-{n}")).await));
    }
    cluster.nodes[0].kill_9().await;
    for n in 0..5 {
        acked.push(seq(&send_until_acked(&mut sender, &format!("after-{n}")).await));
    }
    let owner = cluster.owner_of(1, ROOM).await;
    assert!(matches!(owner.as_deref(), Some("n2" | "n3")), "a survivor owns the room: {owner:?}");

    let mut got = Vec::new();
    while got.len() < acked.len() {
        let m = member.expect_where("a message of the room", |f| f["type"] == "message").await;
        got.push(seq(&m));
    }
    let want: Vec<i64> = (first + 1..=first + acked.len() as i64).collect();
    assert_eq!(got, want, "the member on a survivor got each seq once, in order, on one connection");
    let mut sorted = acked.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, want, "every acked send has its own seq");
}
