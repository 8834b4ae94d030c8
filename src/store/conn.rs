//! The database connection: one `DbConn` type over SQLite and PostgreSQL, the r2d2
//! manager that opens the right variant from the URL (keeping the real connection
//! error), and the SQLite pragmas every connection gets.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::{PgConnection, SqliteConnection};

/// A connection to either backend. Queries written once against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same diesel expression on the inner connection of either variant, for the
/// statements `MultiConnection` cannot express (multi-row INSERT, ON CONFLICT).
macro_rules! with_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::conn::DbConn::Postgresql($c) => $body,
            $crate::store::conn::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use with_inner;

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A `database.url` roomd cannot use. The URL in the message has its password hidden.
#[derive(Debug, thiserror::Error)]
pub enum BadDbUrl {
    #[error("database.url must start with sqlite:// or postgres:// (got {0:?})")]
    UnknownScheme(String),
    #[error("database.url sqlite:// names no file (for example sqlite://data/roomd.db)")]
    NoSqliteFile,
}

/// Parsed `database.url`.
#[derive(Debug, Clone)]
pub struct DbUrl {
    pub backend: Backend,
    /// What the driver receives: a file path for SQLite, the URL for PostgreSQL.
    pub target: String,
}

impl DbUrl {
    /// The URL as logs and errors show it: a PostgreSQL password replaced by `***`,
    /// an SQLite database as its absolute path (`sqlite:///…`; relative paths are
    /// relative to the working directory).
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite if self.target.is_empty() || self.target.starts_with(':') => {
                format!("sqlite://{}", self.target)
            }
            Backend::Sqlite => {
                let path = std::path::absolute(&self.target).unwrap_or_else(|_| self.target.clone().into());
                format!("sqlite://{}", path.display())
            }
            Backend::Postgres => redact_password(&self.target),
        }
    }

    pub fn parse(url: &str) -> Result<Self, BadDbUrl> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if rest.trim().is_empty() {
                return Err(BadDbUrl::NoSqliteFile);
            }
            return Ok(Self { backend: Backend::Sqlite, target: rest.to_string() });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self { backend: Backend::Postgres, target: url.to_string() });
        }
        Err(BadDbUrl::UnknownScheme(redact_password(url)))
    }
}

/// `scheme://user:secret@host…` → `scheme://user:***@host…`, and a `password=` query
/// parameter's value → `***`; anything else as it is.
fn redact_password(url: &str) -> String {
    let url = redact_query_password(url);
    let Some((scheme, rest)) = url.split_once("://") else { return url };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.clone() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.clone(),
    }
}

/// `…?sslmode=x&password=secret` → `…?sslmode=x&password=***`.
fn redact_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Opens `DbConn`s for r2d2, choosing the variant by URL scheme.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
}

/// How long an SQLite connection waits for a lock before answering busy.
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 5000;

