//! The durable store: a pool of [`DbConn`]s and [`Store::run`], the only way code outside
//! this module touches the database. Diesel is blocking, so every call runs on the
//! blocking thread pool, never on an actor's thread — except the store writers' commits,
//! each on the writer's own arbiter thread, which runs nothing else
//! (`actors/store_writer.rs`).

pub mod audit;
pub mod broadcasts;
pub mod checkpoint;
pub mod cluster;
pub mod conn;
pub mod event_triggers;
pub mod members;
pub mod message_stats;
pub mod messages;
pub mod migrate;
mod prepared;
pub mod restrictions;
pub mod retention;
pub mod room_life;
pub mod room_list;
pub mod rooms;
pub mod schedules;
pub mod targets;
pub mod tokens;
pub mod tombstones;
pub mod webhooks;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub use conn::{Backend, DbConn, DbUrl};

use crate::error::{ErrorCode, HasCode};

/// What can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store task failed")]
    Join(#[from] tokio::task::JoinError),
    #[error("store query failed: {0}")]
    Query(DieselError),
    /// The disk under the database is full (SQLite `SQLITE_FULL`, PostgreSQL
    /// `disk_full`, "could not extend file", "No space left on device").
    #[error("store out of disk space: {0}")]
    Full(String),
}

/// The `message` clients get for a store failure: never the database's own text,
/// which is logged instead.
pub const UNAVAILABLE_MESSAGE: &str = "the store cannot serve the request now; retry later";
/// The `message` clients get when the store's disk is full.
pub const FULL_MESSAGE: &str = "the store is out of disk space; retry later";

/// True for a database error text that says the disk is full.
fn says_disk_full(text: &str) -> bool {
    const SIGNS: [&str; 4] =
        ["database or disk is full", "no space left on device", "could not extend file", "disk full"];
    let text = text.to_ascii_lowercase();
    SIGNS.iter().any(|s| text.contains(s))
}

impl StoreError {
    /// True when the disk under the database is full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// True when retrying later may succeed (connection lost, pool exhausted), as opposed
    /// to an error that the same statement will hit again.
    pub fn is_transient(&self) -> bool {
        // (`Full` is not: the writer handles it on its own, see `StoreWriter`.)
        match self {
            Self::Unavailable(_) => true,
            Self::Query(DieselError::DatabaseError(kind, _)) => {
                matches!(kind, DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand)
            }
            Self::Query(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Conflict,
            DieselError::DatabaseError(_, ref info) if says_disk_full(info.message()) => {
                Self::Full(info.message().to_string())
            }
            other => Self::Query(other),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl HasCode for StoreError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound => ErrorCode::NotFound,
            Self::Conflict => ErrorCode::Conflict,
            Self::Unavailable(_) | Self::Join(_) | Self::Query(_) | Self::Full(_) => ErrorCode::Unavailable,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound | Self::Conflict => self.to_string(),
            Self::Full(_) => FULL_MESSAGE.into(),
            Self::Unavailable(_) | Self::Join(_) | Self::Query(_) => UNAVAILABLE_MESSAGE.into(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        self.is_transient().then(|| Duration::from_secs(1))
    }
}

/// Creates a SQLite database file that does not exist yet with mode 0600 (SQLite gives
/// its `-wal` and `-shm` files the mode of the database file), and the directories
/// above it that do not exist with mode 0700. An existing file or directory keeps its
/// mode.
fn create_private(db: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if db.as_os_str().is_empty() || db.to_string_lossy().starts_with(':') {
        return Ok(());
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        if dir.exists() && !dir.is_dir() {
            return Err(std::io::Error::other(format!("{} is not a directory", dir.display())));
        }
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(db) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(|_| ()),
    }
}

/// One small real write that changes nothing: the row of the newest migration is
/// rewritten as it is (a new WAL frame on SQLite, a new row version on PostgreSQL).
/// Tells whether writes succeed again after a full disk.
pub fn probe_write(c: &mut DbConn) -> Result<(), StoreError> {
    use diesel::RunQueryDsl;
    diesel::sql_query(
        "UPDATE __diesel_schema_migrations SET version = version \
         WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
    )
    .execute(c)?;
    Ok(())
}

/// At most this many store writers hold a connection at once (`store.writers` is
/// far below it in any sensible configuration; more wait for one).
const WRITER_CONNECTIONS_MAX: u32 = 64;

/// A store writer's connection (`Store::writer_connection`).
pub type WriterConn = r2d2::PooledConnection<conn::Manager>;

/// A pooled handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<conn::Manager>,
    /// The store writers' connections, each kept by its writer between commits
    /// ([`Store::writer_connection`]); not counted in `database.pool_size`.
    writer_pool: r2d2::Pool<conn::Manager>,
    /// For probing the database outside the pool.
    manager: Arc<conn::Manager>,
    backend: Backend,
    /// The store writer's last commit failed for lack of disk space (`StoreError::Full`)
    /// and no commit has succeeded since; `/readyz` answers 503 meanwhile.
    writes_failing: Arc<AtomicBool>,
    /// SQLite's write-ahead log (None on PostgreSQL).
    wal: Option<Arc<checkpoint::WalKeeper>>,
}

impl Store {
    /// Opens the pool (failing fast if the database cannot be reached) and applies
    /// pending migrations.
    pub fn open(url: &str, pool_size: u32, connect_timeout: Duration) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use r2d2::ManageConnection;
        let url = DbUrl::parse(url)?;
        if url.backend == Backend::Sqlite {
            create_private(std::path::Path::new(&url.target))
                .with_context(|| format!("creating the SQLite database {}", url.redacted()))?;
        }
        // One direct connection first: the pool would only say that it timed out
        // after `connect_timeout`; this says why (no such database, permission
        // denied, connection refused) at once.
        conn::Manager::new(url.clone())
            .connect()
            .with_context(|| format!("connecting to {}", url.redacted()))?;
        let backend = url.backend;
        let wal = (backend == Backend::Sqlite).then(|| checkpoint::WalKeeper::new(&url));
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(2))
            .min_idle(Some(1))
            .connection_timeout(connect_timeout)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(conn::Manager::new(url.clone()))?;
        let writer_pool = r2d2::Pool::builder()
            .max_size(WRITER_CONNECTIONS_MAX)
            .min_idle(Some(0))
            .connection_timeout(connect_timeout)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(conn::Manager::new(url.clone()))?;
        let store = Self {
            pool,
            writer_pool,
            manager: Arc::new(conn::Manager::new(url)),
            backend,
            writes_failing: Arc::new(AtomicBool::new(false)),
            wal,
        };
        let mut c = store.pool.get()?;
        migrate::run_pending(&mut c).map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        conn::write_txn(&mut c, |c| {
            event_triggers::lock_webhooks(c)?;
            event_triggers::sync(c)
        })
        .map_err(|e| anyhow::anyhow!("setting up the webhook outbox's triggers failed: {e}"))?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// SQLite only: starts the WAL checkpoint thread (`checkpoint.rs`): a PASSIVE
    /// checkpoint every `every`, and a restart by the store writer once the log is
    /// over `wal_max_bytes`. Does nothing on PostgreSQL.
    pub fn start_checkpointer(&self, every: Duration, wal_max_bytes: u64, log: slog::Logger) {
        if let Some(keeper) = &self.wal {
            checkpoint::start(keeper.clone(), self.manager.url().clone(), every, wal_max_bytes, log);
        }
    }

    /// SQLite only: runs the WAL restart the checkpoint thread marked due, on `c`.
    /// For the store writer, between its commits (`checkpoint.rs`).
    pub fn restart_wal_if_due(&self, c: &mut DbConn) {
        if let Some(keeper) = &self.wal {
            keeper.restart_if_due(c);
        }
    }

    /// Runs `f` on the blocking pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` on the calling thread; for CLI commands and the blocking writer task.
    pub fn run_blocking<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }

