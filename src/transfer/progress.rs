//! Progress on stderr for export and import (`indicatif`): a bar with counts, the
//! record type being worked on and the rate. Drawn only when stderr is a terminal;
//! a redirected stderr gets the closing summary alone (printed by the caller).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over `total` units (records, or bytes of the input).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Counts records out of `total`.
    pub fn records(total: u64) -> Self {
        Self::with_style(total, "{spinner} {msg:14} [{bar:30}] {human_pos}/{human_len} records ({eta} left)")
    }

    /// Counts bytes read out of `total` (0: unknown, as for standard input).
    pub fn bytes(total: u64) -> Self {
        if total == 0 {
            return Self::with_style(0, "{spinner} {msg:14} {bytes} read ({bytes_per_sec})");
        }
        Self::with_style(
            total,
            "{spinner} {msg:14} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
    }

    fn with_style(total: u64, template: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(250));
        Self { bar }
    }

    /// Names what is being worked on (a record type).
    pub fn stage(&self, what: &'static str) {
        self.bar.set_message(what);
    }

    pub fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Removes the bar (the caller prints the summary).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
