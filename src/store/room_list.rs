//! One page of `GET /api/v1/rooms`, in SQL: keyset pagination over `rooms` in the
//! order the API documents (docs/ADMIN_API.md): by id; by name, then id; by newest
//! message (the time of the room's last message, 0 if it never had one), newest first,
//! then id; by member count, most first, then id. Every order walks an index of
//! `rooms` from the cursor with `LIMIT`, so a page costs the same at 100,000 rooms as
//! at 100, deep pages included: the last message time and the member count are kept on
//! the room's row (`rooms.last_message_at`, set by the store writer once per room per
//! batch, [`note_last_messages`]; `rooms.member_count`, kept by triggers on `members`;
//! migration `2026-12-08-000021_room_list_figures`).
//!
//! Text is compared byte-wise on both backends (PostgreSQL: `COLLATE "C"`, with
//! matching indexes), so the order is the same everywhere and the same as Rust's.
//!
//! Filters: `q` and `tag` in SQL (the tag by `LIKE` on the JSON text, then confirmed on
//! the parsed list); a set of ids to keep (chunked `IN`, one query per chunk, pages
//! merged); a set of ids to skip (`NOT IN` in SQL up to [`SKIP_IN_SQL`] ids, the rest
//! skipped in memory). Whatever memory drops, the next rows are read until the page
//! is full or the rooms run out.

use std::collections::{HashMap, HashSet};

use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{Array, BigInt, Bool, Text};
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use super::messages::MessageRow;
use super::prepared::{kept_prepared, push_binds};
use super::rooms::{escape_like, RoomRow};
use super::{DbConn, StoreError};
use crate::schema::rooms;

/// Ids per `IN (…)` / `NOT IN (…)`.
const CHUNK: usize = 500;
/// Skipped ids excluded in SQL; beyond them, in memory.
pub const SKIP_IN_SQL: usize = 5000;
/// Most rows one query reads while skipping rows in memory.
const MAX_READ: usize = 5000;

/// The order of a room list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomOrder {
    Id,
    Name,
    Activity,
    Members,
}

/// A room's position in a list; a page continues after one (the API's cursor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomKey {
    /// Ascending text (the name, or "" for the id order), then id.
    Text(String, String),
    /// Descending number (last activity, members), then id.
    Desc(i64, String),
}

impl Ord for RoomKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Self::Text(a, ia), Self::Text(b, ib)) => a.cmp(b).then_with(|| ia.cmp(ib)),
            (Self::Desc(a, ia), Self::Desc(b, ib)) => b.cmp(a).then_with(|| ia.cmp(ib)),
            (Self::Text(..), Self::Desc(..)) => std::cmp::Ordering::Less,
            (Self::Desc(..), Self::Text(..)) => std::cmp::Ordering::Greater,
        }
    }
}

impl PartialOrd for RoomKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Which rooms a list shows.
#[derive(Debug, Default)]
pub struct RoomFilter {
    /// Substring of the id or name.
    pub q: Option<String>,
    /// Only rooms with this tag.
    pub tag: Option<String>,
    /// Only these ids (`None`: any).
    pub only: Option<Vec<String>>,
    /// Not these ids.
    pub skip: HashSet<String>,
}