    /// A connection for a store writer to keep between its commits (blocking). A pool
    /// checkout costs a round trip (r2d2 tests the connection with `SELECT 1`), one
    /// more per commit; the writer gives the connection back when a commit fails, so
    /// the next one is tested again. `idle_txn_ms`: [`conn::abort_txns_left_idle`].
    pub fn writer_connection(&self, idle_txn_ms: Option<u64>) -> Result<WriterConn, StoreError> {
        let mut c = self.writer_pool.get()?;
        conn::abort_txns_left_idle(&mut c, idle_txn_ms)?;
        Ok(c)
    }

    /// True when a fresh connection can be opened and answers (blocking).
    pub fn reachable(&self) -> bool {
        use diesel::r2d2::R2D2Connection;
        use r2d2::ManageConnection;
        self.manager.connect().and_then(|mut c| c.ping().map_err(Into::into)).is_ok()
    }

    /// Records the outcome of a write that needs disk space: `false` after a commit
    /// failed with `StoreError::Full`, `true` after any commit succeeded.
    pub fn note_write(&self, ok: bool) {
        self.writes_failing.store(!ok, Ordering::Relaxed);
    }

    /// True between a commit that failed for lack of disk space and the next one that
    /// succeeded.
    pub fn writes_failing(&self) -> bool {
        self.writes_failing.load(Ordering::Relaxed)
    }

    /// True when a connection can be had and answers.
    pub async fn ping(&self) -> bool {
        self.run(|c| {
            use diesel::r2d2::R2D2Connection;
            c.ping().map_err(StoreError::from)
        })
        .await
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HasCode;

    #[test]
    fn a_full_disk_is_recognised_on_both_backends_and_its_text_is_not_shown() {
        for text in [
            "database or disk is full",
            "could not extend file \"base/16384/16397\": No space left on device",
            "could not write to file \"pg_wal/xlogtemp.123\": No space left on device",
        ] {
            let e = StoreError::from(DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(text.to_string()),
            ));
            assert!(e.is_full(), "{text}");
            assert_eq!(e.public_message(), FULL_MESSAGE);
        }
        let other = StoreError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("syntax error at or near \"x\"".to_string()),
        ));
        assert!(!other.is_full());
        assert_eq!(other.public_message(), UNAVAILABLE_MESSAGE);
        assert!(other.to_string().contains("syntax error"), "the full text stays for the log");
    }
}
