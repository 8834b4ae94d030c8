//! Message deletion in a cluster: a `delete` frame from a session on a node that does
//! not own the room is forwarded to the owner like a `send` (checked there, answered
//! `deleted` or the error), and the operator's single and bulk deletions work through
//! any node's admin API; members on every node get `message_deleted`, and history on
//! every node returns the tombstones.

use serde_json::{json, Value};

use crate::common::{seq, TestServer, WsClient};
use crate::fixture::{create_room, node_id, stored_messages, Cluster};

const ROOM: &str = "mod";

async fn delete_json(srv: &TestServer, path: &str, status: u16) -> Value {
    let resp = srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token).send().await.expect("DELETE");
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "DELETE {path} on {}: {text}", srv.addr);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("DELETE {path}: not JSON ({e}): {text}"))
}

/// Every member gets `message_deleted` for `seqs`, in that order.
async fn all_told(members: &mut [WsClient], seqs: &[i64], by: &str) {
    for (i, ws) in members.iter_mut().enumerate() {
        for &s in seqs {
            let ev = ws.expect("message_deleted").await;
            assert_eq!(
                (&ev["room"], &ev["seq"], &ev["deleted_by"]),
                (&json!(ROOM), &json!(s), &json!(by)),
                "member on {}",
                node_id(i)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_from_any_node_reach_every_member_and_the_store() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let mut members = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let token = cluster.nodes[0].user(&format!("member{i}")).await;
        let mut ws = node.ws(&token).await;
        ws.join(ROOM).await;
        members.push(ws);
    }
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let (far, other) = ((owner + 1) % 3, (owner + 2) % 3);

    // Messages 1..=3 from the member on a non-owner node, 4 from the owner's member.
    for n in 1..=3 {
        members[far].say(ROOM, &format!("m{n}")).await;
    }
    let last = members[owner].say(ROOM, "m4").await;
    assert_eq!(seq(&last), 4);
    for ws in members.iter_mut() {
        ws.expect_where("message 4", |f| f["type"] == "message" && f["seq"] == 4).await;
    }

    // Forwarded: a member's own message is deleted; another's is refused.
    let far_id = members[far].hello["user"]["id"].as_str().expect("hello.user.id").to_string();
    let reply = members[far].request(json!({"type": "delete", "room": ROOM, "seq": 2})).await;
    assert_eq!(
        (&reply["type"], &reply["seq"], &reply["deleted_by"]),
        (&json!("deleted"), &json!(2), &json!(far_id)),
        "{reply}"
    );
    all_told(&mut members, &[2], &far_id).await;
    let refused = members[far].request(json!({"type": "delete", "room": ROOM, "seq": 4})).await;
    assert_eq!((&refused["type"], &refused["code"]), (&json!("error"), &json!("forbidden")), "{refused}");
    let missing = members[other].request(json!({"type": "delete", "room": ROOM, "seq": 99})).await;
    assert_eq!(missing["code"], "not_found", "{missing}");

    // The operator, through a non-owner node: one message, then the rest of member{far}'s.
    let tomb = delete_json(&cluster.nodes[other], &format!("/api/v1/rooms/{ROOM}/messages/4"), 200).await;
    assert_eq!(
        (&tomb["deleted"], &tomb["deleted_by"], &tomb["text"]),
        (&json!(true), &json!("system"), &json!(""))
    );
    all_told(&mut members, &[4], "system").await;
    let path = format!("/api/v1/rooms/{ROOM}/messages?user_id={far_id}&since=2000-01-01T00:00:00Z");
    let bulk = delete_json(&cluster.nodes[far], &path, 200).await;
    assert_eq!(bulk["deleted"], json!([1, 3]), "{bulk}");
    all_told(&mut members, &[1, 3], "system").await;

    // Every node's history has the four tombstones.
    for (i, node) in cluster.nodes.iter().enumerate() {
        let msgs = stored_messages(node, ROOM).await;
        let got: Vec<(i64, Value, Value)> =
            msgs.iter().map(|m| (seq(m), m["deleted"].clone(), m["text"].clone())).collect();
        let want: Vec<(i64, Value, Value)> = (1..=4).map(|s| (s, json!(true), json!(""))).collect();
        assert_eq!(got, want, "history on {}", node_id(i));
    }
}
