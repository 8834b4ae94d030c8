//! `GET /api/v1/rooms/{id}/events`: an operator watches a room's messages as
//! Server-Sent Events without joining it. Each message arrives once and in order, a
//! replay from `after_seq` (or `Last-Event-ID`) joins the live messages without gap or
//! duplicate, deletions and the room's deletion are streamed, and the watcher is no
//! member (nobody is told it joined).

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_api_error, seq, TestServer, WsClient};

/// How long an expected event may take (the stream wakes on commit, or within a second).
const WAIT: Duration = Duration::from_secs(5);

/// One event of the stream.
#[derive(Debug)]
struct Event {
    name: String,
    id: Option<i64>,
    data: Value,
}

/// An open event stream, read event by event.
struct Stream {
    resp: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(srv: &TestServer, room: &str, query: &str, last_event_id: Option<&str>) -> Stream {
        let mut req = srv.get(&format!("/api/v1/rooms/{room}/events{query}"));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.expect("GET events");
        assert_eq!(resp.status().as_u16(), 200);
        let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(ctype.starts_with("text/event-stream"), "{ctype}");
        Stream { resp, buf: String::new() }
    }

    /// The next event (comments skipped); `None` when the stream ended or nothing came
    /// within `within`.
    async fn next_within(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(ev) = parse(&block) {
                    return Some(ev);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await.ok()?;
            let chunk = chunk.expect("event chunk")?;
            self.buf.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    async fn expect(&mut self, name: &str) -> Event {
        let ev = self.next_within(WAIT).await.unwrap_or_else(|| panic!("no {name} event within {WAIT:?}"));
        assert_eq!(ev.name, name, "{ev:?}");
        ev
    }

    /// The next `n` events, each a `message`; their seqs.
    async fn messages(&mut self, n: usize) -> Vec<i64> {
        let mut seqs = Vec::new();
        for _ in 0..n {
            let ev = self.expect("message").await;
            assert_eq!(ev.id, ev.data["seq"].as_i64(), "the event id is the seq: {ev:?}");
            seqs.push(ev.id.expect("id"));
        }
        seqs
    }

    /// Nothing more arrives for a while (the stream is still open).
    async fn assert_quiet(&mut self) {
        if let Some(ev) = self.next_within(Duration::from_millis(1500)).await {
            panic!("unexpected event {ev:?}");
        }
    }
}

fn parse(block: &str) -> Option<Event> {
    let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
    let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
    let id = block.lines().find_map(|l| l.strip_prefix("id: ")).map(|i| i.parse().expect("numeric id"));
    Some(Event { name: name.into(), id, data: serde_json::from_str(data).expect("event data is JSON") })
}

/// A room with a member `alice` in it; her session.
async fn room_with_alice(srv: &TestServer, room: &str) -> WsClient {
    srv.create_room(room).await;
    let mut alice = srv.ws_user("alice").await;
    alice.join(room).await;
    alice
}

async fn say_all(ws: &mut WsClient, room: &str, texts: &[&str]) -> Vec<i64> {
    let mut seqs = Vec::new();
    for t in texts {
        seqs.push(seq(&ws.say(room, t).await));
    }
    seqs
}

#[tokio::test]
async fn new_messages_arrive_once_in_order_as_history_shows_them() {
    let srv = TestServer::start().await;
    let mut alice = room_with_alice(&srv, "feed").await;
    say_all(&mut alice, "feed", &["before"]).await;
    let mut stream = Stream::open(&srv, "feed", "", None).await;
    let sent = say_all(&mut alice, "feed", &["one", "two", "three", "four", "five"]).await;
    assert_eq!(stream.messages(5).await, sent, "only the messages sent after opening, in order");
    stream.assert_quiet().await;

    // The data is the message as the history shows it.
    let page: Value =
        srv.get("/api/v1/rooms/feed/messages?after_seq=1").send().await.unwrap().json().await.unwrap();
    let mut again = Stream::open(&srv, "feed", "?after_seq=1", None).await;
    for item in page["items"].as_array().unwrap() {
        assert_eq!(&again.expect("message").await.data, item);
    }
}

#[tokio::test]
async fn watching_is_not_joining() {
    let srv = TestServer::start().await;
    let mut alice = room_with_alice(&srv, "quiet").await;
    let mut stream = Stream::open(&srv, "quiet", "", None).await;
    let sent = say_all(&mut alice, "quiet", &["hello"]).await;
    assert_eq!(stream.messages(1).await, sent);

    let members: Value = srv.get("/api/v1/rooms/quiet/members").send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> =
        members["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["alice"], "only alice is a member: {members}");
    // Alice was told of nobody joining (her own message came back, nothing else).
    while let Some(frame) = alice.try_next(Duration::from_millis(1500)).await {
        assert_ne!(frame["type"], "member_joined", "{frame}");
        assert_ne!(frame["type"], "presence", "{frame}");
    }
    let room: Value = srv.get("/api/v1/rooms/quiet").send().await.unwrap().json().await.unwrap();
    assert_eq!(room["members_online"], 1, "{room}");
}

#[tokio::test]
async fn a_replay_joins_the_live_messages_without_gap_or_duplicate() {
    let srv = TestServer::start().await;
    let mut alice = room_with_alice(&srv, "replay").await;
    let early = say_all(&mut alice, "replay", &["a", "b", "c", "d"]).await;
    let mut from_query = Stream::open(&srv, "replay", &format!("?after_seq={}", early[1]), None).await;
    let last = early[3].to_string();
    let mut from_header = Stream::open(&srv, "replay", "", Some(&last)).await;
    // `after_seq` wins over the header.
    let mut both = Stream::open(&srv, "replay", "?after_seq=0", Some(&last)).await;
    let late = say_all(&mut alice, "replay", &["e", "f"]).await;

    assert_eq!(from_query.messages(4).await, [&early[2..], &late[..]].concat());
    assert_eq!(from_header.messages(2).await, late);
    assert_eq!(both.messages(6).await, [&early[..], &late[..]].concat());
    from_query.assert_quiet().await;
    from_header.assert_quiet().await;
}

#[tokio::test]
async fn a_long_replay_comes_in_order_while_messages_keep_coming() {
    let srv = TestServer::start().await;
    let mut alice = room_with_alice(&srv, "long").await;
    let texts: Vec<String> = (0..60).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut sent = say_all(&mut alice, "long", &refs[..30]).await;
    let mut stream = Stream::open(&srv, "long", "?after_seq=0", None).await;
    sent.extend(say_all(&mut alice, "long", &refs[30..]).await);
    assert_eq!(stream.messages(60).await, sent);
    stream.assert_quiet().await;
}

#[tokio::test]
async fn deletions_are_streamed_and_the_room_deletion_ends_the_stream() {
    let srv = TestServer::start().await;
    let mut alice = room_with_alice(&srv, "doomed").await;
    let mut stream = Stream::open(&srv, "doomed", "", None).await;
    let sent = say_all(&mut alice, "doomed", &["oops"]).await;
    assert_eq!(stream.messages(1).await, sent);

    let del = srv.http().delete(srv.url(&format!("/api/v1/rooms/doomed/messages/{}", sent[0])));
    assert_eq!(del.bearer_auth(&srv.admin_token).send().await.unwrap().status().as_u16(), 200);
    let ev = stream.expect("message_deleted").await;
    assert_eq!(ev.data["room"], "doomed");
    assert_eq!(ev.data["seq"], sent[0]);
    assert_eq!(ev.data["deleted_by"], "system");
    crate::common::assert_recent_rfc3339(&ev.data["deleted_at"]);

    let del = srv.http().delete(srv.url("/api/v1/rooms/doomed"));
    assert_eq!(del.bearer_auth(&srv.admin_token).send().await.unwrap().status().as_u16(), 204);
    assert_eq!(stream.expect("room_deleted").await.data, json!({"room": "doomed"}));
    let end = tokio::time::timeout(WAIT, stream.resp.chunk()).await.expect("the stream ends");
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test]
async fn a_room_deleted_while_nobody_runs_it_ends_the_stream() {
    let srv = TestServer::start().await;
    srv.create_room("idle").await;
    let mut stream = Stream::open(&srv, "idle", "", None).await;
    let del = srv.http().delete(srv.url("/api/v1/rooms/idle?purge=true"));
    assert_eq!(del.bearer_auth(&srv.admin_token).send().await.unwrap().status().as_u16(), 204);
    assert_eq!(stream.expect("room_deleted").await.data, json!({"room": "idle"}));
}

#[tokio::test]
async fn refusals() {
    let srv = TestServer::start().await;
    srv.create_room("r").await;
    let plain = srv.http().get(srv.url("/api/v1/rooms/r/events")).send().await.unwrap();
    assert_api_error(plain, 401, "unauthorized").await;
    assert_api_error(srv.get("/api/v1/rooms/nope/events").send().await.unwrap(), 404, "not_found").await;
    for q in ["?after_seq=x", "?after_seq=-1", "?after_seq=1.5"] {
        let resp = srv.get(&format!("/api/v1/rooms/r/events{q}")).send().await.unwrap();
        assert_api_error(resp, 400, "bad_request").await;
    }
    for h in ["x", "-3"] {
        let resp = srv.get("/api/v1/rooms/r/events").header("Last-Event-ID", h).send().await.unwrap();
        assert_api_error(resp, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn a_shutdown_ends_the_stream_instead_of_holding_the_server_up() {
    // The shutdown timeout is 5 s by default: a stream left open would hold the
    // process that long and then be cut without an end.
    let mut srv = TestServer::start().await;
    srv.create_room("r").await;
    let mut stream = Stream::open(&srv, "r", "", None).await;
    srv.terminate();
    let ended = async {
        while let Some(chunk) = stream.resp.chunk().await.expect("the stream ends cleanly") {
            assert!(chunk.starts_with(b":"), "only comments before the end: {chunk:?}");
        }
    };
    tokio::time::timeout(Duration::from_secs(3), ended).await.expect("the stream ends");
    let status =
        srv.wait_exit(Duration::from_secs(3)).await.expect("the server exits well within its timeout");
    assert!(status.success(), "{status:?}");
}
