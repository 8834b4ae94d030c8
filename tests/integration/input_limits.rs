//! Input the store cannot hold and identities that could be spoofed (issue #16, points
//! 7 and 8): a NUL anywhere in the admin API's paths, queries or room settings is a
//! 400/422 on SQLite and PostgreSQL alike, error bodies never carry the database's
//! text, a full disk is `room_unavailable` and an unready `/readyz` until writes work
//! again, reserved and over-long user ids are refused, and database files are private.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::common::db::TestDb;
use crate::common::{assert_error_frame, eventually, seq, Auth, TestServer, WsClient, LONG, TIMEOUT};

/// The message of every store failure (src/store/mod.rs `UNAVAILABLE_MESSAGE`).
const STORE_MESSAGE: &str = "the store cannot serve the request now; retry later";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_any_path_or_query_parameter_is_a_bad_request() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let put = srv.http().put(srv.url("/api/v1/rooms/lobby/members/al%00ice")).bearer_auth(&srv.admin_token);
    let requests = [
        srv.get("/api/v1/rooms?q=lo%00bby"),
        srv.get("/api/v1/rooms?tag=%00"),
        srv.get("/api/v1/rooms?cursor=%00"),
        srv.get("/api/v1/rooms/lobby%00"),
        srv.get("/api/v1/rooms/lobby/members?cursor=a%00"),
        srv.get("/api/v1/rooms/lobby/messages?limit=%00"),
        put.json(&json!({"role": "moderator"})),
        srv.http().delete(srv.url("/api/v1/rooms/lobby/members/al%00ice")).bearer_auth(&srv.admin_token),
        srv.get("/api/v1/audit?action=room.create%00"),
        srv.get("/api/v1/audit?target=lobby%00"),
        srv.get("/api/v1/tokens?cursor=tok_%00"),
        srv.http().delete(srv.url("/api/v1/tokens/tok_a%00")).bearer_auth(&srv.admin_token),
        srv.get("/api/v1/broadcasts?cursor=%00"),
        srv.get("/api/v1/broadcasts/bc_%00"),
        srv.get("/api/v1/schedules/sch_%00"),
        srv.get("/api/v1/actors?sort=%00"),
    ];
    for req in requests {
        let req = req.build().expect("request");
        let what = format!("{} {}", req.method(), req.url());
        let resp = srv.http().execute(req).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let (status, body) = (resp.status().as_u16(), resp.text().await.expect("body"));
        assert_eq!(status, 400, "{what}: {body}");
        let body: Value = serde_json::from_str(&body).expect("JSON error body");
        assert_eq!(body["error"]["code"], "bad_request", "{what}: {body}");
    }
    // A filter value that can match nothing and an unknown parameter are refused too,
    // naming what is wrong, rather than answering an empty or unfiltered list.
    for (path, names) in
        [("/api/v1/audit?action=room.crate", "room.crate"), ("/api/v1/rooms/lobby/events?after=3", "after")]
    {
        let resp = srv.get(path).send().await.expect(path);
        let (status, body) = (resp.status().as_u16(), resp.text().await.expect("body"));
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("bad_request") && body.contains(names), "{path}: {body}");
    }
    // Nothing was changed: the room has no members and the API still answers.
    let members: Value = srv.get("/api/v1/rooms/lobby/members").send().await.unwrap().json().await.unwrap();
    assert_eq!(members["items"], json!([]), "{members}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_room_setting_is_unprocessable_and_names_the_field() {
    let srv = TestServer::start().await;
    let create = |settings: Value| json!({"id": "lobby", "settings": settings});
    for (settings, field) in [
        (json!({"welcome_template": "hi\u{0}"}), "welcome_template"),
        (json!({"rules": "be\u{0}nice"}), "rules"),
        (json!({"banned_words": ["ok", "b\u{0}d"]}), "banned_words"),
    ] {
        let resp = srv.post("/api/v1/rooms", &create(settings.clone())).send().await.unwrap();
        let body = unprocessable(resp).await;
        assert!(body.contains(field), "the error names {field}: {body}");
    }
    let resp = srv.post("/api/v1/rooms", &json!({"id": "lobby", "name": "lob\u{0}by"})).send().await.unwrap();
    assert!(unprocessable(resp).await.contains("name"));
    let resp = srv.post("/api/v1/rooms", &json!({"id": "lobby", "tags": ["t\u{0}"]})).send().await.unwrap();
    assert!(unprocessable(resp).await.contains("tag"));

    srv.create_room("lobby").await;
    for (patch, field) in [
        (json!({"settings": {"rules": "r\u{0}"}}), "rules"),
        (json!({"settings": {"welcome_template": "\u{0}"}}), "welcome_template"),
        (json!({"settings": {"banned_words": ["\u{0}x"]}}), "banned_words"),
        (json!({"name": "n\u{0}"}), "name"),
        (json!({"tags": ["\u{0}"]}), "tag"),
    ] {
        let resp = srv
            .http()
            .patch(srv.url("/api/v1/rooms/lobby"))
            .bearer_auth(&srv.admin_token)
            .json(&patch)
            .send()
            .await
            .unwrap();
        let body = unprocessable(resp).await;
        assert!(body.contains(field), "the error names {field}: {body}");
    }
    let room: Value = srv.get("/api/v1/rooms/lobby").send().await.unwrap().json().await.unwrap();
    assert_eq!(room["settings"]["rules"], Value::Null, "nothing was stored: {room}");
    assert_eq!(room["name"], "lobby", "{room}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_the_rooms_file_stops_the_start_naming_the_file_and_the_field() {
    let srv = TestServer::new(&[]);
    let config = srv.workdir().join("config");
    std::fs::create_dir_all(&config).unwrap();
    for (room, field) in [
        ("[[rooms]]\nid = \"lobby\"\n[rooms.settings]\nrules = \"be\\u0000kind\"\n", "rules"),
        ("[[rooms]]\nid = \"lobby\"\ntags = [\"a\\u0000\"]\n", "tag"),
        ("[[rooms]]\nid = \"lobby\"\nname = \"L\\u0000\"\n", "name"),
    ] {
        std::fs::write(config.join("rooms.toml"), room).unwrap();
        let out = srv.cli(&["serve"]).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "serve must refuse {room:?}");
        assert!(err.contains("rooms.toml") && err.contains(field), "names the file and {field}: {err}");
    }
}

