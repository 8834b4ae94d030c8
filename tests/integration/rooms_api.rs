//! The operators' room API beyond create/get: patch, delete (with `room_closed` to
//! connected members, history kept or purged), list filters, sorts and cursors,
//! members (presence, roles with expiry, kick), history and posting as the operator,
//! and rooms declared in `config/rooms.toml`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, seq, TestServer, FAST, LONG, TIMEOUT};

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn patch(srv: &TestServer, path: &str, body: &Value) -> reqwest::RequestBuilder {
    srv.http().patch(srv.url(path)).bearer_auth(&srv.admin_token).json(body)
}

fn put(srv: &TestServer, path: &str, body: &Value) -> reqwest::RequestBuilder {
    srv.http().put(srv.url(path)).bearer_auth(&srv.admin_token).json(body)
}

fn delete(srv: &TestServer, path: &str) -> reqwest::RequestBuilder {
    srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_changes_name_tags_and_settings_field_by_field() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let body =
        json!({"name": "The Lobby", "tags": ["main"], "settings": {"rules": "be kind", "max_members": 5}});
    let room = json_of(patch(&srv, "/api/v1/rooms/lobby", &body).send().await.expect("PATCH"), 200).await;
    assert_eq!((&room["name"], &room["tags"]), (&json!("The Lobby"), &json!(["main"])));
    assert_eq!(
        (&room["settings"]["rules"], &room["settings"]["max_members"]),
        (&json!("be kind"), &json!(5))
    );
    // Only the given settings change; null clears one.
    let body = json!({"settings": {"max_members": null, "banned_words": ["spam"]}});
    let room = json_of(patch(&srv, "/api/v1/rooms/lobby", &body).send().await.expect("PATCH"), 200).await;
    assert_eq!(room["settings"]["rules"], "be kind");
    assert_eq!(room["settings"]["max_members"], Value::Null);
    assert_eq!(room["settings"]["banned_words"], json!(["spam"]));
    let again = json_of(srv.get("/api/v1/rooms/lobby").send().await.expect("GET"), 200).await;
    assert_eq!(again["settings"], room["settings"], "stored");

    for (body, code) in [
        (json!({"settings": {"colour": "red"}}), "unprocessable"),
        (json!({"settings": {"max_members": "many"}}), "unprocessable"),
        (json!({"settings": {"max_members": 0}}), "unprocessable"),
        (json!({"settings": {"banned_words": ["ok", "  "]}}), "unprocessable"),
        (json!({"settings": {"spam": {"max_repeats": 3, "window_secs": 0}}}), "unprocessable"),
        (json!({"name": ""}), "unprocessable"),
        (json!({"nmae": "typo"}), "unprocessable"),
    ] {
        let resp = patch(&srv, "/api/v1/rooms/lobby", &body).send().await.expect("PATCH");
        assert_api_error(resp, 422, code).await;
    }
    let resp = patch(&srv, "/api/v1/rooms/nope", &json!({"name": "x"})).send().await.expect("PATCH");
    assert_api_error(resp, 404, "not_found").await;
    let unchanged = json_of(srv.get("/api/v1/rooms/lobby").send().await.expect("GET"), 200).await;
    assert_eq!(unchanged["settings"], room["settings"], "failed patches change nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_closes_the_room_for_members_and_keeps_or_purges_history() {
    let srv = TestServer::start().await;
    srv.create_room("doomed").await;
    let mut ws = srv.ws_user("alice").await;
    ws.join("doomed").await;
    ws.say("doomed", "one").await;
    ws.say("doomed", "two").await;

    let resp = delete(&srv, "/api/v1/rooms/doomed").send().await.expect("DELETE");
    assert_eq!(resp.status().as_u16(), 204);
    let closed = ws.expect("room_closed").await;
    assert_eq!((&closed["room"], &closed["reason"]), (&json!("doomed"), &json!("deleted")));
    let reply = ws.request(json!({"type": "send", "room": "doomed", "text": "hello?"})).await;
    assert_eq!(reply["code"], "not_joined", "{reply}");
    assert_api_error(srv.get("/api/v1/rooms/doomed").send().await.expect("GET"), 404, "not_found").await;
    assert_api_error(delete(&srv, "/api/v1/rooms/doomed").send().await.expect("DELETE"), 404, "not_found")
        .await;

    // History kept: the room created again continues its seqs.
    srv.create_room("doomed").await;
    ws.join("doomed").await;
    assert_eq!(seq(&ws.say("doomed", "three").await), 3);
    // Purged: a new room starts at 1.
    let resp = delete(&srv, "/api/v1/rooms/doomed?purge=true").send().await.expect("DELETE");
    assert_eq!(resp.status().as_u16(), 204);
    ws.expect("room_closed").await;
    srv.create_room("doomed").await;
    ws.join("doomed").await;
    assert_eq!(seq(&ws.say("doomed", "fresh").await), 1);
    assert_eq!(ws.full_history("doomed").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_sorts_and_pages() {
    let srv = TestServer::start_with(FAST).await;
    for (id, name, tags) in [
        ("alpha", "Zulu", json!(["ops"])),
        ("bravo", "Yankee", json!(["ops", "eu"])),
        ("charlie", "Xray", json!([])),
        ("delta", "Whiskey", json!(["eu"])),
    ] {
        let body = json!({"id": id, "name": name, "tags": tags});
        json_of(srv.post("/api/v1/rooms", &body).send().await.expect("POST"), 201).await;
    }
    // charlie: 3 members and the newest message; bravo: 1 member, an older message.
    let mut clients = Vec::new();
    let mut b = srv.ws_user("u0").await;
    b.join("bravo").await;
    b.say("bravo", "older").await;
    for i in 1..=3 {
        let mut ws = srv.ws_user(&format!("u{i}")).await;
        ws.join("charlie").await;
        clients.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    clients[0].say("charlie", "newest").await;

    let get = |q: &'static str| {
        let srv = &srv;
        async move { json_of(srv.get(&format!("/api/v1/rooms?{q}")).send().await.expect("GET"), 200).await }
    };
    assert_eq!(ids(&get("tag=ops").await), ["alpha", "bravo"]);
    assert_eq!(ids(&get("tag=eu&q=ta").await), ["delta"]);
    assert_eq!(ids(&get("sort=name").await), ["delta", "charlie", "bravo", "alpha"]);
    assert_eq!(ids(&get("sort=members").await)[..2], ["charlie", "bravo"]);
    assert_eq!(ids(&get("sort=activity").await)[..2], ["charlie", "bravo"]);
    assert_eq!(ids(&get("status=running").await), ["bravo", "charlie"]);
    assert_eq!(ids(&get("status=stopped").await), ["alpha", "delta"]);

    // Cursor pagination over a sort.
    let first = get("sort=name&limit=3").await;
    assert_eq!(ids(&first), ["delta", "charlie", "bravo"]);
    let cursor = first["next_cursor"].as_str().expect("next_cursor").to_string();
    let rest = json_of(
        srv.get(&format!("/api/v1/rooms?sort=name&limit=3&cursor={cursor}")).send().await.expect("GET"),
        200,
    )
    .await;
    assert_eq!(ids(&rest), ["alpha"]);
    assert!(rest["next_cursor"].is_null());

    for bad in ["sort=size", "status=asleep", "cursor=zz", "limit=0", "limit=501"] {
        let resp = srv.get(&format!("/api/v1/rooms?{bad}")).send().await.expect("GET");
        assert_api_error(resp, 400, "bad_request").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_show_presence_roles_expire_and_kick_closes_the_room() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    let mut alice = srv.ws_user("alice").await;
    let mut bob = srv.ws_user("bob").await;
    alice.join("club").await;
    bob.join("club").await;
    alice.expect("member_joined").await;

    // Memberships are written with the store's next group commit.
    eventually("both memberships stored", LONG, || async {
        let page = json_of(srv.get("/api/v1/rooms/club/members").send().await.expect("GET"), 200).await;
        ids(&page).len() == 2
    })
    .await;
    let page = json_of(srv.get("/api/v1/rooms/club/members").send().await.expect("GET"), 200).await;
    let members = page["items"].as_array().expect("items");
    assert_eq!(ids(&page), ["alice", "bob"]);
    for m in members {
        assert_eq!(
            (&m["role"], &m["online"], &m["expires_at"]),
            (&json!("member"), &json!(true), &Value::Null)
        );
        assert!(m["last_seen"].is_string(), "{m}");
        assert_eq!(m["kind"], "user");
    }

    // A permanent grant, visible to a new session's `joined`.
    let m = json_of(
        put(&srv, "/api/v1/rooms/club/members/bob", &json!({"role": "moderator"})).send().await.expect("PUT"),
        200,
    )
    .await;
    assert_eq!((&m["role"], &m["online"]), (&json!("moderator"), &json!(true)));
    let mut carol = srv.ws_user("carol").await;
    let joined = carol.join("club").await;
    let bob_view = joined["members"].as_array().expect("members").iter().find(|m| m["id"] == "bob").cloned();
    assert_eq!(bob_view.expect("bob listed")["role"], "moderator");

    // A grant that expires falls back to the role underneath, without a restart.
    let expires = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let m = json_of(
        put(&srv, "/api/v1/rooms/club/members/bob", &json!({"role": "admin", "expires_at": expires}))
            .send()
            .await
            .expect("PUT"),
        200,
    )
    .await;
    assert_eq!(m["role"], "admin");
    assert!(m["expires_at"].is_string());
    eventually("the grant expires", LONG, || async {
        let page = json_of(srv.get("/api/v1/rooms/club/members").send().await.expect("GET"), 200).await;
        let bob = page["items"].as_array().expect("items").iter().find(|m| m["id"] == "bob").cloned();
        bob.is_some_and(|b| b["role"] == "moderator" && b["expires_at"].is_null())
    })
    .await;
    let mut dave = srv.ws_user("dave").await;
    let joined = dave.join("club").await;
    let bob_view = joined["members"].as_array().expect("members").iter().find(|m| m["id"] == "bob").cloned();
    assert_eq!(bob_view.expect("bob listed")["role"], "moderator", "the room sees the expiry too");

    // A role for someone who never joined creates the membership.
    let m = json_of(
        put(&srv, "/api/v1/rooms/club/members/erin", &json!({"role": "owner"})).send().await.expect("PUT"),
        200,
    )
    .await;
    assert_eq!((&m["role"], &m["online"], &m["last_seen"]), (&json!("owner"), &json!(false), &Value::Null));

    for (body, code) in [
        (json!({"role": "king"}), "unprocessable"),
        (json!({"role": "admin", "expires_at": "2001-01-01T00:00:00Z"}), "unprocessable"),
        (json!({"role": "admin", "expires_at": "soon"}), "unprocessable"),
        (json!({"role": "admin", "until": "x"}), "unprocessable"),
    ] {
        let resp = put(&srv, "/api/v1/rooms/club/members/bob", &body).send().await.expect("PUT");
        assert_api_error(resp, 422, code).await;
    }

    // Kick: bob's session gets room_closed, the others member_left.
    let resp = delete(&srv, "/api/v1/rooms/club/members/bob").send().await.expect("DELETE");
    assert_eq!(resp.status().as_u16(), 204);
    let closed = bob.expect("room_closed").await;
    assert_eq!((&closed["room"], &closed["reason"]), (&json!("club"), &json!("kicked")));
    let left = alice
        .expect_where("bob's member_left", |f| f["type"] == "member_left" && f["user"]["id"] == "bob")
        .await;
    assert_eq!(left["room"], "club");
    let reply = bob.request(json!({"type": "send", "room": "club", "text": "let me in"})).await;
    assert_eq!(reply["code"], "not_joined");
    let page = json_of(srv.get("/api/v1/rooms/club/members").send().await.expect("GET"), 200).await;
    assert!(!ids(&page).contains(&"bob".to_string()));
    let resp = delete(&srv, "/api/v1/rooms/club/members/bob").send().await.expect("DELETE");
    assert_api_error(resp, 404, "not_found").await;
    let resp = srv.get("/api/v1/rooms/nope/members").send().await.expect("GET");
    assert_api_error(resp, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_read_history_and_post_as_the_system() {
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("news").await;
    let mut ws = srv.ws_user("reader").await;
    ws.join("news").await;
    for n in 1..=5 {
        ws.say("news", &format!("m{n}")).await;
        ws.expect("message").await;
    }
    let body = json!({"text": "maintenance at noon", "client_id": "op-1"});
    let posted =
        json_of(srv.post("/api/v1/rooms/news/messages", &body).send().await.expect("POST"), 201).await;
    assert_eq!(
        (&posted["type"], &posted["seq"], &posted["text"]),
        (&json!("message"), &json!(6), &json!("maintenance at noon"))
    );
    assert_eq!(posted["from"]["kind"], "system");
    assert_eq!(posted["from"]["id"], "system");
    let live = ws.expect_where("the operator's message", |f| f["type"] == "message" && f["seq"] == 6).await;
    assert_eq!(live["text"], "maintenance at noon");
    // The same client_id is not stored twice.
    let again =
        json_of(srv.post("/api/v1/rooms/news/messages", &body).send().await.expect("POST"), 200).await;
    assert_eq!(again["seq"], 6);
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "no second delivery");

    let page = json_of(srv.get("/api/v1/rooms/news/messages?limit=2").send().await.expect("GET"), 200).await;
    let seqs = |p: &Value| p["items"].as_array().expect("items").iter().map(seq).collect::<Vec<_>>();
    assert_eq!((seqs(&page), &page["has_more"]), (vec![5, 6], &json!(true)));
    let page =
        json_of(srv.get("/api/v1/rooms/news/messages?before_seq=3").send().await.expect("GET"), 200).await;
    assert_eq!((seqs(&page), &page["has_more"]), (vec![1, 2], &json!(false)));
    let page =
        json_of(srv.get("/api/v1/rooms/news/messages?after_seq=2&limit=3").send().await.expect("GET"), 200)
            .await;
    assert_eq!((seqs(&page), &page["has_more"]), (vec![3, 4, 5], &json!(true)));
    let page = json_of(
        srv.get("/api/v1/rooms/news/messages?after_seq=1&before_seq=4").send().await.expect("GET"),
        200,
    )
    .await;
    assert_eq!((seqs(&page), &page["has_more"]), (vec![2, 3], &json!(false)));
    assert_eq!(page["items"][0]["from"]["id"], "reader");

    for (body, status, code) in [
        (json!({"text": ""}), 400, "bad_request"),
        (json!({"text": "x".repeat(4001)}), 413, "too_large"),
        (json!({"text": "hi", "client_id": ""}), 400, "bad_request"),
        (json!({"txt": "hi"}), 422, "unprocessable"),
    ] {
        let resp = srv.post("/api/v1/rooms/news/messages", &body).send().await.expect("POST");
        assert_api_error(resp, status, code).await;
    }
    for bad in ["limit=0", "limit=9999", "before_seq=-1", "after_seq=x"] {
        let resp = srv.get(&format!("/api/v1/rooms/news/messages?{bad}")).send().await.expect("GET");
        assert_api_error(resp, 400, "bad_request").await;
    }
    let resp = srv.post("/api/v1/rooms/nope/messages", &json!({"text": "hi"})).send().await.expect("POST");
    assert_api_error(resp, 404, "not_found").await;
    assert_eq!(ws.full_history("news").await.len(), 6, "failed posts stored nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_declared_in_the_rooms_file_are_created_and_updated_at_start() {
    let mut srv = TestServer::new(&[]);
    let config = srv.workdir().join("config");
    std::fs::create_dir_all(&config).expect("mkdir config");
    let file = config.join("rooms.toml");
    std::fs::write(
        &file,
        "[[rooms]]\nid = \"lobby\"\nname = \"Lobby\"\ntags = [\"main\"]\n[rooms.settings]\nrules = \"be kind\"\n\n[[rooms]]\nid = \"help\"\n",
    )
    .expect("write rooms.toml");
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;
    let lobby = json_of(srv.get("/api/v1/rooms/lobby").send().await.expect("GET"), 200).await;
    assert_eq!(
        (&lobby["name"], &lobby["tags"], &lobby["settings"]["rules"]),
        (&json!("Lobby"), &json!(["main"]), &json!("be kind"))
    );
    let help = json_of(srv.get("/api/v1/rooms/help").send().await.expect("GET"), 200).await;
    assert_eq!(help["name"], "help");

    std::fs::write(&file, "[[rooms]]\nid = \"lobby\"\nname = \"Main hall\"\n").expect("rewrite");
    srv.terminate();
    assert!(srv.wait_exit(TIMEOUT).await.is_some_and(|s| s.success()));
    srv.restart().await;
    let lobby = json_of(srv.get("/api/v1/rooms/lobby").send().await.expect("GET"), 200).await;
    assert_eq!((&lobby["name"], &lobby["tags"]), (&json!("Main hall"), &json!([])));
    json_of(srv.get("/api/v1/rooms/help").send().await.expect("GET"), 200).await;

    // An invalid file stops the start with a message naming it.
    std::fs::write(&file, "[[rooms]]\nid = \"Bad Id!\"\n").expect("rewrite");
    srv.terminate();
    assert!(srv.wait_exit(TIMEOUT).await.is_some());
    let out = srv.cli(&["serve"]).await;
    assert!(!out.status.success(), "serve must refuse an invalid rooms file");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rooms.toml"), "the error names the file: {err}");
}
