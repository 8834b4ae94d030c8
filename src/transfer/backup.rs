//! `roomd backup`: an online copy of a SQLite store with `VACUUM INTO`. The statement
//! reads the database in one read transaction, a snapshot: in WAL mode the server's
//! writer goes on committing meanwhile (docs/OPERATIONS.md has the measured stall).
//! The copy is written next to the target under a temporary name, checked with
//! `PRAGMA quick_check`, synced, and only then linked to the target name, so the
//! target is either absent or a whole, consistent database. PostgreSQL has `pg_dump`
//! for this ([`pg_dump_hint`]).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::TransferError;
use crate::store::{DbConn, Store};

/// What `roomd backup` says on PostgreSQL, where it makes no copy itself (a password
/// in the URL is not repeated).
pub fn pg_dump_hint(url: &str) -> String {
    let url = match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("PASSWORD"));
            u.to_string()
        }
        _ => url.to_string(),
    };
    format!(
        "roomd backup copies SQLite stores only; for PostgreSQL use pg_dump, for example:\n  \
         pg_dump --format=custom --file=roomd.dump '{url}'\n\
         and restore into an empty database with:\n  \
         pg_restore --no-owner --dbname='<new database URL>' roomd.dump\n\
         (docs/OPERATIONS.md, \"Backup and restore\")"
    )
}

/// The size in bytes of the copy written to `out`, which must not exist.
pub fn to_path(store: &Store, out: &Path) -> Result<u64, TransferError> {
    if out.as_os_str() == "-" {
        return Err(TransferError::Io {
            what: "writing the backup".into(),
            source: std::io::Error::other("a backup is an SQLite file, not a stream: give --out a file name"),
        });
    }
    if out.exists() {
        return Err(TransferError::Exists(out.to_path_buf()));
    }
    let tmp = temp_name(out);
    let result = copy(store, &tmp, out);
    let _ = std::fs::remove_file(&tmp);
    result
}

/// `.NAME.PID.partial` beside `out`.
fn temp_name(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

fn copy(store: &Store, tmp: &Path, out: &Path) -> Result<u64, TransferError> {
    let tmp_text = tmp.to_str().ok_or_else(|| TransferError::Io {
        what: format!("{}", tmp.display()),
        source: std::io::Error::other("the path is not UTF-8"),
    })?;
    store.run_blocking(|c| {
        let DbConn::Sqlite(c) = c else { return Ok(Err(TransferError::NotSqlite)) };
        Ok(diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(tmp_text)
            .execute(c)
            .map_err(TransferError::from))
    })??;
    quick_check(tmp_text)?;
    let file = std::fs::File::open(tmp).map_err(TransferError::io(format!("opening {}", tmp.display())))?;
    // Owner-only, like the store itself: the copy holds every message and token hash.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(TransferError::io(format!("restricting {}", tmp.display())))?;
    file.sync_all().map_err(TransferError::io(format!("syncing {}", tmp.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // A hard link does not replace a file that appeared meanwhile, as a rename would.
    std::fs::hard_link(tmp, out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => TransferError::Exists(out.to_path_buf()),
        _ => TransferError::Io { what: format!("creating {}", out.display()), source: e },
    })?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(size)
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

/// `PRAGMA quick_check` on the copy: its pages and indexes are whole.
fn quick_check(path: &str) -> Result<(), TransferError> {
    let mut c = SqliteConnection::establish(path).map_err(|e| TransferError::Io {
        what: format!("opening the copy {path}"),
        source: std::io::Error::other(e.to_string()),
    })?;
    c.batch_execute("PRAGMA query_only = ON")?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA quick_check").load(&mut c)?;
    match rows.first().map(|r| r.quick_check.as_str()) {
        Some("ok") => Ok(()),
        other => Err(TransferError::Io {
            what: format!("checking the copy {path}"),
            source: std::io::Error::other(format!("quick_check says {}", other.unwrap_or("nothing"))),
        }),
    }
}
