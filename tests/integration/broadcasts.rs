//! Broadcast jobs through the real server: every target room gets the message exactly
//! once (also with crashed and quarantined rooms, and across `kill -9`), cancel stops
//! the rest, high priority overtakes low, the SSE stream reports progress and ends,
//! and bad input is refused without storing anything.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, TestServer, LONG};

/// Creates rooms `{prefix}{000..n}`; returns their ids.
async fn create_rooms(srv: &TestServer, prefix: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i:03}")).collect();
    for chunk in ids.chunks(20) {
        join_all(chunk.iter().map(|id| srv.create_room(id))).await;
    }
    ids
}

async fn start(srv: &TestServer, body: Value) -> Value {
    let resp = srv.post("/api/v1/broadcasts", &body).send().await.expect("POST /broadcasts");
    let status = resp.status().as_u16();
    let job: Value = resp.json().await.expect("job JSON");
    assert_eq!(status, 201, "{job}");
    job
}

async fn job(srv: &TestServer, id: &str) -> Value {
    srv.get(&format!("/api/v1/broadcasts/{id}"))
        .send()
        .await
        .expect("GET job")
        .json()
        .await
        .expect("job JSON")
}

/// Polls until the job has finished; returns it.
async fn finished(srv: &TestServer, id: &str, within: Duration) -> Value {
    eventually(&format!("job {id} finishes"), within, || {
        let fut = job(srv, id);
        async move { fut.await["report"].is_object() }
    })
    .await;
    job(srv, id).await
}

/// The messages of `room` (up to 500).
async fn history(srv: &TestServer, room: &str) -> Vec<Value> {
    let page: Value = srv
        .get(&format!("/api/v1/rooms/{room}/messages?limit=500"))
        .send()
        .await
        .expect("GET messages")
        .json()
        .await
        .expect("history JSON");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Each room in `rooms` holds exactly one message of job `id`, with the seq the job
/// reports for it.
async fn assert_exactly_once(srv: &TestServer, job: &Value, rooms: &[String]) {
    let id = job["id"].as_str().expect("job id");
    let reported: HashMap<String, Value> = job["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| (r["room"].as_str().unwrap_or_default().to_string(), r.clone()))
        .collect();
    for room in rooms {
        let mine: Vec<Value> = history(srv, room)
            .await
            .into_iter()
            .filter(|m| m["client_id"] == json!(format!("bc:{id}")))
            .collect();
        assert_eq!(mine.len(), 1, "room {room} has {} copies of {id}: {mine:?}", mine.len());
        assert_eq!(mine[0]["from"]["kind"], "system", "{}", mine[0]);
        assert_eq!(mine[0]["text"], job["text"]);
        assert_eq!(reported[room]["status"], "delivered", "{}", reported[room]);
        assert_eq!(reported[room]["seq"], mine[0]["seq"], "reported seq of {room}");
    }
}

#[tokio::test]
async fn every_room_gets_it_once_while_some_are_crashed_or_quarantined() {
    let srv = TestServer::start_with(&[
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
        ("ROOMD__SUPERVISOR__MAX_RESTARTS", "1"),
        ("ROOMD__BROADCAST__ROOMS_PER_SEC", "200"),
        ("ROOMD__BROADCAST__RETRY_MIN_MS", "50"),
        ("ROOMD__BROADCAST__RETRY_MAX_MS", "400"),
        ("ROOMD__BROADCAST__MAX_ATTEMPTS", "4"),
    ])
    .await;
    let rooms = create_rooms(&srv, "r", 200).await;
    // Two crashes within the window quarantine a room (max_restarts = 1).
    let quarantined = ["r010", "r120"];
    for room in quarantined {
        for _ in 0..2 {
            let resp =
                srv.post(&format!("/api/v1/rooms/{room}/crash"), &json!({})).send().await.expect("crash");
            assert_eq!(resp.status().as_u16(), 202);
        }
        let srv = &srv;
        eventually(&format!("{room} quarantined"), LONG, || async move {
            let r: Value =
                srv.get(&format!("/api/v1/rooms/{room}")).send().await.unwrap().json().await.unwrap();
            r["status"] == "quarantined"
        })
        .await;
    }
    let created = start(&srv, json!({"text": "maintenance at noon", "rooms": "all"})).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["counts"]["total"], 200, "{}", created["counts"]);
    // A room crashes while the job runs; it restarts and still gets the message once.
    let resp = srv.post("/api/v1/rooms/r150/crash", &json!({})).send().await.expect("crash");
    assert_eq!(resp.status().as_u16(), 202);

    let done = finished(&srv, &id, LONG).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        done["counts"],
        json!({"total": 200, "delivered": 198, "failed": 2, "pending": 0, "cancelled": 0}),
        "{}",
        done["counts"]
    );
    let reason = "room_unavailable: room quarantined after repeated crashes; an operator must restart it";
    assert_eq!(done["report"]["failures_by_reason"], json!({ reason: 2 }), "{}", done["report"]);
    for r in done["rooms"].as_array().expect("rooms") {
        if quarantined.contains(&r["room"].as_str().unwrap_or_default()) {
            assert_eq!(
                (&r["status"], &r["attempts"], &r["last_error"]),
                (&json!("failed"), &json!(4), &json!(reason))
            );
            assert!(r["seq"].is_null());
        }
    }
    let reached: Vec<String> = rooms.into_iter().filter(|r| !quarantined.contains(&r.as_str())).collect();
    assert_exactly_once(&srv, &done, &reached).await;
    for room in quarantined {
        assert!(history(&srv, room).await.is_empty(), "a quarantined room stores nothing");
    }
    let metrics = srv.http().get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("roomd_broadcast_rooms_total{result=\"delivered\"} 198"), "{metrics}");
    assert!(metrics.contains("roomd_broadcast_rooms_total{result=\"failed\"} 2"));
}

