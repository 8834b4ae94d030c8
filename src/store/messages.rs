//! The `messages` table: every room's history, keyed by (room, seq), plus the batch
//! append used by the store writer: sequence numbers are assigned here, inside the
//! committing transaction, so a seq is never used twice and never skipped.

use std::collections::HashMap;

use diesel::dsl::{max, min};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use super::prepared::{kept_prepared, push_binds};
use super::{DbConn, StoreError};
use crate::schema::messages;

/// A stored message.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = messages)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct MessageRow {
    pub room_id: String,
    pub seq: i64,
    pub sender_id: String,
    pub sender_name: String,
    pub sender_kind: String,
    pub text: String,
    pub client_id: Option<String>,
    pub reply_to: Option<String>,
    pub ts: i64,
    /// Posted by `!announce`: the frame says `"announcement":true`.
    pub announcement: bool,
    /// A tombstone (`store/tombstones.rs`): when it was deleted (Unix ms), and by whom.
    pub deleted_at: Option<i64>,
    pub deleted_by: Option<String>,
}

/// A message waiting for its seq.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: String,
    pub sender_id: String,
    pub sender_name: String,
    pub sender_kind: String,
    pub text: String,
    pub client_id: Option<String>,
    pub reply_to: Option<String>,
    pub ts: i64,
    /// Posted by `!announce`: the frame says `"announcement":true`.
    pub announcement: bool,
}

/// What became of one message of a batch.
#[derive(Debug, Clone)]
pub enum AppendOutcome {
    Stored(MessageRow),
    /// The same sender already stored this `client_id` in this room, as `seq`.
    Duplicate {
        seq: i64,
    },
}

/// Rows per insert statement on PostgreSQL (each of its array parameters holds that
/// many values).
const INSERT_CHUNK: usize = 500;
/// Client ids per dedupe lookup.
const LOOKUP_CHUNK: usize = 500;

impl MessageRow {
    /// `(seq, ts)` of the message `sender` stored in `room` with `client_id`, if any.
    pub fn find_by_client_id(
        c: &mut DbConn,
        room: &str,
        sender: &str,
        client_id: &str,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::sender_id.eq(sender))
            .filter(messages::client_id.eq(client_id))
            .select((messages::seq, messages::ts))
            .first(c)
            .optional()?)
    }

    /// Messages with `after < seq <= upto`, oldest first (join replay).
    pub fn range(c: &mut DbConn, room: &str, after: i64, upto: i64) -> Result<Vec<Self>, StoreError> {
        Ok(messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::seq.gt(after).and(messages::seq.le(upto)))
            .order(messages::seq.asc())
            .select(Self::as_select())
            .load(c)?)
    }

    /// Up to `limit` messages with `seq > after`, oldest first (the room event stream).
    pub fn after(c: &mut DbConn, room: &str, after: i64, limit: i64) -> Result<Vec<Self>, StoreError> {
        Ok(messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::seq.gt(after))
            .order(messages::seq.asc())
            .limit(limit)
            .select(Self::as_select())
            .load(c)?)
    }

    /// Up to `limit` messages with `seq < before` (or the newest when `before` is None),
    /// oldest first, and whether older ones exist.
    pub fn page_before(
        c: &mut DbConn,
        room: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Self>, bool), StoreError> {
        // One statement for both cases (no seq reaches i64::MAX), so that diesel keeps it
        // prepared: a boxed query with an optional filter is parsed again on every run,
        // and this one runs for every room load and every `history` request.
        let mut rows: Vec<Self> = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::seq.lt(before.unwrap_or(i64::MAX)))
            .order(messages::seq.desc())
            .limit(limit + 1)
            .select(Self::as_select())
            .load(c)?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        Ok((rows, has_more))
    }

    /// The newest `n` messages, oldest first (a room's in-memory tail).
    pub fn newest(c: &mut DbConn, room: &str, n: i64) -> Result<Vec<Self>, StoreError> {
        Ok(Self::page_before(c, room, None, n)?.0)
    }

    /// The lowest seq still stored for `room` (where its retained history begins),
    /// `None` when it has none.
    pub fn first_seq(c: &mut DbConn, room: &str) -> Result<Option<i64>, StoreError> {
        Ok(messages::table.filter(messages::room_id.eq(room)).select(min(messages::seq)).first(c)?)
    }

    /// The highest seq stored for `room`, 0 when it has none.
    pub fn last_seq(c: &mut DbConn, room: &str) -> Result<i64, StoreError> {
        let m: Option<i64> =
            messages::table.filter(messages::room_id.eq(room)).select(max(messages::seq)).first(c)?;
        Ok(m.unwrap_or(0))
    }
}

