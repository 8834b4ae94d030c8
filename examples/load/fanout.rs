//! `fanout`: one room of `--members` sessions (default 1000); connection 0 sends, with at
//! most `--window` (default 64) messages not yet received by every member.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::nodes::Nodes;
use crate::traffic::{self, ConnPlan, Outcome, Pacing, Plan};
use crate::Opts;

pub async fn run(opts: &Opts, nodes: &Nodes) -> Result<(serde_json::Value, Outcome)> {
    let members = opts.members.unwrap_or(1000);
    let window = opts.window.unwrap_or(64);
    let duration = opts.duration.unwrap_or(5.0);
    let tokens = nodes.create_tokens(opts.users.unwrap_or(members as usize).min(members as usize)).await?;
    let conns =
        (0..members).map(|i| ConnPlan { room: "fanout".into(), room_size: members, sends: i == 0 }).collect();
    let plan = Plan {
        conns,
        pacing: Pacing::Fanout { window },
        warmup: Duration::from_secs_f64(opts.warmup),
        duration: Duration::from_secs_f64(duration),
        drain: Duration::from_secs_f64(opts.drain),
        open_concurrency: opts.concurrency.unwrap_or(32),
    };
    traffic::validate(&plan)?;
    let params = json!({"members": members, "senders": 1, "window": window, "duration_s": duration,
                        "warmup_s": opts.warmup, "users": tokens.len()});
    Ok((params, traffic::run(nodes, &tokens, plan).await?))
}
