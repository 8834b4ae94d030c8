//! Spam control: the per-session frame rate (`rate_limited` + `retry_after_ms`), the
//! repeated-text limit per user per room, banned words, closing with 4002 after
//! repeated violations, and 429 on too many upgrade attempts from one IP. A refused
//! frame is never stored.

use std::time::Duration;

use serde_json::json;

use super::set_room_settings;
use crate::common::{assert_api_error, assert_error_frame, eventually, pick, text, TestServer, LONG};

/// The texts stored in `room`, oldest first.
async fn stored(srv: &TestServer, room: &str) -> Vec<String> {
    let resp = srv.get(&format!("/api/v1/rooms/{room}/messages?limit=500")).send().await.expect("GET");
    let body: serde_json::Value = resp.json().await.expect("JSON");
    body["items"].as_array().expect("items").iter().map(|m| text(m).to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_over_the_session_rate_get_rate_limited_and_are_not_stored() {
    let env = [("ROOMD__LIMITS__MSGS_PER_SEC", "1"), ("ROOMD__LIMITS__BURST", "2")];
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    assert_eq!(
        pick(&alice.hello["limits"], &["msgs_per_sec", "burst"]),
        json!({"msgs_per_sec": 1, "burst": 2})
    );
    alice.join("lobby").await; // one frame of the burst
    alice.say("lobby", "one").await; // the other
                                     // Pipelined: at most one of these finds a token refilled meanwhile.
    for id in ["a", "b", "c"] {
        alice.send(json!({"type": "send", "room": "lobby", "text": id, "id": id})).await;
    }
    let mut acked = vec!["one".to_string()];
    let mut limited = 0;
    for id in ["a", "b", "c"] {
        let reply = alice.expect_where("a reply", |f| f["id"] == id).await;
        if reply["type"] == "ack" {
            acked.push(id.to_string());
            continue;
        }
        assert_error_frame(&reply, Some(json!(id)), "rate_limited");
        let retry = reply["retry_after_ms"].as_u64().unwrap_or_else(|| panic!("retry_after_ms: {reply}"));
        assert!((1..=1000).contains(&retry), "retry_after_ms {retry} at 1 frame/s");
        limited += 1;
    }
    assert!(limited >= 2, "at most one token refills while three frames arrive");
    // Pings count too (every frame does); once a token has refilled, the session works.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    alice.ping().await;
    assert_eq!(stored(&srv, "lobby").await, acked, "rate-limited sends are not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_text_past_max_repeats_gets_a_notice_and_is_not_stored() {
    let env = [("ROOMD__SPAM__MAX_REPEATS", "2"), ("ROOMD__SPAM__WINDOW_SECS", "600")];
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    let (mut alice, mut bob) = (srv.ws_user("alice").await, srv.ws_user("bob").await);
    alice.join("lobby").await;
    bob.join("lobby").await;
    let first =
        alice.request(json!({"type": "send", "room": "lobby", "text": "buy", "client_id": "c1"})).await;
    assert_eq!(first["type"], "ack");
    alice.say("lobby", "buy").await;
    let refused = alice.request(json!({"type": "send", "room": "lobby", "text": "buy", "id": "r"})).await;
    assert_eq!(
        pick(&refused, &["type", "id", "room", "reason"]),
        json!({"type": "notice", "id": "r", "room": "lobby", "reason": "repeated"}),
        "{refused}"
    );
    assert!(refused["text"].as_str().is_some_and(|t| !t.is_empty()), "{refused}");
    // A retry of an earlier send (same client_id) is not a repeat: it is a duplicate.
    let retry =
        alice.request(json!({"type": "send", "room": "lobby", "text": "buy", "client_id": "c1"})).await;
    assert_eq!(
        pick(&retry, &["type", "seq", "duplicate"]),
        json!({"type": "ack", "seq": 1, "duplicate": true})
    );
    // Other texts and other users are not affected.
    alice.say("lobby", "something else").await;
    bob.say("lobby", "buy").await;
    assert_eq!(stored(&srv, "lobby").await, ["buy", "buy", "something else", "buy"]);

    // The room's `spam` setting overrides the server's.
    set_room_settings(&srv, "lobby", json!({"spam": {"max_repeats": 1, "window_secs": 60}})).await;
    bob.say("lobby", "once").await;
    let refused = bob.request(json!({"type": "send", "room": "lobby", "text": "once"})).await;
    assert_eq!(refused["type"], "notice", "{refused}");
    assert_eq!(stored(&srv, "lobby").await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_word_gets_a_notice_whole_words_in_any_case() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    set_room_settings(&srv, "lobby", json!({"banned_words": ["Spam", "buy now"]})).await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    for bad in ["this is SPAM", "spam!", "Buy  now"] {
        let reply = alice.request(json!({"type": "send", "room": "lobby", "text": bad})).await;
        if bad == "Buy  now" {
            assert_eq!(reply["type"], "ack", "two spaces are not the phrase: {reply}");
        } else {
            assert_eq!(pick(&reply, &["type", "reason"]), json!({"type": "notice", "reason": "banned_word"}));
        }
    }
    alice.say("lobby", "spammer antispam").await;
    assert_eq!(stored(&srv, "lobby").await, ["Buy  now", "spammer antispam"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_violations_close_the_session_with_4002() {
    let env = [
        ("ROOMD__LIMITS__MAX_VIOLATIONS", "3"),
        ("ROOMD__SPAM__MAX_REPEATS", "1"),
        ("ROOMD__SPAM__WINDOW_SECS", "600"),
    ];
    let srv = TestServer::start_with(&env).await;
    srv.create_room("lobby").await;
    set_room_settings(&srv, "lobby", json!({"banned_words": ["nope"]})).await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "hey").await;
    for bad in ["hey", "nope"] {
        let reply = alice.request(json!({"type": "send", "room": "lobby", "text": bad})).await;
        assert_eq!(reply["type"], "notice", "{reply}");
    }
    alice.send(json!({"type": "send", "room": "lobby", "text": "hey"})).await;
    assert_eq!(alice.expect_close(LONG).await, Some(4002), "the third violation in a minute closes");
    assert_eq!(stored(&srv, "lobby").await, ["hey"]);

    // Rate-limited frames count too.
    let env = [
        ("ROOMD__LIMITS__MAX_VIOLATIONS", "3"),
        ("ROOMD__LIMITS__MSGS_PER_SEC", "1"),
        ("ROOMD__LIMITS__BURST", "1"),
    ];
    let srv = TestServer::start_with(&env).await;
    let mut bob = srv.ws_user("bob").await;
    for _ in 0..4 {
        bob.send(json!({"type": "history", "room": "lobby"})).await;
    }
    assert_eq!(bob.expect_close(LONG).await, Some(4002));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_upgrade_attempts_from_one_ip_get_429_with_retry_after() {
    let srv = TestServer::start_with(&[
        ("ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC", "1"),
        ("ROOMD__LIMITS__CONNECTS_LIMIT_LOOPBACK", "true"),
    ])
    .await;
    let token = srv.user("alice").await;
    let url = srv.url(&format!("/ws?token={token}"));
    // A few attempts in a row: with one per second, some must be refused.
    let mut limited = None;
    for _ in 0..5 {
        let resp = srv.http().get(&url).send().await.expect("GET /ws");
        if resp.status().as_u16() == 429 {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("an attempt over the limit is refused");
    let retry_after: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a numeric Retry-After");
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after} at 1/s");
    assert_api_error(resp, 429, "rate_limited").await;

    // Later, upgrades are accepted again.
    let addr = srv.addr.clone();
    eventually("an upgrade is accepted again", LONG, || {
        let (addr, token) = (addr.clone(), token.clone());
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            crate::common::WsClient::try_connect(&addr, crate::common::Auth::Query(&token)).await.is_ok()
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_upgrades_are_not_limited_by_default() {
    let srv = TestServer::start_with(&[("ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC", "1")]).await;
    let token = srv.user("alice").await;
    // Well over the per-IP budget, all from 127.0.0.1: none refused.
    for i in 0..20 {
        let ws = srv.ws(&token).await;
        assert_eq!(ws.hello["type"], "hello", "connection {i} from loopback was upgraded");
    }
}
