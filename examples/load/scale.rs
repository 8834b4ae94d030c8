//! `scale`: 100,000 rooms in the store, 10,000 of them active (issue 22, docs/LOAD.md).
//!
//! The store is filled before the server starts (`scale_store.rs`, loaded with `roomd
//! import`); the server runs with `rooms.idle_stop_secs = --idle-stop` (default 5).
//!
//! 1. Start-up: spawn → `GET /readyz` answers 200 (`startup_ms`).
//! 2. Every room running: `--touch-conns` connections join all `--rooms` rooms between
//!    them (a room actor each); RSS; `GET /api/v1/actors?top=20` and `GET
//!    /api/v1/rooms` (every sort, `--pages` pages of 50 walked by cursor) timed
//!    (`--requests` of the former). The connections close; the rooms idle out
//!    (`rooms.running` reaches 0); RSS again: the difference per room is what a
//!    running idle room costs, what stays is what a stopped room costs.
//! 3. Active: `--conns` connections join the `--active` rooms, `--members` each (the
//!    rooms start again from the store), send `--rate` msg/s in total for `--duration`
//!    seconds; each room's acks and every member's deliveries must be exactly the seqs
//!    after its stored history, in order. RSS with them running.
//! 4. Again after idle stop: the connections close, the rooms idle out; new
//!    connections join with `after_seq` = the history and send one message per member:
//!    the replay and the new messages must continue the seqs with nothing lost.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::nodes::Nodes;
use crate::report::percentiles;
use crate::sample::round1;
use crate::scale_conn::{drive, Control, Counters, Script, Seen};
use crate::scale_store::Fill;
use crate::traffic::Outcome;
use crate::Opts;

