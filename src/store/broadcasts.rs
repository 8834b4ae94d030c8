//! The `broadcasts` and `broadcast_rooms` tables: a broadcast job (text, target,
//! priority, status) and the progress of each of its target rooms (status, attempts,
//! last error, resulting seq). Everything a job needs to carry on after a crash or a
//! process restart is here; the job actor keeps no state the store does not have.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::conn::{with_inner, write_txn};
pub use super::targets::{Priority, Resolved, Target, TargetError};
use super::{DbConn, StoreError};
use crate::schema::{broadcast_rooms, broadcasts};

/// Job status: created, not yet picked up by a job actor.
pub const JOB_PENDING: &str = "pending";
pub const JOB_RUNNING: &str = "running";
/// Every room was reached or given up, and at least one got the message.
pub const JOB_DONE: &str = "done";
pub const JOB_CANCELLED: &str = "cancelled";
/// Every room failed.
pub const JOB_FAILED: &str = "failed";

/// Room status within a job.
pub const ROOM_PENDING: &str = "pending";
pub const ROOM_DELIVERED: &str = "delivered";
pub const ROOM_FAILED: &str = "failed";
pub const ROOM_CANCELLED: &str = "cancelled";

/// The reason recorded for a target room that does not exist.
pub const NO_SUCH_ROOM: &str = "not_found: no such room";

/// Rows per multi-row INSERT (SQLite binds at most 32766 variables per statement).
const INSERT_CHUNK: usize = 1000;

/// A stored broadcast job.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = broadcasts)]
// One multi-row INSERT on SQLite too (an import batch; no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct BroadcastRow {
    pub id: String,
    pub text: String,
    /// JSON of the [`Target`] as given.
    #[serde(with = "crate::transfer::json_text")]
    pub target: String,
    pub priority: String,
    pub status: String,
    pub created_by: String,
    pub schedule_id: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// The progress of one target room.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = broadcast_rooms)]
#[serde(deny_unknown_fields)]
// One multi-row INSERT on SQLite too (no DEFAULT keyword, so no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
pub struct BroadcastRoomRow {
    pub broadcast_id: String,
    pub room_id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub seq: Option<i64>,
    pub updated_at: i64,
}

/// Rooms of a job by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub total: i64,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
    pub cancelled: i64,
}

impl Counts {
    fn add(&mut self, status: &str, n: i64) {
        self.total += n;
        match status {
            ROOM_DELIVERED => self.delivered += n,
            ROOM_FAILED => self.failed += n,
            ROOM_CANCELLED => self.cancelled += n,
            _ => self.pending += n,
        }
    }
}

impl BroadcastRow {
    pub fn finished(&self) -> bool {
        matches!(self.status.as_str(), JOB_DONE | JOB_CANCELLED | JOB_FAILED)
    }

