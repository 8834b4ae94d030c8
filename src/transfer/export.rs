//! `roomd export`: every exported table, in file order (`format::Record`), inside one
//! read transaction, so the file is a consistent snapshot while the server keeps
//! writing: SQLite in WAL mode keeps a deferred read transaction's snapshot from its
//! first read; PostgreSQL has `REPEATABLE READ READ ONLY`. Rows come page by page
//! (`walk.rs`) and go straight to the output: memory does not grow with the store.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::QueryResult;

use super::format::{End, Header, Record, FORMAT};
use super::progress::Progress;
use super::walk::{self, PAGE};
use super::{Counts, TransferError};
use crate::store::{DbConn, Store};

/// How an export is written.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Put `exported_at` in the header (without it, exports of the same data are
    /// byte-identical).
    pub timestamp: bool,
}

/// Exports the store to `out` (`-`: standard output). A file must not exist yet; it is
/// removed again if the export fails.
pub fn to_path(store: &Store, out: &Path, opts: ExportOptions) -> Result<Counts, TransferError> {
    if out.as_os_str() == "-" {
        let stdout = std::io::stdout();
        return write(store, std::io::BufWriter::new(stdout.lock()), opts);
    }
    // Owner-only, like the store itself: the file holds every message and token hash.
    let file = match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(out) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(TransferError::Exists(out.to_path_buf()))
        }
        other => other.map_err(TransferError::io(format!("creating {}", out.display())))?,
    };
    let result = write(store, std::io::BufWriter::with_capacity(1 << 16, &file), opts)
        .and_then(|counts| file.sync_all().map(|_| counts).map_err(TransferError::io("syncing the file")));
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

/// Writes the whole store to `out` and flushes it.
pub fn write(store: &Store, out: impl Write, opts: ExportOptions) -> Result<Counts, TransferError> {
    store.run_blocking(|c| Ok(in_snapshot(c, |c| write_snapshot(c, out, opts))))?
}

/// Runs `f` in a read transaction that sees one snapshot of the store.
fn in_snapshot<T>(
    c: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, TransferError>,
) -> Result<T, TransferError> {
    let begin = match c {
        DbConn::Postgresql(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        DbConn::Sqlite(_) => "BEGIN DEFERRED",
    };
    c.batch_execute(begin)?;
    let result = f(c);
    // Nothing was written: ending the transaction either way only releases the snapshot.
    let _ = c.batch_execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
    result
}

/// The output side: one JSON line per record, counted.
struct Sink<W: Write> {
    out: W,
    counts: Counts,
    progress: Progress,
}

impl<W: Write> Sink<W> {
    fn line(&mut self, record: &Record) -> Result<(), TransferError> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n").map_err(TransferError::io("writing the export"))
    }

    fn put(&mut self, record: Record) -> Result<(), TransferError> {
        self.line(&record)?;
        self.counts.add(record.kind());
        self.progress.advance(1);
        Ok(())
    }
}

