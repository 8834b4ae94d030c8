//! Embedded migrations, one set per backend (`migrations/sqlite`, `migrations/postgres`).

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns how many ran.
pub fn run_pending(conn: &mut DbConn) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let source = match conn {
        DbConn::Sqlite(_) => SQLITE,
        DbConn::Postgresql(_) => POSTGRES,
    };
    Ok(conn.run_pending_migrations(source)?.len())
}
