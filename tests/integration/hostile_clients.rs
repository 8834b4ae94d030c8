//! Clients that lie, flood or stop reading (docs/PROTOCOL.md, "Limits"): each is
//! refused or closed without making the server hold more than its limits, and
//! well-behaved clients beside them are not disturbed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::common::raw_ws::{End, RawWs, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT};
use crate::common::{eventually, seq, Auth, TestServer, WsClient, TIMEOUT};
use tokio_tungstenite::tungstenite;

/// A sample of `name` (with its labels, as exposed) from `/metrics`.
async fn metric(srv: &TestServer, name: &str) -> f64 {
    let body = srv.get("/metrics").send().await.expect("GET /metrics").text().await.expect("body");
    body.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
        .trim()
        .parse()
        .expect("a number")
}

async fn open_sessions(srv: &TestServer) -> f64 {
    metric(srv, "roomd_ws_connections").await
}

/// A raw client of a fresh user, past `hello`.
async fn raw_user(srv: &TestServer, name: &str, recv_buffer: Option<u32>) -> RawWs {
    let token = srv.user(name).await;
    let mut ws = RawWs::connect(&srv.addr, &token, recv_buffer).await;
    assert_eq!(ws.read_json(TIMEOUT).await["type"], "hello");
    ws
}

async fn raw_join(ws: &mut RawWs, room: &str) {
    ws.write(&RawWs::text(&json!({"type": "join", "room": room, "id": "j"}).to_string())).await;
    assert_eq!(ws.read_json(TIMEOUT).await["type"], "joined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_declaring_more_than_the_frame_limit_closes_with_1009_before_any_payload() {
    let srv = TestServer::start().await;
    for declared in [65_537u64, 1 << 62] {
        let mut ws = raw_user(&srv, "liar", None).await;
        // Only the header: a server that waits for the payload never answers.
        let mut header = vec![0x80 | OP_TEXT, 0x80 | 127];
        header.extend_from_slice(&declared.to_be_bytes());
        header.extend_from_slice(&[1, 2, 3, 4]);
        ws.write(&header).await;
        let (code, frames) = ws.read_until_close(TIMEOUT).await;
        assert_eq!(code, Some(1009), "declared {declared} bytes; frames before the close: {frames:?}");
        assert_eq!(ws.drain_until_end(TIMEOUT).await, End::Eof);
    }
    // The same limit holds for a message in fragments that add up past it.
    let mut ws = raw_user(&srv, "fragmenter", None).await;
    let part = vec![b'a'; 40 * 1024];
    ws.write(&RawWs::frame(false, OP_TEXT, &part)).await;
    ws.write(&RawWs::frame(true, OP_CONTINUATION, &part)).await;
    assert_eq!(ws.read_until_close(TIMEOUT).await.0, Some(1009));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragmented_message_is_handled_as_one() {
    let srv = TestServer::start().await;
    srv.create_room("lobby").await;
    let mut ws = raw_user(&srv, "alice", None).await;
    raw_join(&mut ws, "lobby").await;
    let send = json!({"type": "send", "room": "lobby", "text": "héllo in parts", "id": "s1"}).to_string();
    let (a, rest) = send.as_bytes().split_at(10);
    let (b, c) = rest.split_at(3); // splits the two-byte 'é' across fragments
    let mut bytes = RawWs::frame(false, OP_TEXT, a);
    bytes.extend(RawWs::frame(true, OP_PING, b"between"));
    bytes.extend(RawWs::frame(false, OP_CONTINUATION, b));
    bytes.extend(RawWs::frame(true, OP_CONTINUATION, c));
    ws.write(&bytes).await;
    let ack = ws.read_json(TIMEOUT).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(seq(&ack), 1);
    let msg = ws.read_json(TIMEOUT).await;
    assert_eq!(msg["text"], "héllo in parts", "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_text_closes_with_1007() {
    let srv = TestServer::start().await;
    let mut ws = raw_user(&srv, "alice", None).await;
    ws.write(&RawWs::frame(true, OP_TEXT, b"{\"type\":\"ping\",\"id\":\"\xC3\x28\"}")).await;
    assert_eq!(ws.read_until_close(TIMEOUT).await.0, Some(1007));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_close_handshake_the_server_closes_tcp_first_and_at_once() {
    let srv = TestServer::start().await;
    let mut ws = raw_user(&srv, "alice", None).await;
    ws.write(&RawWs::frame(true, OP_CLOSE, &1000u16.to_be_bytes())).await;
    assert_eq!(ws.read_until_close(TIMEOUT).await.0, Some(1000));
    // actix-web alone lingers a second waiting for the client to close first.
    let started = std::time::Instant::now();
    assert_eq!(ws.drain_until_end(Duration::from_millis(500)).await, End::Eof);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_frames_is_rate_limited_and_closed_after_the_violation_limit() {
    let srv = TestServer::start().await;
    let mut ws = raw_user(&srv, "flooder", None).await;
    // 5,000 tiny frames of every kind that is not a valid request, in one write.
    let mut flood = Vec::new();
    for i in 0..5_000 {
        flood.extend(match i % 4 {
            0 => RawWs::frame(true, OP_BINARY, b"x"),
            1 => RawWs::text("x"),
            2 => RawWs::frame(true, OP_PING, b""),
            _ => RawWs::text(r#"{"type":"nope"}"#),
        });
    }
    ws.write(&flood).await;
    let (code, frames) = ws.read_until_close(TIMEOUT).await;
    assert_eq!(code, Some(4002), "closed for policy violations");
    // The burst (100 by default), then one rate_limited error per violation (10).
    let limited = frames.iter().filter(|f| f["code"] == "rate_limited").count();
    assert!(frames.len() <= 110, "{} replies to a flood of 5,000 frames", frames.len());
    assert!((1..=10).contains(&limited), "{limited} rate_limited errors");
}

/// A server with `setting` and no frame-rate or repeat limits for the senders, room
/// `lobby`, and in it a client with a tiny receive buffer that will not read.
async fn stalled_in_a_fast_room(setting: (&str, &str)) -> (TestServer, RawWs) {
    let srv = TestServer::start_with(&[
        setting,
        ("ROOMD__LIMITS__MSGS_PER_SEC", "100000"),
        ("ROOMD__LIMITS__BURST", "100000"),
        ("ROOMD__SPAM__MAX_REPEATS", "0"),
    ])
    .await;
    srv.create_room("lobby").await;
    let mut stalled = raw_user(&srv, "stalled", Some(4096)).await;
    raw_join(&mut stalled, "lobby").await;
    (srv, stalled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_past_max_outbound_bytes_and_others_get_everything() {
    let (srv, mut stalled) = stalled_in_a_fast_room(("ROOMD__LIMITS__MAX_OUTBOUND_BYTES", "262144")).await;
    let mut reader = srv.ws_user("reader").await;
    reader.join("lobby").await;
    let mut sender = srv.ws_user("sender").await;
    sender.join("lobby").await;
    assert_eq!(open_sessions(&srv).await, 3.0);

    // ~16 MB: more than the stalled client's socket buffers and 256 KiB together.
    let total = 4_000;
    let read = Arc::new(AtomicUsize::new(0));
    let reading = tokio::spawn({
        let read = read.clone();
        async move {
            let mut seqs = Vec::with_capacity(total);
            while seqs.len() < total {
                seqs.push(seq(&reader.expect("message").await));
                read.store(seqs.len(), Ordering::Relaxed);
            }
            (seqs, reader)
        }
    });
    let text = "x".repeat(4000);
    for i in 0..total {
        // The reader keeps up: at most 50 messages (200 KB) behind.
        while i > read.load(Ordering::Relaxed) + 50 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sender
            .send(json!({"type": "send", "room": "lobby", "text": text, "client_id": format!("m{i}")}))
            .await;
        if i % 10 == 9 {
            // Reads up to the pong: the sender drains its own acks and messages.
            sender.ping().await;
        }
    }
    eventually("the stalled client is dropped as a slow consumer", TIMEOUT, || async {
        metric(&srv, "roomd_ws_closed_total{reason=\"slow_consumer\"}").await >= 1.0
    })
    .await;
    eventually("the stalled session is gone", TIMEOUT, || async { open_sessions(&srv).await <= 2.0 }).await;
    let slow = metric(&srv, "roomd_ws_closed_total{reason=\"slow_consumer\"}").await;
    assert_eq!((open_sessions(&srv).await, slow), (2.0, 1.0), "only the stalled client was dropped");
    // The reader, who reads, got every message in order.
    let (seqs, _still_open) = reading.await.expect("reader");
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>(), "a gap or a reorder");
    // The stalled client's connection is gone: it finds the end once it reads.
    let end = stalled.drain_until_end(TIMEOUT).await;
    assert!(matches!(end, End::Eof | End::Reset), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_neither_reads_nor_writes_is_closed_after_the_heartbeat_timeout() {
    let (srv, mut stalled) = stalled_in_a_fast_room(("ROOMD__SESSION__HEARTBEAT_MS", "1000")).await;
    let mut sender = srv.ws_user("sender").await;
    sender.join("lobby").await;
    // Fill the stalled client's window (well under max_outbound_bytes).
    let text = "y".repeat(4000);
    for i in 0..500 {
        sender
            .send(json!({"type": "send", "room": "lobby", "text": text, "client_id": format!("m{i}")}))
            .await;
        if i % 10 == 9 {
            sender.ping().await;
        }
    }
    // Silent past two heartbeats, it is closed although its window is full; the
    // sender, who reads and answers pings, stays.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while metric(&srv, "roomd_ws_closed_total{reason=\"unread\"}").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "the stalled client's connection was not cut");
        sender.ping().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open_sessions(&srv).await, 1.0);
    let end = stalled.drain_until_end(TIMEOUT).await;
    assert!(matches!(end, End::Eof | End::Reset), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_limited_per_token_and_per_ip_including_loopback() {
    let srv = TestServer::start_with(&[
        ("ROOMD__LIMITS__MAX_SESSIONS_PER_TOKEN", "2"),
        ("ROOMD__LIMITS__MAX_SESSIONS_PER_IP", "3"),
    ])
    .await;
    let token = srv.user("alice").await;
    let a1 = srv.ws(&token).await;
    let _a2 = srv.ws(&token).await;
    assert_eq!(refuse_status(&srv, &token).await, 429, "a third session of one token");
    drop(a1);
    eventually("alice's first session is gone", TIMEOUT, || async { open_sessions(&srv).await == 1.0 }).await;
    let _a3 = srv.ws(&token).await;
    // Another token from the same (loopback) address: the third session from it is
    // the last one allowed.
    let bob = srv.user("bob").await;
    let _b1 = srv.ws(&bob).await;
    assert_eq!(refuse_status(&srv, &bob).await, 429, "a fourth session from 127.0.0.1");
}

async fn refuse_status(srv: &TestServer, token: &str) -> u16 {
    WsClient::refused_status(&srv.addr, Auth::Query(token)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_ceiling_upgrades_are_refused_with_503_and_a_log_line() {
    let srv = TestServer::start_with(&[("ROOMD__LIMITS__MAX_CONNECTIONS", "4")]).await;
    let token = srv.user("alice").await;
    // The admin client's pooled connection counts too: the ceiling comes within 4.
    let mut open = Vec::new();
    let status = loop {
        match WsClient::try_connect(&srv.addr, Auth::Query(&token)).await {
            Ok(ws) => open.push(ws),
            Err(tungstenite::Error::Http(resp)) => break resp.status().as_u16(),
            Err(e) => panic!("expected an HTTP refusal, got {e}"),
        }
        assert!(open.len() <= 4, "{} sessions open past max_connections = 4", open.len());
    };
    assert_eq!(status, 503);
    assert!(!open.is_empty());
    eventually("a log line says why", TIMEOUT, || async {
        srv.stdout_text().contains("too many open connections")
            || srv.stderr_text().contains("too many open connections")
    })
    .await;
    // The admin API still answers on its open connection.
    let rooms = srv.get("/api/v1/rooms").send().await.expect("GET /rooms");
    assert_eq!(rooms.status(), 200);
    open.clear();
    eventually("connections closed", TIMEOUT, || async { open_sessions(&srv).await == 0.0 }).await;
    let _again = srv.ws(&token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_sent_with_the_upgrade_request_are_read() {
    // A client may send its first frames without waiting for the 101; they arrive
    // with the request, before the server hands the socket to the session.
    let srv = TestServer::start().await;
    srv.create_room("early").await;
    let token = srv.user("eager").await;
    let mut early = RawWs::text(&json!({"type": "join", "room": "early", "id": "j"}).to_string());
    early.extend(RawWs::text(
        &json!({"type": "send", "room": "early", "text": "first", "id": "s"}).to_string(),
    ));
    let mut ws = RawWs::connect_sending(&srv.addr, &token, None, &early).await;
    assert_eq!(ws.read_json(TIMEOUT).await["type"], "hello");
    let joined = ws.read_json(TIMEOUT).await;
    assert_eq!((joined["type"].as_str(), joined["id"].as_str()), (Some("joined"), Some("j")), "{joined}");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let f = ws.read_json(TIMEOUT).await;
        seen.push((f["type"].as_str().unwrap_or_default().to_string(), f["seq"].as_i64()));
    }
    seen.sort();
    assert_eq!(seen, vec![("ack".to_string(), Some(1)), ("message".to_string(), Some(1))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_request_to_another_route_gets_that_routes_answer_then_the_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = TestServer::start().await;
    srv.create_room("listed").await;
    for (path, auth, status, needle) in [
        ("/api/v1/rooms", true, "200", "\"listed\""),
        ("/api/v1/rooms", false, "401", "\"unauthorized\""),
        ("/nowhere", false, "404", "\"not_found\""),
    ] {
        let mut tcp = tokio::net::TcpStream::connect(&srv.addr).await.expect("connect");
        let bearer =
            if auth { format!("Authorization: Bearer {}\r\n", srv.admin_token) } else { String::new() };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{bearer}Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            srv.addr
        );
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(TIMEOUT, tcp.read_to_end(&mut answer))
            .await
            .expect("the server answers and closes the connection")
            .expect("read");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{path}: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{path}: {answer}");
        assert!(answer.contains(needle), "{path}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn however_connections_end_they_give_back_their_place_under_max_connections() {
    // Each connection counts against `limits.max_connections` until its socket
    // closes. Ending connections in every way, many times the ceiling over, must leave
    // room for new sessions: a count that leaked would refuse them with 503.
    use tokio::io::AsyncWriteExt;
    let srv = TestServer::start_with(&[("ROOMD__LIMITS__MAX_CONNECTIONS", "6")]).await;
    let token = srv.user("churn").await;
    for round in 0..8 {
        // A close handshake.
        let mut ws = raw_user(&srv, "churn-close", None).await;
        ws.write(&RawWs::frame(true, OP_CLOSE, &1000u16.to_be_bytes())).await;
        let (code, _) = ws.read_until_close(TIMEOUT).await;
        assert_eq!(code, Some(1000), "round {round}");
        assert_eq!(ws.drain_until_end(TIMEOUT).await, End::Eof);
        // A reset, and a plain FIN without a close frame.
        raw_user(&srv, "churn-reset", None).await.reset();
        drop(raw_user(&srv, "churn-drop", None).await);
        // A refused upgrade (401), and an upgrade request to another route (404).
        assert_eq!(refuse_status(&srv, "rmd_not_a_token").await, 401);
        let mut tcp = tokio::net::TcpStream::connect(&srv.addr).await.expect("connect");
        let request = format!(
            "GET /nowhere HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            srv.addr
        );
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(TIMEOUT, tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut answer))
            .await
            .expect("answered and closed")
            .expect("read");
        assert!(answer.starts_with(b"HTTP/1.1 404"), "round {round}");
    }
    // The admin client's pooled connection counts too: four sessions fit under six.
    eventually("every ended connection gave its place back", TIMEOUT, || async {
        let mut open = Vec::new();
        for _ in 0..4 {
            match WsClient::try_connect(&srv.addr, Auth::Query(&token)).await {
                Ok(ws) => open.push(ws),
                Err(_) => return false,
            }
        }
        true
    })
    .await;
}
