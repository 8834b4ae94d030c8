//! Live sessions through the admin API: `GET /api/v1/sessions` with each filter and
//! its pages, the client address (`X-Forwarded-For` only from `server.trusted_proxies`),
//! frame counters, and operator disconnects (`DELETE /sessions/{id}`,
//! `DELETE /users/{user_id}/sessions`: close 4503 with the reason, audit entries).

use std::collections::BTreeSet;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use crate::common::{assert_api_error, assert_recent_rfc3339, eventually, TestServer, TIMEOUT};

/// The fields of a listed session, exactly.
const SESSION_FIELDS: [&str; 14] = [
    "connected_at",
    "frames_in",
    "frames_out",
    "id",
    "kind",
    "node",
    "outbound_queue_bytes",
    "outbound_queue_messages",
    "remote_addr",
    "rooms",
    "token_id",
    "user_agent",
    "user_id",
    "user_name",
];

/// A WebSocket session opened with chosen upgrade headers, past its `hello`.
struct Session {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    id: String,
}

impl Session {
    async fn open(srv: &TestServer, token: &str, headers: &[(&str, &str)]) -> Self {
        let mut req = format!("ws://{}/ws", srv.addr).into_client_request().expect("request");
        let h = req.headers_mut();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        for (k, v) in headers {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        let (ws, _) = tokio::time::timeout(TIMEOUT, connect_async(req))
            .await
            .expect("upgrade in time")
            .expect("upgrade");
        let mut s = Self { ws, id: String::new() };
        let hello = s.frame().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        s.id = hello["session"].as_str().expect("hello.session").to_string();
        s
    }

    /// The next text frame, as JSON.
    async fn frame(&mut self) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match timeout_at(deadline, self.ws.next()).await.expect("a frame in time") {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("JSON frame"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Sends `frame` and returns the answer echoing its `id`.
    async fn request(&mut self, frame: Value) -> Value {
        futures_util::SinkExt::send(&mut self.ws, Message::text(frame.to_string())).await.expect("send");
        loop {
            let f = self.frame().await;
            if f.get("id") == frame.get("id") {
                return f;
            }
        }
    }

    async fn ping(&mut self, id: u64) {
        let pong = self.request(json!({"type": "ping", "id": id})).await;
        assert_eq!(pong["type"], "pong", "{pong}");
    }

    async fn join(&mut self, room: &str) {
        let joined = self.request(json!({"type": "join", "room": room, "id": room})).await;
        assert_eq!(joined["type"], "joined", "{joined}");
    }

    /// Reads until the server closes; its close code and reason.
    async fn closed(&mut self) -> (u16, String) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match timeout_at(deadline, self.ws.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    panic!("closed without a close frame")
                }
                Some(Ok(_)) => continue,
            }
        }
    }
}

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// One page of `GET /sessions?query`.
async fn list(srv: &TestServer, query: &[(&str, &str)]) -> Value {
    body(srv.get("/api/v1/sessions").query(query).send().await.expect("GET /sessions"), 200).await
}

/// The ids of the sessions `GET /sessions?query` lists (one page of up to 500).
async fn ids(srv: &TestServer, query: &[(&str, &str)]) -> Vec<String> {
    let mut q = query.to_vec();
    q.push(("limit", "500"));
    let page = list(srv, &q).await;
    assert_eq!(page["next_cursor"], Value::Null, "{page}");
    page["items"].as_array().expect("items").iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

fn sorted(ids: &[&Session]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.id.clone()).collect();
    v.sort();
    v
}

fn delete(srv: &TestServer, path: &str) -> reqwest::RequestBuilder {
    srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token)
}

/// A token's creation answer (id and secret).
async fn token(srv: &TestServer, kind: &str, name: &str) -> (String, String) {
    let req = json!({"kind": kind, "name": name});
    let t = body(srv.post("/api/v1/tokens", &req).send().await.expect("POST /tokens"), 201).await;
    (t["id"].as_str().unwrap().to_string(), t["token"].as_str().unwrap().to_string())
}

/// The audit entries with `action`, newest first.
async fn audit(srv: &TestServer, action: &str) -> Vec<Value> {
    let page = list_at(srv, "/api/v1/audit", &[("action", action)]).await;
    page["items"].as_array().expect("items").clone()
}

