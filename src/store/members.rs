//! The `members` table: who belongs to a room, with role, read position and presence.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::conn::with_inner;
use super::prepared::{kept_prepared, push_binds};
use super::{DbConn, StoreError};
use crate::schema::members;

/// A stored membership.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = members)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct MemberRow {
    pub room_id: String,
    pub user_id: String,
    pub name: String,
    pub kind: String,
    pub role: String,
    pub role_expires_at: Option<i64>,
    pub base_role: String,
    pub last_read_seq: i64,
    pub last_seen: Option<i64>,
    pub joined_at: i64,
}

/// A membership write a room hands to the `StoreWriter`. The writer is the only one
/// that creates or removes memberships, in the order the room sent them, so a join's
/// row queued before a kick can never outlive the kick.
#[derive(Debug, Clone)]
pub enum MemberWrite {
    /// A join or leave: creates the membership or refreshes name and presence.
    Touch(MemberTouch),
    /// A kick: removes the membership.
    Remove { room_id: String, user_id: String },
}

impl MemberWrite {
    /// The room written to.
    pub fn room_id(&self) -> &str {
        match self {
            Self::Touch(t) => &t.room_id,
            Self::Remove { room_id, .. } => room_id,
        }
    }

    /// Applies the write (inside the writer's transaction); true if a row was created,
    /// refreshed or removed.
    pub fn apply(&self, c: &mut DbConn) -> Result<bool, StoreError> {
        match self {
            Self::Touch(t) => t.apply(c).map(|()| true),
            Self::Remove { room_id, user_id } => MemberRow::delete(c, room_id, user_id),
        }
    }
}

/// A join or leave seen by a room: creates the membership or refreshes name and presence.
#[derive(Debug, Clone)]
pub struct MemberTouch {
    pub room_id: String,
    pub user_id: String,
    pub name: String,
    pub kind: String,
    pub at: i64,
}

impl MemberRow {
    pub fn for_room(c: &mut DbConn, room: &str) -> Result<Vec<Self>, StoreError> {
        Ok(members::table.filter(members::room_id.eq(room)).select(Self::as_select()).load(c)?)
    }

    /// Up to `limit` members of `room` with `user_id > after`, by user id.
    pub fn page(
        c: &mut DbConn,
        room: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Self>, StoreError> {
        let mut q = members::table.filter(members::room_id.eq(room)).select(Self::as_select()).into_boxed();
        if let Some(after) = after {
            q = q.filter(members::user_id.gt(after.to_string()));
        }
        Ok(q.order(members::user_id.asc()).limit(limit).load(c)?)
    }

    pub fn find(c: &mut DbConn, room: &str, user: &str) -> Result<Option<Self>, StoreError> {
        Ok(members::table
            .filter(members::room_id.eq(room).and(members::user_id.eq(user)))
            .select(Self::as_select())
            .first(c)
            .optional()?)
    }

    /// Grants `role` until `expires_at` (None = for good). A permanent grant also
    /// becomes the role underneath; a temporary one falls back to it when it expires.
    /// Creates the membership (name = id, kind `user`) if the user never joined.
    pub fn set_role(
        c: &mut DbConn,
        room: &str,
        user: &str,
        role: &str,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let existing = Self::find(c, room, user)?;
        let base = match (&existing, expires_at) {
            (_, None) => role.to_string(),
            (Some(m), Some(_)) => m.base_role.clone(),
            (None, Some(_)) => "member".to_string(),
        };
        match existing {
            Some(_) => {
                diesel::update(
                    members::table.filter(members::room_id.eq(room).and(members::user_id.eq(user))),
                )
                .set((
                    members::role.eq(role),
                    members::role_expires_at.eq(expires_at),
                    members::base_role.eq(&base),
                ))
                .execute(c)?;
            }
            None => {
                let row = MemberRow {
                    room_id: room.to_string(),
                    user_id: user.to_string(),
                    name: user.to_string(),
                    kind: "user".into(),
                    role: role.to_string(),
                    role_expires_at: expires_at,
                    base_role: base,
                    last_read_seq: 0,
                    last_seen: None,
                    joined_at: now,
                };
                // An upsert: the store writer may create the membership (a first join)
                // between the lookup above and this insert.
                with_inner!(c, |c| diesel::insert_into(members::table)
                    .values(&row)
                    .on_conflict((members::room_id, members::user_id))
                    .do_update()
                    .set((
                        members::role.eq(&row.role),
                        members::role_expires_at.eq(row.role_expires_at),
                        members::base_role.eq(&row.base_role),
                    ))
                    .execute(c))?;
            }
        }
        Ok(())
    }

    /// Removes the membership; false if there was none.
    pub fn delete(c: &mut DbConn, room: &str, user: &str) -> Result<bool, StoreError> {
        let n =
            diesel::delete(members::table.filter(members::room_id.eq(room).and(members::user_id.eq(user))))
                .execute(c)?;
        Ok(n > 0)
    }
}

impl MemberTouch {
    /// Upserts the membership: a new member gets role `member`; an existing one keeps its
    /// role and read position and gets its name and `last_seen` refreshed. Run by the
    /// store writer for a session's join, so kept prepared ([`TouchMember`]).
    pub fn apply(&self, c: &mut DbConn) -> Result<(), StoreError> {
        let touch = TouchMember {
            room_id: &self.room_id,
            user_id: &self.user_id,
            name: &self.name,
            kind: &self.kind,
            at: self.at,
        };
        with_inner!(c, |c| touch.execute(c))?;
        Ok(())
    }
}

kept_prepared! {
    /// [`MemberTouch::apply`]'s upsert (diesel's own `DO UPDATE` is parsed again on
    /// every run).
    struct TouchMember<'a> {
        room_id: &'a str,
        user_id: &'a str,
        name: &'a str,
        kind: &'a str,
        at: i64,
    }
    sql on either store |q, out| {
        out.push_sql(
            "INSERT INTO members (room_id, user_id, name, kind, role, role_expires_at, base_role, \
             last_read_seq, last_seen, joined_at) VALUES (",
        );
        push_binds!(out, Text => q.room_id, Text => q.user_id, Text => q.name, Text => q.kind);
        out.push_sql(", 'member', NULL, 'member', 0, ");
        push_binds!(out, BigInt => &q.at, BigInt => &q.at);
        out.push_sql(
            ") ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, \
             kind = excluded.kind, last_seen = excluded.last_seen",
        );
    }
}
