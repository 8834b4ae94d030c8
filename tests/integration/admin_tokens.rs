//! Token administration and the audit log: listing tokens without secrets, revoking
//! (sessions closed with 4502, no more authentication, idempotent), audit entries for
//! admin changes with their filters and pages, bad list parameters, and the per-token
//! admin rate limit (429 + `Retry-After`).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::common::ws_client::Auth;
use crate::common::{
    assert_api_error, assert_recent_rfc3339, eventually, pick, TestServer, WsClient, TIMEOUT,
};

/// The fields of a listed token, exactly.
const TOKEN_FIELDS: [&str; 6] = ["created_at", "id", "kind", "name", "revoked_at", "roles"];

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Creates a token through the API; returns the whole creation answer (id + secret).
async fn create_token(srv: &TestServer, kind: &str, name: &str) -> Value {
    let req = json!({"kind": kind, "name": name, "roles": ["r1"]});
    body(srv.post("/api/v1/tokens", &req).send().await.expect("POST /tokens"), 201).await
}

fn delete(srv: &TestServer, path: &str) -> reqwest::RequestBuilder {
    srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token)
}

async fn revoke(srv: &TestServer, id: &str) -> Value {
    body(delete(srv, &format!("/api/v1/tokens/{id}")).send().await.expect("DELETE /tokens/{id}"), 200).await
}

/// Every page of `GET path` with `query` and `limit`, following `next_cursor`.
async fn all_pages(srv: &TestServer, path: &str, query: &[(&str, &str)], limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
        q.push(("limit", limit.to_string()));
        q.extend(cursor.clone().map(|c| ("cursor", c)));
        let page = body(srv.get(path).query(&q).send().await.expect("GET page"), 200).await;
        pages.push(page["items"].as_array().unwrap_or_else(|| panic!("items: {page}")).clone());
        cursor = match &page["next_cursor"] {
            Value::Null => return pages,
            Value::String(s) => Some(s.clone()),
            other => panic!("next_cursor must be a string or null: {other}"),
        };
        assert!(pages.len() <= 20, "next_cursor never ends: {pages:?}");
    }
}

/// The audit entries matching `query`, newest first (one page of up to 500).
async fn audit(srv: &TestServer, query: &[(&str, &str)]) -> Vec<Value> {
    let page = body(srv.get("/api/v1/audit").query(query).send().await.expect("GET /audit"), 200).await;
    page["items"].as_array().unwrap_or_else(|| panic!("items: {page}")).clone()
}