    /// Inserts the job and one row per room: `resolved.rooms` pending, `unknown` failed
    /// at once. Call inside a transaction (the rows belong together).
    pub fn insert_with_rooms(&self, c: &mut DbConn, resolved: &Resolved) -> Result<(), StoreError> {
        diesel::insert_into(broadcasts::table).values(self).execute(c)?;
        let row = |room: &String, status: &str, error: Option<&str>| BroadcastRoomRow {
            broadcast_id: self.id.clone(),
            room_id: room.clone(),
            status: status.to_string(),
            attempts: 0,
            last_error: error.map(str::to_string),
            seq: None,
            updated_at: self.created_at,
        };
        let rows: Vec<BroadcastRoomRow> = resolved
            .rooms
            .iter()
            .map(|r| row(r, ROOM_PENDING, None))
            .chain(resolved.unknown.iter().map(|r| row(r, ROOM_FAILED, Some(NO_SUCH_ROOM))))
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            with_inner!(c, |c| diesel::insert_into(broadcast_rooms::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    pub fn find(c: &mut DbConn, id: &str) -> Result<Option<Self>, StoreError> {
        Ok(broadcasts::table.filter(broadcasts::id.eq(id)).select(Self::as_select()).first(c).optional()?)
    }

    /// Ids of jobs not finished (pending or running), oldest first: resumed at start.
    pub fn unfinished(c: &mut DbConn) -> Result<Vec<String>, StoreError> {
        Ok(broadcasts::table
            .filter(broadcasts::status.eq_any([JOB_PENDING, JOB_RUNNING]))
            .select(broadcasts::id)
            .order(broadcasts::id.asc())
            .load(c)?)
    }

    /// Up to `limit` jobs, newest first, older than the job `before` when given.
    pub fn page(c: &mut DbConn, before: Option<&str>, limit: i64) -> Result<Vec<Self>, StoreError> {
        let mut q = broadcasts::table.select(Self::as_select()).into_boxed();
        if let Some(before) = before {
            q = q.filter(broadcasts::id.lt(before.to_string()));
        }
        Ok(q.order(broadcasts::id.desc()).limit(limit).load(c)?)
    }

    /// Marks a pending job running (the first time a job actor picks it up).
    pub fn mark_running(c: &mut DbConn, id: &str, now: i64) -> Result<(), StoreError> {
        diesel::update(
            broadcasts::table.filter(broadcasts::id.eq(id)).filter(broadcasts::status.eq(JOB_PENDING)),
        )
        .set((broadcasts::status.eq(JOB_RUNNING), broadcasts::started_at.eq(now)))
        .execute(c)?;
        Ok(())
    }

    /// Finishes a running job: `failed` when no room got the message, else `done`.
    /// Returns the status set, or `None` if the job was already finished (cancelled).
    pub fn finish(c: &mut DbConn, id: &str, now: i64) -> Result<Option<&'static str>, StoreError> {
        let counts = BroadcastRoomRow::counts(c, &[id.to_string()])?.remove(id).unwrap_or_default();
        let status = if counts.delivered == 0 && counts.total > 0 { JOB_FAILED } else { JOB_DONE };
        let n = diesel::update(
            broadcasts::table
                .filter(broadcasts::id.eq(id))
                .filter(broadcasts::status.eq_any([JOB_PENDING, JOB_RUNNING])),
        )
        .set((broadcasts::status.eq(status), broadcasts::finished_at.eq(now)))
        .execute(c)?;
        Ok((n > 0).then_some(status))
    }

    /// Cancels an unfinished job: its pending rooms become `cancelled`. Returns the
    /// row after the change (unchanged when it had already finished); `None` if no
    /// such job.
    pub fn cancel(c: &mut DbConn, id: &str, now: i64) -> Result<Option<(Self, bool)>, StoreError> {
        write_txn(c, |c| {
            let Some(row) = Self::find(c, id)? else { return Ok(None) };
            if row.finished() {
                return Ok(Some((row, false)));
            }
            diesel::update(
                broadcast_rooms::table
                    .filter(broadcast_rooms::broadcast_id.eq(id))
                    .filter(broadcast_rooms::status.eq(ROOM_PENDING)),
            )
            .set((broadcast_rooms::status.eq(ROOM_CANCELLED), broadcast_rooms::updated_at.eq(now)))
            .execute(c)?;
            diesel::update(broadcasts::table.filter(broadcasts::id.eq(id)))
                .set((broadcasts::status.eq(JOB_CANCELLED), broadcasts::finished_at.eq(now)))
                .execute(c)?;
            Ok(Self::find(c, id)?.map(|r| (r, true)))
        })
    }
}

impl BroadcastRoomRow {
    /// Every room of a job, by room id.
    pub fn for_job(c: &mut DbConn, id: &str) -> Result<Vec<Self>, StoreError> {
        Ok(broadcast_rooms::table
            .filter(broadcast_rooms::broadcast_id.eq(id))
            .select(Self::as_select())
            .order(broadcast_rooms::room_id.asc())
            .load(c)?)
    }

    /// The rooms of a job still to reach, with the attempts made so far.
    pub fn pending(c: &mut DbConn, id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(broadcast_rooms::table
            .filter(broadcast_rooms::broadcast_id.eq(id))
            .filter(broadcast_rooms::status.eq(ROOM_PENDING))
            .select((broadcast_rooms::room_id, broadcast_rooms::attempts))
            .order(broadcast_rooms::room_id.asc())
            .load(c)?)
    }

    /// The room got the message (also after a cancel: the message is there).
    pub fn record_delivered(
        c: &mut DbConn,
        id: &str,
        room: &str,
        seq: i64,
        attempts: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        diesel::update(
            broadcast_rooms::table
                .filter(broadcast_rooms::broadcast_id.eq(id))
                .filter(broadcast_rooms::room_id.eq(room)),
        )
        .set((
            broadcast_rooms::status.eq(ROOM_DELIVERED),
            broadcast_rooms::seq.eq(seq),
            broadcast_rooms::attempts.eq(attempts),
            broadcast_rooms::updated_at.eq(now),
        ))
        .execute(c)?;
        Ok(())
    }

    /// A failed attempt: stays `pending` (to retry) or becomes `failed` when `last`.
    /// Only touches a room still pending (not one cancelled meanwhile).
    pub fn record_failure(
        c: &mut DbConn,
        id: &str,
        room: &str,
        attempts: i64,
        error: &str,
        last: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let status = if last { ROOM_FAILED } else { ROOM_PENDING };
        diesel::update(
            broadcast_rooms::table
                .filter(broadcast_rooms::broadcast_id.eq(id))
                .filter(broadcast_rooms::room_id.eq(room))
                .filter(broadcast_rooms::status.eq(ROOM_PENDING)),
        )
        .set((
            broadcast_rooms::status.eq(status),
            broadcast_rooms::attempts.eq(attempts),
            broadcast_rooms::last_error.eq(error),
            broadcast_rooms::updated_at.eq(now),
        ))
        .execute(c)?;
        Ok(())
    }

    /// Every room of the job still pending becomes `failed` with `error`; returns how
    /// many did.
    pub fn fail_pending(c: &mut DbConn, id: &str, error: &str, now: i64) -> Result<usize, StoreError> {
        let failed = diesel::update(
            broadcast_rooms::table
                .filter(broadcast_rooms::broadcast_id.eq(id))
                .filter(broadcast_rooms::status.eq(ROOM_PENDING)),
        )
        .set((
            broadcast_rooms::status.eq(ROOM_FAILED),
            broadcast_rooms::last_error.eq(error),
            broadcast_rooms::updated_at.eq(now),
        ))
        .execute(c)?;
        Ok(failed)
    }

    /// Room counts by status of each of `ids`.
    pub fn counts(c: &mut DbConn, ids: &[String]) -> Result<HashMap<String, Counts>, StoreError> {
        use diesel::dsl::count_star;
        let rows: Vec<(String, String, i64)> = broadcast_rooms::table
            .filter(broadcast_rooms::broadcast_id.eq_any(ids))
            .group_by((broadcast_rooms::broadcast_id, broadcast_rooms::status))
            .select((broadcast_rooms::broadcast_id, broadcast_rooms::status, count_star()))
            .load(c)?;
        let mut out: HashMap<String, Counts> = HashMap::new();
        for (id, status, n) in rows {
            out.entry(id).or_default().add(&status, n);
        }
        Ok(out)
    }
}

impl BroadcastRoomRow {
    /// Failed rooms by reason (`last_error`) for each of `ids`: the report's breakdown.
    pub fn failure_reasons(
        c: &mut DbConn,
        ids: &[String],
    ) -> Result<HashMap<String, std::collections::BTreeMap<String, i64>>, StoreError> {
        use diesel::dsl::count_star;
        let rows: Vec<(String, Option<String>, i64)> = broadcast_rooms::table
            .filter(broadcast_rooms::broadcast_id.eq_any(ids))
            .filter(broadcast_rooms::status.eq(ROOM_FAILED))
            .group_by((broadcast_rooms::broadcast_id, broadcast_rooms::last_error))
            .select((broadcast_rooms::broadcast_id, broadcast_rooms::last_error, count_star()))
            .load(c)?;
        let mut out: HashMap<String, std::collections::BTreeMap<String, i64>> = HashMap::new();
        for (id, reason, n) in rows {
            *out.entry(id).or_default().entry(reason.unwrap_or_else(|| "unknown".into())).or_default() += n;
        }
        Ok(out)
    }
}
