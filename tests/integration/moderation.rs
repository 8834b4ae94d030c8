//! Bans, mutes and the moderation commands (issue #19): a ban closes the room for the
//! user (`room_closed`, reason `banned`) and refuses their joins with `banned` until it
//! lapses, without a restart, and survives a restart; a mute refuses sends with
//! `muted` while the user stays and reads; `!kick`, `!ban`, `!unban`, `!mute`,
//! `!unmute` with their role checks; every change in the audit log with who made it;
//! bad input refused with nothing stored; a ban or a `!kick` right after `joined`
//! succeeds 50 times out of 50.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_api_error, assert_error_frame, seq, text, TestServer, WsClient, LONG};

fn put(srv: &TestServer, path: &str, body: Value) -> reqwest::RequestBuilder {
    srv.http().put(srv.url(path)).bearer_auth(&srv.admin_token).json(&body)
}

fn delete(srv: &TestServer, path: &str) -> reqwest::RequestBuilder {
    srv.http().delete(srv.url(path)).bearer_auth(&srv.admin_token)
}

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    assert_eq!(got, status, "status; body: {body}");
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Every item of `GET path` (one page of up to 500).
async fn items(srv: &TestServer, path: &str) -> Vec<Value> {
    let page = json_of(srv.get(path).query(&[("limit", "500")]).send().await.expect("GET"), 200).await;
    page["items"].as_array().unwrap_or_else(|| panic!("items: {page}")).clone()
}

async fn member_ids(srv: &TestServer, room: &str) -> Vec<String> {
    let members = items(srv, &format!("/api/v1/rooms/{room}/members")).await;
    members.iter().map(|m| m["id"].as_str().expect("id").to_string()).collect()
}

