//! The webhook tables: `webhooks` (the endpoints, each with its stored `position`),
//! `webhook_deliveries` (the recent attempts of each endpoint) and `webhook_events`
//! (the outbox that the database triggers of `event_triggers.rs` fill, while a webhook
//! exists, in the transaction that commits each change). docs/INTEGRATIONS.md
//! describes the design.
//!
//! Commit order: an outbox row's `id` is taken when it is inserted, before its
//! transaction commits, so with overlapping transactions (PostgreSQL) id n+1 may be
//! visible while n is not yet. Readers therefore never go by `id`: [`sequence`] gives
//! every committed row without one a `pos` after all existing ones, one sequencer at a
//! time, and endpoints read and keep their position in `pos` — a row that commits
//! later can only get a later `pos`, so no position ever passes an event.

use diesel::prelude::*;

use super::conn::{write_txn, DbConn};
use super::event_triggers;
use super::StoreError;
use crate::schema::{webhook_deliveries, webhook_events, webhooks};

/// An endpoint that receives deliveries.
pub const STATE_ACTIVE: &str = "active";
/// An endpoint that failed `webhooks.max_failures` times in a row, or was paused by an
/// operator; it keeps its position and receives nothing until resumed.
pub const STATE_PAUSED: &str = "paused";

/// A stored webhook endpoint. `events`, `rooms` and `tags` are JSON arrays of strings.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
#[diesel(treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub rooms: String,
    pub tags: String,
    pub secret: String,
    pub state: String,
    /// Failed attempts in a row.
    pub failures: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    /// The `pos` of the last `webhook_events` row handled.
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields an operator may change (`PATCH /api/v1/webhooks/{id}`); `None` keeps one.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<String>,
    pub rooms: Option<String>,
    pub tags: Option<String>,
    pub secret: Option<String>,
    pub state: Option<String>,
    pub updated_at: i64,
}

/// One event of the outbox.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub room_id: Option<String>,
    pub seq: Option<i64>,
    /// A JSON object.
    pub payload: String,
    pub at: i64,
    /// Its place in commit order; set by [`sequence`] (always set on rows read by
    /// [`events_after`]).
    pub pos: Option<i64>,
}

/// One recorded delivery attempt.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: String,
    /// When the attempt started (Unix ms).
    pub at: i64,
    /// A test delivery (`POST /api/v1/webhooks/{id}/test`).
    pub test: bool,
    /// Events in the batch.
    pub events: i64,
    /// The receiver's HTTP status; `None` when no answer came.
    pub status: Option<i64>,
    /// Why the attempt failed; `None` when it succeeded.
    pub error: Option<String>,
    pub latency_ms: i64,
}

/// A delivery attempt to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub at: i64,
    pub test: bool,
    pub events: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
}

impl WebhookRow {
    /// Stores a new endpoint whose position is the newest event now: it receives what
    /// commits after it was created.
    pub fn create(mut self, c: &mut DbConn) -> Result<Self, StoreError> {
        sequence(c)?;
        write_txn(c, |c| {
            event_triggers::lock_webhooks(c)?;
            self.position = newest_event(c)?;
            diesel::insert_into(webhooks::table).values(&self).execute(c)?;
            event_triggers::sync(c)?;
            Ok(self)
        })
    }

    pub fn list(c: &mut DbConn) -> Result<Vec<Self>, StoreError> {
        Ok(webhooks::table.order(webhooks::id).select(Self::as_select()).load(c)?)
    }

    pub fn find(c: &mut DbConn, id: &str) -> Result<Self, StoreError> {
        Ok(webhooks::table.find(id).select(Self::as_select()).first(c)?)
    }

    pub fn update(c: &mut DbConn, id: &str, patch: &WebhookPatch) -> Result<Self, StoreError> {
        let n = diesel::update(webhooks::table.find(id)).set(patch).execute(c)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::find(c, id)
    }

    /// Deletes the endpoint and its delivery log; false if there was none.
    pub fn delete(c: &mut DbConn, id: &str) -> Result<bool, StoreError> {
        write_txn(c, |c| {
            event_triggers::lock_webhooks(c)?;
            diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
                .execute(c)?;
            let deleted = diesel::delete(webhooks::table.find(id)).execute(c)? > 0;
            event_triggers::sync(c)?;
            Ok(deleted)
        })
    }

    /// Back to `active` with no failures counted, from the stored position.
    pub fn resume(c: &mut DbConn, id: &str, now: i64) -> Result<Self, StoreError> {
        let n = diesel::update(webhooks::table.find(id))
            .set((webhooks::state.eq(STATE_ACTIVE), webhooks::failures.eq(0), webhooks::updated_at.eq(now)))
            .execute(c)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::find(c, id)
    }

    /// A delivery up to event `position` succeeded (or had nothing to send): the
    /// position moves on and the failures are forgotten.
    pub fn advance(
        c: &mut DbConn,
        id: &str,
        position: i64,
        status: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        diesel::update(webhooks::table.find(id).filter(webhooks::position.lt(position)))
            .set((
                webhooks::position.eq(position),
                webhooks::failures.eq(0),
                webhooks::last_status.eq(status),
                webhooks::last_error.eq(None::<String>),
                webhooks::last_attempt_at.eq(now),
            ))
            .execute(c)?;
        Ok(())
    }

