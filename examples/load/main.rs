//! Load scenario runner for roomd (issue 7, docs/LOAD.md).
//!
//! `cargo run --release --example load -- <fanout|rooms|ingress|idle|connect|scale> [options]`
//!
//! Starts `target/release/roomd serve` in a temp directory (its own SQLite, or
//! `--database-url`), makes user tokens through the admin API, drives the server over
//! real WebSockets on loopback, stops it, and prints one JSON line on stdout. With
//! `--nodes a:p,b:q,…` it starts nothing and spreads the connections round robin over
//! those already-running nodes (a cluster). Exits 1 if a message was lost, duplicated
//! or reordered (or a connection failed), 2 on an error that stopped the run.
//!
//! Files: `server.rs` the server process; `nodes.rs` the nodes under test (that
//! server or `--nodes`), tokens, rooms and URLs; `sample.rs` /proc sampling; `conn.rs`
//! one protocol connection and the message marker; `traffic.rs` the send/receive engine
//! of the message scenarios; `report.rs` counters and percentiles; one file per scenario
//! (`scale` with `scale_store.rs`, its store, and `scale_conn.rs`, its connections).

mod conn;
mod connect;
mod fanout;
mod idle;
mod ingress;
mod nodes;
mod report;
mod rooms;
mod sample;
mod scale;
mod scale_conn;
mod scale_store;
mod server;
mod traffic;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};

use nodes::Nodes;
use server::{Server, ServerOpts};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Scenario {
    /// 1 room × --members (1000), one sender, --window (64) undelivered messages.
    Fanout,
    /// --rooms (100) × --members (10), everyone sends, --rate (1000) msg/s in total.
    Rooms,
    /// --senders (100) in --rooms (1), each pipelining --window (64) unacked sends.
    Ingress,
    /// --conns (9000) idle connections in rooms of --members (10), held --hold (10) s.
    Idle,
    /// open + join (+ close) with --concurrency (16) connectors for --duration (5) s.
    Connect,
    /// --rooms (100,000) in the store, --active (10,000) of them × --members (2) sending
    /// --rate (2000) msg/s; start-up, RSS per room, idle stop and restart, admin lists.
    Scale,
}

/// Options; those without a default take the scenario's (see `Scenario`).
#[derive(Parser, Debug)]
#[command(about = "roomd load scenarios; prints one JSON line per run")]
pub struct Opts {
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// Sessions per room.
    #[arg(long)]
    pub members: Option<u32>,
    /// Number of rooms (rooms, ingress).
    #[arg(long)]
    pub rooms: Option<u32>,
    /// Sending connections (ingress).
    #[arg(long)]
    pub senders: Option<u32>,
    /// Connections (idle; connect --keep cap).
    #[arg(long)]
    pub conns: Option<u32>,
    /// fanout: undelivered messages; ingress: unacked sends per sender; rooms: unacked cap per sender.
    #[arg(long)]
    pub window: Option<u32>,
    /// Total send rate, msg/s (rooms).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Measured seconds (after the warmup).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Seconds of sending before the measured window.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Most seconds to wait after sending for outstanding acks and deliveries.
    #[arg(long, default_value_t = 10.0)]
    pub drain: f64,
    /// Seconds to hold the connections (idle).
    #[arg(long)]
    pub hold: Option<f64>,
    /// Connections opened at once (connectors for `connect`).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// connect: keep the connections open instead of closing each after its join.
    #[arg(long)]
    pub keep: bool,
    /// Distinct user tokens (connection i uses token i mod users). Default: one per
    /// connection for fanout/rooms/ingress, 1000 for idle/connect.
    #[arg(long)]
    pub users: Option<usize>,
    #[arg(long, default_value = "target/release/roomd")]
    pub server_bin: PathBuf,
    /// postgres://… instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Admin token of an existing database (a fresh one prints its own).
    #[arg(long)]
    pub admin_token: Option<String>,
    /// Extra server setting NAME=VALUE (e.g. ROOMD__STORE__BATCH_MAX_ROWS=500); repeatable.
    #[arg(long = "server-env")]
    pub server_env: Vec<String>,
    /// Drive these already-running nodes (host:port, comma-separated) instead of starting
    /// a server: connection i goes to node i mod n; tokens and rooms are made through the
    /// first node's admin API. Needs --admin-token.
    #[arg(long, value_delimiter = ',')]
    pub nodes: Vec<String>,
    /// With --nodes: the nodes' process ids, sampled for the server figures (summed, and
    /// per node); comma-separated or repeated. Without them no server figures.
    #[arg(long = "server-pid", value_delimiter = ',')]
    pub server_pids: Vec<u32>,
    /// Other processes to sample for CPU over the measured window (e.g. nats-server,
    /// postgres), reported summed as `aux.cpu_pct`; comma-separated or repeated.
    #[arg(long = "aux-pid", value_delimiter = ',')]
    pub aux_pids: Vec<u32>,
    /// scale: rooms with traffic (every rooms/active-th room).
    #[arg(long, default_value_t = 10_000)]
    pub active: u32,
    /// scale: messages stored in each active room before the start.
    #[arg(long, default_value_t = 5)]
    pub history: u32,
    /// scale: the server's rooms.idle_stop_secs.
    #[arg(long, default_value_t = 5)]
    pub idle_stop: u64,
    /// scale: connections that join every room between them.
    #[arg(long, default_value_t = 1000)]
    pub touch_conns: u32,
    /// scale: timed requests of each admin list (`actors?top=20`).
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// scale: pages of the room list walked per sort.
    #[arg(long, default_value_t = 100)]
    pub pages: usize,
}

