//! Crash drill: crashes one room at a steady rate through the admin API, to watch the
//! rest of the system not notice (docs/PERFORMANCE.md). Needs a server started with
//! `ROOMD__DEBUG__FAULT_INJECTION=true` (and a high `ROOMD__SUPERVISOR__MAX_RESTARTS`
//! unless you want to see the quarantine).
//!
//! cargo run --release --example crash_drill -- http://127.0.0.1:8080 ADMIN_TOKEN ROOM [PER_SEC] [SECS]

use std::time::{Duration, Instant};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: crash_drill BASE_URL ADMIN_TOKEN ROOM [PER_SEC=100] [SECS=10]");
        std::process::exit(2);
    }
    let (base, token, room) = (&args[1], &args[2], &args[3]);
    let per_sec: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(100).max(1);
    let secs: u64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(10);
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/rooms/{room}/crash");
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_sec));
    let (started, mut ok, mut failed) = (Instant::now(), 0u64, 0u64);
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        match client.post(&url).bearer_auth(token).send().await {
            Ok(r) if r.status().as_u16() == 202 => ok += 1,
            _ => failed += 1,
        }
    }
    println!("{{\"crashes\":{ok},\"failed\":{failed},\"secs\":{:.1}}}", started.elapsed().as_secs_f64());
}
