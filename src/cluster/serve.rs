//! The tasks that serve this node's NATS subjects: calls to rooms this node owns
//! (`P.rpc.NODE`), calls to the node itself (`P.node.NODE`), replies to this node's calls, frames for this node's sessions
//! (`P.out.NODE`), cluster-wide control messages, and NATS connection events.
//!
//! The transport decodes what arrives and hands it to a [`NodeInbox`], which the
//! actors implement (`actors/cluster_inbox.rs`): this module knows no actor.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use slog::{info, warn};
use tokio::sync::oneshot;

use super::wire::{CallReply, Control, NodeCall, OutboundWire, RoomCall, ToSession};
use super::{Cluster, ClusterError, NodeRequest, Request, Response};
use crate::error::ErrorCode;

/// What this node does with what the cluster brings it.
pub trait NodeInbox: Send + Sync + 'static {
    /// A call to a room this node should own. Calls are handed over one at a time, in
    /// arrival order, and the returned future resolves once the call is queued at the
    /// room (so a session's calls reach the room in the order it sent them): with the
    /// receiver of the room's answer, or with the answer itself when the call could not
    /// be queued.
    fn room_call(&self, call: RoomCall) -> BoxFuture<'_, Result<oneshot::Receiver<CallReply>, CallReply>>;

    /// A call about this node itself (its live sessions), answered at once.
    fn node_call(&self, call: NodeCall) -> CallReply;

    /// A frame for one of this node's sessions (`session`, as the node numbered it).
    fn to_session(&self, session: u64, out: OutboundWire);

    /// A cluster-wide control message (a token revoked, a broadcast cancelled).
    fn control(&self, control: Control);

    /// NATS is back after an outage: frames published meanwhile were lost.
    fn reconnected(&self);
}

/// Subscribes this node's subjects and starts their tasks.
pub async fn serve(cluster: Arc<Cluster>, inbox: Arc<dyn NodeInbox>) -> Result<(), ClusterError> {
    let client = cluster.client().clone();
    let sub = |s: String| {
        let client = client.clone();
        async move { client.subscribe(s).await.map_err(|e| ClusterError::Connect(e.to_string())) }
    };
    let rpc = sub(cluster.rpc_subject(&cluster.me.node)).await?;
    let node = sub(cluster.node_subject(&cluster.me.node)).await?;
    let replies = sub(cluster.reply_subject(None)).await?;
    let out = sub(cluster.out_subject(&cluster.me.node)).await?;
    let control = sub(cluster.control_subject()).await?;
    tokio::spawn(serve_rpc(cluster.clone(), rpc, inbox.clone()));
    tokio::spawn(serve_node(cluster.clone(), node, inbox.clone()));
    tokio::spawn(serve_replies(cluster.clone(), replies));
    tokio::spawn(serve_out(cluster.clone(), out, inbox.clone()));
    tokio::spawn(serve_control(cluster.clone(), control, inbox.clone()));
    let events = cluster.events.lock().ok().and_then(|mut e| e.take());
    if let Some(mut events) = events {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let mut connected_before = false;
            while let Some(event) = events.recv().await {
                info!(cluster.log, "NATS connection"; "event" => %event);
                if matches!(event, async_nats::Event::Connected) {
                    if connected_before {
                        inbox.reconnected();
                    }
                    connected_before = true;
                }
            }
        });
    }
    Ok(())
}

async fn serve_rpc(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber, inbox: Arc<dyn NodeInbox>) {
    while let Some(msg) = sub.next().await {
        let Some(reply_to) = msg.reply else { continue };
        let req: Request = match serde_json::from_slice(&msg.payload) {
            Ok(r) => r,
            Err(e) => {
                warn!(cluster.log, "bad cluster call"; "err" => %e);
                continue;
            }
        };
        let id = req.id;
        match inbox.room_call(req.call).await {
            Ok(rx) => {
                let cluster = cluster.clone();
                tokio::spawn(async move {
                    let reply = rx.await.unwrap_or_else(|_| {
                        CallReply::refused(ErrorCode::RoomUnavailable, "room crashed; retry")
                    });
                    cluster.publish_json(reply_to.to_string(), &Response { id, reply });
                });
            }
            Err(reply) => {
                cluster.publish_json(reply_to.to_string(), &Response { id, reply });
            }
        }
    }
}

async fn serve_node(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber, inbox: Arc<dyn NodeInbox>) {
    while let Some(msg) = sub.next().await {
        let Some(reply_to) = msg.reply else { continue };
        match serde_json::from_slice::<NodeRequest>(&msg.payload) {
            Ok(req) => {
                let reply = inbox.node_call(req.call);
                cluster.publish_json(reply_to.to_string(), &Response { id: req.id, reply });
            }
            Err(e) => warn!(cluster.log, "bad node call"; "err" => %e),
        }
    }
}

async fn serve_replies(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber) {
    while let Some(msg) = sub.next().await {
        if msg.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            // NATS's own answer, empty: the owner node is not subscribed to its call
            // subject (yet). Answer the call now instead of at its timeout.
            if let Some(id) = msg.subject.rsplit('.').next().and_then(|id| id.parse().ok()) {
                let reply = CallReply::refused(
                    ErrorCode::RoomUnavailable,
                    "the room's owner node is not listening; retry",
                );
                cluster.answered(Response { id, reply });
            }
            continue;
        }
        match serde_json::from_slice::<Response>(&msg.payload) {
            Ok(r) => cluster.answered(r),
            Err(e) => warn!(cluster.log, "bad cluster reply"; "err" => %e),
        }
    }
}

async fn serve_out(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber, inbox: Arc<dyn NodeInbox>) {
    while let Some(msg) = sub.next().await {
        let to: ToSession = match serde_json::from_slice(&msg.payload) {
            Ok(t) => t,
            Err(e) => {
                warn!(cluster.log, "bad frame for a session"; "err" => %e);
                continue;
            }
        };
        if to.incarnation != cluster.me.incarnation {
            continue;
        }
        inbox.to_session(to.session, to.out);
    }
}

async fn serve_control(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber, inbox: Arc<dyn NodeInbox>) {
    while let Some(msg) = sub.next().await {
        match serde_json::from_slice::<Control>(&msg.payload) {
            Ok(c) => inbox.control(c),
            Err(e) => warn!(cluster.log, "bad control message"; "err" => %e),
        }
    }
}
