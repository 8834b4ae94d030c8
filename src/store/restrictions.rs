//! The `room_restrictions` table: bans (the user may not join the room) and mutes (the
//! user may not send in it), each until an expiry or until lifted. A row whose
//! `expires_at` has passed is inert: readers keep only rows in force at `now`, so a
//! restriction lapses at its expiry without anyone removing it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::conn::with_inner;
use super::{DbConn, StoreError};
use crate::schema::room_restrictions as rr;

/// What a restriction forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestrictionKind {
    /// Joining the room.
    Ban,
    /// Sending in the room.
    Mute,
}

impl RestrictionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ban => "ban",
            Self::Mute => "mute",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ban" => Some(Self::Ban),
            "mute" => Some(Self::Mute),
            _ => None,
        }
    }
}

/// A stored ban or mute.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = rr)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct RestrictionRow {
    pub room_id: String,
    pub kind: String,
    pub user_id: String,
    /// Unix ms; `None`: until lifted.
    pub expires_at: Option<i64>,
    pub reason: Option<String>,
    /// The admin token's id, or the user id of the moderator whose command made it.
    pub created_by: String,
    pub created_at: i64,
}

impl RestrictionRow {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }

    /// Stores the restriction, replacing the user's earlier one of the same kind.
    pub fn put(&self, c: &mut DbConn) -> Result<(), StoreError> {
        with_inner!(c, |c| diesel::insert_into(rr::table)
            .values(self)
            .on_conflict((rr::room_id, rr::kind, rr::user_id))
            .do_update()
            .set((
                rr::expires_at.eq(self.expires_at),
                rr::reason.eq(&self.reason),
                rr::created_by.eq(&self.created_by),
                rr::created_at.eq(self.created_at),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Lifts the user's restriction of `kind`; true if one was in force at `now` (an
    /// expired row is removed too, but counts as none).
    pub fn lift(
        c: &mut DbConn,
        room: &str,
        kind: RestrictionKind,
        user: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let key = rr::room_id.eq(room).and(rr::kind.eq(kind.as_str())).and(rr::user_id.eq(user));
        let found: Option<Self> = rr::table.filter(key).select(Self::as_select()).first(c).optional()?;
        diesel::delete(rr::table.filter(key)).execute(c)?;
        Ok(found.is_some_and(|r| r.in_force(now)))
    }

    /// Every restriction of `room` in force at `now` (a room's start, and its reload).
    pub fn in_force_for_room(c: &mut DbConn, room: &str, now: i64) -> Result<Vec<Self>, StoreError> {
        Ok(rr::table
            .filter(rr::room_id.eq(room))
            .filter(rr::expires_at.is_null().or(rr::expires_at.gt(now)))
            .select(Self::as_select())
            .load(c)?)
    }

    /// Up to `limit` restrictions of `kind` in `room` in force at `now`, with
    /// `user_id > after`, by user id.
    pub fn page(
        c: &mut DbConn,
        room: &str,
        kind: RestrictionKind,
        after: Option<&str>,
        limit: i64,
        now: i64,
    ) -> Result<Vec<Self>, StoreError> {
        let mut q = rr::table
            .filter(rr::room_id.eq(room).and(rr::kind.eq(kind.as_str())))
            .filter(rr::expires_at.is_null().or(rr::expires_at.gt(now)))
            .select(Self::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(rr::user_id.gt(after.to_string()));
        }
        Ok(q.order(rr::user_id.asc()).limit(limit).load(c)?)
    }
}
