//! `RemoteSession`: stands in a room's owner node for a session connected to another
//! node. The room treats it like any member session; what it is sent (acks, errors,
//! notices, command invocations, `room_closed`) goes to that node on `P.out.NODE`.
//! Room-wide frames do not come here: the owner publishes them once per batch on the
//! room's subject (`Room::deliver_all`).

use std::sync::Arc;

use actix::prelude::*;

use super::exchange::Outbound;
use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedRecipient};
use super::shell::Shell;
use crate::cluster::wire::{NodeKey, OutboundWire, ToSession};
use crate::cluster::Cluster;
use crate::config::MetricsConfig;

/// The stand-in actor.
pub struct RemoteSession {
    cluster: Arc<Cluster>,
    node: NodeKey,
    session: u64,
    mailbox: Registration,
}

impl RemoteSession {
    /// Starts a stand-in for `session` of `node` on the current arbiter.
    pub fn start(
        cluster: Arc<Cluster>,
        node: NodeKey,
        session: u64,
        metrics: &MetricsConfig,
    ) -> TrackedRecipient<Outbound> {
        let name = format!("remote:{}:{session:x}", node.node);
        let mailbox = MailboxStats::register(ActorKind::Session, name, metrics);
        let stats = mailbox.stats().clone();
        let addr = Supervisor::start(move |_| Self { cluster, node, session, mailbox });
        crate::actors::mailbox::TrackedAddr::new(addr, stats).recipient()
    }
}

impl Actor for RemoteSession {
    type Context = Context<Self>;
}

/// Restarted in place after a panic (it holds no state but its address).
impl Supervised for RemoteSession {}

impl Shell for RemoteSession {
    const NAME: &'static str = "remote session";

    fn log(&self) -> &slog::Logger {
        self.cluster.log()
    }
}

impl Metered for RemoteSession {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(RemoteSession: Outbound);

impl Handler<Outbound> for RemoteSession {
    type Result = ();

    fn handle(&mut self, m: Outbound, _: &mut Context<Self>) {
        let out = match m {
            Outbound::Direct(f) => OutboundWire::Direct { frame: f.to_string() },
            Outbound::Violation(f) => OutboundWire::Violation { frame: f.to_string() },
            Outbound::RoomClosed { room, frame } => {
                OutboundWire::RoomClosed { room: room.to_string(), frame: frame.to_string() }
            }
            Outbound::Close { code, reason } => OutboundWire::Close { code, reason: reason.to_string() },
            // Room frames travel on the room's subject; draining is each node's own.
            Outbound::Room(_) | Outbound::Drain => return,
        };
        let to = ToSession { incarnation: self.node.incarnation, session: self.session, out };
        self.cluster.publish_json(self.cluster.out_subject(&self.node.node), &to);
    }
}
