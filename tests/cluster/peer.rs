//! `Peer`: one logical client of one room that outlives its connections, as a real
//! client of a cluster behaves. When its connection ends (a node killed, close 1012,
//! silence) it connects to the first node that answers, starting with its current one,
//! and joins again with `after_seq` = the last seq it was delivered. A send with no
//! answer is sent again with the same `client_id`. Every `message` delivered on any
//! of its connections is recorded in arrival order, so a test can check that the
//! logical client saw each seq once and none was skipped.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::common::ws_client::Next;
use crate::common::{WsClient, TIMEOUT};
use crate::fixture::{node_id, FAILOVER};

/// Pause before retrying a send answered `room_unavailable`, or a join refused.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long a connection attempt (upgrade and `hello`) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What one read gave.
enum Got {
    /// A frame that is not a `message` of the room.
    Frame(Value),
    /// A `message` of the room (already recorded).
    Message,
    /// Nothing within the wait; still connected.
    Silent,
    /// The connection ended (recorded in `ends`).
    Lost,
}

/// A logical client of `room`.
pub struct Peer {
    pub name: String,
    token: String,
    room: String,
    /// Every node's address, by node index.
    addrs: Vec<String>,
    /// Index of the node of the current (or last) connection.
    pub node: usize,
    ws: Option<WsClient>,
    /// The room's seq when this client first joined: its deliveries start after it.
    pub first_seq: i64,
    /// The highest seq delivered so far: the `after_seq` of the next join.
    pub last_seq: i64,
    /// Every delivered message of the room, in arrival order over all connections,
    /// as (seq, client_id) (`""` for a message without client_id).
    pub delivered: Vec<(i64, String)>,
    /// For each delivered message, the number of the connection it came on (1 = first).
    pub delivered_on: Vec<usize>,
    connections: usize,
    /// How each connection ended, in order: the close code, `None` when it just
    /// dropped, `Some(0)` when this client gave up on a silent one.
    pub ends: Vec<Option<u16>>,
    /// Codes of the `error` frames that answered this client's sends.
    pub errors: Vec<String>,
    /// Acks with `duplicate: true` (a resend of a message that had been stored).
    pub duplicates: usize,
    next_id: u64,
}

impl Peer {
    /// Connects to node `node` (or the next that answers) and joins `room`.
    pub async fn join(name: &str, token: &str, room: &str, addrs: Vec<String>, node: usize) -> Self {
        let mut peer = Self {
            name: name.to_string(),
            token: token.to_string(),
            room: room.to_string(),
            addrs,
            node,
            ws: None,
            first_seq: -1,
            last_seq: -1,
            delivered: Vec::new(),
            delivered_on: Vec::new(),
            connections: 0,
            ends: Vec::new(),
            errors: Vec::new(),
            duplicates: 0,
            next_id: 0,
        };
        peer.connect().await;
        peer
    }

    /// Sends `text` once with `client_id` (also the frame `id`); the reply (`ack` or
    /// `error`), or `None` if the connection ended or stayed silent for `TIMEOUT` (the
    /// connection is then dropped; the next call reconnects).
    pub async fn send_once(&mut self, client_id: &str, text: &str) -> Option<Value> {
        if self.ws.is_none() {
            self.connect().await;
        }
        let frame =
            json!({"type": "send", "room": self.room, "text": text, "client_id": client_id, "id": client_id});
        if !self.ws.as_mut().expect("connected").try_send(frame).await {
            self.lost(None);
            return None;
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.step(left).await {
                Got::Frame(f) if f["id"] == json!(client_id) => {
                    if f["type"] == "error" {
                        self.errors.push(f["code"].as_str().unwrap_or("?").to_string());
                    }
                    return Some(f);
                }
                Got::Frame(_) | Got::Message => {}
                Got::Silent => {
                    self.lost(Some(0));
                    return None;
                }
                Got::Lost => return None,
            }
        }
    }

