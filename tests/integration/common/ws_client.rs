//! `WsClient`: a real WebSocket client (tokio-tungstenite, Nagle off) speaking the
//! `/ws` JSON protocol. Frames that arrive while the test waits for something else
//! are kept, in order, in a buffer, so `expect("ack")` never loses a `message`.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, http::header, Message};
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};

use super::TIMEOUT;

/// How the upgrade request carries the token.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// `?token=…`
    Query(&'a str),
    /// `Authorization: Bearer …`
    Header(&'a str),
    /// No credentials at all.
    Anonymous,
}

/// What `WsClient::next_within` gave: a frame, the end of the connection, or silence.
#[allow(dead_code)] // used by the cluster tests
#[derive(Debug)]
pub enum Next {
    Frame(Value),
    /// Close frame code, or `None` when the connection just ended (e.g. the server died).
    Closed(Option<u16>),
    /// Nothing arrived in time; the connection is still open.
    Silent,
}

/// What one read from the socket gave.
enum Read {
    Frame(Value),
    /// Close frame code, or `None` when the connection just ended.
    Closed(Option<u16>),
    TimedOut,
}

/// One session.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read but not yet taken by the test, oldest first.
    pending: VecDeque<Value>,
    /// Set once the socket is closed: the close code, if there was a close frame.
    closed: Option<Option<u16>>,
    /// The `hello` frame.
    pub hello: Value,
    next_id: u64,
}

impl WsClient {
    /// Connects with `?token=` and reads `hello`; panics if refused.
    pub async fn connect(addr: &str, token: &str) -> Self {
        Self::try_connect(addr, Auth::Query(token))
            .await
            .unwrap_or_else(|e| panic!("WebSocket upgrade refused: {e}"))
    }

    /// Connects; the first frame must be `hello`.
    pub async fn try_connect(addr: &str, auth: Auth<'_>) -> Result<Self, tungstenite::Error> {
        let url = match auth {
            Auth::Query(t) => format!(
                "ws://{addr}/ws?token={}",
                url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            ),
            _ => format!("ws://{addr}/ws"),
        };
        let mut req = url.into_client_request()?;
        if let Auth::Header(t) = auth {
            req.headers_mut()
                .insert(header::AUTHORIZATION, format!("Bearer {t}").parse().expect("header value"));
        }
        let (ws, _) = tokio::time::timeout(TIMEOUT, connect_async_with_config(req, None, true))
            .await
            .unwrap_or_else(|_| panic!("WebSocket upgrade to {addr} timed out"))?;
        let mut client = Self { ws, pending: VecDeque::new(), closed: None, hello: Value::Null, next_id: 0 };
        let hello = client.next().await;
        assert_eq!(hello["type"], "hello", "the first frame must be hello, got {hello}");
        client.hello = hello;
        Ok(client)
    }

    /// The HTTP status of an upgrade the server refuses; panics if it is accepted.
    pub async fn refused_status(addr: &str, auth: Auth<'_>) -> u16 {
        match Self::try_connect(addr, auth).await {
            Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
            Err(e) => panic!("expected an HTTP refusal, got {e}"),
            Ok(c) => panic!("upgrade accepted, hello: {}", c.hello),
        }
    }

    // ---- writing ----