/// Appends `batch` in order inside the caller's transaction. `last_seqs` caches each
/// room's highest seq; entries missing from it are read from the table. The caller
/// must keep the cache only if the transaction commits.
///
/// A message whose `(room, sender, client_id)` is already stored within `dedupe_ms` is
/// not stored again: its outcome names the original seq. An older match is released
/// (its `client_id` cleared) so the client id can be used again.
pub fn append_batch(
    c: &mut DbConn,
    batch: &[NewMessage],
    last_seqs: &mut HashMap<String, i64>,
    dedupe_ms: i64,
    now: i64,
) -> Result<Vec<AppendOutcome>, StoreError> {
    let existing = existing_client_ids(c, batch)?;
    let mut seen: HashMap<(&str, &str, &str), i64> = HashMap::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    for m in batch {
        if let Some(cid) = m.client_id.as_deref() {
            let key = (m.room_id.as_str(), m.sender_id.as_str(), cid);
            if let Some(&seq) = seen.get(&key) {
                outcomes.push(AppendOutcome::Duplicate { seq });
                continue;
            }
            if let Some(&(seq, ts)) = existing.get(&(m.room_id.clone(), m.sender_id.clone(), cid.to_string()))
            {
                if now - ts <= dedupe_ms {
                    seen.insert(key, seq);
                    outcomes.push(AppendOutcome::Duplicate { seq });
                    continue;
                }
                release_client_id(c, &m.room_id, seq)?;
            }
        }
        let last = match last_seqs.get(&m.room_id) {
            Some(&s) => s,
            None => MessageRow::last_seq(c, &m.room_id)?,
        };
        let seq = last + 1;
        last_seqs.insert(m.room_id.clone(), seq);
        if let Some(cid) = m.client_id.as_deref() {
            seen.insert((m.room_id.as_str(), m.sender_id.as_str(), cid), seq);
        }
        let row = MessageRow {
            room_id: m.room_id.clone(),
            seq,
            sender_id: m.sender_id.clone(),
            sender_name: m.sender_name.clone(),
            sender_kind: m.sender_kind.clone(),
            text: m.text.clone(),
            client_id: m.client_id.clone(),
            reply_to: m.reply_to.clone(),
            ts: m.ts,
            announcement: m.announcement,
            deleted_at: None,
            deleted_by: None,
        };
        outcomes.push(AppendOutcome::Stored(row.clone()));
        rows.push(row);
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        insert_rows(c, chunk)?;
    }
    super::room_list::note_last_messages(c, &rows)?;
    Ok(outcomes)
}

/// Inserts new messages (no tombstones).
///
/// SQLite: one row per statement, the statement prepared once and kept. A multi-row
/// `VALUES` was prepared again for every batch, and (as a statement that may write
/// several rows) needed a statement journal, a copy of each page before the statement
/// changed it; a single-row insert on a table without triggers needs none
/// (`event_triggers.rs`).
///
/// PostgreSQL: one statement over ten arrays. Its text is the same for any number of
/// rows, so parsing and planning it costs the same for 1 row as for 500, where a
/// multi-row `VALUES` with 12 parameters a row was parsed and planned again for every
/// batch (the largest PostgreSQL cost of a commit in the ingress profile). It is a
/// query type of its own ([`PgInsertRows`]), so diesel keeps it prepared on the
/// connection and PostgreSQL parses it once per connection, not once per commit.
fn insert_rows(c: &mut DbConn, rows: &[MessageRow]) -> Result<(), StoreError> {
    match c {
        DbConn::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(messages::table).values(row).execute(c)?;
            }
        }
        DbConn::Postgresql(c) => {
            PgInsertRows {
                room_ids: rows.iter().map(|r| r.room_id.as_str()).collect(),
                seqs: rows.iter().map(|r| r.seq).collect(),
                sender_ids: rows.iter().map(|r| r.sender_id.as_str()).collect(),
                sender_names: rows.iter().map(|r| r.sender_name.as_str()).collect(),
                sender_kinds: rows.iter().map(|r| r.sender_kind.as_str()).collect(),
                texts: rows.iter().map(|r| r.text.as_str()).collect(),
                client_ids: rows.iter().map(|r| r.client_id.as_deref()).collect(),
                reply_tos: rows.iter().map(|r| r.reply_to.as_deref()).collect(),
                times: rows.iter().map(|r| r.ts).collect(),
                announcements: rows.iter().map(|r| r.announcement).collect(),
            }
            .execute(c)?;
        }
    }
    Ok(())
}

type DedupeKey = (String, String, String);

