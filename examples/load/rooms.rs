//! `rooms`: `--rooms` rooms (default 100) × `--members` sessions (default 10); every
//! connection sends, open loop, at `--rate` msg/s in total (default 1000), each with at
//! most `--window` (default 1000) sends unacked. Connection i is in room i mod rooms.

use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::json;

use crate::nodes::Nodes;
use crate::traffic::{self, ConnPlan, Outcome, Pacing, Plan};
use crate::Opts;

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(serde_json::Value, Outcome)> {
    let rooms = opts.rooms.unwrap_or(100);
    let members = opts.members.unwrap_or(10);
    let rate = opts.rate.unwrap_or(1000.0);
    let window = opts.window.unwrap_or(1000);
    let duration = opts.duration.unwrap_or(5.0);
    if rate <= 0.0 {
        bail!("--rate must be > 0 for rooms");
    }
    let n = (rooms * members) as usize;
    let tokens = nodes.create_tokens(opts.users.unwrap_or(n).min(n)).await?;
    let conns = (0..rooms * members)
        .map(|i| ConnPlan { room: format!("r{}", i % rooms), room_size: members, sends: true })
        .collect();
    let plan = Plan {
        conns,
        pacing: Pacing::Rate { rate, max_unacked: window },
        warmup: Duration::from_secs_f64(opts.warmup),
        duration: Duration::from_secs_f64(duration),
        drain: Duration::from_secs_f64(opts.drain),
        open_concurrency: opts.concurrency.unwrap_or(32),
    };
    traffic::validate(&plan)?;
    let params = json!({"rooms": rooms, "members": members, "senders": n, "rate": rate, "window": window,
                        "duration_s": duration, "warmup_s": opts.warmup, "users": tokens.len()});
    Ok((params, traffic::run(nodes, &tokens, plan).await?))
}
