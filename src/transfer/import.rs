//! `roomd import`: a file written by `roomd export` into an empty store, in one
//! transaction, so a file that turns out to be truncated or corrupt halfway leaves
//! the store as empty as it was. Records are inserted in batches of [`BATCH`] rows of
//! one type. A room's next seq is the highest stored seq plus one (`MessageRow::
//! last_seq`), so imported rooms carry on where the exported ones were.

use std::io::BufRead;

use diesel::prelude::*;

use super::format::{Header, Record, FORMAT};
use super::progress::Progress;
use super::{walk, Counts, TransferError};
use crate::schema::{
    audit_log, broadcast_rooms, broadcasts, members, messages, room_restrictions, rooms, schedule_fires,
    schedules, tokens, welcomes,
};
use crate::store::conn::{with_inner, write_txn};
use crate::store::{DbConn, Store};

/// Rows per INSERT.
pub const BATCH: usize = 1000;

/// Loads `input` (of `size` bytes, 0 if unknown) into the store, which must be empty.
pub fn load(store: &Store, input: impl BufRead, size: u64) -> Result<Counts, TransferError> {
    let progress = Progress::bytes(size);
    let result = store.run_blocking(|c| Ok(write_txn(c, |c| load_in_txn(c, input, &progress))))?;
    progress.finish();
    result
}

fn load_in_txn(
    c: &mut DbConn,
    mut input: impl BufRead,
    progress: &Progress,
) -> Result<Counts, TransferError> {
    refuse_non_empty(c)?;
    let mut reader = Lines { line: 0, read: 0, buf: String::new() };
    let header =
        reader.next(&mut input)?.ok_or(TransferError::Line { line: 1, why: "the file is empty".into() })?;
    check_header(header)?;
    let mut batch = Batch { kind: "", from: 0, rows: Vec::with_capacity(BATCH) };
    let mut counts = Counts::default();
    loop {
        let line = reader.line + 1;
        let Some(text) = reader.next(&mut input)? else {
            return Err(TransferError::Line {
                line,
                why: "the file ends without its end record: it is truncated".into(),
            });
        };
        let record: Record =
            serde_json::from_str(text).map_err(|e| TransferError::Line { line, why: json_error(&e) })?;
        match record {
            Record::Header(_) => return Err(TransferError::Line { line, why: "a second header".into() }),
            Record::End(end) => {
                batch.flush(c, line - 1)?;
                if end.records != counts.total() {
                    let why = format!(
                        "the end record counts {} records, the file has {}",
                        end.records,
                        counts.total()
                    );
                    return Err(TransferError::Line { line, why });
                }
                if reader.next(&mut input)?.is_some() {
                    let why = "a line after the end record".to_string();
                    return Err(TransferError::Line { line: line + 1, why });
                }
                after_load(c)?;
                return Ok(counts);
            }
            record => {
                if batch.kind != record.kind() || batch.rows.len() == BATCH {
                    batch.flush(c, line - 1)?;
                    progress.set(reader.read);
                    progress.stage(record.kind());
                    (batch.kind, batch.from) = (record.kind(), line);
                }
                counts.add(record.kind());
                batch.rows.push(record);
            }
        }
    }
}

/// The input, line by line, counting lines and bytes.
struct Lines {
    line: u64,
    read: u64,
    buf: String,
}

impl Lines {
    /// The next line without its line break; `None` at the end of the input.
    fn next(&mut self, input: &mut impl BufRead) -> Result<Option<&str>, TransferError> {
        self.buf.clear();
        let line = self.line + 1;
        let n =
            input.read_line(&mut self.buf).map_err(|e| TransferError::Line { line, why: e.to_string() })?;
        if n == 0 {
            return Ok(None);
        }
        self.line = line;
        self.read += n as u64;
        Ok(Some(self.buf.strip_suffix('\n').unwrap_or(&self.buf)))
    }
}

/// serde_json's message with the column, without its "line 1" (a record is one line).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let why = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
    format!("{why} (column {})", e.column())
}

/// Line 1: a header of a format this build reads.
fn check_header(text: &str) -> Result<Header, TransferError> {
    let not_export = |why: String| TransferError::Line { line: 1, why: format!("not a roomd export: {why}") };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| not_export(json_error(&e)))?;
    if value["type"] != "header" {
        return Err(not_export("the first line is not a header record".into()));
    }
    let found =
        value["format"].as_u64().ok_or_else(|| not_export("the header has no format number".into()))?;
    if found > u64::from(FORMAT) {
        let writer = value["roomd"].as_str().unwrap_or("?").to_string();
        return Err(TransferError::Newer { found, known: FORMAT, ours: env!("CARGO_PKG_VERSION"), writer });
    }
    match serde_json::from_value(value) {
        Ok(Record::Header(header)) => Ok(header),
        Ok(_) => Err(not_export("the first line is not a header record".into())),
        Err(e) => Err(TransferError::Line { line: 1, why: json_error(&e) }),
    }
}

/// Refuses a store with a row in any table an import fills.
fn refuse_non_empty(c: &mut DbConn) -> Result<(), TransferError> {
    let counts = walk::counts(c)?;
    match super::format::TABLES.iter().zip(counts).find(|(_, n)| *n > 0) {
        Some((table, _)) => Err(TransferError::NotEmpty(table)),
        None => Ok(()),
    }
}

/// PostgreSQL: the audit log's id sequence continues after the highest imported id
/// (SQLite's AUTOINCREMENT follows explicit ids by itself).
fn after_load(c: &mut DbConn) -> Result<(), TransferError> {
    // The room list's activity order reads it (`rooms.member_count` the triggers kept).
    crate::store::room_list::recount_last_messages(c)?;
    if matches!(c, DbConn::Postgresql(_)) {
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), \
             COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)",
        )
        .execute(c)?;
    }
    Ok(())
}

/// Records of one type waiting for their INSERT, read from line `from` on.
struct Batch {
    kind: &'static str,
    from: u64,
    rows: Vec<Record>,
}

/// INSERTs the rows of `records` that are `Record::$variant` into `$table`.
macro_rules! insert {
    ($c:expr, $records:expr, $variant:ident, $table:ident) => {{
        let rows: Vec<_> =
            $records.filter_map(|r| if let Record::$variant(row) = r { Some(row) } else { None }).collect();
        with_inner!($c, |c| diesel::insert_into($table::table).values(&rows).execute(c))
    }};
}

impl Batch {
    /// Inserts the waiting rows (read up to line `to`).
    fn flush(&mut self, c: &mut DbConn, to: u64) -> Result<(), TransferError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let records = self.rows.drain(..);
        let done = match self.kind {
            "room" => insert!(c, records, Room, rooms),
            "token" => insert!(c, records, Token, tokens),
            "member" => insert!(c, records, Member, members),
            "restriction" => insert!(c, records, Restriction, room_restrictions),
            "welcome" => insert!(c, records, Welcome, welcomes),
            "message" => insert!(c, records, Message, messages),
            "schedule" => insert!(c, records, Schedule, schedules),
            "schedule_fire" => insert!(c, records, ScheduleFire, schedule_fires),
            "broadcast" => insert!(c, records, Broadcast, broadcasts),
            "broadcast_room" => insert!(c, records, BroadcastRoom, broadcast_rooms),
            "audit" => insert!(c, records, Audit, audit_log),
            _ => Ok(0),
        };
        done.map(|_| ()).map_err(|e| TransferError::Batch {
            from: self.from,
            to,
            kind: self.kind,
            why: e.to_string(),
        })
    }
}
