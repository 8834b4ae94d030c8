//! `Outbox`: a WebSocket session's frames on their way to its socket, written by the
//! session's own task, with memory bounded by `limit` bytes.
//!
//! The session encodes each frame it sends into one buffer ([`Outbox::text`] and the
//! others), and the first frame of a turn schedules a [`Flush`] in the session's
//! context: once the session has handled what its mailbox held, the flush writes the
//! whole buffer to the socket in one system call. No other task is woken and no frame
//! is copied twice. When the socket takes only part of it (the client reads slower
//! than the session writes), the flush waits for the socket to become writable, which
//! wakes the session's task; the session keeps running meanwhile (heartbeat, mailbox,
//! close), whether or not its client reads.
//!
//! - More than `limit` bytes waiting while the socket still holds back bytes of an
//!   earlier turn: a slow consumer ([`Push::Overflow`]). The session stops (it leaves its
//!   rooms) and [`Outbox::finish`] aborts the connection: the buffer and the kernel's
//!   send queue are freed at once. What one turn writes into an outbox the client has
//!   kept up with (a history page, a replay) is never too much on its own.
//! - The session ended (close handshake, heartbeat timeout, server shutdown):
//!   [`Outbox::finish`] writes what is left (the close frame), waits until the kernel
//!   has sent it, half-closes the socket (the FIN follows the data) and reads until the
//!   client closes its side. A client that has not taken the last bytes within
//!   [`CLOSE_GRACE`] is aborted.
//!
//! How many bytes wait is published in a gauge (an atomic the admin API's session
//! listing reads: `outbound_queue_bytes`).

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use actix::{Actor, ActorContext, ActorFuture, AsyncContext};
use actix_http::ws::{CloseReason, OpCode, Parser};
use bytes::{Buf, BytesMut};
use tokio::time::Instant;

use super::socket::Socket;

/// How long an ended session's last bytes may take to reach the client, and how long
/// the server then waits for the client to close its side.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How often an ended session looks whether its last bytes have reached the client.
const CLOSE_POLL: Duration = Duration::from_millis(1);

/// How a session's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The session closed and the client took everything.
    Closed,
    /// The session closed, but the client did not take its last bytes in time.
    Unread,
    /// More than the limit was waiting for the client.
    SlowConsumer,
    /// The connection failed before the session ended.
    PeerGone,
}

impl Ending {
    /// The `reason` label of `roomd_ws_closed_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Unread => "unread",
            Self::SlowConsumer => "slow_consumer",
            Self::PeerGone => "peer_gone",
        }
    }

    pub const ALL: [Ending; 4] = [Self::Closed, Self::Unread, Self::SlowConsumer, Self::PeerGone];
}

/// What the session does after queueing a frame.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub enum Push {
    /// A flush is already on its way (or the outbox has failed): nothing.
    Queued,
    /// The first frame of a turn: spawn a [`Flush`] in the session's context.
    Flush,
    /// The client is too far behind: stop the session.
    Overflow,
}

/// What runs when the connection's fate is known.
pub type OnEnd = Box<dyn FnOnce(Ending)>;

/// The frames a session has written and its socket has not taken yet.
pub struct Outbox {
    socket: Rc<Socket>,
    buf: BytesMut,
    /// The socket held back bytes at the last flush: the client is behind.
    behind: bool,
    /// A [`Flush`] is scheduled or waiting for the socket.
    flushing: bool,
    /// Set once the connection cannot go on (slow consumer, write failed).
    failed: Option<Ending>,
    limit: usize,
    gauge: Arc<AtomicUsize>,
    on_end: Option<OnEnd>,
}

impl Outbox {
    /// `limit`: the bytes that may wait behind a client that does not keep up.
    pub fn new(socket: Rc<Socket>, limit: usize) -> Self {
        Self {
            socket,
            buf: BytesMut::new(),
            behind: false,
            flushing: false,
            failed: None,
            limit,
            gauge: Arc::default(),
            on_end: None,
        }
    }

    /// Runs `on_end` once, when [`Outbox::finish`] knows how the connection ended.
    pub fn on_end(&mut self, on_end: OnEnd) {
        self.on_end = Some(on_end);
    }

    /// Publishes the waiting bytes in `gauge` from now on.
    pub fn publish_to(&mut self, gauge: Arc<AtomicUsize>) {
        self.gauge = gauge;
    }

    pub fn text(&mut self, text: &[u8]) -> Push {
        self.frame(text, OpCode::Text)
    }

    pub fn ping(&mut self, payload: &[u8]) -> Push {
        self.frame(payload, OpCode::Ping)
    }

    pub fn pong(&mut self, payload: &[u8]) -> Push {
        self.frame(payload, OpCode::Pong)
    }

    /// The close frame; the session stops after it (nothing follows a close).
    pub fn close(&mut self, reason: Option<CloseReason>) -> Push {
        if self.failed.is_some() {
            return Push::Queued;
        }
        Parser::write_close(&mut self.buf, reason, false);
        self.pushed()
    }

    fn frame(&mut self, payload: &[u8], op: OpCode) -> Push {
        if self.failed.is_some() {
            return Push::Queued;
        }
        Parser::write_message(&mut self.buf, payload, op, true, false);
        self.pushed()
    }

