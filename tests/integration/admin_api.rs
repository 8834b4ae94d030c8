//! The admin HTTP API minimum: health probes, rooms (create, list with cursor
//! pagination), tokens (API and CLI), bearer-token auth, and JSON error bodies.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, pick, TestServer, WsClient, TIMEOUT};

const STATUSES: [&str; 4] = ["running", "restarting", "quarantined", "stopped"];

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A room object as the contract shapes it.
fn assert_room(room: &Value, id: &str, name: &str, tags: Value) {
    assert_eq!(pick(room, &["id", "name", "tags"]), json!({"id": id, "name": name, "tags": tags}));
    assert!(room["settings"].is_object(), "settings: {room}");
    assert!(STATUSES.contains(&room["status"].as_str().unwrap_or("?")), "status: {room}");
    assert!(room["last_seq"].is_i64() && room["members_online"].is_i64(), "live figures: {room}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer_200_without_auth() {
    let srv = TestServer::start().await;
    let healthz = srv.http().get(srv.url("/healthz")).send().await.expect("GET /healthz");
    assert_eq!(healthz.status().as_u16(), 200);
    let url = srv.url("/readyz");
    eventually("/readyz answers 200", TIMEOUT, || {
        let req = srv.http().get(&url).send();
        async move { req.await.map(|r| r.status().as_u16() == 200).unwrap_or(false) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_created_and_listed_page_by_page() {
    let srv = TestServer::start().await;
    let created = body(
        srv.post("/api/v1/rooms", &json!({"id": "r1", "name": "Room 1", "tags": ["a", "b"]}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_room(&created, "r1", "Room 1", json!(["a", "b"]));
    assert_eq!(pick(&created, &["last_seq", "members_online"]), json!({"last_seq": 0, "members_online": 0}));
    for i in 2..=5 {
        srv.create_room(&format!("r{i}")).await;
    }

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2".to_string())];
        query.extend(cursor.clone().map(|c| ("cursor", c)));
        let page = body(srv.get("/api/v1/rooms").query(&query).send().await.unwrap(), 200).await;
        let ids: Vec<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        pages.push(ids);
        cursor = match &page["next_cursor"] {
            Value::Null => break,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        assert!(pages.len() <= 5, "next_cursor never ends: {pages:?}");
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1], "{pages:?}");
    let seen: HashSet<String> = pages.concat().into_iter().collect();
    assert_eq!(seen, (1..=5).map(|i| format!("r{i}")).collect(), "every room exactly once across pages");

    let all = body(srv.get("/api/v1/rooms").send().await.unwrap(), 200).await;
    assert_eq!(
        (all["items"].as_array().map(Vec::len), &all["next_cursor"]),
        (Some(5), &Value::Null),
        "{all}"
    );
    let r1 = all["items"].as_array().unwrap().iter().find(|r| r["id"] == "r1").expect("r1 listed").clone();
    assert_room(&r1, "r1", "Room 1", json!(["a", "b"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_room_shows_its_last_seq_and_members_online() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "one").await;
    alice.say("lobby", "two").await;
    eventually("GET /rooms shows last_seq 2 and 1 member online", TIMEOUT, || async {
        let list = body(srv.get("/api/v1/rooms").send().await.unwrap(), 200).await;
        pick(&list["items"][0], &["id", "last_seq", "members_online"])
            == json!({"id": "lobby", "last_seq": 2, "members_online": 1})
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_room_requests_get_json_error_bodies() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let again = srv.post("/api/v1/rooms", &json!({"id": "lobby", "name": "Again"})).send().await.unwrap();
    assert_api_error(again, 409, "conflict").await;
    for bad in ["Bad Room!", "-x", "UPPER", "", &"a".repeat(65)] {
        let resp = srv.post("/api/v1/rooms", &json!({"id": bad, "name": "x"})).send().await.unwrap();
        assert_api_error(resp, 422, "unprocessable").await;
    }
    let malformed = srv
        .http()
        .post(srv.url("/api/v1/rooms"))
        .bearer_auth(&srv.admin_token)
        .header("content-type", "application/json")
        .body(r#"{"id": "r2", "name": "#)
        .send()
        .await
        .unwrap();
    assert_api_error(malformed, 400, "bad_request").await;
    let list = body(srv.get("/api/v1/rooms").send().await.unwrap(), 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "only lobby exists: {list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_wants_an_admin_bearer_token() {
    let srv = TestServer::start().await;
    let user = srv.user("alice").await;
    let bot = srv.token("bot", "helper").await;
    let room = json!({"id": "lobby", "name": "Lobby"});
    let token = json!({"kind": "user", "name": "mallory", "roles": []});
    let requests = || {
        let http = srv.http();
        [
            http.get(srv.url("/api/v1/rooms")),
            http.post(srv.url("/api/v1/rooms")).json(&room),
            http.post(srv.url("/api/v1/tokens")).json(&token),
        ]
    };
    for req in requests() {
        assert_api_error(req.send().await.unwrap(), 401, "unauthorized").await;
    }
    for req in requests() {
        assert_api_error(req.bearer_auth("rmd_wrong").send().await.unwrap(), 401, "unauthorized").await;
    }
    for secret in [&user, &bot] {
        for req in requests() {
            assert_api_error(req.bearer_auth(secret).send().await.unwrap(), 403, "forbidden").await;
        }
    }
    let list = body(srv.get("/api/v1/rooms").send().await.unwrap(), 200).await;
    assert_eq!(list["items"], json!([]), "nothing was created by the refused requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_token_shows_its_secret_once_and_works() {
    let srv = TestServer::start().await;
    let req = json!({"kind": "user", "name": "alice", "roles": []});
    let first = body(srv.post("/api/v1/tokens", &req).send().await.unwrap(), 201).await;
    assert_eq!(
        pick(&first, &["kind", "name", "roles"]),
        json!({"kind": "user", "name": "alice", "roles": []})
    );
    assert!(!first["id"].is_null(), "token id: {first}");
    let created_at = first["created_at"].as_str().expect("created_at");
    chrono::DateTime::parse_from_rfc3339(created_at)
        .unwrap_or_else(|e| panic!("created_at {created_at:?}: {e}"));
    let secret = first["token"].as_str().expect("token secret");
    assert!(secret.starts_with("rmd_") && secret.len() > 20, "secret {secret:?}");

    let ws = WsClient::connect(&srv.addr, secret).await;
    assert_eq!(pick(&ws.hello["user"], &["id", "kind"]), json!({"id": "alice", "kind": "user"}));

    let admin = body(
        srv.post("/api/v1/tokens", &json!({"kind": "admin", "name": "ops", "roles": []}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_ne!((&admin["id"], &admin["token"]), (&first["id"], &first["token"]), "each token is new");
    let as_admin = srv
        .http()
        .get(srv.url("/api/v1/rooms"))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(as_admin.status().as_u16(), 200, "a new admin token is an admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_made_with_the_cli_before_first_boot_works() {
    let mut srv = TestServer::new(&[]);
    let migrate = srv.cli(&["migrate"]).await;
    assert!(migrate.status.success(), "roomd migrate: {}", String::from_utf8_lossy(&migrate.stderr));
    let out = srv.cli(&["token", "create", "--kind", "admin", "--name", "ops"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "roomd token create: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let secret = stdout.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
    assert!(secret.starts_with("rmd_"), "the last stdout line is the secret: {stdout:?}");

    srv.admin_token = secret;
    srv.boot().await;
    let room = srv.create_room("lobby").await;
    assert_room(&room, "lobby", "lobby", json!([]));
}
