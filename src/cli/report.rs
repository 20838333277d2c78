//! `fcrscan report DIR --out review.html`: the supervisor review report, one self-contained
//! HTML file built from the dataset (see docs/REPORT.md).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use fcrscan::ingest::time::{civil_from_days, days_from_civil};
use fcrscan::output::lock::ReadLock;
use fcrscan::report::review::{self, DEFAULT_LIMIT, ReportOptions};
use fcrscan::report::{Selection, html};

use super::exit::Exit;
use super::ui;

/// Write the supervisor review report: one offline HTML file.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  fcrscan report out --out review.html\n  fcrscan report /data/fcr --date 2026-11-23 --queue billing --out billing.html\n  fcrscan report out --category escalation,repeat_contact --limit 500 --out escalations.html\n  fcrscan report out --from 2026-11-01 --to 2026-11-30 --agent agt-114 --out agt-114.html"
)]
pub struct ReportArgs {
    /// Dataset directory written by `fcrscan scan --out DIR`.
    #[arg(value_name = "DIR", value_parser = ui::local_path)]
    dir: PathBuf,

    /// The HTML file to write (replaced if it exists).
    ///
    /// One self-contained file: styles, charts, script and data are inline and it fetches
    /// nothing, so it can be mailed or opened offline. About 50 KB plus the calls listed: about
    /// 1.7 KB per flagged call of twelve turns, 4 KB per call of forty (see --limit).
    #[arg(long, value_name = "FILE", value_parser = ui::local_path)]
    out: PathBuf,

    /// Only calls of this call date (YYYY-MM-DD, in the dataset's time zone); the same as
    /// --from DATE --to DATE.
    #[arg(long, value_name = "DATE", conflicts_with_all = ["from", "to"])]
    date: Option<String>,

    /// Only calls on or after this call date (YYYY-MM-DD).
    ///
    /// Dates are the call_date partitions of the dataset; only the partitions in range are read.
    /// Calls without a start time (call_date=unknown) are left out when a date bound is given.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,

    /// Only calls on or before this call date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,

    /// Only calls of this queue (repeat the option for several).
    #[arg(long, value_name = "QUEUE")]
    queue: Vec<String>,

    /// Only calls taken by this agent (repeat the option for several).
    #[arg(long, value_name = "AGENT")]
    agent: Vec<String>,

    /// Only calls in these lexicon languages (en, es, zh-Hans…; comma-separated or repeated).
    #[arg(long, value_name = "LANG", value_delimiter = ',')]
    language: Vec<String>,

    /// List only flagged calls with a counted cue of these categories.
    ///
    /// repeat_contact, escalation, sentiment_negative, sentiment_positive or a topic_* category;
    /// comma-separated or repeated. The at-a-glance section still covers every selected call.
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    category: Vec<String>,

    /// List at most N flagged calls, the most severe first; 0 lists all.
    ///
    /// The file grows with the transcripts of the calls listed: 10,000 calls of twelve turns make
    /// about 17 MB and open in about a second; of forty turns, about 40 MB and 1.3 s
    /// (docs/REPORT.md, "Size and speed").
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    limit: usize,

    /// Redact PII in everything the report shows (the default).
    ///
    /// Card numbers (Luhn-checked), e-mail addresses, phone numbers and long digit runs, written
    /// or spoken, in every script the lexicons support, are replaced by [card], [email], [phone],
    /// [number]. Customer ids are redacted the same way; call, queue and agent ids are shown.
    #[arg(long, overrides_with = "no_redact")]
    redact: bool,

    /// Show transcripts and customer ids as stored, without redaction.
    ///
    /// The file then holds PII: protect it like the transcripts themselves.
    #[arg(long, overrides_with = "redact")]
    no_redact: bool,

    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Checks a `YYYY-MM-DD` date.
fn parse_date(flag: &str, value: &str) -> anyhow::Result<String> {
    let bytes = value.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    let valid = shape && {
        let (y, m, d) = (
            value[..4].parse::<i64>().unwrap_or(0),
            value[5..7].parse::<i64>().unwrap_or(0),
            value[8..].parse::<i64>().unwrap_or(0),
        );
        (1..=12).contains(&m) && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)
    };
    anyhow::ensure!(
        valid,
        "{flag} {:?} is not a date: expected YYYY-MM-DD, for example 2026-11-23",
        ui::sanitize(value)
    );
    Ok(value.to_string())
}

