//! Small writes a room makes as people come and go: welcome marks (table `welcomes`),
//! read positions (`members.last_read_seq`) and the row of a room created by its first
//! join (`rooms.auto_create`). Rooms never run these themselves: they hand a
//! [`RoomWrite`] to the `StoreWriter`, which applies it in its next group-commit
//! transaction.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::conn::with_inner;
use super::prepared::{kept_prepared, push_binds};
use super::rooms::RoomRow;
use super::{DbConn, StoreError};
use crate::schema::welcomes;

/// A stored welcome mark, as export and import move it (`crate::transfer`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = welcomes)]
// One multi-row INSERT on SQLite too (an import batch; no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct WelcomeRow {
    pub room_id: String,
    pub user_id: String,
    /// Unix ms.
    pub welcomed_at: i64,
}

/// A welcome was posted to `user_id` in `room_id` at `at` (Unix ms).
#[derive(Debug, Clone)]
pub struct WelcomeMark {
    pub room_id: String,
    pub user_id: String,
    pub at: i64,
}

/// `user_id` has read `room_id` up to `seq`.
#[derive(Debug, Clone)]
pub struct ReadMark {
    pub room_id: String,
    pub user_id: String,
    pub seq: i64,
}

/// One write the store writer applies for a room.
#[derive(Debug, Clone)]
pub enum RoomWrite {
    Welcome(WelcomeMark),
    Read(ReadMark),
    /// The row of a room its first join created (kept if one exists by then). The
    /// writer applies it before the rest of its batch: the batch's messages note their
    /// time on it, and its memberships count on it.
    Create(RoomRow),
}

impl RoomWrite {
    /// The room written to.
    pub fn room_id(&self) -> &str {
        match self {
            Self::Welcome(w) => &w.room_id,
            Self::Read(r) => &r.room_id,
            Self::Create(row) => &row.id,
        }
    }

    /// A room's creation, applied first in a batch.
    pub fn creates_room(&self) -> bool {
        matches!(self, Self::Create(_))
    }

    /// Applies the write on `c` (inside the writer's transaction).
    pub fn apply(&self, c: &mut DbConn) -> Result<(), StoreError> {
        match self {
            Self::Welcome(w) => w.upsert(c),
            Self::Read(r) => r.advance(c),
            Self::Create(row) => row.insert_if_missing(c),
        }
    }
}

impl WelcomeMark {
    /// Records the welcome, replacing an older one of the same member.
    fn upsert(&self, c: &mut DbConn) -> Result<(), StoreError> {
        let mark = UpsertWelcome { room_id: &self.room_id, user_id: &self.user_id, at: self.at };
        with_inner!(c, |c| mark.execute(c))?;
        Ok(())
    }

    /// `(user_id, welcomed_at)` of the welcomes posted in `room` at or after `since`.
    pub fn since(c: &mut DbConn, room: &str, since: i64) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(welcomes::table
            .filter(welcomes::room_id.eq(room).and(welcomes::welcomed_at.ge(since)))
            .select((welcomes::user_id, welcomes::welcomed_at))
            .load(c)?)
    }
}

impl ReadMark {
    /// Moves the stored read position forward to `seq`; never back.
    fn advance(&self, c: &mut DbConn) -> Result<(), StoreError> {
        let mark = AdvanceRead { room_id: &self.room_id, user_id: &self.user_id, seq: self.seq };
        with_inner!(c, |c| mark.execute(c))?;
        Ok(())
    }
}

kept_prepared! {
    /// [`WelcomeMark::upsert`]'s statement.
    struct UpsertWelcome<'a> {
        room_id: &'a str,
        user_id: &'a str,
        at: i64,
    }
    sql on either store |q, out| {
        out.push_sql("INSERT INTO welcomes (room_id, user_id, welcomed_at) VALUES (");
        push_binds!(out, Text => q.room_id, Text => q.user_id, BigInt => &q.at);
        out.push_sql(") ON CONFLICT (room_id, user_id) DO UPDATE SET welcomed_at = excluded.welcomed_at");
    }
}

kept_prepared! {
    /// [`ReadMark::advance`]'s statement.
    struct AdvanceRead<'a> {
        room_id: &'a str,
        user_id: &'a str,
        seq: i64,
    }
    sql on either store |q, out| {
        out.push_sql("UPDATE members SET last_read_seq = ");
        out.push_bind_param::<BigInt, _>(&q.seq)?;
        out.push_sql(" WHERE room_id = ");
        out.push_bind_param::<Text, _>(q.room_id)?;
        out.push_sql(" AND user_id = ");
        out.push_bind_param::<Text, _>(q.user_id)?;
        out.push_sql(" AND last_read_seq < ");
        out.push_bind_param::<BigInt, _>(&q.seq)?;
    }
}
