//! `connect`: `--concurrency` connectors (default 16) open a connection, wait for
//! `hello`, join a room (rooms of `--members`, default 10) and close it, again and again
//! for `--duration` seconds (default 5). With `--keep` the connections stay open until the
//! end instead (at most `--conns`, default 9000, for the open-files limit). With
//! `--nodes`, connection i goes to node i mod n and the nodes must auto-create rooms.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use crate::conn;
use crate::nodes::Nodes;
use crate::report::percentiles;
use crate::sample::{round1, Sampler};
use crate::traffic::Outcome;
use crate::Opts;

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(serde_json::Value, Outcome)> {
    let duration = opts.duration.unwrap_or(5.0);
    let concurrency = opts.concurrency.unwrap_or(16).max(1);
    let members = opts.members.unwrap_or(10).max(1) as u64;
    let max_conns = opts.conns.unwrap_or(9000) as u64;
    let tokens = Arc::new(nodes.create_tokens(opts.users.unwrap_or(1000)).await?);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sampler = Sampler::start(&nodes.pids, &nodes.aux_pids);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(duration);
    // Every node's URL without the token: connection i goes to node i mod n.
    let urls: Arc<Vec<String>> = Arc::new((0..nodes.addrs().len()).map(|n| nodes.ws_url(n, "")).collect());
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (tokens, urls, next, failed, first_error, kept) =
            (tokens.clone(), urls.clone(), next.clone(), failed.clone(), first_error.clone(), kept.clone());
        let keep = opts.keep;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if keep && i >= max_conns {
                    break;
                }
                let url = format!("{}{}", urls[i as usize % urls.len()], tokens[i as usize % tokens.len()]);
                let t = Instant::now();
                match conn::open_joined(&url, &format!("c{}", i / members)).await {
                    Ok(mut ws) => {
                        lat.push(t.elapsed().as_micros() as u32);
                        if keep {
                            if let Ok(mut k) = kept.lock() {
                                k.push(ws);
                            }
                        } else {
                            let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                        }
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(format!("{e:#}"));
                        }
                    }
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await?);
    }
    let secs = start.elapsed().as_secs_f64();
    let sample = sampler.finish();
    let mut kept: Vec<conn::Ws> = kept.lock().map(|mut k| std::mem::take(&mut *k)).unwrap_or_default();
    let open_at_end = kept.len();
    for ws in kept.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_millis(100), ws.close(None)).await;
    }
    let opened = lat.len() as u64;
    let failed = failed.load(Ordering::Relaxed);
    let first_error = first_error.lock().ok().and_then(|e| e.clone());
    let params = json!({"duration_s": duration, "concurrency": concurrency, "members": members, "keep": opts.keep,
                        "max_conns": max_conns, "users": tokens.len()});
    let mut json = json!({
        "opened": opened, "failed": failed, "first_error": first_error, "kept_open": open_at_end,
        "connections_per_s": round1(opened as f64 / secs),
        "latency_us": percentiles(&mut lat),
        "sent": 0, "acked": 0, "expected": 0, "received": 0, "lost": 0, "duplicated": 0, "reordered": 0,
        "server": sample.server_json(),
        "client": {"cpu_pct": round1(sample.client_cpu_pct)},
    });
    sample.add_aux(&mut json);
    Ok((params, Outcome { json, ok: failed == 0 }))
}
