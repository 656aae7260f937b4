//! Progress on stderr for large scans at a terminal: bytes, speed, records.
//! Silent when stderr is not a terminal, with `--quiet`, or for small inputs.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this finish before a bar would help.
const MIN_BYTES: u64 = 64 << 20;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `total` is the summed size of the inputs (0 when unknown, e.g. stdin).
    pub fn new(enabled: bool, total: u64) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() || (total != 0 && total < MIN_BYTES) {
            return Progress { bar: None };
        }
        let bar = if total > 0 { ProgressBar::new(total) } else { ProgressBar::no_length() };
        let template = if total > 0 {
            "{bytes}/{total_bytes} {binary_bytes_per_sec} {wide_bar} {msg}"
        } else {
            "{bytes} {binary_bytes_per_sec} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar: Some(bar) }
    }

    pub fn update(&self, bytes: u64, records: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
            b.set_message(format!("{records} records"));
        }
    }

    pub fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