/// The audit entries with `action`, newest first.
async fn audit(srv: &TestServer, action: &str) -> Vec<Value> {
    let page = json_of(
        srv.get("/api/v1/audit").query(&[("action", action), ("limit", "500")]).send().await.expect("GET"),
        200,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

fn in_ms(ms: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::milliseconds(ms))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `join` that must be refused with `banned`; returns the error frame.
async fn refused_join(ws: &mut WsClient, room: &str) -> Value {
    let reply = ws.request(json!({"type": "join", "room": room, "id": "j"})).await;
    assert_error_frame(&reply, Some(json!("j")), "banned");
    assert!(reply.as_object().expect("object").contains_key("expires_at"), "{reply}");
    reply
}

/// Joins `room` again and again until the join is accepted (a ban lapsing).
async fn join_once_lapsed(ws: &mut WsClient, room: &str) -> Value {
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let reply = ws.request(json!({"type": "join", "room": room})).await;
        if reply["type"] == "joined" {
            return reply;
        }
        assert_eq!(reply["code"], "banned", "{reply}");
        assert!(tokio::time::Instant::now() < deadline, "the ban did not lapse within {LONG:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The next system message (a command's reply).
async fn system_message(c: &mut WsClient) -> Value {
    c.expect_where("a system message", |f| f["type"] == "message" && f["from"]["kind"] == "system").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_closes_the_room_refuses_joins_until_it_lapses_and_survives_a_restart() {
    let mut srv = TestServer::start().await;
    srv.create_room("club").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("club").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("club").await;
    alice.expect("member_joined").await;

    // A ban with an expiry: bob's session leaves the room at once, the others see him go.
    let expires = in_ms(3000);
    let resp = put(&srv, "/api/v1/rooms/club/bans/bob", json!({"expires_at": expires, "reason": "spam"}));
    let ban = json_of(resp.send().await.expect("PUT"), 200).await;
    assert_eq!(
        (&ban["room"], &ban["user_id"], &ban["reason"]),
        (&json!("club"), &json!("bob"), &json!("spam"))
    );
    let until = ban["expires_at"].as_str().expect("expires_at").to_string();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&until).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&expires).unwrap()
    );
    let closed = bob.expect("room_closed").await;
    assert_eq!((&closed["room"], &closed["reason"]), (&json!("club"), &json!("banned")));
    let left = alice.expect("member_left").await;
    assert_eq!(left["user"]["id"], "bob");
    let reply = bob.request(json!({"type": "send", "room": "club", "text": "still here?"})).await;
    assert_eq!(reply["code"], "not_joined", "{reply}");
    assert_eq!(member_ids(&srv, "club").await, ["alice"]);
    let listed = items(&srv, "/api/v1/rooms/club/bans").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((&listed[0]["user_id"], &listed[0]["expires_at"]), (&json!("bob"), &json!(until)));

    // Refused with `banned` and the expiry, until it lapses — then let in, no restart.
    let refused = refused_join(&mut bob, "club").await;
    assert_eq!(refused["expires_at"], json!(until));
    join_once_lapsed(&mut bob, "club").await;
    assert!(items(&srv, "/api/v1/rooms/club/bans").await.is_empty(), "a lapsed ban is not listed");
    bob.say("club", "back").await;

    // A ban without expiry of a user who never joined: stored, so it holds after a restart.
    let ban = json_of(put(&srv, "/api/v1/rooms/club/bans/carol", json!({})).send().await.unwrap(), 200).await;
    assert_eq!((&ban["expires_at"], &ban["reason"]), (&Value::Null, &Value::Null));
    drop((alice, bob));
    srv.terminate();
    assert!(srv.wait_exit(LONG).await.is_some(), "the server did not stop");
    srv.restart().await;
    let mut carol = srv.ws_user("carol").await;
    let refused = refused_join(&mut carol, "club").await;
    assert_eq!(refused["expires_at"], Value::Null);
    assert!(!member_ids(&srv, "club").await.contains(&"carol".to_string()), "a refused join stores nothing");

    // Lifted: she may join; lifting again is 404.
    json_of(delete(&srv, "/api/v1/rooms/club/bans/carol").send().await.unwrap(), 204).await;
    carol.join("club").await;
    assert_api_error(delete(&srv, "/api/v1/rooms/club/bans/carol").send().await.unwrap(), 404, "not_found")
        .await;

    let bans = audit(&srv, "member.ban").await;
    let targets: Vec<&Value> = bans.iter().map(|e| &e["target"]).collect();
    assert_eq!(targets, [&json!("club/carol"), &json!("club/bob")]);
    assert_eq!(bans[1]["detail"], json!({"expires_at": until, "reason": "spam"}));
    assert_eq!(audit(&srv, "member.unban").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_user_stays_and_reads_but_cannot_send_until_the_mute_lapses() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("club").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("club").await;

    let mute = json_of(
        put(&srv, "/api/v1/rooms/club/mutes/bob", json!({"duration": "2s"})).send().await.unwrap(),
        200,
    )
    .await;
    let until = mute["expires_at"].as_str().expect("expires_at").to_string();
    let last = seq(&alice.say("club", "before").await);
    bob.expect_where("alice's message", |f| f["type"] == "message" && f["text"] == "before").await;

    let reply = bob.request(json!({"type": "send", "room": "club", "text": "let me talk", "id": 7})).await;
    assert_error_frame(&reply, Some(json!(7)), "muted");
    assert_eq!(reply["expires_at"], json!(until));
    // Nothing stored, and bob still reads what others send.
    let ack = alice.say("club", "you still read this").await;
    assert_eq!(seq(&ack), last + 1, "the refused send took no seq");
    let m = bob
        .expect_where("alice's message", |f| f["type"] == "message" && f["text"] == "you still read this")
        .await;
    assert_eq!(seq(&m), last + 1);
    assert!(member_ids(&srv, "club").await.contains(&"bob".to_string()));
    assert_eq!(items(&srv, "/api/v1/rooms/club/mutes").await.len(), 1);

    // It lapses without a restart.
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let reply = bob.request(json!({"type": "send", "room": "club", "text": "may I?"})).await;
        if reply["type"] == "ack" {
            break;
        }
        assert_eq!(reply["code"], "muted", "{reply}");
        assert!(tokio::time::Instant::now() < deadline, "the mute did not lapse within {LONG:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A mute until lifted, then lifted.
    json_of(
        put(&srv, "/api/v1/rooms/club/mutes/bob", json!({"reason": "cool off"})).send().await.unwrap(),
        200,
    )
    .await;
    let reply = bob.request(json!({"type": "send", "room": "club", "text": "and now?"})).await;
    assert_eq!((&reply["code"], &reply["expires_at"]), (&json!("muted"), &Value::Null), "{reply}");
    json_of(delete(&srv, "/api/v1/rooms/club/mutes/bob").send().await.unwrap(), 204).await;
    bob.say("club", "thanks").await;
    let mutes = audit(&srv, "member.mute").await;
    assert_eq!(mutes.len(), 2);
    assert_eq!(mutes[0]["detail"], json!({"expires_at": null, "reason": "cool off"}));
    assert_eq!(audit(&srv, "member.unmute").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ban_and_mute_input_is_refused_with_the_field_named_and_nothing_is_stored() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    let resp = put(&srv, "/api/v1/rooms/nowhere/bans/bob", json!({})).send().await.unwrap();
    assert_api_error(resp, 404, "not_found").await;
    for kind in ["bans", "mutes"] {
        let path = format!("/api/v1/rooms/club/{kind}/bob");
        let cases = [
            (json!({"duration": "10x"}), "duration"),
            (json!({"duration": "0s"}), "duration"),
            (json!({"expires_at": in_ms(-1000)}), "expires_at"),
            (json!({"expires_at": "tomorrow"}), "expires_at"),
            (json!({"expires_at": in_ms(60_000), "duration": "1h"}), "duration"),
            (json!({"reason": "x".repeat(501)}), "reason"),
            (json!({"reason": "a\u{0}b"}), "reason"),
            (json!({"until": "1h"}), "until"),
        ];
        for (body, field) in cases {
            let resp = put(&srv, &path, body.clone()).send().await.unwrap();
            let status = resp.status().as_u16();
            let err = resp.text().await.unwrap();
            assert_eq!(status, 422, "{body}: {err}");
            assert!(err.contains(field), "{body}: the message must name {field}: {err}");
        }
        let resp = put(&srv, &format!("/api/v1/rooms/club/{kind}/system"), json!({})).send().await.unwrap();
        assert_api_error(resp, 422, "unprocessable").await;
        assert!(items(&srv, &format!("/api/v1/rooms/club/{kind}")).await.is_empty(), "nothing stored");
        let resp = delete(&srv, &format!("/api/v1/rooms/club/{kind}/bob")).send().await.unwrap();
        assert_api_error(resp, 404, "not_found").await;
        let resp = srv.get(&format!("/api/v1/rooms/nowhere/{kind}")).send().await.unwrap();
        assert_api_error(resp, 404, "not_found").await;
    }
    assert!(audit(&srv, "member.ban").await.is_empty() && audit(&srv, "member.mute").await.is_empty());

    // Banning a user who never joined applies at their first join.
    json_of(
        put(&srv, "/api/v1/rooms/club/bans/newbie", json!({"duration": "1h"})).send().await.unwrap(),
        200,
    )
    .await;
    let mut newbie = srv.ws_user("newbie").await;
    let refused = refused_join(&mut newbie, "club").await;
    assert!(refused["expires_at"].is_string(), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderation_commands_check_roles_act_and_are_audited_with_the_invoker() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    for (user, role) in [("mod", "moderator"), ("boss", "admin")] {
        let resp = put(&srv, &format!("/api/v1/rooms/club/members/{user}"), json!({"role": role}));
        json_of(resp.send().await.unwrap(), 200).await;
    }
    let mut m = srv.ws_user("mod").await;
    m.join("club").await;
    let mut boss = srv.ws_user("boss").await;
    boss.join("club").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("club").await;
    let mut dave = srv.ws_user("dave").await;
    dave.join("club").await;

    // A member may not moderate; a moderator may not act on an admin, nor on themselves.
    bob.say("club", "!kick @dave").await;
    let notice = bob.expect("notice").await;
    assert!(text(&notice).contains("!kick needs role moderator or higher; yours here is member"), "{notice}");
    m.say("club", "!ban @boss").await;
    let notice = m.expect("notice").await;
    assert!(text(&notice).contains("boss is admin here"), "{notice}");
    m.say("club", "!mute @mod").await;
    assert!(text(&m.expect("notice").await).contains("yourself"));
    assert_eq!(member_ids(&srv, "club").await, ["bob", "boss", "dave", "mod"]);

    // Bad arguments are a `bad_request` before anything is stored.
    let last = seq(&m.say("club", "checkpoint").await);
    for bad in ["!ban @dave 10x", "!ban @", "!unban @dave now", "!mute"] {
        let reply = m.request(json!({"type": "send", "room": "club", "text": bad, "id": "b"})).await;
        assert_error_frame(&reply, Some(json!("b")), "bad_request");
    }
    assert_eq!(seq(&m.say("club", "after").await), last + 1, "refused commands took no seq");

    // !kick: dave leaves the room and may join again.
    m.say("club", "!kick @dave").await;
    let closed = dave.expect("room_closed").await;
    assert_eq!(closed["reason"], "kicked");
    assert_eq!(text(&system_message(&mut bob).await), "dave was kicked by mod");
    dave.join("club").await;

    // !ban with a duration and a reason: closed, refused with the expiry; !unban lets in.
    m.say("club", "!ban dave 1h flooding").await;
    assert_eq!(dave.expect("room_closed").await["reason"], "banned");
    let reply = system_message(&mut bob).await;
    assert!(
        text(&reply).starts_with("dave was banned by mod (until ") && text(&reply).ends_with("): flooding"),
        "{reply}"
    );
    let refused = refused_join(&mut dave, "club").await;
    let until =
        chrono::DateTime::parse_from_rfc3339(refused["expires_at"].as_str().expect("expiry")).unwrap();
    let hour = until.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&hour), "expires in {hour} s");
    assert_eq!(items(&srv, "/api/v1/rooms/club/bans").await[0]["created_by"], "mod");
    m.say("club", "!unban @dave").await;
    assert_eq!(text(&system_message(&mut bob).await), "dave was unbanned by mod");
    dave.join("club").await;
    m.say("club", "!unban @dave").await;
    assert!(text(&m.expect("notice").await).contains("dave is not banned here"));

    // !mute / !unmute.
    m.say("club", "!mute @dave 10m").await;
    assert!(text(&system_message(&mut bob).await).starts_with("dave was muted by mod (until "));
    let reply = dave.request(json!({"type": "send", "room": "club", "text": "hey"})).await;
    assert_eq!(reply["code"], "muted", "{reply}");
    m.say("club", "!unmute @dave").await;
    assert_eq!(text(&system_message(&mut bob).await), "dave was unmuted by mod");
    dave.say("club", "hey").await;

    // An admin may act on the moderator; a global admin token counts as owner.
    boss.say("club", "!mute @mod").await;
    assert!(text(&system_message(&mut bob).await).starts_with("mod was muted by boss (until lifted)"));
    let mut op = srv.ws(&srv.admin_token).await;
    op.join("club").await;
    op.say("club", "!kick @boss").await;
    assert_eq!(boss.expect("room_closed").await["reason"], "kicked");
    // Posted once the removal committed and the audit entry was written.
    assert!(text(&system_message(&mut bob).await).starts_with("boss was kicked by "));

    // Every change is audited with the invoking user as the actor and no request id.
    for (action, target, actor) in [
        ("member.kick", "club/dave", "mod"),
        ("member.ban", "club/dave", "mod"),
        ("member.unban", "club/dave", "mod"),
        ("member.mute", "club/mod", "boss"),
        ("member.unmute", "club/dave", "mod"),
    ] {
        let entries = audit(&srv, action).await;
        let e =
            entries.iter().find(|e| e["target"] == target).unwrap_or_else(|| panic!("{action}: {entries:?}"));
        assert_eq!((&e["actor"]["id"], &e["request_id"]), (&json!(actor), &Value::Null), "{e}");
    }
    let ban = &audit(&srv, "member.ban").await[0];
    assert_eq!(ban["detail"]["reason"], "flooding");
    assert_eq!(audit(&srv, "member.kick").await.len(), 2, "the two kicks, one refused kick not audited");
    assert_eq!(audit(&srv, "member.unban").await.len(), 1, "an unban of nobody is not audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_or_a_kick_command_right_after_joined_succeeds_50_times_out_of_50() {
    let mut srv = TestServer::start().await;
    srv.create_room("club").await;
    json_of(
        put(&srv, "/api/v1/rooms/club/members/mod", json!({"role": "moderator"})).send().await.unwrap(),
        200,
    )
    .await;
    let mut m = srv.ws_user("mod").await;
    m.join("club").await;
    for n in 0..50 {
        let name = format!("guest{n:02}");
        let mut ws = srv.ws_user(&name).await;
        ws.join("club").await;
        let reason = if n % 2 == 0 {
            // As soon as `joined` arrived, the ban removes the member.
            json_of(
                put(&srv, &format!("/api/v1/rooms/club/bans/{name}"), json!({})).send().await.unwrap(),
                200,
            )
            .await;
            "banned"
        } else {
            m.say("club", &format!("!kick @{name}")).await;
            // Posted once the removal committed.
            let done = format!("{name} was kicked by mod");
            m.expect_where("the kick's reply", |f| f["type"] == "message" && f["text"] == done.as_str())
                .await;
            "kicked"
        };
        let closed = ws.expect("room_closed").await;
        assert_eq!(closed["reason"], reason, "{name}: {closed}");
        if reason == "banned" {
            refused_join(&mut ws, "club").await;
        }
        assert!(!member_ids(&srv, "club").await.contains(&name), "{name} is still listed");
    }
    assert_eq!(member_ids(&srv, "club").await, ["mod"]);
    drop(m);
    srv.terminate();
    assert!(srv.wait_exit(LONG).await.is_some(), "the server did not stop");
    srv.restart().await;
    assert_eq!(member_ids(&srv, "club").await, ["mod"], "no queued write brought anyone back");
    assert_eq!(items(&srv, "/api/v1/rooms/club/bans").await.len(), 25);
}
