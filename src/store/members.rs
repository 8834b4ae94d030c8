//! The `members` table: who belongs to a room, with role, read position and presence.

use diesel::prelude::*;

use super::conn::with_inner;
use super::{DbConn, StoreError};
use crate::schema::members;

/// A stored membership.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
#[diesel(treat_none_as_default_value = false)]
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
}

impl MemberTouch {
    /// Upserts the membership: a new member gets role `member`; an existing one keeps its
    /// role and read position and gets its name and `last_seen` refreshed.
    pub fn apply(&self, c: &mut DbConn) -> Result<(), StoreError> {
        let row = MemberRow {
            room_id: self.room_id.clone(),
            user_id: self.user_id.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            role: "member".into(),
            role_expires_at: None,
            base_role: "member".into(),
            last_read_seq: 0,
            last_seen: Some(self.at),
            joined_at: self.at,
        };
        with_inner!(c, |c| diesel::insert_into(members::table)
            .values(&row)
            .on_conflict((members::room_id, members::user_id))
            .do_update()
            .set((
                members::name.eq(&row.name),
                members::kind.eq(&row.kind),
                members::last_seen.eq(row.last_seen),
            ))
            .execute(c))?;
        Ok(())
    }
}
