//! `Cluster`: several `roomd serve` processes (nodes `n1`, `n2`, …) on one shared
//! PostgreSQL schema and one NATS, with a subject prefix of their own so parallel
//! tests on the same NATS server never see each other. The database outlives every
//! node: it is declared after them and dropped after them. One cluster runs at a time
//! (`ONE_AT_A_TIME`).

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::db::{postgres_url_or, TestDb};
use crate::common::services::{self, Need};
use crate::common::{eventually, TestServer, LONG};

/// Where cluster tests find PostgreSQL when `ROOMD_TEST_DATABASE_URL` is not set.
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Short, so a dead node's rooms, scheduler and jobs move within a test's patience.
pub const LEASE_MS: u64 = 2000;
pub const HEARTBEAT_MS: u64 = 300;
/// How long a test waits for a cluster-level outcome (a lease to expire and a room,
/// job or scheduler to move): many leases, so only a server that never gets there
/// fails.
pub const FAILOVER: Duration = Duration::from_secs(60);

/// How long one HTTP request to a node may take before the test fails (instead of
/// waiting forever on a node that never answers): far beyond any healthy answer, even
/// on a loaded machine.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client of a node: every request has `REQUEST_TIMEOUT`, and each opens its
/// own connection. A kept-alive connection is unsafe across a freeze: when a node
/// wakes up (SIGCONT), the keep-alive timers of its idle connections all expire at
/// once and it closes them, so a request sent on one just before is lost
/// ("connection closed before message completed") although the node is healthy.
fn node_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .expect("HTTP client")
}

/// Settings every cluster test wants: no per-session rate limit (senders send fast)
/// and no repeated-text filter (a resend after an error repeats its text).
pub const CLUSTER_FAST: &[(&str, &str)] = &[
    ("ROOMD__LIMITS__MSGS_PER_SEC", "100000"),
    ("ROOMD__LIMITS__BURST", "100000"),
    ("ROOMD__SPAM__MAX_REPEATS", "0"),
];

/// Held by each running `Cluster`: the cluster tests run one at a time whatever
/// `--test-threads` says, since each boots several servers and their lease and
/// failover timings assume no other cluster competes for a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Nodes of one cluster.
pub struct Cluster {
    /// Node `i` has the id `node_id(i)` (`n1` is index 0).
    pub nodes: Vec<TestServer>,
    /// `cluster.subject_prefix` of every node: unique per test.
    pub prefix: String,
    /// The admin secret the first node printed; valid on every node (each
    /// `TestServer` carries it too).
    #[allow(dead_code)] // fixture interface; no test needs it yet
    pub admin_token: String,
    // Dropped after every node has been killed.
    _db: TestDb,
    // Declared last: the next test's cluster starts once this one is gone.
    _alone: tokio::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    /// `n` nodes on the shared NATS (`services::nats_url`), with `extra` settings on
    /// each; `None` (the test is skipped, `services::present`) without PostgreSQL or NATS.
    pub async fn start(n: usize, extra: &[(&str, &str)]) -> Option<Self> {
        Self::start_on(n, &services::nats_url(), extra).await
    }

    /// `n` nodes on the NATS at `nats_url`. The first boots alone (it runs the
    /// migrations and prints the admin token), then the others. `None` without
    /// PostgreSQL or that NATS.
    pub async fn start_on(n: usize, nats_url: &str, extra: &[(&str, &str)]) -> Option<Self> {
        assert!(n >= 1);
        if !services::present(&[Need::Postgres(&postgres_url_or(DEFAULT_PG)), Need::Nats(nats_url)]) {
            return None;
        }
        let alone = ONE_AT_A_TIME.lock().await;
        let db = TestDb::postgres_or(DEFAULT_PG);
        let prefix = format!("t{:016x}", rand::random::<u64>());
        let (lease, heartbeat) = (LEASE_MS.to_string(), HEARTBEAT_MS.to_string());
        let mut nodes: Vec<TestServer> = Vec::with_capacity(n);
        for i in 0..n {
            let id = node_id(i);
            let mut env: Vec<(&str, &str)> = vec![
                ("ROOMD__CLUSTER__ENABLED", "true"),
                ("ROOMD__CLUSTER__NODE_ID", &id),
                ("ROOMD__CLUSTER__NATS_URL", nats_url),
                ("ROOMD__CLUSTER__SUBJECT_PREFIX", &prefix),
                ("ROOMD__CLUSTER__LEASE_MS", &lease),
                ("ROOMD__CLUSTER__HEARTBEAT_MS", &heartbeat),
            ];
            env.extend(CLUSTER_FAST);
            env.extend(extra);
            let mut srv = TestServer::new_shared(&db.url(), &env);
            srv.set_http(node_client());
            srv.boot().await;
            srv.admin_token = match nodes.first() {
                None => srv.printed_admin_token().await,
                Some(first) => first.admin_token.clone(),
            };
            nodes.push(srv);
        }
        let admin_token = nodes[0].admin_token.clone();
        let cluster = Self { nodes, prefix, admin_token, _db: db, _alone: alone };
        cluster.wait_formed().await;
        Some(cluster)
    }

