//! SQLite's write-ahead log, kept from growing without bound.
//!
//! Every connection has automatic checkpoints off (`conn.rs`): one would run inside
//! whichever commit crossed the threshold, an fsync on the writer's path. Instead:
//!
//! 1. A thread of its own ([`start`]) runs a PASSIVE checkpoint every 100 ms. It copies
//!    committed pages into the database file without blocking anyone, but it can
//!    never *start the log over*: SQLite does that only when a write begins after a
//!    checkpoint that copied every frame, and under steady load a newer frame has
//!    always been committed by then. Measured before this file existed: a 17 GB
//!    `-wal` (and a 33 MB `-shm` mapped into every connection) after 5 minutes at
//!    8,000 msg/s, growing until the disk is full.
//! 2. So once the log holds a quarter of `database.sqlite_wal_max_mb` (counted in
//!    frames: a restart keeps the file's size), the thread marks a restart due, and
//!    the store writer, between two of its own commits (no write of its in flight,
//!    most frames already copied by the thread), runs a RESTART checkpoint on its
//!    connection ([`WalKeeper::restart_if_due`]): it copies the few frames left, waits
//!    at most [`READERS_WAIT`] for readers still on the old log, and has the next
//!    commit write from the start of the file again, so the file stops growing at
//!    about a quarter of the limit plus what is committed until the restart runs. If
//!    readers hold on longer it gives up (SQLite answers busy) and tries again before
//!    the writer's next commit; should the file meanwhile pass the limit,
//!    `journal_size_limit` has the first commit after the restart cut it back.
//!    RESTART rather than TRUNCATE: cutting a file of tens of MB to zero took up to
//!    80 ms with commits paused (p99 at 1,000 msg/s 1.1 → 15 ms); RESTART left p99
//!    where it was (docs/PERFORMANCE.md).
//!
//! Nothing here runs on PostgreSQL.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
const CATCH_UP_PASSES: usize = 2;
const CAUGHT_UP: Duration = Duration::from_millis(5);

/// A restart is marked due once the log holds this fraction (1/n) of
/// `database.sqlite_wal_max_mb`, leaving the rest for what is committed until it runs.
const RESTART_SHARE: u64 = 4;

/// Bytes of one log frame: a 4096-byte page (SQLite's default page size, which roomd
/// keeps) and its 24-byte header.
const FRAME_BYTES: u64 = 4096 + 24;

/// The `-wal` file of one SQLite database, and whether its restart is due.
pub struct WalKeeper {
    path: PathBuf,
    restart_due: AtomicBool,
    /// `database.sqlite_wal_max_mb` in bytes, once the thread started (0 before).
    max_bytes: AtomicU64,
}

impl WalKeeper {
    pub(super) fn new(url: &DbUrl) -> Arc<Self> {
        Arc::new(Self {
            path: PathBuf::from(format!("{}-wal", url.target)),
            restart_due: AtomicBool::new(false),
            max_bytes: AtomicU64::new(0),
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
        // journal_size_limit: should readers have held restarts off while the file grew
        // past `max_bytes`, the first commit after this restart cuts it back to that size.
        let _ = c.batch_execute(&format!(
            "PRAGMA journal_size_limit = {}; PRAGMA busy_timeout = {}; PRAGMA wal_checkpoint(RESTART);",
            self.max_bytes.load(Ordering::Relaxed),
            READERS_WAIT.as_millis()
        ));
        let _ = c.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"));
        crate::metrics::metrics().sqlite_wal_restarts.inc();
    }
}

/// What `PRAGMA wal_checkpoint` answers: whether it was blocked, the frames in the log
/// and how many of them are copied into the database file.
#[derive(diesel::QueryableByName)]
struct CheckpointAnswer {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    checkpointed: i32,
}

/// One PASSIVE checkpoint on `conn` (opened again after a failure): the frames in the
/// log, or `None` when it failed.
fn passive(conn: &mut Option<DbConn>, log: &Logger) -> Option<u64> {
    use diesel::RunQueryDsl;
    let c = conn.as_mut()?;
    match diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<CheckpointAnswer>(c) {
        Ok(a) => Some(a.log.max(0) as u64),
        Err(e) => {
            warn!(log, "WAL checkpoint failed"; "err" => %e);
            *conn = None;
            None
        }
    }
}

/// Starts the checkpoint thread: every `every`, a PASSIVE checkpoint on a connection
/// of its own, then a restart marked due once the frames in the log (not the file's
/// size, which a restart keeps) pass [`RESTART_SHARE`] of `max_bytes`: the log grows
/// while the restart waits its turn (at 100k msg/s by well over 100 MB a second), and
/// a restart due only at `max_bytes` let the file reach 160 MB with a one-second
/// `every` (docs/PERFORMANCE.md, issue #22).
pub fn start(keeper: Arc<WalKeeper>, url: DbUrl, every: Duration, max_bytes: u64, log: Logger) {
    keeper.max_bytes.store(max_bytes, Ordering::Relaxed);
    let thread_log = log.clone();
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        use r2d2::ManageConnection;
        let manager = Manager::new(url);
        let mut conn = None;
        let restart_at = max_bytes / RESTART_SHARE;
        loop {
            std::thread::sleep(every);
            if conn.is_none() {
                conn = manager.connect().ok();
            }
            let Some(frames) = passive(&mut conn, &thread_log) else { continue };
            crate::metrics::metrics().sqlite_wal_bytes.set(keeper.bytes() as i64);
            let log_bytes = frames.saturating_mul(FRAME_BYTES);
            if log_bytes >= restart_at && !keeper.restart_due.load(Ordering::Relaxed) {
                // What the writer's restart must still copy and sync is what was
                // committed since the last pass: make the last pass a short one.
                for _ in 0..CATCH_UP_PASSES {
                    let started = Instant::now();
                    if passive(&mut conn, &thread_log).is_none() || started.elapsed() < CAUGHT_UP {
                        break;
                    }
                }
                keeper.restart_due.store(true, Ordering::Relaxed);
                debug!(thread_log, "WAL restart due"; "log_bytes" => log_bytes);
            }
        }
    });
    if let Err(e) = spawned {
        // Without the thread the WAL still gets checkpointed when the last
        // connection closes; it just grows meanwhile.
        warn!(log, "could not start the WAL checkpoint thread"; "err" => %e);
    }
}
