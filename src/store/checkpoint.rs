//! SQLite's write-ahead log, kept from growing without bound.
//!
//! Every connection has automatic checkpoints off (`conn.rs`): one would run inside
//! whichever commit crossed the threshold, an fsync on the writer's path. Instead:
//!
//! 1. A thread of its own ([`start`]) runs a PASSIVE checkpoint every second. It copies
//!    committed pages into the database file without blocking anyone, but it can
//!    never *start the log over*: SQLite does that only when a write begins after a
//!    checkpoint that copied every frame, and under steady load a newer frame has
//!    always been committed by then. Measured before this file existed: a 17 GB
//!    `-wal` (and a 33 MB `-shm` mapped into every connection) after 5 minutes at
//!    8,000 msg/s, growing until the disk is full.
//! 2. So once the log file has passed `database.sqlite_wal_max_mb`, the thread marks a
//!    restart due, and the store writer, between two of its own commits (no write
//!    of its in flight, most frames already copied by the thread), runs a RESTART
//!    checkpoint on its connection ([`WalKeeper::restart_if_due`]): it copies the
//!    few frames left, waits at most [`READERS_WAIT`] for readers still on the old
//!    log, and has the next commit write from the start of the file again, so the
//!    file stops growing at about the threshold plus a second of commits. If readers
//!    hold on longer it gives up (SQLite answers busy) and tries again before the
//!    writer's next commit. RESTART rather than TRUNCATE: cutting a file of tens of
//!    MB to zero took up to 80 ms with commits paused (p99 at 1,000 msg/s 1.1 → 15 ms);
//!    RESTART left p99 where it was (docs/PERFORMANCE.md).
//!
//! Nothing here runs on PostgreSQL.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use slog::{debug, warn, Logger};

use super::conn::{DbConn, DbUrl, Manager, SQLITE_BUSY_TIMEOUT_MS};

/// Longest the writer's RESTART checkpoint waits for readers (and another checkpoint)
/// before giving up until the next commit.
pub const READERS_WAIT: Duration = Duration::from_millis(20);

/// Before marking a restart due, the thread repeats its PASSIVE checkpoint (at most
/// this many more times) until one takes less than [`CAUGHT_UP`]: each pass only copies
/// and syncs what was committed during the one before, so the writer's restart,
/// which pauses commits, finds next to nothing left.
const CATCH_UP_PASSES: usize = 8;
const CAUGHT_UP: Duration = Duration::from_millis(5);

/// The `-wal` file of one SQLite database, and whether its restart is due.
pub struct WalKeeper {
    path: PathBuf,
    restart_due: AtomicBool,
}

impl WalKeeper {
    pub(super) fn new(url: &DbUrl) -> Arc<Self> {
        Arc::new(Self {
            path: PathBuf::from(format!("{}-wal", url.target)),
            restart_due: AtomicBool::new(false),
        })
    }

    /// Size of the log file now (0 when there is none).
    pub fn bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    /// Called by the store writer before a commit, on the connection it commits with:
    /// when the checkpoint thread has marked a restart due, checkpoints and starts the
    /// log over (see the module docs). Failures are left for the next call: the thread
    /// marks it due again while the file stays large.
    pub fn restart_if_due(&self, c: &mut DbConn) {
        if !self.restart_due.swap(false, Ordering::Relaxed) {
            return;
        }
        // Busy (readers still on the old log) is a row of the pragma's answer, not an
        // error; an error is left for the next try like it. Either way the usual busy
        // timeout is restored.
        let _ = c.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA wal_checkpoint(RESTART);",
            READERS_WAIT.as_millis()
        ));
        let _ = c.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"));
        crate::metrics::metrics().sqlite_wal_restarts.inc();
    }
}

/// Starts the checkpoint thread: every `every`, a PASSIVE checkpoint on a connection
/// of its own, then a restart marked due if the log is above `max_bytes`.
pub fn start(keeper: Arc<WalKeeper>, url: DbUrl, every: Duration, max_bytes: u64, log: Logger) {
    let thread_log = log.clone();
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        use r2d2::ManageConnection;
        let manager = Manager::new(url);
        let mut conn = None;
        loop {
            std::thread::sleep(every);
            if conn.is_none() {
                conn = manager.connect().ok();
            }
            let passive = |conn: &mut Option<DbConn>| -> Duration {
                let started = Instant::now();
                if let Some(c) = conn.as_mut() {
                    if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        warn!(thread_log, "WAL checkpoint failed"; "err" => %e);
                        *conn = None;
                    }
                }
                started.elapsed()
            };
            passive(&mut conn);
            let bytes = keeper.bytes();
            crate::metrics::metrics().sqlite_wal_bytes.set(bytes as i64);
            if bytes > max_bytes && !keeper.restart_due.load(Ordering::Relaxed) {
                // What the writer's restart must still copy and sync is what was
                // committed since the last pass: make the last pass a short one.
                for _ in 0..CATCH_UP_PASSES {
                    if passive(&mut conn) < CAUGHT_UP {
                        break;
                    }
                }
                keeper.restart_due.store(true, Ordering::Relaxed);
                debug!(thread_log, "WAL restart due"; "wal_bytes" => bytes);
            }
        }
    });
    if let Err(e) = spawned {
        // Without the thread the WAL still gets checkpointed when the last
        // connection closes; it just grows meanwhile.
        warn!(log, "could not start the WAL checkpoint thread"; "err" => %e);
    }
}
