//! Idle stop in cluster mode (`rooms.idle_stop_secs`): once no node has a session in
//! the room, its actor stops on the owner and on the replica alike; the owner keeps
//! the room's lease, and listing the room elsewhere does not wake it. A join on the
//! other node starts it again at the owner: seqs continue, history is intact.

use serde_json::{json, Value};

use crate::common::{eventually, seq, text, LONG};
use crate::fixture::{create_room, get_json, node_id, Cluster};

const ROOM: &str = "nap";

/// Whether the actor tree `node` holds an actor of `kind` with `id`.
fn has_actor(node: &Value, kind: &str, id: &str) -> bool {
    (node["kind"] == kind && node["id"] == id)
        || node["children"].as_array().is_some_and(|c| c.iter().any(|n| has_actor(n, kind, id)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_room_stops_on_every_node_and_a_join_anywhere_starts_it_again() {
    let Some(cluster) = Cluster::start(2, &[("ROOMD__ROOMS__IDLE_STOP_SECS", "1")]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let mut first = cluster.nodes[0].ws(&cluster.nodes[0].user("ann").await).await;
    first.join(ROOM).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let other = 1 - owner;
    let mut second = cluster.nodes[other].ws(&cluster.nodes[0].user("ben").await).await;
    second.join(ROOM).await;
    assert_eq!(seq(&first.say(ROOM, "one").await), 1);
    assert_eq!(seq(&second.say(ROOM, "two").await), 2);

    for ws in [&mut first, &mut second] {
        let reply = ws.request(json!({"type": "leave", "room": ROOM})).await;
        assert_eq!(reply["type"], "left", "{reply}");
    }
    for i in [owner, other] {
        eventually(&format!("the room's actor is gone on {}", node_id(i)), LONG, || async {
            !has_actor(&get_json(&cluster.nodes[i], "/api/v1/actors").await, "room", ROOM)
        })
        .await;
    }
    // The owner kept the lease; viewing the room from the other node does not wake it.
    let view = cluster.room(other, ROOM).await;
    assert_eq!(view["owner_node"], node_id(owner), "{view}");
    assert_eq!((&view["status"], &view["last_seq"]), (&json!("stopped"), &json!(2)), "{view}");
    assert!(!has_actor(&get_json(&cluster.nodes[owner], "/api/v1/actors").await, "room", ROOM));

    // A join on the non-owner node starts the room at the owner again.
    let joined = second.join(ROOM).await;
    assert_eq!(joined["seq"], 2);
    assert_eq!(seq(&second.say(ROOM, "three").await), 3);
    assert!(has_actor(&get_json(&cluster.nodes[owner], "/api/v1/actors").await, "room", ROOM));
    let history = second.full_history(ROOM).await;
    let got: Vec<(i64, &str)> = history.iter().map(|m| (seq(m), text(m))).collect();
    assert_eq!(got, [(1, "one"), (2, "two"), (3, "three")]);
}