/// The id of the admin token the first boot printed (named "admin").
async fn boot_admin_id(srv: &TestServer) -> String {
    let list = body(srv.get("/api/v1/tokens").send().await.unwrap(), 200).await;
    let admins: Vec<&Value> =
        list["items"].as_array().expect("items").iter().filter(|t| t["name"] == "admin").collect();
    assert_eq!(admins.len(), 1, "one boot admin token: {list}");
    admins[0]["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_listed_page_by_page_without_secrets() {
    let srv = TestServer::start().await;
    let mut created = Vec::new();
    for (kind, name) in [("user", "alice"), ("bot", "helper"), ("admin", "ops"), ("user", "bob")] {
        created.push(create_token(&srv, kind, name).await);
    }

    let pages = all_pages(&srv, "/api/v1/tokens", &[], 2).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1], "5 tokens (with the boot admin)");
    let items = pages.concat();
    let ids: Vec<&str> = items.iter().map(|t| t["id"].as_str().expect("id")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "listed in id order across pages");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 5, "every token exactly once: {ids:?}");

    let listed = serde_json::to_string(&items).unwrap();
    for item in &items {
        let mut keys: Vec<&str> = item.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, TOKEN_FIELDS, "a listed token has exactly these fields: {item}");
        assert!(item["revoked_at"].is_null(), "nothing is revoked yet: {item}");
    }
    assert!(!listed.contains("rmd_"), "no secret in the list: {listed}");
    assert!(!listed.contains(&srv.admin_token), "the boot admin secret is not listed");
    for c in &created {
        assert!(!listed.contains(c["token"].as_str().expect("secret")), "secret of {c} listed");
        let item = items.iter().find(|t| t["id"] == c["id"]).unwrap_or_else(|| panic!("{c} not listed"));
        let fields = ["id", "kind", "name", "roles", "created_at"];
        assert_eq!(pick(item, &fields), pick(c, &fields), "listed as created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_closes_its_sessions_with_4502_and_it_no_longer_authenticates() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let alice = create_token(&srv, "user", "alice").await;
    let secret = alice["token"].as_str().unwrap().to_string();
    let mut first = srv.ws(&secret).await;
    first.join("lobby").await;
    let mut second = WsClient::try_connect(&srv.addr, Auth::Header(&secret)).await.expect("second session");
    let mut bob = srv.ws_user("bob").await;
    bob.join("lobby").await;

    let revoked = revoke(&srv, alice["id"].as_str().unwrap()).await;
    assert_eq!(pick(&revoked, &["id", "kind", "name"]), pick(&alice, &["id", "kind", "name"]));
    assert!(revoked.get("token").is_none(), "no secret in the revoke answer: {revoked}");
    assert_recent_rfc3339(&revoked["revoked_at"]);

    assert_eq!(
        first.expect_close(TIMEOUT).await,
        Some(4502),
        "the joined session is closed with 4502 (token revoked)"
    );
    assert_eq!(second.expect_close(TIMEOUT).await, Some(4502), "every session of the token is closed");
    bob.ping().await;
    bob.say("lobby", "still here").await;

    for auth in [Auth::Query(&secret), Auth::Header(&secret)] {
        assert_eq!(WsClient::refused_status(&srv.addr, auth).await, 401, "a revoked token cannot connect");
    }
    let list = body(srv.get("/api/v1/tokens").send().await.unwrap(), 200).await;
    let listed = list["items"].as_array().unwrap().iter().find(|t| t["id"] == alice["id"]).expect("kept");
    assert_eq!(listed["revoked_at"], revoked["revoked_at"], "the row is kept, marked revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_admin_token_gets_401_on_the_admin_api() {
    let srv = TestServer::start().await;
    let ops = create_token(&srv, "admin", "ops").await;
    let as_ops = || srv.http().get(srv.url("/api/v1/tokens")).bearer_auth(ops["token"].as_str().unwrap());
    assert_eq!(as_ops().send().await.unwrap().status().as_u16(), 200, "ops works before the revoke");
    revoke(&srv, ops["id"].as_str().unwrap()).await;
    assert_api_error(as_ops().send().await.unwrap(), 401, "unauthorized").await;
    let other =
        srv.http().delete(srv.url("/api/v1/tokens/tok_x")).bearer_auth(ops["token"].as_str().unwrap());
    assert_api_error(other.send().await.unwrap(), 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_unknown_token_is_404_and_revoking_twice_answers_the_first_revoke() {
    let srv = TestServer::start().await;
    for unknown in ["tok_doesnotexist", "not-a-token", "tok_UPPER"] {
        let resp = delete(&srv, &format!("/api/v1/tokens/{unknown}")).send().await.unwrap();
        assert_api_error(resp, 404, "not_found").await;
    }

    let bot = create_token(&srv, "bot", "helper").await;
    let id = bot["id"].as_str().unwrap();
    let once = revoke(&srv, id).await;
    let twice = revoke(&srv, id).await;
    assert_eq!(once, twice, "the second revoke answers the same token and revoked_at");
    assert!(once["revoked_at"].is_string(), "{once}");
    let entries = audit(&srv, &[("action", "token.revoke"), ("target", id)]).await;
    assert_eq!(entries.len(), 1, "one audit entry for the one effective revoke: {entries:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_are_audited_with_actor_action_and_target() {
    let srv = TestServer::start().await;
    let admin_id = boot_admin_id(&srv).await;
    srv.create_room("lobby").await;
    let bot = create_token(&srv, "bot", "helper").await;
    let bot_id = bot["id"].as_str().unwrap();
    revoke(&srv, bot_id).await;
    let ops = create_token(&srv, "admin", "ops").await;
    let restart = srv
        .http()
        .post(srv.url("/api/v1/rooms/lobby/restart"))
        .bearer_auth(ops["token"].as_str().unwrap())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    body(restart, 200).await;

    let entries = audit(&srv, &[]).await;
    let boot_admin = json!({"id": admin_id, "name": "admin"});
    let got: Vec<Value> = entries.iter().map(|e| pick(e, &["actor", "action", "target"])).collect();
    assert_eq!(
        got,
        [
            json!({"actor": {"id": ops["id"], "name": "ops"}, "action": "room.restart", "target": "lobby"}),
            json!({"actor": boot_admin, "action": "token.create", "target": ops["id"]}),
            json!({"actor": boot_admin, "action": "token.revoke", "target": bot_id}),
            json!({"actor": boot_admin, "action": "token.create", "target": bot_id}),
            json!({"actor": boot_admin, "action": "room.create", "target": "lobby"}),
        ],
        "newest first: {entries:?}"
    );
    for e in &entries {
        assert_recent_rfc3339(&e["at"]);
        assert!(e["id"].is_i64() && e["detail"].is_object(), "{e}");
    }
    assert_eq!(entries[4]["detail"], json!({"name": "lobby"}));
    assert_eq!(entries[3]["detail"], json!({"kind": "bot", "name": "helper", "roles": ["r1"]}));
    assert_eq!(pick(&entries[2]["detail"], &["kind", "name"]), json!({"kind": "bot", "name": "helper"}));
    let audited = serde_json::to_string(&entries).unwrap();
    assert!(!audited.contains("rmd_"), "no secret in the audit log: {audited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_filtered_and_paged_newest_first() {
    let srv = TestServer::start().await;
    for i in 1..=5 {
        srv.create_room(&format!("r{i}")).await;
    }
    let alice = create_token(&srv, "user", "alice").await;

    let pages = all_pages(&srv, "/api/v1/audit", &[("action", "room.create")], 2).await;
    let targets: Vec<Vec<&str>> =
        pages.iter().map(|p| p.iter().map(|e| e["target"].as_str().expect("target")).collect()).collect();
    assert_eq!(targets, [vec!["r5", "r4"], vec!["r3", "r2"], vec!["r1"]], "room.create pages, newest first");
    let ids: Vec<i64> = pages.concat().iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "ids fall across pages: {ids:?}");

    let all = audit(&srv, &[]).await;
    assert_eq!(all.len(), 6, "5 rooms and 1 token: {all:?}");
    assert_eq!(all[0]["action"], "token.create", "the newest entry comes first: {all:?}");

    let r3 = audit(&srv, &[("target", "r3")]).await;
    assert_eq!(
        r3.iter().map(|e| pick(e, &["action", "target"])).collect::<Vec<_>>(),
        [json!({"action": "room.create", "target": "r3"})]
    );
    let tokens = audit(&srv, &[("action", "token.create")]).await;
    assert_eq!(tokens.iter().map(|e| e["target"].clone()).collect::<Vec<_>>(), [alice["id"].clone()]);
    assert_eq!(audit(&srv, &[("action", "token.create"), ("target", "r1")]).await, Vec::<Value>::new());
    assert_eq!(audit(&srv, &[("action", "room.delete")]).await, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_filtered_by_actor_with_the_other_filters_and_pages() {
    let srv = TestServer::start().await;
    let boot = boot_admin_id(&srv).await;
    let ops = create_token(&srv, "admin", "ops").await;
    let ops_id = ops["id"].as_str().expect("id").to_string();
    let ops_secret = ops["token"].as_str().expect("secret").to_string();
    let as_ops =
        |path: &str, body: Value| srv.http().post(srv.url(path)).bearer_auth(&ops_secret).json(&body);
    for id in ["o1", "o2", "o3"] {
        body(as_ops("/api/v1/rooms", json!({"id": id})).send().await.unwrap(), 201).await;
    }
    body(as_ops("/api/v1/tokens", json!({"kind": "user", "name": "carol"})).send().await.unwrap(), 201).await;
    srv.create_room("b1").await;

    let entries = |items: Vec<Value>| -> Vec<(String, String, String)> {
        items
            .iter()
            .map(|e| {
                let s = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{e}")).to_string();
                (s(&e["actor"]["id"]), s(&e["action"]), s(&e["target"]))
            })
            .collect()
    };
    let by_ops = entries(audit(&srv, &[("actor", &ops_id)]).await);
    assert_eq!(by_ops.len(), 4, "ops's entries only: {by_ops:?}");
    assert!(by_ops.iter().all(|(actor, _, _)| *actor == ops_id), "{by_ops:?}");
    assert_eq!(by_ops[0].1, "token.create", "newest first: {by_ops:?}");
    let ops_rooms = entries(audit(&srv, &[("actor", &ops_id), ("action", "room.create")]).await);
    let targets: Vec<&str> = ops_rooms.iter().map(|(_, _, t)| t.as_str()).collect();
    assert_eq!(targets, ["o3", "o2", "o1"]);
    let o2 = entries(audit(&srv, &[("actor", &ops_id), ("target", "o2")]).await);
    assert_eq!(o2, [(ops_id.clone(), "room.create".into(), "o2".into())]);
    assert_eq!(audit(&srv, &[("actor", &ops_id), ("target", "b1")]).await, Vec::<Value>::new());
    let by_boot = entries(audit(&srv, &[("actor", &boot)]).await);
    let boot_entries: Vec<(&str, &str)> = by_boot.iter().map(|(_, a, t)| (a.as_str(), t.as_str())).collect();
    assert_eq!(boot_entries, [("room.create", "b1"), ("token.create", ops_id.as_str())]);
    assert_eq!(audit(&srv, &[("actor", "tok_nobody")]).await, Vec::<Value>::new(), "an exact match");
    assert_eq!(audit(&srv, &[("actor", &ops_id[..ops_id.len() - 1])]).await, Vec::<Value>::new());

    let pages = all_pages(&srv, "/api/v1/audit", &[("actor", &ops_id), ("action", "room.create")], 2).await;
    let targets: Vec<Vec<&str>> =
        pages.iter().map(|p| p.iter().map(|e| e["target"].as_str().expect("target")).collect()).collect();
    assert_eq!(targets, [vec!["o3", "o2"], vec!["o1"]], "pages of ops's rooms, newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_limits_and_cursors_are_400() {
    let srv = TestServer::start().await;
    for path in ["/api/v1/tokens", "/api/v1/audit"] {
        for query in
            ["limit=0", "limit=501", "limit=-1", "limit=ten", "cursor=", "cursor=%00", "cursor=a%20b"]
        {
            let resp = srv.get(&format!("{path}?{query}")).send().await.unwrap();
            assert_api_error(resp, 400, "bad_request").await;
        }
    }
    for query in ["cursor=abc", "cursor=0", "cursor=-5", "cursor=1.5", "actoin=room.create"] {
        let resp = srv.get(&format!("/api/v1/audit?{query}")).send().await.unwrap();
        assert_api_error(resp, 400, "bad_request").await;
    }
    let resp = srv.get("/api/v1/tokens?cursor=tok_ABC").send().await.unwrap();
    assert_api_error(resp, 400, "bad_request").await;
    for ok in ["/api/v1/tokens?limit=500", "/api/v1/audit?limit=1", "/api/v1/audit?cursor=99999"] {
        body(srv.get(ok).send().await.unwrap(), 200).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_over_its_burst_gets_429_with_retry_after() {
    let srv =
        TestServer::start_with(&[("ROOMD__LIMITS__ADMIN_PER_SEC", "1"), ("ROOMD__LIMITS__ADMIN_BURST", "3")])
            .await;
    let started = Instant::now();
    // The first of the boot admin's 3 requests.
    let ops = create_token(&srv, "admin", "ops").await;
    let mut accepted = 1;
    let limited = loop {
        let resp = srv.get("/api/v1/rooms").send().await.unwrap();
        if resp.status().as_u16() != 200 {
            break resp;
        }
        accepted += 1;
        assert!(accepted <= 10, "10 requests at once were all accepted with a burst of 3");
    };
    if started.elapsed() < Duration::from_millis(900) {
        assert_eq!(accepted, 3, "exactly the burst is accepted within the first second");
    }
    let retry_after = limited
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("429 without Retry-After: {limited:?}"))
        .to_str()
        .unwrap()
        .parse::<u64>()
        .expect("Retry-After in whole seconds");
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after} for a rate of 1/s");
    assert_api_error(limited, 429, "rate_limited").await;

    let as_ops = srv.http().get(srv.url("/api/v1/rooms")).bearer_auth(ops["token"].as_str().unwrap());
    assert_eq!(as_ops.send().await.unwrap().status().as_u16(), 200, "each admin token has its own bucket");
    eventually("the limited token is accepted again after Retry-After", TIMEOUT, || async {
        srv.get("/api/v1/rooms").send().await.map(|r| r.status().as_u16() == 200).unwrap_or(false)
    })
    .await;
}
