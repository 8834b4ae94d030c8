//! Welcome messages: once per user per room within `welcome.dedupe_secs` (also across
//! restarts), from the room's template or the template file, as a stored system
//! message; none for bots; a burst of joins welcomes each user once.

use futures_util::stream::{self, StreamExt};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{frames_until_own_message, of_type, set_room_settings};
use crate::common::{pick, text, TestServer, WsClient};

/// The system messages of `room` in its history, oldest first.
async fn welcomes(ws: &mut WsClient, room: &str) -> Vec<String> {
    let all = ws.full_history(room).await;
    all.iter().filter(|m| m["from"]["kind"] == "system").map(|m| text(m).to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_join_is_welcomed_once_with_the_rooms_template_and_bots_are_not() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    set_room_settings(
        &srv,
        "lobby",
        json!({"welcome_template": "Hi {{name}}, welcome to {{room}} ({{member_count}} members)"}),
    )
    .await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let welcome = alice.expect("message").await;
    assert_eq!(
        pick(&welcome, &["type", "room", "seq", "from", "text"]),
        json!({"type": "message", "room": "lobby", "seq": 1,
               "from": {"id": "system", "name": "system", "kind": "system"},
               "text": "Hi alice, welcome to lobby (1 members)"})
    );

    let mut bob = srv.ws_user("bob").await;
    bob.join("lobby").await;
    let to_bob = bob.expect("message").await;
    let to_alice = alice.expect_where("bob's welcome", |f| f["type"] == "message").await;
    assert_eq!(text(&to_bob), "Hi bob, welcome to lobby (2 members)");
    assert_eq!(to_alice, to_bob, "members see the welcome too");

    // Leaving and joining again, or a second session, is no new welcome.
    alice.request(json!({"type": "leave", "room": "lobby"})).await;
    alice.join("lobby").await;
    let mut alice2 = srv.ws(&srv.user("alice").await).await;
    alice2.join("lobby").await;
    let bot = srv.token("bot", "helper").await;
    let mut helper = srv.ws(&bot).await;
    helper.join("lobby").await;
    let seen = frames_until_own_message(&mut alice, "lobby", "back again").await;
    assert!(of_type(&seen, "message").is_empty(), "no welcome for a rejoin or a bot: {seen:?}");
    assert_eq!(
        welcomes(&mut alice, "lobby").await,
        ["Hi alice, welcome to lobby (1 members)", "Hi bob, welcome to lobby (2 members)"],
        "stored once per user"
    );

    // An empty template turns welcomes off for the room.
    set_room_settings(&srv, "lobby", json!({"welcome_template": ""})).await;
    let mut carol = srv.ws_user("carol").await;
    carol.join("lobby").await;
    let seen = frames_until_own_message(&mut carol, "lobby", "hello").await;
    assert!(of_type(&seen, "message").is_empty(), "no welcome with an empty template: {seen:?}");
}

/// A server whose working directory has `config/templates/welcome/default.txt`, named
/// by `welcome.template_file` from the environment (relative to the working directory).
async fn with_template_file(template: &str, env: &[(&str, &str)]) -> TestServer {
    let mut env = env.to_vec();
    env.push(("ROOMD__WELCOME__TEMPLATE_FILE", "config/templates/welcome/default.txt"));
    let mut srv = TestServer::new(&env);
    let dir = srv.workdir().join("config/templates/welcome");
    std::fs::create_dir_all(&dir).expect("template dir");
    std::fs::write(dir.join("default.txt"), template).expect("write template");
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;
    srv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_file_is_used_and_welcomes_are_remembered_across_a_restart() {
    let mut srv = with_template_file("{{name}} joined {{room}}.\n", &[]).await;
    srv.create_room("hall").await;
    let alice_token = srv.user("alice").await;
    let mut alice = srv.ws(&alice_token).await;
    alice.join("hall").await;
    assert_eq!(text(&alice.expect("message").await), "alice joined hall.");
    // The welcome is delivered after its commit, and its mark commits with it.
    drop(alice);

    srv.kill_9().await;
    srv.restart().await;
    let mut alice = srv.ws(&alice_token).await;
    alice.join("hall").await;
    let seen = frames_until_own_message(&mut alice, "hall", "I'm back").await;
    assert!(of_type(&seen, "message").is_empty(), "not welcomed again after a restart: {seen:?}");
    let mut bob = srv.ws_user("bob").await;
    bob.join("hall").await;
    assert_eq!(text(&bob.expect("message").await), "bob joined hall.", "new users still are");
    assert_eq!(welcomes(&mut bob, "hall").await, ["alice joined hall.", "bob joined hall."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_created_by_a_join_lists_its_member_and_its_welcome() {
    // A batch waits up to 200 ms for more after its first message: bob's message below
    // opens one, and the new room's row, alice's membership and her welcome join it.
    let env = [("ROOMD__ROOMS__AUTO_CREATE", "true"), ("ROOMD__STORE__BATCH_MAX_DELAY_US", "200000")];
    let srv = with_template_file("Welcome, {{name}}.\n", &env).await;
    srv.create_room("a-quiet").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("z-busy").await;
    let _ = bob.expect("message").await; // his own welcome
    bob.send(json!({"type": "send", "room": "z-busy", "text": "anyone?"})).await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("fresh").await;
    assert_eq!(text(&alice.expect("message").await), "Welcome, alice.");
    // The room list's figures count the new room's member and its message.
    for sort in ["members", "activity"] {
        assert_eq!(srv.room_ids(Some(sort)).await, ["fresh", "z-busy", "a-quiet"], "sort={sort}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_template_there_is_no_welcome_and_a_zero_window_welcomes_every_return() {
    let srv = TestServer::start().await;
    srv.create_room("quiet").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("quiet").await;
    let seen = frames_until_own_message(&mut alice, "quiet", "anyone?").await;
    assert!(of_type(&seen, "message").is_empty(), "no template file, no setting: no welcome: {seen:?}");

    let srv = with_template_file("Hello {{name}}", &[("ROOMD__WELCOME__DEDUPE_SECS", "0")]).await;
    srv.create_room("busy").await;
    let mut alice = srv.ws_user("alice").await;
    for _ in 0..2 {
        alice.join("busy").await;
        assert_eq!(text(&alice.expect("message").await), "Hello alice");
        alice.request(json!({"type": "leave", "room": "busy"})).await;
    }
}

const JWT_SECRET: &str = "room-life-secret";
const BURST: usize = 500;

fn jwt(sub: &str) -> String {
    let claims = json!({"sub": sub, "name": sub, "exp": chrono::Utc::now().timestamp() + 3600});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
        .expect("encode JWT")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500_joins_welcomes_each_user_once_and_the_room_keeps_answering() {
    let env = [("ROOMD__AUTH__JWT_SECRET", JWT_SECRET), ("ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC", "100000")];
    let srv = TestServer::start_with(&env).await;
    srv.create_room("arena").await;
    set_room_settings(&srv, "arena", json!({"welcome_template": "welcome {{name}}"})).await;
    let mut watcher = WsClient::connect(&srv.addr, &jwt("watcher")).await;
    watcher.join("arena").await;

    // Connect first, then join all at once.
    let addr = srv.addr.clone();
    let mut clients: Vec<WsClient> = stream::iter(0..BURST)
        .map(|i| {
            let addr = addr.clone();
            async move { WsClient::connect(&addr, &jwt(&format!("u{i:03}"))).await }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let joins = clients.iter_mut().map(|ws| async move {
        ws.send(json!({"type": "join", "room": "arena", "id": "j"})).await;
    });
    futures_util::future::join_all(joins).await;

    // The room keeps serving while the welcomes are written.
    let ack = watcher.say("arena", "still here").await;
    assert_eq!(ack["type"], "ack");
    let replies =
        clients.iter_mut().map(|ws| async move { ws.expect_where("joined", |f| f["id"] == "j").await });
    for reply in futures_util::future::join_all(replies).await {
        assert_eq!(reply["type"], "joined", "{reply}");
    }

    // Every welcome is stored once: wait until all are delivered to the watcher.
    let mut seen = std::collections::HashSet::new();
    while seen.len() < BURST + 1 {
        let m = watcher.expect("message").await;
        if m["from"]["kind"] == "system" {
            assert!(seen.insert(text(&m).to_string()), "welcomed twice: {m}");
        }
    }
    drop(clients);
    let history = watcher.full_history("arena").await;
    let mut welcomed: Vec<&str> =
        history.iter().filter(|m| m["from"]["kind"] == "system").map(text).collect();
    welcomed.sort_unstable();
    let mut expected: Vec<String> = (0..BURST).map(|i| format!("welcome u{i:03}")).collect();
    expected.push("welcome watcher".into());
    expected.sort_unstable();
    assert_eq!(welcomed, expected, "each user welcomed exactly once");
    let seqs: Vec<i64> = history.iter().map(|m| m["seq"].as_i64().unwrap_or(0)).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gap, no duplicate");
}