#[tokio::test]
async fn a_job_killed_mid_way_resumes_after_restart_and_posts_once_per_room() {
    let mut srv = TestServer::start_with(&[("ROOMD__BROADCAST__ROOMS_PER_SEC", "10")]).await;
    let rooms = create_rooms(&srv, "k", 40).await;
    let created = start(&srv, json!({"text": "resume me", "rooms": rooms, "priority": "high"})).await;
    let id = created["id"].as_str().expect("id").to_string();
    eventually("some rooms reached", LONG, || {
        let fut = job(&srv, &id);
        async move { fut.await["counts"]["delivered"].as_i64().unwrap_or(0) >= 8 }
    })
    .await;
    srv.kill_9().await;
    srv.restart().await;
    let done = finished(&srv, &id, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["counts"]["delivered"], 40, "{}", done["counts"]);
    assert_exactly_once(&srv, &done, &rooms).await;
}

#[tokio::test]
async fn cancel_leaves_the_rooms_not_reached_without_the_message() {
    let srv = TestServer::start_with(&[("ROOMD__BROADCAST__ROOMS_PER_SEC", "5")]).await;
    let rooms = create_rooms(&srv, "c", 30).await;
    let created = start(&srv, json!({"text": "stop me", "rooms": rooms})).await;
    let id = created["id"].as_str().expect("id").to_string();
    eventually("two rooms reached", LONG, || {
        let fut = job(&srv, &id);
        async move { fut.await["counts"]["delivered"].as_i64().unwrap_or(0) >= 2 }
    })
    .await;
    // An open event stream ends with the cancel.
    let (events, resp) = tokio::join!(read_events(&srv, &id), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let url = srv.url(&format!("/api/v1/broadcasts/{id}"));
        srv.http().delete(url).bearer_auth(&srv.admin_token).send().await.unwrap()
    });
    assert_eq!(resp.status().as_u16(), 200);
    let (last, done) = events.last().expect("events");
    assert_eq!((last.as_str(), &done["status"]), ("done", &json!("cancelled")), "{events:?}");
    let cancelled: Value = resp.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["counts"]["pending"], 0);
    assert!(cancelled["report"].is_object());
    tokio::time::sleep(Duration::from_millis(800)).await; // longer than a few pacing slots
    let after = job(&srv, &id).await;
    let (delivered, gone) =
        (after["counts"]["delivered"].as_i64().unwrap(), after["counts"]["cancelled"].as_i64().unwrap());
    assert_eq!(delivered + gone, 30, "{}", after["counts"]);
    assert!(gone >= 20, "most rooms were not reached: {}", after["counts"]);
    for r in after["rooms"].as_array().unwrap() {
        let room = r["room"].as_str().unwrap();
        let copies = history(&srv, room).await.len();
        match r["status"].as_str() {
            Some("delivered") => assert_eq!(copies, 1, "{r}"),
            Some("cancelled") => assert_eq!(copies, 0, "{r}"),
            other => panic!("unexpected room status {other:?}: {r}"),
        }
    }
    // Cancelling again changes nothing.
    let again = srv
        .http()
        .delete(srv.url(&format!("/api/v1/broadcasts/{id}")))
        .bearer_auth(&srv.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);
}

