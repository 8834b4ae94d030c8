//! One connection of the `scale` scenario: joined to many rooms at once (the joins
//! pipelined, each tagged with an `id`), it records the seq of every `message` and
//! `ack` per room, and sends its planned messages one per `gap` once told to go. A
//! `join` or `send` answered `room_unavailable` (a room retiring just then, see
//! docs/PROTOCOL.md) is sent again after a short pause, the send with the same
//! `client_id`; any other error is recorded.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// How long the upgrade and `hello` may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause before a frame answered `room_unavailable` is sent again.
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Most times one frame is sent again.
const MAX_RETRIES: u32 = 100;

/// What one connection does.
pub struct Script {
    pub url: String,
    /// Rooms to join, each with its `after_seq` (a replay of what is stored after it).
    pub joins: Vec<(String, Option<i64>)>,
    /// The room of each message to send, in order.
    pub sends: Vec<String>,
    /// Time between two sends.
    pub gap: Duration,
    /// This connection's number and its phase's tag: the `client_id`s are
    /// `<tag><conn>:<n>`, unique over the run (a `client_id` sent again within the
    /// dedupe window would be acked as a duplicate of the first).
    pub conn: u32,
    pub tag: &'static str,
}

/// Totals over all connections, read by the scenario while it waits.
#[derive(Default)]
pub struct Counters {
    pub joined: AtomicU64,
    pub received: AtomicU64,
    pub acked: AtomicU64,
    pub retries: AtomicU64,
}

/// The scenario's signals.
pub struct Control {
    pub go: watch::Receiver<bool>,
    pub stop: watch::Receiver<bool>,
    /// Told once every join of the connection is answered.
    pub joined: mpsc::UnboundedSender<()>,
    pub counters: Arc<Counters>,
    /// Held while opening and joining (bounds how many connections do that at once).
    pub opening: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// What one connection saw, per room in arrival order.
#[derive(Default)]
pub struct Seen {
    pub messages: HashMap<String, Vec<i64>>,
    pub acks: HashMap<String, Vec<i64>>,
    pub errors: Vec<String>,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    room: Option<String>,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Runs `script` until `stop`; its connection closes then.
pub async fn drive(script: Script, mut ctl: Control) -> Result<Seen> {
    let req = script.url.as_str().into_client_request().context("websocket request")?;
    let (ws, _) =
        tokio::time::timeout(OPEN_TIMEOUT, tokio_tungstenite::connect_async_with_config(req, None, true))
            .await
            .map_err(|_| anyhow!("websocket upgrade timed out"))?
            .context("websocket upgrade")?;
    let (mut tx, mut rx) = ws.split();
    let join_frame = |i: usize| {
        let (room, after) = &script.joins[i];
        serde_json::json!({"type": "join", "room": room, "after_seq": after, "id": format!("j{i}")})
            .to_string()
    };
    let send_frame = |n: usize| {
        let (c, tag) = (script.conn, script.tag);
        format!(
            r#"{{"type":"send","room":"{}","text":"scale {tag}{c}:{n}","client_id":"{tag}{c}:{n}","id":"s{n}"}}"#,
            script.sends[n]
        )
    };
    for i in 0..script.joins.len() {
        tx.send(Message::text(join_frame(i))).await.context("sending join")?;
    }
    let mut seen = Seen::default();
    let mut unanswered = script.joins.len();
    let mut retries: HashMap<String, u32> = HashMap::new();
    let mut resend: VecDeque<String> = VecDeque::new();
    let mut next_send = 0usize;
    let mut sending = false;
    let mut tick = tokio::time::interval(script.gap.max(Duration::from_micros(100)));
    let mut retry_tick = tokio::time::interval(RETRY_PAUSE);
    if unanswered == 0 {
        let _ = ctl.joined.send(());
        ctl.opening = None;
    }
    loop {
        tokio::select! {
            m = rx.next() => {
                let text = match m {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => bail!("reading: {e}"),
                    None => bail!("the server closed the connection"),
                };
                let f: Frame = serde_json::from_str(text.as_str()).context("parsing a server frame")?;
                let room = f.room.unwrap_or_default();
                match f.kind.as_str() {
                    "message" => {
                        seen.messages.entry(room).or_default().push(f.seq);
                        ctl.counters.received.fetch_add(1, Ordering::Relaxed);
                    }
                    "ack" => {
                        seen.acks.entry(room).or_default().push(f.seq);
                        ctl.counters.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    "joined" => {
                        unanswered -= 1;
                        ctl.counters.joined.fetch_add(1, Ordering::Relaxed);
                        if unanswered == 0 {
                            let _ = ctl.joined.send(());
                            ctl.opening = None;
                        }
                    }
                    "error" => {
                        let id = f.id.unwrap_or_default();
                        let tries = retries.entry(id.clone()).or_default();
                        if f.code.as_deref() == Some("room_unavailable") && *tries < MAX_RETRIES && !id.is_empty() {
                            *tries += 1;
                            ctl.counters.retries.fetch_add(1, Ordering::Relaxed);
                            resend.push_back(id);
                            continue;
                        }
                        if id.starts_with('j') {
                            unanswered -= 1;
                            if unanswered == 0 {
                                let _ = ctl.joined.send(());
                                ctl.opening = None;
                            }
                        }
                        seen.errors.push(format!("{id} {}: {}", f.code.unwrap_or_default(), f.message.unwrap_or_default()));
                    }
                    _ => {}
                }
            }
            _ = retry_tick.tick(), if !resend.is_empty() => {
                while let Some(id) = resend.pop_front() {
                    let n: usize = id[1..].parse().unwrap_or(0);
                    let frame = if id.starts_with('j') { join_frame(n) } else { send_frame(n) };
                    tx.send(Message::text(frame)).await.context("sending again")?;
                }
            }
            _ = tick.tick(), if sending && next_send < script.sends.len() => {
                tx.send(Message::text(send_frame(next_send))).await.context("sending")?;
                next_send += 1;
            }
            r = ctl.go.changed(), if !sending => {
                if r.is_err() || *ctl.go.borrow() {
                    sending = true;
                    tick.reset();
                }
            }
            _ = ctl.stop.changed() => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), tx.close()).await;
    Ok(seen)
}
