//! Mailbox metrics (docs/METRICS.md): `/metrics` carries the contract's families with
//! figures that follow what clients do (and passes `promtool check metrics` when
//! promtool is installed — `.ci/run` installs it and sets `ROOMD_REQUIRE_PROMTOOL`);
//! `/api/v1/actors` shows a slow room's mailbox filling and draining, handled counts
//! that match the messages sent, and restarts after a crash. A fresh server already
//! exports every family of docs/METRICS.md with its label values known in advance and
//! `roomd_build_info` with its version, and `roomd_actor_messages_handled_total` counts
//! every handled message, exactly.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, TestServer, FAST, LONG};

/// The value of the series `series` (e.g. `roomd_rooms{status="running"}`).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.rsplit_once(' ').filter(|(s, _)| *s == series).and_then(|(_, v)| v.parse().ok()))
}

async fn scrape(srv: &TestServer) -> String {
    let resp = srv.http().get(srv.url("/metrics")).send().await.expect("GET /metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()["content-type"].to_str().expect("content-type").to_string();
    assert!(ctype.starts_with("text/plain"), "exposition content type: {ctype}");
    resp.text().await.expect("exposition")
}

async fn series(srv: &TestServer, series: &str) -> f64 {
    let text = scrape(srv).await;
    sample(&text, series).unwrap_or_else(|| panic!("no series {series} in\n{text}"))
}

/// `promtool check metrics` on `text`, when promtool is installed (required when
/// `ROOMD_REQUIRE_PROMTOOL` is set).
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(std::env::var_os("ROOMD_REQUIRE_PROMTOOL").is_none(), "promtool is required: {e}");
            eprintln!("promtool not installed: skipping `promtool check metrics` ({e})");
            return;
        }
    };
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `GET /api/v1/actors`.
async fn tree(srv: &TestServer) -> Value {
    let resp = srv.get("/api/v1/actors").send().await.expect("GET actors");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("tree JSON")
}

/// The node of `kind` and `id` anywhere in `node`.
fn find<'a>(node: &'a Value, kind: &str, id: &str) -> Option<&'a Value> {
    if node["kind"] == kind && node["id"] == id {
        return Some(node);
    }
    node["children"].as_array()?.iter().find_map(|c| find(c, kind, id))
}

async fn actor(srv: &TestServer, kind: &str, id: &str) -> Value {
    let t = tree(srv).await;
    find(&t, kind, id).unwrap_or_else(|| panic!("no {kind} {id} in the actor tree: {t}")).clone()
}