fn main() {
    let opts = Opts::parse();
    match run(&opts) {
        Ok(ok) => std::process::exit(if ok { 0 } else { 1 }),
        Err(e) => {
            eprintln!("load: {e:#}");
            std::process::exit(2);
        }
    }
}

/// Runs one scenario and prints its JSON line; Ok(false) when a check failed.
fn run(opts: &Opts) -> Result<bool> {
    let mut extra_env = Vec::new();
    for kv in &opts.server_env {
        let Some((k, v)) = kv.split_once('=') else { bail!("--server-env wants NAME=VALUE, got {kv}") };
        extra_env.push((k.to_string(), v.to_string()));
    }
    let nodes = if opts.nodes.is_empty() {
        if !opts.server_pids.is_empty() {
            bail!("--server-pid goes with --nodes (the runner samples the server it starts itself)");
        }
        let store_file = match opts.scenario {
            Scenario::Scale => {
                let dir = tempfile::tempdir().context("temp directory for the store file")?;
                let path = dir.path().join("scale.jsonl");
                scale::fill(opts).write(&path)?;
                extra_env.push(("ROOMD__ROOMS__IDLE_STOP_SECS".into(), opts.idle_stop.to_string()));
                // Freed pages go back to the system at once, so RSS follows what is in use
                // (jemalloc keeps them ~10 s by default): the per-room figures need that.
                extra_env.push(("_RJEM_MALLOC_CONF".into(), "dirty_decay_ms:0,muzzy_decay_ms:0".into()));
                Some((dir, path))
            }
            _ => None,
        };
        let server = Server::start(&ServerOpts {
            bin: &opts.server_bin,
            database_url: opts.database_url.as_deref(),
            admin_token: opts.admin_token.as_deref(),
            extra_env: &extra_env,
            import: store_file.as_ref().map(|(_, p)| p.as_path()),
        })?;
        drop(store_file);
        Nodes::started(server, opts.aux_pids.clone())
    } else {
        if opts.database_url.is_some() || !extra_env.is_empty() {
            bail!("--database-url and --server-env configure the server the runner starts, not --nodes");
        }
        let Some(admin) = opts.admin_token.clone() else { bail!("--nodes needs --admin-token") };
        Nodes::attach(&opts.nodes, admin, opts.server_pids.clone(), opts.aux_pids.clone())?
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?;
    let result = rt.block_on(async {
        match opts.scenario {
            Scenario::Fanout => fanout::run(opts, &nodes).await,
            Scenario::Rooms => rooms::run(opts, &nodes).await,
            Scenario::Ingress => ingress::run(opts, &nodes).await,
            Scenario::Idle => idle::run(opts, &nodes).await,
            Scenario::Connect => connect::run(opts, &nodes).await,
            Scenario::Scale => scale::run(opts, &nodes).await,
        }
    });
    drop(rt);
    let node_addrs = (!opts.nodes.is_empty()).then(|| nodes.addrs().to_vec());
    nodes.stop();
    let (params, outcome) = result?;
    let database = match (&opts.database_url, &node_addrs) {
        (_, Some(_)) => "external".to_string(),
        (Some(url), None) => url.split(':').next().unwrap_or("?").to_string(),
        (None, None) => "sqlite".to_string(),
    };
    // serde_json sorts object keys; put the identifying ones first by hand.
    let mut line = format!(
        r#"{{"scenario":{},"parameters":{},"database":{},"ok":{}"#,
        json!(format!("{:?}", opts.scenario).to_lowercase()),
        params,
        json!(database),
        outcome.ok
    );
    if let Some(addrs) = node_addrs {
        line.push_str(&format!(r#","nodes":{}"#, json!(addrs)));
    }
    if let Value::Object(rest) = outcome.json {
        for (k, v) in rest {
            line.push_str(&format!(",{}:{}", json!(k), v));
        }
    }
    line.push('}');
    println!("{line}");
    Ok(outcome.ok)
}
