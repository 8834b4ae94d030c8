//! The store writer's commit: `append_batch` inside `write_txn`, for batches of 1, 100
//! and 1000 messages, with and without client ids (with them, every batch first looks
//! its client ids up for dedupe). One transaction per batch, as the group-commit writer
//! does; the per-room seq cache is kept across batches, as the writer keeps it.
//!
//! SQLite in a temp dir always; PostgreSQL too when `ROOMD_BENCH_DATABASE_URL` is set
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`), in a fresh schema `b_<hex>` that
//! is dropped at the end. Reported as rows/s (`Throughput::Elements`). Before measuring,
//! each backend gets 20k rows and an `ANALYZE` (see [`seed`]).
//! Run: `ROOMD_BENCH_DATABASE_URL=… cargo bench --bench store`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use roomd::model::now_ms;
use roomd::store::conn::write_txn;
use roomd::store::messages::{append_batch, existing_client_ids, AppendOutcome, NewMessage};
use roomd::store::rooms::RoomRow;
use roomd::store::{Store, StoreError};

const PG_ENV: &str = "ROOMD_BENCH_DATABASE_URL";
const BATCHES: [usize; 3] = [1, 100, 1000];
/// `rooms.dedupe_secs` default, in ms.
const DEDUPE_MS: i64 = 300_000;

/// Client ids unique across the whole run, so the dedupe lookup finds nothing (the
/// common case) but still has to search the index. The counter is scrambled (an odd
/// multiplier is a bijection on u64) so ids land all over the index, as independent
/// clients' ids do, rather than always at its right edge.
static NEXT_CLIENT_ID: AtomicU64 = AtomicU64::new(0);

fn next_client_id() -> String {
    format!("c-{:016x}", NEXT_CLIENT_ID.fetch_add(1, Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Rows with client ids written before measuring, then `ANALYZE`, so the planner has
/// statistics (see `seed`).
const SEED_ROWS: usize = 20_000;

fn batch(room: &str, n: usize, client_ids: bool) -> Vec<NewMessage> {
    let ts = now_ms();
    (0..n)
        .map(|i| NewMessage {
            room_id: room.to_string(),
            sender_id: format!("u_{:04}", i % 50),
            sender_name: "Bench User".into(),
            sender_kind: "user".into(),
            text: "Hello everyone, the deploy went fine; see the notes for details".into(),
            client_id: client_ids.then(next_client_id),
            reply_to: None,
            ts,
            announcement: false,
        })
        .collect()
}

fn add_room(store: &Store, id: &str) {
    let now = now_ms();
    let row = RoomRow {
        id: id.into(),
        name: id.into(),
        tags: "[]".into(),
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    store.run_blocking(|c| row.insert(c)).expect("room row");
}

/// Fills the table a little and gathers statistics. Without this, PostgreSQL plans
/// the dedupe lookup's prepared statement while the table is new and empty, keeps that
/// (sequential-scan) generic plan as the table grows, and the lookup's cost grows with
/// the table: a fresh-database artefact, measured separately with `ROOMD_BENCH_NO_ANALYZE=1`.
fn seed(store: &Store) {
    add_room(store, "seed");
    store
        .run_blocking(|conn| {
            let mut last_seqs = HashMap::new();
            for _ in 0..SEED_ROWS / 1000 {
                let msgs = batch("seed", 1000, true);
                write_txn(conn, |conn| append_batch(conn, &msgs, &mut last_seqs, DEDUPE_MS, now_ms()))?;
            }
            if std::env::var_os("ROOMD_BENCH_NO_ANALYZE").is_none() {
                conn.batch_execute("ANALYZE messages")?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("seed");
}

fn bench_backend(c: &mut Criterion, backend: &str, store: &Store) {
    seed(store);
    let mut g = c.benchmark_group(format!("store/append_batch/{backend}"));
    for client_ids in [false, true] {
        let variant = if client_ids { "client_ids" } else { "no_client_ids" };
        for n in BATCHES {
            let room = format!("r_{variant}_{n}");
            add_room(store, &room);
            let mut last_seqs: HashMap<String, i64> = HashMap::new();
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(BenchmarkId::new(variant, n), |b| {
                b.iter_custom(|iters| {
                    let batches: Vec<Vec<NewMessage>> =
                        (0..iters).map(|_| batch(&room, n, client_ids)).collect();
                    store
                        .run_blocking(|conn| {
                            let start = Instant::now();
                            for msgs in &batches {
                                let mut cache = last_seqs.clone();
                                let out = write_txn(conn, |conn| {
                                    append_batch(conn, msgs, &mut cache, DEDUPE_MS, now_ms())
                                })?;
                                debug_assert!(out.iter().all(|o| matches!(o, AppendOutcome::Stored(_))));
                                last_seqs = cache;
                            }
                            Ok::<_, StoreError>(start.elapsed())
                        })
                        .expect("append")
                })
            });
        }
    }
    // The dedupe lookup alone (no transaction, nothing written), for the same batch
    // sizes: what `client_ids` costs on top of `no_client_ids`, minus index upkeep.
    for n in BATCHES {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("dedupe_lookup_only", n), |b| {
            b.iter_custom(|iters| {
                let batches: Vec<Vec<NewMessage>> = (0..iters).map(|_| batch("seed", n, true)).collect();
                store
                    .run_blocking(|conn| {
                        let start = Instant::now();
                        for msgs in &batches {
                            let found = existing_client_ids(conn, msgs)?;
                            debug_assert!(found.is_empty());
                        }
                        Ok::<_, StoreError>(start.elapsed())
                    })
                    .expect("lookup")
            })
        });
    }
    g.finish();
}

/// A fresh schema in the database at `base`, dropped on drop.
struct PgSchema {
    base: String,
    schema: String,
}

impl PgSchema {
    fn create(base: &str) -> Self {
        let schema = format!("b_{:016x}", rand::random::<u64>());
        let mut conn = PgConnection::establish(base).unwrap_or_else(|e| panic!("{PG_ENV}={base}: {e}"));
        diesel::sql_query(format!("CREATE SCHEMA {schema}")).execute(&mut conn).expect("create schema");
        Self { base: base.to_string(), schema }
    }

    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.base, self.schema)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.base) {
            let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
                .execute(&mut conn);
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();

    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite =
        Store::open(&format!("sqlite://{}/bench.db", dir.path().display()), 2, Duration::from_secs(5))
            .expect("sqlite store");
    bench_backend(&mut c, "sqlite", &sqlite);
    drop(sqlite);

    match std::env::var(PG_ENV) {
        Ok(base) if !base.trim().is_empty() => {
            let schema = PgSchema::create(base.trim());
            {
                let pg = Store::open(&schema.url(), 2, Duration::from_secs(5)).expect("postgres store");
                bench_backend(&mut c, "postgres", &pg);
            }
            drop(schema);
        }
        _ => eprintln!("{PG_ENV} not set: PostgreSQL skipped"),
    }
    c.final_summary();
}
