//! Webhooks in a cluster: every node runs the endpoint's actor, but only the node
//! holding the endpoint's lease delivers, so each event reaches the receiver once
//! (with every node delivering, each would arrive once per node).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::eventually;
use crate::common::receiver::Receiver;
use crate::fixture::{create_room, post_json, Cluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_delivered_by_one_node_only() {
    let receiver = Receiver::start(|_| (200, json!({}), Duration::ZERO));
    let Some(cluster) = Cluster::start(2, &[("ROOMD__WEBHOOKS__POLL_MS", "20")]).await else { return };
    create_room(&cluster.nodes[0], "lobby").await;
    let body = json!({"url": receiver.url, "events": ["message"], "secret": "s3cret-s3cret-s3cret"});
    post_json(&cluster.nodes[1], "/api/v1/webhooks", &body, 201).await;
    for n in 0..30 {
        let via = &cluster.nodes[n % 2];
        let post = json!({"text": format!("m{n}"), "client_id": format!("c{n}")});
        post_json(via, "/api/v1/rooms/lobby/messages", &post, 201).await;
    }
    eventually("30 messages delivered", Duration::from_secs(20), || {
        let keys: HashSet<String> =
            receiver.accepted_events().iter().map(|e| e["key"].as_str().unwrap().to_string()).collect();
        async move { keys.len() == 30 }
    })
    .await;
    // Both nodes poll every 20 ms: a second node delivering would show within this.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seqs: Vec<i64> =
        receiver.accepted_events().iter().map(|e: &Value| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>(), "each message once, in order");
}