/// Up to `n` rooms after `after` in `order`, with their keys.
pub fn page(
    c: &mut DbConn,
    order: RoomOrder,
    filter: &RoomFilter,
    after: Option<&RoomKey>,
    n: usize,
) -> Result<Vec<(RoomKey, RoomRow)>, StoreError> {
    let Some(only) = &filter.only else { return confirmed_page(c, order, filter, None, after, n) };
    let mut merged = Vec::new();
    for chunk in only.chunks(CHUNK) {
        merged.extend(confirmed_page(c, order, filter, Some(chunk), after, n)?);
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    merged.truncate(n);
    Ok(merged)
}

/// Reads pages from SQL until `n` rows pass the checks made in memory.
fn confirmed_page(
    c: &mut DbConn,
    order: RoomOrder,
    filter: &RoomFilter,
    only: Option<&[String]>,
    after: Option<&RoomKey>,
    n: usize,
) -> Result<Vec<(RoomKey, RoomRow)>, StoreError> {
    let mut out = Vec::with_capacity(n);
    let mut from = after.cloned();
    let mut read = n;
    loop {
        let want = n - out.len();
        // Rows dropped in memory: read more at a time, so skipping most of 100,000
        // rooms takes a few queries, not one per page's worth.
        let take = want.max(read);
        read = (read * 4).min(MAX_READ);
        let rows = sql_page(c, order, filter, only, from.as_ref(), take as i64)?;
        let full = rows.len() == take;
        from = rows.last().map(|(k, _)| k.clone()).or(from);
        out.extend(rows.into_iter().filter(|(_, r)| {
            !filter.skip.contains(&r.id) && filter.tag.as_ref().is_none_or(|t| r.tag_list().contains(t))
        }));
        if !full || out.len() >= n {
            out.truncate(n);
            return Ok(out);
        }
    }
}

/// One `SELECT … ORDER BY key, id LIMIT n` after `after`.
fn sql_page(
    c: &mut DbConn,
    order: RoomOrder,
    filter: &RoomFilter,
    only: Option<&[String]>,
    after: Option<&RoomKey>,
    n: i64,
) -> Result<Vec<(RoomKey, RoomRow)>, StoreError> {
    // Byte-wise text order on PostgreSQL whatever the database's collation.
    let collate = if matches!(c, DbConn::Postgresql(_)) { " COLLATE \"C\"" } else { "" };
    let id = format!("rooms.id{collate}");
    let name = format!("rooms.name{collate}");
    let number = match order {
        RoomOrder::Id | RoomOrder::Name => "CAST(0 AS BIGINT)",
        RoomOrder::Activity => "rooms.last_message_at",
        RoomOrder::Members => "rooms.member_count",
    };
    let mut query = rooms::table.select((RoomRow::as_select(), sql::<BigInt>(number))).into_boxed();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(q));
        query = query
            .filter(rooms::id.like(pattern.clone()).escape('\\').or(rooms::name.like(pattern).escape('\\')));
    }
    if let Some(tag) = &filter.tag {
        // Tags are a JSON array of strings: match the quoted element (confirmed later).
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        query = query.filter(rooms::tags.like(format!("%{}%", escape_like(&quoted))).escape('\\'));
    }
    if let Some(only) = only {
        query = query.filter(rooms::id.eq_any(only.to_vec()));
    }
    let skip: Vec<&String> = filter.skip.iter().take(SKIP_IN_SQL).collect();
    for chunk in skip.chunks(CHUNK) {
        query = query.filter(rooms::id.ne_all(chunk.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    }
    let text_order = matches!(order, RoomOrder::Id | RoomOrder::Name);
    match after {
        None => {}
        // A cursor of another order: the ordering of keys decides (text keys sort first).
        Some(RoomKey::Desc(..)) if text_order => return Ok(Vec::new()),
        Some(RoomKey::Text(..)) if !text_order => {}
        Some(RoomKey::Text(key, after_id)) if order == RoomOrder::Id => {
            if !key.is_empty() {
                return Ok(Vec::new());
            }
            query = query.filter(sql::<Bool>(&format!("{id} > ")).bind::<Text, _>(after_id.clone()));
        }
        Some(RoomKey::Text(key, after_id)) => {
            // `>=` first: the index is entered at the cursor instead of walked from the start.
            query = query.filter(
                sql::<Bool>(&format!("{name} >= "))
                    .bind::<Text, _>(key.clone())
                    .sql(&format!(" AND ({name} > "))
                    .bind::<Text, _>(key.clone())
                    .sql(&format!(" OR {id} > "))
                    .bind::<Text, _>(after_id.clone())
                    .sql(")"),
            );
        }
        Some(RoomKey::Desc(key, after_id)) => {
            query = query.filter(
                sql::<Bool>(&format!("{number} <= "))
                    .bind::<BigInt, _>(*key)
                    .sql(&format!(" AND ({number} < "))
                    .bind::<BigInt, _>(*key)
                    .sql(&format!(" OR {id} > "))
                    .bind::<Text, _>(after_id.clone())
                    .sql(")"),
            );
        }
    }
    query = match order {
        RoomOrder::Id => query.order(sql::<Text>(&id)),
        RoomOrder::Name => query.order((sql::<Text>(&name), sql::<Text>(&id))),
        RoomOrder::Activity | RoomOrder::Members => {
            query.order((sql::<BigInt>(&format!("{number} DESC")), sql::<Text>(&id)))
        }
    };
    let rows: Vec<(RoomRow, i64)> = query.limit(n).load(c)?;
    Ok(rows
        .into_iter()
        .map(|(r, number)| {
            let key = match order {
                RoomOrder::Id => RoomKey::Text(String::new(), r.id.clone()),
                RoomOrder::Name => RoomKey::Text(r.name.clone(), r.id.clone()),
                RoomOrder::Activity | RoomOrder::Members => RoomKey::Desc(number, r.id.clone()),
            };
            (key, r)
        })
        .collect())
}

/// Sets `rooms.last_message_at` of every room in `stored` (rows just inserted, each
/// room's in seq order) to its last row's time: one statement per room on SQLite
/// (in-process, kept prepared: [`SqliteNoteLast`]), one for the whole batch on
/// PostgreSQL (a round trip each would slow the writer).
pub fn note_last_messages(c: &mut DbConn, stored: &[MessageRow]) -> Result<(), StoreError> {
    let last: HashMap<&str, i64> = stored.iter().map(|row| (row.room_id.as_str(), row.ts)).collect();
    match c {
        DbConn::Sqlite(c) => {
            for (room, ts) in last {
                SqliteNoteLast { room, ts }.execute(c)?;
            }
        }
        DbConn::Postgresql(c) if !last.is_empty() => {
            let (ids, times): (Vec<&str>, Vec<i64>) = last.into_iter().unzip();
            PgNoteLast { ids, times }.execute(c)?;
        }
        DbConn::Postgresql(_) => {}
    }
    Ok(())
}

kept_prepared! {
    /// PostgreSQL: [`note_last_messages`]'s statement, kept prepared on each connection.
    struct PgNoteLast<'a> {
        ids: Vec<&'a str>,
        times: Vec<i64>,
    }
}

impl QueryFragment<Pg> for PgNoteLast<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("UPDATE rooms SET last_message_at = v.ts FROM unnest(");
        push_binds!(out, Array<Text> => &self.ids, Array<BigInt> => &self.times);
        out.push_sql(") AS v(id, ts) WHERE rooms.id = v.id");
        Ok(())
    }
}

kept_prepared! {
    /// SQLite: [`note_last_messages`]'s statement for one room (diesel's own `UPDATE` is
    /// parsed again on every run, for each room of every batch).
    struct SqliteNoteLast<'a> {
        room: &'a str,
        ts: i64,
    }
}

impl QueryFragment<Sqlite> for SqliteNoteLast<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("UPDATE rooms SET last_message_at = ");
        out.push_bind_param::<BigInt, _>(&self.ts)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(self.room)?;
        Ok(())
    }
}

/// Sets every room's `last_message_at` from its stored messages (after `roomd import`,
/// which inserts rows without the writer).
pub fn recount_last_messages(c: &mut DbConn) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE rooms SET last_message_at = COALESCE((SELECT m.ts FROM messages m \
         WHERE m.room_id = rooms.id ORDER BY m.seq DESC LIMIT 1), 0)",
    )
    .execute(c)?;
    Ok(())
}