/// The store the options ask for.
pub fn fill(opts: &Opts) -> Fill {
    Fill { rooms: opts.rooms.unwrap_or(100_000), active: opts.active, history: opts.history }
}

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(Value, Outcome)> {
    let fill = fill(opts);
    let members = opts.members.unwrap_or(2).max(1);
    let conns = opts.conns.unwrap_or(2000).max(members);
    let rate = opts.rate.unwrap_or(2000.0);
    let duration = opts.duration.unwrap_or(10.0);
    let http = reqwest::Client::new();
    let startup_ms = wait_ready(nodes, &http).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_start = nodes.rss_kib();
    let tokens = nodes.create_tokens(opts.users.unwrap_or(1000)).await?;
    let mut problems: Vec<String> = Vec::new();

    // 2. Every room running.
    let touch = opts.touch_conns.max(1);
    let all: Vec<String> = (0..fill.rooms).map(Fill::room_id).collect();
    let scripts = (0..touch)
        .map(|c| Script {
            url: nodes.ws_url(c as usize, &tokens[c as usize % tokens.len()]),
            joins: all.iter().skip(c as usize).step_by(touch as usize).map(|r| (r.clone(), None)).collect(),
            sends: Vec::new(),
            gap: Duration::from_secs(1),
            conn: c,
            tag: "t",
        })
        .collect();
    eprintln!("load: scale: ready after {startup_ms} ms; joining every room");
    let t = Instant::now();
    let phase = Phase::start(scripts).await;
    let join_secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let running_all = running_rooms(nodes, &http).await?;
    let rss_all_running = nodes.rss_kib();
    eprintln!("load: scale: {running_all} rooms running; timing the admin lists");
    let actors_top = time_requests(&http, nodes, "actors?top=20", opts.requests).await?;
    let actors_top_wait = time_requests(&http, nodes, "actors?top=20&sort=wait", opts.requests).await?;
    let mut room_list = serde_json::Map::new();
    for sort in ["id", "name", "activity", "members"] {
        room_list.insert(sort.into(), walk_rooms(&http, nodes, sort, opts.pages).await?);
    }
    for (name, q) in
        [("status=stopped", "status=stopped"), ("status=running", "status=running"), ("q", "q=s09999")]
    {
        room_list.insert(name.into(), time_requests(&http, nodes, &format!("rooms?limit=50&{q}"), 3).await?);
    }
    let seen = phase.finish().await;
    problems.extend(seen.iter().flat_map(|s| s.errors.iter().take(1).cloned()));
    eprintln!("load: scale: waiting for the idle stop");
    let stop_secs = wait_all_stopped(nodes, &http, opts.idle_stop).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_all_stopped = nodes.rss_kib();

    // 3. Active rooms, started again from the store.
    let active: Vec<String> = (0..fill.active).map(|k| Fill::room_id(fill.active_room(k))).collect();
    let per_conn_sends = ((rate * duration) / conns as f64).round() as usize;
    let scripts =
        active_scripts(nodes, &tokens, &active, members, conns, |_| None, "a", |_| per_conn_sends, rate);
    let planned = planned_sends(&scripts);
    eprintln!("load: scale: {} active rooms", active.len());
    let phase = Phase::start(scripts).await;
    let t = Instant::now();
    phase.go();
    let expected: u64 = planned.values().sum::<u64>() * members as u64;
    phase.drain(planned.values().sum(), expected, duration + opts.drain).await;
    let send_secs = t.elapsed().as_secs_f64();
    let rss_active = nodes.rss_kib();
    let running_active = running_rooms(nodes, &http).await?;
    let seen = phase.finish().await;
    let base = |_: &str| fill.history as i64;
    let active_check = check(&seen, &planned, members, base, base);
    problems.extend(active_check.problems.iter().cloned());

    // 4. Started again after idle stop: replay from the history, then new messages.
    wait_all_stopped(nodes, &http, opts.idle_stop).await?;
    let after = |_: &str| Some(fill.history as i64);
    let scripts = active_scripts(nodes, &tokens, &active, members, conns, after, "b", |rooms| rooms, rate);
    let planned_again = planned_sends(&scripts);
    eprintln!("load: scale: the active rooms again, after their idle stop");
    let phase = Phase::start(scripts).await;
    phase.go();
    let replay: u64 = planned.values().sum::<u64>() * members as u64;
    let total_again: u64 = planned_again.values().sum();
    phase.drain(total_again, replay + total_again * members as u64, 10.0 + opts.drain).await;
    let seen = phase.finish().await;
    let after_history = |_: &str| fill.history as i64;
    let sent_before = |room: &str| fill.history as i64 + planned.get(room).copied().unwrap_or(0) as i64;
    let again_check = check(&seen, &planned_again, members, after_history, sent_before);
    problems.extend(again_check.problems.iter().cloned());

    let rooms_f = fill.rooms as f64;
    let ok = problems.is_empty() && running_all >= fill.rooms as u64;
    let params = json!({"rooms": fill.rooms, "active": fill.active, "history": fill.history, "members": members,
                        "conns": conns, "touch_conns": touch, "rate": rate, "duration_s": duration,
                        "idle_stop_secs": opts.idle_stop, "users": tokens.len()});
    let json = json!({
        "startup_ms": startup_ms,
        "touch": {"joins_per_s": round1(fill.rooms as f64 / join_secs), "running": running_all,
                  "idle_stop_s": round1(stop_secs)},
        "actors_top20_ms": actors_top, "actors_top20_wait_ms": actors_top_wait,
        "room_list_ms": room_list,
        "active": {"running": running_active, "planned_sends": planned.values().sum::<u64>(),
                   "seconds": round1(send_secs), "rooms_checked": active_check.rooms, "bad_rooms": active_check.bad},
        "again": {"rooms_checked": again_check.rooms, "bad_rooms": again_check.bad},
        "server": {
            "rss_kib_start": rss_start, "rss_kib_all_running": rss_all_running,
            "rss_kib_all_stopped": rss_all_stopped, "rss_kib_active": rss_active,
            "bytes_per_running_room": round1((rss_all_running as f64 - rss_all_stopped as f64) * 1024.0 / rooms_f),
            "bytes_per_stopped_room": round1((rss_all_stopped as f64 - rss_start as f64) * 1024.0 / rooms_f),
        },
        "problems": problems.iter().take(5).collect::<Vec<_>>(), "problem_count": problems.len(),
    });
    Ok((params, Outcome { json, ok }))
}

