//! `!commands` and bots (issue #8 A): bot tokens used like user tokens; the built-ins
//! (`!help`, `!rules`, `!status`, `!stats`, `!announce`) with their roles, replies as
//! system messages and refusals as `notice` to the invoker only; roles that expire
//! without a restart; commands registered by a real bot client, forwarded as
//! `command` frames and answered with `reply_to`; timeouts, unregistration on
//! disconnect, name conflicts, `*` registrations; bad input refused, nothing stored.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_error_frame, pick, seq, text, TestServer, WsClient, LONG};

const SYSTEM: &str = "system";

/// A bot session named `name`, joined to `rooms`.
async fn bot(srv: &TestServer, name: &str, rooms: &[&str]) -> WsClient {
    let token = srv.token("bot", name).await;
    let mut b = srv.ws(&token).await;
    assert_eq!(b.hello["user"]["kind"], "bot", "{}", b.hello);
    for r in rooms {
        b.join(r).await;
    }
    b
}

/// `register_command`; returns the reply (`registered` or `error`).
async fn register(b: &mut WsClient, room: &str, name: &str, extra: Value) -> Value {
    let mut frame = json!({"type": "register_command", "room": room, "name": name, "description": "test"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            frame[k] = v;
        }
    }
    b.request(frame).await
}

/// The next `message` frame from the system sender.
async fn system_message(c: &mut WsClient) -> Value {
    c.expect_where("a system message", |f| f["type"] == "message" && f["from"]["kind"] == SYSTEM).await
}

/// Frames up to and including the first that matches `last`.
async fn frames_until(c: &mut WsClient, last: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let f = c.next().await;
        let done = last(&f);
        seen.push(f);
        if done {
            return seen;
        }
    }
}

fn is_message(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |f: &Value| f["type"] == "message" && f["text"] == text
}

