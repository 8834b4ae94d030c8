//! What the server logs and how a request is traced: `log.level = debug` writes debug
//! lines (and `info` does not); each HTTP request's log line names its request id,
//! peer address and caller's token id (never a secret); the request id is the client's
//! `X-Request-Id` when usable, else a new one, is answered in the `X-Request-Id`
//! header, and is kept in the audit entry of a change.

use serde_json::{json, Value};

use crate::common::{eventually, TestServer, LONG};

/// The server's JSON log lines so far.
fn log_lines(srv: &TestServer) -> Vec<Value> {
    srv.stdout_text().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Waits for the log line with message `msg` that `matches`; returns it.
async fn log_line(srv: &TestServer, msg: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let find = || log_lines(srv).into_iter().find(|l| l["msg"] == msg && matches(l));
    eventually(&format!("a {msg:?} log line"), LONG, || async { find().is_some() }).await;
    find().expect("found")
}

/// The `X-Request-Id` header of an answer.
fn request_id(resp: &reqwest::Response) -> String {
    let h = resp.headers().get("x-request-id").unwrap_or_else(|| panic!("no X-Request-Id in {resp:?}"));
    h.to_str().expect("visible ASCII").to_string()
}

/// A request id the server made: 16 hex digits.
fn assert_generated(id: &str) {
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "not a generated id: {id:?}");
}

/// The newest audit entry with `action`.
async fn newest_audit(srv: &TestServer, action: &str) -> Value {
    let page: Value = srv
        .get(&format!("/api/v1/audit?action={action}"))
        .send()
        .await
        .expect("GET audit")
        .json()
        .await
        .expect("JSON");
    page["items"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_level_debug_writes_debug_lines_and_info_does_not() {
    let debug = TestServer::start_with(&[("ROOMD__LOG__LEVEL", "debug")]).await;
    let ws = debug.ws_user("alice").await;
    let started = log_line(&debug, "session started", |l| l["user"] == "alice").await;
    assert_eq!(started["level"], "DEBG", "{started}");
    drop(ws);

    let info = TestServer::start().await; // log.level = info
    let _ws = info.ws_user("bob").await;
    // Logged after the session's start (which precedes its hello): once it is there,
    // a debug line would be too.
    let probe = info.http().get(info.url("/healthz")).send().await.expect("GET /healthz");
    let probe_id = request_id(&probe);
    log_line(&info, "http request", |l| l["req"] == probe_id.as_str()).await;
    let lines = log_lines(&info);
    assert!(!lines.iter().any(|l| l["level"] == "DEBG"), "debug lines at level info: {lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_request_id_is_answered_logged_and_kept_in_the_audit_entry() {
    let srv = TestServer::start().await;
    let resp = srv
        .post("/api/v1/rooms", &json!({"id": "lobby"}))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .expect("POST /rooms");
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(request_id(&resp), "abc-123");

    let entry = newest_audit(&srv, "room.create").await;
    assert_eq!((&entry["target"], &entry["request_id"]), (&json!("lobby"), &json!("abc-123")), "{entry}");

    let line = log_line(&srv, "http request", |l| l["req"] == "abc-123").await;
    assert_eq!(
        (&line["method"], &line["path"], &line["status"]),
        (&json!("POST"), &json!("/api/v1/rooms"), &json!(201))
    );
    let peer = line["peer"].as_str().unwrap_or_else(|| panic!("peer in {line}"));
    assert!(peer.starts_with("127.0.0.1:"), "peer address: {line}");
    assert_eq!(line["token"], entry["actor"]["id"], "the admin token's id: {line}");
    assert!(line["token"].as_str().is_some_and(|t| t.starts_with("tok_")), "{line}");

    // A user's WebSocket upgrade (secret in `?token=`) is logged with its token id.
    let secret = srv.user("alice").await;
    let _ws = srv.ws(&secret).await;
    let tokens: Value =
        srv.get("/api/v1/tokens").send().await.expect("GET tokens").json().await.expect("JSON");
    let alice =
        tokens["items"].as_array().expect("items").iter().find(|t| t["name"] == "alice").expect("alice");
    let upgrade = log_line(&srv, "http request", |l| l["path"] == "/ws").await;
    assert_eq!((&upgrade["status"], &upgrade["token"]), (&json!(101), &alice["id"]), "{upgrade}");
    let out = srv.stdout_text();
    assert!(!out.contains(&secret) && !out.contains(&srv.admin_token), "a secret in the log:\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_request_id_the_server_makes_one() {
    let srv = TestServer::start().await;
    let first = srv.post("/api/v1/rooms", &json!({"id": "lobby"})).send().await.expect("POST /rooms");
    assert_eq!(first.status().as_u16(), 201);
    let id = request_id(&first);
    assert_generated(&id);
    assert_eq!(newest_audit(&srv, "room.create").await["request_id"], id.as_str(), "the audit entry has it");

    let second = srv.get("/api/v1/rooms").send().await.expect("GET /rooms");
    assert_generated(&request_id(&second));
    assert_ne!(request_id(&second), id, "each request gets its own");
    // Refused and unrouted requests carry one too.
    let refused = srv.http().get(srv.url("/api/v1/rooms")).send().await.expect("GET without token");
    assert_eq!(refused.status().as_u16(), 401);
    assert_generated(&request_id(&refused));
    let line = log_line(&srv, "http request", |l| l["status"] == 401).await;
    assert_eq!((&line["req"], &line["token"]), (&json!(request_id(&refused)), &Value::Null), "{line}");
    let unrouted =
        srv.http().get(srv.url("/nowhere")).header("X-Request-Id", "r-404").send().await.expect("GET");
    assert_eq!((unrouted.status().as_u16(), request_id(&unrouted)), (404, "r-404".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_request_id_is_replaced() {
    let srv = TestServer::start().await;
    let longest = "x".repeat(128);
    let resp = srv.get("/api/v1/rooms").header("X-Request-Id", longest.as_str()).send().await.expect("GET");
    assert_eq!(request_id(&resp), longest, "128 characters are kept");

    let too_long = "x".repeat(129);
    let bad: [&[u8]; 4] = [too_long.as_bytes(), b"tab\tinside", b"has space", b"caf\xc3\xa9"];
    for (n, value) in bad.into_iter().enumerate() {
        let header = reqwest::header::HeaderValue::from_bytes(value).expect("a header value");
        let resp = srv
            .post("/api/v1/rooms", &json!({"id": format!("room-{n}")}))
            .header("X-Request-Id", header)
            .send()
            .await
            .expect("POST /rooms");
        assert_eq!(resp.status().as_u16(), 201, "a bad request id does not fail the request");
        let id = request_id(&resp);
        assert_generated(&id);
        assert_eq!(newest_audit(&srv, "room.create").await["request_id"], id.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_x_request_id_on_every_operation() {
    let srv = TestServer::start().await;
    let doc: Value = srv
        .http()
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let params = op["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
            let param = params.iter().find(|p| p["name"] == "X-Request-Id");
            let param = param.unwrap_or_else(|| panic!("{method} {path}: no X-Request-Id parameter"));
            assert_eq!(
                (&param["in"], &param["required"]),
                (&json!("header"), &json!(false)),
                "{method} {path}"
            );
            assert_eq!(param["schema"]["maxLength"], 128, "{method} {path}");
            for (status, response) in op["responses"].as_object().expect("responses") {
                assert!(
                    response["headers"]["X-Request-Id"].is_object(),
                    "{method} {path} {status}: no X-Request-Id header"
                );
            }
            operations += 1;
        }
    }
    assert!(operations >= 30, "{operations} operations");
}
