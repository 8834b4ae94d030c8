//! Cluster mode (docs/CLUSTER.md): what crosses nodes goes through NATS; ownership and
//! liveness live in PostgreSQL (`store::cluster`).
//!
//! [`Cluster`] is this node's NATS side, shared by every actor that needs it:
//! - one publisher task sends everything this node publishes, in the order it was
//!   queued (so a session's forwarded sends reach the owner in the order it sent them);
//! - calls to a room's owner go to `P.rpc.NODE` with a correlation id and this node's
//!   reply subject `P.reply.NODE.INCARNATION`; [`Cluster::call`] waits for the reply or
//!   `cluster.request_timeout_ms`; calls to a node about itself (its live sessions) go
//!   the same way to `P.node.NODE` ([`Cluster::call_node`]);
//! - `P.out.NODE` carries frames an owner sends to one session of this node;
//! - `P.room.ROOM` carries a room's committed frames, published once per batch by the
//!   owner; nodes with members of the room subscribe to it (`actors::room::cluster`).
//!
//! The tasks that serve `rpc`, `out` and `reply` are started by [`serve`] once the room
//! registry and the session directory exist.

pub mod serve;
pub mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use slog::{info, warn, Logger};
use tokio::sync::{mpsc, oneshot};

pub use serve::serve;
use wire::{CallReply, NodeCall, NodeKey, RoomCall};

use crate::backoff::Backoff;
use crate::config::ClusterConfig;
use crate::metrics::metrics;
use crate::model::now_ms;

/// Queued publishes beyond this are dropped (NATS down or slow); frames lost that way
/// are read back from the store by the receiving node's gap repair.
const PUBLISH_QUEUE: usize = 65_536;

/// The wait before the n-th reconnect attempt to NATS: 100 ms more each time, at most 1 s.
const RECONNECT: Backoff = Backoff::linear(Duration::from_millis(100), Duration::from_secs(1));

/// Why a call to an owner node failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("not connected to NATS")]
    Disconnected,
    #[error("the owner node did not answer in time")]
    Timeout,
    #[error("publish queue full")]
    Busy,
    #[error("bad cluster message: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("cannot connect to NATS: {0}")]
    Connect(String),
}

/// A request as sent on `P.rpc.NODE`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Request {
    pub id: u64,
    pub call: RoomCall,
}

/// A request as sent on `P.node.NODE`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct NodeRequest {
    pub id: u64,
    pub call: NodeCall,
}

/// A reply as sent back on the caller's reply subject.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Response {
    pub id: u64,
    pub reply: CallReply,
}

struct Publish {
    subject: String,
    reply: Option<String>,
    payload: Bytes,
}

/// This node's handle on the cluster.
pub struct Cluster {
    pub cfg: ClusterConfig,
    pub me: NodeKey,
    client: async_nats::Client,
    publish: mpsc::Sender<Publish>,
    pending: Mutex<HashMap<u64, oneshot::Sender<CallReply>>>,
    next_id: AtomicU64,
    connected: Arc<AtomicBool>,
    /// Connected at least once since the process started.
    ever_connected: Arc<AtomicBool>,
    /// When this node's heartbeat last reached the store (ms since the epoch).
    heartbeat_ok_at: AtomicI64,
    /// Set at shutdown: no more heartbeats (the node has left).
    leaving: AtomicBool,
    /// NATS connection events, taken by [`serve`].
    events: Mutex<Option<mpsc::UnboundedReceiver<async_nats::Event>>>,
    log: Logger,
}