fn put_role(srv: &TestServer, room: &str, user: &str, body: Value) -> reqwest::RequestBuilder {
    srv.http()
        .put(srv.url(&format!("/api/v1/rooms/{room}/members/{user}")))
        .bearer_auth(&srv.admin_token)
        .json(&body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_join_read_send_and_resume_like_users() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let mut b = bot(&srv, "helper", &["lobby"]).await;

    let ack = alice.say("lobby", "hello bot").await;
    let m = b.expect("message").await;
    assert_eq!((seq(&m), text(&m)), (seq(&ack), "hello bot"));

    let ack = b.say("lobby", "hello human").await;
    let m = alice.expect_where("the bot's message", is_message("hello human")).await;
    assert_eq!(m["from"], json!({"id": "helper", "name": "helper", "kind": "bot"}));
    let last_seen = seq(&ack);

    // The bot drops its connection, misses two messages, and resumes after its last seq.
    drop(b);
    alice.say("lobby", "missed 1").await;
    alice.say("lobby", "missed 2").await;
    let token = srv.token("bot", "helper").await;
    let mut b = srv.ws(&token).await;
    let joined = b.join_after("lobby", last_seen).await;
    assert_eq!(seq(&joined), last_seen + 2);
    let replay: Vec<String> =
        [b.expect("message").await, b.expect("message").await].iter().map(|m| text(m).to_string()).collect();
    assert_eq!(replay, ["missed 1", "missed 2"]);
    let history = b.full_history("lobby").await;
    assert_eq!(history.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_reply_as_system_messages_and_refuse_with_a_notice_to_the_invoker_only() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let resp = srv
        .http()
        .patch(srv.url("/api/v1/rooms/lobby"))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"settings": {"rules": "Be kind."}}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(resp.status().as_u16(), 200);
    let (mut alice, mut bob) = (srv.ws_user("alice").await, srv.ws_user("bob").await);
    alice.join("lobby").await;
    bob.join("lobby").await;

    // The invoking message is stored and delivered; the reply is a system message.
    let ack = alice.say("lobby", "!help").await;
    let invoking = bob.expect("message").await;
    assert_eq!((seq(&invoking), text(&invoking)), (seq(&ack), "!help"));
    let help = system_message(&mut bob).await;
    assert_eq!(help["from"], json!({"id": "system", "name": "system", "kind": "system"}));
    assert_eq!(seq(&help), seq(&ack) + 1);
    for listed in ["!help", "!rules", "!status"] {
        assert!(text(&help).contains(listed), "{help}");
    }
    for hidden in ["!stats", "!announce"] {
        assert!(!text(&help).contains(hidden), "a member may not use {hidden}: {help}");
    }
    assert_eq!(system_message(&mut alice).await, help, "everyone gets the same reply");

    alice.say("lobby", "!rules").await;
    let rules = system_message(&mut bob).await;
    assert_eq!(text(&rules), "Rules of lobby:\nBe kind.");

    alice.say("lobby", "!status").await;
    let status = system_message(&mut bob).await;
    let s = text(&status);
    assert!(
        s.contains("2 online (alice, bob)") && s.contains("last seq 5") && s.contains("0 restarts"),
        "{s}"
    );

    // Refusals: a notice to alice only; the invoking messages are stored.
    for (cmd, why) in [
        ("!stats", "needs role moderator"),
        ("!announce hi", "needs role admin"),
        ("!status now", "takes no arguments"),
    ] {
        alice.say("lobby", cmd).await;
        let notice = alice.expect("notice").await;
        assert_eq!(notice["room"], "lobby");
        assert!(text(&notice).contains(why), "{cmd}: {notice}");
    }
    alice.say("lobby", "after the refusals").await;
    let seen = frames_until(&mut bob, is_message("after the refusals")).await;
    assert!(seen.iter().all(|f| f["type"] == "message" && f["from"]["kind"] != SYSTEM), "bob saw {seen:?}");
    for cmd in ["!stats", "!announce hi", "!status now"] {
        assert!(seen.iter().any(is_message(cmd)), "the invoking message {cmd} is delivered: {seen:?}");
    }

    // A global admin acts as owner: !announce and !stats work.
    let admin = srv.admin_token.clone();
    let mut op = srv.ws(&admin).await;
    let joined = op.join("lobby").await;
    let me = joined["members"].as_array().and_then(|ms| ms.iter().find(|m| m["kind"] == "admin").cloned());
    assert_eq!(me.map(|m| m["role"].clone()), Some(json!("owner")), "the role in force is shown: {joined}");
    op.say("lobby", "!announce Maintenance at noon").await;
    let ann = system_message(&mut bob).await;
    assert_eq!(
        pick(&ann, &["text", "announcement", "from"]),
        json!({"text": "Maintenance at noon", "announcement": true,
               "from": {"id": "system", "name": "system", "kind": "system"}})
    );
    assert!(help.get("announcement").is_none(), "only announcements carry the flag: {help}");
    op.say("lobby", "!stats").await;
    let stats = system_message(&mut bob).await;
    let s = text(&stats);
    assert!(s.contains("messages today") && s.contains("alice ("), "{s}");

    // The flag is stored: history shows it too.
    let history = bob.full_history("lobby").await;
    let stored = history.iter().find(|m| m["seq"] == ann["seq"]).expect("announcement in history");
    assert_eq!(stored["announcement"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_grant_lapses_in_the_room_without_a_restart() {
    // The same `!stats` is sent until the grant lapses: lift the repeated-text limit.
    let srv = TestServer::start_with(&[("ROOMD__SPAM__MAX_REPEATS", "0")]).await;
    srv.create_room("club").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("club").await;
    let expires = (chrono::Utc::now() + chrono::Duration::milliseconds(3000)).to_rfc3339();
    let resp = put_role(&srv, "club", "bob", json!({"role": "moderator", "expires_at": expires}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(resp.status().as_u16(), 200);

    bob.say("club", "!stats").await;
    let reply = system_message(&mut bob).await;
    assert!(text(&reply).starts_with("Stats of club"), "{reply}");

    // Once the grant ends, the same command is refused (no restart, no new PUT).
    let deadline = tokio::time::Instant::now() + LONG;
    let notice = loop {
        assert!(tokio::time::Instant::now() < deadline, "the grant did not lapse within {LONG:?}");
        bob.say("club", "!stats").await;
        let f = bob
            .expect_where("a reply or a notice", |f| {
                f["type"] == "notice" || (f["type"] == "message" && f["from"]["kind"] == SYSTEM)
            })
            .await;
        if f["type"] == "notice" {
            break f;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(text(&notice).contains("needs role moderator or higher; yours here is member"), "{notice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_command_is_forwarded_and_answered_with_reply_to() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut b = bot(&srv, "echo-bot", &["lobby"]).await;
    let reg = register(&mut b, "lobby", "echo", json!({"id": 5, "description": "Echo text back"})).await;
    assert_eq!(
        reg,
        json!({"type": "registered", "id": 5, "room": "lobby", "name": "echo",
               "description": "Echo text back", "min_role": "member"})
    );
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;

    let ack = alice.say("lobby", "!echo hello  there").await;
    let invoking = b.expect("message").await;
    let cmd = b.expect("command").await;
    assert_eq!(seq(&invoking), seq(&ack));
    assert_eq!(
        pick(&cmd, &["room", "name", "args", "from", "seq"]),
        json!({"room": "lobby", "name": "echo", "args": "hello  there",
               "from": {"id": "alice", "name": "alice", "kind": "user"}, "seq": seq(&ack)})
    );
    let invocation = cmd["invocation"].as_str().expect("invocation id").to_string();

    let reply = b
        .request(json!({"type": "send", "room": "lobby", "text": "hello  there", "reply_to": invocation}))
        .await;
    assert_eq!(reply["type"], "ack", "{reply}");
    let answer = alice
        .expect_where("the bot's answer", |f| f["type"] == "message" && f["from"]["kind"] == "bot")
        .await;
    assert_eq!(
        pick(&answer, &["seq", "text", "reply_to", "from"]),
        json!({"seq": seq(&ack) + 1, "text": "hello  there", "reply_to": invocation,
               "from": {"id": "echo-bot", "name": "echo-bot", "kind": "bot"}})
    );
    // The bot's command shows in !help with its description.
    alice.say("lobby", "!help").await;
    let help = system_message(&mut alice).await;
    assert!(text(&help).contains("!echo — Echo text back (bot echo-bot)"), "{help}");

    // min_role: a moderator-only command is refused to a member with a notice.
    let reg = register(&mut b, "lobby", "purge", json!({"min_role": "moderator"})).await;
    assert_eq!(reg["type"], "registered", "{reg}");
    alice.say("lobby", "!purge").await;
    let notice = alice.expect("notice").await;
    assert!(text(&notice).contains("!purge needs role moderator"), "{notice}");
    b.ping().await;
    alice.say("lobby", "!echo again").await;
    let next_cmd = b.expect("command").await;
    assert_eq!(next_cmd["args"], "again", "the refused !purge was not forwarded: {next_cmd}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_command_times_out_with_a_notice_and_late_answers_are_refused() {
    let srv = TestServer::start_with(&[("ROOMD__COMMANDS__TIMEOUT_MS", "300")]).await;
    srv.create_room("lobby").await;
    let mut b = bot(&srv, "sleepy", &["lobby"]).await;
    assert_eq!(register(&mut b, "lobby", "slow", json!({})).await["type"], "registered");
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;

    let ack = alice.say("lobby", "!slow").await;
    let cmd = b.expect("command").await;
    let notice = alice.expect("notice").await;
    assert_eq!(notice["room"], "lobby");
    assert_eq!(text(&notice), "!slow: bot sleepy did not answer within 300 ms");

    let late = b
        .request(json!({"type": "send", "room": "lobby", "text": "too late", "reply_to": cmd["invocation"]}))
        .await;
    assert_error_frame(&late, Some(late["id"].clone()), "bad_request");
    let last = alice.say("lobby", "next").await;
    assert_eq!(seq(&last), seq(&ack) + 1, "the late answer was not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_resent_after_the_timeout_gets_its_original_seq_as_a_duplicate() {
    // A bot that lost its connection after answering cannot know whether the answer
    // was stored: resending it with the same client_id must say so, not refuse it.
    let srv = TestServer::start_with(&[("ROOMD__COMMANDS__TIMEOUT_MS", "300")]).await;
    srv.create_room("lobby").await;
    let mut b = bot(&srv, "answerer", &["lobby"]).await;
    assert_eq!(register(&mut b, "lobby", "ask", json!({})).await["type"], "registered");
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "!ask").await;
    let cmd = b.expect("command").await;
    let answer = json!({"type": "send", "room": "lobby", "text": "42", "reply_to": cmd["invocation"],
                        "client_id": "answer-1"});
    let first = b.request(answer.clone()).await;
    assert_eq!((first["type"].as_str(), first["duplicate"].as_bool()), (Some("ack"), Some(false)), "{first}");
    alice.expect_where("the answer", |f| f["type"] == "message" && f["text"] == "42").await;

    tokio::time::sleep(Duration::from_millis(600)).await; // the invocation has expired
    let again = b.request(answer).await;
    assert_eq!(again["type"], "ack", "a resend of a stored answer is acked: {again}");
    assert_eq!((again["seq"].clone(), again["duplicate"].clone()), (first["seq"].clone(), json!(true)));
    let unknown = b
        .request(json!({"type": "send", "room": "lobby", "text": "43", "reply_to": cmd["invocation"],
                        "client_id": "answer-2"}))
        .await;
    assert_error_frame(&unknown, Some(unknown["id"].clone()), "bad_request");
    let next = alice.say("lobby", "next").await;
    assert_eq!(seq(&next), seq(&first) + 1, "neither resend stored anything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_commands_go_away_when_its_last_session_disconnects() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let mut b = bot(&srv, "echo-bot", &["lobby"]).await;
    let mut b2 = bot(&srv, "echo-bot", &["lobby"]).await;
    assert_eq!(register(&mut b, "lobby", "echo", json!({})).await["type"], "registered");

    // One of two sessions going keeps the command; the other session takes it over
    // (retried: an invocation may still reach the closing session at first).
    drop(b);
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "the second session never got the command");
        alice.say("lobby", "!echo one").await;
        match b2.try_next(Duration::from_millis(500)).await {
            Some(f) if f["type"] == "command" => break,
            _ => {}
        }
    }

    drop(b2);
    alice
        .expect_where("the bot leaves", |f| f["type"] == "member_left" && f["user"]["id"] == "echo-bot")
        .await;
    alice.say("lobby", "!echo two").await;
    alice.say("lobby", "!help").await;
    let help = system_message(&mut alice).await;
    assert!(!text(&help).contains("!echo"), "{help}");

    // Back without registering: not forwarded; another bot may now take the name.
    let mut b = bot(&srv, "echo-bot", &["lobby"]).await;
    alice.say("lobby", "!echo three").await;
    let seen = frames_until(&mut b, is_message("!echo three")).await;
    b.ping().await;
    assert!(b.try_next(Duration::from_millis(300)).await.is_none(), "nothing forwarded");
    assert!(seen.iter().all(|f| f["type"] != "command"), "{seen:?}");
    let mut other = bot(&srv, "other-bot", &["lobby"]).await;
    assert_eq!(register(&mut other, "lobby", "echo", json!({})).await["type"], "registered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_cannot_claim_one_name_and_builtins_cannot_be_taken() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut first = bot(&srv, "first", &["lobby"]).await;
    let mut second = bot(&srv, "second", &["lobby"]).await;
    assert_eq!(register(&mut first, "lobby", "deploy", json!({})).await["type"], "registered");

    let clash = register(&mut second, "lobby", "deploy", json!({})).await;
    assert_error_frame(&clash, Some(clash["id"].clone()), "bad_request");
    assert_eq!(clash["message"], "!deploy is already registered in this room by bot first");
    let builtin = register(&mut second, "lobby", "help", json!({})).await;
    assert_error_frame(&builtin, Some(builtin["id"].clone()), "bad_request");
    assert!(builtin["message"].as_str().unwrap_or("").contains("built-in"), "{builtin}");

    // The holder may register it again (new description); it stays the holder's.
    let again = register(&mut first, "lobby", "deploy", json!({"description": "v2"})).await;
    assert_eq!(again["description"], "v2");
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    alice.say("lobby", "!deploy now").await;
    assert_eq!(first.expect("command").await["args"], "now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_star_registration_applies_in_every_room_the_bot_is_in_and_joins_later() {
    let srv = TestServer::start().await;
    for r in ["a", "b", "c"] {
        srv.create_room(r).await;
    }
    let mut holder = bot(&srv, "holder", &["b"]).await;
    assert_eq!(register(&mut holder, "b", "ping", json!({})).await["type"], "registered");
    let mut b = bot(&srv, "pinger", &["a", "b"]).await;

    let reg = register(&mut b, "*", "ping", json!({})).await;
    assert_eq!(
        pick(&reg, &["type", "room", "name", "rooms", "conflicts"]),
        json!({"type": "registered", "room": "*", "name": "ping", "rooms": ["a"], "conflicts": ["b"]})
    );
    b.join("c").await;
    let mut alice = srv.ws_user("alice").await;
    for r in ["a", "c"] {
        alice.join(r).await;
        alice.say(r, "!ping").await;
        let cmd = b.expect("command").await;
        assert_eq!(cmd["room"], r);
    }
    alice.join("b").await;
    alice.say("b", "!ping").await;
    assert_eq!(holder.expect("command").await["room"], "b", "room b keeps its first holder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_command_input_gets_a_clear_error_and_nothing_is_stored() {
    let srv = TestServer::start_with(&[
        ("ROOMD__LIMITS__MAX_TEXT", "100"),
        ("ROOMD__COMMANDS__TIMEOUT_MS", "60000"),
    ])
    .await;
    srv.create_room("lobby").await;
    srv.create_room("other").await;
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;
    let mut b = bot(&srv, "echo-bot", &["lobby"]).await;
    let mut b2 = bot(&srv, "rival", &["lobby"]).await;
    assert_eq!(register(&mut b, "lobby", "echo", json!({})).await["type"], "registered");
    let first = alice.say("lobby", "before").await;

    // Registration input (0 = alice, 1 = echo-bot, 2 = rival).
    let cases = [
        (0, json!({"room": "lobby", "name": "mine"}), "forbidden"),
        (2, json!({"room": "lobby", "name": "Bad Name"}), "bad_request"),
        (2, json!({"room": "lobby", "name": "x".repeat(33)}), "bad_request"),
        (2, json!({"room": "lobby", "name": "ok", "description": "d".repeat(201)}), "bad_request"),
        (2, json!({"room": "lobby", "name": "ok", "min_role": "king"}), "bad_request"),
        (2, json!({"room": "other", "name": "ok"}), "not_joined"),
        (2, json!({"room": "No Such", "name": "ok"}), "bad_request"),
        (2, json!({"room": "lobby", "name": 7}), "bad_request"),
    ];
    for (who, mut frame, code) in cases {
        let client = [&mut alice, &mut b, &mut b2].into_iter().nth(who).expect("client");
        frame["type"] = json!("register_command");
        let reply = client.request(frame.clone()).await;
        assert_error_frame(&reply, Some(reply["id"].clone()), code);
        assert!(!reply["message"].as_str().unwrap_or("").is_empty(), "{frame} → {reply}");
    }

    // reply_to: unknown, someone else's, from a user; huge args; missing args.
    alice.say("lobby", "!echo hi").await;
    let cmd = b.expect("command").await;
    let sends = [
        (1, json!({"text": "x", "reply_to": "inv-nope"}), "bad_request"),
        (2, json!({"text": "x", "reply_to": cmd["invocation"]}), "forbidden"),
        (0, json!({"text": "x", "reply_to": cmd["invocation"]}), "forbidden"),
        (0, json!({"text": format!("!echo {}", "y".repeat(100))}), "too_large"),
        (0, json!({"text": "!announce"}), "bad_request"),
        (0, json!({"text": "!announce   "}), "bad_request"),
    ];
    for (who, mut frame, code) in sends {
        let client = [&mut alice, &mut b, &mut b2].into_iter().nth(who).expect("client");
        frame["type"] = json!("send");
        frame["room"] = json!("lobby");
        let reply = client.request(frame.clone()).await;
        assert_error_frame(&reply, Some(reply["id"].clone()), code);
    }
    let last = alice.say("lobby", "after").await;
    assert_eq!(seq(&last), seq(&first) + 2, "only `!echo hi` was stored in between");
    // The real answer still works after the refused ones.
    let ok = b
        .request(json!({"type": "send", "room": "lobby", "text": "hi", "reply_to": cmd["invocation"]}))
        .await;
    assert_eq!(ok["type"], "ack", "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_made_before_the_first_join_applies_when_the_user_joins() {
    let srv = TestServer::start().await;
    srv.create_room("club").await;
    let mut bob = srv.ws_user("bob").await;
    bob.join("club").await; // the room is running now
    let resp = put_role(&srv, "club", "carol", json!({"role": "moderator"})).send().await.expect("PUT");
    assert_eq!(resp.status().as_u16(), 200);
    let mut carol = srv.ws_user("carol").await;
    carol.join("club").await;
    carol.say("club", "!stats").await;
    let reply = system_message(&mut carol).await;
    assert!(text(&reply).starts_with("Stats of club"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_and_pending_invocations_survive_a_room_crash() {
    let srv = TestServer::start_with(&[
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
        ("ROOMD__COMMANDS__TIMEOUT_MS", "1000"),
    ])
    .await;
    srv.create_room("lobby").await;
    let mut b = bot(&srv, "echo-bot", &["lobby"]).await;
    assert_eq!(register(&mut b, "lobby", "echo", json!({})).await["type"], "registered");
    let mut alice = srv.ws_user("alice").await;
    alice.join("lobby").await;

    alice.say("lobby", "!echo before").await;
    let pending = b.expect("command").await;
    let resp = srv.post("/api/v1/rooms/lobby/crash", &json!({})).send().await.expect("POST crash");
    assert_eq!(resp.status().as_u16(), 202);

    // The unanswered invocation still times out after the restart…
    let notice = alice.expect("notice").await;
    assert_eq!(text(&notice), "!echo: bot echo-bot did not answer within 1000 ms");
    // …and the registration still forwards.
    alice.say("lobby", "!echo after").await;
    let cmd = b.expect("command").await;
    assert_eq!(cmd["args"], "after");
    assert_ne!(cmd["invocation"], pending["invocation"]);
    let ok = b
        .request(json!({"type": "send", "room": "lobby", "text": "after", "reply_to": cmd["invocation"]}))
        .await;
    assert_eq!(ok["type"], "ack", "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_with_kind_bot_is_a_bot_and_a_jwt_user_cannot_register() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    const SECRET: &str = "commands-test-secret";
    let jwt = |sub: &str, kind: Option<&str>| {
        let mut claims = json!({"sub": sub, "exp": chrono::Utc::now().timestamp() + 3600});
        if let Some(k) = kind {
            claims["kind"] = json!(k);
        }
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
            .expect("encode JWT")
    };
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    srv.create_room("lobby").await;
    let mut b = srv.ws(&jwt("jwt-bot", Some("bot"))).await;
    assert_eq!(b.hello["user"]["kind"], "bot");
    b.join("lobby").await;
    assert_eq!(register(&mut b, "lobby", "hi", json!({})).await["type"], "registered");

    let mut u = srv.ws(&jwt("jwt-user", None)).await;
    u.join("lobby").await;
    let refused = register(&mut u, "lobby", "mine", json!({})).await;
    assert_error_frame(&refused, Some(refused["id"].clone()), "forbidden");
    u.say("lobby", "!hi").await;
    let cmd = b.expect("command").await;
    assert_eq!(cmd["from"], json!({"id": "jwt-user", "name": "jwt-user", "kind": "user"}));
    let ok = b
        .request(json!({"type": "send", "room": "lobby", "text": "hello", "reply_to": cmd["invocation"]}))
        .await;
    assert_eq!(ok["type"], "ack", "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_holds_at_most_256_bot_commands() {
    let srv = TestServer::start_with(crate::common::FAST).await;
    srv.create_room("lobby").await;
    let mut b = bot(&srv, "busy-bot", &["lobby"]).await;
    for i in 0..256 {
        let reg = register(&mut b, "lobby", &format!("c{i}"), json!({})).await;
        assert_eq!(reg["type"], "registered", "{reg}");
    }
    let over = register(&mut b, "lobby", "c256", json!({})).await;
    assert_error_frame(&over, Some(over["id"].clone()), "bad_request");
    assert_eq!(over["message"], "this room already has 256 bot commands");
    let again = register(&mut b, "lobby", "c7", json!({"description": "still updatable"})).await;
    assert_eq!(again["type"], "registered", "{again}");
}