/// Asserts a 422 `unprocessable` and returns its message.
async fn unprocessable(resp: reqwest::Response) -> String {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("JSON error body");
    assert_eq!((status, &body["error"]["code"]), (422, &json!("unprocessable")), "{body}");
    body["error"]["message"].as_str().expect("message").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_websocket_frame_is_a_bad_request_and_nothing_is_stored() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let frames = [
        json!({"type": "join", "room": "lob\u{0}by", "id": 1}),
        json!({"type": "send", "room": "lobby", "text": "a\u{0}b", "id": 2}),
        json!({"type": "send", "room": "lobby", "text": "ok", "client_id": "c\u{0}", "id": 3}),
        json!({"type": "history", "room": "lobby\u{0}", "id": 4}),
        json!({"type": "read", "room": "\u{0}", "seq": 0, "id": 5}),
    ];
    for frame in frames {
        let err = alice.request(frame.clone()).await;
        assert_error_frame(&err, Some(frame["id"].clone()), "bad_request");
    }
    let mut bot = srv.ws(&srv.token("bot", "helper").await).await;
    bot.join("lobby").await;
    for frame in [
        json!({"type": "register_command", "room": "lobby", "name": "ec\u{0}ho", "id": 6}),
        json!({"type": "register_command", "room": "lobby", "name": "echo", "description": "\u{0}", "id": 7}),
    ] {
        let err = bot.request(frame.clone()).await;
        assert_error_frame(&err, Some(frame["id"].clone()), "bad_request");
    }
    assert_eq!(seq(&alice.say("lobby", "the first stored message").await), 1);
}