/// Connections `c` of `conns` joining the active rooms, `members` connections per room
/// (join `j` of room `k` = `k * members + j` goes to connection `j mod conns`), each
/// sending `sends(its rooms)` messages round robin over its rooms at `rate / conns` per
/// second, with `client_id`s tagged `tag`.
#[allow(clippy::too_many_arguments)]
fn active_scripts(
    nodes: &Nodes,
    tokens: &[String],
    active: &[String],
    members: u32,
    conns: u32,
    after: impl Fn(&str) -> Option<i64>,
    tag: &'static str,
    sends: impl Fn(usize) -> usize,
    rate: f64,
) -> Vec<Script> {
    let mut joins: Vec<Vec<(String, Option<i64>)>> = vec![Vec::new(); conns as usize];
    for (k, room) in active.iter().enumerate() {
        for m in 0..members as usize {
            joins[(k * members as usize + m) % conns as usize].push((room.clone(), after(room)));
        }
    }
    joins
        .into_iter()
        .enumerate()
        .filter(|(_, j)| !j.is_empty())
        .map(|(c, joins)| Script {
            url: nodes.ws_url(c, &tokens[c % tokens.len()]),
            sends: (0..sends(joins.len())).map(|n| joins[n % joins.len()].0.clone()).collect(),
            joins,
            gap: Duration::from_secs_f64(conns as f64 / rate.max(1.0)),
            conn: c as u32,
            tag,
        })
        .collect()
}

fn planned_sends(scripts: &[Script]) -> HashMap<String, u64> {
    let mut planned = HashMap::new();
    for room in scripts.iter().flat_map(|s| &s.sends) {
        *planned.entry(room.clone()).or_default() += 1;
    }
    planned
}

/// Connections running their scripts.
struct Phase {
    tasks: Vec<tokio::task::JoinHandle<Result<Seen>>>,
    go: watch::Sender<bool>,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
}

