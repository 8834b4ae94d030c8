//! Crash-to-recovery time of a room: how long from a panic inside a room's handler to
//! the restarted room handling its next message (the reload from the store included).
//! In-process, SQLite in a temp dir, panic hook silenced (the server's hook writes one
//! log line per panic). Run: `cargo bench --bench restart` (prints medians; no asserts).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use roomd::actors::registry::{GetRoom, RoomRegistry};
use roomd::actors::room::{Crash, GetStats, RoomDeps};
use roomd::actors::store_writers::StoreWriters;
use roomd::config::Settings;
use roomd::model::{now_ms, RoomId};
use roomd::store::rooms::RoomRow;
use roomd::store::Store;

const ROUNDS: usize = 2000;

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(&format!("sqlite://{}/bench.db", dir.path().display()), 4, Duration::from_secs(5))
            .expect("store");
    let now = now_ms();
    let row = RoomRow {
        id: "bench".into(),
        name: "bench".into(),
        tags: "[]".into(),
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    store.run_blocking(|c| row.insert(c)).expect("room row");

    let mut cfg = Settings::load(None).expect("settings");
    cfg.debug.fault_injection = true;
    // Every crash is the first of its window: no backoff, never quarantined.
    cfg.supervisor.window_secs = 0;
    cfg.supervisor.max_restarts = u32::MAX;
    let cfg = Arc::new(cfg);
    let log = slog::Logger::root(slog::Discard, slog::o!());

    actix_rt::System::new().block_on(async move {
        let writer_arbiter = Arbiter::new();
        let (writers, writes) = StoreWriters::start(&[writer_arbiter.handle()], store.clone(), &cfg, &log);
        let arbiter = Arbiter::new();
        let registry = RoomRegistry::start(vec![arbiter.handle()], Default::default(), &cfg.metrics, {
            let (store, cfg, log) = (store.clone(), cfg.clone(), log.clone());
            let feed = Arc::new(roomd::actors::room_feed::RoomFeedHub::default());
            move |registry| RoomDeps { store, writers, writes, registry, cfg, log, cluster: None, feed }
        });
        let room = registry.send(GetRoom(RoomId::parse("bench").expect("id"))).await.expect("room");
        room.send(GetStats).await.expect("loaded");

        let mut samples = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            room.do_send(Crash);
            room.send(GetStats).await.expect("room answers after restart");
            samples.push(t.elapsed());
        }
        let stats = room.send(GetStats).await.expect("stats");
        assert_eq!(stats.restarts as usize, ROUNDS, "every crash restarted the room");
        samples.sort();
        let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6;
        println!(
            "{{\"bench\":\"room_crash_to_next_message\",\"rounds\":{ROUNDS},\"p50_us\":{:.1},\"p90_us\":{:.1},\"p99_us\":{:.1},\"max_us\":{:.1}}}",
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0)
        );
        arbiter.stop();
        System::current().stop();
    });
}
