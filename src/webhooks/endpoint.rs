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
//! PostgreSQL assigns outbox ids before commit, so a reader may see id n+1 while n is
//! still uncommitted. A round delivers only ids that follow on without a gap; at a
//! gap it waits up to `webhooks.gap_wait_ms` for the missing id before it passes it
//! (a rolled-back transaction leaves a gap for good).

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
    count_after, events_after, record_delivery, room_tags, EventRow, NewDelivery, WebhookRow, STATE_ACTIVE,
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
    http: reqwest::Client,
    cfg: WebhooksConfig,
    log: Logger,
    mailbox: Registration,
    /// No attempt before this (the retry delay after a failure).
    not_before: Option<Instant>,
    /// A gap seen right after the position: (position, first seen).
    gap: Option<(i64, Instant)>,
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
        let http = super::http_client(Duration::from_millis(cfg.timeout_ms.max(1)));
        let addr = Supervisor::start(move |_| Self {
            id,
            store,
            http,
            cfg,
            log,
            mailbox,
            not_before: None,
            gap: None,
            lease,
            poll: None,
        });
        TrackedAddr::new(addr, stats)
    }

    /// Reads the next batch, delivers it, stores the outcome.
    async fn round(
        id: String,
        store: Store,
        http: reqwest::Client,
        cfg: WebhooksConfig,
        gap: Option<(i64, Instant)>,
        lease: Option<Lease>,
    ) -> (Result<Round, StoreError>, Option<(i64, Instant)>) {
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
            Ok((_, false)) => return (Ok(Round::Idle), None),
            Ok((row, true)) => row,
            Err(StoreError::NotFound) => return (Ok(Round::Gone), None),
            Err(e) => return (Err(e), gap),
        };
        if row.state != STATE_ACTIVE {
            return (Ok(Round::Idle), None);
        }
        let (position, limit) = (row.position, i64::from(cfg.batch_max.max(1)));
        let events = match store.run(move |c| events_after(c, position, limit)).await {
            Ok(events) => events,
            Err(e) => return (Err(e), gap),
        };
        let lag = store.run(move |c| count_after(c, position)).await.unwrap_or(0);
        metrics().webhook_lag.with_label_values(&[&id]).set(lag);
        let (events, gap) = without_gaps(events, position, gap, Duration::from_millis(cfg.gap_wait_ms));
        let Some(last) = events.last().map(|e| e.id) else { return (Ok(Round::Idle), gap) };
        let full = events.len() as i64 >= limit;
        let filter = Filter::of(&row);
        let tags = if filter.needs_tags() {
            let rooms: Vec<String> = events.iter().filter_map(|e| e.room_id.clone()).collect();
            match store.run(move |c| room_tags(c, &rooms)).await {
                Ok(tags) => tags,
                Err(e) => return (Err(e), gap),
            }
        } else {
            HashMap::new()
        };
        let wanted: Vec<EventRow> = events.into_iter().filter(|e| filter.wants(e, &tags)).collect();
        let now = chrono::Utc::now().timestamp_millis();
        if wanted.is_empty() {
            let r = store.run(move |c| WebhookRow::advance(c, &id, last, row.last_status, now)).await;
            return (r.map(|_| Round::Moved { full }), gap);
        }
        let outcome = post(&http, &row, body(&row.id, &wanted)).await;
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
        (result, gap)
    }
}

/// The events that follow `position` without a gap; at a gap right after the
/// position, nothing until the gap is `gap_wait` old (then everything up to the next
/// gap). Returns the gap being waited at, if any.
fn without_gaps(
    mut events: Vec<EventRow>,
    position: i64,
    gap: Option<(i64, Instant)>,
    gap_wait: Duration,
) -> (Vec<EventRow>, Option<(i64, Instant)>) {
    let Some(first) = events.first().map(|e| e.id) else { return (events, None) };
    if first != position + 1 {
        let since = match gap {
            Some((at, since)) if at == position => since,
            _ => Instant::now(),
        };
        if since.elapsed() < gap_wait {
            return (Vec::new(), Some((position, since)));
        }
    }
    let run = events.windows(2).position(|w| w[1].id != w[0].id + 1).map_or(events.len(), |i| i + 1);
    events.truncate(run);
    (events, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(ids: &[i64]) -> Vec<EventRow> {
        let row = |id: i64| EventRow {
            id,
            kind: "message".into(),
            room_id: None,
            seq: None,
            payload: "{}".into(),
            at: 0,
        };
        ids.iter().copied().map(row).collect()
    }

    fn ids(events: &[EventRow]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn only_ids_that_follow_the_position_without_a_gap_are_delivered() {
        let wait = Duration::from_secs(60);
        let (got, gap) = without_gaps(events(&[5, 6, 8, 9]), 4, None, wait);
        assert_eq!((ids(&got), gap), (vec![5, 6], None));
        // A gap right after the position: nothing until it is `gap_wait` old.
        let (got, gap) = without_gaps(events(&[8, 9]), 6, None, wait);
        assert!(got.is_empty());
        let (at, since) = gap.expect("waiting at the gap");
        assert_eq!(at, 6);
        let (got, again) = without_gaps(events(&[8, 9]), 6, Some((6, since)), wait);
        assert!(got.is_empty() && again.is_some_and(|(_, s)| s == since), "the wait keeps its start");
        let long_ago = Instant::now() - Duration::from_secs(61);
        let (got, gap) = without_gaps(events(&[8, 9, 11]), 6, Some((6, long_ago)), wait);
        assert_eq!((ids(&got), gap), (vec![8, 9], None), "passed after gap_wait, up to the next gap");
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
        let fut = Self::round(
            self.id.clone(),
            self.store.clone(),
            self.http.clone(),
            self.cfg.clone(),
            self.gap,
            self.lease.clone(),
        );
        ctx.wait(fut.into_actor(self).map(|(res, gap), act, ctx| {
            act.gap = gap;
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
