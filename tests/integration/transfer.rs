//! `roomd export`, `roomd import` and `roomd backup` run as an operator runs them: the
//! CLI of the real binary against the store of a test server. A store with rooms,
//! members, messages (with a tombstone), a ban, a schedule and tokens goes SQLite →
//! file → the other backend (PostgreSQL when `ROOMD_TEST_DATABASE_URL` is set) → file
//! → SQLite → file, byte-identical each time; a client resumes on the imported store
//! with `after_seq` and misses nothing. Rows keep byte order on a PostgreSQL database
//! with a language collation. An export taken while a client sends is a snapshot.
//! Corrupt files stop with the line and leave the store empty; a backup taken while a
//! client keeps sending holds every acked message.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::db::{TestDb, PG_ENV};
use crate::common::{seq, text, TestServer, WsClient, FAST};

/// A fresh SQLite database, whatever the environment says.
fn sqlite_db() -> TestDb {
    TestDb::Sqlite { dir: tempfile::tempdir().expect("temp dir") }
}

/// The other backend for a round trip: PostgreSQL when the suite has one, else SQLite.
fn other_db() -> TestDb {
    match std::env::var(PG_ENV) {
        Ok(base) if !base.trim().is_empty() => TestDb::new(),
        _ => sqlite_db(),
    }
}

/// `roomd ARGS…` must succeed; returns its stderr.
async fn cli_ok(srv: &TestServer, args: &[&str]) -> String {
    let out = srv.cli(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "roomd {args:?} failed ({}): {stderr}", out.status);
    stderr
}

/// `roomd ARGS…` must fail with exit code 1; returns its stderr.
async fn cli_fails(srv: &TestServer, args: &[&str]) -> String {
    let out = srv.cli(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "roomd {args:?} should fail: {stderr}");
    stderr
}

/// Exports `srv`'s store without a timestamp to `path` and returns the file's text.
async fn export(srv: &TestServer, path: &Path) -> String {
    cli_ok(srv, &["export", "--out", path.to_str().unwrap(), "--no-timestamp"]).await;
    std::fs::read_to_string(path).expect("read export")
}

/// Boots a server on an imported store; its tokens are the source's, so the source's
/// admin secret works.
async fn boot_with_admin(mut srv: TestServer, admin_token: &str) -> TestServer {
    srv.boot().await;
    srv.admin_token = admin_token.to_string();
    srv
}

