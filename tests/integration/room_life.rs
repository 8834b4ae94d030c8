//! A room's life around its messages (issue #8 part B): welcome messages, spam
//! control (per-session rate, repeated texts, banned words, 4002 after repeated
//! violations, 429 on upgrades per IP), typing indicators, read receipts and presence.
//! Everything through real sockets against the real server, on SQLite and PostgreSQL.

mod presence;
mod read;
mod spam;
mod typing;
mod welcome;

use serde_json::{json, Value};

use crate::common::{TestServer, WsClient};

/// `PATCH /api/v1/rooms/{id}` with `{"settings": settings}`; panics unless 200.
async fn set_room_settings(srv: &TestServer, id: &str, settings: Value) {
    let resp = srv
        .http()
        .patch(srv.url(&format!("/api/v1/rooms/{id}")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({ "settings": settings }))
        .send()
        .await
        .expect("PATCH /rooms");
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(status, 200, "patch {id} settings: {body}");
}

/// Sends `text` from `ws` and returns every frame `ws` received before its own
/// `message` of that text came back: a marker that orders what the room did before.
async fn frames_until_own_message(ws: &mut WsClient, room: &str, text: &str) -> Vec<Value> {
    let ack = ws.say(room, text).await;
    frames_until_message(ws, ack["seq"].as_i64().expect("ack seq")).await
}

/// Every frame before the `message` with `seq` (that one consumed, not returned).
async fn frames_until_message(ws: &mut WsClient, seq: i64) -> Vec<Value> {
    let mut before = Vec::new();
    loop {
        let f = ws.next().await;
        if f["type"] == "message" && f["seq"] == seq {
            return before;
        }
        before.push(f);
    }
}

/// `user`'s entry in `GET /api/v1/rooms/{room}/members` (null if absent).
async fn member(srv: &TestServer, room: &str, user: &str) -> Value {
    let resp = srv.get(&format!("/api/v1/rooms/{room}/members?limit=500")).send().await.expect("GET members");
    let body: Value = resp.json().await.expect("members JSON");
    let items = body["items"].as_array().cloned().unwrap_or_default();
    items.into_iter().find(|m| m["id"] == user).unwrap_or(Value::Null)
}

/// The frames of `ty` among `frames`.
fn of_type<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == ty).collect()
}
