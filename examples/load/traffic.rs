//! The message-driving engine shared by `fanout`, `rooms` and `ingress`: opens and joins
//! every connection, runs one sender task per sending connection (paced by a window of
//! undelivered messages, an open-loop rate, or a window of unacked sends) and one reader
//! task per connection that checks every delivery (per room seq +1 from the first one
//! seen, per sender marker order), measures latency, then drains and merges the counts.
//! Connection *i* talks to node *i mod n* (`Nodes::ws_url`): with several nodes a room's
//! members and senders are spread over all of them.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{stream, SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, Frame, Marker, WsSink, WsStream};
use crate::nodes::Nodes;
use crate::report::{percentiles, Counts};
use crate::sample::{round1, Sampler};

/// One connection of the plan.
pub struct ConnPlan {
    pub room: String,
    /// Sessions in `room` (every one receives each message, the sender's own included).
    pub room_size: u32,
    pub sends: bool,
}

pub enum Pacing {
    /// At most `window` messages sent but not yet received by every member (one sender).
    Fanout { window: u32 },
    /// Open loop: `rate` msg/s over all senders, each with at most `max_unacked` in flight.
    Rate { rate: f64, max_unacked: u32 },
    /// As fast as acks allow: each sender keeps at most `window` sends unacked.
    Pipeline { window: u32 },
}

pub struct Plan {
    pub conns: Vec<ConnPlan>,
    pub pacing: Pacing,
    pub warmup: Duration,
    pub duration: Duration,
    pub drain: Duration,
    /// Connections opened at once while setting up.
    pub open_concurrency: usize,
}

/// The most messages one fan-out run sends (bounds the per-message receive counters).
const FANOUT_MAX_MESSAGES: usize = 4_000_000;

/// Shared by every task of one run.
struct Shared {
    t0: Instant,
    warm_end_ns: u64,
    end_ns: u64,
    sent: AtomicU64,
    sent_in_window: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    expected: AtomicU64,
    received: AtomicU64,
    fanout: Option<FanoutWindow>,
    first_error: Mutex<Option<String>>,
}

/// How many members received each of the fan-out sender's messages.
struct FanoutWindow {
    counts: Vec<AtomicU32>,
    members: u32,
    fully_received: AtomicU64,
    progress: Notify,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }
    fn in_window(&self, ns: u64) -> bool {
        ns >= self.warm_end_ns && ns < self.end_ns
    }
    fn note_error(&self, e: String) {
        if let Ok(mut first) = self.first_error.lock() {
            first.get_or_insert(e);
        }
    }
}

/// What one reader saw.
#[derive(Default)]
struct ConnStats {
    counts: Counts,
    lat_us: Vec<u32>,
    ack_lat_us: Vec<u32>,
    closed_early: bool,
}

pub struct Outcome {
    pub json: Value,
    pub ok: bool,
}

