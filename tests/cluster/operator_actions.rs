//! Operator actions take effect cluster-wide whichever node's admin API receives them:
//! a message posted as the operator on a node that does not own the room reaches the
//! members on every node once (and a repost with the same client_id is not stored
//! again); a kick and a room delete sent to a non-owner node close the room for the
//! members concerned wherever they are connected; a token revoked on one node has its
//! sessions on the other nodes closed with 4502 and can no longer connect anywhere.

use serde_json::{json, Value};

use crate::common::{eventually, seq, Auth, TestServer, WsClient, LONG, TIMEOUT};
use crate::fixture::{create_room, get_json, node_id, post_json, Cluster};

const ROOM: &str = "ops";

/// One member per node, joined; returns them with their user ids.
async fn member_per_node(cluster: &Cluster) -> Vec<(WsClient, String)> {
    let mut members = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let token = cluster.nodes[0].user(&format!("member{i}")).await;
        let mut ws = node.ws(&token).await;
        ws.join(ROOM).await;
        let id = ws.hello["user"]["id"].as_str().expect("hello.user.id").to_string();
        members.push((ws, id));
    }
    members
}

/// `DELETE path` with the admin token; asserts `status`.
async fn delete(srv: &TestServer, path: &str, status: u16) {
    let resp = srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token).send().await.expect("DELETE");
    let got = resp.status().as_u16();
    assert_eq!(got, status, "DELETE {path} on {}: {}", srv.addr, resp.text().await.unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_post_on_a_non_owner_node_reaches_every_member_once() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let mut members = member_per_node(&cluster).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let via = &cluster.nodes[(owner + 1) % 3];

    let body = json!({"text": "maintenance at noon", "client_id": "op-1"});
    let posted = post_json(via, &format!("/api/v1/rooms/{ROOM}/messages"), &body, 201).await;
    assert_eq!((&posted["type"], &posted["from"]["kind"]), (&json!("message"), &json!("system")), "{posted}");
    let again = post_json(via, &format!("/api/v1/rooms/{ROOM}/messages"), &body, 200).await;
    assert_eq!(again["seq"], posted["seq"], "a repost with the same client_id is the same message");
    for (i, (ws, _)) in members.iter_mut().enumerate() {
        let got = ws.expect("message").await;
        assert_eq!((seq(&got), &got["text"]), (seq(&posted), &body["text"]), "member on {}", node_id(i));
    }
    // Nothing else was delivered: the next message everyone gets is the next seq.
    let next = members[0].0.say(ROOM, "after").await;
    assert_eq!(seq(&next), seq(&posted) + 1);
    for (i, (ws, _)) in members.iter_mut().enumerate() {
        let got = ws.expect("message").await;
        assert_eq!((seq(&got), &got["text"]), (seq(&next), &json!("after")), "member on {}", node_id(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_and_delete_on_a_non_owner_node_close_the_room_on_every_node() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let mut members = member_per_node(&cluster).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let (via, kicked) = ((owner + 1) % 3, (owner + 2) % 3);

    // Kick the member connected to the third node, through the second, once the
    // operator sees it in the member list there.
    let (srv, target) = (&cluster.nodes[via], members[kicked].1.clone());
    let list = format!("/api/v1/rooms/{ROOM}/members?limit=500");
    eventually(&format!("{target} listed as a member on {}", node_id(via)), LONG, || {
        let fut = get_json(srv, &list);
        let target = target.clone();
        async move { fut.await["items"].as_array().is_some_and(|m| m.iter().any(|m| m["id"] == json!(target))) }
    })
    .await;
    let path = format!("/api/v1/rooms/{ROOM}/members/{}", members[kicked].1);
    delete(&cluster.nodes[via], &path, 204).await;
    let closed = members[kicked].0.expect("room_closed").await;
    assert_eq!((&closed["room"], &closed["reason"]), (&json!(ROOM), &json!("kicked")), "{closed}");
    for i in (0..3).filter(|&i| i != kicked) {
        let left = members[i].0.expect("member_left").await;
        assert_eq!(left["user"]["id"], json!(members[kicked].1), "seen on {}: {left}", node_id(i));
    }

    delete(&cluster.nodes[via], &format!("/api/v1/rooms/{ROOM}"), 204).await;
    for i in (0..3).filter(|&i| i != kicked) {
        let closed = members[i].0.expect("room_closed").await;
        assert_eq!((&closed["room"], &closed["reason"]), (&json!(ROOM), &json!("deleted")), "{closed}");
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let resp = node.get(&format!("/api/v1/rooms/{ROOM}")).send().await.expect("GET");
        assert_eq!(resp.status().as_u16(), 404, "{} still shows the deleted room", node_id(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_node_is_closed_and_refused_on_every_node() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let body = json!({"kind": "user", "name": "alice", "roles": []});
    let alice: Value = post_json(&cluster.nodes[0], "/api/v1/tokens", &body, 201).await;
    let secret = alice["token"].as_str().expect("secret").to_string();
    let mut sessions = Vec::new();
    for node in &cluster.nodes[1..] {
        let mut ws = node.ws(&secret).await;
        ws.join(ROOM).await;
        sessions.push(ws);
    }

    let id = alice["id"].as_str().expect("token id");
    delete(&cluster.nodes[0], &format!("/api/v1/tokens/{id}"), 200).await;
    for (i, ws) in sessions.iter_mut().enumerate() {
        assert_eq!(ws.expect_close(TIMEOUT).await, Some(4502), "alice's session on {}", node_id(i + 1));
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let status = WsClient::refused_status(&node.addr, Auth::Query(&secret)).await;
        assert_eq!(status, 401, "the revoked token connects to {}", node_id(i));
    }
}
