//! Retention through the real server, with the test clock (`POST /api/v1/debug/clock`,
//! fault injection only) moved days ahead instead of waiting: a room under the global
//! `rooms.retention_days` loses its expired messages but keeps its newest one, so its
//! seqs go on after a restart; a room with `retention_days: 0` keeps everything; the
//! history (HTTP and WebSocket) says where the retained history begins; the deletions
//! are counted in `roomd_retention_deleted_total`; a negative setting is refused.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, server::TestServer, LONG};

const RETENTION_ENV: &[(&str, &str)] = &[
    ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
    ("ROOMD__ROOMS__RETENTION_DAYS", "1"),
    ("ROOMD__ROOMS__RETENTION_CHECK_SECS", "1"),
    ("ROOMD__ROOMS__RETENTION_BATCH_ROWS", "2"),
];

async fn post(srv: &TestServer, room: &str, text: &str) -> i64 {
    let resp =
        srv.post(&format!("/api/v1/rooms/{room}/messages"), &json!({"text": text})).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 201, "post to {room}");
    resp.json::<Value>().await.unwrap()["seq"].as_i64().expect("seq")
}

async fn history(srv: &TestServer, room: &str) -> Value {
    let resp = srv.get(&format!("/api/v1/rooms/{room}/messages?limit=500")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

fn seqs(page: &Value) -> Vec<i64> {
    page["items"].as_array().expect("items").iter().map(|m| m["seq"].as_i64().unwrap()).collect()
}

async fn deleted_total(srv: &TestServer) -> f64 {
    let text = srv.http().get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("roomd_retention_deleted_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no roomd_retention_deleted_total in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_messages_go_but_the_newest_stays_and_seqs_go_on() {
    let mut srv = TestServer::start_with(RETENTION_ENV).await;
    srv.create_room("old").await;
    let keep = srv
        .post("/api/v1/rooms", &json!({"id": "keep", "settings": {"retention_days": 0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(keep.status().as_u16(), 201);
    for i in 1..=5 {
        assert_eq!(post(&srv, "old", &format!("old {i}")).await, i);
        assert_eq!(post(&srv, "keep", &format!("keep {i}")).await, i);
    }
    let before = history(&srv, "old").await;
    assert_eq!((seqs(&before), &before["retained_from_seq"]), (vec![1, 2, 3, 4, 5], &json!(1)));
    assert_eq!(deleted_total(&srv).await, 0.0, "nothing has expired yet");

    // Two days later, a day's retention has expired every message posted above.
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let resp = srv.post("/api/v1/debug/clock", &json!({"now": later.to_rfc3339()})).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    eventually("the expired messages of `old` are deleted", LONG, || async {
        seqs(&history(&srv, "old").await) == vec![5]
    })
    .await;
    let after = history(&srv, "old").await;
    assert_eq!(after["retained_from_seq"], json!(5), "the history begins at the newest message: {after}");
    assert_eq!(after["items"][0]["text"], "old 5");
    let kept = history(&srv, "keep").await;
    assert_eq!(
        (seqs(&kept), &kept["retained_from_seq"]),
        (vec![1, 2, 3, 4, 5], &json!(1)),
        "retention_days 0"
    );
    assert_eq!(deleted_total(&srv).await, 4.0);

    // The WebSocket history says the same.
    let mut ws = srv.ws_user("ann").await;
    ws.join("old").await;
    let page = ws.history("old", None, None).await;
    assert_eq!(page["retained_from_seq"], json!(5), "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");

    // The kept newest message carries the seq on, now and after a restart.
    assert_eq!(ws.say("old", "live").await["seq"], json!(6));
    drop(ws);
    srv.terminate();
    srv.wait_exit(Duration::from_secs(10)).await.expect("roomd exits on SIGTERM");
    srv.restart().await;
    assert_eq!(post(&srv, "old", "after restart").await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_days_is_a_room_setting_and_cannot_be_negative() {
    let srv = TestServer::start().await;
    srv.create_room("r").await;
    let patch =
        |body: Value| srv.http().patch(srv.url("/api/v1/rooms/r")).bearer_auth(&srv.admin_token).json(&body);
    let resp = patch(json!({"settings": {"retention_days": 30}})).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let room: Value = resp.json().await.unwrap();
    assert_eq!(room["settings"]["retention_days"], json!(30), "{room}");
    for bad in [json!(-1), json!(1.5), json!("30")] {
        let resp = patch(json!({"settings": {"retention_days": bad}})).send().await.unwrap();
        assert_api_error(resp, 422, "unprocessable").await;
    }
    let resp = patch(json!({"settings": {"retention_days": null}})).send().await.unwrap();
    let room: Value = resp.json().await.unwrap();
    assert_eq!(room["settings"]["retention_days"], Value::Null, "null: the server's default again");
    // An empty room's history begins nowhere.
    assert_eq!(history(&srv, "r").await["retained_from_seq"], Value::Null);
}
