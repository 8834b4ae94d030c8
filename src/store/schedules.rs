//! The `schedules` and `schedule_fires` tables: cron schedules, and one row per due
//! time that was handled (fired with its broadcast, or skipped). [`fire_due`] is the
//! one store operation that handles a due time; the primary key of `schedule_fires`
//! makes it idempotent, so a due time fires at most once even if two schedulers (or a
//! restarted one) try it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::broadcasts::{BroadcastRow, Resolved, Target, TargetError, JOB_PENDING};
use super::conn::{with_inner, write_txn};
use super::{DbConn, StoreError};
use crate::schema::{schedule_fires, schedules};

/// A stored schedule.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schedules)]
// One multi-row INSERT on SQLite too (an import batch; no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRow {
    pub id: String,
    pub cron: String,
    pub timezone: String,
    /// JSON of the [`Target`].
    #[serde(with = "crate::transfer::json_text")]
    pub target: String,
    pub text: String,
    pub priority: String,
    pub enabled: bool,
    /// The next due time (Unix ms); null while disabled.
    pub next_run_at: Option<i64>,
    pub last_run_at: Option<i64>,
    pub last_broadcast_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A handled due time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schedule_fires)]
// One multi-row INSERT on SQLite too (an import batch; no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFireRow {
    pub schedule_id: String,
    pub due_at: i64,
    pub handled_at: i64,
    /// `fired` or `skipped`.
    pub outcome: String,
    pub reason: Option<String>,
    pub broadcast_id: Option<String>,
}

/// What became of a due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FireOutcome {
    /// A broadcast job was created (pending; the caller starts it), with how many of
    /// its target rooms were unknown (failed at once).
    Fired { job: String, unknown: usize },
    /// Recorded as skipped, with the reason.
    Skipped(String),
    /// Someone handled this due time before (a double fire prevented).
    AlreadyHandled,
}

/// How to handle one due time.
pub struct DueTime<'a> {
    pub schedule: &'a ScheduleRow,
    pub due_at: i64,
    /// The due time after this one (None: the cron never fires again).
    pub next_at: Option<i64>,
    pub now: i64,
    /// Some(reason): record as skipped instead of firing (missed beyond the grace).
    pub skip: Option<String>,
    /// The id the broadcast gets if it fires.
    pub job_id: String,
}

/// Handles one due time in one transaction: moves the schedule's `next_run_at` on
/// (only if it still points at this due time and the schedule is enabled, else
/// nothing happens), claims `(schedule, due_at)` in `schedule_fires`, and creates the
/// broadcast (when firing).
pub fn fire_due(c: &mut DbConn, d: &DueTime<'_>) -> Result<FireOutcome, StoreError> {
    write_txn(c, |c| {
        let s = d.schedule;
        // A job with its rooms, or the reason to skip.
        let plan: Result<(BroadcastRow, Resolved), String> = match &d.skip {
            Some(reason) => Err(reason.clone()),
            None => match serde_json::from_str::<Target>(&s.target) {
                Err(e) => Err(format!("the stored target is not valid: {e}")),
                Ok(target) => match target.resolve(c) {
                    Ok(resolved) => Ok((job_row(d), resolved)),
                    Err(TargetError::Store(e)) => return Err(e),
                    Err(e) => Err(e.to_string()),
                },
            },
        };
        // Move the schedule on first, only if it still points at this due time and is
        // enabled: an edit, a disable or another scheduler that got here first wins.
        let moved = diesel::update(
            schedules::table
                .filter(schedules::id.eq(&s.id))
                .filter(schedules::next_run_at.eq(d.due_at))
                .filter(schedules::enabled.eq(true)),
        )
        .set(schedules::next_run_at.eq(d.next_at))
        .execute(c)?;
        if moved == 0 {
            return Ok(FireOutcome::AlreadyHandled);
        }
        let claim = ScheduleFireRow {
            schedule_id: s.id.clone(),
            due_at: d.due_at,
            handled_at: d.now,
            outcome: if plan.is_ok() { "fired" } else { "skipped" }.into(),
            reason: plan.as_ref().err().cloned(),
            broadcast_id: plan.as_ref().ok().map(|(job, _)| job.id.clone()),
        };
        let claimed = with_inner!(c, |c| diesel::insert_into(schedule_fires::table)
            .values(&claim)
            .on_conflict((schedule_fires::schedule_id, schedule_fires::due_at))
            .do_nothing()
            .execute(c))?;
        let outcome = match plan {
            // Handled before (e.g. the schedule was set back to a due time it had).
            _ if claimed == 0 => FireOutcome::AlreadyHandled,
            Ok((job, resolved)) => {
                job.insert_with_rooms(c, &resolved)?;
                diesel::update(schedules::table.filter(schedules::id.eq(&s.id)))
                    .set((schedules::last_run_at.eq(d.now), schedules::last_broadcast_id.eq(&job.id)))
                    .execute(c)?;
                FireOutcome::Fired { job: job.id, unknown: resolved.unknown.len() }
            }
            Err(reason) => FireOutcome::Skipped(reason),
        };
        Ok(outcome)
    })
}

/// The broadcast a due time starts.
fn job_row(d: &DueTime<'_>) -> BroadcastRow {
    let s = d.schedule;
    BroadcastRow {
        id: d.job_id.clone(),
        text: s.text.clone(),
        target: s.target.clone(),
        priority: s.priority.clone(),
        status: JOB_PENDING.into(),
        created_by: format!("schedule:{}", s.id),
        schedule_id: Some(s.id.clone()),
        // Real time (not the scheduler's clock, which a test may have moved).
        created_at: crate::model::now_ms(),
        started_at: None,
        finished_at: None,
    }
}

