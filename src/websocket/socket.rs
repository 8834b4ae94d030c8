//! The TCP socket under an HTTP connection, as far as roomd reaches past actix-web to
//! it: counting open connections (for the open-file limit) and ending a connection
//! whose peer does not read.
//!
//! actix-web owns each socket and writes to it only when it is writable, so a peer
//! that stops reading leaves the connection waiting for ever; no timeout of actix-web
//! covers that. [`PeerSocket`] is put into every connection's data when it is
//! accepted (`HttpServer::on_connect`); a WebSocket session takes a [`SocketRef`] from
//! it and may half-close or abort the socket itself.

use std::any::Any;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use socket2::SockRef;

/// File descriptors kept free for everything that is not a client connection (the
/// store's pool and files, NATS, listeners, logs): at `nofile - RESERVED_FDS` open
/// connections new WebSocket upgrades are refused.
pub const RESERVED_FDS: u64 = 128;

static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Counts as an open connection while it exists: it lives in the connection's data,
/// which actix-web drops with the connection.
pub struct PeerSocket {
    fd: RawFd,
    /// Dropped with the connection's data, when actix-web drops the connection (and
    /// closes the socket) — in the same step, on the connection's thread.
    open: Rc<()>,
}

impl PeerSocket {
    /// `HttpServer::on_connect`: remembers a TCP connection's socket.
    pub fn on_connect(conn: &dyn Any, data: &mut Extensions) {
        if let Some(tcp) = conn.downcast_ref::<TcpStream>() {
            OPEN.fetch_add(1, Ordering::Relaxed);
            data.insert(PeerSocket { fd: tcp.as_raw_fd(), open: Rc::new(()) });
        }
    }

    /// A handle for the connection's response body to act on its own socket.
    pub fn handle(&self) -> SocketRef {
        SocketRef { fd: self.fd, open: Rc::downgrade(&self.open) }
    }
}

impl Drop for PeerSocket {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// TCP connections open now (HTTP and WebSocket).
pub fn open_connections() -> usize {
    OPEN.load(Ordering::Relaxed)
}

/// Raises the soft open-file limit to the hard one and returns it (what
/// `RLIMIT_NOFILE` allows now if raising fails).
pub fn raise_open_file_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::Resource::NOFILE.get().map(|(soft, _)| soft))
        .unwrap_or(1024)
}

/// A connection's socket. It is `!Send`: it is used on the connection's own thread,
/// where the connection cannot close between the check that it is open and the
/// system call on its descriptor; each method does nothing once it has closed.
#[derive(Clone, Debug)]
pub struct SocketRef {
    fd: RawFd,
    open: Weak<()>,
}

impl SocketRef {
    /// Whether the connection (and so its descriptor) is still open.
    pub fn is_open(&self) -> bool {
        self.open.strong_count() > 0
    }

    fn with_sock<R>(&self, f: impl FnOnce(SockRef<'_>) -> R) -> Option<R> {
        if !self.is_open() {
            return None;
        }
        // SAFETY: the descriptor is open (checked just above, on the thread that
        // would close it) and stays borrowed only for this call.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        Some(f(SockRef::from(&fd)))
    }

    /// Bytes written to the socket that the kernel has not sent yet (0 once the
    /// connection has closed).
    pub fn unsent_bytes(&self) -> usize {
        self.with_sock(|s| {
            let mut n: libc::c_int = 0;
            // SAFETY: SIOCOUTQNSD writes one int to `n`; the descriptor is open.
            let rc = unsafe { libc::ioctl(s.as_raw_fd(), libc::SIOCOUTQNSD, &mut n) };
            if rc == 0 {
                n.max(0) as usize
            } else {
                0
            }
        })
        .unwrap_or(0)
    }

    /// Whether closing the socket resets the connection and discards what the kernel
    /// has not sent (`SO_LINGER` 0) instead of sending it first, for as long as the
    /// peer takes.
    pub fn set_abortive_close(&self, on: bool) {
        let _ = self.with_sock(|s| s.set_linger(on.then_some(Duration::ZERO)));
    }

    /// Sends FIN after what is queued: the orderly end of a WebSocket close handshake
    /// (RFC 6455 §7.1.1: the server closes the TCP connection first).
    pub fn half_close(&self) {
        let _ = self.with_sock(|s| s.shutdown(Shutdown::Write));
    }

    /// Ends the connection now: unsent data is discarded and the peer gets a reset
    /// when the socket closes, so the kernel frees its send queue at once. actix-web
    /// sees the socket fail and drops the connection.
    pub fn abort(&self) {
        self.set_abortive_close(true);
        let _ = self.with_sock(|s| s.shutdown(Shutdown::Both));
    }
}
