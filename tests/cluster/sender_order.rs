//! A session's sends are committed in the order it sent them, also when the room's
//! owner is another node: twenty sessions on a non-owner node each pipeline a hundred
//! sends without waiting for acks, and each one's acks carry increasing seqs.

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{seq, WsClient};
use crate::fixture::{create_room, Cluster};

const ROOM: &str = "order";
const SENDERS: usize = 20;
const PER_SENDER: usize = 100;

/// Sends `PER_SENDER` messages back to back; the seqs of their acks, in send order.
async fn pipeline(mut ws: WsClient, k: usize) -> Vec<i64> {
    for n in 0..PER_SENDER {
        let id = format!("s{k}-{n}");
        ws.send(json!({"type": "send", "room": ROOM, "text": id, "client_id": id, "id": n})).await;
    }
    let mut seqs = Vec::with_capacity(PER_SENDER);
    for n in 0..PER_SENDER {
        let reply = ws.expect_where(&format!("the reply to send {n}"), |f| f["id"] == json!(n)).await;
        assert_eq!(reply["type"], "ack", "send {n} of sender {k} was answered with {reply}");
        seqs.push(seq(&reply));
    }
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_sends_from_a_non_owner_node_keep_their_order() {
    let Some(cluster) = Cluster::start(2, &[]).await else { return };
    let (n1, n2) = (&cluster.nodes[0], &cluster.nodes[1]);
    create_room(n1, ROOM).await;
    let owner_token = n1.user("watcher").await;
    let mut watcher = n1.ws(&owner_token).await;
    watcher.join(ROOM).await;
    assert_eq!(cluster.owner_of(1, ROOM).await.as_deref(), Some("n1"), "n1 owns the room");

    let mut senders = Vec::new();
    for k in 0..SENDERS {
        let token = n1.user(&format!("sender{k}")).await;
        let mut ws = n2.ws(&token).await;
        ws.join(ROOM).await;
        senders.push(ws);
    }
    let runs = join_all(senders.into_iter().enumerate().map(|(k, ws)| tokio::spawn(pipeline(ws, k)))).await;
    for (k, run) in runs.into_iter().enumerate() {
        let seqs = run.expect("sender task");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "sender {k} on n2: its sends were committed out of the order sent (ack seqs {seqs:?})"
        );
    }
}
