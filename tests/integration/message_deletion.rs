//! Message deletion (issue #19, part B): a member's `delete` frame (own messages;
//! moderators: any), the operator's `DELETE …/messages/{seq}` and the bulk
//! `DELETE …/messages?user_id=&since=`. A deleted message is a tombstone: seen live
//! (`message_deleted`), in history (WS and admin API) and in a resume, idempotent, and
//! audited; refused requests change and deliver nothing.

use serde_json::{json, Value};

use crate::common::{assert_api_error, assert_error_frame, seq, text, TestServer, WsClient};

fn delete(srv: &TestServer, path: &str) -> reqwest::RequestBuilder {
    srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token)
}

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    assert_eq!(got, status, "status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The stored message `seq` of `room`, through the admin API.
async fn stored(srv: &TestServer, room: &str, seq: i64) -> Value {
    let path = format!("/api/v1/rooms/{room}/messages?after_seq={}&limit=1", seq - 1);
    let page = json_of(srv.get(&path).send().await.expect("GET messages"), 200).await;
    page["items"][0].clone()
}

/// `m` is the tombstone of message `seq`, deleted by `by`.
fn assert_tombstone(m: &Value, seq: i64, by: &str) {
    assert_eq!(m["type"], "message", "{m}");
    assert_eq!(m["seq"], seq, "{m}");
    assert_eq!(m["text"], "", "a tombstone's text is removed: {m}");
    assert_eq!(m["deleted"], true, "{m}");
    assert_eq!(m["deleted_by"], by, "{m}");
    crate::common::assert_recent_rfc3339(&m["deleted_at"]);
}

/// `m` is an ordinary message: none of the tombstone fields.
fn assert_not_deleted(m: &Value) {
    for key in ["deleted", "deleted_by", "deleted_at"] {
        assert!(m.get(key).is_none(), "{key} on a message that was not deleted: {m}");
    }
}

/// The next `message_deleted`, or `message` above seq `after`, that `ws` received:
/// after a deletion that must deliver nothing, the next message sent comes first.
async fn next_event(ws: &mut WsClient, after: i64) -> Value {
    ws.expect_where("a new message or message_deleted", |f| {
        f["type"] == "message_deleted" || (f["type"] == "message" && seq(f) > after)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_is_seen_live_in_history_and_in_a_resume() {
    // A tail of two messages: one resume replays from the tail, one from the store.
    let srv = TestServer::start_with(&[("ROOMD__ROOMS__TAIL_LEN", "2")]).await;
    srv.create_room("club").await;
    let mut alice = srv.ws_user("alice").await;
    let mut bob = srv.ws_user("bob").await;
    alice.join("club").await;
    bob.join("club").await;
    for n in 1..=4 {
        let ack = alice.say("club", &format!("m{n}")).await;
        assert_eq!(seq(&ack), n);
        bob.expect_where("the message", |f| f["type"] == "message" && f["seq"] == n).await;
    }

    // Alice deletes her own message 3: the reply, then every member session is told.
    let reply = alice.request(json!({"type": "delete", "room": "club", "seq": 3, "reason": "typo"})).await;
    assert_eq!(
        (&reply["type"], &reply["room"], &reply["seq"]),
        (&json!("deleted"), &json!("club"), &json!(3))
    );
    assert_eq!(reply["deleted_by"], "alice", "{reply}");
    crate::common::assert_recent_rfc3339(&reply["deleted_at"]);
    for ws in [&mut alice, &mut bob] {
        let ev = ws.expect("message_deleted").await;
        assert_eq!(
            (&ev["room"], &ev["seq"], &ev["deleted_by"]),
            (&json!("club"), &json!(3), &json!("alice"))
        );
        assert_eq!(ev["deleted_at"], reply["deleted_at"], "{ev}");
    }

    // Deleting it again is answered the same and delivers nothing.
    let again = alice.request(json!({"type": "delete", "room": "club", "seq": 3})).await;
    assert_eq!(
        (&again["type"], &again["seq"], &again["deleted_at"]),
        (&json!("deleted"), &json!(3), &reply["deleted_at"])
    );
    alice.say("club", "m5").await;
    let next = next_event(&mut bob, 4).await;
    assert_eq!(
        (&next["type"], &next["seq"]),
        (&json!("message"), &json!(5)),
        "a second message_deleted: {next}"
    );

    // History, on the socket and through the admin API: the tombstone keeps its seq.
    let page = bob.history("club", None, None).await;
    let msgs = page["messages"].as_array().expect("messages");
    assert_eq!(msgs.iter().map(seq).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert_tombstone(&msgs[2], 3, "alice");
    for m in [&msgs[0], &msgs[1], &msgs[3], &msgs[4]] {
        assert_not_deleted(m);
    }
    assert_eq!(text(&msgs[1]), "m2");
    assert_tombstone(&stored(&srv, "club", 3).await, 3, "alice");
    assert_not_deleted(&stored(&srv, "club", 4).await);

    // A resume from before the room's tail (seqs 4, 5): replayed from the store.
    let mut carol = srv.ws_user("carol").await;
    carol.join_after("club", 2).await;
    let replay: Vec<Value> =
        vec![carol.expect("message").await, carol.expect("message").await, carol.expect("message").await];
    assert_eq!(replay.iter().map(seq).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert_tombstone(&replay[0], 3, "alice");

    // A deletion in the tail: the cached copy is replaced too (a resume from it).
    alice.request(json!({"type": "delete", "room": "club", "seq": 5})).await;
    let mut dave = srv.ws_user("dave").await;
    dave.join_after("club", 4).await;
    assert_tombstone(&dave.expect("message").await, 5, "alice");

    // Audited, with the user as the actor.
    let audit =
        json_of(srv.get("/api/v1/audit?action=message.delete").send().await.expect("GET audit"), 200).await;
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "one entry per deletion, none for the repeat: {audit}");
    let first = &items[1];
    assert_eq!((&first["actor"]["id"], &first["target"]), (&json!("alice"), &json!("club")), "{first}");
    assert_eq!(first["detail"], json!({"seq": 3, "user_id": "alice", "reason": "typo", "via": "websocket"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_moderators_delete_others_messages_and_refusals_change_nothing() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    srv.create_room("other").await;
    let mut alice = srv.ws_user("alice").await;
    let mut bob = srv.ws_user("bob").await;
    alice.join("club").await;
    bob.join("club").await;
    alice.say("club", "alice's").await;
    bob.expect_where("alice's message", |f| f["type"] == "message" && f["seq"] == 1).await;

    // Bob (a member) may not delete Alice's message; nothing is stored or delivered.
    let refused = bob.request(json!({"type": "delete", "room": "club", "seq": 1, "id": 7})).await;
    assert_error_frame(&refused, Some(json!(7)), "forbidden");
    // Not joined, no such seq, bad input.
    let r = bob.request(json!({"type": "delete", "room": "other", "seq": 1, "id": 8})).await;
    assert_error_frame(&r, Some(json!(8)), "not_joined");
    for s in [0, 99] {
        let r = alice.request(json!({"type": "delete", "room": "club", "seq": s, "id": 9})).await;
        assert_error_frame(&r, Some(json!(9)), "not_found");
    }
    let r = alice.request(json!({"type": "delete", "room": "club", "seq": "1", "id": 10})).await;
    assert_error_frame(&r, Some(json!(10)), "bad_request");
    let long = "x".repeat(201);
    let r =
        alice.request(json!({"type": "delete", "room": "club", "seq": 1, "reason": long, "id": 11})).await;
    assert_error_frame(&r, Some(json!(11)), "bad_request");
    assert_not_deleted(&stored(&srv, "club", 1).await);
    assert_eq!(text(&stored(&srv, "club", 1).await), "alice's");
    bob.say("club", "after the refusals").await;
    let next = next_event(&mut alice, 1).await;
    assert_eq!(
        (&next["type"], &next["seq"]),
        (&json!("message"), &json!(2)),
        "something was delivered: {next}"
    );

    // A moderator may delete anyone's message, an operator's post included.
    let resp = srv
        .http()
        .put(srv.url("/api/v1/rooms/club/members/carol"))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"role": "moderator"}))
        .send()
        .await
        .expect("PUT role");
    assert_eq!(resp.status().as_u16(), 200);
    let post = srv
        .post("/api/v1/rooms/club/messages", &json!({"text": "maintenance at noon"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(seq(&json_of(post, 201).await), 3);
    let mut carol = srv.ws_user("carol").await;
    carol.join("club").await;
    for s in [1, 3] {
        let reply = carol.request(json!({"type": "delete", "room": "club", "seq": s})).await;
        assert_eq!((&reply["type"], &reply["deleted_by"]), (&json!("deleted"), &json!("carol")), "{reply}");
        let ev = alice.expect("message_deleted").await;
        assert_eq!(ev["seq"], s);
        assert_tombstone(&stored(&srv, "club", s).await, s, "carol");
    }
    let audit =
        json_of(srv.get("/api/v1/audit?action=message.delete").send().await.expect("GET audit"), 200).await;
    let whom: Vec<&Value> =
        audit["items"].as_array().expect("items").iter().map(|e| &e["detail"]["user_id"]).collect();
    assert_eq!(whom, vec![&json!("system"), &json!("alice")], "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_delete_one_message_or_a_users_recent_messages() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    let mut watcher = srv.ws_user("watcher").await;
    let mut alice = srv.ws_user("alice").await;
    let mut spammer = srv.ws_user("spammer").await;
    for ws in [&mut watcher, &mut alice, &mut spammer] {
        ws.join("club").await;
    }
    alice.say("club", "before the spam").await; // 1
    let first = spammer.say("club", "buy").await; // 2
    alice.say("club", "stop it").await; // 3
    spammer.say("club", "buy now").await; // 4
    spammer.say("club", "cheap").await; // 5
    let spam_start =
        watcher.expect_where("the first spam", |f| f["type"] == "message" && f["seq"] == seq(&first)).await;

    // One message.
    let resp =
        delete(&srv, "/api/v1/rooms/club/messages/3?reason=quoting%20spam").send().await.expect("DELETE");
    let tomb = json_of(resp, 200).await;
    assert_tombstone(&tomb, 3, "system");
    let ev = watcher.expect("message_deleted").await;
    assert_eq!((&ev["seq"], &ev["deleted_by"]), (&json!(3), &json!("system")));
    // Again: the same tombstone, no frame, no audit entry.
    let again =
        json_of(delete(&srv, "/api/v1/rooms/club/messages/3").send().await.expect("DELETE"), 200).await;
    assert_eq!(again, tomb);

    // Bad input.
    assert_api_error(
        delete(&srv, "/api/v1/rooms/club/messages/99").send().await.expect("DELETE"),
        404,
        "not_found",
    )
    .await;
    assert_api_error(
        delete(&srv, "/api/v1/rooms/nope/messages/1").send().await.expect("DELETE"),
        404,
        "not_found",
    )
    .await;
    assert_api_error(
        delete(&srv, "/api/v1/rooms/club/messages/x").send().await.expect("DELETE"),
        400,
        "bad_request",
    )
    .await;
    for q in [
        "",
        "?user_id=spammer",
        "?since=2026-01-01T00:00:00Z",
        "?user_id=spammer&since=yesterday",
        "?user_id=&since=2026-01-01T00:00:00Z",
    ] {
        let resp = delete(&srv, &format!("/api/v1/rooms/club/messages{q}")).send().await.expect("DELETE");
        assert_api_error(resp, 400, "bad_request").await;
    }
    let resp = delete(&srv, "/api/v1/rooms/nope/messages?user_id=spammer&since=2026-01-01T00:00:00Z")
        .send()
        .await
        .expect("DELETE");
    assert_api_error(resp, 404, "not_found").await;

    // Bulk: every message of the spammer since the first spam, in one call.
    let since = spam_start["ts"].as_str().expect("ts").to_string();
    let path = format!("/api/v1/rooms/club/messages?user_id=spammer&since={}&reason=spam", urlencode(&since));
    let bulk = json_of(delete(&srv, &path).send().await.expect("DELETE"), 200).await;
    assert_eq!(bulk, json!({"room": "club", "user_id": "spammer", "deleted": [2, 4, 5]}));
    for s in [2, 4, 5] {
        let ev = watcher.expect("message_deleted").await;
        assert_eq!(ev["seq"], s, "one frame per message, in seq order: {ev}");
        assert_tombstone(&stored(&srv, "club", s).await, s, "system");
    }
    assert_not_deleted(&stored(&srv, "club", 1).await);
    // Again: nothing left to delete.
    let bulk = json_of(delete(&srv, &path).send().await.expect("DELETE"), 200).await;
    assert_eq!(bulk["deleted"], json!([]));
    alice.say("club", "quiet now").await;
    let next = next_event(&mut watcher, 5).await;
    assert_eq!((&next["type"], &next["seq"]), (&json!("message"), &json!(6)), "{next}");

    // A resume sees the tombstones.
    let mut late = srv.ws_user("late").await;
    late.join_after("club", 0).await;
    let mut replay = Vec::new();
    for _ in 0..6 {
        replay.push(late.expect("message").await);
    }
    for (i, m) in replay.iter().enumerate() {
        match i + 1 {
            1 | 6 => assert_not_deleted(m),
            s => assert_tombstone(m, s as i64, "system"),
        }
    }

    // Audit: one entry for the single deletion, one for the bulk one.
    let audit =
        json_of(srv.get("/api/v1/audit?action=message.delete").send().await.expect("GET audit"), 200).await;
    let items = audit["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{audit}");
    assert_eq!(items[0]["detail"]["seqs"], json!([2, 4, 5]));
    assert_eq!(
        (&items[0]["detail"]["user_id"], &items[0]["detail"]["reason"]),
        (&json!("spammer"), &json!("spam"))
    );
    assert_eq!(
        items[1]["detail"],
        json!({"seq": 3, "user_id": "alice", "reason": "quoting spam", "via": "admin_api"})
    );
    assert_eq!(items[0]["target"], "club");
}

/// Percent-encodes a timestamp for a query string (`+` and `:`).
fn urlencode(s: &str) -> String {
    s.replace('%', "%25").replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_deletion_during_a_flood_deletes_exactly_what_was_stored_before_it() {
    let srv = TestServer::start_with(&[
        ("ROOMD__LIMITS__MSGS_PER_SEC", "10000"),
        ("ROOMD__LIMITS__BURST", "10000"),
    ])
    .await;
    srv.create_room("club").await;
    let mut watcher = srv.ws_user("watcher").await;
    let mut spammer = srv.ws_user("spammer").await;
    watcher.join("club").await;
    spammer.join("club").await;
    const N: i64 = 300;
    let send = |n: i64| json!({"type": "send", "room": "club", "text": format!("spam {n}"), "client_id": format!("c{n}")});
    // The flood, not waiting for acks; the deletion is sent while it goes on.
    for n in 1..=20 {
        spammer.send(send(n)).await;
    }
    spammer.expect("ack").await;
    let path = "/api/v1/rooms/club/messages?user_id=spammer&since=2000-01-01T00:00:00Z";
    let (resp, ()) = tokio::join!(delete(&srv, path).send(), async {
        for n in 21..=N {
            spammer.send(send(n)).await;
        }
    });
    let bulk = json_of(resp.expect("DELETE"), 200).await;
    let deleted: Vec<i64> =
        bulk["deleted"].as_array().expect("deleted").iter().map(|v| v.as_i64().expect("seq")).collect();
    assert!(!deleted.is_empty(), "the first message was acked before the deletion: {bulk}");
    // What was stored before the deletion is deleted, what came after is not: the
    // deleted seqs are a prefix of the room's, and the rest are intact.
    assert_eq!(deleted, (1..=deleted.len() as i64).collect::<Vec<_>>(), "{bulk}");
    let mut seen = std::collections::HashSet::new();
    let mut told = Vec::new();
    while seen.len() < N as usize || told.len() < deleted.len() {
        let f = watcher
            .expect_where("a message or message_deleted", |f| {
                f["type"] == "message" || f["type"] == "message_deleted"
            })
            .await;
        if f["type"] == "message" {
            seen.insert(seq(&f));
        } else {
            assert!(seen.contains(&seq(&f)), "message_deleted before its message: {f}");
            told.push(seq(&f));
        }
    }
    assert_eq!(told, deleted);
    for s in 1..=N {
        let m = stored(&srv, "club", s).await;
        if s <= deleted.len() as i64 {
            assert_tombstone(&m, s, "system");
        } else {
            assert_not_deleted(&m);
            assert_eq!(text(&m), format!("spam {s}"));
        }
    }
}
