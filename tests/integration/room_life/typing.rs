//! Typing indicators: to the other members' sessions only, not stored, throttled.

use serde_json::json;

use super::{frames_until_own_message, of_type};
use crate::common::{assert_error_frame, pick, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reaches_the_others_not_the_typers_own_sessions_and_is_throttled() {
    // A throttle far longer than the test, so a slow machine cannot let a second through.
    let srv = TestServer::start_with(&[("ROOMD__TYPING__THROTTLE_MS", "600000")]).await;
    srv.create_room("lobby").await;
    let alice_token = srv.user("alice").await;
    let (mut alice, mut alice2) = (srv.ws(&alice_token).await, srv.ws(&alice_token).await);
    let mut bob = srv.ws_user("bob").await;
    for ws in [&mut alice, &mut alice2, &mut bob] {
        ws.join("lobby").await;
    }

    for active in [true, true, false] {
        alice.send(json!({"type": "typing", "room": "lobby", "active": active})).await;
    }
    let ack = alice.say("lobby", "done").await;
    let seq = ack["seq"].as_i64().expect("seq");
    let to_bob = super::frames_until_message(&mut bob, seq).await;
    let typing: Vec<_> = of_type(&to_bob, "typing").into_iter().cloned().collect();
    assert_eq!(
        typing.iter().map(|f| pick(f, &["type", "room", "user", "active"])).collect::<Vec<_>>(),
        [
            json!({"type": "typing", "room": "lobby", "user": {"id": "alice", "name": "alice", "kind": "user"}, "active": true}),
            json!({"type": "typing", "room": "lobby", "user": {"id": "alice", "name": "alice", "kind": "user"}, "active": false}),
        ],
        "the second active:true within the throttle is dropped"
    );
    for ws in [&mut alice, &mut alice2] {
        let seen = super::frames_until_message(ws, seq).await;
        assert!(of_type(&seen, "typing").is_empty(), "the typer's own sessions get no typing: {seen:?}");
    }
    // Not stored.
    let history = bob.history("lobby", None, None).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1), "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_needs_a_joined_room_and_a_boolean() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    let reply = alice.request(json!({"type": "typing", "room": "lobby", "active": true, "id": 1})).await;
    assert_error_frame(&reply, Some(json!(1)), "not_joined");
    alice.join("lobby").await;
    for bad in [
        json!({"type": "typing", "room": "lobby", "active": "yes", "id": 2}),
        json!({"type": "typing", "room": "lobby", "id": 2}),
        json!({"type": "typing", "room": "Bad Room", "active": true, "id": 2}),
    ] {
        let reply = alice.request(bad.clone()).await;
        assert_error_frame(&reply, Some(json!(2)), "bad_request");
    }
    let seen = frames_until_own_message(&mut alice, "lobby", "still fine").await;
    assert!(of_type(&seen, "error").is_empty(), "{seen:?}");
}