#[tokio::test]
async fn high_priority_deliveries_overtake_normal_and_low() {
    let srv = TestServer::start_with(&[("ROOMD__BROADCAST__ROOMS_PER_SEC", "5")]).await;
    let rooms = create_rooms(&srv, "p", 6).await;
    let mut ids = Vec::new();
    for priority in ["low", "normal", "high"] {
        let job = start(&srv, json!({"text": priority, "rooms": rooms, "priority": priority})).await;
        ids.push(job["id"].as_str().unwrap().to_string());
    }
    // The running jobs are actors under the broadcast queue; the scheduler is there too.
    let tree: Value = srv.get("/api/v1/actors").send().await.unwrap().json().await.unwrap();
    let top = tree["children"].as_array().unwrap();
    let queue = top.iter().find(|n| n["kind"] == "broadcast" && n["id"] == "queue").expect("the queue");
    assert!(top.iter().any(|n| n["kind"] == "scheduler" && n["status"] == "running"), "{tree}");
    let jobs: Vec<&str> =
        queue["children"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert!(jobs.contains(&ids[0].as_str()), "the low job still runs: {jobs:?}");
    assert!(queue["children"][0]["mailbox"]["capacity"].is_u64());
    for id in &ids {
        finished(&srv, id, LONG).await;
    }
    // The last room of each job: by then all three were queued, so the order is by priority.
    let texts: Vec<String> = history(&srv, "p005")
        .await
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts, ["high", "normal", "low"]);
    let finished_at: Vec<String> = join_all(ids.iter().map(|id| job(&srv, id)))
        .await
        .iter()
        .map(|j| j["finished_at"].as_str().unwrap().to_string())
        .collect();
    assert!(finished_at[2] < finished_at[1] && finished_at[1] < finished_at[0], "{finished_at:?}");
}

/// The events of an SSE body: (name, data).
fn parse_sse(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_string(), serde_json::from_str(data).expect("event data is JSON")))
        })
        .collect()
}

async fn read_events(srv: &TestServer, id: &str) -> Vec<(String, Value)> {
    let mut resp = srv.get(&format!("/api/v1/broadcasts/{id}/events")).send().await.expect("GET events");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype =
        resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ctype.starts_with("text/event-stream"), "{ctype}");
    let mut body = Vec::new();
    let read = async {
        while let Some(chunk) = resp.chunk().await.expect("event chunk") {
            body.extend_from_slice(&chunk);
        }
    };
    tokio::time::timeout(LONG, read).await.expect("the stream ends after the job");
    parse_sse(&String::from_utf8(body).expect("UTF-8"))
}