impl Phase {
    /// Opens every connection (64 at a time) and waits until all joins are answered.
    async fn start(scripts: Vec<Script>) -> Phase {
        let (go, go_rx) = watch::channel(false);
        let (stop, stop_rx) = watch::channel(false);
        let (joined_tx, mut joined_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let n = scripts.len();
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = Vec::with_capacity(n);
        for s in scripts {
            let (go, stop, joined, counters) =
                (go_rx.clone(), stop_rx.clone(), joined_tx.clone(), counters.clone());
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                let opening = gate.acquire_owned().await.ok();
                let ctl = Control { go, stop, joined: joined.clone(), counters, opening };
                let r = drive(s, ctl).await;
                if r.is_err() {
                    let _ = joined.send(());
                }
                r
            }));
        }
        drop(joined_tx);
        for _ in 0..n {
            if joined_rx.recv().await.is_none() {
                break;
            }
        }
        Phase { tasks, go, stop, counters }
    }

    fn go(&self) {
        let _ = self.go.send(true);
    }

    /// Waits until `acks` acks and `deliveries` messages arrived, or `secs` passed.
    async fn drain(&self, acks: u64, deliveries: u64, secs: f64) {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        while Instant::now() < deadline {
            let c = &self.counters;
            if c.acked.load(Ordering::Relaxed) >= acks && c.received.load(Ordering::Relaxed) >= deliveries {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the connections; what each saw (a failed connection as its error).
    async fn finish(self) -> Vec<Seen> {
        let _ = self.stop.send(true);
        join_all(self.tasks)
            .await
            .into_iter()
            .map(|r| match r {
                Ok(Ok(seen)) => seen,
                Ok(Err(e)) => Seen { errors: vec![format!("connection: {e:#}")], ..Seen::default() },
                Err(e) => Seen { errors: vec![format!("connection task: {e}")], ..Seen::default() },
            })
            .collect()
    }
}

struct Check {
    rooms: usize,
    bad: usize,
    problems: Vec<String>,
}

/// Every room of `planned`: its acks are exactly the seqs `sent_before + 1 ..` (one per
/// planned send), and each of its `members` connections saw every seq after
/// `seen_after` up to the last ack once, in order.
fn check(
    seen: &[Seen],
    planned: &HashMap<String, u64>,
    members: u32,
    seen_after: impl Fn(&str) -> i64,
    sent_before: impl Fn(&str) -> i64,
) -> Check {
    let mut acks: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut lists: HashMap<&str, Vec<&Vec<i64>>> = HashMap::new();
    for s in seen {
        for (room, a) in &s.acks {
            acks.entry(room).or_default().extend(a);
        }
        for (room, m) in &s.messages {
            lists.entry(room).or_default().push(m);
        }
    }
    let mut out = Check { rooms: planned.len(), bad: 0, problems: Vec::new() };
    for (room, &n) in planned {
        let first = sent_before(room) + 1;
        let want_acks: Vec<i64> = (first..first + n as i64).collect();
        let mut got = acks.remove(room.as_str()).unwrap_or_default();
        got.sort_unstable();
        let want: Vec<i64> = (seen_after(room) + 1..first + n as i64).collect();
        let members_seen = lists.get(room.as_str()).map_or(&[][..], |l| &l[..]);
        let problem = if got != want_acks {
            Some(format!("{room}: acks {got:?}, expected {want_acks:?}"))
        } else if members_seen.len() != members as usize {
            Some(format!("{room}: {} members received messages, expected {members}", members_seen.len()))
        } else {
            members_seen
                .iter()
                .find(|l| ***l != want)
                .map(|l| format!("{room}: a member received {l:?}, expected {want:?}"))
        };
        if let Some(p) = problem {
            out.bad += 1;
            out.problems.push(p);
        }
    }
    out
}

/// Milliseconds from spawning the server to `GET /readyz` answering 200.
async fn wait_ready(nodes: &Nodes, http: &reqwest::Client) -> Result<f64> {
    let Some(spawned) = nodes.spawned_at() else { bail!("scale starts its own server (no --nodes)") };
    let url = nodes.http_url("/readyz");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http.get(&url).send().await {
            if r.status().is_success() {
                return Ok(round1(spawned.elapsed().as_secs_f64() * 1000.0));
            }
        }
        if Instant::now() > deadline {
            bail!("/readyz not 200 within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `rooms.running` of `GET /api/v1/overview`.
async fn running_rooms(nodes: &Nodes, http: &reqwest::Client) -> Result<u64> {
    let v: Value =
        http.get(nodes.http_url("/api/v1/overview")).bearer_auth(nodes.admin()).send().await?.json().await?;
    v["rooms"]["running"].as_u64().with_context(|| format!("overview without rooms.running: {v}"))
}

/// Seconds until no room actor runs (at most the idle stop plus 60 s).
async fn wait_all_stopped(nodes: &Nodes, http: &reqwest::Client, idle_stop: u64) -> Result<f64> {
    let t = Instant::now();
    let limit = Duration::from_secs(idle_stop + 60);
    while running_rooms(nodes, http).await? > 0 {
        if t.elapsed() > limit {
            bail!("room actors still running {} s after the last connection closed", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// `n` sequential `GET /api/v1/{path}`: latency percentiles in ms.
async fn time_requests(http: &reqwest::Client, nodes: &Nodes, path: &str, n: usize) -> Result<Value> {
    let url = nodes.http_url(&format!("/api/v1/{path}"));
    let mut us = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = http.get(&url).bearer_auth(nodes.admin()).send().await?;
        let status = r.status();
        r.bytes().await?;
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        us.push(t.elapsed().as_micros() as u32);
    }
    Ok(ms(percentiles(&mut us)))
}

/// `pages` pages of `GET /api/v1/rooms?sort=…&limit=50`, each after the last one's cursor.
async fn walk_rooms(http: &reqwest::Client, nodes: &Nodes, sort: &str, pages: usize) -> Result<Value> {
    let mut us = Vec::with_capacity(pages);
    let mut cursor: Option<String> = None;
    for _ in 0..pages {
        let mut req = http.get(nodes.http_url("/api/v1/rooms")).bearer_auth(nodes.admin());
        req = req.query(&[("sort", sort), ("limit", "50")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let t = Instant::now();
        let v: Value = req.send().await?.json().await?;
        us.push(t.elapsed().as_micros() as u32);
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    Ok(ms(percentiles(&mut us)))
}

/// Percentiles in µs → ms (one decimal).
fn ms(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for (k, x) in m.iter_mut() {
            if k != "n" {
                if let Some(us) = x.as_f64() {
                    *x = json!(round1(us / 1000.0));
                }
            }
        }
    }
    v
}
