//! Work that must happen once per cluster, not once per node. A schedule's due time
//! fires one broadcast job, and its room gets one message, although all three nodes'
//! scheduler clocks pass the due time (every node's admin API agrees). A broadcast
//! job runs on one node (its actor shows in that node's `GET /api/v1/actors` only);
//! killed mid-way with that node, or frozen with it (SIGSTOP, later SIGCONT), it is
//! finished by another node, and every target room holds the message exactly once. When the nodes that may hold the scheduler
//! die, the last node takes the scheduler over and fires the next due time once.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::common::{eventually, TestServer};
use crate::fixture::{chain, create_room, get_json, node_id, post_json, stored_messages, Cluster, FAILOVER};

/// Moves the scheduler's test clock of every node to `now` (each answers once its
/// due schedules are handled).
async fn set_clocks(cluster: &Cluster, now: &str) {
    for node in &cluster.nodes {
        post_json(node, "/api/v1/debug/clock", &json!({ "now": now }), 200).await;
    }
}

/// Broadcast jobs started by `schedule`, as `srv` lists them.
async fn jobs_of(srv: &TestServer, schedule: &str) -> Vec<Value> {
    let page = get_json(srv, "/api/v1/broadcasts?limit=500").await;
    let items = page["items"].as_array().expect("items");
    items.iter().filter(|j| j["schedule_id"] == json!(schedule)).cloned().collect()
}

/// Polls `srv` until job `id` has finished (it has a report); returns it.
async fn finished(srv: &TestServer, id: &str) -> Value {
    let path = format!("/api/v1/broadcasts/{id}");
    eventually(&format!("job {id} finishes (asked {})", srv.addr), FAILOVER, || {
        let fut = get_json(srv, &path);
        async move { fut.await["report"].is_object() }
    })
    .await;
    get_json(srv, &path).await
}

/// The messages of `room` that job `id` posted, as `srv` serves them.
async fn posted_by(srv: &TestServer, room: &str, id: &str) -> Vec<Value> {
    let tag = json!(format!("bc:{id}"));
    stored_messages(srv, room).await.into_iter().filter(|m| m["client_id"] == tag).collect()
}

