//! `Traffic`: a busy room as the failover tests need it. Members (`Peer`s) on every
//! node, one sender per node with several messages in flight, all reconnecting and
//! resending as real clients do. `finish` stops the senders, lets every client read up
//! to the room's last seq and checks what a user must never see broken: every acked
//! message stored once at its acked seq, nothing stored that was not acked, no seq
//! carrying two messages, and every logical client delivered each seq once, in order.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::common::{eventually, seq, LONG};
use crate::fixture::{node_id, stored_messages, Cluster, FAILOVER};
use crate::peer::Peer;

const MEMBERS_PER_NODE: usize = 2;
/// Pause between one sender's batches: enough traffic that a failure lands on sends
/// in flight, little enough for a 2-core machine and `rooms.max_replay`.
const PACE: Duration = Duration::from_millis(2);
/// Messages a sender has in flight at once, unless the test says otherwise.
const IN_FLIGHT: usize = 4;

/// What the test and its client tasks share.
struct Ctl {
    stop: AtomicBool,
    /// Acks per sender so far.
    acks: Vec<AtomicUsize>,
    /// Senders that have stopped sending.
    done: AtomicUsize,
}

/// A sender's task: the client, and (client_id, acked seq) of every message it sent.
type SenderTask = JoinHandle<(Peer, Vec<(String, i64)>)>;

/// The clients of one room, running.
pub struct Traffic {
    room: String,
    ctl: Arc<Ctl>,
    set_last: watch::Sender<Option<i64>>,
    members: Vec<JoinHandle<Peer>>,
    senders: Vec<SenderTask>,
}

/// What `finish` found (already checked).
pub struct Outcome {
    pub peers: Vec<Peer>,
    /// client_id → acked seq.
    pub acked: HashMap<String, i64>,
}

impl Traffic {
    /// Joins `MEMBERS_PER_NODE` members and one sender on every node (besides `first`,
    /// a member already joined) and starts sending.
    pub async fn start(cluster: &Cluster, room: &str, first: Peer) -> Self {
        Self::start_with(cluster, room, first, IN_FLIGHT).await
    }

    /// `start` with `in_flight` messages in flight per sender.
    pub async fn start_with(cluster: &Cluster, room: &str, first: Peer, in_flight: usize) -> Self {
        let (addrs, n0) = (cluster.addrs(), &cluster.nodes[0]);
        let mut members = vec![first];
        for node in 0..cluster.nodes.len() {
            for m in 0..MEMBERS_PER_NODE {
                let name = format!("member{node}-{m}");
                if members.iter().all(|p| p.name != name) {
                    members.push(Peer::join(&name, &n0.user(&name).await, room, addrs.clone(), node).await);
                }
            }
        }
        let mut senders = Vec::new();
        for node in 0..cluster.nodes.len() {
            let name = format!("sender{node}");
            senders.push(Peer::join(&name, &n0.user(&name).await, room, addrs.clone(), node).await);
        }
        let ctl = Arc::new(Ctl {
            stop: AtomicBool::new(false),
            acks: (0..senders.len()).map(|_| AtomicUsize::new(0)).collect(),
            done: AtomicUsize::new(0),
        });
        let (set_last, last) = watch::channel(None);
        let members = members.into_iter().map(|p| tokio::spawn(p.follow(last.clone()))).collect();
        let senders = senders
            .into_iter()
            .enumerate()
            .map(|(k, p)| tokio::spawn(run_sender(p, k, in_flight, ctl.clone(), last.clone())))
            .collect();
        Self { room: room.to_string(), ctl, set_last, members, senders }
    }

    /// Acks so far, per sender (sender `k` started on node `k`).
    pub fn acks(&self) -> Vec<usize> {
        self.ctl.acks.iter().map(|a| a.load(Ordering::SeqCst)).collect()
    }

    /// Waits until the senders together have `n` acks.
    pub async fn wait_total(&self, n: usize) {
        eventually(&format!("{n} acks"), LONG, || {
            let total: usize = self.acks().iter().sum();
            async move { total >= n }
        })
        .await;
    }

    /// Waits until every sender has `n` acks more than in `base`.
    pub async fn wait_each_more(&self, base: &[usize], n: usize) {
        eventually(&format!("every sender gets {n} more acks"), FAILOVER, || {
            let more = self.acks().iter().zip(base).all(|(now, then)| *now >= then + n);
            async move { more }
        })
        .await;
    }

