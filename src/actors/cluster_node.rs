//! `ClusterNode`: this node's membership in the cluster. Every `cluster.heartbeat_ms`
//! it writes the node's heartbeat row (which renews every lease the node holds: a
//! lease is valid while its holder's heartbeat is fresh) with the open connection
//! count, reads every node's liveness, sets `roomd_cluster_nodes`, and tells the rooms
//! when a node it saw alive has gone silent for `cluster.lease_ms` (`NodesDown`):
//! owners drop that node's sessions, replicas of its rooms hand their sessions over.
//!
//! Supervised: a panic while beating (or handling the beat's outcome) is logged and
//! counted as a restart, and the actor restarts in place and beats on. Unguarded, it
//! would end the actor silently: the node would stop heartbeating, lose every lease
//! while still serving, and refuse all sends as fenced.

use std::collections::HashSet;
use std::sync::Arc;

use actix::prelude::*;
use slog::{info, warn, Logger};

use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr};
use super::registry::{NodesDown, RoomRegistry};
use super::sessions::SessionDirectory;
use super::shell::Shell;
use crate::cluster::Cluster;
use crate::config::MetricsConfig;
use crate::metrics::metrics;
use crate::store::cluster as nodes;
use crate::store::{Store, StoreError};

/// Time to beat.
#[derive(Message)]
#[rtype(result = "()")]
struct Beat;

/// The actor.
pub struct ClusterNode {
    cluster: Arc<Cluster>,
    store: Store,
    registry: TrackedAddr<RoomRegistry>,
    sessions: Arc<SessionDirectory>,
    address: String,
    /// Nodes seen alive at the last beat.
    alive: HashSet<String>,
    beating: bool,
    first: bool,
    log: Logger,
    mailbox: Registration,
}

impl ClusterNode {
    pub fn start(
        cluster: Arc<Cluster>,
        store: Store,
        registry: TrackedAddr<RoomRegistry>,
        sessions: Arc<SessionDirectory>,
        address: String,
        metrics_cfg: &MetricsConfig,
    ) -> Addr<Self> {
        let log = cluster.log().new(slog::o!("actor" => "cluster_node"));
        let mailbox = MailboxStats::register(ActorKind::Cluster, "node", metrics_cfg);
        let node = Self {
            cluster,
            store,
            registry,
            sessions,
            address,
            alive: HashSet::new(),
            beating: false,
            first: true,
            log,
            mailbox,
        };
        Supervisor::start(move |_| node)
    }

    fn beaten(&mut self, res: Result<Vec<String>, StoreError>) {
        self.beating = false;
        let rows = match res {
            Ok(rows) => rows,
            Err(e) => {
                warn!(self.log, "heartbeat not stored"; "err" => %e);
                return;
            }
        };
        self.first = false;
        if self.cluster.heartbeat_ok() {
            // Silent past the lease: this node's rooms may have moved. Its rooms step
            // down and claim again (see `Room::on_nodes_down`).
            warn!(self.log, "heartbeat was lost for longer than the lease; re-claiming rooms");
            self.registry.do_send(NodesDown(Arc::new(vec![self.cluster.me.node.clone()])));
        }
        let alive: HashSet<String> = rows.into_iter().collect();
        metrics().cluster_nodes.set(alive.len() as i64);
        let down: Vec<String> =
            self.alive.difference(&alive).filter(|n| **n != self.cluster.me.node).cloned().collect();
        for n in alive.difference(&self.alive) {
            info!(self.log, "node alive"; "peer" => n);
        }
        if !down.is_empty() {
            info!(self.log, "nodes down"; "peers" => down.join(","));
            self.registry.do_send(NodesDown(Arc::new(down)));
        }
        self.alive = alive;
    }
}

impl Actor for ClusterNode {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.notify(Beat);
        ctx.run_interval(self.cluster.cfg.heartbeat(), |_, ctx| ctx.notify(Beat));
    }
}

/// Restarted in place after a panic: the beat in flight (if any) was dropped with the
/// old context; `started` arms the interval again.
impl Supervised for ClusterNode {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.beating = false;
    }
}

impl Metered for ClusterNode {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

/// A panic restarts the node actor in place (the default of [`Shell::crashed`]).
impl Shell for ClusterNode {
    const NAME: &'static str = "cluster heartbeat";

    fn log(&self) -> &Logger {
        &self.log
    }
}

/// `Beat` comes from the actor's own timer (`ctx.notify`), not through the shell: its
/// handler runs under [`Shell::guarded`] itself.

impl Handler<Beat> for ClusterNode {
    type Result = ();

    fn handle(&mut self, _: Beat, ctx: &mut Context<Self>) {
        self.guarded(ctx, "beat", |node, ctx| node.beat(ctx));
    }
}

impl ClusterNode {
    fn beat(&mut self, ctx: &mut Context<Self>) {
        if self.beating || self.cluster.is_leaving() {
            return;
        }
        self.beating = true;
        let (node, address, first) = (self.cluster.me.node.clone(), self.address.clone(), self.first);
        let connections = self.sessions.len() as i64;
        let lease_ms = self.cluster.cfg.lease_ms as i64;
        let store = self.store.clone();
        let fut = async move {
            store
                .run(move |c| {
                    nodes::heartbeat(c, &node, &address, connections, first)?;
                    nodes::alive_nodes(c, lease_ms)
                })
                .await
        };
        ctx.spawn(fut.into_actor(self).map(|res, act, ctx| {
            act.guarded(ctx, "beaten", |act, _| act.beaten(res));
        }));
    }
}
