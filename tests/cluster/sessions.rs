//! Live sessions across nodes: `GET /api/v1/sessions` on any node lists every node's
//! sessions (with the node that holds each, filters and pages applied cluster-wide),
//! and a disconnect sent to one node closes a session held by another with 4503 and
//! the operator's reason — one session, or every session of a user wherever it is.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{eventually, TestServer, WsClient, LONG, TIMEOUT};
use crate::fixture::{get_json, node_id, Cluster};

/// `(session id, node id)` of every item of `GET /sessions?query` on `via`, following pages of `limit`.
async fn listed(via: &TestServer, query: &str, limit: usize) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get_json(via, &format!("/api/v1/sessions?limit={limit}{query}{cursor}")).await;
        assert_eq!(page["unreachable_nodes"], json!([]), "{page}");
        for s in page["items"].as_array().expect("items") {
            all.push((s["id"].as_str().unwrap().to_string(), s["node"].as_str().expect("node").to_string()));
        }
        match &page["next_cursor"] {
            Value::String(c) => cursor = format!("&cursor={c}"),
            _ => return all,
        }
        assert!(all.len() <= 50, "the cursor never ends");
    }
}

fn session_id(ws: &WsClient) -> String {
    ws.hello["session"].as_str().expect("hello.session").to_string()
}

/// `DELETE path` on `via` with the admin token; asserts 200 and returns the body.
async fn delete(via: &TestServer, path: &str) -> Value {
    let resp = via.http().delete(via.url(path)).bearer_auth(&via.admin_token).send().await.expect("DELETE");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, 200, "DELETE {path} on {}: {text}", via.addr);
    serde_json::from_str(&text).expect("JSON")
}

/// A raw client on `node`: reads `hello`, and later the close frame with its reason.
struct Watched(tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>);

impl Watched {
    async fn open(node: &TestServer, token: &str) -> (Self, String) {
        let url = format!("ws://{}/ws?token={token}", node.addr);
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
        let Some(Ok(Message::Text(hello))) = ws.next().await else { panic!("no hello") };
        let hello: Value = serde_json::from_str(&hello).expect("hello JSON");
        (Self(ws), hello["session"].as_str().expect("hello.session").to_string())
    }

    async fn closed(&mut self) -> (u16, String) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match timeout_at(deadline, self.0.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    panic!("closed without a close frame")
                }
                Some(Ok(_)) => continue,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_node_lists_every_nodes_sessions_and_disconnects_them_where_they_are() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    let first = &cluster.nodes[0];
    // One user per node, and one user with sessions on the second and third node.
    let mut sessions = Vec::new();
    let mut per_node = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let ws = node.ws(&first.user(&format!("u{i}")).await).await;
        sessions.push((session_id(&ws), node_id(i)));
        per_node.push(ws);
    }
    let roamer = first.user("roamer").await;
    let mut roaming = Vec::new();
    for i in [1, 2] {
        let ws = cluster.nodes[i].ws(&roamer).await;
        sessions.push((session_id(&ws), node_id(i)));
        roaming.push(ws);
    }
    let (mut watched, watched_id) = Watched::open(&cluster.nodes[2], &first.user("watched").await).await;
    sessions.push((watched_id.clone(), node_id(2)));
    sessions.sort();

    // Every node lists all six, each with its node, in one page or in pages of two.
    for (i, node) in cluster.nodes.iter().enumerate() {
        assert_eq!(listed(node, "", 500).await, sessions, "listing on {}", node_id(i));
    }
    assert_eq!(listed(first, "", 2).await, sessions, "pages of two across nodes");
    let mut of_roamer: Vec<(String, String)> =
        sessions.iter().filter(|(id, _)| roaming.iter().any(|w| session_id(w) == *id)).cloned().collect();
    of_roamer.sort();
    assert_eq!(listed(first, "&user_id=roamer", 500).await, of_roamer, "a filter applies on every node");

    // A disconnect on the first node of a session on the third closes it there.
    let gone = delete(first, &format!("/api/v1/sessions/{watched_id}?reason=off%20topic")).await;
    assert_eq!((&gone["id"], &gone["node"]), (&json!(watched_id), &json!(node_id(2))), "{gone}");
    assert_eq!(watched.closed().await, (4503, "disconnected by an operator: off topic".to_string()));
    // Gone everywhere once the third node has seen it close.
    eventually("the closed session leaves the listing", LONG, || async {
        !listed(first, "", 500).await.iter().any(|(id, _)| *id == watched_id)
    })
    .await;
    let resp = first
        .http()
        .delete(first.url(&format!("/api/v1/sessions/{watched_id}")))
        .bearer_auth(&first.admin_token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status().as_u16(), 404, "a closed session is not found from any node");

    // Every session of a user, on the second and third node, from the first.
    let closed = delete(first, "/api/v1/users/roamer/sessions").await;
    let ids: Vec<(String, String)> = closed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["node"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(ids, of_roamer, "{closed}");
    for ws in &mut roaming {
        assert_eq!(ws.expect_close(TIMEOUT).await, Some(4503));
    }
    // The others stay.
    for ws in &mut per_node {
        ws.ping().await;
    }
    let mut left: Vec<(String, String)> =
        per_node.iter().enumerate().map(|(i, ws)| (session_id(ws), node_id(i))).collect();
    left.sort();
    eventually("only the three per-node sessions are left", LONG, || async {
        listed(first, "", 500).await == left
    })
    .await;
}
