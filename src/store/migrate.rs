//! Embedded migrations, one set per backend (`migrations/sqlite`, `migrations/postgres`).

use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any fixed number: the PostgreSQL advisory lock that serializes migrations.
const MIGRATION_LOCK: i64 = 0x0072_6f6f_6d64;

/// Applies every pending migration; returns how many ran. On PostgreSQL under an
/// advisory lock, so cluster nodes starting together on a fresh database migrate one
/// after another (the later ones find nothing pending).
pub fn run_pending(conn: &mut DbConn) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let source = match conn {
        DbConn::Sqlite(_) => return Ok(conn.run_pending_migrations(SQLITE)?.len()),
        DbConn::Postgresql(_) => POSTGRES,
    };
    let lock = |conn: &mut DbConn, f: &str| {
        diesel::sql_query(format!("SELECT {f}({MIGRATION_LOCK})")).execute(conn).map(|_| ())
    };
    lock(conn, "pg_advisory_lock")?;
    let ran = conn.run_pending_migrations(source).map(|v| v.len());
    lock(conn, "pg_advisory_unlock")?;
    ran
}