#[tokio::test]
async fn the_event_stream_shows_progress_and_ends_with_done() {
    let srv = TestServer::start_with(&[("ROOMD__BROADCAST__ROOMS_PER_SEC", "2")]).await;
    let rooms = create_rooms(&srv, "s", 5).await;
    let created = start(&srv, json!({"text": "watch me", "rooms": rooms})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let events = read_events(&srv, &id).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"progress"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let delivered: Vec<&Value> =
        events.iter().filter(|(n, d)| n == "room" && d["status"] == "delivered").map(|(_, d)| d).collect();
    // One room event per room reached after the stream began (its first event's counts).
    // One room event per room, for every room not yet recorded when the stream began
    // (a room recorded just then may be in both).
    let before = events[0].1["counts"]["delivered"].as_i64().unwrap() as usize;
    let mut reached: Vec<&str> = delivered.iter().map(|d| d["room"].as_str().unwrap()).collect();
    reached.sort();
    reached.dedup();
    assert_eq!(reached.len(), delivered.len(), "no room reported twice: {events:?}");
    assert!(before + delivered.len() >= 5, "every room reported: {events:?}");
    assert!(delivered.len() >= 3, "the stream opened before most deliveries (2 rooms/s): {events:?}");
    assert!(delivered.iter().all(|d| d["seq"].as_i64() == Some(1) && d["attempts"] == 1), "{delivered:?}");
    let (_, done) = events.last().unwrap();
    assert_eq!((&done["id"], &done["status"]), (&json!(id), &json!("done")));
    assert_eq!(done["counts"]["delivered"], 5);
    // A finished job's stream is its state and the final event.
    let again = read_events(&srv, &id).await;
    assert_eq!(again.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["progress", "done"]);
    assert_api_error(srv.get("/api/v1/broadcasts/bc_0000/events").send().await.unwrap(), 404, "not_found")
        .await;
}

#[tokio::test]
async fn bad_input_is_refused_and_unknown_rooms_are_reported_per_room() {
    let srv = TestServer::start().await;
    srv.create_room("alpha").await;
    let job = start(&srv, json!({"text": "hi", "rooms": ["alpha", "ghost"]})).await;
    let id = job["id"].as_str().unwrap().to_string();
    let done = finished(&srv, &id, LONG).await;
    assert_eq!(
        done["counts"],
        json!({"total": 2, "delivered": 1, "failed": 1, "pending": 0, "cancelled": 0})
    );
    let ghost = done["rooms"].as_array().unwrap().iter().find(|r| r["room"] == "ghost").cloned().unwrap();
    assert_eq!(
        ghost,
        json!({"room": "ghost", "status": "failed", "attempts": 0, "last_error": "not_found: no such room", "seq": null})
    );
    assert_eq!(done["report"]["failures_by_reason"], json!({"not_found: no such room": 1}));
    let metrics = srv.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("roomd_broadcast_rooms_total{result=\"failed\"} 1"),
        "the unknown room is counted"
    );

    let before = srv.get("/api/v1/broadcasts").send().await.unwrap().json::<Value>().await.unwrap();
    let cases = [
        (json!({"text": "x", "rooms": []}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": "some"}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": {"tag": "nothing-has-it"}}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": ["Bad Id"]}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": 7}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": "all", "priority": "urgent"}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": "all", "priority": 1}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": {"tag": "eu", "extra": 1}}), 422, "unprocessable"),
        (json!({"text": "x", "rooms": "all", "extra": 1}), 422, "unprocessable"),
        (json!({"rooms": "all"}), 422, "unprocessable"),
        (json!({"text": "", "rooms": "all"}), 400, "bad_request"),
        (json!({"text": "y".repeat(4001), "rooms": "all"}), 413, "too_large"),
    ];
    for (body, status, code) in cases {
        let resp = srv.post("/api/v1/broadcasts", &body).send().await.unwrap();
        assert_api_error(resp, status, code).await;
    }
    let after = srv.get("/api/v1/broadcasts").send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(
        before["items"].as_array().map(Vec::len),
        after["items"].as_array().map(Vec::len),
        "nothing stored"
    );
    assert_eq!(after["items"][0]["id"], json!(id), "history newest first");
    assert!(after["items"][0].get("rooms").is_none(), "the list has no room lists");
    assert_api_error(srv.get("/api/v1/broadcasts/bc_ffff").send().await.unwrap(), 404, "not_found").await;
    assert_api_error(srv.get("/api/v1/broadcasts/nope").send().await.unwrap(), 404, "not_found").await;
    let del = srv
        .http()
        .delete(srv.url("/api/v1/broadcasts/bc_ffff"))
        .bearer_auth(&srv.admin_token)
        .send()
        .await
        .unwrap();
    assert_api_error(del, 404, "not_found").await;
    assert_api_error(srv.get("/api/v1/broadcasts?cursor=x").send().await.unwrap(), 400, "bad_request").await;
    for path in ["/api/v1/broadcasts?foo=1", "/api/v1/schedules?foo=1", "/api/v1/tokens?foo=1"] {
        assert_api_error(srv.get(path).send().await.unwrap(), 400, "bad_request").await;
    }
}

