//! Fan-out across nodes: one room with members on all three nodes and ten senders
//! spread over them. Every member, wherever it is connected, is delivered every
//! message exactly once, with contiguous seqs, in the one order all members share;
//! every send is acked with the seq its message is delivered with. Each node's
//! `/metrics` counts the sends and joins it forwarded to the owner
//! (`roomd_cluster_forwarded_total`) and the live nodes it sees (`roomd_cluster_nodes`).

use std::collections::{HashMap, HashSet};

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{seq, WsClient};
use crate::fixture::{create_room, node_id, Cluster};

const ROOM: &str = "fan";
const MEMBERS_PER_NODE: usize = 3;
const SENDERS: usize = 10;
const PER_SENDER: usize = 20;
const TOTAL: usize = SENDERS * PER_SENDER;

/// What one member was delivered: (seq, client_id) in arrival order.
type Stream = Vec<(i64, String)>;

/// Reads `message` frames of the room until `TOTAL` have arrived; (seq, client_id) in
/// arrival order. Replies and other frames stay buffered.
async fn read_all_messages(ws: &mut WsClient) -> Stream {
    let mut got = Vec::with_capacity(TOTAL);
    while got.len() < TOTAL {
        let m =
            ws.expect_where("a message of the room", |f| f["type"] == "message" && f["room"] == ROOM).await;
        got.push((seq(&m), m["client_id"].as_str().unwrap_or_default().to_string()));
    }
    got
}

/// Sends `PER_SENDER` messages back to back, then takes their replies (each must be
/// an ack) and every message of the room.
async fn run_sender(mut ws: WsClient, k: usize) -> (Vec<(String, i64)>, Stream, WsClient) {
    let ids: Vec<String> = (0..PER_SENDER).map(|n| format!("s{k}-{n}")).collect();
    for id in &ids {
        ws.send(
            json!({"type": "send", "room": ROOM, "text": format!("hello {id}"), "client_id": id, "id": id}),
        )
        .await;
    }
    let mut acks = Vec::with_capacity(PER_SENDER);
    for id in &ids {
        let reply = ws.expect_where(&format!("the reply to {id}"), |f| f["id"] == json!(id)).await;
        assert_eq!(reply["type"], "ack", "send {id} was answered with {reply}");
        assert_eq!((&reply["client_id"], &reply["duplicate"]), (&json!(id), &json!(false)), "{reply}");
        acks.push((id.clone(), seq(&reply)));
    }
    let stream = read_all_messages(&mut ws).await;
    (acks, stream, ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_on_three_nodes_get_every_message_once_in_one_order() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    let n0 = &cluster.nodes[0];
    create_room(n0, ROOM).await;

    let mut members = Vec::new();
    let mut first_seq = None;
    for (i, node) in cluster.nodes.iter().enumerate() {
        for m in 0..MEMBERS_PER_NODE {
            let token = n0.user(&format!("member{i}{m}")).await;
            let mut ws = node.ws(&token).await;
            let joined = ws.join(ROOM).await;
            first_seq.get_or_insert(seq(&joined));
            members.push((format!("member{m} on n{}", i + 1), ws));
        }
    }
    let mut senders = Vec::new();
    for k in 0..SENDERS {
        let token = n0.user(&format!("sender{k}")).await;
        let mut ws = cluster.nodes[k % 3].ws(&token).await;
        ws.join(ROOM).await;
        senders.push(ws);
    }
    let first_seq = first_seq.expect("a member joined");

    let member_tasks: Vec<_> = members
        .into_iter()
        .map(|(name, mut ws)| {
            tokio::spawn(async move {
                let stream = read_all_messages(&mut ws).await;
                (name, stream, ws)
            })
        })
        .collect();
    let sender_tasks: Vec<_> =
        senders.into_iter().enumerate().map(|(k, ws)| tokio::spawn(run_sender(ws, k))).collect();

    let mut acks: HashMap<String, i64> = HashMap::new();
    let mut streams: Vec<(String, Stream, WsClient)> = Vec::new();
    for (k, done) in join_all(sender_tasks).await.into_iter().enumerate() {
        let (sent, stream, ws) = done.expect("sender task");
        acks.extend(sent);
        streams.push((format!("sender{k} on n{}", k % 3 + 1), stream, ws));
    }
    for done in join_all(member_tasks).await {
        streams.push(done.expect("member task"));
    }

    let acked_seqs: HashSet<i64> = acks.values().copied().collect();
    assert_eq!(acked_seqs.len(), TOTAL, "two sends were acked with the same seq");
    let want: Vec<i64> = (first_seq + 1..=first_seq + TOTAL as i64).collect();
    let (first_name, reference, _) = &streams[0];
    for (name, stream, _) in &streams {
        let seqs: Vec<i64> = stream.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, want, "{name}: seqs delivered are not each seq once, contiguous, in order");
        assert_eq!(stream, reference, "{name} and {first_name} saw different (seq, client_id) orders");
    }
    let by_seq: HashMap<i64, &str> = reference.iter().map(|(s, c)| (*s, c.as_str())).collect();
    for (id, s) in &acks {
        assert_eq!(by_seq.get(s), Some(&id.as_str()), "{id} was acked with seq {s}, delivered as another");
    }

    // Nothing else follows: the next message every member gets is a last one.
    let end = streams[0].2.say(ROOM, "the end").await;
    assert_eq!(seq(&end), first_seq + TOTAL as i64 + 1);
    for (name, _, ws) in &mut streams {
        let next = ws.expect("message").await;
        assert_eq!((seq(&next), &next["text"]), (seq(&end), &json!("the end")), "{name}: after the {TOTAL}");
    }

    // Each node forwarded exactly its own clients' joins and sends, unless it owns the room.
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    for (i, node) in cluster.nodes.iter().enumerate() {
        let senders_here = (0..SENDERS).filter(|k| k % 3 == i).count();
        let sends = senders_here * PER_SENDER + usize::from(i == 0); // sender0 said "the end"
        let joins = MEMBERS_PER_NODE + senders_here;
        let (want_sends, want_joins) = if i == owner { (0, 0) } else { (sends, joins) };
        let metrics =
            node.http().get(node.url("/metrics")).send().await.expect("metrics").text().await.unwrap();
        let line = |name: &str| {
            metrics.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string())
        };
        let n = node_id(i);
        assert_eq!(line("roomd_cluster_nodes "), Some("3".into()), "{n} sees 3 live nodes");
        let forwarded = |kind: &str| line(&format!("roomd_cluster_forwarded_total{{kind=\"{kind}\"}} "));
        assert_eq!(
            forwarded("send"),
            Some(want_sends.to_string()),
            "sends forwarded by {n} (owner {})",
            node_id(owner)
        );
        assert_eq!(
            forwarded("join"),
            Some(want_joins.to_string()),
            "joins forwarded by {n} (owner {})",
            node_id(owner)
        );
    }
}