/// `roomd_schedule_fires_total` on `node`.
async fn schedule_fires(node: &TestServer) -> u64 {
    let text =
        node.http().get(node.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    let line = text.lines().find(|l| l.starts_with("roomd_schedule_fires_total "));
    line.and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or_else(|| panic!("no fires count"))
}

/// Whether the actor tree `node` (from `GET /api/v1/actors`) holds an actor of `kind`
/// with `id`.
fn has_actor(node: &Value, kind: &str, id: &str) -> bool {
    (node["kind"] == kind && node["id"] == id)
        || node["children"].as_array().is_some_and(|c| c.iter().any(|n| has_actor(n, kind, id)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_fires_once_across_three_nodes() {
    let Some(cluster) = Cluster::start(
        3,
        &[
            ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
            // Ten days: the clock jumps of this test are never "missed while down".
            ("ROOMD__SCHEDULER__MISFIRE_GRACE_SECS", "864000"),
        ],
    )
    .await
    else {
        return;
    };
    create_room(&cluster.nodes[0], "news").await;
    // In the future, so no node's real clock ever reaches the due time.
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    set_clocks(&cluster, &format!("{day}T09:59:30Z")).await;
    let body = json!({"cron": "0 10 * * *", "rooms": ["news"], "text": "daily news"});
    let schedule = post_json(&cluster.nodes[1], "/api/v1/schedules", &body, 201).await;
    let id = schedule["id"].as_str().expect("schedule id").to_string();
    assert_eq!(schedule["next_run_at"], json!(format!("{day}T10:00:00.000Z")), "{schedule}");

    set_clocks(&cluster, &format!("{day}T10:00:30Z")).await;
    // Whichever node holds the scheduler lease fires it (maybe on its own next tick).
    let n0 = &cluster.nodes[0];
    eventually("the 10:00 due time fires", FAILOVER, || {
        let fut = jobs_of(n0, &id);
        async move { !fut.await.is_empty() }
    })
    .await;
    // Every node's scheduler has looked again, with its clock past the due time.
    set_clocks(&cluster, &format!("{day}T10:00:45Z")).await;

    let jobs = jobs_of(n0, &id).await;
    assert_eq!(jobs.len(), 1, "one job for the 10:00 due time: {jobs:?}");
    let job_id = jobs[0]["id"].as_str().expect("job id").to_string();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let seen: Vec<Value> = jobs_of(node, &id).await;
        assert_eq!(seen.len(), 1, "n{} lists {} jobs of the schedule: {seen:?}", i + 1, seen.len());
        assert_eq!(seen[0]["id"], json!(job_id), "n{}", i + 1);
        let job = finished(node, &job_id).await;
        assert_eq!((&job["status"], &job["counts"]["delivered"]), (&json!("done"), &json!(1)), "{job}");
        let view = get_json(node, &format!("/api/v1/schedules/{id}")).await;
        assert_eq!(view["last_broadcast_id"], json!(job_id), "n{}: {view}", i + 1);
        let fired =
            view["recent"].as_array().expect("recent").iter().filter(|f| f["outcome"] == "fired").count();
        assert_eq!(fired, 1, "n{}: {view}", i + 1);
        let messages = stored_messages(node, "news").await;
        assert_eq!(messages.len(), 1, "n{}: the room holds one message: {messages:?}", i + 1);
        assert_eq!(
            (&messages[0]["text"], &messages[0]["client_id"]),
            (&json!("daily news"), &json!(format!("bc:{job_id}"))),
            "{}",
            messages[0]
        );
    }
}

/// How the node running a broadcast job is lost.
#[derive(PartialEq)]
enum Loss {
    /// `kill -9`.
    Death,
    /// SIGSTOP until the job is done elsewhere, then SIGCONT.
    Freeze,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_survives_the_death_of_its_node() {
    broadcast_loses_its_node(Loss::Death).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_whose_node_freezes_is_finished_elsewhere_and_posted_once() {
    broadcast_loses_its_node(Loss::Freeze).await;
}

async fn broadcast_loses_its_node(loss: Loss) {
    let Some(mut cluster) = Cluster::start(
        3,
        &[
            // Slow enough that the job is mid-way when its node dies.
            ("ROOMD__BROADCAST__ROOMS_PER_SEC", "5"),
            // Rooms of the dead node are unavailable until its lease runs out: keep
            // retrying them rather than marking them failed.
            ("ROOMD__BROADCAST__RETRY_MIN_MS", "50"),
            ("ROOMD__BROADCAST__RETRY_MAX_MS", "500"),
            ("ROOMD__BROADCAST__MAX_ATTEMPTS", "1000"),
        ],
    )
    .await
    else {
        return;
    };
    let rooms: Vec<String> = (0..30).map(|i| format!("b{i:03}")).collect();
    for chunk in rooms.chunks(10) {
        join_all(chunk.iter().map(|r| create_room(&cluster.nodes[0], r))).await;
    }
    let created = 1;
    let body = json!({"text": "survive me", "rooms": rooms});
    let job = post_json(&cluster.nodes[created], "/api/v1/broadcasts", &body, 201).await;
    let id = job["id"].as_str().expect("job id").to_string();
    let path = format!("/api/v1/broadcasts/{id}");
    let srv = &cluster.nodes[created];
    eventually("a few rooms reached", FAILOVER, || {
        let fut = get_json(srv, &path);
        async move { fut.await["counts"]["delivered"].as_i64().unwrap_or(0) >= 5 }
    })
    .await;
    // The node whose supervision tree (`GET /api/v1/actors`) holds the job's actor runs it.
    let mut runners = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        if has_actor(&get_json(node, "/api/v1/actors").await, "broadcast", &id) {
            runners.push(i);
        }
    }
    let before = get_json(srv, &path).await;
    assert!(before["counts"]["delivered"].as_i64() < Some(30), "the job was already done: {before}");
    assert_eq!(runners.len(), 1, "one node runs the job; nodes with its actor: {runners:?}");
    let runner = runners[0];
    match loss {
        Loss::Death => cluster.nodes[runner].kill_9().await,
        Loss::Freeze => cluster.nodes[runner].signal("STOP"),
    }

    let survivor = &cluster.nodes[(runner + 1) % 3];
    let done = finished(survivor, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        (&done["counts"]["delivered"], &done["counts"]["failed"]),
        (&json!(30), &json!(0)),
        "{}",
        done["counts"]
    );
    let reported: Vec<Value> = done["rooms"].as_array().expect("rooms").clone();
    for room in &rooms {
        let mine = posted_by(survivor, room, &id).await;
        assert_eq!(mine.len(), 1, "room {room} holds {} copies of the broadcast: {mine:?}", mine.len());
        assert_eq!(mine[0]["text"], "survive me");
        let r =
            reported.iter().find(|r| r["room"] == json!(room)).unwrap_or_else(|| panic!("{room} in {done}"));
        assert_eq!((&r["status"], &r["seq"]), (&json!("delivered"), &mine[0]["seq"]), "{r}");
    }
    if loss == Loss::Death {
        return;
    }

    // The frozen node wakes up: it must not post the job's message again, and it shows
    // the job as the others do once it has let the job go.
    let (woken, id) = (&cluster.nodes[runner], id.as_str());
    woken.signal("CONT");
    eventually("the woken node no longer runs the job", FAILOVER, || async move {
        !has_actor(&get_json(woken, "/api/v1/actors").await, "broadcast", id)
    })
    .await;
    let seen = get_json(woken, &path).await;
    assert_eq!((&seen["status"], &seen["counts"]), (&done["status"], &done["counts"]), "{seen}");
    for room in &rooms {
        let mine = posted_by(woken, room, id).await;
        assert_eq!(mine.len(), 1, "room {room} holds {} copies after the wake-up: {mine:?}", mine.len());
    }

    // The woken node lives on as a full member: its process runs, it is ready, it sees
    // every node alive, and a message posted through it is stored once.
    let status = cluster.nodes[runner].exit_status();
    assert!(status.is_none(), "the woken node {} exited: {status:?}", node_id(runner));
    let woken = &cluster.nodes[runner];
    let ready = woken.http().get(woken.url("/readyz")).send().await.expect("GET /readyz on the woken node");
    assert_eq!(ready.status().as_u16(), 200, "the woken node is not ready");
    eventually("the woken node sees 3 live nodes", FAILOVER, || async move {
        let nodes = get_json(woken, "/api/v1/nodes").await;
        nodes["items"].as_array().is_some_and(|n| n.iter().filter(|n| n["alive"] == json!(true)).count() == 3)
    })
    .await;
    let (survivor, room) = (&cluster.nodes[(runner + 1) % 3], &rooms[0]);
    let posted = post_until_stored(woken, room, "after the wake-up", "wake-1").await;
    let copies: Vec<Value> = stored_messages(survivor, room)
        .await
        .into_iter()
        .filter(|m| m["client_id"] == json!("wake-1"))
        .collect();
    assert_eq!(copies.len(), 1, "the post through the woken node is stored once: {copies:?}");
    assert_eq!(copies[0]["seq"], posted["seq"], "{posted}");
}

/// Posts `text` to `room` through `node` as an operator, resending with the same
/// `client_id` while the room is unavailable (its lease is moving); the stored message.
async fn post_until_stored(node: &TestServer, room: &str, text: &str, client_id: &str) -> Value {
    let (path, body) =
        (format!("/api/v1/rooms/{room}/messages"), json!({"text": text, "client_id": client_id}));
    let deadline = tokio::time::Instant::now() + FAILOVER;
    loop {
        let resp =
            node.post(&path, &body).send().await.unwrap_or_else(|e| panic!("POST {path}: {}", chain(&e)));
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        if status == 200 || status == 201 {
            return serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("POST {path}: not JSON ({e}): {text}"));
        }
        assert!(
            status == 503 && tokio::time::Instant::now() < deadline,
            "POST {path} on {}: {status} {text}",
            node.addr
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_moves_to_a_survivor_and_still_fires_once() {
    let Some(mut cluster) = Cluster::start(
        3,
        &[("ROOMD__DEBUG__FAULT_INJECTION", "true"), ("ROOMD__SCHEDULER__MISFIRE_GRACE_SECS", "864000")],
    )
    .await
    else {
        return;
    };
    create_room(&cluster.nodes[0], "hourly").await;
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    set_clocks(&cluster, &format!("{day}T09:59:30Z")).await;
    let body = json!({"cron": "0 * * * *", "rooms": ["hourly"], "text": "on the hour"});
    let schedule = post_json(&cluster.nodes[2], "/api/v1/schedules", &body, 201).await;
    let id = schedule["id"].as_str().expect("schedule id").to_string();
    set_clocks(&cluster, &format!("{day}T10:00:30Z")).await;
    let n3 = &cluster.nodes[2];
    eventually("the 10:00 due time fires", FAILOVER, || {
        let fut = jobs_of(n3, &id);
        async move { fut.await.len() == 1 }
    })
    .await;

    // The node that fired it counts it in its `roomd_schedule_fires_total`; the others
    // fired nothing. That node and one other die: the last one must take the scheduler
    // over and fire the next due time, once.
    let mut fires = Vec::new();
    for node in &cluster.nodes {
        fires.push(schedule_fires(node).await);
    }
    let holder = fires.iter().position(|&f| f == 1).unwrap_or_else(|| panic!("fires per node: {fires:?}"));
    assert_eq!(fires.iter().sum::<u64>(), 1, "one node fired the due time: fires per node {fires:?}");
    let last = (holder + 1) % 3;
    for i in (0..3).filter(|&i| i != last) {
        cluster.nodes[i].kill_9().await;
    }
    let n3 = &cluster.nodes[last];
    post_json(n3, "/api/v1/debug/clock", &json!({ "now": format!("{day}T11:00:30Z") }), 200).await;
    eventually("the 11:00 due time fires on the last node", FAILOVER, || {
        let fut = jobs_of(n3, &id);
        async move { fut.await.len() >= 2 }
    })
    .await;
    post_json(n3, "/api/v1/debug/clock", &json!({ "now": format!("{day}T11:00:45Z") }), 200).await;
    let jobs = jobs_of(n3, &id).await;
    assert_eq!(jobs.len(), 2, "one job per due time: {jobs:?}");
    for job in &jobs {
        let done = finished(n3, job["id"].as_str().expect("job id")).await;
        assert_eq!(done["status"], "done", "{done}");
    }
    let view = get_json(n3, &format!("/api/v1/schedules/{id}")).await;
    let due: Vec<&str> = view["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .filter(|f| f["outcome"] == "fired")
        .map(|f| f["due_at"].as_str().unwrap_or_default())
        .collect();
    let (ten, eleven) = (format!("{day}T10:00:00.000Z"), format!("{day}T11:00:00.000Z"));
    assert_eq!(due, [eleven.as_str(), ten.as_str()], "fired due times, newest first: {view}");
    assert_eq!(schedule_fires(n3).await, 1, "the last node fired the 11:00 due time");
    let texts: Vec<Value> = stored_messages(n3, "hourly").await.iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, [json!("on the hour"), json!("on the hour")], "one message per due time");
}
