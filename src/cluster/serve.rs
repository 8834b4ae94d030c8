//! The tasks that serve this node's NATS subjects: calls to rooms this node owns
//! (`P.rpc.NODE`), replies to this node's calls, frames for this node's sessions
//! (`P.out.NODE`), cluster-wide control messages, and NATS connection events.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use slog::{info, warn};
use tokio::sync::oneshot;

use super::wire::{CallBody, CallReply, Control, OutboundWire, ToSession};
use super::{Cluster, ClusterError, Request, Response};
use crate::actors::mailbox::{ActorStatus, TrackedAddr};
use crate::actors::registry::{FindRoom, GetRoom, Resync, RoomRegistry};
use crate::actors::room::{RemoteCall, Room};
use crate::actors::sessions::SessionDirectory;
use crate::actors::ws_session::Outbound;
use crate::error::ErrorCode;
use crate::model::RoomId;

/// How often the dispatcher forgets the addresses of stopped rooms.
const CACHE_PRUNE: std::time::Duration = std::time::Duration::from_secs(5);

/// What the serving tasks hand work to.
#[derive(Clone)]
pub struct Served {
    pub registry: TrackedAddr<RoomRegistry>,
    pub sessions: Arc<SessionDirectory>,
    /// Runs a control message on this node (token revoked, broadcast cancelled).
    pub control: Arc<dyn Fn(Control) + Send + Sync>,
}

/// Subscribes this node's subjects and starts their tasks.
pub async fn serve(cluster: Arc<Cluster>, to: Served) -> Result<(), ClusterError> {
    let client = cluster.client().clone();
    let sub = |s: String| {
        let client = client.clone();
        async move { client.subscribe(s).await.map_err(|e| ClusterError::Connect(e.to_string())) }
    };
    let rpc = sub(cluster.rpc_subject(&cluster.me.node)).await?;
    let replies = sub(cluster.reply_subject()).await?;
    let out = sub(cluster.out_subject(&cluster.me.node)).await?;
    let control = sub(cluster.control_subject()).await?;
    tokio::spawn(serve_rpc(cluster.clone(), rpc, to.registry.clone()));
    tokio::spawn(serve_replies(cluster.clone(), replies));
    tokio::spawn(serve_out(cluster.clone(), out, to.sessions.clone()));
    tokio::spawn(serve_control(cluster.clone(), control, to.control.clone()));
    let events = cluster.events.lock().ok().and_then(|mut e| e.take());
    if let Some(mut events) = events {
        let (cluster, registry) = (cluster.clone(), to.registry.clone());
        tokio::spawn(async move {
            let mut connected_before = false;
            while let Some(event) = events.recv().await {
                info!(cluster.log, "NATS connection"; "event" => %event);
                if matches!(event, async_nats::Event::Connected) {
                    // Back after an outage: frames published meanwhile were lost;
                    // every room read from the store what its members missed.
                    if connected_before {
                        registry.do_send(Resync);
                    }
                    connected_before = true;
                }
            }
        });
    }
    Ok(())
}

async fn serve_rpc(
    cluster: Arc<Cluster>,
    mut sub: async_nats::Subscriber,
    registry: TrackedAddr<RoomRegistry>,
) {
    // Room addresses already looked up, so a call costs no registry round trip. Those
    // of stopped rooms (deleted, or idle: `rooms.idle_stop_secs`) are dropped now and
    // then, so the actor of a room that is called no more can go away.
    let mut rooms: HashMap<RoomId, TrackedAddr<Room>> = HashMap::new();
    let live = |a: &TrackedAddr<Room>| a.connected() && a.stats().status() != ActorStatus::Stopped;
    let mut prune = tokio::time::interval(CACHE_PRUNE);
    loop {
        let msg = tokio::select! {
            msg = sub.next() => match msg {
                Some(msg) => msg,
                None => break,
            },
            _ = prune.tick() => {
                rooms.retain(|_, a| live(a));
                continue;
            }
        };
        let Some(reply_to) = msg.reply else { continue };
        let req: Request = match serde_json::from_slice(&msg.payload) {
            Ok(r) => r,
            Err(e) => {
                warn!(cluster.log, "bad cluster call"; "err" => %e);
                continue;
            }
        };
        let id = req.id;
        let answer = |reply: CallReply| {
            cluster.publish_json(reply_to.to_string(), &Response { id, reply });
        };
        let room = match RoomId::parse(&req.call.room) {
            Ok(r) => r,
            Err(e) => {
                answer(CallReply::refused(ErrorCode::BadRequest, e.to_string()));
                continue;
            }
        };
        // A deleted (or never existing) room's actor is `stopped`: ask the registry,
        // which starts a fresh one if the room exists again. Live figures of a room
        // that is not running are not worth starting it: no `Stats` answer means
        // `stopped` to the asking node.
        let cached = rooms.get(&room).filter(|a| live(a)).cloned();
        let cached = match cached {
            None if matches!(req.call.body, CallBody::Stats) => {
                match registry.send(FindRoom(room.clone())).await.ok().flatten() {
                    Some(a) => Some(a),
                    None => {
                        answer(CallReply::refused(ErrorCode::NotFound, "room not running"));
                        continue;
                    }
                }
            }
            other => other,
        };
        let addr = match cached {
            Some(a) => a,
            None => match registry.send(GetRoom(room.clone())).await {
                Ok(a) => {
                    rooms.insert(room, a.clone());
                    a
                }
                Err(_) => {
                    answer(CallReply::refused(ErrorCode::RoomUnavailable, "room registry unavailable"));
                    continue;
                }
            },
        };
        let (tx, rx) = oneshot::channel();
        // do_send, in arrival order: a session's calls reach the room in the order sent.
        addr.do_send(RemoteCall { call: req.call, reply: tx });
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let reply = rx
                .await
                .unwrap_or_else(|_| CallReply::refused(ErrorCode::RoomUnavailable, "room crashed; retry"));
            cluster.publish_json(reply_to.to_string(), &Response { id, reply });
        });
    }
}

async fn serve_replies(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber) {
    while let Some(msg) = sub.next().await {
        match serde_json::from_slice::<Response>(&msg.payload) {
            Ok(r) => cluster.answered(r),
            Err(e) => warn!(cluster.log, "bad cluster reply"; "err" => %e),
        }
    }
}

async fn serve_out(cluster: Arc<Cluster>, mut sub: async_nats::Subscriber, sessions: Arc<SessionDirectory>) {
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
        let Some(session) = sessions.get(to.session) else { continue };
        session.do_send(match to.out {
            OutboundWire::Direct { frame } => Outbound::Direct(frame.into()),
            OutboundWire::Violation { frame } => Outbound::Violation(frame.into()),
            OutboundWire::RoomClosed { room, frame } => match RoomId::parse(&room) {
                Ok(room) => Outbound::RoomClosed { room, frame: frame.into() },
                Err(_) => continue,
            },
            OutboundWire::Close { code, .. } => {
                Outbound::Close { code, reason: "closed by the room's owner node" }
            }
        });
    }
}

async fn serve_control(
    cluster: Arc<Cluster>,
    mut sub: async_nats::Subscriber,
    run: Arc<dyn Fn(Control) + Send + Sync>,
) {
    while let Some(msg) = sub.next().await {
        match serde_json::from_slice::<Control>(&msg.payload) {
            Ok(c) => run(c),
            Err(e) => warn!(cluster.log, "bad control message"; "err" => %e),
        }
    }
}