fn write_snapshot(c: &mut DbConn, out: impl Write, opts: ExportOptions) -> Result<Counts, TransferError> {
    let total: i64 = walk::counts(c)?.iter().sum();
    let mut sink = Sink { out, counts: Counts::default(), progress: Progress::records(total as u64) };
    let header = Header {
        format: FORMAT,
        roomd: env!("CARGO_PKG_VERSION").to_string(),
        exported_at: opts.timestamp.then(|| crate::model::rfc3339(crate::model::now_ms())),
    };
    sink.line(&Record::Header(header))?;
    let s = &mut sink;

    s.progress.stage("rooms");
    pages(c, |c, a| walk::rooms(c, a.map(String::as_str)), |r| r.id.clone(), |_, r| s.put(Record::Room(r)))?;
    s.progress.stage("tokens");
    pages(
        c,
        |c, a| walk::tokens(c, a.map(String::as_str)),
        |r| r.id.clone(),
        |_, r| s.put(Record::Token(r)),
    )?;
    s.progress.stage("members");
    each_room(c, |c, room| {
        let page = |c: &mut DbConn, a: Option<&String>| walk::members(c, room, a.map(String::as_str));
        pages(c, page, |r| r.user_id.clone(), |_, r| s.put(Record::Member(r)))
    })?;
    s.progress.stage("bans, mutes");
    each_room(c, |c, room| {
        let page = |c: &mut DbConn, a: Option<&(String, String)>| {
            walk::restrictions(c, room, a.map(|(k, u)| (k.as_str(), u.as_str())))
        };
        pages(c, page, |r| (r.kind.clone(), r.user_id.clone()), |_, r| s.put(Record::Restriction(r)))
    })?;
    s.progress.stage("welcomes");
    each_room(c, |c, room| {
        let page = |c: &mut DbConn, a: Option<&String>| walk::welcomes(c, room, a.map(String::as_str));
        pages(c, page, |r| r.user_id.clone(), |_, r| s.put(Record::Welcome(r)))
    })?;
    s.progress.stage("messages");
    let mut room_messages = |c: &mut DbConn, room: &str| {
        let page = |c: &mut DbConn, a: Option<&i64>| walk::messages(c, room, a.copied().unwrap_or(i64::MIN));
        pages(c, page, |r| r.seq, |_, r| s.put(Record::Message(r)))
    };
    each_room(c, &mut room_messages)?;
    let roomless =
        |c: &mut DbConn, a: Option<&String>| walk::roomless_message_rooms(c, a.map(String::as_str));
    pages(c, roomless, String::clone, |c, room| room_messages(c, &room))?;
    s.progress.stage("schedules");
    let by_id = |c: &mut DbConn, a: Option<&String>| walk::schedules(c, a.map(String::as_str));
    pages(c, by_id, |r| r.id.clone(), |_, r| s.put(Record::Schedule(r)))?;
    pages(
        c,
        by_id,
        |r| r.id.clone(),
        |c, schedule| {
            let page = |c: &mut DbConn, a: Option<&i64>| {
                walk::schedule_fires(c, &schedule.id, a.copied().unwrap_or(i64::MIN))
            };
            pages(c, page, |r| r.due_at, |_, r| s.put(Record::ScheduleFire(r)))
        },
    )?;
    s.progress.stage("broadcasts");
    let by_id = |c: &mut DbConn, a: Option<&String>| walk::broadcasts(c, a.map(String::as_str));
    pages(c, by_id, |r| r.id.clone(), |_, r| s.put(Record::Broadcast(r)))?;
    pages(
        c,
        by_id,
        |r| r.id.clone(),
        |c, job| {
            let page =
                |c: &mut DbConn, a: Option<&String>| walk::broadcast_rooms(c, &job.id, a.map(String::as_str));
            pages(c, page, |r| r.room_id.clone(), |_, r| s.put(Record::BroadcastRoom(r)))
        },
    )?;
    s.progress.stage("audit log");
    let page = |c: &mut DbConn, a: Option<&i64>| walk::audit(c, a.copied().unwrap_or(i64::MIN));
    pages(c, page, |r| r.id, |_, r| s.put(Record::Audit(r)))?;

    sink.line(&Record::End(End { records: sink.counts.total() }))?;
    sink.out.flush().map_err(TransferError::io("writing the export"))?;
    sink.progress.finish();
    Ok(sink.counts)
}

/// Reads a keyset-paged table to its end: `page` gets the key of the last row read
/// (`key`) and returns the next rows; each row goes to `each`.
fn pages<R, K>(
    c: &mut DbConn,
    page: impl Fn(&mut DbConn, Option<&K>) -> QueryResult<Vec<R>>,
    key: impl Fn(&R) -> K,
    mut each: impl FnMut(&mut DbConn, R) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    let mut after: Option<K> = None;
    loop {
        let rows = page(c, after.as_ref())?;
        let more = rows.len() as i64 == PAGE;
        after = rows.last().map(&key).or(after);
        for row in rows {
            each(c, row)?;
        }
        if !more {
            return Ok(());
        }
    }
}

/// Calls `f` with the id of every room, in byte order.
fn each_room(
    c: &mut DbConn,
    mut f: impl FnMut(&mut DbConn, &str) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    pages(c, |c, a| walk::rooms(c, a.map(String::as_str)), |r| r.id.clone(), |c, room| f(c, &room.id))
}
