//! Rate-limit checks: the per-session direct governor limiter every WebSocket frame
//! goes through (`WsSession`), and the admin API's keyed limiter (`AdminLimiter`,
//! one bucket per admin token). Quotas are large so every check is allowed (the
//! common case); one rejected check is measured separately.
//! Run: `cargo bench --bench limits`.

use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use roomd::config::LimitsConfig;
use roomd::http::rate_limit::AdminLimiter;

fn limits(admin_per_sec: u32, admin_burst: u32) -> LimitsConfig {
    LimitsConfig {
        admin_per_sec,
        admin_burst,
        ..roomd::config::Settings::load(None).expect("default config").limits
    }
}

fn direct(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits/session_direct");
    let max = NonZeroU32::MAX;
    // As `WsSession::new` builds it, with a quota no benchmark can exhaust.
    let open: DefaultDirectRateLimiter = RateLimiter::direct(Quota::per_second(max).allow_burst(max));
    g.bench_function("check_allowed", |b| b.iter(|| open.check().is_ok()));
    let one = NonZeroU32::MIN;
    let shut: DefaultDirectRateLimiter = RateLimiter::direct(Quota::per_hour(one).allow_burst(one));
    let _ = shut.check();
    g.bench_function("check_rejected", |b| b.iter(|| shut.check().is_err()));
    g.finish();
}

fn keyed(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits/admin_keyed");
    let open = AdminLimiter::new(&limits(u32::MAX, u32::MAX));
    let token = "tok_3b9d2c7e5f1a4b6c";
    g.bench_function("check_allowed_1_token", |b| b.iter(|| open.check(std::hint::black_box(token)).is_ok()));
    // 1000 live admin tokens (far more than a deployment has), checked round robin.
    let tokens: Vec<String> = (0..1000).map(|i| format!("tok_{i:016x}")).collect();
    let mut i = 0;
    g.bench_function("check_allowed_1000_tokens", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            open.check(&tokens[i]).is_ok()
        })
    });
    // The 429 path builds an ApiError with Retry-After.
    let shut = AdminLimiter::new(&limits(1, 1));
    let _ = shut.check(token);
    g.bench_function("check_rejected", |b| b.iter(|| shut.check(std::hint::black_box(token)).is_err()));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = config(); targets = direct, keyed }
criterion_main!(benches);
