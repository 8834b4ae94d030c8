//! `TestDb`: the database one test's server runs on. A temporary SQLite file by
//! default; a fresh PostgreSQL schema when `ROOMD_TEST_DATABASE_URL` is set, so tests
//! never see each other's rows. The database outlives server restarts and goes away
//! when the guard is dropped.

use std::sync::{Condvar, Mutex};

use diesel::{Connection, PgConnection, RunQueryDsl};
use tempfile::TempDir;

/// The environment variable that switches the suite to PostgreSQL.
pub const PG_ENV: &str = "ROOMD_TEST_DATABASE_URL";

/// Servers on PostgreSQL at once. Each holds a connection pool, and PostgreSQL's
/// default `max_connections` is 100, so a many-core machine running every test in
/// parallel would otherwise exhaust it.
const PG_MAX_CONCURRENT: usize = 6;
static PG_IN_USE: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// One of the `PG_MAX_CONCURRENT` slots, given back on drop.
pub struct PgSlot(());

impl PgSlot {
    /// Blocks until a slot is free (before the test has started anything).
    fn acquire() -> Self {
        let (count, freed) = &PG_IN_USE;
        let guard = count.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = freed.wait_while(guard, |n| *n >= PG_MAX_CONCURRENT).unwrap_or_else(|e| e.into_inner());
        *n += 1;
        Self(())
    }
}

impl Drop for PgSlot {
    fn drop(&mut self) {
        let (count, freed) = &PG_IN_USE;
        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// One test's database.
pub enum TestDb {
    /// `roomd.db` inside a temporary directory.
    Sqlite { dir: TempDir },
    /// A schema `t_<hex>` in the database at `base`; the slot is released after the
    /// schema is dropped.
    Postgres { base: String, schema: String, _slot: PgSlot },
}

impl TestDb {
    /// A new, empty database on the backend chosen by the environment.
    pub fn new() -> Self {
        match std::env::var(PG_ENV) {
            Ok(base) if !base.trim().is_empty() => Self::postgres(base.trim().to_string()),
            _ => Self::Sqlite { dir: tempfile::tempdir().expect("create temp dir for SQLite") },
        }
    }

    fn postgres(base: String) -> Self {
        let slot = PgSlot::acquire();
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let mut conn =
            PgConnection::establish(&base).unwrap_or_else(|e| panic!("connect to {PG_ENV}={base}: {e}"));
        diesel::sql_query(format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("create schema {schema}: {e}"));
        Self::Postgres { base, schema, _slot: slot }
    }

    /// The `database.url` to give the server.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir } => format!("sqlite://{}", dir.path().join("roomd.db").display()),
            Self::Postgres { base, schema, .. } => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-csearch_path%3D{schema}")
            }
        }
    }
}

impl Drop for TestDb {
    /// Best effort: a schema left behind only costs disk space.
    fn drop(&mut self) {
        if let Self::Postgres { base, schema, .. } = self {
            if let Ok(mut conn) = PgConnection::establish(base) {
                let _ = diesel::sql_query("SET lock_timeout = '5s'").execute(&mut conn);
                let _ =
                    diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn);
            }
        }
    }
}