impl ScheduleRow {
    pub fn insert(&self, c: &mut DbConn) -> Result<(), StoreError> {
        diesel::insert_into(schedules::table).values(self).execute(c)?;
        Ok(())
    }

    pub fn find(c: &mut DbConn, id: &str) -> Result<Option<Self>, StoreError> {
        Ok(schedules::table.filter(schedules::id.eq(id)).select(Self::as_select()).first(c).optional()?)
    }

    /// Up to `limit` schedules by id, after the cursor `after`.
    pub fn page(c: &mut DbConn, after: Option<&str>, limit: i64) -> Result<Vec<Self>, StoreError> {
        let mut q = schedules::table.select(Self::as_select()).into_boxed();
        if let Some(after) = after {
            q = q.filter(schedules::id.gt(after.to_string()));
        }
        Ok(q.order(schedules::id.asc()).limit(limit).load(c)?)
    }

    /// Replaces every editable column; false when the schedule does not exist.
    pub fn update(&self, c: &mut DbConn) -> Result<bool, StoreError> {
        let n = diesel::update(schedules::table.filter(schedules::id.eq(&self.id)))
            .set((
                schedules::cron.eq(&self.cron),
                schedules::timezone.eq(&self.timezone),
                schedules::target.eq(&self.target),
                schedules::text.eq(&self.text),
                schedules::priority.eq(&self.priority),
                schedules::enabled.eq(self.enabled),
                schedules::next_run_at.eq(self.next_run_at),
                schedules::updated_at.eq(self.updated_at),
            ))
            .execute(c)?;
        Ok(n > 0)
    }

    /// Deletes the schedule and its record of due times; false if it did not exist.
    pub fn delete(c: &mut DbConn, id: &str) -> Result<bool, StoreError> {
        diesel::delete(schedule_fires::table.filter(schedule_fires::schedule_id.eq(id))).execute(c)?;
        Ok(diesel::delete(schedules::table.filter(schedules::id.eq(id))).execute(c)? > 0)
    }

    /// Enabled schedules whose next due time is at or before `now`.
    pub fn due(c: &mut DbConn, now: i64) -> Result<Vec<Self>, StoreError> {
        Ok(schedules::table
            .filter(schedules::enabled.eq(true))
            .filter(schedules::next_run_at.le(now))
            .select(Self::as_select())
            .order(schedules::id.asc())
            .load(c)?)
    }
}

impl ScheduleFireRow {
    /// The most recent handled due times of a schedule, newest first.
    pub fn recent(c: &mut DbConn, schedule_id: &str, limit: i64) -> Result<Vec<Self>, StoreError> {
        Ok(schedule_fires::table
            .filter(schedule_fires::schedule_id.eq(schedule_id))
            .select(Self::as_select())
            .order(schedule_fires::due_at.desc())
            .limit(limit)
            .load(c)?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::broadcasts::BroadcastRow;
    use crate::store::rooms::RoomRow;
    use crate::store::Store;

    fn schedule(target: &str) -> ScheduleRow {
        ScheduleRow {
            id: "sch_t".into(),
            cron: "* * * * *".into(),
            timezone: "UTC".into(),
            target: target.into(),
            text: "hi".into(),
            priority: "normal".into(),
            enabled: true,
            next_run_at: Some(60_000),
            last_run_at: None,
            last_broadcast_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Two schedulers (or a repeated tick) handling the same due time: one job.
    #[test]
    fn a_due_time_fires_once_even_when_handled_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}/t.db", dir.path().display()), 2, Duration::from_secs(1))
                .unwrap();
        store
            .run_blocking(|c| {
                RoomRow {
                    id: "a".into(),
                    name: "a".into(),
                    tags: "[]".into(),
                    settings: "{}".into(),
                    created_at: 0,
                    updated_at: 0,
                }
                .insert(c)?;
                let s = schedule(r#"["a"]"#);
                s.insert(c)?;
                let due = |job: &str| DueTime {
                    schedule: &s,
                    due_at: 60_000,
                    next_at: Some(120_000),
                    now: 61_000,
                    skip: None,
                    job_id: job.into(),
                };
                assert_eq!(fire_due(c, &due("bc_1"))?, FireOutcome::Fired { job: "bc_1".into(), unknown: 0 });
                assert_eq!(fire_due(c, &due("bc_2"))?, FireOutcome::AlreadyHandled);
                assert!(BroadcastRow::find(c, "bc_2")?.is_none(), "no second job");
                let after = ScheduleRow::find(c, "sch_t")?.unwrap();
                assert_eq!(
                    (after.next_run_at, after.last_broadcast_id.as_deref()),
                    (Some(120_000), Some("bc_1"))
                );
                // Set back to a due time it already handled: moves on, fires nothing.
                let mut back = after.clone();
                back.next_run_at = Some(60_000);
                back.update(c)?;
                assert_eq!(fire_due(c, &due("bc_3"))?, FireOutcome::AlreadyHandled);
                assert!(BroadcastRow::find(c, "bc_3")?.is_none());
                assert_eq!(ScheduleRow::find(c, "sch_t")?.unwrap().next_run_at, Some(120_000));
                // Disabled meanwhile: nothing happens.
                back.enabled = false;
                back.update(c)?;
                assert_eq!(fire_due(c, &due("bc_4"))?, FireOutcome::AlreadyHandled);
                assert!(BroadcastRow::find(c, "bc_4")?.is_none());
                Ok(())
            })
            .unwrap();
    }
}