    /// What an operator (or a load balancer) checks before sending clients: every node
    /// is ready (`/readyz`) and sees every node alive (`GET /api/v1/nodes`).
    async fn wait_formed(&self) {
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter().enumerate() {
            eventually(&format!("{} is ready and sees {n} live nodes", node_id(i)), LONG, || async move {
                let ready = node.http().get(node.url("/readyz")).send().await;
                if !ready.is_ok_and(|r| r.status().is_success()) {
                    return false;
                }
                let Ok(resp) = node.get("/api/v1/nodes").send().await else { return false };
                let Ok(nodes) = resp.json::<Value>().await else { return false };
                let alive = nodes["items"]
                    .as_array()
                    .map_or(0, |items| items.iter().filter(|it| it["alive"] == json!(true)).count());
                alive == n
            })
            .await;
        }
    }

    /// The node with id `id` (`n2` → index 1).
    pub fn index_of(&self, id: &str) -> usize {
        (0..self.nodes.len()).find(|&i| node_id(i) == id).unwrap_or_else(|| panic!("no node {id:?}"))
    }

    /// The WebSocket address of every node, by index (fixed: nodes are not restarted).
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.addr.clone()).collect()
    }

    /// `GET /api/v1/rooms/{room}` on node `via`.
    pub async fn room(&self, via: usize, room: &str) -> Value {
        get_json(&self.nodes[via], &format!("/api/v1/rooms/{room}")).await
    }

    /// The room's `owner_node` as node `via` reports it (`None` while no node owns it).
    pub async fn owner_of(&self, via: usize, room: &str) -> Option<String> {
        let view = self.room(via, room).await;
        assert!(
            view.get("owner_node").is_some(),
            "a room view in cluster mode has an owner_node (a node id or null): {view}"
        );
        view["owner_node"].as_str().map(str::to_string)
    }

    /// Polls node `via` until the room has an owner for which `accept` holds; returns
    /// the owner's index.
    pub async fn wait_owner(&self, via: usize, room: &str, accept: impl Fn(&str) -> bool) -> usize {
        let found = std::cell::RefCell::new(None);
        eventually(
            &format!("room {room} has an acceptable owner_node (asked {})", node_id(via)),
            FAILOVER,
            || {
                let fut = self.owner_of(via, room);
                let (found, accept) = (&found, &accept);
                async move {
                    let owner = fut.await;
                    let ok = owner.as_deref().is_some_and(accept);
                    *found.borrow_mut() = owner;
                    ok
                }
            },
        )
        .await;
        let owner = found.into_inner().expect("owner");
        self.index_of(&owner)
    }
}

impl Drop for Cluster {
    /// On a failing test, keeps every node's log for the report:
    /// `$TMPDIR/roomd-cluster-<prefix>-<node>.log` (the path is printed).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // What a node logs (or how it exits) just after the failure often explains it,
        // and its log reaches the pipe through an async drain: give it a moment.
        std::thread::sleep(Duration::from_secs(2));
        for (i, node) in self.nodes.iter_mut().enumerate() {
            let path = std::env::temp_dir().join(format!("roomd-cluster-{}-{}.log", self.prefix, node_id(i)));
            let state = match node.exit_status() {
                Some(status) => format!("exited: {status}"),
                None => "running (or killed by the test)".to_string(),
            };
            let text = format!(
                "--- process ---\n{state}\n--- stdout ---\n{}\n--- stderr ---\n{}\n",
                node.stdout_text(),
                node.stderr_text()
            );
            if std::fs::write(&path, text).is_ok() {
                eprintln!("log of {} ({}, {state}): {}", node_id(i), node.addr, path.display());
            }
        }
    }
}

/// The id of node `i`: `n1`, `n2`, …
pub fn node_id(i: usize) -> String {
    format!("n{}", i + 1)
}

/// An error with its causes ("error sending request" alone does not say whether the
/// connection was refused, reset or timed out).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// `GET path` with the admin token; the body as JSON (panics on a non-2xx status).
pub async fn get_json(srv: &TestServer, path: &str) -> Value {
    let resp =
        srv.get(path).send().await.unwrap_or_else(|e| panic!("GET {path} on {}: {}", srv.addr, chain(&e)));
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert!((200..300).contains(&status), "GET {path} on {}: {status} {text}", srv.addr);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"))
}

/// `POST path` with the admin token; asserts `status`; the body as JSON.
pub async fn post_json(srv: &TestServer, path: &str, body: &Value, status: u16) -> Value {
    let resp = srv
        .post(path, body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path} on {}: {}", srv.addr, chain(&e)));
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "POST {path} {body} on {}: {text}", srv.addr);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path}: not JSON ({e}): {text}"))
}

/// Every stored message of `room` as node `srv` serves it (`GET …/messages`, paging
/// forward with `after_seq`), oldest first.
pub async fn stored_messages(srv: &TestServer, room: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all.last().map_or(0, |m| m["seq"].as_i64().expect("seq"));
        let page = get_json(srv, &format!("/api/v1/rooms/{room}/messages?after_seq={after}&limit=500")).await;
        let items = page["items"].as_array().expect("items").clone();
        let more = page["has_more"].as_bool().unwrap_or(false);
        if items.is_empty() {
            return all;
        }
        all.extend(items);
        if !more {
            return all;
        }
    }
}

/// Creates `room` through node `srv`.
pub async fn create_room(srv: &TestServer, room: &str) {
    post_json(srv, "/api/v1/rooms", &json!({"id": room, "name": room}), 201).await;
}
