//! Everything fcrscan prints to a terminal: the progress bar, messages, the summary. Text from
//! transcripts and file names is escaped before it reaches a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use fcrscan::pipeline::Progress;

/// Progress on stderr fed from the pipeline's atomic counters: a bar on a terminal, a line every
/// [`LOG_EVERY`] when stderr is a log (a Kubernetes pod, `2>>scan.log`), nothing with
/// `--quiet`.
pub struct ProgressView {
    mode: Mode,
}

enum Mode {
    Off,
    Bar(ProgressBar),
    /// Seconds since `started` at which the next line is due.
    Log {
        started: Instant,
        next_s: AtomicU64,
    },
}

/// How often progress is logged when stderr is not a terminal: often enough that a long night
/// in a pod's log shows it moving, rarely enough that a short run prints nothing extra.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

impl ProgressView {
    /// Starts showing progress.
    pub fn start(quiet: bool) -> ProgressView {
        if quiet {
            return ProgressView { mode: Mode::Off };
        }
        if !std::io::stderr().is_terminal() {
            return ProgressView {
                mode: Mode::Log {
                    started: Instant::now(),
                    next_s: AtomicU64::new(LOG_EVERY.as_secs()),
                },
            };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        ProgressView {
            mode: Mode::Bar(bar),
        }
    }

    /// Updates from the counters (called from a ticker thread).
    pub fn update(&self, progress: &Progress) {
        let (bytes, total, calls) = (
            progress.bytes.load(Ordering::Relaxed),
            progress.total_bytes.load(Ordering::Relaxed),
            progress.calls.load(Ordering::Relaxed),
        );
        match &self.mode {
            Mode::Off => {}
            Mode::Bar(bar) => {
                bar.set_length(total);
                bar.set_position(bytes);
                bar.set_message(format!("{calls} calls"));
            }
            Mode::Log { started, next_s } => {
                let elapsed = started.elapsed().as_secs_f64();
                let due = next_s.load(Ordering::Relaxed);
                if elapsed >= due as f64 {
                    next_s.store(due + LOG_EVERY.as_secs(), Ordering::Relaxed);
                    eprintln!("{}", progress_line(bytes, total, calls, elapsed));
                }
            }
        }
    }

    /// Whether progress is shown at all.
    pub fn is_shown(&self) -> bool {
        !matches!(self.mode, Mode::Off)
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}

/// One logged progress line: `fcrscan: scanning: 12.3 of 40.1 GB (31%), 812000 calls, 205 MB/s,
/// 60 s`.
fn progress_line(bytes: u64, total: u64, calls: u64, elapsed_s: f64) -> String {
    let (scale, unit) = if total >= 1_000_000_000 {
        (1e9, "GB")
    } else {
        (1e6, "MB")
    };
    let percent = bytes.saturating_mul(100).checked_div(total).unwrap_or(0);
    format!(
        "fcrscan: scanning: {:.1} of {:.1} {unit} ({percent}%), {calls} calls, {:.0} MB/s, {:.0} s",
        bytes as f64 / scale,
        total as f64 / scale,
        bytes as f64 / 1e6 / elapsed_s.max(1e-3),
        elapsed_s
    )
}

/// How often the bar is refreshed.
pub const TICK: Duration = Duration::from_millis(200);

/// Replaces control and bidirectional-override characters so untrusted text cannot move the
/// cursor or reorder what a terminal shows.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Parses a path argument, refusing a URL (`s3://bucket/night/`, `gs://…`, `https://…`):
/// fcrscan reads and writes local paths, and `--out s3://bucket/fcr` would otherwise write a
/// local directory named `s3:` and exit 0, leaving nothing in the bucket.
pub fn local_path(value: &str) -> Result<std::path::PathBuf, String> {
    let scheme = value.split_once("://").map(|(scheme, _)| scheme);
    if scheme.is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    }) {
        return Err(
            "fcrscan reads and writes local paths, not URLs: copy the transcripts from object \
             storage first (aws s3 sync, gcloud storage rsync, azcopy) or mount it, and sync the \
             output directory back after the run"
                .to_string(),
        );
    }
    Ok(std::path::PathBuf::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_progress_line_says_how_far_and_how_fast() {
        assert_eq!(
            progress_line(12_300_000_000, 40_100_000_000, 812_000, 60.0),
            "fcrscan: scanning: 12.3 of 40.1 GB (30%), 812000 calls, 205 MB/s, 60 s"
        );
        assert_eq!(
            progress_line(250_000_000, 800_000_000, 9_000, 120.0),
            "fcrscan: scanning: 250.0 of 800.0 MB (31%), 9000 calls, 2 MB/s, 120 s"
        );
        assert_eq!(
            progress_line(0, 0, 0, 0.0),
            "fcrscan: scanning: 0.0 of 0.0 MB (0%), 0 calls, 0 MB/s, 0 s"
        );
    }

    #[test]
    fn control_and_bidi_characters_are_neutralised() {
        assert_eq!(sanitize("a\u{1b}[31mb\u{202E}c"), "a\u{FFFD}[31mb\u{FFFD}c");
        assert_eq!(sanitize("日本語 ok"), "日本語 ok");
    }
}
