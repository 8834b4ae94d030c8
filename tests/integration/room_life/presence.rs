//! Presence: `member_joined` / `member_left` only on a user's first / last session;
//! the members API shows `online` and `last_seen`.

use serde_json::json;

use super::{frames_until_own_message, member, of_type};
use crate::common::{assert_error_frame, assert_recent_rfc3339, eventually, pick, TestServer, LONG};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joined_and_left_events_come_on_the_first_and_last_session_only() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("lobby").await;
    let alice_token = srv.user("alice").await;
    let (mut a1, mut a2) = (srv.ws(&alice_token).await, srv.ws(&alice_token).await);
    a1.join("lobby").await;
    a2.join("lobby").await;
    let joined = a2.join("lobby").await; // joining again is harmless
    assert!(
        joined["members"]
            .as_array()
            .expect("members")
            .iter()
            .any(|m| pick(m, &["id", "online"]) == json!({"id": "alice", "online": true})),
        "{joined}"
    );
    let seen = frames_until_own_message(&mut bob, "lobby", "mark 1").await;
    let events: Vec<_> =
        of_type(&seen, "member_joined").into_iter().map(|f| pick(f, &["room", "user"])).collect();
    assert_eq!(events, [json!({"room": "lobby", "user": {"id": "alice", "name": "alice", "kind": "user"}})]);
    assert_eq!(member(&srv, "lobby", "alice").await["online"], true);

    a1.request(json!({"type": "leave", "room": "lobby"})).await;
    let seen = frames_until_own_message(&mut bob, "lobby", "mark 2").await;
    assert!(of_type(&seen, "member_left").is_empty(), "alice is still here in a2: {seen:?}");
    assert_eq!(member(&srv, "lobby", "alice").await["online"], true);

    drop(a2); // the last session goes away without a leave
    let left = bob.expect("member_left").await;
    assert_eq!(
        pick(&left, &["room", "user"]),
        json!({"room": "lobby", "user": {"id": "alice", "name": "alice", "kind": "user"}})
    );
    eventually("alice shows offline with a last_seen", LONG, || async {
        let m = member(&srv, "lobby", "alice").await;
        m["online"] == false && m["last_seen"].is_string()
    })
    .await;
    assert_recent_rfc3339(&member(&srv, "lobby", "alice").await["last_seen"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_at_max_members_refuses_new_members_but_not_old_ones() {
    let srv = TestServer::start().await;
    srv.create_room("small").await;
    super::set_room_settings(&srv, "small", json!({"max_members": 2})).await;
    let alice_token = srv.user("alice").await;
    let (mut alice, mut bob) = (srv.ws(&alice_token).await, srv.ws_user("bob").await);
    alice.join("small").await;
    bob.join("small").await;
    let mut carol = srv.ws_user("carol").await;
    let reply = carol.request(json!({"type": "join", "room": "small", "id": "j"})).await;
    assert_error_frame(&reply, Some(json!("j")), "forbidden");
    drop(alice);
    let mut alice = srv.ws(&alice_token).await;
    alice.join("small").await; // a member comes back even when the room is full
    let seen = frames_until_own_message(&mut bob, "small", "hi").await;
    assert!(
        !of_type(&seen, "member_joined").iter().any(|f| f["user"]["id"] == "carol"),
        "carol never joined: {seen:?}"
    );
}