pub async fn run(nodes: &Nodes, tokens: &[String], plan: Plan) -> Result<Outcome> {
    let n = plan.conns.len();
    let rooms: BTreeSet<String> = plan.conns.iter().map(|c| c.room.clone()).collect();
    nodes.create_rooms(&rooms.into_iter().collect::<Vec<_>>()).await?;
    // Open and join everything first. With several nodes, each room's first connection
    // joins before the others: in a cluster the node of a room's first join owns it, so
    // room r is owned by the node of its first connection in every run (the fan-out
    // sender's node, for instance), not by whichever join wins a race.
    let mut seen = BTreeSet::new();
    let (firsts, rest): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| nodes.addrs().len() > 1 && seen.insert(plan.conns[i].room.as_str()));
    let mut slots: Vec<Option<conn::Ws>> = (0..n).map(|_| None).collect();
    for phase in [firsts, rest] {
        let opened: Vec<(usize, Result<conn::Ws>)> =
            stream::iter(phase)
                .map(|i| {
                    let (url, room) = (nodes.ws_url(i, &tokens[i % tokens.len()]), &plan.conns[i].room);
                    async move {
                        (i, conn::open_joined(&url, room).await.with_context(|| format!("connection {i}")))
                    }
                })
                .buffered(plan.open_concurrency)
                .collect()
                .await;
        for (i, ws) in opened {
            slots[i] = Some(ws?);
        }
    }
    let sockets: Vec<conn::Ws> = slots.into_iter().flatten().collect();
    // Let the member_joined frames of the join phase settle.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let fanout = match plan.pacing {
        Pacing::Fanout { .. } => Some(FanoutWindow {
            counts: (0..FANOUT_MAX_MESSAGES).map(|_| AtomicU32::new(0)).collect(),
            members: plan.conns[0].room_size,
            fully_received: AtomicU64::new(0),
            progress: Notify::new(),
        }),
        _ => None,
    };
    let senders = plan.conns.iter().filter(|c| c.sends).count().max(1);
    let shared = Arc::new(Shared {
        t0: Instant::now(),
        warm_end_ns: plan.warmup.as_nanos() as u64,
        end_ns: (plan.warmup + plan.duration).as_nanos() as u64,
        sent: AtomicU64::new(0),
        sent_in_window: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        expected: AtomicU64::new(0),
        received: AtomicU64::new(0),
        fanout,
        first_error: Mutex::new(None),
    });
    let mut sampler = Sampler::start(&nodes.pids, &nodes.aux_pids);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut readers = Vec::with_capacity(n);
    let mut sender_tasks = Vec::new();
    let mut idle_sinks = Vec::new();
    let mut sender_index = 0usize;
    for (i, (ws, c)) in sockets.into_iter().zip(&plan.conns).enumerate() {
        let (sink, stream) = ws.split();
        let window = match plan.pacing {
            Pacing::Fanout { window } | Pacing::Pipeline { window } => window,
            Pacing::Rate { max_unacked, .. } => max_unacked,
        };
        let unacked = Arc::new(Semaphore::new(window as usize));
        readers.push(tokio::spawn(read_loop(
            stream,
            c.room_size,
            unacked.clone(),
            shared.clone(),
            stop_rx.clone(),
        )));
        if c.sends {
            let offset = sender_index as f64 / senders as f64;
            sender_index += 1;
            let pace = match plan.pacing {
                Pacing::Fanout { window } => Pace::Fanout { window: window as u64 },
                Pacing::Pipeline { .. } => Pace::AsAcked,
                Pacing::Rate { rate, .. } => {
                    let interval = senders as f64 / rate;
                    Pace::Every { interval, offset: interval * offset }
                }
            };
            sender_tasks.push(tokio::spawn(send_loop(
                sink,
                i as u32,
                c.room.clone(),
                unacked,
                pace,
                shared.clone(),
            )));
        } else {
            idle_sinks.push(sink);
        }
    }

    // Warmup, then the measured window (the CPU figures cover only the latter).
    tokio::time::sleep_until((shared.t0 + plan.warmup).into()).await;
    sampler.reset_cpu();
    let mut sinks = Vec::new();
    for t in sender_tasks {
        sinks.push(t.await.context("sender task")?);
    }
    let sample = sampler.finish();

    // Drain: wait for every ack and every expected delivery, up to `plan.drain`.
    let drain_deadline = Instant::now() + plan.drain;
    loop {
        let s = &shared;
        let acks_done = s.acked.load(Ordering::Relaxed) + s.errors.load(Ordering::Relaxed)
            >= s.sent.load(Ordering::Relaxed);
        if acks_done && s.received.load(Ordering::Relaxed) >= s.expected.load(Ordering::Relaxed) {
            break;
        }
        if Instant::now() >= drain_deadline {
            eprintln!("load: drain timed out after {:?}", plan.drain);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop_tx.send(true);
    let mut total = ConnStats::default();
    for r in readers {
        let s = r.await.context("reader task")?;
        total.counts.add(&s.counts);
        total.lat_us.extend_from_slice(&s.lat_us);
        total.ack_lat_us.extend_from_slice(&s.ack_lat_us);
        total.closed_early |= s.closed_early;
    }
    for mut sink in sinks.into_iter().flatten().chain(idle_sinks) {
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    }

    let secs = plan.duration.as_secs_f64();
    let c = &total.counts;
    let sent = shared.sent.load(Ordering::Relaxed);
    let expected = shared.expected.load(Ordering::Relaxed);
    let unique = c.received - c.duplicated;
    let lost = expected.saturating_sub(unique);
    let first_error = shared.first_error.lock().ok().and_then(|e| e.clone());
    let ok =
        lost == 0 && c.duplicated == 0 && c.reordered == 0 && c.marker_errors == 0 && !total.closed_early;
    let mut json = json!({
        "sent_per_s": round1(shared.sent_in_window.load(Ordering::Relaxed) as f64 / secs),
        "delivered_per_s": round1(c.delivered_in_window as f64 / secs),
        "acked_per_s": round1(c.acked_in_window as f64 / secs),
        "latency_us": percentiles(&mut total.lat_us),
        "ack_latency_us": percentiles(&mut total.ack_lat_us),
        "sent": sent,
        "acked": c.acked,
        "errors": shared.errors.load(Ordering::Relaxed),
        "unacked": sent.saturating_sub(c.acked + shared.errors.load(Ordering::Relaxed)),
        "first_error": first_error,
        "expected": expected,
        "received": c.received,
        "lost": lost,
        "duplicated": c.duplicated,
        "reordered": c.reordered,
        "sender_order_errors": c.marker_errors,
        "ack_duplicates": c.ack_duplicates,
        "closed_early": total.closed_early,
        "server": sample.server_json(),
        "client": {"cpu_pct": round1(sample.client_cpu_pct)},
    });
    sample.add_aux(&mut json);
    Ok(Outcome { json, ok })
}

enum Pace {
    Fanout {
        window: u64,
    },
    AsAcked,
    /// One send every `interval` seconds, the first at `offset`.
    Every {
        interval: f64,
        offset: f64,
    },
}

/// Sends until the end of the measured window; returns the sink (None if it failed).
async fn send_loop(
    mut sink: WsSink,
    sender: u32,
    room: String,
    unacked: Arc<Semaphore>,
    pace: Pace,
    shared: Arc<Shared>,
) -> Option<WsSink> {
    let end = shared.t0 + Duration::from_nanos(shared.end_ns);
    let mut next = match pace {
        Pace::Every { offset, .. } => shared.t0 + Duration::from_secs_f64(offset),
        _ => shared.t0,
    };
    for n in 0u64.. {
        if Instant::now() >= end {
            break;
        }
        match pace {
            Pace::Fanout { window } => {
                let fw = shared.fanout.as_ref().expect("fan-out window");
                if n as usize >= FANOUT_MAX_MESSAGES {
                    break;
                }
                while n - fw.fully_received.load(Ordering::Acquire) >= window {
                    if Instant::now() >= end {
                        return Some(sink);
                    }
                    let _ = tokio::time::timeout(Duration::from_millis(20), fw.progress.notified()).await;
                }
            }
            Pace::Every { interval, .. } => {
                if next >= end {
                    break;
                }
                tokio::time::sleep_until(next.into()).await;
                next += Duration::from_secs_f64(interval);
            }
            Pace::AsAcked => {}
        }
        match tokio::time::timeout_at(end.into(), unacked.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            _ => break,
        }
        let marker = Marker { sender, n, sent_ns: shared.now_ns() };
        if let Err(e) = sink.send(Message::text(marker.send_frame(&room))).await {
            shared.note_error(format!("sender {sender}: {e}"));
            return None;
        }
        shared.sent.fetch_add(1, Ordering::Relaxed);
        if shared.in_window(marker.sent_ns) {
            shared.sent_in_window.fetch_add(1, Ordering::Relaxed);
        }
    }
    Some(sink)
}

/// Reads one connection until told to stop, checking every frame.
async fn read_loop(
    mut stream: WsStream,
    room_size: u32,
    unacked: Arc<Semaphore>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> ConnStats {
    let mut st = ConnStats::default();
    let mut seqs = SeqCheck::default();
    let mut per_sender: HashMap<u32, u64> = HashMap::new();
    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.changed() => break,
            m = stream.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | None => {
                st.closed_early = true;
                shared.note_error("a connection was closed by the server".into());
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                st.closed_early = true;
                shared.note_error(format!("read: {e}"));
                break;
            }
        };
        let Ok(f) = serde_json::from_str::<Frame>(text.as_str()) else {
            shared.note_error(format!("unparsable frame: {}", text.as_str()));
            continue;
        };
        let now = shared.now_ns();
        match &*f.kind {
            "message" => {
                let Some(m) = f.text.as_deref().and_then(Marker::from_text) else {
                    st.counts.other_frames += 1;
                    continue;
                };
                st.counts.received += 1;
                shared.received.fetch_add(1, Ordering::Relaxed);
                if shared.in_window(now) {
                    st.counts.delivered_in_window += 1;
                }
                if shared.in_window(m.sent_ns) {
                    st.lat_us.push(((now.saturating_sub(m.sent_ns)) / 1000) as u32);
                }
                match seqs.check(f.seq) {
                    SeqVerdict::InOrder => {}
                    SeqVerdict::Late => st.counts.reordered += 1,
                    SeqVerdict::Duplicate => st.counts.duplicated += 1,
                }
                let last = per_sender.entry(m.sender).or_insert(u64::MAX);
                if *last != u64::MAX && m.n <= *last {
                    st.counts.marker_errors += 1;
                } else {
                    *last = m.n;
                }
                if let Some(fw) = &shared.fanout {
                    if let Some(c) = fw.counts.get(m.n as usize) {
                        if c.fetch_add(1, Ordering::AcqRel) + 1 == fw.members {
                            fw.fully_received.fetch_add(1, Ordering::Release);
                            fw.progress.notify_one();
                        }
                    }
                }
            }
            "ack" => {
                st.counts.acked += 1;
                shared.acked.fetch_add(1, Ordering::Relaxed);
                shared.expected.fetch_add(room_size as u64, Ordering::Relaxed);
                unacked.add_permits(1);
                if f.duplicate {
                    st.counts.ack_duplicates += 1;
                }
                if shared.in_window(now) {
                    st.counts.acked_in_window += 1;
                }
                if let Some(m) = f.client_id.as_deref().and_then(Marker::from_client_id) {
                    if shared.in_window(m.sent_ns) {
                        st.ack_lat_us.push(((now.saturating_sub(m.sent_ns)) / 1000) as u32);
                    }
                }
            }
            "error" => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                unacked.add_permits(1);
                shared.note_error(format!(
                    "error frame: {} {}",
                    f.code.as_deref().unwrap_or("?"),
                    text.as_str()
                ));
            }
            _ => st.counts.other_frames += 1,
        }
    }
    st
}

