//! `FrameReader`: the client's bytes in, whole WebSocket messages out, with memory
//! bounded by the frame limit.
//!
//! It reads the request payload only when no complete frame is buffered, and it
//! checks each frame header as soon as the header's bytes are in: a header that
//! declares more than the limit (or a fragment that takes its message past it) ends
//! the stream with [`ReadError::TooLarge`] before any of that payload is buffered.
//! So a connection holds at most one frame of `limit` bytes, one partly reassembled
//! message of `limit` bytes, and one read chunk.
//!
//! Fragmented messages (RFC 6455 §5.4: a first frame, continuation frames, a final
//! one; control frames may come in between) are reassembled and come out as one
//! [`Frame::Text`] or [`Frame::Binary`]. Text must be UTF-8 (§8.1): invalid text ends
//! the stream with [`ReadError::InvalidUtf8`].
//!
//! The frame parsing itself (masking, opcodes, control-frame rules, continuation
//! state) is actix-http's `ws::Codec`; this type only decides how much of the input
//! to let it see. The input is [`SocketBytes`]: the connection's socket, read by the
//! session's own task. An idle connection holds no read buffer.

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_codec::Decoder;
use actix_http::ws::{CloseReason, Codec, Frame as WireFrame, Item, ProtocolError};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;

use super::socket::Socket;
use crate::protocol::close::CloseCode;

/// One whole message or control frame from the client.
#[derive(Debug)]
pub enum Frame {
    Text(ByteString),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    Close(Option<CloseReason>),
}

/// Why reading stopped. Each ends the stream; [`ReadError::close_code`] says how the
/// server answers it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("message of {declared} bytes, the limit is {limit}")]
    TooLarge { declared: u64, limit: usize },
    #[error("text frame is not valid UTF-8")]
    InvalidUtf8,
    #[error("websocket protocol error: {0}")]
    Protocol(ProtocolError),
    /// The connection failed underneath (reset): nobody to answer.
    #[error("connection error: {0}")]
    Io(io::Error),
}

impl ReadError {
    /// The close code to answer with (RFC 6455 §7.4.1), or `None` when the
    /// connection is already gone.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::TooLarge { .. } => Some(CloseCode::FrameTooLarge),
            Self::InvalidUtf8 => Some(CloseCode::InvalidUtf8),
            Self::Protocol(_) => Some(CloseCode::ProtocolError),
            Self::Io(_) => None,
        }
    }
}

/// A message being reassembled from fragments.
struct Partial {
    text: bool,
    data: BytesMut,
}

/// Reads frames from `S` (the connection's bytes, [`SocketBytes`]).
pub struct FrameReader<S> {
    payload: S,
    buf: BytesMut,
    codec: Codec,
    limit: usize,
    partial: Option<Partial>,
    /// The payload ended or an error was returned: nothing more comes.
    done: bool,
}

impl<S> FrameReader<S> {
    /// `limit`: the largest message, in bytes, whole or reassembled.
    pub fn new(payload: S, limit: usize) -> Self {
        Self {
            payload,
            buf: BytesMut::new(),
            codec: Codec::new().max_size(limit),
            limit,
            partial: None,
            done: false,
        }
    }

    /// Refuses the frame whose header starts `buf` if it declares too much.
    fn check_header(&self) -> Result<(), ReadError> {
        let Some(header) = Header::peek(&self.buf) else { return Ok(()) };
        let declared = match header.opcode {
            OPCODE_CONTINUATION => {
                header.len.saturating_add(self.partial.as_ref().map_or(0, |p| p.data.len() as u64))
            }
            OPCODE_TEXT | OPCODE_BINARY => header.len,
            // Control frames: the codec refuses any over 125 bytes.
            _ => return Ok(()),
        };
        if declared > self.limit as u64 {
            return Err(ReadError::TooLarge { declared, limit: self.limit });
        }
        Ok(())
    }

    /// What a decoded frame contributes: a whole message, or nothing yet.
    fn assemble(&mut self, frame: WireFrame) -> Result<Option<Frame>, ReadError> {
        Ok(Some(match frame {
            WireFrame::Text(b) => Frame::Text(utf8(b)?),
            WireFrame::Binary(b) => Frame::Binary(b),
            WireFrame::Ping(b) => Frame::Ping(b),
            WireFrame::Pong(b) => Frame::Pong(b),
            WireFrame::Close(r) => Frame::Close(r),
            WireFrame::Continuation(item) => match item {
                Item::FirstText(b) => return self.start(true, b),
                Item::FirstBinary(b) => return self.start(false, b),
                Item::Continue(b) => {
                    self.partial_mut()?.data.extend_from_slice(&b);
                    return Ok(None);
                }
                Item::Last(b) => {
                    let mut p = self.partial.take().ok_or(ProtocolError::ContinuationNotStarted)?;
                    p.data.extend_from_slice(&b);
                    match p.text {
                        true => Frame::Text(utf8(p.data.freeze())?),
                        false => Frame::Binary(p.data.freeze()),
                    }
                }
            },
        }))
    }