async fn list_at(srv: &TestServer, path: &str, query: &[(&str, &str)]) -> Value {
    body(srv.get(path).query(query).send().await.expect("GET"), 200).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_with_their_facts_by_each_filter_and_page_by_page() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    srv.create_room("dev").await;
    let (alice_tok, alice) = token(&srv, "user", "alice").await;
    let (_, helper) = token(&srv, "bot", "helper").await;
    let mut a1 = Session::open(&srv, &alice, &[("User-Agent", "roomd-test/1.0")]).await;
    let a2 = Session::open(&srv, &alice, &[]).await;
    let mut bot = Session::open(&srv, &helper, &[]).await;
    a1.join("lobby").await;
    bot.join("lobby").await;
    bot.join("dev").await;

    let page = list(&srv, &[]).await;
    assert_eq!(page["next_cursor"], Value::Null, "{page}");
    assert_eq!(page["unreachable_nodes"], json!([]), "{page}");
    let items = page["items"].as_array().expect("items");
    let listed: Vec<&str> = items.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed, sorted(&[&a1, &a2, &bot]), "every session, by id");
    let first = items.iter().find(|s| s["id"] == a1.id.as_str()).expect("a1 listed");
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, SESSION_FIELDS, "{first}");
    assert_eq!(first["user_id"], "alice");
    assert_eq!(first["user_name"], "alice");
    assert_eq!(first["kind"], "user");
    assert_eq!(first["token_id"], alice_tok.as_str());
    assert_eq!(first["remote_addr"], "127.0.0.1");
    assert_eq!(first["user_agent"], "roomd-test/1.0");
    assert_eq!(first["rooms"], json!(["lobby"]));
    assert_eq!(first["node"], Value::Null, "no node outside cluster mode");
    assert_recent_rfc3339(&first["connected_at"]);
    let second = items.iter().find(|s| s["id"] == a2.id.as_str()).expect("a2 listed");
    assert_eq!((&second["user_agent"], &second["rooms"]), (&Value::Null, &json!([])), "{second}");
    let b = items.iter().find(|s| s["id"] == bot.id.as_str()).expect("bot listed");
    assert_eq!((&b["kind"], &b["rooms"]), (&json!("bot"), &json!(["dev", "lobby"])), "{b}");

    // Each filter, and two together.
    assert_eq!(ids(&srv, &[("user_id", "alice")]).await, sorted(&[&a1, &a2]));
    assert_eq!(ids(&srv, &[("user_id", "nobody")]).await, Vec::<String>::new());
    assert_eq!(ids(&srv, &[("room", "lobby")]).await, sorted(&[&a1, &bot]));
    assert_eq!(ids(&srv, &[("room", "dev")]).await, sorted(&[&bot]));
    assert_eq!(ids(&srv, &[("kind", "bot")]).await, sorted(&[&bot]));
    assert_eq!(ids(&srv, &[("kind", "admin")]).await, Vec::<String>::new());
    assert_eq!(ids(&srv, &[("remote_addr", "127.0.0.1")]).await, sorted(&[&a1, &a2, &bot]));
    assert_eq!(ids(&srv, &[("remote_addr", "127.0.0.0/8")]).await, sorted(&[&a1, &a2, &bot]));
    assert_eq!(ids(&srv, &[("remote_addr", "10.0.0.0/8")]).await, Vec::<String>::new());
    assert_eq!(ids(&srv, &[("user_id", "alice"), ("room", "lobby")]).await, sorted(&[&a1]));

    // A leave takes the room off the session's list.
    let left = bot.request(json!({"type": "leave", "room": "dev", "id": "l"})).await;
    assert_eq!(left["type"], "left", "{left}");
    assert_eq!(ids(&srv, &[("room", "dev")]).await, Vec::<String>::new());

    // Pages of one, each after the previous cursor, cover every session once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![("limit", "1".to_string())];
        q.extend(cursor.clone().map(|c| ("cursor", c)));
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = list(&srv, &q).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 1, "{page}");
        seen.extend(items.iter().map(|s| s["id"].as_str().unwrap().to_string()));
        match &page["next_cursor"] {
            Value::Null => break,
            Value::String(c) => cursor = Some(c.clone()),
            other => panic!("next_cursor: {other}"),
        }
        assert!(seen.len() <= 3, "the cursor never ends: {seen:?}");
    }
    assert_eq!(seen, sorted(&[&a1, &a2, &bot]));
    drop((a2, bot));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_session_filters_are_400_naming_the_parameter() {
    let srv = TestServer::start().await;
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[("kind", "system")], "kind"),
        (&[("kind", "robot")], "kind"),
        (&[("room", "Not A Room")], "room"),
        (&[("remote_addr", "example.com")], "remote_addr"),
        (&[("remote_addr", "10.0.0.0/40")], "remote_addr"),
        (&[("user_id", "")], "user_id"),
        (&[("cursor", "tok_abc")], "cursor"),
        (&[("limit", "0")], "limit"),
    ];
    for (query, param) in cases {
        let resp = srv.get("/api/v1/sessions").query(query).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{query:?}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"]["code"], "bad_request", "{query:?}: {text}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(param),
            "{query:?} must name {param}: {text}"
        );
    }
    let resp = srv.get("/api/v1/sessions").query(&[("color", "red")]).send().await.unwrap();
    assert_api_error(resp, 400, "bad_request").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_in_and_out_are_counted() {
    let srv = TestServer::start().await;
    let (_, alice) = token(&srv, "user", "alice").await;
    let mut s = Session::open(&srv, &alice, &[]).await;
    for i in 0..5 {
        s.ping(i).await;
    }
    let page = list(&srv, &[]).await;
    let me = &page["items"][0];
    assert_eq!(me["id"], s.id.as_str());
    assert_eq!(me["frames_in"], 5, "five pings: {me}");
    assert_eq!(me["frames_out"], 6, "hello and five pongs: {me}");
    // Nothing waits for a client that read everything.
    assert_eq!((&me["outbound_queue_messages"], &me["outbound_queue_bytes"]), (&json!(0), &json!(0)), "{me}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_names_the_client_only_from_a_trusted_proxy() {
    let forwarded = [("X-Forwarded-For", "198.51.100.7, 203.0.113.9")];
    for (trusted, expected) in [(None, "127.0.0.1"), (Some("127.0.0.1"), "203.0.113.9")] {
        let env: Vec<(&str, &str)> =
            trusted.map(|t| ("ROOMD__SERVER__TRUSTED_PROXIES", t)).into_iter().collect();
        let srv = TestServer::start_with(&env).await;
        let (_, alice) = token(&srv, "user", "alice").await;
        let s = Session::open(&srv, &alice, &forwarded).await;
        let page = list(&srv, &[]).await;
        assert_eq!(page["items"][0]["remote_addr"], expected, "trusted proxies {trusted:?}: {page}");
        let by_block = ids(&srv, &[("remote_addr", "203.0.113.0/24")]).await;
        let want = if trusted.is_some() { vec![s.id.clone()] } else { Vec::new() };
        assert_eq!(by_block, want, "trusted proxies {trusted:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_trusted_proxy_stops_the_server_at_start_naming_it() {
    let srv = TestServer::new(&[("ROOMD__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")]);
    let out = srv.cli(&["serve"]).await;
    assert!(!out.status.success(), "roomd must refuse to start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("proxy.local") && stderr.contains("trusted_proxies"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_disconnects_one_session_with_4503_and_the_reason() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let (_, alice) = token(&srv, "user", "alice").await;
    let mut a1 = Session::open(&srv, &alice, &[]).await;
    let mut a2 = Session::open(&srv, &alice, &[]).await;
    a1.join("lobby").await;

    let path = format!("/api/v1/sessions/{}", a1.id);
    let gone = body(delete(&srv, &path).query(&[("reason", "spamming")]).send().await.unwrap(), 200).await;
    assert_eq!(
        (&gone["id"], &gone["user_id"], &gone["rooms"]),
        (&json!(a1.id), &json!("alice"), &json!(["lobby"]))
    );
    assert_eq!(a1.closed().await, (4503, "disconnected by an operator: spamming".to_string()));
    // The user's other session stays, and the listing forgets the closed one.
    a2.ping(1).await;
    eventually("the closed session leaves the listing", TIMEOUT, || async {
        ids(&srv, &[]).await == vec![a2.id.clone()]
    })
    .await;
    // It is gone: a second disconnect is 404, as are ids of no session.
    assert_api_error(delete(&srv, &path).send().await.unwrap(), 404, "not_found").await;
    for id in ["s1-00000000", "nonsense", "tok_abc"] {
        let resp = delete(&srv, &format!("/api/v1/sessions/{id}")).send().await.unwrap();
        assert_api_error(resp, 404, "not_found").await;
    }

    let entries = audit(&srv, "session.disconnect").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["target"], a1.id.as_str());
    assert_eq!(entries[0]["detail"], json!({"user_id": "alice", "node": null, "reason": "spamming"}));
    assert_eq!(entries[0]["actor"]["name"], "admin", "{}", entries[0]);

    // Without a reason the close carries the code's own words; the audit a null reason.
    let path = format!("/api/v1/sessions/{}", a2.id);
    body(delete(&srv, &path).send().await.unwrap(), 200).await;
    assert_eq!(a2.closed().await, (4503, "disconnected by an operator".to_string()));
    assert_eq!(audit(&srv, "session.disconnect").await[0]["detail"]["reason"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_disconnect_reason_is_400_and_closes_nothing() {
    let srv = TestServer::start().await;
    let (_, alice) = token(&srv, "user", "alice").await;
    let mut s = Session::open(&srv, &alice, &[]).await;
    let long = "x".repeat(201);
    for reason in ["", "   ", long.as_str()] {
        for path in [format!("/api/v1/sessions/{}", s.id), "/api/v1/users/alice/sessions".to_string()] {
            let resp = delete(&srv, &path).query(&[("reason", reason)]).send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            assert_eq!(status, 400, "{path} {reason:?}: {text}");
            assert!(text.contains("bad_request") && text.contains("reason"), "{path} {reason:?}: {text}");
        }
    }
    let resp = delete(&srv, "/api/v1/users/system/sessions").send().await.unwrap();
    assert_api_error(resp, 422, "unprocessable").await;
    s.ping(1).await;
    assert_eq!(ids(&srv, &[]).await, vec![s.id.clone()], "nothing was closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_disconnects_every_session_of_a_user() {
    let srv = TestServer::start().await;
    let (_, alice) = token(&srv, "user", "alice").await;
    let (_, bob) = token(&srv, "user", "bob").await;
    let mut a1 = Session::open(&srv, &alice, &[]).await;
    let mut a2 = Session::open(&srv, &alice, &[]).await;
    let mut b = Session::open(&srv, &bob, &[]).await;

    let resp = delete(&srv, "/api/v1/users/alice/sessions").query(&[("reason", "account review")]).send();
    let closed = body(resp.await.unwrap(), 200).await;
    let listed: Vec<&str> =
        closed["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed, sorted(&[&a1, &a2]), "{closed}");
    assert_eq!(closed["unreachable_nodes"], json!([]));
    for s in [&mut a1, &mut a2] {
        assert_eq!(s.closed().await, (4503, "disconnected by an operator: account review".to_string()));
    }
    b.ping(1).await;
    eventually("only bob is left", TIMEOUT, || async { ids(&srv, &[]).await == vec![b.id.clone()] }).await;

    let entries = audit(&srv, "user.disconnect").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["target"], "alice");
    assert_eq!(entries[0]["detail"], json!({"sessions": sorted(&[&a1, &a2]), "reason": "account review"}));

    // Not a ban: alice connects again. A user with no session: 200, nothing audited.
    let again = Session::open(&srv, &alice, &[]).await;
    let none = body(delete(&srv, "/api/v1/users/carol/sessions").send().await.unwrap(), 200).await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(audit(&srv, "user.disconnect").await.len(), 1, "no entry when nothing was closed");
    let left: BTreeSet<String> = ids(&srv, &[]).await.into_iter().collect();
    assert_eq!(left, [b.id.clone(), again.id.clone()].into_iter().collect());
}