enum SeqVerdict {
    /// The next seq, or one after a gap.
    InOrder,
    /// A seq that had been skipped arrived after a later one.
    Late,
    Duplicate,
}

/// Per room (each connection is in one room): seqs must go up by 1 from the first seen.
#[derive(Default)]
struct SeqCheck {
    last: Option<u64>,
    /// Seqs skipped over and not (yet) received.
    missing: BTreeSet<u64>,
}

/// The largest gap whose seqs are remembered one by one.
const MAX_TRACKED_GAP: u64 = 100_000;

impl SeqCheck {
    fn check(&mut self, seq: u64) -> SeqVerdict {
        let Some(last) = self.last else {
            self.last = Some(seq);
            return SeqVerdict::InOrder;
        };
        if seq == last + 1 {
            self.last = Some(seq);
            SeqVerdict::InOrder
        } else if seq > last + 1 {
            // A gap: lost unless the skipped seqs arrive later (then they count as late).
            self.missing.extend((last + 1).max(seq.saturating_sub(MAX_TRACKED_GAP))..seq);
            self.last = Some(seq);
            SeqVerdict::InOrder
        } else if self.missing.remove(&seq) {
            SeqVerdict::Late
        } else {
            SeqVerdict::Duplicate
        }
    }
}

/// Refuses a plan the runner cannot drive.
pub fn validate(plan: &Plan) -> Result<()> {
    if plan.conns.is_empty() || !plan.conns.iter().any(|c| c.sends) {
        bail!("a plan needs at least one connection and one sender");
    }
    if plan.duration.is_zero() {
        bail!("--duration must be > 0");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{SeqCheck, SeqVerdict};

    fn verdicts(seqs: &[u64]) -> (u32, u32) {
        let mut c = SeqCheck::default();
        let (mut late, mut dup) = (0, 0);
        for &s in seqs {
            match c.check(s) {
                SeqVerdict::InOrder => {}
                SeqVerdict::Late => late += 1,
                SeqVerdict::Duplicate => dup += 1,
            }
        }
        (late, dup)
    }

    #[test]
    fn seq_check() {
        assert_eq!(verdicts(&[5, 6, 7, 8]), (0, 0));
        assert_eq!(verdicts(&[5, 7, 6, 8]), (1, 0));
        assert_eq!(verdicts(&[5, 6, 6, 7, 5]), (0, 2));
        // A gap never filled is a loss (counted from acks), not a reorder.
        assert_eq!(verdicts(&[1, 2, 4, 5]), (0, 0));
    }
}