    /// Sends one JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_raw(frame.to_string()).await;
    }

    /// Sends one text frame as is (may be invalid JSON on purpose).
    pub async fn send_raw(&mut self, text: String) {
        if let Err(e) = self.ws.send(Message::text(text)).await {
            panic!("WebSocket send failed: {e}");
        }
    }

    /// Like `send`, but reports failure (the server may be gone) instead of panicking.
    pub async fn try_send(&mut self, frame: Value) -> bool {
        self.ws.send(Message::text(frame.to_string())).await.is_ok()
    }

    // ---- reading ----

    /// The next frame of any type (buffered first).
    pub async fn next(&mut self) -> Value {
        self.expect_where("any frame", |_| true).await
    }

    /// The next frame within `within`, or `None` if the socket closed or stayed silent.
    pub async fn try_next(&mut self, within: Duration) -> Option<Value> {
        if let Some(f) = self.pending.pop_front() {
            return Some(f);
        }
        match self.read(Instant::now() + within).await {
            Read::Frame(f) => Some(f),
            Read::Closed(_) | Read::TimedOut => None,
        }
    }

    /// The next frame within `within` (buffered first), telling a closed socket
    /// (with its close code) from a silent one. Never panics on a dead server.
    #[allow(dead_code)] // used by the cluster tests
    pub async fn next_within(&mut self, within: Duration) -> Next {
        if let Some(f) = self.pending.pop_front() {
            return Next::Frame(f);
        }
        match self.read(Instant::now() + within).await {
            Read::Frame(f) => Next::Frame(f),
            Read::Closed(code) => Next::Closed(code),
            Read::TimedOut => Next::Silent,
        }
    }

    /// The first frame of type `ty`; other frames stay buffered.
    pub async fn expect(&mut self, ty: &str) -> Value {
        self.expect_where(&format!("a {ty:?} frame"), |f| f["type"] == ty).await
    }

    /// The first frame matching `pred` (buffer first, then the socket, up to `TIMEOUT`).
    pub async fn expect_where(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("index");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.read(deadline).await {
                Read::Frame(f) if pred(&f) => return f,
                Read::Frame(f) => self.pending.push_back(f),
                Read::Closed(code) => {
                    panic!("waiting for {what}: socket closed (close code {code:?}); unread: {}", self.dump())
                }
                Read::TimedOut => {
                    panic!("waiting for {what}: nothing within {TIMEOUT:?}; unread: {}", self.dump())
                }
            }
        }
    }

    /// Reads until the server closes the socket; returns the close code. Frames
    /// received before the close stay buffered.
    pub async fn expect_close(&mut self, within: Duration) -> Option<u16> {
        let deadline = Instant::now() + within;
        loop {
            match self.read(deadline).await {
                Read::Frame(f) => self.pending.push_back(f),
                Read::Closed(code) => return code,
                Read::TimedOut => panic!("the server did not close the socket within {within:?}"),
            }
        }
    }

    // ---- requests: send a frame with an `id`, wait for the frame echoing it ----

    /// Sends `frame` (adding an `id` if it has none) and returns the reply echoing it.
    pub async fn request(&mut self, mut frame: Value) -> Value {
        let id = match frame.get("id") {
            Some(id) => id.clone(),
            None => {
                self.next_id += 1;
                let id = json!(format!("r{}", self.next_id));
                frame["id"] = id.clone();
                id
            }
        };
        self.send(frame).await;
        self.expect_where(&format!("the reply to id {id}"), |f| f["id"] == id).await
    }

    /// `join`; panics unless the reply is `joined`.
    pub async fn join(&mut self, room: &str) -> Value {
        self.joined(json!({"type": "join", "room": room})).await
    }

    /// `join` with `after_seq`.
    pub async fn join_after(&mut self, room: &str, after_seq: i64) -> Value {
        self.joined(json!({"type": "join", "room": room, "after_seq": after_seq})).await
    }

    async fn joined(&mut self, frame: Value) -> Value {
        let reply = self.request(frame.clone()).await;
        assert_eq!(reply["type"], "joined", "{frame} was answered with {reply}");
        reply
    }

    /// `send` of `text`; returns the `ack` (panics on anything else).
    pub async fn say(&mut self, room: &str, text: &str) -> Value {
        let reply = self.request(json!({"type": "send", "room": room, "text": text})).await;
        assert_eq!(reply["type"], "ack", "send {text:?} was answered with {reply}");
        reply
    }

    /// `history`; returns the reply (panics unless it is a `history` frame).
    pub async fn history(&mut self, room: &str, before_seq: Option<i64>, limit: Option<i64>) -> Value {
        let mut frame = json!({"type": "history", "room": room});
        if let Some(b) = before_seq {
            frame["before_seq"] = json!(b);
        }
        if let Some(l) = limit {
            frame["limit"] = json!(l);
        }
        let reply = self.request(frame.clone()).await;
        assert_eq!(reply["type"], "history", "{frame} was answered with {reply}");
        reply
    }

    /// Every stored message of `room`, oldest first, paging back with `before_seq`.
    pub async fn full_history(&mut self, room: &str) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        let mut before = None;
        loop {
            let page = self.history(room, before, Some(500)).await;
            let msgs = page["messages"].as_array().expect("history.messages").clone();
            let has_more = page["has_more"].as_bool().expect("history.has_more");
            before = msgs.first().map(|m| m["seq"].as_i64().expect("seq"));
            all.splice(0..0, msgs);
            if !has_more || before.is_none() {
                return all;
            }
        }
    }

    /// `ping` → `pong` with the id echoed: proves the session still works.
    pub async fn ping(&mut self) {
        let reply = self.request(json!({"type": "ping"})).await;
        assert_eq!(reply["type"], "pong", "ping was answered with {reply}");
    }

    // ---- internals ----

    async fn read(&mut self, deadline: Instant) -> Read {
        if let Some(code) = self.closed {
            return Read::Closed(code);
        }
        loop {
            let Ok(next) = timeout_at(deadline, self.ws.next()).await else {
                return Read::TimedOut;
            };
            match next {
                Some(Ok(Message::Text(t))) => {
                    let frame = serde_json::from_str(t.as_str()).unwrap_or_else(|e| {
                        panic!("the server sent a frame that is not JSON ({e}): {}", t.as_str())
                    });
                    return Read::Frame(frame);
                }
                Some(Ok(Message::Close(cf))) => {
                    let code = cf.map(|f| u16::from(f.code));
                    self.closed = Some(code);
                    return Read::Closed(code);
                }
                Some(Ok(Message::Binary(b))) => panic!("unexpected binary frame of {} bytes", b.len()),
                Some(Ok(_)) => continue, // ping / pong
                Some(Err(_)) | None => {
                    self.closed = Some(None);
                    return Read::Closed(None);
                }
            }
        }
    }

    fn dump(&self) -> String {
        let shown: Vec<String> = self.pending.iter().take(10).map(Value::to_string).collect();
        format!("{} frame(s) [{}]", self.pending.len(), shown.join(", "))
    }
}