impl Cluster {
    /// Connects to NATS (in the background if it is down: the node starts anyway and
    /// cross-node calls fail with `room_unavailable` until it is up).
    pub async fn connect(cfg: &ClusterConfig, log: &Logger) -> Result<Arc<Self>, ClusterError> {
        let log = log.new(slog::o!("actor" => "cluster", "node" => cfg.node_id.clone()));
        let connected = Arc::new(AtomicBool::new(false));
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let ever_connected = Arc::new(AtomicBool::new(false));
        let (flag, ever) = (connected.clone(), ever_connected.clone());
        let client = async_nats::ConnectOptions::new()
            .name(format!("roomd-{}", cfg.node_id))
            .retry_on_initial_connect()
            .max_reconnects(None)
            .reconnect_delay_callback(|attempts| RECONNECT.delay(u32::try_from(attempts).unwrap_or(u32::MAX)))
            .event_callback(move |event| {
                let (flag, ever, tx) = (flag.clone(), ever.clone(), events_tx.clone());
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            flag.store(true, Ordering::SeqCst);
                            ever.store(true, Ordering::SeqCst);
                        }
                        async_nats::Event::Disconnected | async_nats::Event::Closed => {
                            flag.store(false, Ordering::SeqCst)
                        }
                        _ => {}
                    }
                    let _ = tx.send(event);
                }
            })
            .connect(cfg.nats_url.as_str())
            .await
            .map_err(|e| ClusterError::Connect(e.to_string()))?;
        let (publish, rx) = mpsc::channel(PUBLISH_QUEUE);
        let me = NodeKey { node: cfg.node_id.clone(), incarnation: crate::ids::new_node_incarnation() };
        let cluster = Arc::new(Self {
            cfg: cfg.clone(),
            me,
            client: client.clone(),
            publish,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            connected,
            ever_connected,
            heartbeat_ok_at: AtomicI64::new(now_ms()),
            leaving: AtomicBool::new(false),
            events: Mutex::new(Some(events_rx)),
            log,
        });
        tokio::spawn(publisher(client, rx, cluster.log.clone()));
        Ok(cluster)
    }

    fn prefix(&self) -> &str {
        &self.cfg.subject_prefix
    }

    pub fn rpc_subject(&self, node: &str) -> String {
        format!("{}.rpc.{node}", self.prefix())
    }

    /// Where this node's calls are answered: one subject per call (`….reply.NODE.INC.ID`),
    /// so NATS's "no responders" status for a call (the owner is not subscribed, e.g.
    /// just after an outage) names the call it answers. The subscription is the
    /// wildcard `….reply.NODE.INC.*`.
    fn reply_subject(&self, call: Option<u64>) -> String {
        let base = format!("{}.reply.{}.{}", self.prefix(), self.me.node, self.me.incarnation);
        match call {
            Some(id) => format!("{base}.{id}"),
            None => format!("{base}.*"),
        }
    }

    pub fn node_subject(&self, node: &str) -> String {
        format!("{}.node.{node}", self.prefix())
    }

    pub fn out_subject(&self, node: &str) -> String {
        format!("{}.out.{node}", self.prefix())
    }

    pub fn room_subject(&self, room: &str) -> String {
        format!("{}.room.{room}", self.prefix())
    }

    pub fn control_subject(&self) -> String {
        format!("{}.control", self.prefix())
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Connected to NATS at least once since start (a node still connecting is not
    /// ready; one that lost NATS later still serves the rooms it owns).
    pub fn has_connected(&self) -> bool {
        self.ever_connected.load(Ordering::SeqCst)
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Queues a publish; `false` if the queue is full (the message is dropped).
    pub fn publish(&self, subject: String, payload: Bytes) -> bool {
        self.publish.try_send(Publish { subject, reply: None, payload }).is_ok()
    }

    /// Serializes and publishes `value`.
    pub fn publish_json(&self, subject: String, value: &impl serde::Serialize) -> bool {
        match serde_json::to_vec(value) {
            Ok(v) => self.publish(subject, v.into()),
            Err(e) => {
                warn!(self.log, "cannot encode a cluster message"; "err" => %e);
                false
            }
        }
    }

    /// Asks the owner node `owner` to run `call`, waiting at most
    /// `cluster.request_timeout_ms`.
    pub async fn call(self: &Arc<Self>, owner: &str, call: RoomCall) -> Result<CallReply, ClusterError> {
        self.start_call(owner, call)?.await
    }

    /// Puts `call` on the ordered publish queue now, before returning: calls started
    /// one after another reach the owner in that order (a session's pipelined sends
    /// are committed in the order it sent them), however their answers are awaited.
    /// The returned future waits for the answer.
    pub fn start_call(
        self: &Arc<Self>,
        owner: &str,
        call: RoomCall,
    ) -> Result<impl std::future::Future<Output = Result<CallReply, ClusterError>>, ClusterError> {
        let kind = call.body.kind();
        self.start_request(self.rpc_subject(owner), kind, |id| serde_json::to_vec(&Request { id, call }))
    }

    /// Asks node `node` about itself, waiting at most `cluster.request_timeout_ms`.
    pub async fn call_node(self: &Arc<Self>, node: &str, call: NodeCall) -> Result<CallReply, ClusterError> {
        let kind = call.kind();
        self.start_request(self.node_subject(node), kind, |id| serde_json::to_vec(&NodeRequest { id, call }))?
            .await
    }

    /// Queues the request `payload(id)` on `subject` with this node's reply subject for
    /// call `id`; the returned future waits for the answer.
    fn start_request(
        self: &Arc<Self>,
        subject: String,
        kind: &'static str,
        payload: impl FnOnce(u64) -> serde_json::Result<Vec<u8>>,
    ) -> Result<impl std::future::Future<Output = Result<CallReply, ClusterError>>, ClusterError> {
        if !self.is_connected() {
            return Err(ClusterError::Disconnected);
        }
        metrics().cluster_forwarded.with_label_values(&[kind]).inc();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let payload = payload(id)?;
        let (tx, rx) = oneshot::channel();
        self.pending_map().insert(id, tx);
        let publish = Publish { subject, reply: Some(self.reply_subject(Some(id))), payload: payload.into() };
        if self.publish.try_send(publish).is_err() {
            self.pending_map().remove(&id);
            return Err(ClusterError::Busy);
        }
        let me = self.clone();
        Ok(async move {
            match tokio::time::timeout(me.cfg.request_timeout(), rx).await {
                Ok(Ok(reply)) => Ok(reply),
                _ => {
                    me.pending_map().remove(&id);
                    Err(ClusterError::Timeout)
                }
            }
        })
    }

    fn pending_map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<CallReply>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A reply arrived on one of this node's reply subjects.
    fn answered(&self, r: Response) {
        if let Some(tx) = self.pending_map().remove(&r.id) {
            let _ = tx.send(r.reply);
        }
    }

    /// The store took this node's heartbeat now. Returns whether the previous one
    /// was longer ago than the lease: other nodes may have taken this node's leases.
    pub fn heartbeat_ok(&self) -> bool {
        let before = self.heartbeat_ok_at.swap(now_ms(), Ordering::Relaxed);
        now_ms() - before > self.cfg.lease_ms as i64
    }

    /// Whether this node may still act as the owner of its rooms: its last heartbeat
    /// reached the store within the lease time less one heartbeat (past that, another
    /// node may take its leases).
    pub fn lease_fresh(&self) -> bool {
        let margin = self.cfg.heartbeat_ms.min(self.cfg.lease_ms / 2) as i64;
        now_ms() - self.heartbeat_ok_at.load(Ordering::Relaxed) < self.cfg.lease_ms as i64 - margin
    }

    /// Shutting down: stop heartbeating.
    pub fn set_leaving(&self) {
        self.leaving.store(true, Ordering::SeqCst);
    }

    pub fn is_leaving(&self) -> bool {
        self.leaving.load(Ordering::SeqCst)
    }

    pub fn log(&self) -> &Logger {
        &self.log
    }
}

/// Sends queued publishes in order.
async fn publisher(client: async_nats::Client, mut rx: mpsc::Receiver<Publish>, log: Logger) {
    let mut failures = crate::logging::Throttle::default();
    while let Some(p) = rx.recv().await {
        let res = match p.reply {
            Some(reply) => client.publish_with_reply(p.subject, reply, p.payload).await,
            None => client.publish(p.subject, p.payload).await,
        };
        if let Err(e) = res {
            if let Some(held_back) = failures.pass() {
                warn!(log, "NATS publish failed"; "err" => %e, "held_back" => held_back);
            }
        }
    }
    info!(log, "cluster publisher stopped");
}