    /// Sends until the message is acked, like a client that must not lose it: the same
    /// `client_id` again after an error or a lost connection. Returns the `ack`.
    pub async fn send_until_acked(&mut self, client_id: &str, text: &str) -> Value {
        let deadline = Instant::now() + FAILOVER;
        loop {
            match self.send_once(client_id, text).await {
                Some(ack) if ack["type"] == "ack" => {
                    self.duplicates += usize::from(ack["duplicate"] == json!(true));
                    assert_eq!(
                        ack["client_id"],
                        json!(client_id),
                        "{}: ack of another message: {ack}",
                        self.name
                    );
                    return ack;
                }
                Some(err) if err["type"] == "error" => tokio::time::sleep(RETRY_PAUSE).await,
                Some(other) => panic!("{}: send {client_id} answered with {other}", self.name),
                None => {}
            }
            assert!(
                Instant::now() < deadline,
                "{}: {client_id} not acked within {FAILOVER:?}; errors {:?}, connection ends {:?}",
                self.name,
                self.errors,
                self.ends
            );
        }
    }

    /// Sends every (client_id, text) of `batch` without waiting between them, like a
    /// client with several messages in flight; those answered with an error or left
    /// without an answer (connection lost) are sent again, in order, with the same
    /// client_id, until all are acked. Returns the acks in `batch` order.
    pub async fn send_batch_until_acked(&mut self, batch: &[(String, String)]) -> Vec<Value> {
        let deadline = Instant::now() + FAILOVER;
        let mut acks: HashMap<&str, Value> = HashMap::new();
        while acks.len() < batch.len() {
            assert!(
                Instant::now() < deadline,
                "{}: {} of {} messages not acked within {FAILOVER:?}; errors {:?}, connection ends {:?}",
                self.name,
                batch.len() - acks.len(),
                batch.len(),
                self.errors,
                self.ends
            );
            if self.ws.is_none() {
                self.connect().await;
            }
            let mut waiting: HashSet<&str> = HashSet::new();
            for (id, text) in batch.iter().filter(|(id, _)| !acks.contains_key(id.as_str())) {
                let frame =
                    json!({"type": "send", "room": self.room, "text": text, "client_id": id, "id": id});
                if !self.ws.as_mut().expect("connected").try_send(frame).await {
                    self.lost(None);
                    break;
                }
                waiting.insert(id);
            }
            let mut refused = false;
            while !waiting.is_empty() && self.ws.is_some() {
                match self.read(TIMEOUT).await {
                    Got::Frame(f) => {
                        let Some(id) = f["id"].as_str().and_then(|id| waiting.take(id)) else { continue };
                        if f["type"] == "ack" {
                            assert_eq!(
                                f["client_id"],
                                json!(id),
                                "{}: ack of another message: {f}",
                                self.name
                            );
                            acks.insert(id, f);
                        } else {
                            assert_eq!(f["type"], "error", "{}: send {id} answered with {f}", self.name);
                            self.errors.push(f["code"].as_str().unwrap_or("?").to_string());
                            refused = true;
                        }
                    }
                    Got::Message => {}
                    Got::Silent => self.lost(Some(0)),
                    Got::Lost => {}
                }
            }
            if refused {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
        batch.iter().map(|(id, _)| acks.remove(id.as_str()).expect("acked")).collect()
    }

    /// Reads (reconnecting when needed) until a message with seq `target` or later has
    /// been delivered; panics after `within`.
    pub async fn drain_to(&mut self, target: i64, within: Duration) {
        let deadline = Instant::now() + within;
        while self.last_seq < target {
            assert!(
                Instant::now() < deadline,
                "{} (last on {}) stuck at seq {} of {target} after {within:?}; connection ends {:?}",
                self.name,
                node_id(self.node),
                self.last_seq,
                self.ends
            );
            if let Got::Lost = self.step(Duration::from_millis(200)).await {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }

    /// Reads what arrived within `within` without waiting for anything in particular.
    pub async fn pump(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Got::Lost = self.step(deadline.saturating_duration_since(Instant::now())).await {
                return;
            }
        }
    }

    /// The seqs this client was delivered are exactly `first_seq + 1 ..= upto`, in
    /// order, each once (over all its connections).
    pub fn assert_each_seq_once_in_order(&self, upto: i64) {
        let got: Vec<i64> = self.delivered.iter().map(|(s, _)| *s).collect();
        let want: Vec<i64> = (self.first_seq + 1..=upto).collect();
        if got != want {
            let at = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len()));
            let from = at.saturating_sub(3);
            panic!(
                "{}: delivered seqs are not {}..={upto} once each in order: first difference at index {at}: \
                 got {:?} on connections {:?}, want {:?} (got {} messages, want {}); connection ends {:?}",
                self.name,
                self.first_seq + 1,
                &got[from..(at + 4).min(got.len())],
                &self.delivered_on[from..(at + 4).min(got.len())],
                &want[from..(at + 4).min(want.len())],
                got.len(),
                want.len(),
                self.ends
            );
        }
    }

    /// Stays connected (reconnecting as needed) until `last` says the room's final seq,
    /// then reads up to it. For a client task that only listens.
    pub async fn follow(mut self, mut last: watch::Receiver<Option<i64>>) -> Self {
        loop {
            let target = *last.borrow_and_update();
            if let Some(target) = target {
                self.drain_to(target, FAILOVER).await;
                return self;
            }
            self.pump(Duration::from_millis(200)).await;
        }
    }

    // ---- internals ----

    /// One read; connects first if needed.
    async fn step(&mut self, within: Duration) -> Got {
        if self.ws.is_none() {
            self.connect().await;
        }
        self.read(within).await
    }

    /// One read on the current connection.
    async fn read(&mut self, within: Duration) -> Got {
        match self.ws.as_mut().expect("connected").next_within(within).await {
            Next::Frame(f) => {
                if self.record(&f) {
                    Got::Message
                } else {
                    Got::Frame(f)
                }
            }
            Next::Closed(code) => {
                self.lost(code);
                Got::Lost
            }
            Next::Silent => Got::Silent,
        }
    }

    /// Records `f` if it is a `message` of the room.
    fn record(&mut self, f: &Value) -> bool {
        if f["type"] != "message" || f["room"] != json!(self.room) {
            return false;
        }
        let seq = f["seq"].as_i64().unwrap_or_else(|| panic!("message without seq: {f}"));
        self.delivered.push((seq, f["client_id"].as_str().unwrap_or_default().to_string()));
        self.delivered_on.push(self.connections);
        self.last_seq = self.last_seq.max(seq);
        true
    }

    fn lost(&mut self, code: Option<u16>) {
        self.ws = None;
        self.ends.push(code);
    }

    /// Connects to the first node that accepts, starting with the current one, and
    /// joins (with `after_seq` after the first join). A refused join
    /// (`room_unavailable`, while a dead owner's lease runs out) is retried.
    async fn connect(&mut self) {
        let deadline = Instant::now() + FAILOVER;
        let n = self.addrs.len();
        for attempt in 0.. {
            assert!(
                Instant::now() < deadline,
                "{}: could not connect and join within {FAILOVER:?}; connection ends {:?}",
                self.name,
                self.ends
            );
            // A node that went silent (frozen) is tried last.
            let skip = usize::from(self.ends.last() == Some(&Some(0)));
            let node = (self.node + skip + attempt) % n;
            // A frozen node accepts TCP but never upgrades: give up on it in time.
            let auth = crate::common::Auth::Query(&self.token);
            let Ok(Ok(ws)) =
                tokio::time::timeout(CONNECT_TIMEOUT, WsClient::try_connect(&self.addrs[node], auth)).await
            else {
                if (attempt + 1) % n == 0 {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                continue;
            };
            self.ws = Some(ws);
            self.connections += 1;
            self.node = node;
            if self.join_here(deadline).await {
                return;
            }
        }
    }

    /// After a `joined` with `truncated: true` (the gap is beyond `rooms.max_replay`):
    /// pages back with `history` from `top` to the last seq seen, as the protocol tells a
    /// client to, and takes those messages as delivered, oldest first, before any live
    /// one that arrived meanwhile. `false` if the connection ended meanwhile.
    async fn page_gap(&mut self, top: i64) -> bool {
        let mut gap: Vec<Value> = Vec::new();
        let mut live: Vec<Value> = Vec::new();
        let mut before = top + 1;
        while before - 1 > self.last_seq {
            self.next_id += 1;
            let id = json!(format!("{}-history{}", self.name, self.next_id));
            let frame =
                json!({"type": "history", "room": self.room, "before_seq": before, "limit": 500, "id": id});
            if !self.ws.as_mut().expect("connected").try_send(frame).await {
                self.lost(None);
                return false;
            }
            let page = loop {
                match self.ws.as_mut().expect("connected").next_within(TIMEOUT).await {
                    Next::Frame(f) if f["id"] == id => break f,
                    Next::Frame(f) if f["type"] == "message" && f["room"] == json!(self.room) => live.push(f),
                    Next::Frame(_) => {}
                    Next::Closed(code) => {
                        self.lost(code);
                        return false;
                    }
                    Next::Silent => {
                        self.lost(Some(0));
                        return false;
                    }
                }
            };
            assert_eq!(page["type"], "history", "{}: history answered with {page}", self.name);
            let msgs = page["messages"].as_array().expect("history.messages").clone();
            let Some(oldest) = msgs.first().and_then(|m| m["seq"].as_i64()) else { break };
            gap.extend(msgs.into_iter().filter(|m| m["seq"].as_i64().is_some_and(|s| s > self.last_seq)));
            before = oldest;
        }
        gap.sort_by_key(|m| m["seq"].as_i64());
        for m in gap.iter().chain(&live) {
            self.record(m);
        }
        true
    }

    /// Joins on the current connection; `false` if the connection ended meanwhile.
    async fn join_here(&mut self, deadline: Instant) -> bool {
        loop {
            self.next_id += 1;
            let id = json!(format!("{}-join{}", self.name, self.next_id));
            let mut frame = json!({"type": "join", "room": self.room, "id": id});
            if self.first_seq >= 0 {
                frame["after_seq"] = json!(self.last_seq);
            }
            if !self.ws.as_mut().expect("connected").try_send(frame).await {
                self.lost(None);
                return false;
            }
            let reply = loop {
                match self.read(TIMEOUT).await {
                    Got::Frame(f) if f["id"] == id => break f,
                    Got::Frame(_) | Got::Message => {}
                    Got::Silent => {
                        self.lost(Some(0));
                        return false;
                    }
                    Got::Lost => return false,
                }
            };
            match reply["type"].as_str() {
                Some("joined") => {
                    if reply["truncated"] == json!(true) {
                        let top =
                            reply["seq"].as_i64().unwrap_or_else(|| panic!("joined without seq: {reply}"));
                        return self.page_gap(top).await;
                    }
                    if self.first_seq < 0 {
                        let seq =
                            reply["seq"].as_i64().unwrap_or_else(|| panic!("joined without seq: {reply}"));
                        self.first_seq = seq;
                        self.last_seq = seq;
                    }
                    return true;
                }
                Some("error") if reply["code"] == "room_unavailable" => {
                    assert!(
                        Instant::now() < deadline,
                        "{}: join refused until the deadline: {reply}",
                        self.name
                    );
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                _ => panic!("{}: join on {} answered with {reply}", self.name, node_id(self.node)),
            }
        }
    }
}
