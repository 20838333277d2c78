//! Everything fcrscan prints to a terminal: the progress bar, messages, the summary. Text from
//! transcripts and file names is escaped before it reaches a terminal.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use fcrscan::pipeline::Progress;

/// A progress bar on stderr fed from the pipeline's atomic counters, or nothing when stderr is
/// not a terminal or `--quiet` was given.
pub struct ProgressView {
    bar: Option<ProgressBar>,
}

impl ProgressView {
    /// Starts showing progress (if stderr is a terminal and not quiet).
    pub fn start(quiet: bool) -> ProgressView {
        if quiet || !std::io::stderr().is_terminal() {
            return ProgressView { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        ProgressView { bar: Some(bar) }
    }

    /// Updates from the counters (called from a ticker thread).
    pub fn update(&self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_length(progress.total_bytes.load(Ordering::Relaxed));
            bar.set_position(progress.bytes.load(Ordering::Relaxed));
            bar.set_message(format!("{} calls", progress.calls.load(Ordering::Relaxed)));
        }
    }

    /// Whether a bar is shown.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
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
    fn control_and_bidi_characters_are_neutralised() {
        assert_eq!(sanitize("a\u{1b}[31mb\u{202E}c"), "a\u{FFFD}[31mb\u{FFFD}c");
        assert_eq!(sanitize("日本語 ok"), "日本語 ok");
    }
}
