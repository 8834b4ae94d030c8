//! `GET /api/v1/overview` through the real server: the answer's shape on a fresh
//! server, totals that follow messages sent over WebSocket, per-second samples that
//! show them, the commit latency of the last minute, a crash counted in the last
//! hour's restarts, a joined room counted as running, the sampler listed among the
//! actors, and 401 without a token.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{assert_api_error, assert_recent_rfc3339, eventually, TestServer, FAST, LONG};

/// `FAST` plus fault injection (for `POST /rooms/{id}/crash`).
async fn start() -> TestServer {
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    env.push(("ROOMD__DEBUG__FAULT_INJECTION", "true"));
    TestServer::start_with(&env).await
}

async fn overview(srv: &TestServer) -> Value {
    let resp = srv.get("/api/v1/overview").send().await.expect("GET /overview");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("overview JSON");
    assert_eq!(status, 200, "{body}");
    body
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap_or_else(|| panic!("an object: {v}")).keys().map(String::as_str).collect()
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} is not a count: {v}"))
}

/// `item` has the shape of a `GET /api/v1/actors?top=` item.
fn assert_actor(item: &Value) {
    let want = [
        "kind",
        "id",
        "status",
        "mailbox",
        "handled",
        "wait_us",
        "handle_us",
        "restarts",
        "last_restart_at",
        "children",
    ];
    assert_eq!(keys(item), want.into_iter().collect(), "{item}");
    assert_eq!(keys(&item["mailbox"]), ["capacity", "depth", "max_depth"].into_iter().collect(), "{item}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_server_answers_every_field() {
    let srv = start().await;
    let resp = srv.http().get(srv.url("/api/v1/overview")).send().await.expect("GET /overview");
    assert_api_error(resp, 401, "unauthorized").await;

    let o = overview(&srv).await;
    let want = [
        "version",
        "node",
        "started_at",
        "connections",
        "rooms",
        "messages_total",
        "deliveries_total",
        "store_commit_ms",
        "restarts_last_hour",
        "series",
        "busiest",
        "nodes",
    ];
    assert_eq!(keys(&o), want.into_iter().collect(), "{o}");
    assert_eq!(o["version"], env!("CARGO_PKG_VERSION"), "{o}");
    assert_eq!((&o["node"], &o["nodes"]), (&Value::Null, &Value::Null), "cluster mode is off: {o}");
    assert_recent_rfc3339(&o["started_at"]);
    assert_eq!(
        o["rooms"],
        json!({"stored": 0, "running": 0, "restarting": 0, "quarantined": 0, "stopped": 0})
    );
    assert_eq!(
        (count(&o, "connections"), count(&o, "messages_total"), count(&o, "restarts_last_hour")),
        (0, 0, 0)
    );
    count(&o, "deliveries_total");
    let commit = &o["store_commit_ms"];
    assert!(commit.is_null() || keys(commit) == ["p50", "p99"].into_iter().collect(), "{o}");
    assert_eq!(keys(&o["busiest"]), ["by_depth", "by_wait"].into_iter().collect(), "{o}");
    for list in ["by_depth", "by_wait"] {
        let items = o["busiest"][list].as_array().expect("a list");
        assert!(!items.is_empty() && items.len() <= 10, "{list}: {o}");
        items.iter().for_each(assert_actor);
    }

    // One sample a second, oldest first.
    eventually("two samples", LONG, || async {
        overview(&srv).await["series"].as_array().unwrap().len() >= 2
    })
    .await;
    let series = overview(&srv).await["series"].as_array().unwrap().clone();
    for s in &series {
        let want = ["at", "messages_per_s", "deliveries_per_s", "connections"];
        assert_eq!(keys(s), want.into_iter().collect(), "{s}");
        assert_recent_rfc3339(&s["at"]);
        assert_eq!((s["messages_per_s"].as_f64(), s["connections"].as_u64()), (Some(0.0), Some(0)), "{s}");
    }
    let at: Vec<chrono::DateTime<chrono::FixedOffset>> = series
        .iter()
        .map(|s| chrono::DateTime::parse_from_rfc3339(s["at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "oldest first: {series:?}");
    assert!(series.len() <= 300);

    // The sampler is an actor like the others.
    let tree: Value = srv.get("/api/v1/actors?top=1000").send().await.unwrap().json().await.unwrap();
    let sampler = tree["items"].as_array().unwrap().iter().find(|a| a["kind"] == "sampler").cloned();
    let sampler = sampler.unwrap_or_else(|| panic!("no sampler in {tree}"));
    assert_eq!((&sampler["id"], &sampler["status"]), (&json!("stats"), &json!("running")), "{sampler}");
    assert!(count(&sampler, "handled") >= 2, "it has taken readings: {sampler}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totals_rates_latency_rooms_and_restarts_follow_what_happens() {
    let srv = start().await;
    // No welcome message: the only messages are the test's.
    let room = json!({"id": "lobby", "settings": {"welcome_template": ""}});
    assert_eq!(srv.post("/api/v1/rooms", &room).send().await.unwrap().status().as_u16(), 201);
    srv.create_room("idle").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;

    let before = overview(&srv).await;
    assert_eq!(
        before["rooms"],
        json!({"stored": 2, "running": 1, "restarting": 0, "quarantined": 0, "stopped": 1})
    );
    assert_eq!(count(&before, "connections"), 1, "{before}");
    let (messages, deliveries) = (count(&before, "messages_total"), count(&before, "deliveries_total"));

    const N: u64 = 25;
    for i in 0..N {
        alice.say("lobby", &format!("m{i}")).await;
    }
    let after = overview(&srv).await;
    assert_eq!(count(&after, "messages_total"), messages + N, "{after}");
    assert!(count(&after, "deliveries_total") >= deliveries + N, "alice got her own messages: {after}");

    eventually("a sample with messages_per_s > 0", LONG, || async {
        let o = overview(&srv).await;
        o["series"].as_array().unwrap().iter().any(|s| s["messages_per_s"].as_f64() > Some(0.0))
    })
    .await;
    let o = overview(&srv).await;
    let sent: f64 =
        o["series"].as_array().unwrap().iter().map(|s| s["messages_per_s"].as_f64().unwrap()).sum();
    assert!(sent > 0.0, "{o}");
    assert!(o["series"].as_array().unwrap().iter().any(|s| s["connections"] == 1), "{o}");
    // The commits of those messages were within the last minute.
    let commit = &o["store_commit_ms"];
    let (p50, p99) = (commit["p50"].as_f64(), commit["p99"].as_f64());
    assert!(p50.is_some_and(|p| p > 0.0) && p50 <= p99, "{o}");

    let restarts = count(&o, "restarts_last_hour");
    let resp = srv.post("/api/v1/rooms/lobby/crash", &json!({})).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    eventually("the crash counted in restarts_last_hour", LONG, || async {
        count(&overview(&srv).await, "restarts_last_hour") == restarts + 1
    })
    .await;
    eventually("lobby running again", LONG, || async { overview(&srv).await["rooms"]["running"] == 1 }).await;
}