    /// Stops the senders, lets every client read up to the room's last seq (as node
    /// `via` reports it) and checks the room and every client's stream.
    pub async fn finish(self, cluster: &Cluster, via: usize) -> Outcome {
        self.ctl.stop.store(true, Ordering::SeqCst);
        let senders = self.senders.len();
        eventually("the senders stop", FAILOVER, || {
            let done = self.ctl.done.load(Ordering::SeqCst) == senders;
            async move { done }
        })
        .await;
        // Every send was repeated until acked, so the acked messages are all there is.
        let view = cluster.room(via, &self.room).await;
        let top = view["last_seq"].as_i64().unwrap_or_else(|| panic!("last_seq in {view}"));
        self.set_last.send(Some(top)).expect("clients listen");
        let (mut acked, mut peers) = (HashMap::new(), Vec::new());
        for task in self.senders {
            let (peer, sent) = task.await.expect("sender task");
            acked.extend(sent);
            peers.push(peer);
        }
        for task in self.members {
            peers.push(task.await.expect("member task"));
        }

        // Stored: seqs 1..=top, each message once, exactly the acked ones at their acked seqs.
        let stored = stored_messages(&cluster.nodes[via], &self.room).await;
        let stored_seqs: Vec<i64> = stored.iter().map(seq).collect();
        assert_eq!(stored_seqs, (1..=top).collect::<Vec<_>>(), "stored seqs are 1..=last_seq with no gap");
        let by_seq: HashMap<i64, &str> =
            stored.iter().map(|m| (seq(m), m["client_id"].as_str().unwrap_or_default())).collect();
        let distinct: HashSet<&str> = by_seq.values().copied().collect();
        assert_eq!(distinct.len(), stored.len(), "a client_id is stored under two seqs");
        for (client_id, s) in &acked {
            assert_eq!(by_seq.get(s), Some(&client_id.as_str()), "{client_id} was acked with seq {s}");
        }
        assert_eq!(acked.len(), stored.len(), "stored messages that no ack reported");
        assert_eq!(
            top,
            acked.values().copied().max().unwrap_or(0),
            "the highest acked seq is the room's last"
        );

        // Every logical client: each seq once, in order, carrying the stored message.
        for peer in &peers {
            let got: HashSet<i64> = peer.delivered.iter().map(|(s, _)| *s).collect();
            let missing: Vec<(i64, &str)> =
                (peer.first_seq + 1..=top).filter(|s| !got.contains(s)).map(|s| (s, by_seq[&s])).collect();
            if !missing.is_empty() {
                eprintln!("{} never got (seq, client_id): {missing:?}", peer.name);
            }
            peer.assert_each_seq_once_in_order(top);
            for (s, client_id) in &peer.delivered {
                assert_eq!(
                    by_seq.get(s),
                    Some(&client_id.as_str()),
                    "{} got seq {s} as {client_id}",
                    peer.name
                );
            }
        }
        for p in &peers {
            let (refused, dups) = (p.errors.len(), p.duplicates);
            eprintln!(
                "{}: ends on {}, connection ends {:?}, {refused} refused sends, {dups} duplicate acks",
                p.name,
                node_id(p.node),
                p.ends
            );
        }
        Outcome { peers, acked }
    }
}

/// Sends numbered messages, `in_flight` at a time, each until acked, until told to
/// stop; then reads on like a member. Returns the client and (client_id, acked seq).
async fn run_sender(
    mut peer: Peer,
    k: usize,
    in_flight: usize,
    ctl: Arc<Ctl>,
    last: watch::Receiver<Option<i64>>,
) -> (Peer, Vec<(String, i64)>) {
    let mut acked = Vec::new();
    for round in 0.. {
        if ctl.stop.load(Ordering::SeqCst) {
            break;
        }
        let batch: Vec<(String, String)> = (0..in_flight)
            .map(|i| format!("{}-{}", peer.name, round * in_flight + i))
            .map(|id| (id.clone(), format!("message {id}")))
            .collect();
        for ((id, _), ack) in batch.iter().zip(peer.send_batch_until_acked(&batch).await) {
            acked.push((id.clone(), seq(&ack)));
        }
        ctl.acks[k].fetch_add(in_flight, Ordering::SeqCst);
        tokio::time::sleep(PACE).await;
    }
    ctl.done.fetch_add(1, Ordering::SeqCst);
    (peer.follow(last).await, acked)
}