impl Manager {
    pub fn new(url: DbUrl) -> Self {
        Self { url }
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.url.backend {
            Backend::Postgres => {
                let mut c = PgConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Diesel keeps statements prepared; after five runs PostgreSQL may
                // switch to a generic plan made while a table was still small (a
                // sequential scan) and keep it as the table grows, until autovacuum's
                // first ANALYZE. Custom plans follow the table's real size. (The store
                // writer's dedupe lookup is written so that no plan can scan:
                // `messages::existing_client_ids`.)
                c.batch_execute("SET plan_cache_mode = force_custom_plan;")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Postgresql(c))
            }
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first: WAL first makes concurrent opens of a new file fail.
                // No automatic checkpoints: one would run inside whichever commit crossed
                // the threshold (an fsync on the writer's path); `checkpoint.rs` runs them on a
                // thread of its own and has the store writer cut the log between commits.
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 0;"
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// First thing inside a write transaction on PostgreSQL: the server aborts the
/// transaction (and drops the connection) if it is left idle for `ms`, as when this
/// process froze mid-transaction, so its row locks cannot hold up the node that takes
/// this node's work over. Nothing on SQLite or without `ms`
/// (`ClusterConfig::idle_txn_timeout_ms`).
pub fn abort_if_left_idle(c: &mut DbConn, ms: Option<u64>) -> Result<(), diesel::result::Error> {
    set_idle_txn_timeout(c, ms, "LOCAL")
}

/// [`abort_if_left_idle`] for every later transaction of the connection, set once: for
/// a connection that runs only write transactions (a store writer's own), one round
/// trip less per transaction.
pub fn abort_txns_left_idle(c: &mut DbConn, ms: Option<u64>) -> Result<(), diesel::result::Error> {
    set_idle_txn_timeout(c, ms, "SESSION")
}

fn set_idle_txn_timeout(c: &mut DbConn, ms: Option<u64>, scope: &str) -> Result<(), diesel::result::Error> {
    match (ms, &c) {
        (Some(ms), DbConn::Postgresql(_)) => {
            c.batch_execute(&format!("SET {scope} idle_in_transaction_session_timeout = {ms}"))
        }
        _ => Ok(()),
    }
}

/// Runs the reads of `f` on one snapshot on SQLite (a deferred transaction). Each
/// statement outside a transaction starts a read of its own, and a read that finds the
/// log changed since this connection's last one (the store writer commits all the
/// time) drops the connection's page cache and reads its pages again; one snapshot
/// does that once. Plain on PostgreSQL, where a transaction would cost two round trips.
pub fn read_snapshot<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConn::Sqlite(_)) {
        conn.transaction(f)
    } else {
        f(conn)
    }
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (a deferred read-then-
/// write transaction fails under concurrency even with busy_timeout), plain on PostgreSQL.
pub fn write_txn<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConn::Sqlite(_)) {
        conn.batch_execute("BEGIN IMMEDIATE")?;
        match f(conn) {
            Ok(v) => {
                if let Err(e) = conn.batch_execute("COMMIT") {
                    let _ = conn.batch_execute("ROLLBACK");
                    return Err(e.into());
                }
                Ok(v)
            }
            Err(e) => {
                let _ = conn.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    } else {
        conn.transaction(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        let s = DbUrl::parse("sqlite://data/roomd.db").unwrap();
        assert_eq!((s.backend, s.target.as_str()), (Backend::Sqlite, "data/roomd.db"));
        let s = DbUrl::parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!(s.target, "/tmp/x.db");
        let p = DbUrl::parse("postgres://u@h/db").unwrap();
        assert_eq!(p.backend, Backend::Postgres);
        assert!(DbUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let r = |u: &str| DbUrl::parse(u).unwrap().redacted();
        assert_eq!(
            r("postgres://u:s3cr:et@h:5432/db?sslmode=require"),
            "postgres://u:***@h:5432/db?sslmode=require"
        );
        assert_eq!(r("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(r("postgresql://h/db"), "postgresql://h/db");
        let cwd = std::env::current_dir().expect("working directory");
        assert_eq!(r("sqlite://data/roomd.db"), format!("sqlite://{}/data/roomd.db", cwd.display()));
        assert_eq!(r("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(
            r("postgres://u@h/db?sslmode=x&password=s3cret"),
            "postgres://u@h/db?sslmode=x&password=***"
        );
        let bad = DbUrl::parse("postgress://u:S3cret@h/d").unwrap_err().to_string();
        assert!(bad.contains("postgress://u:***@h/d") && !bad.contains("S3cret"), "{bad}");
        assert!(DbUrl::parse("sqlite://").is_err() && DbUrl::parse("sqlite:").is_err());
    }
}

#[cfg(test)]
mod txn_tests {
    use super::*;
    use crate::store::Store;
    use std::time::Duration;

    #[test]
    fn write_txn_can_run_repeatedly_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::open(&url, 2, Duration::from_secs(1)).unwrap();
        for _ in 0..3 {
            store
                .run_blocking(|c| {
                    write_txn(c, |c| c.batch_execute("SELECT 1").map_err(crate::store::StoreError::from))
                })
                .unwrap();
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::store::messages::{append_batch, AppendOutcome, MessageRow, NewMessage};
    use crate::store::Store;
    use std::collections::HashMap;
    use std::time::Duration;

    fn msg(cid: Option<&str>) -> NewMessage {
        NewMessage {
            room_id: "r".into(),
            sender_id: "u".into(),
            sender_name: "U".into(),
            sender_kind: "user".into(),
            text: "t".into(),
            client_id: cid.map(Into::into),
            reply_to: None,
            ts: 1,
            announcement: false,
        }
    }

    #[test]
    fn a_batch_assigns_consecutive_seqs_and_dedupes_inside_an_immediate_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}/t.db", dir.path().display()), 2, Duration::from_secs(1))
                .unwrap();
        let mut seqs = HashMap::new();
        let batch = vec![msg(Some("a")), msg(None), msg(Some("a")), msg(Some("b"))];
        let out =
            store.run_blocking(|c| write_txn(c, |c| append_batch(c, &batch, &mut seqs, 1000, 1))).unwrap();
        let seqs_out: Vec<String> = out
            .iter()
            .map(|o| match o {
                AppendOutcome::Stored(r) => format!("s{}", r.seq),
                AppendOutcome::Duplicate { seq } => format!("d{seq}"),
            })
            .collect();
        assert_eq!(seqs_out, ["s1", "s2", "d1", "s3"]);
        // A later batch sees the stored client id, with a cold seq cache.
        let mut cold = HashMap::new();
        let out = store
            .run_blocking(|c| {
                write_txn(c, |c| append_batch(c, &[msg(Some("b")), msg(Some("c"))], &mut cold, 1000, 2))
            })
            .unwrap();
        assert!(matches!(out[0], AppendOutcome::Duplicate { seq: 3 }));
        assert!(matches!(&out[1], AppendOutcome::Stored(r) if r.seq == 4));
        // Past the dedupe window, the client id is free again: stored anew (the old
        // message keeps its seq, without the client id), then a repeat names the new seq.
        let late = NewMessage { ts: 1002, ..msg(Some("a")) };
        let out = store
            .run_blocking(|c| {
                write_txn(c, |c| append_batch(c, &[late.clone(), late.clone()], &mut cold, 1000, 1002))
            })
            .unwrap();
        assert!(matches!(&out[0], AppendOutcome::Stored(r) if r.seq == 5), "{out:?}");
        assert!(matches!(out[1], AppendOutcome::Duplicate { seq: 5 }), "{out:?}");
        let out = store
            .run_blocking(|c| {
                write_txn(c, |c| append_batch(c, std::slice::from_ref(&late), &mut cold, 1000, 1003))
            })
            .unwrap();
        assert!(matches!(out[0], AppendOutcome::Duplicate { seq: 5 }), "{out:?}");
        let first = store.run_blocking(|c| MessageRow::range(c, "r", 0, 1)).unwrap();
        assert_eq!(first[0].client_id, None, "the expired message lost its client id");
    }
}
