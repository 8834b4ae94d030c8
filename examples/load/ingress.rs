//! `ingress`: `--senders` sessions (default 100) in `--rooms` rooms (default 1; e.g. 100),
//! each keeping up to `--window` (default 64) sends unacked, as fast as acks come back.
//! The members are the senders only; acked/s and the ack latency are the figures.

use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::json;

use crate::nodes::Nodes;
use crate::traffic::{self, ConnPlan, Outcome, Pacing, Plan};
use crate::Opts;

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(serde_json::Value, Outcome)> {
    let senders = opts.senders.unwrap_or(100);
    let rooms = opts.rooms.unwrap_or(1);
    let window = opts.window.unwrap_or(64);
    let duration = opts.duration.unwrap_or(5.0);
    if rooms == 0 || rooms > senders {
        bail!("--rooms must be between 1 and --senders");
    }
    // Sender i is in room i mod rooms; the first `senders % rooms` rooms have one more.
    let size = |r: u32| senders / rooms + u32::from(r < senders % rooms);
    let tokens = nodes.create_tokens(opts.users.unwrap_or(senders as usize).min(senders as usize)).await?;
    let conns = (0..senders)
        .map(|i| ConnPlan { room: format!("in{}", i % rooms), room_size: size(i % rooms), sends: true })
        .collect();
    let plan = Plan {
        conns,
        pacing: Pacing::Pipeline { window },
        warmup: Duration::from_secs_f64(opts.warmup),
        duration: Duration::from_secs_f64(duration),
        drain: Duration::from_secs_f64(opts.drain),
        open_concurrency: opts.concurrency.unwrap_or(32),
    };
    traffic::validate(&plan)?;
    let params = json!({"senders": senders, "rooms": rooms, "window": window, "duration_s": duration,
                        "warmup_s": opts.warmup, "users": tokens.len()});
    Ok((params, traffic::run(nodes, &tokens, plan).await?))
}