#[tokio::test]
async fn history_pages_newest_first() {
    let srv = TestServer::start().await;
    srv.create_room("h").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            start(&srv, json!({"text": format!("n{i}"), "rooms": ["h"]})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let p1: Value = srv.get("/api/v1/broadcasts?limit=2").send().await.unwrap().json().await.unwrap();
    let got: Vec<&str> = p1["items"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = p1["next_cursor"].as_str().expect("a next page");
    let p2: Value = srv
        .get(&format!("/api/v1/broadcasts?limit=2&cursor={cursor}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p2["items"][0]["id"], json!(ids[0]));
    assert!(p2["next_cursor"].is_null());
}

#[tokio::test]
async fn a_crashed_job_actor_restarts_and_resumes_from_the_store() {
    let srv = TestServer::start_with(&[
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
        ("ROOMD__BROADCAST__ROOMS_PER_SEC", "20"),
    ])
    .await;
    let rooms = create_rooms(&srv, "j", 10).await;
    // This text makes the job panic once, after its second delivery (fault injection).
    let text = "__roomd_fault_injection_job_panic__";
    let created = start(&srv, json!({"text": text, "rooms": rooms})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let done = finished(&srv, &id, LONG).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["counts"]["delivered"], 10, "{}", done["counts"]);
    assert_exactly_once(&srv, &done, &rooms).await;
    let metrics = srv.http().get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("roomd_actor_restarts_total{actor=\"broadcast\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_job_that_keeps_crashing_gives_up_and_fails_its_rooms() {
    let srv = TestServer::start_with(&[
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
        ("ROOMD__SUPERVISOR__MAX_RESTARTS", "2"),
        ("ROOMD__SUPERVISOR__BACKOFF_MAX_MS", "20"),
    ])
    .await;
    let rooms = create_rooms(&srv, "g", 3).await;
    // This text makes the job panic at every attempt (fault injection).
    let created =
        start(&srv, json!({"text": "__roomd_fault_injection_job_panic_always__", "rooms": rooms})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let done = finished(&srv, &id, LONG).await;
    assert_eq!(done["status"], "failed", "{done}");
    let reason = "internal: the broadcast job crashed repeatedly and gave up";
    assert_eq!(done["report"]["failures_by_reason"], json!({ reason: 3 }), "{done}");
    for room in &rooms {
        assert!(history(&srv, room).await.is_empty(), "nothing was posted to {room}");
    }
    let metrics = srv.http().get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("roomd_actor_restarts_total{actor=\"broadcast\"} 2"), "{metrics}");
    assert!(metrics.contains("roomd_broadcast_rooms_total{result=\"failed\"} 3"), "{metrics}");
}