    fn start(&mut self, text: bool, first: Bytes) -> Result<Option<Frame>, ReadError> {
        self.partial = Some(Partial { text, data: BytesMut::from(&first[..]) });
        Ok(None)
    }

    fn partial_mut(&mut self) -> Result<&mut Partial, ReadError> {
        Ok(self.partial.as_mut().ok_or(ProtocolError::ContinuationNotStarted)?)
    }
}

impl From<ProtocolError> for ReadError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Overflow => Self::TooLarge { declared: 0, limit: 0 },
            e => Self::Protocol(e),
        }
    }
}

fn utf8(b: Bytes) -> Result<ByteString, ReadError> {
    ByteString::try_from(b).map_err(|_| ReadError::InvalidUtf8)
}

impl<S> Stream for FrameReader<S>
where
    S: Stream<Item = Result<Bytes, io::Error>> + Unpin,
{
    type Item = Result<Frame, ReadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            let step = this.check_header().and_then(|()| Ok(this.codec.decode(&mut this.buf)?));
            match step {
                Ok(Some(frame)) => match this.assemble(frame) {
                    Ok(Some(f)) => return Poll::Ready(Some(Ok(f))),
                    Ok(None) => continue,
                    Err(e) => return this.fail(e),
                },
                Ok(None) => {}
                Err(e) => return this.fail(e),
            }
            // No whole frame buffered: read one more chunk.
            match Pin::new(&mut this.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.buf.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(e))) => return this.fail(ReadError::Io(e)),
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    // Nothing buffered while the client is quiet.
                    if this.buf.is_empty() {
                        this.buf = BytesMut::new();
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S> FrameReader<S> {
    fn fail(&mut self, e: ReadError) -> Poll<Option<Result<Frame, ReadError>>> {
        self.done = true;
        self.buf = BytesMut::new();
        self.partial = None;
        let e = match e {
            ReadError::TooLarge { limit: 0, .. } => ReadError::TooLarge { declared: 0, limit: self.limit },
            e => e,
        };
        Poll::Ready(Some(Err(e)))
    }
}

/// The bytes a connection's client sends: first what came with the upgrade request
/// (read before the upgrade), then what the socket gives, one read at a time.
pub struct SocketBytes {
    socket: Rc<Socket>,
    early: Option<Bytes>,
}

/// The most one read takes from the socket.
const READ_CHUNK: usize = 4096;

impl SocketBytes {
    pub fn new(socket: Rc<Socket>, early: Bytes) -> Self {
        Self { socket, early: (!early.is_empty()).then_some(early) }
    }
}

impl Stream for SocketBytes {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(early) = self.early.take() {
            return Poll::Ready(Some(Ok(early)));
        }
        let mut chunk = [0u8; READ_CHUNK];
        match std::task::ready!(self.socket.poll_read(cx, &mut chunk)) {
            Ok(0) => Poll::Ready(None),
            Ok(n) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(&chunk[..n])))),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }
}

const OPCODE_CONTINUATION: u8 = 0x0;
const OPCODE_TEXT: u8 = 0x1;
const OPCODE_BINARY: u8 = 0x2;

/// The start of a frame header (RFC 6455 §5.2): enough to know its size.
struct Header {
    opcode: u8,
    len: u64,
}

impl Header {
    /// The header at the start of `buf`, once its length field is complete.
    fn peek(buf: &[u8]) -> Option<Header> {
        let (&b0, &b1) = (buf.first()?, buf.get(1)?);
        let len = match b1 & 0x7F {
            126 => u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as u64,
            127 => u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?),
            n => n as u64,
        };
        Some(Header { opcode: b0 & 0x0F, len })
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{stream, StreamExt};

    use super::*;

