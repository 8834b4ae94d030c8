//! `WebhookHub`: the supervised actor that keeps one [`WebhookEndpoint`] running per
//! stored endpoint and keeps the outbox small.
//!
//! Every second (and at once on [`SyncEndpoints`], which the admin API sends after a
//! create, resume or delete) it lists the endpoints in the store, starts an actor for
//! each new one and drops its address for each one deleted (the endpoint's own round
//! sees the deletion and stops its timer, and the actor ends). Then it deletes up to
//! [`PRUNE_BATCH`] outbox rows that every endpoint has passed, or that are older than
//! `webhooks.outbox_retention_secs`. A panic restarts the hub in place, keeping its map.
//!
//! In cluster mode every node runs a hub and an actor per endpoint, but an endpoint
//! delivers only on the node holding its lease `webhook:<id>` (`src/store/cluster.rs`),
//! taken at each round and renewed by the node's heartbeat; when that node dies,
//! another takes the lease over and continues from the stored position.

use std::collections::HashMap;
use std::time::Duration;

use actix::prelude::*;
use slog::{warn, Logger};

use super::endpoint::{Lease, WebhookEndpoint};
use crate::actors::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use crate::actors::shell::Shell;
use crate::config::{MetricsConfig, WebhooksConfig};
use crate::store::webhooks::{prune_events, WebhookRow};
use crate::store::Store;

const HUB_MAILBOX: usize = 8;
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Outbox rows deleted per sync at most (one short transaction).
pub const PRUNE_BATCH: i64 = 5_000;

/// Re-read the endpoints from the store now.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SyncEndpoints;

/// The webhook hub.
pub struct WebhookHub {
    store: Store,
    cfg: WebhooksConfig,
    metrics_cfg: MetricsConfig,
    log: Logger,
    mailbox: Registration,
    endpoints: HashMap<String, TrackedAddr<WebhookEndpoint>>,
    /// Cluster mode: this node's id and `cluster.lease_ms`, for the endpoints' leases.
    lease: Option<Lease>,
}

impl WebhookHub {
    /// Starts the hub under a `Supervisor`.
    pub fn start(
        store: Store,
        cfg: WebhooksConfig,
        lease: Option<Lease>,
        metrics_cfg: &MetricsConfig,
        log: &Logger,
    ) -> TrackedAddr<Self> {
        let mailbox = MailboxStats::register(ActorKind::Webhook, "hub", metrics_cfg);
        let stats = mailbox.stats().clone();
        let log = log.new(slog::o!("actor" => "webhook_hub"));
        let metrics_cfg = metrics_cfg.clone();
        let addr = Supervisor::start(move |_| Self {
            store,
            cfg,
            metrics_cfg,
            log,
            mailbox,
            endpoints: HashMap::new(),
            lease,
        });
        TrackedAddr::new(addr, stats)
    }
}

impl Actor for WebhookHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(HUB_MAILBOX);
        self.mailbox.set_capacity(HUB_MAILBOX);
        let me = TrackedAddr::new(ctx.address(), self.mailbox.stats().clone());
        let _ = me.try_send(SyncEndpoints);
        ctx.run_interval(SYNC_EVERY, move |_, _| {
            let _ = me.try_send(SyncEndpoints);
        });
    }
}

impl Supervised for WebhookHub {}

impl Metered for WebhookHub {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(WebhookHub: SyncEndpoints);

impl Shell for WebhookHub {
    const NAME: &'static str = "webhook hub";

    fn log(&self) -> &Logger {
        &self.log
    }
}

impl Handler<SyncEndpoints> for WebhookHub {
    type Result = ();

    fn handle(&mut self, _: SyncEndpoints, ctx: &mut Context<Self>) {
        let store = self.store.clone();
        let cutoff = chrono::Utc::now().timestamp_millis()
            - i64::try_from(self.cfg.outbox_retention_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let fut = async move {
            let ids = store.run(WebhookRow::list).await?;
            store.run(move |c| prune_events(c, cutoff, PRUNE_BATCH)).await?;
            Ok::<_, crate::store::StoreError>(ids.into_iter().map(|r| r.id).collect::<Vec<_>>())
        };
        ctx.wait(fut.into_actor(self).map(|res, hub, _| match res {
            Ok(ids) => {
                hub.endpoints.retain(|id, _| ids.contains(id));
                for id in ids {
                    if !hub.endpoints.contains_key(&id) {
                        let addr = WebhookEndpoint::start(
                            id.clone(),
                            hub.store.clone(),
                            hub.cfg.clone(),
                            hub.lease.clone(),
                            &hub.metrics_cfg,
                            &hub.log,
                        );
                        hub.endpoints.insert(id, addr);
                    }
                }
            }
            Err(e) => {
                warn!(hub.log, "webhook hub cannot read the store; the next sync tries again"; "err" => %e)
            }
        }));
    }
}
