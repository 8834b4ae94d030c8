//! Bad input on `/ws`: each gets its `error` frame (code, echoed id), the session stays
//! usable and nothing is stored (the next real message in the room gets seq 1).

use serde_json::json;

use crate::common::{assert_error_frame, seq, TestServer, WsClient, TIMEOUT};

/// A server with room `lobby` and Alice joined to it.
async fn alice_in_lobby(env: &[(&str, &str)]) -> (TestServer, WsClient) {
    let srv = TestServer::start_with(env).await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    (srv, alice)
}

/// The session answers a ping, and the room's first stored message gets seq 1.
async fn assert_usable_and_nothing_stored(ws: &mut WsClient) {
    ws.ping().await;
    let ack = ws.say("lobby", "a real message").await;
    assert_eq!(seq(&ack), 1, "an earlier bad frame was stored: {ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_bad_request() {
    let (_srv, mut alice) = alice_in_lobby(&[]).await;
    for raw in [r#"{"type":"send","room":"lobby","text":"x""#, "not json at all", r#"[1,2]"#, r#""send""#] {
        alice.send_raw(raw.to_string()).await;
        let err = alice.expect("error").await;
        assert_error_frame(&err, None, "bad_request");
    }
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_missing_type_is_a_bad_request() {
    let (_srv, mut alice) = alice_in_lobby(&[]).await;
    let err = alice.request(json!({"type": "dance", "room": "lobby", "id": "u1"})).await;
    assert_error_frame(&err, Some(json!("u1")), "bad_request");
    let err = alice.request(json!({"room": "lobby", "text": "x", "id": 2})).await;
    assert_error_frame(&err, Some(json!(2)), "bad_request");
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_field_types_are_a_bad_request() {
    let (_srv, mut alice) = alice_in_lobby(&[]).await;
    let frames = [
        json!({"type": "send", "room": 5, "text": "x", "id": 3}),
        json!({"type": "send", "room": "lobby", "text": [], "id": "t"}),
        json!({"type": "join", "room": "lobby", "after_seq": "x", "id": 4}),
        json!({"type": "history", "room": "lobby", "limit": "ten", "id": 5}),
    ];
    for frame in frames {
        let err = alice.request(frame.clone()).await;
        assert_error_frame(&err, Some(frame["id"].clone()), "bad_request");
    }
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_seqs_are_a_bad_request() {
    let (_srv, mut alice) = alice_in_lobby(&[]).await;
    let frames = [
        json!({"type": "history", "room": "lobby", "before_seq": -1, "id": 6}),
        json!({"type": "join", "room": "lobby", "after_seq": -5, "id": 7}),
        json!({"type": "read", "room": "lobby", "seq": -1, "id": 8}),
    ];
    for frame in frames {
        let err = alice.request(frame.clone()).await;
        assert_error_frame(&err, Some(frame["id"].clone()), "bad_request");
    }
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_max_frame_bytes_closes_the_connection_with_1009_and_stores_nothing() {
    let (srv, mut alice) = alice_in_lobby(&[]).await;
    let big = json!({"type": "send", "room": "lobby", "text": "x".repeat(100 * 1024), "id": "big"});
    alice.send(big).await;
    assert_eq!(alice.expect_close(TIMEOUT).await, Some(1009));
    let mut again = srv.ws_user("alice").await;
    again.join("lobby").await;
    assert_usable_and_nothing_stored(&mut again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_longer_than_max_text_characters_is_too_large() {
    let (_srv, mut alice) = alice_in_lobby(&[("ROOMD__LIMITS__MAX_TEXT", "10")]).await;
    assert_eq!(alice.hello["limits"]["max_text"], 10, "{}", alice.hello);
    let err =
        alice.request(json!({"type": "send", "room": "lobby", "text": "é".repeat(11), "id": "long"})).await;
    assert_error_frame(&err, Some(json!("long")), "too_large");
    alice.ping().await;
    // The limit counts characters, not bytes: 10 two-byte characters fit.
    let ack = alice.say("lobby", &"é".repeat(10)).await;
    assert_eq!(seq(&ack), 1, "the refused text was stored: {ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn using_a_room_before_joining_it_is_not_joined() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    let frames = [
        json!({"type": "send", "room": "lobby", "text": "x", "id": "s"}),
        json!({"type": "history", "room": "lobby", "id": "h"}),
        json!({"type": "leave", "room": "lobby", "id": "l"}),
    ];
    for frame in frames {
        let err = alice.request(frame.clone()).await;
        assert_error_frame(&err, Some(frame["id"].clone()), "not_joined");
    }
    alice.join("lobby").await;
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_an_unknown_room_is_not_found_and_creates_nothing() {
    let (srv, mut alice) = alice_in_lobby(&[]).await;
    let err = alice.request(json!({"type": "join", "room": "nowhere", "id": "j"})).await;
    assert_error_frame(&err, Some(json!("j")), "not_found");
    assert_eq!(srv.room_ids(None).await, ["lobby"]);
    assert_usable_and_nothing_stored(&mut alice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_create_joining_an_unknown_room_creates_it() {
    let srv = TestServer::start_with(&[("ROOMD__ROOMS__AUTO_CREATE", "true")]).await;
    let mut alice = srv.ws_user("alice").await;
    let joined = alice.join("fresh-room").await;
    assert_eq!((&joined["room"], &joined["seq"]), (&json!("fresh-room"), &json!(0)), "{joined}");
    assert_eq!(srv.room_ids(None).await, ["fresh-room"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_a_bad_room_id_is_a_bad_request_even_with_auto_create() {
    let srv = TestServer::start_with(&[("ROOMD__ROOMS__AUTO_CREATE", "true")]).await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    for (i, bad) in ["Bad Room!", "", "-leading-dash", "UPPER", &"a".repeat(65)].into_iter().enumerate() {
        let err = alice.request(json!({"type": "join", "room": bad, "id": i})).await;
        assert_error_frame(&err, Some(json!(i)), "bad_request");
    }
    assert_eq!(srv.room_ids(None).await, ["lobby"], "no room was created");
    alice.join("lobby").await;
    assert_usable_and_nothing_stored(&mut alice).await;
}