    /// A masked client frame (mask 0: the payload goes as is).
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![(fin as u8) << 7 | opcode];
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
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(payload);
        v
    }

    fn read_all(chunks: Vec<Vec<u8>>, limit: usize) -> Vec<Result<Frame, ReadError>> {
        let payload = stream::iter(chunks.into_iter().map(|c| Ok::<_, io::Error>(Bytes::from(c))));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(FrameReader::new(payload, limit).collect())
    }

    #[test]
    fn fragments_are_one_message() {
        let mut bytes = frame(false, OPCODE_TEXT, b"he");
        bytes.extend(frame(true, 0x9, b"p")); // a ping between fragments
        bytes.extend(frame(false, OPCODE_CONTINUATION, b"ll"));
        bytes.extend(frame(true, OPCODE_CONTINUATION, "o é".as_bytes()));
        // Fed one byte at a time: frame boundaries fall anywhere.
        let out = read_all(bytes.into_iter().map(|b| vec![b]).collect(), 100);
        assert!(matches!(&out[0], Ok(Frame::Ping(p)) if &p[..] == b"p"), "{out:?}");
        assert!(matches!(&out[1], Ok(Frame::Text(t)) if &t[..] == "hello é"), "{out:?}");
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_header_over_the_limit_fails_before_its_payload() {
        // Only the header is sent: a 2^62-byte text frame.
        let mut header = vec![0x81, 0x80 | 127];
        header.extend_from_slice(&(1u64 << 62).to_be_bytes());
        let out = read_all(vec![header], 1024);
        assert!(
            matches!(out[..], [Err(ReadError::TooLarge { declared, limit: 1024 })] if declared == 1 << 62)
        );
    }

    #[test]
    fn fragments_that_add_up_past_the_limit_fail() {
        let mut bytes = frame(false, OPCODE_TEXT, &[b'a'; 60]);
        bytes.extend(frame(true, OPCODE_CONTINUATION, &[b'a'; 60]));
        let out = read_all(vec![bytes], 100);
        assert!(matches!(out[..], [Err(ReadError::TooLarge { declared: 120, .. })]), "{out:?}");
    }

    #[test]
    fn invalid_utf8_fails_whole_or_fragmented() {
        let out = read_all(vec![frame(true, OPCODE_TEXT, &[0xC3])], 100);
        assert!(matches!(out[..], [Err(ReadError::InvalidUtf8)]), "{out:?}");
        // A character split across fragments is fine; a bad one at the end is not.
        let mut ok = frame(false, OPCODE_TEXT, &[0xC3]);
        ok.extend(frame(true, OPCODE_CONTINUATION, &[0xA9]));
        assert!(matches!(&read_all(vec![ok], 100)[..], [Ok(Frame::Text(t))] if &t[..] == "é"));
        let mut bad = frame(false, OPCODE_TEXT, b"a");
        bad.extend(frame(true, OPCODE_CONTINUATION, &[0xFF]));
        assert!(matches!(read_all(vec![bad], 100)[..], [Err(ReadError::InvalidUtf8)]));
    }

    /// A message as a client may send it: whole, or in fragments with pings between.
    #[derive(Debug, Clone)]
    struct Sent {
        text: bool,
        parts: Vec<Vec<u8>>,
        ping_between: bool,
    }

    fn sent() -> impl proptest::strategy::Strategy<Value = Sent> {
        use proptest::prelude::*;
        let text_parts = prop::collection::vec("\\PC{0,20}", 1..4)
            .prop_map(|ps| ps.into_iter().map(String::into_bytes).collect::<Vec<_>>());
        let binary_parts = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 1..4);
        (
            prop_oneof![text_parts.prop_map(|p| (true, p)), binary_parts.prop_map(|p| (false, p))],
            any::<bool>(),
        )
            .prop_map(|((text, parts), ping_between)| Sent { text, parts, ping_between })
    }

    proptest::proptest! {
        /// Whatever the messages and however the bytes are cut into reads, the reader
        /// gives back each message whole, in order, and the pings between fragments.
        #[test]
        fn any_messages_in_any_chunking_come_out_whole(
            messages in proptest::collection::vec(sent(), 1..8),
            cuts in proptest::collection::vec(1usize..64, 1..40),
        ) {
            let mut bytes = Vec::new();
            let mut expected = Vec::new();
            for m in &messages {
                let opcode = if m.text { OPCODE_TEXT } else { OPCODE_BINARY };
                let last = m.parts.len() - 1;
                for (i, part) in m.parts.iter().enumerate() {
                    let op = if i == 0 { opcode } else { OPCODE_CONTINUATION };
                    bytes.extend(frame(i == last, op, part));
                    if i < last && m.ping_between {
                        bytes.extend(frame(true, 0x9, b"p"));
                        expected.push((false, b"ping".to_vec()));
                    }
                }
                expected.push((m.text, m.parts.concat()));
            }
            let mut chunks = Vec::new();
            let (mut rest, mut i) = (&bytes[..], 0);
            while !rest.is_empty() {
                let n = cuts[i % cuts.len()].min(rest.len());
                chunks.push(rest[..n].to_vec());
                rest = &rest[n..];
                i += 1;
            }
            let got: Vec<(bool, Vec<u8>)> = read_all(chunks, 4096)
                .into_iter()
                .map(|f| match f.expect("no error") {
                    Frame::Text(t) => (true, t.as_bytes().to_vec()),
                    Frame::Binary(b) => (false, b.to_vec()),
                    Frame::Ping(_) => (false, b"ping".to_vec()),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }

        /// Random bytes never make the reader buffer past its limit or panic: it
        /// yields frames and at most one error, then ends.
        #[test]
        fn random_bytes_end_in_at_most_one_error(bytes in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512)) {
            let out = read_all(vec![bytes], 64);
            let errors = out.iter().filter(|f| f.is_err()).count();
            proptest::prop_assert!(errors <= 1);
            if errors == 1 {
                proptest::prop_assert!(out.last().unwrap().is_err(), "nothing after the error");
            }
        }
    }

    #[test]
    fn a_continuation_without_a_start_is_a_protocol_error() {
        let out = read_all(vec![frame(true, OPCODE_CONTINUATION, b"x")], 100);
        assert!(matches!(out[..], [Err(ReadError::Protocol(_))]), "{out:?}");
        assert_eq!(out[0].as_ref().unwrap_err().close_code(), Some(CloseCode::ProtocolError));
    }
}