/// A JWT with `claims` signed with `secret`, valid for an hour.
fn jwt(secret: &str, claims: Value) -> String {
    let mut claims = claims;
    claims["exp"] = json!(chrono::Utc::now().timestamp() + 3600);
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_or_overlong_user_ids_cannot_be_had() {
    const SECRET: &str = "input-limits-secret";
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    for name in ["system", "SYSTEM", " System ", "roomd", ".", "..", &"x".repeat(65)] {
        let resp = srv.post("/api/v1/tokens", &json!({"kind": "user", "name": name})).send().await.unwrap();
        let message = unprocessable(resp).await;
        assert!(message.starts_with("name "), "{name:?}: {message}");
    }
    let out = srv.cli(&["token", "create", "--kind", "bot", "--name", "System"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("reserved"), "CLI: {stderr}");

    let addr = srv.addr.as_str();
    for claims in [
        json!({"sub": "system"}),
        json!({"sub": "RoomD", "name": "Zoe"}),
        json!({"sub": ".."}),
        json!({"sub": "x".repeat(65)}),
        json!({"sub": "zoe", "name": "n".repeat(65)}),
        json!({"sub": "zoe", "roles": ["a\u{0}"]}),
    ] {
        let token = jwt(SECRET, claims.clone());
        assert_eq!(WsClient::refused_status(addr, Auth::Header(&token)).await, 401, "{claims}");
    }
    let token = jwt(SECRET, json!({"sub": "system", "name": "System"}));
    let resp = srv.http().get(srv.url("/ws")).bearer_auth(&token).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("reserved"), "a clear message: {body}");

    // A member id is a user id too.
    srv.create_room("lobby").await;
    for user in ["system", &"u".repeat(65)] {
        let path = format!("/api/v1/rooms/lobby/members/{user}");
        let resp = srv
            .http()
            .put(srv.url(&path))
            .bearer_auth(&srv.admin_token)
            .json(&json!({"role": "moderator"}))
            .send()
            .await
            .unwrap();
        assert!(unprocessable(resp).await.starts_with("user_id "));
    }
    // A 64-character id is fine everywhere.
    let long = "z".repeat(64);
    let ws = WsClient::connect(addr, &jwt(SECRET, json!({"sub": long}))).await;
    assert_eq!(ws.hello["user"]["id"], json!(long));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_messages_are_told_apart_by_id_and_kind() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "from alice").await;
    let resp = srv.post("/api/v1/rooms/lobby/messages", &json!({"text": "from the operator"})).send().await;
    assert_eq!(resp.unwrap().status().as_u16(), 201);
    let history = alice.history("lobby", None, None).await;
    let from: Vec<Value> =
        history["messages"].as_array().unwrap().iter().map(|m| m["from"].clone()).collect();
    assert_eq!(from[0], json!({"id": "alice", "name": "alice", "kind": "user"}));
    assert_eq!(from[1], json!({"id": "system", "name": "admin", "kind": "system"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_and_their_directory_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = format!("sqlite://{}", data.join("roomd.db").display());
    let mut srv = TestServer::new_shared(&url, &[]);
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "hello").await;
    assert_eq!(mode(&data), 0o700, "the data directory roomd created");
    for file in ["roomd.db", "roomd.db-wal", "roomd.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_failures_answer_a_fixed_message_and_readyz_answers_within_a_second() {
    // PostgreSQL only: SQLite has no server to lose (the disk-full test covers SQLite).
    let Some(db) = TestDb::postgres_with_own_role() else { return };
    let srv = TestServer::start_on(db, &[("ROOMD__DATABASE__CONNECT_TIMEOUT_MS", "3000")]).await;
    srv.create_room("lobby").await;
    srv.db().cut_off();

    let started = Instant::now();
    let resp = srv.http().get(srv.url("/readyz")).send().await.expect("GET /readyz");
    let took = started.elapsed();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_eq!((status, &body["store"]), (503, &json!(false)), "{body}");
    // The readiness check has its own 500 ms timeout, not the pool's 3 s connect timeout.
    assert!(took < Duration::from_secs(2), "/readyz took {took:?} during the outage");

    let resp = srv.get("/api/v1/rooms/lobby").send().await.unwrap();
    let text = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{text}");
    assert_eq!(body["error"]["message"], STORE_MESSAGE, "no database text in the body: {text}");
    srv.db().restore();
    let url = srv.url("/readyz");
    eventually("/readyz is 200 again", LONG, || async {
        srv.http().get(&url).send().await.is_ok_and(|r| r.status().as_u16() == 200)
    })
    .await;
}

/// A tmpfs mounted for one test, unmounted on drop (after the server that uses it,
/// which must be declared after it).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "mount -t tmpfs failed (this test needs root, as CI has): {status}");
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Writes zeros to `path` until the filesystem is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_sends_as_room_unavailable_and_readyz_until_writes_work() {
    // SQLite on a real filesystem of 16 MiB, whatever the suite's backend.
    let mnt = Tmpfs::mount("16m");
    let url = format!("sqlite://{}", mnt.path().join("roomd.db").display());
    let env = [("ROOMD__LIMITS__MAX_TEXT", "4000000"), ("ROOMD__LIMITS__MAX_FRAME_BYTES", "8000000")];
    let mut srv = TestServer::new_shared(&url, &env);
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    assert_eq!(seq(&alice.say("lobby", "before").await), 1);

    let filler = mnt.path().join("filler");
    fill(&filler);
    // Larger than the WAL and the database together, so SQLite must grow a file.
    let files: u64 = ["roomd.db", "roomd.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(mnt.path().join(f)).map_or(0, |m| m.len()))
        .sum();
    let big = "x".repeat(files as usize + 1024 * 1024);
    let send = json!({"type": "send", "room": "lobby", "text": big, "client_id": "big"});
    let err = alice.request(send.clone()).await;
    assert_error_frame(&err, err.get("id").cloned(), "room_unavailable");

    let ready = srv.http().get(srv.url("/readyz")).send().await.unwrap();
    let status = ready.status().as_u16();
    let body: Value = ready.json().await.unwrap();
    assert_eq!((status, &body["store_writes"]), (503, &json!(false)), "not ready on a full disk: {body}");
    // The logger writes on its own thread: the line may follow the answers by a moment.
    eventually("the log says why writes fail (\"store disk full\")", TIMEOUT, || async {
        srv.stdout_text().contains("store disk full")
    })
    .await;

    std::fs::remove_file(&filler).unwrap();
    let url = srv.url("/readyz");
    eventually("/readyz is 200 once the disk has room", LONG, || async {
        srv.http().get(&url).send().await.is_ok_and(|r| r.status().as_u16() == 200)
    })
    .await;
    let ack = alice.request(send).await;
    assert_eq!(
        (ack["type"].as_str(), seq(&ack), &ack["duplicate"]),
        (Some("ack"), 2, &json!(false)),
        "{ack}"
    );
    let history = alice.history("lobby", None, None).await;
    let texts: Vec<usize> =
        history["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().len()).collect();
    assert_eq!(texts, [6, big.len()], "both messages stored once");
    drop(alice);
    drop(srv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_of_the_wrong_type_is_unprocessable_and_names_its_field() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let cases = [
        ("/api/v1/tokens", json!({"kind": "user", "name": 5}), "name: "),
        ("/api/v1/tokens", json!({"kind": "user", "name": "r", "roles": "admin"}), "roles: "),
        ("/api/v1/rooms/lobby/messages", json!({"text": ["hi"]}), "text: "),
    ];
    for (path, body, field) in cases {
        let message = unprocessable(srv.post(path, &body).send().await.unwrap()).await;
        assert!(message.starts_with(field), "{path} {body}: {message}");
    }
}
