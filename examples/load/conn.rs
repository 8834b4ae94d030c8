//! One client WebSocket connection speaking roomd's protocol (docs/PROTOCOL.md): open
//! (TCP_NODELAY), wait for `hello`, `join` a room and wait for `joined`; the frames the
//! load runner sends and parses; the marker every load message carries in its text.

use std::borrow::Cow;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type WsSink = SplitSink<Ws, Message>;
pub type WsStream = SplitStream<Ws>;

/// How long one open or one join may take before the connection counts as failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The fields of a server frame the runner looks at.
#[derive(Deserialize)]
pub struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(default)]
    pub seq: u64,
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub client_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub duplicate: bool,
    #[serde(default, borrow)]
    pub code: Option<Cow<'a, str>>,
}

/// Opens `url`, waits for `hello`, joins `room` and waits for its `joined`.
pub async fn open_joined(url: &str, room: &str) -> Result<Ws> {
    let req = url.into_client_request().context("websocket request")?;
    let (mut ws, _) =
        tokio::time::timeout(STEP_TIMEOUT, tokio_tungstenite::connect_async_with_config(req, None, true))
            .await
            .map_err(|_| anyhow!("websocket upgrade timed out"))?
            .context("websocket upgrade")?;
    wait_for(&mut ws, "hello").await?;
    let join = serde_json::json!({"type": "join", "room": room}).to_string();
    ws.send(Message::text(join)).await.context("sending join")?;
    wait_for(&mut ws, "joined").await?;
    Ok(ws)
}

/// Reads frames until one of type `kind`; an `error` frame or a close fails.
async fn wait_for(ws: &mut Ws, kind: &str) -> Result<()> {
    let step = async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(t) = msg.context("reading")? {
                let f: Frame = serde_json::from_str(t.as_str()).context("parsing a server frame")?;
                if f.kind == kind {
                    return Ok(());
                }
                if f.kind == "error" {
                    bail!("waiting for {kind}: {}", t.as_str());
                }
            }
        }
        bail!("connection closed while waiting for {kind}")
    };
    tokio::time::timeout(STEP_TIMEOUT, step)
        .await
        .map_err(|_| anyhow!("no {kind} within {STEP_TIMEOUT:?}"))?
}

/// What identifies one load message: sender (connection index), its per-sender
/// number (0, 1, 2, …) and the send time in ns since the run's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Marker {
    pub sender: u32,
    pub n: u64,
    pub sent_ns: u64,
}

impl Marker {
    /// The `send` frame: text `#L<sender>:<n>:<ns>#` and the same triple as `client_id`.
    pub fn send_frame(&self, room: &str) -> String {
        let Marker { sender, n, sent_ns } = self;
        format!(
            r##"{{"type":"send","room":"{room}","text":"#L{sender}:{n}:{sent_ns}#","client_id":"L{sender}:{n}:{sent_ns}"}}"##
        )
    }

    /// Finds `#L<sender>:<n>:<ns>#` in a message text.
    pub fn from_text(text: &str) -> Option<Marker> {
        let start = text.find("#L")? + 2;
        let rest = &text[start..];
        let end = rest.find('#')?;
        Self::parse(&rest[..end])
    }

    /// Parses a `client_id` `L<sender>:<n>:<ns>`.
    pub fn from_client_id(id: &str) -> Option<Marker> {
        Self::parse(id.strip_prefix('L')?)
    }

    fn parse(s: &str) -> Option<Marker> {
        let mut it = s.split(':');
        let m = Marker {
            sender: it.next()?.parse().ok()?,
            n: it.next()?.parse().ok()?,
            sent_ns: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::Marker;

    #[test]
    fn marker_round_trip() {
        let m = Marker { sender: 7, n: 42, sent_ns: 123456789 };
        let frame = m.send_frame("r1");
        let v: serde_json::Value = serde_json::from_str(&frame).expect("valid JSON");
        assert_eq!(Marker::from_text(v["text"].as_str().expect("text")), Some(m));
        assert_eq!(Marker::from_client_id(v["client_id"].as_str().expect("client_id")), Some(m));
        assert_eq!(Marker::from_text("hello"), None);
    }
}
