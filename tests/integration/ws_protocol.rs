//! The `/ws` protocol seen by well-behaved clients: `hello`, `ping`, `send` → `ack` +
//! `message` to every member, `client_id` dedupe, `member_joined` / `member_left`,
//! `leave` / `left`, and `history` paging.

use serde_json::{json, Value};

use crate::common::{assert_error_frame, assert_recent_rfc3339, pick, seq, text, TestServer, WsClient, FAST};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_describes_the_session_and_replies_echo_ids() {
    let srv = TestServer::start().await;
    let (mut a, b) = (srv.ws_user("alice").await, srv.ws_user("bob").await);

    assert_eq!(
        pick(&a.hello["user"], &["id", "name", "kind"]),
        json!({"id": "alice", "name": "alice", "kind": "user"})
    );
    assert_eq!(a.hello["heartbeat_ms"], 30000, "{}", a.hello);
    assert_eq!(
        pick(&a.hello["limits"], &["max_text", "msgs_per_sec", "burst"]),
        json!({"max_text": 4000, "msgs_per_sec": 50, "burst": 100})
    );
    let session = a.hello["session"].as_str().expect("hello.session");
    assert!(!session.is_empty());
    assert_ne!(a.hello["session"], b.hello["session"], "each connection is its own session");

    a.send(json!({"type": "ping", "id": 7})).await;
    assert_eq!(pick(&a.expect("pong").await, &["type", "id"]), json!({"type": "pong", "id": 7}));
    a.send(json!({"type": "ping", "id": "p-1"})).await;
    assert_eq!(pick(&a.expect("pong").await, &["type", "id"]), json!({"type": "pong", "id": "p-1"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_acked_and_delivered_to_every_member_with_the_same_seq() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let (mut alice, mut bob) = (srv.ws_user("alice").await, srv.ws_user("bob").await);
    let joined = alice.join("lobby").await;
    assert_eq!(pick(&joined, &["room", "seq"]), json!({"room": "lobby", "seq": 0}));
    bob.join("lobby").await;

    alice.send(json!({"type": "send", "room": "lobby", "text": "hi", "client_id": "c1", "id": 7})).await;
    let ack = alice.expect("ack").await;
    assert_eq!(
        pick(&ack, &["type", "id", "room", "seq", "client_id", "duplicate"]),
        json!({"type": "ack", "id": 7, "room": "lobby", "seq": 1, "client_id": "c1", "duplicate": false})
    );
    let to_bob = bob.expect("message").await;
    let to_alice = alice.expect("message").await;
    assert_eq!(
        pick(&to_bob, &["type", "room", "seq", "from", "text", "client_id"]),
        json!({"type": "message", "room": "lobby", "seq": 1, "text": "hi", "client_id": "c1",
               "from": {"id": "alice", "name": "alice", "kind": "user"}})
    );
    assert_recent_rfc3339(&to_bob["ts"]);
    assert_eq!(to_alice, to_bob, "the sender gets the same message frame");

    let ack = bob.say("lobby", "hello back").await;
    assert_eq!(seq(&ack), 2, "seqs grow by one per room: {ack}");
    let m = alice.expect("message").await;
    assert_eq!((seq(&m), text(&m), &m["from"]["id"]), (2, "hello back", &json!("bob")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_with_the_same_client_id_is_acked_as_duplicate_and_delivered_once() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let alice_token = srv.user("alice").await;
    let mut alice = srv.ws(&alice_token).await;
    let mut bob = srv.ws_user("bob").await;
    alice.join("lobby").await;
    bob.join("lobby").await;

    let send = |text: &str, cid: &str, id: &str| json!({"type": "send", "room": "lobby", "text": text, "client_id": cid, "id": id});
    let ack_of = |ack: &Value| pick(ack, &["type", "id", "seq", "client_id", "duplicate"]);

    let first = alice.request(send("hello", "c-1", "a")).await;
    assert_eq!(
        ack_of(&first),
        json!({"type": "ack", "id": "a", "seq": 1, "client_id": "c-1", "duplicate": false})
    );
    let again = alice.request(send("hello", "c-1", "b")).await;
    assert_eq!(
        ack_of(&again),
        json!({"type": "ack", "id": "b", "seq": 1, "client_id": "c-1", "duplicate": true})
    );

    // The same user on a new connection (a client retrying after a network loss).
    drop(alice);
    let mut alice = srv.ws(&alice_token).await;
    alice.join("lobby").await;
    let retry = alice.request(send("hello", "c-1", "c")).await;
    assert_eq!(
        ack_of(&retry),
        json!({"type": "ack", "id": "c", "seq": 1, "client_id": "c-1", "duplicate": true})
    );

    // Another user's client_id space is its own.
    let bobs = bob.request(send("mine", "c-1", "d")).await;
    assert_eq!(
        ack_of(&bobs),
        json!({"type": "ack", "id": "d", "seq": 2, "client_id": "c-1", "duplicate": false})
    );

    // Bob saw "hello" once, then his own message: frames arrive in seq order, so a
    // redelivered duplicate would show up between them.
    let delivered: Vec<(i64, String)> = [bob.expect("message").await, bob.expect("message").await]
        .iter()
        .map(|m| (seq(m), text(m).to_string()))
        .collect();
    assert_eq!(delivered, [(1, "hello".to_string()), (2, "mine".to_string())]);
    let stored: Vec<String> = bob.full_history("lobby").await.iter().map(|m| text(m).to_string()).collect();
    assert_eq!(stored, ["hello", "mine"], "history holds the message once");
}

/// A client id is any text up to 128 bytes: quotes, backslashes, control characters,
/// JSON of its own, non-ASCII. A resend (acked after the first committed, so the store
/// is asked) finds exactly its own id, never one that only looks like it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ids_of_any_characters_find_exactly_their_own_message() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let ids = [
        "quote\"d",
        "back\\slash",
        "line\nbreak\ttab\u{1}",
        "[\"c-1\",\"c-2\"]",
        "ünïcødé ✓ 🦀",
        "c-1",
        "c-1 ",
    ];
    let mut seqs = Vec::new();
    for (i, cid) in ids.iter().enumerate() {
        let ack = alice
            .request(json!({"type": "send", "room": "lobby", "text": format!("m{i}"), "client_id": cid}))
            .await;
        assert_eq!(
            (&ack["type"], &ack["duplicate"], &ack["client_id"]),
            (&json!("ack"), &json!(false), &json!(cid)),
            "{ack}"
        );
        seqs.push(seq(&ack));
    }
    for (i, cid) in ids.iter().enumerate() {
        let ack = alice
            .request(json!({"type": "send", "room": "lobby", "text": format!("m{i}"), "client_id": cid}))
            .await;
        assert_eq!((&ack["duplicate"], seq(&ack)), (&json!(true), seqs[i]), "resend of {cid:?}: {ack}");
    }
    let stored: Vec<String> = alice.full_history("lobby").await.iter().map(|m| text(m).to_string()).collect();
    assert_eq!(stored, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"], "each message stored once");
}

/// The next `member_joined` / `member_left` frame as (type, user id).
async fn member_event(ws: &mut WsClient) -> (String, String) {
    let f = ws
        .expect_where("a member event", |f| f["type"] == "member_joined" || f["type"] == "member_left")
        .await;
    assert_eq!(f["room"], "lobby", "{f}");
    (f["type"].as_str().unwrap().to_string(), f["user"]["id"].as_str().expect("user.id").to_string())
}

fn ev(kind: &str, user: &str) -> (String, String) {
    (kind.to_string(), user.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_see_a_user_join_with_its_first_session_and_leave_with_its_last() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    let bob_token = srv.user("bob").await;
    let (mut bob1, mut bob2) = (srv.ws(&bob_token).await, srv.ws(&bob_token).await);
    let mut carol = srv.ws_user("carol").await;
    alice.join("lobby").await;

    let joined = bob1.join("lobby").await;
    let members = joined["members"].as_array().expect("joined.members");
    for name in ["alice", "bob"] {
        let m = members
            .iter()
            .find(|m| m["id"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {joined}"));
        assert_eq!(
            pick(m, &["id", "name", "kind", "role", "online"]),
            json!({"id": name, "name": name, "kind": "user", "role": "member", "online": true})
        );
    }
    let full = alice.expect("member_joined").await;
    assert_eq!(
        pick(&full["user"], &["id", "name", "kind"]),
        json!({"id": "bob", "name": "bob", "kind": "user"})
    );

    // Bob's second session is not news; Carol's join is the next event Alice sees.
    bob2.join("lobby").await;
    carol.join("lobby").await;
    assert_eq!(member_event(&mut alice).await, ev("member_joined", "carol"));

    let left = bob1.request(json!({"type": "leave", "room": "lobby", "id": 9})).await;
    assert_eq!(pick(&left, &["type", "room", "id"]), json!({"type": "left", "room": "lobby", "id": 9}));
    let after = bob1.request(json!({"type": "send", "room": "lobby", "text": "x", "id": 10})).await;
    assert_error_frame(&after, Some(json!(10)), "not_joined");

    // Bob still has a session in the room, so Carol's leave comes first.
    carol.request(json!({"type": "leave", "room": "lobby"})).await;
    assert_eq!(member_event(&mut alice).await, ev("member_left", "carol"));

    // Closing the connection leaves the room like `leave` does.
    drop(bob2);
    assert_eq!(member_event(&mut alice).await, ev("member_left", "bob"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_backwards_with_before_seq_and_limit() {
    let srv = TestServer::start_with(FAST).await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let empty = alice.history("lobby", None, None).await;
    assert_eq!(
        pick(&empty, &["room", "messages", "has_more"]),
        json!({"room": "lobby", "messages": [], "has_more": false})
    );
    for i in 1..=60 {
        alice.say("lobby", &format!("m{i}")).await;
    }

    let page = |h: &Value| -> (Vec<i64>, bool) {
        let msgs = h["messages"].as_array().expect("messages");
        for m in msgs {
            assert_eq!(
                (text(m), &m["from"]["id"]),
                (format!("m{}", seq(m)).as_str(), &json!("alice")),
                "{m}"
            );
        }
        (msgs.iter().map(seq).collect(), h["has_more"].as_bool().expect("has_more"))
    };
    let latest = alice.history("lobby", None, None).await;
    assert_eq!(page(&latest), ((11..=60).collect(), true), "default limit is 50, newest last");
    let older = alice.history("lobby", Some(11), Some(5)).await;
    assert_eq!(page(&older), ((6..=10).collect(), true));
    let oldest = alice.history("lobby", Some(6), Some(5)).await;
    assert_eq!(page(&oldest), ((1..=5).collect(), false), "nothing before seq 1");
    let all = alice.history("lobby", None, Some(500)).await;
    assert_eq!(page(&all), ((1..=60).collect(), false));
}
