//! The TCP socket under a connection: counting open connections (for the open-file
//! limit), and the socket calls a WebSocket connection makes once it owns its socket.
//!
//! Every accepted connection is counted from the moment it is accepted
//! ([`PeerSocket::on_connect`], in the connection's data) for as long as actix-web
//! holds it. An upgrade to WebSocket takes the socket out of actix-web
//! (`http::handover`) and the count with it ([`PeerSocket::take`]): the session's
//! [`Socket`] holds it until the connection closes.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// File descriptors kept free for everything that is not a client connection (the
/// store's pool and files, NATS, listeners, logs): at `nofile - RESERVED_FDS` open
/// connections new WebSocket upgrades are refused.
pub const RESERVED_FDS: u64 = 128;

static OPEN: AtomicUsize = AtomicUsize::new(0);
static WEBSOCKETS: AtomicUsize = AtomicUsize::new(0);

/// One open connection, counted while this exists.
pub struct OpenConnection(());

impl OpenConnection {
    fn new() -> Self {
        OPEN.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// TCP connections open now (HTTP and WebSocket).
pub fn open_connections() -> usize {
    OPEN.load(Ordering::Relaxed)
}

/// WebSocket connections whose socket is still open (a session's, or one that is
/// closing: shutdown waits for these to be done).
pub fn open_websockets() -> usize {
    WEBSOCKETS.load(Ordering::Relaxed)
}

/// In every HTTP connection's data: the connection's count, until an upgrade takes it.
pub struct PeerSocket(Cell<Option<OpenConnection>>);

impl PeerSocket {
    /// `HttpService::on_connect_ext`: counts a newly accepted TCP connection.
    pub fn on_connect(_: &TcpStream, data: &mut Extensions) {
        data.insert(PeerSocket(Cell::new(Some(OpenConnection::new()))));
    }

    /// The count, for the socket's new owner after an upgrade.
    pub fn take(&self) -> Option<OpenConnection> {
        self.0.take()
    }
}

/// Raises the soft open-file limit to the hard one and returns it (what
/// `RLIMIT_NOFILE` allows now if raising fails).
pub fn raise_open_file_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::Resource::NOFILE.get().map(|(soft, _)| soft))
        .unwrap_or(1024)
}

/// A WebSocket connection's socket, shared by its reader and its outbox, which take
/// turns on the session's task. The descriptor closes when the last of them drops it.
///
/// Reads and writes go through tokio's `AsyncRead` and `AsyncWrite`: a read or write
/// that takes less than was offered tells tokio the socket is drained (or full), so
/// the next one waits for the socket instead of costing a system call that would
/// only say "try again".
pub struct Socket {
    stream: RefCell<TcpStream>,
    _counted: Option<OpenConnection>,
}

impl Socket {
    pub fn new(stream: TcpStream, counted: Option<OpenConnection>) -> Self {
        WEBSOCKETS.fetch_add(1, Ordering::Relaxed);
        Self { stream: RefCell::new(stream), _counted: counted }
    }

    /// Reads into `buf`; `Ok(0)`: the client closed its side.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut read = ReadBuf::new(buf);
        let mut stream = self.stream.borrow_mut();
        std::task::ready!(Pin::new(&mut *stream).poll_read(cx, &mut read))?;
        Poll::Ready(Ok(read.filled().len()))
    }

    /// Writes from `buf`; the bytes written.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.stream.borrow_mut()).poll_write(cx, buf)
    }

    fn with_sock<R>(&self, f: impl FnOnce(SockRef<'_>) -> R) -> R {
        f(SockRef::from(&*self.stream.borrow()))
    }

    /// Bytes written to the socket that the kernel has not sent yet.
    pub fn unsent_bytes(&self) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: SIOCOUTQNSD writes one int to `n`; the descriptor is open while
        // `self` exists.
        let rc = self.with_sock(|s| unsafe { libc::ioctl(s.as_raw_fd(), libc::SIOCOUTQNSD, &mut n) });
        if rc == 0 {
            n.max(0) as usize
        } else {
            0
        }
    }

    /// Sends FIN after what is queued: the orderly end of a WebSocket close handshake
    /// (RFC 6455 §7.1.1: the server closes the TCP connection first).
    pub fn half_close(&self) {
        let _ = self.with_sock(|s| s.shutdown(Shutdown::Write));
    }

    /// Ends the connection now: unsent data is discarded and the peer gets a reset,
    /// so the kernel frees the send queue at once (`SO_LINGER` 0, then shutdown).
    pub fn abort(&self) {
        self.with_sock(|s| {
            let _ = s.set_linger(Some(Duration::ZERO));
            let _ = s.shutdown(Shutdown::Both);
        });
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        WEBSOCKETS.fetch_sub(1, Ordering::Relaxed);
    }
}
