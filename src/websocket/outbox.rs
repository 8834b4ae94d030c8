//! `Outbox`: a WebSocket session's bytes on their way out, with the session kept
//! running whatever the client does, and memory bounded by `limit` bytes.
//!
//! actix-web-actors runs a session actor inside its response body, and actix-web
//! polls a response body only while the socket takes more bytes: when a client stops
//! reading, its actor is never polled again — its heartbeat timer, its mailbox and
//! its close all freeze, and the connection stays open for ever. So the session's
//! body stream is not handed to actix-web; a task of its own ([`start`]) drives it and
//! queues what it writes here, and actix-web reads this queue ([`OutboxBody`]).
//!
//! - More than `limit` bytes waiting for the client, in more than one chunk (what the
//!   session writes in one turn, such as a whole history page or replay, is one chunk
//!   and may be larger): a slow consumer. The session is stopped (it leaves its rooms)
//!   and the connection aborted ([`SocketRef::abort`]): the queue and the kernel's send
//!   buffer are freed at once.
//! - The session ended (close handshake, heartbeat timeout, server shutdown): once
//!   its last bytes (the close frame) have been sent to the client, the socket is
//!   half-closed so the client sees the end at once instead of after actix-web's
//!   one-second linger. A client that has not taken them within [`CLOSE_GRACE`] is
//!   aborted.
//!
//! How many bytes wait is published in a gauge the caller hands over (an atomic the
//! admin API's session listing reads: `outbound_queue_bytes`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use super::socket::SocketRef;

/// How long an ended session's last bytes may take to reach the client.
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
    /// The connection was gone before the session ended.
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

#[derive(Default)]
struct Queue {
    chunks: VecDeque<Bytes>,
    bytes: usize,
    /// `bytes`, for readers on other threads.
    gauge: Arc<AtomicUsize>,
    /// actix-web's task, waiting for the next chunk.
    waker: Option<Waker>,
    /// No more chunks will come.
    ended: bool,
    /// actix-web took the end of the body.
    finished: bool,
    /// actix-web dropped the body: after `finished`, or because the connection failed.
    dropped: bool,
}

impl Queue {
    fn set_bytes(&mut self, bytes: usize) {
        self.bytes = bytes;
        self.gauge.store(bytes, Ordering::Relaxed);
    }

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// The response body actix-web writes to the client.
pub struct OutboxBody(Rc<RefCell<Queue>>);

impl Stream for OutboxBody {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut q = self.0.borrow_mut();
        if let Some(chunk) = q.chunks.pop_front() {
            let left = q.bytes - chunk.len();
            q.set_bytes(left);
            return Poll::Ready(Some(Ok(chunk)));
        }
        if q.ended {
            q.finished = true;
            return Poll::Ready(None);
        }
        q.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for OutboxBody {
    fn drop(&mut self) {
        self.0.borrow_mut().dropped = true;
    }
}

/// Drives `session` (a WebSocket context's byte stream, which runs its actor) on a
/// task of the current thread, and returns the body for the response. `socket` is the
/// connection's (none for a connection that is not TCP: no abort, no half-close).
/// `request_payload` is kept until the end is decided: actix-web closes a connection
/// soon after its request payload is dropped, which the session does when it stops.
/// `gauge` is kept at the bytes waiting. `on_end` runs once the connection's fate is known.
pub fn start<S>(
    session: S,
    request_payload: impl std::any::Any,
    socket: Option<SocketRef>,
    limit: usize,
    gauge: Arc<AtomicUsize>,
    on_end: impl FnOnce(Ending) + 'static,
) -> OutboxBody
where
    S: Stream<Item = Result<Bytes, actix_web::Error>> + 'static,
{
    let queue = Rc::new(RefCell::new(Queue { gauge, ..Queue::default() }));
    let body = OutboxBody(queue.clone());
    actix_web::rt::spawn(async move {
        let ending = drive(session, &queue, socket, limit).await;
        drop(request_payload);
        on_end(ending);
    });
    body
}

async fn drive<S>(session: S, queue: &RefCell<Queue>, socket: Option<SocketRef>, limit: usize) -> Ending
where
    S: Stream<Item = Result<Bytes, actix_web::Error>>,
{
    let overflowed = {
        let mut session = pin!(session);
        loop {
            let Some(Ok(chunk)) = session.next().await else { break false };
            {
                let mut q = queue.borrow_mut();
                if q.dropped {
                    return Ending::PeerGone;
                }
                let bytes = q.bytes + chunk.len();
                q.set_bytes(bytes);
                q.chunks.push_back(chunk);
                q.wake();
            }
            // What one turn of the session writes (a history page, a replay) is one
            // chunk and never too much on its own: the limit is on the backlog behind
            // it, once actix-web has had its turn to take what the socket accepts.
            if over(queue, limit) {
                tokio::task::yield_now().await;
                if over(queue, limit) {
                    break true;
                }
            }
        }
        // Dropping the stream stops the actor if it still runs (it leaves its rooms).
    };
    let mut q = queue.borrow_mut();
    q.ended = true;
    if q.dropped {
        return Ending::PeerGone;
    }
    if overflowed {
        q.chunks.clear();
        q.set_bytes(0);
        q.wake();
        drop(q);
        if let Some(s) = &socket {
            s.abort();
        }
        return Ending::SlowConsumer;
    }
    q.wake();
    drop(q);
    match socket {
        Some(s) => close_when_delivered(queue, s).await,
        None => Ending::Closed,
    }
}

/// More than `limit` bytes wait, behind at least one chunk actix-web has not taken.
fn over(queue: &RefCell<Queue>, limit: usize) -> bool {
    let q = queue.borrow();
    q.bytes > limit && q.chunks.len() > 1
}

/// Half-closes the socket once actix-web has written the whole body and the kernel
/// has sent it (the FIN follows the data); aborts it if that takes longer than
/// [`CLOSE_GRACE`] (a client that does not read). While bytes wait, closing the socket
/// is made abortive: actix-web closes a finished connection itself after a second,
/// and a plain close would leave the kernel holding (and retrying) what the client
/// never took.
async fn close_when_delivered(queue: &RefCell<Queue>, socket: SocketRef) -> Ending {
    let deadline = Instant::now() + CLOSE_GRACE;
    let mut waiting = false;
    // actix-web takes the end of the body on its next turn.
    tokio::task::yield_now().await;
    loop {
        if !socket.is_open() {
            return if waiting { Ending::Unread } else { Ending::Closed };
        }
        if queue.borrow().finished && socket.unsent_bytes() == 0 {
            if waiting {
                socket.set_abortive_close(false);
            }
            socket.half_close();
            return Ending::Closed;
        }
        if !waiting {
            socket.set_abortive_close(true);
            waiting = true;
        }
        if Instant::now() >= deadline {
            socket.abort();
            return Ending::Unread;
        }
        tokio::time::sleep(CLOSE_POLL).await;
    }
}
