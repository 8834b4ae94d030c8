//! The job's own store writes: its rooms' outcomes in batches (`flush`), finishing,
//! and giving up after too many crashes.

use crate::actors::shell::Shell;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn};

use super::{BroadcastJob, Step, FLUSH_DELAY, FLUSH_MAX, GAVE_UP, STORE_RETRY};
use crate::metrics::metrics;
use crate::model::now_ms;
use crate::store::broadcasts::{BroadcastRoomRow, BroadcastRow};
use crate::store::conn::{abort_if_left_idle, write_txn};
use crate::store::StoreError;

impl BroadcastJob {
    /// Too many crashes (`supervisor.max_restarts` within `window_secs`): the rooms
    /// still pending fail with [`GAVE_UP`] and the job finishes.
    pub(super) fn give_up(&mut self, ctx: &mut Context<Self>) {
        self.finished = true;
        self.generation += 1;
        self.state = None;
        let (store, id) = (self.deps.store.clone(), self.id.clone());
        let write = async move {
            store
                .run(move |c| {
                    let failed = BroadcastRoomRow::fail_pending(c, &id, GAVE_UP, now_ms())?;
                    Ok((failed, BroadcastRow::finish(c, &id, now_ms())?))
                })
                .await
        };
        ctx.spawn(write.into_actor(self).map(|done, job, ctx| match done {
            Ok((failed, status)) => {
                metrics().broadcast_rooms.with_label_values(&["failed"]).inc_by(failed as u64);
                job.finish_with(status.unwrap_or("cancelled"))
            }
            Err(e) => {
                warn!(job.deps.log, "giving up the job failed; retrying"; "err" => %e);
                ctx.run_later(STORE_RETRY, |job, ctx| job.give_up(ctx));
            }
        }));
    }

    /// Writes the waiting outcomes soon: after `FLUSH_DELAY`, or at once when many
    /// wait. One write transaction per batch keeps the job's progress writes from
    /// competing with live messages for the store (SQLite has one writer).
    pub(super) fn schedule_flush(&mut self, ctx: &mut Context<Self>) {
        if self.flushing || self.unsaved.is_empty() {
            return;
        }
        self.flushing = true;
        let delay = if self.unsaved.len() >= FLUSH_MAX { Duration::ZERO } else { FLUSH_DELAY };
        let generation = self.generation;
        ctx.run_later(delay, move |job, ctx| {
            if generation == job.generation {
                job.flush(ctx);
            }
        });
    }

    pub(super) fn flush(&mut self, ctx: &mut Context<Self>) {
        let batch = std::mem::take(&mut self.unsaved);
        let rows: Vec<(String, i64, Step)> =
            batch.iter().map(|u| (u.room.clone(), u.attempt, u.step.clone())).collect();
        let (store, id) = (self.deps.store.clone(), self.id.clone());
        // Another node that takes the job over writes the same rows.
        let idle_txn = self.deps.cfg.cluster.idle_txn_timeout_ms();
        let write = async move {
            store
                .run(move |c| {
                    write_txn(c, |c| {
                        abort_if_left_idle(c, idle_txn)?;
                        let now = now_ms();
                        for (room, attempt, step) in &rows {
                            match step {
                                Step::Delivered(seq) => {
                                    BroadcastRoomRow::record_delivered(c, &id, room, *seq, *attempt, now)
                                }
                                Step::Retry(why) => {
                                    BroadcastRoomRow::record_failure(c, &id, room, *attempt, why, false, now)
                                }
                                Step::Failed(why) => {
                                    BroadcastRoomRow::record_failure(c, &id, room, *attempt, why, true, now)
                                }
                            }?;
                        }
                        Ok::<_, StoreError>(())
                    })
                })
                .await
                .map_err(|e| e.to_string())
        };
        let generation = self.generation;
        ctx.spawn(write.into_actor(self).map(move |saved, job, ctx| {
            if generation != job.generation {
                return;
            }
            job.flushing = false;
            if let Err(e) = saved {
                // The deliveries happened; only their record is missing. Keep the
                // outcomes and write them again a little later (a process death
                // meanwhile resumes those rooms, and the dedupe returns their seqs).
                warn!(job.deps.log, "recording progress failed; retrying"; "rooms" => batch.len(), "err" => e);
                let newer = std::mem::replace(&mut job.unsaved, batch);
                job.unsaved.extend(newer);
                job.flushing = true;
                ctx.run_later(STORE_RETRY, move |job, ctx| {
                    if generation == job.generation {
                        job.flush(ctx);
                    }
                });
                return;
            }
            job.guarded(ctx, "outcome", |job, ctx| {
                for u in batch {
                    job.on_outcome(u.room, u.attempt, u.step, ctx);
                }
            });
            job.schedule_flush(ctx);
        }));
    }

    /// Finishes the job once no room is pending or in flight.
    pub(super) fn maybe_finish(&mut self, ctx: &mut Context<Self>) {
        let done = self.state.as_ref().is_some_and(|st| st.pending.is_empty() && st.in_flight.is_empty());
        if !done || self.finished {
            return;
        }
        let (store, id) = (self.deps.store.clone(), self.id.clone());
        let generation = self.generation;
        ctx.spawn(
            async move { store.run(move |c| BroadcastRow::finish(c, &id, now_ms())).await }
                .into_actor(self)
                .map(move |finished, job, ctx| {
                    if generation != job.generation || job.finished {
                        return;
                    }
                    match finished {
                        Ok(status) => {
                            let status = status.unwrap_or("cancelled");
                            let counts = job.state.as_ref().map(|s| s.counts).unwrap_or_default();
                            info!(job.deps.log, "broadcast job finished"; "status" => status,
                              "delivered" => counts.delivered, "failed" => counts.failed);
                            job.finish_with(status);
                        }
                        Err(e) => {
                            warn!(job.deps.log, "finishing the job failed; retrying"; "err" => %e);
                            ctx.run_later(STORE_RETRY, |job, ctx| job.maybe_finish(ctx));
                        }
                    }
                }),
        );
    }
}