/// Stored `(room, sender, client_id) -> (seq, ts)` for the batch's client ids: the
/// dedupe lookup of [`append_batch`] (`pub` for `benches/store.rs`).
///
/// On PostgreSQL the batch's keys are joined against the unique dedupe index: one
/// index probe per key whatever the planner knows of the table. The simpler
/// `client_id = ANY($1)` is planned as a sequential scan on a table not yet analyzed
/// (no statistics: each array element is guessed to match 0.5% of the rows, so a
/// batch of a few hundred ids "matches" the whole table), which made every commit
/// read the whole table until autovacuum's first ANALYZE.
pub fn existing_client_ids(
    c: &mut DbConn,
    batch: &[NewMessage],
) -> Result<HashMap<DedupeKey, (i64, i64)>, StoreError> {
    let mut keys: Vec<(&str, &str, &str)> = batch
        .iter()
        .filter_map(|m| m.client_id.as_deref().map(|cid| (cid, m.room_id.as_str(), m.sender_id.as_str())))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut found = HashMap::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(String, String, String, i64, i64)> = match c {
            DbConn::Postgresql(c) => {
                let (mut cids, mut rooms, mut senders) = (Vec::new(), Vec::new(), Vec::new());
                for &(cid, room, sender) in chunk {
                    cids.push(cid);
                    rooms.push(room);
                    senders.push(sender);
                }
                PgLookup { cids, rooms, senders }.load(c)?
            }
            DbConn::Sqlite(c) => {
                let mut ids: Vec<&str> = chunk.iter().map(|k| k.0).collect();
                ids.dedup();
                let ids = serde_json::to_string(&ids)
                    .map_err(|e| StoreError::Query(diesel::result::Error::SerializationError(Box::new(e))))?;
                SqliteLookup { ids: &ids }.load(c)?
            }
        };
        for (room_id, sender_id, client_id, seq, ts) in rows {
            found.insert((room_id, sender_id, client_id), (seq, ts));
        }
    }
    Ok(found)
}

fn release_client_id(c: &mut DbConn, room: &str, seq: i64) -> Result<(), StoreError> {
    diesel::update(messages::table.filter(messages::room_id.eq(room)).filter(messages::seq.eq(seq)))
        .set(messages::client_id.eq(None::<String>))
        .execute(c)?;
    Ok(())
}

kept_prepared! {
    /// PostgreSQL: [`insert_rows`]'s statement, as a query type of its own so that diesel
    /// keeps it prepared on each connection (the text of a `sql_query` is parsed again on
    /// every run).
    struct PgInsertRows<'a> {
        room_ids: Vec<&'a str>,
        seqs: Vec<i64>,
        sender_ids: Vec<&'a str>,
        sender_names: Vec<&'a str>,
        sender_kinds: Vec<&'a str>,
        texts: Vec<&'a str>,
        client_ids: Vec<Option<&'a str>>,
        reply_tos: Vec<Option<&'a str>>,
        times: Vec<i64>,
        announcements: Vec<bool>,
    }
}

impl QueryFragment<Pg> for PgInsertRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO messages (room_id, seq, sender_id, sender_name, sender_kind, text, client_id, \
             reply_to, ts, announcement) SELECT * FROM unnest(",
        );
        push_binds!(
            out,
            Array<Text> => &self.room_ids,
            Array<BigInt> => &self.seqs,
            Array<Text> => &self.sender_ids,
            Array<Text> => &self.sender_names,
            Array<Text> => &self.sender_kinds,
            Array<Text> => &self.texts,
            Array<Nullable<Text>> => &self.client_ids,
            Array<Nullable<Text>> => &self.reply_tos,
            Array<BigInt> => &self.times,
            Array<Bool> => &self.announcements,
        );
        out.push_sql(")");
        Ok(())
    }
}

kept_prepared! {
    /// PostgreSQL: [`existing_client_ids`]'s lookup, kept prepared like [`PgInsertRows`].
    struct PgLookup<'a> {
        cids: Vec<&'a str>,
        rooms: Vec<&'a str>,
        senders: Vec<&'a str>,
    }
}

impl Query for PgLookup<'_> {
    type SqlType = (Text, Text, Text, BigInt, BigInt);
}

kept_prepared! {
    /// SQLite: [`existing_client_ids`]'s lookup, the batch's client ids as one JSON array
    /// (`IN (…)` over a list of binds is parsed again for every batch). SQLite probes
    /// the dedupe index once per id: `SEARCH messages USING INDEX messages_dedupe
    /// (client_id=?)`.
    struct SqliteLookup<'a> {
        ids: &'a str,
    }
}

impl Query for SqliteLookup<'_> {
    type SqlType = (Text, Text, Text, BigInt, BigInt);
}

impl QueryFragment<Sqlite> for SqliteLookup<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "SELECT room_id, sender_id, client_id, seq, ts FROM messages \
             WHERE client_id IN (SELECT value FROM json_each(",
        );
        out.push_bind_param::<Text, _>(self.ids)?;
        out.push_sql("))");
        Ok(())
    }
}

impl QueryFragment<Pg> for PgLookup<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT m.room_id, m.sender_id, m.client_id, m.seq, m.ts FROM unnest(");
        push_binds!(out, Array<Text> => &self.cids, Array<Text> => &self.rooms, Array<Text> => &self.senders);
        out.push_sql(
            ") AS k(client_id, room_id, sender_id) JOIN messages m ON m.client_id = k.client_id \
             AND m.room_id = k.room_id AND m.sender_id = k.sender_id",
        );
        Ok(())
    }
}