    fn pushed(&mut self) -> Push {
        self.gauge.store(self.buf.len(), Ordering::Relaxed);
        if self.behind && self.buf.len() > self.limit {
            self.failed = Some(Ending::SlowConsumer);
            self.clear();
            return Push::Overflow;
        }
        if self.flushing {
            return Push::Queued;
        }
        self.flushing = true;
        Push::Flush
    }

    fn clear(&mut self) {
        self.buf = BytesMut::new();
        self.gauge.store(0, Ordering::Relaxed);
    }

    /// Writes what waits; `Pending` while the socket does not take it all.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match ready!(poll_write_all(&self.socket, &mut self.buf, cx)) {
            Ok(()) => {
                // Nothing held while the client keeps up.
                self.buf = BytesMut::new();
                self.behind = false;
            }
            Err(_) => {
                self.failed.get_or_insert(Ending::PeerGone);
                self.clear();
            }
        }
        self.gauge.store(self.buf.len(), Ordering::Relaxed);
        self.flushing = false;
        Poll::Ready(())
    }

    /// Writes what the socket takes now, without waiting: for a session about to
    /// wait (`ctx.wait`), during which actix polls none of its items, so what it
    /// wrote before leaves now rather than after the wait. The turn's [`Flush`]
    /// writes the rest.
    pub fn write_now(&mut self) {
        if self.failed.is_some() || self.buf.is_empty() {
            return;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if let Poll::Ready(Err(_)) = poll_write_all(&self.socket, &mut self.buf, &mut cx) {
            self.failed.get_or_insert(Ending::PeerGone);
            self.clear();
        }
        self.gauge.store(self.buf.len(), Ordering::Relaxed);
    }

    fn note_behind(&mut self) {
        self.behind = true;
        self.gauge.store(self.buf.len(), Ordering::Relaxed);
    }

    /// Ends the connection once the session has stopped: runs on a task of its own
    /// and calls `on_end` with how it ended.
    pub fn finish(&mut self) -> impl Future<Output = ()> + 'static {
        let socket = self.socket.clone();
        let mut buf = std::mem::take(&mut self.buf);
        let failed = self.failed;
        let on_end = self.on_end.take();
        self.gauge.store(0, Ordering::Relaxed);
        async move {
            let ending = match failed {
                Some(Ending::SlowConsumer) => {
                    socket.abort();
                    Ending::SlowConsumer
                }
                Some(ending) => ending,
                None => deliver_and_close(&socket, &mut buf).await,
            };
            if let Some(on_end) = on_end {
                on_end(ending);
            }
        }
    }
}

/// Writes `buf` to the socket, advancing it past what was written.
fn poll_write_all(socket: &Socket, buf: &mut BytesMut, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    while !buf.is_empty() {
        match ready!(socket.poll_write(cx, buf))? {
            0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            n => buf.advance(n),
        }
    }
    Poll::Ready(Ok(()))
}

/// The end of a session whose client may still read: its last bytes, the FIN after
/// them once the kernel has sent them, then the client's own end, each within
/// [`CLOSE_GRACE`]. A client that does not take the last bytes in time is aborted.
async fn deliver_and_close(socket: &Socket, buf: &mut BytesMut) -> Ending {
    let deadline = Instant::now() + CLOSE_GRACE;
    match tokio::time::timeout_at(deadline, poll_fn(|cx| poll_write_all(socket, buf, cx))).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Ending::PeerGone,
        Err(_) => {
            socket.abort();
            return Ending::Unread;
        }
    }
    while socket.unsent_bytes() > 0 {
        if Instant::now() >= deadline {
            socket.abort();
            return Ending::Unread;
        }
        tokio::time::sleep(CLOSE_POLL).await;
    }
    socket.half_close();
    // Closing with unread bytes would reset the connection, and a reset can make the
    // client drop the close frame it has not read yet: wait for its end first.
    let _ = tokio::time::timeout(CLOSE_GRACE, read_until_closed(socket)).await;
    Ending::Closed
}

/// Reads and drops what the client still sends, until it closes its side.
async fn read_until_closed(socket: &Socket) {
    let mut sink = [0u8; 1024];
    while let Ok(1..) = poll_fn(|cx| socket.poll_read(cx, &mut sink)).await {}
}

/// An actor that writes through an [`Outbox`].
pub trait Writer: Actor {
    fn outbox(&mut self) -> &mut Outbox;
}

/// A turn's flush, as an item of the writing actor's context: polled after the
/// mailbox's messages, and again whenever the socket becomes writable.
pub struct Flush;

impl<A> ActorFuture<A> for Flush
where
    A: Writer,
    A::Context: AsyncContext<A>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, act: &mut A, ctx: &mut A::Context, cx: &mut Context<'_>) -> Poll<()> {
        let outbox = act.outbox();
        if outbox.poll_flush(cx).is_pending() {
            outbox.note_behind();
            return Poll::Pending;
        }
        if outbox.failed.is_some() {
            ctx.stop();
        }
        Poll::Ready(())
    }
}
