//! `idle`: `--conns` connections (default 9000: the open-files limit of 20,000 is shared
//! by this client and the server, one descriptor each per connection, plus the server's
//! own), each joined to a room of `--members` (default 10), held `--hold` seconds
//! (default 10) while reading (pings are answered). Reports the server's RSS per
//! connection = (RSS after join − RSS before opening) / connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::conn;
use crate::nodes::Nodes;
use crate::report::percentiles;
use crate::sample::{round1, Sampler};
use crate::traffic::Outcome;
use crate::Opts;

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(serde_json::Value, Outcome)> {
    let conns = opts.conns.unwrap_or(9000);
    let members = opts.members.unwrap_or(10).max(1);
    let hold = opts.hold.unwrap_or(10.0);
    let concurrency = opts.concurrency.unwrap_or(64);
    if conns > 9000 {
        eprintln!("load: warning: {conns} connections; the open-files limit (20,000 for client and server) may be hit");
    }
    let tokens = nodes.create_tokens(opts.users.unwrap_or(1000).min(conns as usize)).await?;
    let rooms: Vec<String> = (0..conns.div_ceil(members)).map(|r| format!("idle{r}")).collect();
    nodes.create_rooms(&rooms).await?;
    let mut first_error = None::<String>;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = nodes.rss_kib();

    let (stop_tx, stop_rx) = watch::channel(false);
    let frames = Arc::new(AtomicU64::new(0));
    let opening = Instant::now();
    let results: Vec<Result<(u32, tokio::task::JoinHandle<bool>)>> = stream::iter(0..conns)
        .map(|i| {
            let url = nodes.ws_url(i as usize, &tokens[i as usize % tokens.len()]);
            let (mut stop, frames) = (stop_rx.clone(), frames.clone());
            async move {
                let t = Instant::now();
                let mut ws = conn::open_joined(&url, &format!("idle{}", i / members)).await?;
                let us = t.elapsed().as_micros() as u32;
                // Hold: read (tungstenite answers pings) until told to stop; true = still open.
                let task = tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = stop.changed() => {
                                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                                return true;
                            }
                            m = ws.next() => match m {
                                Some(Ok(_)) => { frames.fetch_add(1, Ordering::Relaxed); }
                                _ => return false,
                            },
                        }
                    }
                });
                Ok((us, task))
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let open_secs = opening.elapsed().as_secs_f64();
    let (mut lat, mut tasks, mut failed) = (Vec::new(), Vec::new(), 0u64);
    for r in results {
        match r {
            Ok((us, t)) => {
                lat.push(us);
                tasks.push(t);
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(format!("{e:#}"));
            }
        }
    }
    let opened = tasks.len() as u64;
    // Let the member_joined traffic of the join phase settle before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after_join = nodes.rss_kib();
    let sampler = Sampler::start(&nodes.pids, &nodes.aux_pids);
    tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    let sample = sampler.finish();
    let _ = stop_tx.send(true);
    let mut alive = 0u64;
    for t in tasks {
        if t.await.context("connection task")? {
            alive += 1;
        }
    }
    let per_conn = (rss_after_join as f64 - rss_before as f64) / conns.max(1) as f64;
    let ok = failed == 0 && alive == conns as u64;
    let params = json!({"conns": conns, "members": members, "hold_s": hold, "concurrency": concurrency,
                        "users": tokens.len()});
    let mut server = sample.server_json();
    if let Value::Object(m) = &mut server {
        m.insert("rss_kib_before".into(), json!(rss_before));
        m.insert("rss_kib_after_join".into(), json!(rss_after_join));
        m.insert("rss_kib_per_conn".into(), json!(round1(per_conn)));
    }
    let mut json = json!({
        "opened": opened, "failed": failed, "alive_at_end": alive, "first_error": first_error,
        "opened_per_s": round1(opened as f64 / open_secs),
        "open_join_latency_us": percentiles(&mut lat),
        "frames_received": frames.load(Ordering::Relaxed),
        "sent": 0, "acked": 0, "expected": 0, "received": 0, "lost": 0, "duplicated": 0, "reordered": 0,
        "server": server,
        "client": {"cpu_pct": round1(sample.client_cpu_pct)},
    });
    sample.add_aux(&mut json);
    Ok((params, Outcome { json, ok }))
}