    /// A delivery failed: one more failure; paused once there are `max_failures`.
    /// Returns the row as stored now.
    pub fn failed(
        c: &mut DbConn,
        id: &str,
        status: Option<i64>,
        error: &str,
        max_failures: i64,
        now: i64,
    ) -> Result<Self, StoreError> {
        write_txn(c, |c| {
            let row = Self::find(c, id)?;
            let failures = row.failures + 1;
            let state = if failures >= max_failures { STATE_PAUSED } else { row.state.as_str() };
            diesel::update(webhooks::table.find(id))
                .set((
                    webhooks::failures.eq(failures),
                    webhooks::state.eq(state),
                    webhooks::last_status.eq(status),
                    webhooks::last_error.eq(Some(error)),
                    webhooks::last_attempt_at.eq(now),
                ))
                .execute(c)?;
            Self::find(c, id)
        })
    }
}

/// Gives the committed outbox rows that have no `pos` one, in id order, after the
/// highest so far; returns how many. Sequencers take turns (PostgreSQL: an advisory
/// lock for the transaction; SQLite: its one writer), and each statement sees every
/// row committed before it started, so `pos` follows commit order. Within a room that
/// is seq order: a room's writes commit one after another.
pub fn sequence(c: &mut DbConn) -> Result<usize, StoreError> {
    const SEQUENCE: &str = "UPDATE webhook_events \
         SET pos = (SELECT COALESCE(MAX(pos), 0) FROM webhook_events) + r.rn \
         FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM webhook_events \
               WHERE pos IS NULL ORDER BY id LIMIT 10000) AS r \
         WHERE webhook_events.id = r.id";
    // A read first: with nothing new, no write transaction (on SQLite it would take
    // the write lock from the store writer for nothing, every poll).
    let waiting = webhook_events::table
        .filter(webhook_events::pos.is_null())
        .select(webhook_events::id)
        .first::<i64>(c)
        .optional()?;
    if waiting.is_none() {
        return Ok(0);
    }
    write_txn(c, |c| {
        Ok(match c {
            DbConn::Postgresql(c) => {
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('roomd.webhook_events'))")
                    .execute(c)?;
                diesel::sql_query(SEQUENCE).execute(c)?
            }
            DbConn::Sqlite(c) => diesel::sql_query(SEQUENCE).execute(c)?,
        })
    })
}

/// The position of the newest sequenced event (0 when there is none).
pub fn newest_event(c: &mut DbConn) -> Result<i64, StoreError> {
    let max: Option<i64> = webhook_events::table.select(diesel::dsl::max(webhook_events::pos)).first(c)?;
    Ok(max.unwrap_or(0))
}

/// Up to `limit` events after `position`, in commit order (sequence first).
pub fn events_after(c: &mut DbConn, position: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
    Ok(webhook_events::table
        .filter(webhook_events::pos.gt(position))
        .order(webhook_events::pos)
        .limit(limit)
        .select(EventRow::as_select())
        .load(c)?)
}

/// How many events lie after `position` (an endpoint's lag), those not sequenced yet
/// included.
pub fn count_after(c: &mut DbConn, position: i64) -> Result<i64, StoreError> {
    Ok(webhook_events::table
        .filter(webhook_events::pos.gt(position).or(webhook_events::pos.is_null()))
        .count()
        .get_result(c)?)
}

/// Records an attempt and forgets the endpoint's attempts beyond the newest `keep`.
pub fn record_delivery(c: &mut DbConn, d: &NewDelivery, keep: i64) -> Result<(), StoreError> {
    diesel::insert_into(webhook_deliveries::table).values(d).execute(c)?;
    let oldest_kept: Option<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(&d.webhook_id))
        .order(webhook_deliveries::id.desc())
        .offset(keep.max(1) - 1)
        .select(webhook_deliveries::id)
        .first(c)
        .optional()?;
    if let Some(oldest) = oldest_kept {
        diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::webhook_id.eq(&d.webhook_id))
                .filter(webhook_deliveries::id.lt(oldest)),
        )
        .execute(c)?;
    }
    Ok(())
}

/// The endpoint's recorded attempts, newest first.
pub fn deliveries(c: &mut DbConn, id: &str, limit: i64) -> Result<Vec<DeliveryRow>, StoreError> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(c)?)
}

/// Deletes up to `batch` events that no endpoint needs any more: those at or before
/// every endpoint's position, and those older than `cutoff_ms` (Unix ms) whatever the
/// positions say (a paused endpoint does not keep the outbox growing forever).
/// Returns how many it deleted.
pub fn prune_events(c: &mut DbConn, cutoff_ms: i64, batch: i64) -> Result<usize, StoreError> {
    let lowest: Option<i64> = webhooks::table.select(diesel::dsl::min(webhooks::position)).first(c)?;
    let passed = lowest.unwrap_or(i64::MAX);
    let ids: Vec<i64> = webhook_events::table
        .filter(webhook_events::pos.le(passed).or(webhook_events::at.lt(cutoff_ms)))
        .order(webhook_events::id)
        .limit(batch)
        .select(webhook_events::id)
        .load(c)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(webhook_events::table.filter(webhook_events::id.eq_any(ids))).execute(c)?)
}

/// The tags of those of `rooms` that exist.
pub fn room_tags(
    c: &mut DbConn,
    rooms: &[String],
) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
    use crate::schema::rooms;
    let rows: Vec<(String, String)> =
        rooms::table.filter(rooms::id.eq_any(rooms)).select((rooms::id, rooms::tags)).load(c)?;
    Ok(rows.into_iter().map(|(id, tags)| (id, serde_json::from_str(&tags).unwrap_or_default())).collect())
}
