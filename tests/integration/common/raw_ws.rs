//! `RawWs`: a WebSocket client written frame by frame over a plain TCP socket, for the
//! tests of hostile and broken clients: headers that lie about their size, fragments,
//! invalid UTF-8, floods, and a client that stops reading. A well-behaved client
//! library cannot send most of these, so the frames are built here (RFC 6455 §5.2).

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;

/// A frame the server sent.
#[derive(Debug)]
pub enum ServerFrame {
    Text(String),
    Close(Option<u16>),
    Other,
}

/// What reading ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The server closed the TCP connection (FIN).
    Eof,
    /// The server reset it.
    Reset,
    TimedOut,
}

pub struct RawWs {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawWs {
    /// Upgrades with `?token=`; `recv_buffer` shrinks the socket's receive buffer (a
    /// client that stops reading then fills its window sooner).
    pub async fn connect(addr: &str, token: &str, recv_buffer: Option<u32>) -> RawWs {
        Self::connect_sending(addr, token, recv_buffer, &[]).await
    }

    /// Like `connect`, with `early` (frames) sent in the same write as the upgrade
    /// request, before its answer: as a client that does not wait for the 101 may.
    pub async fn connect_sending(addr: &str, token: &str, recv_buffer: Option<u32>, early: &[u8]) -> RawWs {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let stream = socket.connect(addr.parse().expect("addr")).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut ws = RawWs { stream, buf: Vec::new() };
        let request = format!(
            "GET /ws?token={token} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(early);
        ws.stream.write_all(&bytes).await.expect("write handshake");
        let head = ws.read_head().await;
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
        ws
    }

    async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                self.buf.drain(..end + 4);
                return head;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("handshake response in time")
                .expect("read");
            assert!(n > 0, "connection closed during the handshake");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// A masked client frame.
    pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![((fin as u8) << 7) | opcode];
        match payload.len() {
            n if n < 126 => v.push(0x80 | n as u8),
            n if n <= 0xFFFF => {
                v.push(0x80 | 126);
                v.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                v.push(0x80 | 127);
                v.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = rand_mask();
        v.extend_from_slice(&mask);
        v.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        v
    }

    /// A whole text frame.
    pub fn text(payload: &str) -> Vec<u8> {
        Self::frame(true, OP_TEXT, payload.as_bytes())
    }

    /// Ends the connection with a reset (`SO_LINGER` 0), as a client that crashes.
    pub fn reset(self) {
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next frame, or how the connection ended.
    pub async fn read_frame(&mut self, within: Duration) -> Result<ServerFrame, End> {
        let deadline = Instant::now() + within;
        loop {
            if let Some((frame, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return Ok(frame);
            }
            self.fill(deadline).await?;
        }
    }

    /// The next text frame as JSON, skipping control frames; panics on anything else.
    pub async fn read_json(&mut self, within: Duration) -> Value {
        loop {
            match self.read_frame(within).await {
                Ok(ServerFrame::Text(t)) => return serde_json::from_str(&t).expect("JSON frame"),
                Ok(ServerFrame::Other) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Reads frames until a close frame; returns its code and the text frames before it.
    pub async fn read_until_close(&mut self, within: Duration) -> (Option<u16>, Vec<Value>) {
        let mut texts = Vec::new();
        loop {
            match self.read_frame(within).await {
                Ok(ServerFrame::Text(t)) => texts.push(serde_json::from_str(&t).expect("JSON frame")),
                Ok(ServerFrame::Close(code)) => return (code, texts),
                Ok(ServerFrame::Other) => {}
                Err(end) => panic!("no close frame, the connection ended: {end:?}; got {texts:?}"),
            }
        }
    }

    /// Reads and drops everything until the connection ends (or `within` passes).
    pub async fn drain_until_end(&mut self, within: Duration) -> End {
        let deadline = Instant::now() + within;
        loop {
            self.buf.clear();
            if let Err(end) = self.fill(deadline).await {
                return end;
            }
        }
    }

    async fn fill(&mut self, deadline: Instant) -> Result<(), End> {
        let mut chunk = vec![0u8; 64 * 1024];
        match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
            Err(_) => Err(End::TimedOut),
            Ok(Ok(0)) => Err(End::Eof),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Err(End::Reset),
            Ok(Err(e)) => panic!("read: {e}"),
        }
    }
}

fn rand_mask() -> [u8; 4] {
    let n =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(7, |d| d.subsec_nanos());
    (n | 0x0101_0101).to_le_bytes()
}

/// An unmasked server frame at the start of `buf`, and its length.
fn parse_server_frame(buf: &[u8]) -> Option<(ServerFrame, usize)> {
    let (b0, b1) = (*buf.first()?, *buf.get(1)?);
    let (len, start) = match b1 & 0x7F {
        126 => (u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = buf.get(start..start + len)?;
    let frame = match b0 & 0x0F {
        OP_TEXT => ServerFrame::Text(String::from_utf8(payload.to_vec()).expect("server text is UTF-8")),
        OP_CLOSE => ServerFrame::Close(payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]))),
        _ => ServerFrame::Other,
    };
    Some((frame, start + len))
}
