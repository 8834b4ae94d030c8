//! The publish hook (docs/INTEGRATIONS.md): a real HTTP hook in this process accepts,
//! rejects and rewrites sends; a hook that times out follows the fail-open or
//! fail-closed policy; a room's own hook setting overrides the server's.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::receiver::{Receiver, Reply};
use crate::common::{assert_error_frame, seq, TestServer};

/// Answers by the text: `reject…` is rejected, `rewrite…` rewritten, `slow…` answered
/// after 2 s, anything else accepted.
fn hook(req: &Value) -> Reply {
    let text = req["text"].as_str().unwrap_or("");
    let answer = if text.starts_with("reject") {
        json!({"action": "reject", "reason": "not_allowed"})
    } else if text.starts_with("rewrite") {
        json!({"action": "accept", "text": text.replace("rewrite", "rewritten")})
    } else {
        json!({"action": "accept"})
    };
    let delay = if text.starts_with("slow") { Duration::from_secs(2) } else { Duration::ZERO };
    (200, answer, delay)
}

async fn texts(srv: &TestServer, room: &str) -> Vec<String> {
    let mut reader = srv.ws_user("reader").await;
    reader.join(room).await;
    reader.full_history(room).await.iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
}

async fn set_room_hook(srv: &TestServer, room: &str, hook: Value) -> reqwest::Response {
    srv.http()
        .patch(srv.url(&format!("/api/v1/rooms/{room}")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"settings": {"publish_hook": hook}}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_accepts_rejects_and_rewrites_in_send_order() {
    let receiver = Receiver::start(hook);
    let srv = TestServer::start_with(&[("ROOMD__HOOKS__PUBLISH_URL", &receiver.url)]).await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;

    for (n, text) in ["hello", "reject this", "rewrite me", "bye"].iter().enumerate() {
        ws.send(json!({"type": "send", "room": "lobby", "text": text, "id": n})).await;
    }
    let mut answers = Vec::new();
    while answers.len() < 4 {
        let frame = ws.next().await;
        if matches!(frame["type"].as_str(), Some("ack" | "error")) {
            answers.push(frame);
        }
    }
    // A refusal is answered at once, an ack after the commit: answers may cross, the
    // stored order (seqs) and the order the hook was asked in may not.
    answers.sort_by_key(|a| a["id"].as_i64().unwrap());
    assert_error_frame(&answers[1], Some(json!(1)), "rejected_by_hook");
    assert_eq!(answers[1]["message"], "not_allowed", "the sender gets the hook's reason");
    assert_eq!([seq(&answers[0]), seq(&answers[2]), seq(&answers[3])], [1, 2, 3]);
    assert_eq!(
        texts(&srv, "lobby").await,
        ["hello", "rewritten me", "bye"],
        "the rejected send is not stored"
    );

    let asked: Vec<Value> = receiver.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        asked.iter().map(|r| r["text"].clone()).collect::<Vec<_>>(),
        [json!("hello"), json!("reject this"), json!("rewrite me"), json!("bye")]
    );
    assert_eq!((&asked[0]["room"], &asked[0]["user"]["id"]), (&json!("lobby"), &json!("alice")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_that_times_out_follows_the_rooms_policy() {
    let receiver = Receiver::start(hook);
    let srv = TestServer::start_with(&[
        ("ROOMD__HOOKS__PUBLISH_URL", &receiver.url),
        ("ROOMD__HOOKS__PUBLISH_TIMEOUT_MS", "200"),
        ("ROOMD__HOOKS__PUBLISH_POLICY", "fail_open"),
    ])
    .await;
    srv.create_room("open").await;
    srv.create_room("closed").await;
    srv.create_room("nohook").await;
    let resp = set_room_hook(
        &srv,
        "closed",
        json!({"url": receiver.url, "timeout_ms": null, "policy": "fail_closed"}),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let resp = set_room_hook(&srv, "nohook", json!({"url": "", "timeout_ms": null, "policy": null})).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut ws = srv.ws_user("alice").await;
    for room in ["open", "closed", "nohook"] {
        ws.join(room).await;
    }

    let ack = ws.say("open", "slow but open").await;
    assert_eq!(ack["type"], "ack", "fail_open stores the message: {ack}");
    ws.send(json!({"type": "send", "room": "closed", "text": "slow and closed", "id": "c"})).await;
    let refused = ws.expect("error").await;
    assert_error_frame(&refused, Some(json!("c")), "rejected_by_hook");
    assert_eq!(refused["message"], "hook_unavailable");
    let asked_before = receiver.requests().len();
    let ack = ws.say("nohook", "reject me if you can").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(receiver.requests().len(), asked_before, "a room with an empty hook url asks no hook");

    assert_eq!(texts(&srv, "open").await, ["slow but open"]);
    assert!(texts(&srv, "closed").await.is_empty());
    let metrics = srv.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("roomd_publish_hook_seconds_count{outcome=\"error\"} 2")),
        "two failed hook calls are counted:\n{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_hook_setting_that_is_not_http_is_422_naming_the_field() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let resp =
        set_room_hook(&srv, "lobby", json!({"url": "ftp://127.0.0.1/h", "timeout_ms": null, "policy": null}))
            .await;
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("publish_hook.url"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_hook_holds_only_the_sends_after_it_not_the_room() {
    let receiver = Receiver::start(hook);
    let srv = TestServer::start_with(&[
        ("ROOMD__HOOKS__PUBLISH_URL", &receiver.url),
        ("ROOMD__HOOKS__PUBLISH_TIMEOUT_MS", "5000"),
    ])
    .await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("lobby").await;

    alice.send(json!({"type": "send", "room": "lobby", "text": "slow one", "id": 1})).await;
    alice.send(json!({"type": "send", "room": "lobby", "text": "after it", "id": 2})).await;
    // The hook has the first now; the room goes on meanwhile: an operator's post (not
    // asked) is delivered at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let post = srv.post("/api/v1/rooms/lobby/messages", &json!({"text": "from the operator"}));
    assert_eq!(post.send().await.unwrap().status().as_u16(), 201);
    let mut got = Vec::new();
    while got.len() < 3 {
        let frame = bob.next().await;
        if frame["type"] == "message" {
            got.push(frame["text"].as_str().unwrap().to_string());
        }
    }
    // The operator's post went out while the hook held the member's first send (it
    // answers after 2 s); the member's sends keep their order behind it.
    assert_eq!(got, ["from the operator", "slow one", "after it"]);
}
