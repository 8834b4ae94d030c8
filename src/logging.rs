//! The root slog logger: JSON lines (or pretty text) on stdout, through an async drain
//! so actors never wait on the terminal. Every level is compiled in (slog features in
//! Cargo.toml), in release builds too; `log.level` is the only filter.

use std::time::{Duration, Instant};

use slog::{o, Drain, Level, Logger};

use crate::config::{LogConfig, LogFormat, LogLevel};

/// Keep this alive for the life of the process: dropping it flushes the log.
pub type LogGuard = slog_async::AsyncGuard;

/// Builds the root logger described by `[log]`.
pub fn init(cfg: &LogConfig) -> (Logger, LogGuard) {
    let level = match cfg.level {
        LogLevel::Debug => Level::Debug,
        LogLevel::Info => Level::Info,
        LogLevel::Warning => Level::Warning,
        LogLevel::Error => Level::Error,
    };
    let (drain, guard) = match cfg.format {
        LogFormat::Json => {
            let json =
                slog_json::Json::new(std::io::stdout()).add_default_keys().set_newlines(true).build().fuse();
            async_drain(json)
        }
        LogFormat::Pretty => {
            let term =
                slog_term::FullFormat::new(slog_term::PlainDecorator::new(std::io::stdout())).build().fuse();
            async_drain(term)
        }
    };
    let drain = slog::LevelFilter::new(drain, level).fuse();
    (Logger::root(drain, o!("app" => "roomd")), guard)
}

fn async_drain<D>(d: D) -> (slog::Fuse<slog_async::Async>, LogGuard)
where
    D: Drain<Ok = (), Err = slog::Never> + Send + 'static,
{
    let (drain, guard) = slog_async::Async::new(d)
        .chan_size(8192)
        .overflow_strategy(slog_async::OverflowStrategy::DropAndReport)
        .build_with_guard();
    (drain.fuse(), guard)
}

/// Lets one log line through per period and counts the ones held back: for a failure
/// that repeats once per request while something is down (a cluster call per refused
/// send during a NATS outage), where a line each would flood the log.
#[derive(Debug, Default)]
pub struct Throttle {
    last: Option<Instant>,
    held_back: u64,
}

impl Throttle {
    /// How often a throttled line gets through.
    pub const EVERY: Duration = Duration::from_secs(5);

    /// `Some(n)`: log now and say that `n` like lines were held back since the last
    /// one; `None`: hold this one back.
    pub fn pass(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < Self::EVERY) {
            self.held_back += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held_back))
    }
}

#[cfg(test)]
mod tests {
    use super::Throttle;

    /// slog drops records above its compile-time ceiling before any drain sees them
    /// (by default debug and trace in release builds); Cargo.toml lifts it in every
    /// profile, so `log.level` alone decides. Run in release too
    /// (`cargo test --release --lib logging`) to check that profile's ceiling.
    #[test]
    fn every_level_is_compiled_in() {
        assert_eq!(slog::__slog_static_max_level(), slog::FilterLevel::Trace);
    }

    #[test]
    fn a_throttle_passes_the_first_line_and_counts_the_rest_of_the_period() {
        let mut t = Throttle::default();
        assert_eq!(t.pass(), Some(0));
        assert_eq!((t.pass(), t.pass()), (None, None));
        t.last = t.last.map(|at| at - Throttle::EVERY);
        assert_eq!(t.pass(), Some(2));
        assert_eq!(t.pass(), None);
    }
}