/// Checks a category name against the categories the hits table holds.
fn check_category(name: &str) -> anyhow::Result<String> {
    let fixed = [
        "repeat_contact",
        "escalation",
        "sentiment_negative",
        "sentiment_positive",
    ];
    let is_topic = name.strip_prefix("topic_").is_some_and(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    });
    anyhow::ensure!(
        fixed.contains(&name) || is_topic,
        "--category {:?} is not a category: expected {} or topic_<name>",
        ui::sanitize(name),
        fixed.join(", ")
    );
    Ok(name.to_string())
}

impl ReportArgs {
    /// The validated options.
    fn options(&self) -> anyhow::Result<ReportOptions> {
        let (from, to) = match &self.date {
            Some(d) => {
                let d = parse_date("--date", d)?;
                (Some(d.clone()), Some(d))
            }
            None => (
                self.from
                    .as_deref()
                    .map(|d| parse_date("--from", d))
                    .transpose()?,
                self.to
                    .as_deref()
                    .map(|d| parse_date("--to", d))
                    .transpose()?,
            ),
        };
        if let (Some(f), Some(t)) = (&from, &to) {
            anyhow::ensure!(f <= t, "--from {f} is after --to {t}");
        }
        let categories = self
            .category
            .iter()
            .map(|c| check_category(c.trim()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(ReportOptions {
            selection: Selection {
                from,
                to,
                queues: self.queue.clone(),
                agents: self.agent.clone(),
                languages: self.language.iter().map(|l| l.trim().to_string()).collect(),
            },
            categories,
            limit: (self.limit > 0).then_some(self.limit),
            redact: self.redact || !self.no_redact,
        })
    }
}

/// Writes the page to `path` through a temporary file in the same directory, so a reader never
/// sees half a report. Returns the file's size in bytes.
fn write_atomically(path: &Path, review: &review::Review) -> anyhow::Result<u64> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("--out {} names no file", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<u64> {
        let mut file = BufWriter::new(File::create(&tmp)?);
        html::write(review, &mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    })();
    let result = written
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|size| {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("moving the report into place at {}", path.display()))?;
            Ok(size)
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Runs `fcrscan report`.
pub fn run(args: ReportArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    // A bad date or category is a usage error (exit 2), as in `scan`.
    let options = match args.options() {
        Ok(options) => options,
        Err(e) => return Ok(super::link::usage_error(&format!("{e:#}"))),
    };
    let redact = options.redact;
    // Read while no run writes: a partition being swapped in would be missing.
    let reading = ReadLock::acquire(&args.dir, || {
        eprintln!(
            "fcrscan: a run is writing to {}: waiting for it to finish",
            ui::sanitize(&args.dir.display().to_string())
        );
    });
    let review = review::build(&args.dir, options)
        .with_context(|| format!("reading the dataset in {}", args.dir.display()))?;
    drop(reading);
    let size_bytes = write_atomically(&args.out, &review)?;
    if !args.quiet {
        let calls = review.glance.total.contacts;
        if calls == 0 {
            eprintln!(
                "fcrscan: warning: no calls in {} match the selection",
                ui::sanitize(&args.dir.display().to_string())
            );
        }
        eprintln!(
            "fcrscan: wrote {} ({:.1} MB) in {:.2}s: {} calls, {} flagged, {} listed{}; PII {}.",
            ui::sanitize(&args.out.display().to_string()),
            size_bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            calls,
            review.glance.flagged,
            review.calls.len(),
            if review.fcr.is_some() {
                ", with FCR"
            } else {
                ""
            },
            if redact { "redacted" } else { "NOT redacted" },
        );
    }
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist() {
        assert_eq!(parse_date("--date", "2026-11-23").unwrap(), "2026-11-23");
        assert!(parse_date("--date", "2026-02-30").is_err());
        assert!(parse_date("--date", "2026-13-01").is_err());
        assert!(parse_date("--date", "23/11/2026").is_err());
        assert!(parse_date("--date", "2026-1-3").is_err());
    }

    #[test]
    fn categories_are_checked() {
        assert!(check_category("escalation").is_ok());
        assert!(check_category("topic_billing").is_ok());
        let err = check_category("escalations").unwrap_err().to_string();
        assert!(err.contains("repeat_contact, escalation"), "{err}");
        assert!(check_category("topic_").is_err());
    }
}
