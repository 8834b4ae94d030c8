//! `WebhookEndpoint`: the supervised actor that delivers one endpoint's events.
//!
//! Every `webhooks.poll_ms` (at once again after a full batch) it runs one round: it
//! re-reads its row (so a PATCH, a pause, a resume or a delete takes effect at the
//! next round, whichever node made it), reads up to `webhooks.batch_max` outbox
//! events after its stored `position`, and POSTs those its filter wants. A 2xx answer
//! moves the position past the batch in the store; anything else counts a failure,
//! waits `webhooks.retry_*` (doubling, jittered: `src/backoff.rs`) and tries the same
//! batch again; after `webhooks.max_failures` in a row the row is `paused`. A round
//! runs to its end before the next (`ctx.wait`), so batches go out one at a time, in
//! outbox order. The endpoint's state is all in the store: a crash restarts the actor
//! in place and a process restart resumes from the stored position. A slow endpoint
//! holds only its own actor.
//!
//! Outbox order is commit order: a round first sequences what has committed
//! (`store::webhooks::sequence`), then reads by that order, so its position never
//! passes an event that commits later.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, warn, Logger};

use super::batch::{body, post, Filter};
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::config::{MetricsConfig, WebhooksConfig};
use crate::metrics::metrics;
use crate::store::cluster::{acquire, LeaseHolder};
use crate::store::webhooks::{
    count_after, events_after, record_delivery, room_tags, sequence, EventRow, NewDelivery, WebhookRow,
    STATE_ACTIVE,
};
use crate::store::{Store, StoreError};

const ENDPOINT_MAILBOX: usize = 4;

/// Cluster mode: this node's id and `cluster.lease_ms`.
#[derive(Debug, Clone)]
pub struct Lease {
    pub node: String,
    pub lease_ms: i64,
}

/// Run one delivery round now.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver;

/// What a round did.
enum Round {
    /// The endpoint is gone from the store: stop.
    Gone,
    /// Nothing to do (paused, nothing new, waiting at a gap or for a retry).
    Idle,
    /// Delivered (or skipped) a batch; `full` when more may be waiting.
    Moved { full: bool },
    /// The POST failed; `failures` in a row now.
    Failed { failures: i64, paused: bool, error: String },
}

/// One endpoint's delivery actor.
pub struct WebhookEndpoint {
    id: String,
    store: Store,
    cfg: WebhooksConfig,
    log: Logger,
    mailbox: Registration,
    /// No attempt before this (the retry delay after a failure).
    not_before: Option<Instant>,
    lease: Option<Lease>,
    /// The poll timer; cancelled once the endpoint is deleted, so the actor ends when
    /// the hub drops its address.
    poll: Option<SpawnHandle>,
}

