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
    /// schema is dropped. With `role`, the server logs in as that role (which owns the
    /// schema), so a test can cut the server off the database and let it back in.
    Postgres { base: String, schema: String, role: Option<String>, _slot: PgSlot },
}

/// `ROOMD_TEST_DATABASE_URL` if set, else `default_base`.
#[allow(dead_code)] // used by the cluster tests and tests/integration/first_run.rs
pub fn postgres_url_or(default_base: &str) -> String {
    let base = std::env::var(PG_ENV).ok().filter(|b| !b.trim().is_empty());
    base.unwrap_or_else(|| default_base.to_string()).trim().to_string()
}

impl TestDb {
    /// A new, empty database on the backend chosen by the environment.
    pub fn new() -> Self {
        match std::env::var(PG_ENV) {
            Ok(base) if !base.trim().is_empty() => Self::postgres(base.trim().to_string(), false),
            _ => Self::Sqlite { dir: tempfile::tempdir().expect("create temp dir for SQLite") },
        }
    }

    /// A new, empty PostgreSQL schema whatever the environment says: at
    /// `ROOMD_TEST_DATABASE_URL` if set, else at `default_base` (cluster mode needs
    /// PostgreSQL).
    #[allow(dead_code)] // used by the cluster tests
    pub fn postgres_or(default_base: &str) -> Self {
        Self::postgres(postgres_url_or(default_base), false)
    }

    /// On PostgreSQL, a fresh schema owned by a fresh login role that the server uses,
    /// so [`TestDb::cut_off`] can take the database away from the server alone. `None`
    /// on SQLite, which has no server to lose.
    pub fn postgres_with_own_role() -> Option<Self> {
        let base = std::env::var(PG_ENV).ok().filter(|b| !b.trim().is_empty())?;
        Some(Self::postgres(base.trim().to_string(), true))
    }

    fn postgres(base: String, own_role: bool) -> Self {
        let slot = PgSlot::acquire();
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let role = own_role.then(|| format!("r{schema}"));
        let mut statements = vec![format!("CREATE SCHEMA {schema}")];
        if let Some(role) = &role {
            statements.push(format!("CREATE ROLE {role} LOGIN"));
            statements.push(format!("ALTER SCHEMA {schema} OWNER TO {role}"));
        }
        let mut conn = admin_conn(&base);
        for sql in statements {
            diesel::sql_query(&sql).execute(&mut conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Self::Postgres { base, schema, role, _slot: slot }
    }

    /// An outage as the server sees it: its role may no longer log in and its open
    /// connections are terminated. Only for a database from `postgres_with_own_role`.
    pub fn cut_off(&self) {
        let (base, role) = self.own_role();
        let mut conn = admin_conn(base);
        for sql in [
            format!("ALTER ROLE {role} NOLOGIN"),
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"),
        ] {
            diesel::sql_query(&sql).execute(&mut conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    /// The database drops the server's connections (as in a restart of PostgreSQL, or
    /// an operator's `pg_terminate_backend`); new ones may log in at once. Only for a
    /// database from `postgres_with_own_role`.
    pub fn drop_connections(&self) {
        let (base, role) = self.own_role();
        let sql = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");
        diesel::sql_query(&sql).execute(&mut admin_conn(base)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Ends the outage of `cut_off`.
    pub fn restore(&self) {
        let (base, role) = self.own_role();
        let sql = format!("ALTER ROLE {role} LOGIN");
        diesel::sql_query(&sql).execute(&mut admin_conn(base)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn own_role(&self) -> (&str, &str) {
        match self {
            Self::Postgres { base, role: Some(role), .. } => (base, role),
            _ => panic!("only a database from TestDb::postgres_with_own_role can be cut off"),
        }
    }

    /// The `database.url` to give the server.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir } => format!("sqlite://{}", dir.path().join("roomd.db").display()),
            Self::Postgres { base, schema, role, .. } => {
                let mut url = url::Url::parse(base).unwrap_or_else(|e| panic!("{PG_ENV}={base}: {e}"));
                if let Some(role) = role {
                    url.set_username(role).expect("a PostgreSQL URL has a user");
                    url.set_password(None).expect("a PostgreSQL URL has a password");
                }
                let base = url.as_str();
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-csearch_path%3D{schema}")
            }
        }
    }
}

impl Drop for TestDb {
    /// Best effort: a schema left behind only costs disk space.
    fn drop(&mut self) {
        if let Self::Postgres { base, schema, role, .. } = self {
            if let Ok(mut conn) = PgConnection::establish(base) {
                let _ = diesel::sql_query("SET lock_timeout = '5s'").execute(&mut conn);
                let _ =
                    diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn);
                if let Some(role) = role {
                    let _ = diesel::sql_query(format!("DROP ROLE IF EXISTS {role}")).execute(&mut conn);
                }
            }
        }
    }
}

/// A connection as the base URL's (superuser) role.
fn admin_conn(base: &str) -> PgConnection {
    PgConnection::establish(base).unwrap_or_else(|e| panic!("connect to {PG_ENV}={base}: {e}"))
}
