//! The reads of an export: every table in pages of [`PAGE`] rows, each page one keyset
//! query (`WHERE key > last ORDER BY key LIMIT n`) served by an index, so memory stays
//! constant whatever the size of the store.
//!
//! The order is the primary key's, with text compared byte-wise on both backends
//! (PostgreSQL: `COLLATE "C"`), so SQLite and PostgreSQL list the same rows in the
//! same order. Tables keyed by a room (members, bans and mutes, welcomes, messages),
//! a schedule (its fires) or a broadcast (its rooms) are read one parent at a time
//! (`WHERE room_id = ? AND key > last`): the primary key serves that lookup on both
//! backends, where a byte-wise order over the whole table would sort it on
//! PostgreSQL for every page.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::schema::{
    audit_log, broadcast_rooms, broadcasts, members, messages, room_restrictions, rooms, schedule_fires,
    schedules, tokens, welcomes,
};
use crate::store::audit::AuditRow;
use crate::store::broadcasts::{BroadcastRoomRow, BroadcastRow};
use crate::store::members::MemberRow;
use crate::store::messages::MessageRow;
use crate::store::restrictions::RestrictionRow;
use crate::store::room_life::WelcomeRow;
use crate::store::rooms::RoomRow;
use crate::store::schedules::{ScheduleFireRow, ScheduleRow};
use crate::store::tokens::TokenRow;
use crate::store::DbConn;

/// Rows per query.
pub const PAGE: i64 = 1000;

/// `col` compared byte-wise.
fn bytewise(c: &DbConn, col: &str) -> String {
    match c {
        DbConn::Postgresql(_) => format!("{col} COLLATE \"C\""),
        DbConn::Sqlite(_) => col.to_string(),
    }
}

/// A page of a table keyed by one text column, after `after`.
macro_rules! by_text_key {
    ($name:ident, $table:ident, $key:literal, $row:ty) => {
        pub fn $name(c: &mut DbConn, after: Option<&str>) -> QueryResult<Vec<$row>> {
            let key = bytewise(c, $key);
            let mut q = $table::table.select(<$row>::as_select()).into_boxed();
            if let Some(after) = after {
                q = q.filter(sql::<Bool>(&format!("{key} > ")).bind::<Text, _>(after.to_string()));
            }
            q.order(sql::<Text>(&key)).limit(PAGE).load(c)
        }
    };
}

by_text_key!(rooms, rooms, "rooms.id", RoomRow);
by_text_key!(tokens, tokens, "tokens.id", TokenRow);
by_text_key!(schedules, schedules, "schedules.id", ScheduleRow);
by_text_key!(broadcasts, broadcasts, "broadcasts.id", BroadcastRow);

/// A page of one parent's rows of a table keyed by (parent, text column).
macro_rules! child_by_text_key {
    ($name:ident, $table:ident, $parent:ident, $key:literal, $row:ty) => {
        pub fn $name(c: &mut DbConn, parent: &str, after: Option<&str>) -> QueryResult<Vec<$row>> {
            let key = bytewise(c, $key);
            let mut q = $table::table
                .select(<$row>::as_select())
                .filter($table::$parent.eq(parent.to_string()))
                .into_boxed();
            if let Some(after) = after {
                q = q.filter(sql::<Bool>(&format!("{key} > ")).bind::<Text, _>(after.to_string()));
            }
            q.order(sql::<Text>(&key)).limit(PAGE).load(c)
        }
    };
}

child_by_text_key!(members, members, room_id, "members.user_id", MemberRow);
child_by_text_key!(welcomes, welcomes, room_id, "welcomes.user_id", WelcomeRow);
child_by_text_key!(
    broadcast_rooms,
    broadcast_rooms,
    broadcast_id,
    "broadcast_rooms.room_id",
    BroadcastRoomRow
);

/// A page of one parent's rows of a table keyed by (parent, integer column).
macro_rules! child_by_int_key {
    ($name:ident, $table:ident, $parent:ident, $key:ident, $row:ty) => {
        pub fn $name(c: &mut DbConn, parent: &str, after: i64) -> QueryResult<Vec<$row>> {
            $table::table
                .select(<$row>::as_select())
                .filter($table::$parent.eq(parent))
                .filter($table::$key.gt(after))
                .order($table::$key.asc())
                .limit(PAGE)
                .load(c)
        }
    };
}

child_by_int_key!(messages, messages, room_id, seq, MessageRow);
child_by_int_key!(schedule_fires, schedule_fires, schedule_id, due_at, ScheduleFireRow);

/// A page of a room's bans and mutes, keyed by (kind, user).
pub fn restrictions(
    c: &mut DbConn,
    room: &str,
    after: Option<(&str, &str)>,
) -> QueryResult<Vec<RestrictionRow>> {
    let (kind, user) = (bytewise(c, "room_restrictions.kind"), bytewise(c, "room_restrictions.user_id"));
    let mut q = room_restrictions::table
        .select(RestrictionRow::as_select())
        .filter(room_restrictions::room_id.eq(room.to_string()))
        .into_boxed();
    if let Some((after_kind, after_user)) = after {
        q = q.filter(
            sql::<Bool>(&format!("({kind} > "))
                .bind::<Text, _>(after_kind.to_string())
                .sql(" OR (room_restrictions.kind = ")
                .bind::<Text, _>(after_kind.to_string())
                .sql(&format!(" AND {user} > "))
                .bind::<Text, _>(after_user.to_string())
                .sql("))"),
        );
    }
    q.order((sql::<Text>(&kind), sql::<Text>(&user))).limit(PAGE).load(c)
}

/// A page of the audit log by id.
pub fn audit(c: &mut DbConn, after: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .select(AuditRow::as_select())
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(PAGE)
        .load(c)
}

/// A page of the room ids that have messages but no room (a room deleted without
/// `purge` keeps its messages, and a room created again with its id continues them).
pub fn roomless_message_rooms(c: &mut DbConn, after: Option<&str>) -> QueryResult<Vec<String>> {
    let id = bytewise(c, "messages.room_id");
    let mut q = messages::table
        .select(sql::<Text>(&id))
        .distinct()
        .filter(sql::<Bool>("NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.id = messages.room_id)"))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(sql::<Bool>(&format!("{id} > ")).bind::<Text, _>(after.to_string()));
    }
    q.order(sql::<Text>(&id)).limit(PAGE).load(c)
}

/// Rows in each exported table (same order as `format::TABLES`), for the progress bar.
pub fn counts(c: &mut DbConn) -> QueryResult<[i64; 11]> {
    Ok([
        rooms::table.count().get_result(c)?,
        tokens::table.count().get_result(c)?,
        members::table.count().get_result(c)?,
        room_restrictions::table.count().get_result(c)?,
        welcomes::table.count().get_result(c)?,
        messages::table.count().get_result(c)?,
        schedules::table.count().get_result(c)?,
        schedule_fires::table.count().get_result(c)?,
        broadcasts::table.count().get_result(c)?,
        broadcast_rooms::table.count().get_result(c)?,
        audit_log::table.count().get_result(c)?,
    ])
}