fn handled(node: &Value) -> u64 {
    node["handled"].as_u64().unwrap_or_else(|| panic!("handled in {node}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposition_has_the_contract_families_with_live_figures() {
    let mut env = FAST.to_vec();
    env.push(("ROOMD__METRICS__TIMING_SAMPLE", "1"));
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    for n in 0..3 {
        ws.say("lobby", &format!("m{n}")).await;
    }
    ws.send_raw("not json".into()).await;
    ws.expect("error").await;

    let text = scrape(&srv).await;
    for (family, ty) in [
        ("roomd_ws_connections", "gauge"),
        ("roomd_rooms", "gauge"),
        ("roomd_messages_total", "counter"),
        ("roomd_deliveries_total", "counter"),
        ("roomd_rejected_total", "counter"),
        ("roomd_mailbox_depth", "gauge"),
        ("roomd_mailbox_depth_max", "gauge"),
        ("roomd_mailbox_wait_seconds", "histogram"),
        ("roomd_handler_seconds", "histogram"),
        ("roomd_actor_restarts_total", "counter"),
        ("roomd_store_commit_seconds", "histogram"),
        ("roomd_store_batch_rows", "histogram"),
        ("roomd_broadcast_rooms_total", "counter"),
        ("roomd_schedule_fires_total", "counter"),
        ("roomd_http_requests_total", "counter"),
        ("roomd_http_request_seconds", "histogram"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_cpu_seconds_total", "counter"),
        ("process_open_fds", "gauge"),
    ] {
        assert!(text.contains(&format!("# TYPE {family} {ty}\n")), "family {family} ({ty}) missing:\n{text}");
    }
    assert_eq!(sample(&text, "roomd_ws_connections"), Some(1.0));
    assert_eq!(sample(&text, r#"roomd_rooms{status="running"}"#), Some(1.0));
    assert_eq!(sample(&text, "roomd_messages_total"), Some(3.0));
    assert_eq!(sample(&text, "roomd_deliveries_total"), Some(3.0), "one member got three messages");
    assert_eq!(sample(&text, r#"roomd_rejected_total{reason="bad_request"}"#), Some(1.0));
    assert!(sample(&text, "roomd_store_commit_seconds_count").is_some_and(|c| c >= 1.0));
    assert!(sample(&text, r#"roomd_handler_seconds_count{actor="room"}"#).is_some_and(|c| c >= 7.0));
    assert!(sample(&text, "process_resident_memory_bytes").is_some_and(|b| b > 1e6));
    assert!(
        sample(&text, r#"roomd_http_requests_total{method="POST",route="/api/v1/rooms",status="201"}"#)
            == Some(1.0),
        "HTTP requests are counted by route pattern:\n{text}"
    );
    assert!(!text.contains("lobby") && !text.contains("alice"), "no room or user ids in labels");
    promtool_check(&text);

    drop(ws);
    eventually("the closed session leaves the gauge", LONG, || async {
        series(&srv, "roomd_ws_connections").await == 0.0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_room_shows_its_mailbox_fill_up_and_drain() {
    let mut env = FAST.to_vec();
    env.extend([("ROOMD__DEBUG__FAULT_INJECTION", "true"), ("ROOMD__METRICS__TIMING_SAMPLE", "1")]);
    let srv = TestServer::start_with(&env).await;
    srv.create_room("slow").await;
    srv.create_room("quick").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("slow").await;
    // Each of these takes the room 100 ms; they queue behind each other.
    const SLOW: usize = 12;
    for i in 0..SLOW {
        ws.send(json!({"type": "send", "room": "slow", "text": "__roomd_fault_injection_slow__", "id": i}))
            .await;
    }
    let deadline = tokio::time::Instant::now() + LONG;
    let deepest = loop {
        let top: Value =
            srv.get("/api/v1/actors?top=1&sort=depth").send().await.expect("GET").json().await.expect("JSON");
        let first = &top["items"][0];
        let depth = first["mailbox"]["depth"].as_u64().unwrap_or(0);
        if first["kind"] == "room" && first["id"] == "slow" && depth >= 4 {
            break depth;
        }
        assert!(tokio::time::Instant::now() < deadline, "the slow room never topped the depth list: {top}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(series(&srv, r#"roomd_mailbox_depth{actor="room"}"#).await >= 1.0, "the gauge sees it too");

    for _ in 0..SLOW {
        ws.expect("ack").await;
    }
    eventually("the mailbox drains", LONG, || async {
        actor(&srv, "room", "slow").await["mailbox"]["depth"] == 0
    })
    .await;
    let node = actor(&srv, "room", "slow").await;
    assert!(node["mailbox"]["max_depth"].as_u64().expect("max_depth") >= deepest, "{node}");
    assert_eq!(node["mailbox"]["capacity"], 4096, "{node}");
    let wait_p99 = node["wait_us"]["p99"].as_f64().expect("wait p99");
    let handle_p99 = node["handle_us"]["p99"].as_f64().expect("handle p99");
    assert!(wait_p99 >= 200_000.0, "messages waited behind the slow ones: {node}");
    assert!(handle_p99 >= 90_000.0, "the slow handler shows in the handler time: {node}");
    let quick = actor(&srv, "registry", "rooms").await;
    assert!(quick["mailbox"]["max_depth"].as_u64().expect("registry max_depth") < 4, "{quick}");
    let max = series(&srv, r#"roomd_mailbox_depth_max{actor="room"}"#).await;
    assert!(max >= deepest as f64, "roomd_mailbox_depth_max {max} < {deepest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_counts_match_the_messages_sent() {
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    let session = ws.hello["session"].as_str().expect("hello.session").to_string();
    ws.join("lobby").await;
    let room0 = handled(&actor(&srv, "room", "lobby").await);
    let session0 = handled(&actor(&srv, "session", &session).await);
    let messages0 = series(&srv, "roomd_messages_total").await;

    const N: u64 = 25;
    for n in 0..N {
        ws.say("lobby", &format!("m{n}")).await;
        ws.expect("message").await;
    }
    // One at a time: the room handles each send and its commit report; the session
    // gets each ack and each message.
    let room = handled(&actor(&srv, "room", "lobby").await);
    let sess = handled(&actor(&srv, "session", &session).await);
    assert_eq!(room - room0, 2 * N, "room: N sends + N commit reports");
    assert_eq!(sess - session0, 2 * N, "session: N acks + N messages");
    assert_eq!(series(&srv, "roomd_messages_total").await - messages0, N as f64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_show_after_a_crash() {
    let srv = TestServer::start_with(&[("ROOMD__DEBUG__FAULT_INJECTION", "true")]).await;
    srv.create_room("fragile").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("fragile").await;
    assert_eq!(actor(&srv, "room", "fragile").await["restarts"], 0);
    for _ in 0..2 {
        let resp = srv.post("/api/v1/rooms/fragile/crash", &json!({})).send().await.expect("crash");
        assert_eq!(resp.status().as_u16(), 202);
    }
    eventually("two restarts counted", LONG, || async {
        actor(&srv, "room", "fragile").await["restarts"] == 2
    })
    .await;
    let node = actor(&srv, "room", "fragile").await;
    let at = node["last_restart_at"].as_str().unwrap_or_else(|| panic!("last_restart_at: {node}"));
    crate::common::assert_recent_rfc3339(&json!(at));
    assert_eq!(series(&srv, r#"roomd_actor_restarts_total{actor="room"}"#).await, 2.0);
    assert_eq!(series(&srv, r#"roomd_actor_restarts_total{actor="session"}"#).await, 0.0);
    ws.say("fragile", "still works").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actor_tree_has_the_contract_shape() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    let t = tree(&srv).await;
    assert_eq!((&t["kind"], &t["id"]), (&json!("supervisor"), &json!("root")), "{t}");
    let room = find(&t, "room", "lobby").expect("room under the tree");
    let registry = find(&t, "registry", "rooms").expect("registry");
    assert!(registry["children"].as_array().expect("children").iter().any(|c| c["id"] == "lobby"));
    assert!(find(&t, "store_writer", "store").is_some(), "{t}");
    let session = ws.hello["session"].as_str().expect("session");
    let sessions = find(&t, "supervisor", "sessions").expect("sessions group");
    assert!(sessions["children"].as_array().expect("children").iter().any(|c| c["id"] == session));
    let mut keys: Vec<&str> = room.as_object().expect("node").keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "children",
            "handle_us",
            "handled",
            "id",
            "kind",
            "last_restart_at",
            "mailbox",
            "restarts",
            "status",
            "wait_us"
        ]
    );
    assert_eq!(room["status"], "running");
    assert_eq!(room["mailbox"]["capacity"], 4096);

    for bad in ["top=0", "top=abc", "top=5&sort=bogus", "sort=depth", "top=2&color=red"] {
        let resp = srv.get(&format!("/api/v1/actors?{bad}")).send().await.expect("GET");
        assert_api_error(resp, 400, "bad_request").await;
    }
    let top = srv.get("/api/v1/actors?top=2&sort=handled").send().await.expect("GET");
    let top: Value = top.json().await.expect("JSON");
    let items = top["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{top}");
    assert!(handled(&items[0]) >= handled(&items[1]), "sorted by handled: {top}");
    let resp = srv.http().get(srv.url("/api/v1/actors")).send().await.expect("GET");
    assert_api_error(resp, 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_token_guards_the_exposition() {
    let srv = TestServer::start_with(&[("ROOMD__METRICS__TOKEN", "scrape-me")]).await;
    let resp = srv.http().get(srv.url("/metrics")).send().await.expect("GET");
    assert_api_error(resp, 401, "unauthorized").await;
    let resp = srv.http().get(srv.url("/metrics")).bearer_auth("wrong").send().await.expect("GET");
    assert_api_error(resp, 401, "unauthorized").await;
    let resp = srv.http().get(srv.url("/metrics")).bearer_auth("scrape-me").send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.expect("text").contains("roomd_ws_connections"));
}

/// A secret from the environment is taken as written: `00123` is not the number 123.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_numeric_looking_token_from_the_environment_is_kept_as_text() {
    let srv = TestServer::start_with(&[("ROOMD__METRICS__TOKEN", "00123")]).await;
    let resp = srv.http().get(srv.url("/metrics")).bearer_auth("123").send().await.expect("GET");
    assert_api_error(resp, 401, "unauthorized").await;
    let resp = srv.http().get(srv.url("/metrics")).bearer_auth("00123").send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_off_nothing_is_counted_and_everything_works() {
    let mut env = FAST.to_vec();
    env.push(("ROOMD__METRICS__ENABLED", "false"));
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    ws.say("lobby", "hello").await;
    let room = actor(&srv, "room", "lobby").await;
    assert_eq!(handled(&room), 0, "metering off: {room}");
    assert!(room["wait_us"]["p50"].is_null(), "{room}");
    assert_eq!(series(&srv, "roomd_messages_total").await, 1.0, "the counters still count");
}

/// The `roomd_*` families of docs/METRICS.md's table, with their types.
fn documented_families() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/METRICS.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let rows = doc.lines().filter_map(|l| l.strip_prefix("| `roomd_"));
    let families: BTreeMap<String, String> = rows
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (format!("roomd_{}", cells[0].trim_end_matches('`')), cells[1].to_string())
        })
        .collect();
    assert!(families.len() >= 19, "the families table of {path} was not found: {families:?}");
    families
}

/// The families `text` declares (`# TYPE name type`), with their types.
fn exported_families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .filter(|(name, _)| name.starts_with("roomd_"))
        .map(|(name, ty)| (name.to_string(), ty.to_string()))
        .collect()
}

const ACTOR_KINDS: [&str; 11] = [
    "supervisor",
    "registry",
    "room",
    "session",
    "store_writer",
    "broadcast",
    "scheduler",
    "cluster",
    "sampler",
    "retention",
    "webhook",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_server_exports_every_family_with_its_known_label_values() {
    let srv = TestServer::start().await;
    let text = scrape(&srv).await; // the first request the server answers
    assert_eq!(exported_families(&text), documented_families(), "exported vs documented families:\n{text}");

    let zero = |series: String| {
        assert_eq!(sample(&text, &series), Some(0.0), "{series} at 0 in a fresh exposition:\n{text}");
    };
    for kind in ACTOR_KINDS {
        zero(format!(r#"roomd_actor_restarts_total{{actor="{kind}"}}"#));
        // Present; the start-up messages may have been counted (or timed) already.
        for family in [
            "roomd_mailbox_depth",
            "roomd_mailbox_depth_max",
            "roomd_actor_messages_handled_total",
            "roomd_mailbox_wait_seconds_count",
            "roomd_handler_seconds_count",
        ] {
            let series = format!(r#"{family}{{actor="{kind}"}}"#);
            assert!(sample(&text, &series).is_some(), "{series} missing:\n{text}");
        }
    }
    for status in ["running", "restarting", "quarantined", "stopped"] {
        zero(format!(r#"roomd_rooms{{status="{status}"}}"#));
    }
    let codes = [
        "bad_request",
        "too_large",
        "unauthorized",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "not_joined",
        "conflict",
        "unprocessable",
        "rate_limited",
        "room_unavailable",
        "unavailable",
        "internal",
        "repeated",
        "banned_word",
    ];
    for reason in codes {
        zero(format!(r#"roomd_rejected_total{{reason="{reason}"}}"#));
    }
    for result in ["delivered", "failed"] {
        zero(format!(r#"roomd_broadcast_rooms_total{{result="{result}"}}"#));
    }
    for kind in ["join", "send", "leave", "other"] {
        zero(format!(r#"roomd_cluster_forwarded_total{{kind="{kind}"}}"#));
    }
    for series in ["roomd_messages_total", "roomd_deliveries_total", "roomd_schedule_fires_total"] {
        zero(series.to_string());
    }
    zero(r#"roomd_http_requests_total{method="GET",route="/metrics",status="200"}"#.into());
    zero(r#"roomd_http_request_seconds_count{route="/metrics"}"#.into());
    // The dashboard's version panel: one series, 1, labelled with this build's version.
    let build_info: Vec<&str> = text.lines().filter(|l| l.starts_with("roomd_build_info")).collect();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(build_info, [format!(r#"roomd_build_info{{version="{version}"}} 1"#)], "{text}");
    promtool_check(&text);

    let again = scrape(&srv).await;
    let scrapes = r#"roomd_http_requests_total{method="GET",route="/metrics",status="200"}"#;
    assert_eq!(sample(&again, scrapes), Some(1.0), "the first scrape was counted in its series");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_messages_are_counted_exactly_by_kind() {
    let handled_total = |kind: &str| format!(r#"roomd_actor_messages_handled_total{{actor="{kind}"}}"#);
    let srv = TestServer::start_with(FAST).await; // timing_sample 16: the timer counts 1 in 16
    srv.create_room("lobby").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("lobby").await;
    let room0 = series(&srv, &handled_total("room")).await;
    let session0 = series(&srv, &handled_total("session")).await;

    const N: u64 = 20;
    for n in 0..N {
        ws.say("lobby", &format!("m{n}")).await;
        ws.expect("message").await;
    }
    let room = series(&srv, &handled_total("room")).await;
    let session = series(&srv, &handled_total("session")).await;
    assert!(room - room0 >= N as f64, "room: {room0} -> {room} after {N} sends");
    assert_eq!(room - room0, (2 * N) as f64, "room: N sends + N commit reports, every one counted");
    assert_eq!(session - session0, (2 * N) as f64, "session: N acks + N messages");

    // A session gone for good keeps its count in its kind's total.
    drop(ws);
    eventually("the session is gone", LONG, || async { series(&srv, "roomd_ws_connections").await == 0.0 })
        .await;
    let after = series(&srv, &handled_total("session")).await;
    assert!(after >= session, "the counter went back from {session} to {after} when the session left");
}