/// Records of `kind` in an export.
fn records<'a>(file: &'a str, kind: &'a str) -> impl Iterator<Item = Value> + 'a {
    file.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(move |v| v["type"] == kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_moves_to_the_other_backend_and_back_byte_identical_and_clients_resume() {
    let files = tempfile::tempdir().unwrap();
    let src = TestServer::start_on(sqlite_db(), FAST).await;
    let resp = src
        .post(
            "/api/v1/rooms",
            &json!({"id": "club", "name": "The Club", "tags": ["main", "fun"], "settings": {"rules": "be kind"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    // Ids in byte order differ from a natural-language collation's.
    for room in ["zeta", "a_b", "a0", "a-b"] {
        src.create_room(room).await;
    }
    let bob_token = src.user("bob").await;
    let mut alice = src.ws_user("alice").await;
    let mut bob = src.ws(&bob_token).await;
    alice.join("club").await;
    bob.join("club").await;
    for i in 1..=5 {
        let frame =
            json!({"type": "send", "room": "club", "text": format!("m{i}"), "client_id": format!("c{i}")});
        assert_eq!(alice.request(frame).await["type"], "ack");
    }
    let deleted = src.http().delete(src.url("/api/v1/rooms/club/messages/3")).bearer_auth(&src.admin_token);
    assert_eq!(deleted.send().await.unwrap().status().as_u16(), 200);
    let ban = src.http().put(src.url("/api/v1/rooms/club/bans/carol")).bearer_auth(&src.admin_token);
    assert_eq!(ban.json(&json!({"reason": "spam"})).send().await.unwrap().status().as_u16(), 200);
    let schedule = json!({"cron": "0 9 * * MON", "rooms": ["club"], "text": "weekly"});
    assert_eq!(src.post("/api/v1/schedules", &schedule).send().await.unwrap().status().as_u16(), 201);
    // A room deleted without `purge` keeps its messages (and their seqs).
    alice.join("zeta").await;
    alice.say("zeta", "kept").await;
    let gone = src.http().delete(src.url("/api/v1/rooms/zeta")).bearer_auth(&src.admin_token);
    assert_eq!(gone.send().await.unwrap().status().as_u16(), 204);
    // Bob has seen up to seq 5 (the tombstone included) when the store moves.
    let last = bob.expect_where("message 5", |f| f["type"] == "message" && f["seq"] == 5).await;
    assert_eq!(text(&last), "m5");

    let by_activity = src.room_ids(Some("activity")).await;
    let by_members = src.room_ids(Some("members")).await;
    assert_eq!((by_activity[0].as_str(), by_members[0].as_str()), ("club", "club"));

    let first = export(&src, &files.path().join("1.jsonl")).await;
    assert_eq!(
        first.lines().next().unwrap(),
        format!(r#"{{"type":"header","format":1,"roomd":"{}"}}"#, env!("CARGO_PKG_VERSION"))
    );
    let rooms: Vec<Value> = records(&first, "room").map(|r| r["id"].clone()).collect();
    assert_eq!(rooms, ["a-b", "a0", "a_b", "club"].map(|r| json!(r)), "byte order of ids");
    let kept: Vec<Value> = records(&first, "message").filter(|m| m["room_id"] == "zeta").collect();
    assert_eq!((kept.len(), &kept[0]["text"]), (1, &json!("kept")), "messages of a deleted room");
    let club = records(&first, "room").find(|r| r["id"] == "club").unwrap();
    assert_eq!((&club["tags"], &club["settings"]["rules"]), (&json!(["main", "fun"]), &json!("be kind")));
    let tombstone = records(&first, "message").find(|m| m["seq"] == 3).unwrap();
    assert_eq!((&tombstone["text"], &tombstone["deleted_by"]), (&json!(""), &json!("system")), "{tombstone}");
    assert!(tombstone["deleted_at"].is_i64(), "{tombstone}");
    assert_eq!(records(&first, "message").find(|m| m["seq"] == 1).unwrap()["client_id"], "c1");
    assert_eq!(records(&first, "restriction").next().unwrap()["user_id"], "carol");
    assert_eq!(records(&first, "schedule").count(), 1);
    let token = records(&first, "token").next().unwrap();
    assert_eq!(token["secret_hash"].as_str().unwrap().len(), 64, "a hash, never a secret: {token}");
    assert!(!first.contains(&bob_token) && !first.contains(&src.admin_token), "no secret in the file");
    let last_line: Value = serde_json::from_str(first.lines().last().unwrap()).unwrap();
    assert_eq!(last_line, json!({"type": "end", "records": first.lines().count() - 2}));

    // SQLite → the other backend → SQLite: the same bytes each time.
    let moved = TestServer::new_on(other_db(), FAST);
    cli_ok(&moved, &["import", "--in", files.path().join("1.jsonl").to_str().unwrap()]).await;
    let second = export(&moved, &files.path().join("2.jsonl")).await;
    assert!(first == second, "export after import differs:\n{first}\n---\n{second}");
    let back = TestServer::new_on(sqlite_db(), FAST);
    cli_ok(&back, &["import", "--in", files.path().join("2.jsonl").to_str().unwrap()]).await;
    assert!(export(&back, &files.path().join("3.jsonl")).await == first, "SQLite → other → SQLite differs");
    drop(back);

    // On the moved store: Bob resumes after seq 3 and gets exactly 4 and 5; a new
    // message takes seq 6; the tombstone and the ban are still in force.
    let moved = boot_with_admin(moved, &src.admin_token).await;
    drop(src);
    // The room list orders the imported rooms by their last message and member count.
    assert_eq!(moved.room_ids(Some("activity")).await, by_activity);
    assert_eq!(moved.room_ids(Some("members")).await, by_members);
    let mut bob = moved.ws(&bob_token).await;
    let joined = bob.join_after("club", 3).await;
    assert_eq!(joined["seq"], 5, "{joined}");
    let mut alice = moved.ws_user("alice2").await;
    alice.join("club").await;
    let ack = alice.say("club", "after the move").await;
    assert_eq!(seq(&ack), 6, "{ack}");
    let mut got = Vec::new();
    while got.len() < 3 {
        let m = bob.expect("message").await;
        got.push((seq(&m), text(&m).to_string()));
    }
    assert_eq!(got, [(4, "m4".to_string()), (5, "m5".to_string()), (6, "after the move".to_string())]);
    let history = bob.full_history("club").await;
    let seqs: Vec<i64> = history.iter().map(seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert_eq!((&history[2]["deleted"], &history[2]["text"]), (&json!(true), &json!("")));
    let carol = moved.user("carol").await;
    let mut carol = moved.ws(&carol).await;
    let refused = carol.request(json!({"type": "join", "room": "club"})).await;
    assert_eq!(refused["type"], "error", "a banned user stays banned: {refused}");
}

#[tokio::test]
async fn import_into_a_store_with_rows_is_refused_and_changes_nothing() {
    let files = tempfile::tempdir().unwrap();
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let before = export(&srv, &files.path().join("before.jsonl")).await;
    let stderr =
        cli_fails(&srv, &["import", "--in", files.path().join("before.jsonl").to_str().unwrap()]).await;
    assert!(stderr.contains("not empty: table rooms has rows"), "{stderr}");
    assert_eq!(export(&srv, &files.path().join("after.jsonl")).await, before);
    // An existing output file is not overwritten.
    let stderr =
        cli_fails(&srv, &["export", "--out", files.path().join("before.jsonl").to_str().unwrap()]).await;
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[tokio::test]
async fn a_truncated_or_corrupt_file_stops_at_its_line_and_leaves_the_store_empty() {
    let files = tempfile::tempdir().unwrap();
    let src = TestServer::start().await;
    src.create_room("lobby").await;
    let mut alice = src.ws_user("alice").await;
    alice.join("lobby").await;
    for i in 1..=3 {
        alice.say("lobby", &format!("m{i}")).await;
    }
    let good = export(&src, &files.path().join("good.jsonl")).await;
    let lines: Vec<&str> = good.lines().collect();
    let n = lines.len();
    let msg_line = lines.iter().position(|l| l.contains(r#""type":"message""#)).unwrap() + 1;
    let joined = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    let mut no_seq: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    no_seq[msg_line - 1] = no_seq[msg_line - 1].replacen(r#""seq":1,"#, "", 1);
    let no_seq: Vec<&str> = no_seq.iter().map(String::as_str).collect();
    let mut unknown = lines.clone();
    let renamed = lines[1].replacen(r#""type":"room""#, r#""type":"rooom""#, 1);
    unknown[1] = &renamed;
    let cut_mid = &good[..good.len() - lines[n - 1].len() - lines[n - 2].len() / 2 - 2];
    let cases: Vec<(String, String)> = vec![
        (cut_mid.to_string(), format!("line {}: EOF while parsing", n - 1)),
        (joined(&lines[..n - 1]), format!("line {n}: the file ends without its end record")),
        (format!("{good}{}\n", lines[2]), format!("line {}: a line after the end record", n + 1)),
        (joined(&unknown), "line 2: unknown variant `rooom`".to_string()),
        (joined(&no_seq), format!("line {msg_line}: missing field `seq`")),
        (
            good.replacen(r#""format":1"#, r#""format":2"#, 1),
            "line 1: the file is in format 2, newer than".into(),
        ),
        ("".into(), "line 1: the file is empty".into()),
    ];
    let target = TestServer::new(&[]);
    for (i, (content, says)) in cases.iter().enumerate() {
        let path = files.path().join(format!("bad{i}.jsonl"));
        std::fs::write(&path, content).unwrap();
        let stderr = cli_fails(&target, &["import", "--in", path.to_str().unwrap()]).await;
        assert!(stderr.contains(says), "case {i}: expected {says:?} in {stderr}");
    }
    // Nothing of those was kept: the store is still empty, so the whole file imports.
    cli_ok(&target, &["import", "--in", files.path().join("good.jsonl").to_str().unwrap()]).await;
    assert_eq!(export(&target, &files.path().join("again.jsonl")).await, good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_holds_every_message_acked_before_it_started() {
    let src = TestServer::start_with(FAST).await;
    let backup_dir = tempfile::tempdir().unwrap();
    let out = backup_dir.path().join("roomd.db");
    if matches!(src.db(), TestDb::Postgres { .. }) {
        let got = src.cli(&["backup", "--out", out.to_str().unwrap()]).await;
        let stderr = String::from_utf8_lossy(&got.stderr);
        assert_eq!(got.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("pg_dump --format=custom") && stderr.contains("pg_restore"), "{stderr}");
        return;
    }
    let (task, acked, stop) = sending_in_load(&src).await;
    let acked_before = acked.lock().unwrap().len();
    let started = Instant::now();
    let stderr = cli_ok(&src, &["backup", "--out", out.to_str().unwrap()]).await;
    let ended = Instant::now();
    assert!(stderr.contains("backup written to"), "{stderr}");
    while acked.lock().unwrap().iter().filter(|(_, at)| *at > ended).count() < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    let during = acked.iter().filter(|(_, at)| *at > started && *at < ended).count();
    let longest = acked.windows(2).map(|w| w[1].1 - w[0].1).max().unwrap_or_default();
    eprintln!(
        "backup took {:?}; {during} sends acked meanwhile; longest gap between acks {longest:?}",
        ended - started
    );
    let again = src.cli(&["backup", "--out", out.to_str().unwrap()]).await;
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"), "an existing file is refused");

    // The copy serves: every message acked before the backup started is in it.
    let restored = TestServer::new_on(TestDb::Sqlite { dir: backup_dir }, FAST);
    let restored = boot_with_admin(restored, &src.admin_token).await;
    let mut reader = restored.ws_user("reader").await;
    reader.join("load").await;
    let history = reader.full_history("load").await;
    let stored: Vec<(i64, String)> = history.iter().map(|m| (seq(m), text(m).to_string())).collect();
    for (s, _) in &acked[..acked_before] {
        assert!(stored.iter().any(|(seq, text)| seq == s && *text == format!("n{s}")), "seq {s} is missing");
    }
    assert!(stored.len() >= acked_before, "{} stored, {acked_before} acked before", stored.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_while_a_client_sends_is_a_snapshot_with_every_message_acked_before_it() {
    let files = tempfile::tempdir().unwrap();
    let src = TestServer::start_with(FAST).await;
    let (task, acked, stop) = sending_in_load(&src).await;
    let acked_before = acked.lock().unwrap().len() as i64;
    let file = export(&src, &files.path().join("live.jsonl")).await;
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    // Seqs 1..=K without a gap, K at least every ack seen before the export began.
    let seqs: Vec<i64> =
        records(&file, "message").filter(|m| m["room_id"] == "load").map(|m| seq(&m)).collect();
    assert!(seqs.len() as i64 >= acked_before, "{} exported, {acked_before} acked before", seqs.len());
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let end: Value = serde_json::from_str(file.lines().last().unwrap()).unwrap();
    assert_eq!(end["records"], file.lines().count() - 2);
}

/// Acks of the sender's messages, with when each came.
type Acked = Arc<Mutex<Vec<(i64, Instant)>>>;

/// A user sending to a new room `load` one message after another (`send_until`), once
/// 50 of its messages are acked: the task, its acks so far, and its stop flag.
async fn sending_in_load(src: &TestServer) -> (tokio::task::JoinHandle<()>, Acked, Arc<AtomicBool>) {
    src.create_room("load").await;
    let mut sender = src.ws_user("sender").await;
    sender.join("load").await;
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(send_until(sender, acked.clone(), stop.clone()));
    while acked.lock().unwrap().len() < 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (task, acked, stop)
}

/// Sends `n<k>` messages one at a time until `stop`, recording each acked seq.
async fn send_until(mut ws: WsClient, acked: Acked, stop: Arc<AtomicBool>) {
    let mut k = 1;
    while !stop.load(Ordering::Relaxed) {
        let ack = ws.say("load", &format!("n{k}")).await;
        assert_eq!(seq(&ack), k, "one sender, one seq after another");
        acked.lock().unwrap().push((k, Instant::now()));
        k += 1;
    }
}

/// On a PostgreSQL database whose collation sorts `a_b a-b a0 ab` (ICU en-US), the
/// export still lists rows in byte order, as from SQLite. Needs `ROOMD_TEST_DATABASE_URL`
/// (a role that may create databases); passes without checking anything otherwise.
#[tokio::test]
async fn exports_from_a_postgresql_database_with_a_language_collation_keep_byte_order() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let Some(base) = std::env::var(PG_ENV).ok().filter(|b| !b.trim().is_empty()) else { return };
    let name = format!("roomd_icu_{:016x}", rand::random::<u64>());
    let mut admin = PgConnection::establish(base.trim()).expect("connect");
    let create = format!(
        "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    );
    diesel::sql_query(&create).execute(&mut admin).unwrap_or_else(|e| panic!("{create}: {e}"));
    let mut url = url::Url::parse(base.trim()).unwrap();
    url.set_path(&name);
    let srv = TestServer::new_shared(url.as_str(), &[]);
    let files = tempfile::tempdir().unwrap();
    let room = |id: &str| {
        format!(
            r#"{{"type":"room","id":"{id}","name":"x","tags":[],"settings":{{}},"created_at":1,"updated_at":1}}"#
        )
    };
    let member = |user: &str| {
        format!(
            r#"{{"type":"member","room_id":"a0","user_id":"{user}","name":"{user}","kind":"user","role":"member","role_expires_at":null,"base_role":"member","last_read_seq":0,"last_seen":null,"joined_at":1}}"#
        )
    };
    let mut lines =
        vec![format!(r#"{{"type":"header","format":1,"roomd":"{}"}}"#, env!("CARGO_PKG_VERSION"))];
    lines.extend(["a-b", "a0", "a_b", "ab"].map(room));
    lines.extend(["B", "a"].map(member));
    lines.push(r#"{"type":"end","records":6}"#.to_string());
    let file: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(files.path().join("in.jsonl"), &file).unwrap();
    cli_ok(&srv, &["import", "--in", files.path().join("in.jsonl").to_str().unwrap()]).await;
    let out = export(&srv, &files.path().join("out.jsonl")).await;
    drop(srv);
    let _ = diesel::sql_query(format!("DROP DATABASE {name}")).execute(&mut admin);
    assert!(out == file, "not in byte order:\n{out}");
}
