//! The root slog logger: JSON lines (or pretty text) on stdout, through an async drain
//! so actors never wait on the terminal. Every level is compiled in (slog features in
//! Cargo.toml), in release builds too; `log.level` is the only filter.

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

#[cfg(test)]
mod tests {
    /// slog drops records above its compile-time ceiling before any drain sees them
    /// (by default debug and trace in release builds); Cargo.toml lifts it in every
    /// profile, so `log.level` alone decides. Run in release too
    /// (`cargo test --release --lib logging`) to check that profile's ceiling.
    #[test]
    fn every_level_is_compiled_in() {
        assert_eq!(slog::__slog_static_max_level(), slog::FilterLevel::Trace);
    }
}