impl WebhookEndpoint {
    /// Starts the actor for endpoint `id` under a `Supervisor`.
    pub fn start(
        id: String,
        store: Store,
        cfg: WebhooksConfig,
        lease: Option<Lease>,
        metrics_cfg: &MetricsConfig,
        log: &Logger,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Webhook, &id, metrics_cfg);
        let stats = mailbox.stats().clone();
        let log = log.new(slog::o!("actor" => "webhook", "webhook" => id.clone()));
        let addr = Supervisor::start(move |_| Self {
            id,
            store,
            cfg,
            log,
            mailbox,
            not_before: None,
            lease,
            poll: None,
        });
        TrackedAddr::new(addr, stats)
    }

    /// Reads the next batch, delivers it, stores the outcome.
    async fn round(
        id: String,
        store: Store,
        cfg: WebhooksConfig,
        lease: Option<Lease>,
    ) -> Result<Round, StoreError> {
        let found = store.run({
            let id = id.clone();
            move |c| {
                let row = WebhookRow::find(c, &id)?;
                // Cluster mode: only the holder of the endpoint's lease delivers.
                let mine = match &lease {
                    Some(l) => {
                        matches!(
                            acquire(c, &format!("webhook:{id}"), &l.node, l.lease_ms)?,
                            LeaseHolder::Me { .. }
                        )
                    }
                    None => true,
                };
                Ok((row, mine))
            }
        });
        let row = match found.await {
            Ok((_, false)) => return Ok(Round::Idle),
            Ok((row, true)) => row,
            Err(StoreError::NotFound) => return Ok(Round::Gone),
            Err(e) => return Err(e),
        };
        if row.state != STATE_ACTIVE {
            return Ok(Round::Idle);
        }
        let (position, limit) = (row.position, i64::from(cfg.batch_max.max(1)));
        let events = store
            .run(move |c| {
                sequence(c)?;
                events_after(c, position, limit)
            })
            .await?;
        let lag = store.run(move |c| count_after(c, position)).await.unwrap_or(0);
        metrics().webhook_lag.with_label_values(&[&id]).set(lag);
        let Some(last) = events.last().and_then(|e| e.pos) else { return Ok(Round::Idle) };
        let full = events.len() as i64 >= limit;
        let filter = Filter::of(&row);
        let tags = if filter.needs_tags() {
            let rooms: Vec<String> = events.iter().filter_map(|e| e.room_id.clone()).collect();
            store.run(move |c| room_tags(c, &rooms)).await?
        } else {
            HashMap::new()
        };
        let wanted: Vec<EventRow> = events.into_iter().filter(|e| filter.wants(e, &tags)).collect();
        let now = chrono::Utc::now().timestamp_millis();
        if wanted.is_empty() {
            let r = store.run(move |c| WebhookRow::advance(c, &id, last, row.last_status, now)).await;
            return r.map(|_| Round::Moved { full });
        }
        let outcome = post(&row, body(&row.id, &wanted), Duration::from_millis(cfg.timeout_ms.max(1))).await;
        metrics().webhook_seconds.with_label_values(&[&id]).observe(outcome.latency.as_secs_f64());
        let status = outcome.status.map(i64::from);
        let delivery = NewDelivery {
            webhook_id: id.clone(),
            at: now,
            test: false,
            events: wanted.len() as i64,
            status,
            error: outcome.error.clone(),
            latency_ms: outcome.latency.as_millis() as i64,
        };
        let (keep, max_failures) = (i64::from(cfg.deliveries_kept), i64::from(cfg.max_failures.max(1)));
        let result = store
            .run(move |c| {
                record_delivery(c, &delivery, keep)?;
                match &delivery.error {
                    None => WebhookRow::advance(c, &id, last, status, now).map(|_| Round::Moved { full }),
                    Some(error) => WebhookRow::failed(c, &id, status, error, max_failures, now).map(|row| {
                        Round::Failed {
                            failures: row.failures,
                            paused: row.state != STATE_ACTIVE,
                            error: error.clone(),
                        }
                    }),
                }
            })
            .await;
        if outcome.ok() {
            metrics().webhook_events.with_label_values(&[&row.id]).inc_by(wanted.len() as u64);
            metrics().webhook_lag.with_label_values(&[&row.id]).set((lag - wanted.len() as i64).max(0));
        } else {
            metrics().webhook_failures.with_label_values(&[&row.id]).inc();
        }
        result
    }
}

impl Actor for WebhookEndpoint {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(ENDPOINT_MAILBOX);
        self.mailbox.set_capacity(ENDPOINT_MAILBOX);
        let me = TrackedAddr::new(ctx.address(), self.mailbox.stats().clone());
        let poll = ctx.run_interval(Duration::from_millis(self.cfg.poll_ms.max(1)), move |_, _| {
            // A full mailbox means rounds are queued already: skip this tick.
            let _ = me.try_send(Deliver);
        });
        self.poll = Some(poll);
    }
}

impl Supervised for WebhookEndpoint {}

impl Metered for WebhookEndpoint {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(WebhookEndpoint: Deliver);

/// A panic restarts the actor in place; its state is in the store.
impl Shell for WebhookEndpoint {
    const NAME: &'static str = "webhook endpoint";

    fn log(&self) -> &Logger {
        &self.log
    }
}

impl Handler<Deliver> for WebhookEndpoint {
    type Result = ();

    fn handle(&mut self, _: Deliver, ctx: &mut Context<Self>) {
        if self.not_before.is_some_and(|t| Instant::now() < t) {
            return;
        }
        let fut = Self::round(self.id.clone(), self.store.clone(), self.cfg.clone(), self.lease.clone());
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| {
            match res {
                Ok(Round::Gone) => {
                    info!(act.log, "webhook endpoint deleted; its actor stops");
                    if let Some(poll) = act.poll.take() {
                        ctx.cancel_future(poll);
                    }
                }
                Ok(Round::Idle) => {}
                Ok(Round::Moved { full }) => {
                    act.not_before = None;
                    if full {
                        let me = TrackedAddr::new(ctx.address(), act.mailbox.stats().clone());
                        let _ = me.try_send(Deliver);
                    }
                }
                Ok(Round::Failed { failures, paused, error }) => {
                    let delay = act.cfg.retry_backoff().jittered(failures.clamp(1, 32) as u32);
                    act.not_before = Some(Instant::now() + delay);
                    if paused {
                        warn!(act.log, "webhook endpoint paused after repeated failures"; "failures" => failures, "err" => error);
                    } else {
                        info!(act.log, "webhook delivery failed; retrying"; "failures" => failures, "in_ms" => delay.as_millis() as u64, "err" => error);
                    }
                }
                Err(e) => warn!(act.log, "webhook round failed on the store; the next one tries again"; "err" => %e),
            }
        }));
    }
}
