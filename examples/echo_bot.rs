//! echo_bot: the smallest useful roomd bot, and the one to copy.
//!
//! It connects with a bot token, joins one room, registers `!echo`, and answers each
//! `!echo TEXT` with TEXT. When the connection drops it reconnects with exponential
//! backoff, joins again with `after_seq` = the last seq it saw (so it misses no
//! message), and registers `!echo` again (a bot's commands end with its connection).
//! It stops for good when the server says its token is no good: HTTP 401 before the
//! upgrade, or a close code from 4500 to 4999 (docs/PROTOCOL.md, "Close codes").
//!
//! ```text
//! # a bot token, printed once:
//! curl -s -X POST localhost:8080/api/v1/tokens -H "Authorization: Bearer $ADMIN" \
//!      -H 'Content-Type: application/json' -d '{"kind":"bot","name":"echo-bot"}'
//! ROOMD_TOKEN=rmd_… cargo run --example echo_bot -- lobby
//! ```
//!
//! Settings: `ROOMD_TOKEN` (required), `ROOMD_URL` (default `ws://127.0.0.1:8080/ws`),
//! the room as the first argument or `ROOMD_ROOM` (default `lobby`).
//! The protocol is in docs/PROTOCOL.md ("Bots").

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};

/// Reconnect delays double from `BACKOFF_MIN` up to `BACKOFF_MAX`.
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

struct Config {
    url: String,
    token: String,
    room: String,
}

