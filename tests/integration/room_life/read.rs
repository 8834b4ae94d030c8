//! Read receipts: `last_read_seq` only moves forward, is stored (across restarts),
//! shows as `unread` in `joined`, and other members get a `read` frame.

use serde_json::json;

use super::{frames_until_own_message, member, of_type};
use crate::common::{assert_error_frame, eventually, pick, TestServer, LONG};

/// `last_read_seq` of `user` in `room` from the members API.
async fn stored_read_seq(srv: &TestServer, room: &str, user: &str) -> i64 {
    member(srv, room, user).await["last_read_seq"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_moves_forward_only_is_stored_and_shows_as_unread() {
    let mut srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let bob_token = srv.user("bob").await;
    let (mut alice, mut bob) = (srv.ws_user("alice").await, srv.ws(&bob_token).await);
    alice.join("lobby").await;
    bob.join("lobby").await;
    for t in ["one", "two", "three"] {
        alice.say("lobby", t).await;
    }

    let reply = bob.request(json!({"type": "read", "room": "lobby", "seq": 2, "id": "r1"})).await;
    let bob_ref = json!({"id": "bob", "name": "bob", "kind": "user"});
    assert_eq!(
        pick(&reply, &["type", "id", "room", "user", "seq"]),
        json!({"type": "read", "id": "r1", "room": "lobby", "user": bob_ref, "seq": 2})
    );
    // A lower seq is accepted and changes nothing; the reply says where bob is.
    let reply = bob.request(json!({"type": "read", "room": "lobby", "seq": 1, "id": "r2"})).await;
    assert_eq!(pick(&reply, &["type", "seq"]), json!({"type": "read", "seq": 2}));
    // Beyond the last seq, or not a valid seq: an error, nothing stored.
    let reply = bob.request(json!({"type": "read", "room": "lobby", "seq": 4, "id": "r3"})).await;
    assert_error_frame(&reply, Some(json!("r3")), "bad_request");
    for bad in [json!(-1), json!("3"), json!(2.5)] {
        let reply = bob.request(json!({"type": "read", "room": "lobby", "seq": bad, "id": "r4"})).await;
        assert_error_frame(&reply, Some(json!("r4")), "bad_request");
    }
    let reply = bob.request(json!({"type": "read", "room": "elsewhere", "seq": 1, "id": "r5"})).await;
    assert_error_frame(&reply, Some(json!("r5")), "not_joined");

    // Alice saw exactly one receipt (the lower seq and the errors told nobody).
    let seen = frames_until_own_message(&mut alice, "lobby", "four").await;
    let reads: Vec<_> =
        of_type(&seen, "read").into_iter().map(|f| pick(f, &["type", "room", "user", "seq", "id"])).collect();
    assert_eq!(reads, [json!({"type": "read", "room": "lobby", "user": bob_ref, "seq": 2, "id": null})]);

    eventually("bob's read position is stored", LONG, || async {
        stored_read_seq(&srv, "lobby", "bob").await == 2
    })
    .await;
    drop(bob);
    let mut bob = srv.ws(&bob_token).await;
    let joined = bob.join("lobby").await;
    assert_eq!(
        pick(&joined, &["seq", "last_read_seq", "unread"]),
        json!({"seq": 4, "last_read_seq": 2, "unread": 2})
    );

    // And across a restart.
    drop(bob);
    srv.kill_9().await;
    srv.restart().await;
    let mut bob = srv.ws(&bob_token).await;
    let joined = bob.join("lobby").await;
    assert_eq!(
        pick(&joined, &["seq", "last_read_seq", "unread"]),
        json!({"seq": 4, "last_read_seq": 2, "unread": 2})
    );
    bob.request(json!({"type": "read", "room": "lobby", "seq": 4, "id": "r6"})).await;
    let joined = srv.ws(&bob_token).await.join("lobby").await;
    assert_eq!(pick(&joined, &["last_read_seq", "unread"]), json!({"last_read_seq": 4, "unread": 0}));
}