#[tokio::main]
async fn main() {
    let Some(cfg) = Config::from_env() else {
        eprintln!("set ROOMD_TOKEN to a bot token (POST /api/v1/tokens with kind \"bot\")");
        std::process::exit(2);
    };
    // The highest seq seen in the room: where to resume after a reconnect. `None`
    // until the first `joined` (a new bot starts from "now", not from the history).
    let mut last_seq: Option<i64> = None;
    let mut backoff = BACKOFF_MIN;
    loop {
        match session(&cfg, &mut last_seq).await {
            // The session got as far as `joined`: the server is healthy, so retry soon.
            Ok(()) => backoff = BACKOFF_MIN,
            Err(End::Retry(e)) => eprintln!("echo_bot: {e}"),
            Err(End::Stop(e)) => {
                eprintln!("echo_bot: {e}; not reconnecting");
                std::process::exit(1);
            }
        }
        eprintln!("echo_bot: disconnected; reconnecting in {backoff:?}");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

impl Config {
    fn from_env() -> Option<Self> {
        let token = std::env::var("ROOMD_TOKEN").ok().filter(|t| !t.is_empty())?;
        let url = std::env::var("ROOMD_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into());
        let room = std::env::args()
            .nth(1)
            .or_else(|| std::env::var("ROOMD_ROOM").ok())
            .unwrap_or_else(|| "lobby".into());
        Some(Self { url, token, room })
    }
}

/// Why a connection ended without reaching `joined`, or ended for good.
enum End {
    /// Try again after the backoff (server down, network, a close that says reconnect).
    Retry(String),
    /// The token is refused: reconnecting with it cannot help.
    Stop(String),
}

impl From<String> for End {
    fn from(e: String) -> Self {
        End::Retry(e)
    }
}

/// One connection: hello → join (resuming) → register → answer commands until the
/// socket closes. `Ok` if it got as far as `joined`.
async fn session(cfg: &Config, last_seq: &mut Option<i64>) -> Result<(), End> {
    // The token goes in the Authorization header (`?token=` works too).
    let mut request = cfg.url.as_str().into_client_request().map_err(|e| format!("bad ROOMD_URL: {e}"))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", cfg.token)).map_err(|e| e.to_string())?;
    request.headers_mut().insert("Authorization", bearer);
    // A refused token is an HTTP 401 here, before any frame (a client that offers the
    // `roomd.v1` subprotocol gets close code 4500–4502 after the upgrade instead).
    let (ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| match e {
        Error::Http(resp) if resp.status() == 401 => End::Stop("the token was refused (HTTP 401)".into()),
        e => End::Retry(format!("connect: {e}")),
    })?;
    let (mut tx, mut rx) = ws.split();

    // 1. `join`, with `after_seq` when resuming: the server replays every message
    //    after it before live ones, with no gap and no duplicate.
    let mut join = json!({"type": "join", "room": cfg.room, "id": "join"});
    if let Some(seq) = *last_seq {
        join["after_seq"] = json!(seq);
    }
    send(&mut tx, join).await?;
    // 2. Register `!echo` in this room (use "room": "*" for every room the bot joins).
    //    Registrations end when the bot disconnects, so this runs on every connect.
    let register = json!({"type": "register_command", "room": cfg.room, "name": "echo",
                          "description": "Echo text back", "id": "register"});
    send(&mut tx, register).await?;

    let mut joined = false;
    while let Some(msg) = rx.next().await {
        // tungstenite answers the server's pings by itself; we only read text frames.
        let text = match msg.map_err(|e| format!("read: {e}"))? {
            Message::Text(t) => t,
            // 4500–4999: the token is no good (unauthorized, expired, revoked) or an
            // operator ended the session; other codes say reconnect and resume.
            Message::Close(Some(close)) if (4500..5000).contains(&u16::from(close.code)) => {
                return Err(End::Stop(format!("closed {}: {}", u16::from(close.code), close.reason)));
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let frame: Value = serde_json::from_str(text.as_str()).map_err(|e| format!("bad frame: {e}"))?;
        match frame["type"].as_str().unwrap_or("") {
            "hello" => eprintln!("echo_bot: connected as {}", frame["user"]["id"]),
            "joined" => {
                joined = true;
                // First join: start from the room's current seq. A resume with more
                // than `rooms.max_replay` missed messages says "truncated": a bot
                // that needs them pages back with `history`; an echo bot does not.
                let seq = frame["seq"].as_i64().unwrap_or(0);
                *last_seq = Some(last_seq.map_or(seq, |s| s.max(seq)));
                eprintln!("echo_bot: joined {} at seq {seq}", cfg.room);
            }
            "registered" => eprintln!("echo_bot: !{} registered", frame["name"].as_str().unwrap_or("?")),
            // Every message (replayed or live) moves the resume point forward.
            "message" => {
                if let Some(seq) = frame["seq"].as_i64() {
                    *last_seq = Some(last_seq.map_or(seq, |s| s.max(seq)));
                }
            }
            // `!echo TEXT` from someone: answer with `reply_to` = the invocation id,
            // within `commands.timeout_ms` (default 5 s). The `client_id` makes a
            // resend after a reconnect safe: the server acks it as a duplicate.
            "command" if frame["name"] == "echo" => {
                let args = frame["args"].as_str().unwrap_or("");
                let reply = if args.is_empty() { "usage: !echo TEXT" } else { args };
                let invocation = frame["invocation"].as_str().unwrap_or("");
                let answer = json!({"type": "send", "room": frame["room"], "text": reply,
                                    "reply_to": invocation, "client_id": format!("echo-{invocation}")});
                send(&mut tx, answer).await?;
            }
            // Errors name what was wrong (`code`, `message`) and echo our frame `id`.
            "error" => eprintln!("echo_bot: error {}: {}", frame["code"], frame["message"]),
            _ => {} // acks, member events, notices: nothing to do
        }
    }
    if joined {
        Ok(())
    } else {
        Err(End::Retry("the connection closed before the join completed".into()))
    }
}

/// Writes one JSON frame.
async fn send<S>(tx: &mut S, frame: Value) -> Result<(), String>
where
    S: SinkExt<Message> + Unpin,
    S::Error: std::fmt::Display,
{
    tx.send(Message::text(frame.to_string())).await.map_err(|e| format!("write: {e}"))
}
