//! `fcrscan link DIR`: relink everything the dataset holds, and the linking options that
//! `fcrscan scan` shares with it (`--window`, `--transfer-gap`, `--same-channel`,
//! `--same-issue`).
//!
//! A scan links by itself after writing the night's calls; this command is for changing the
//! linking options, or repairing the contacts and fcr tables after a run that failed between
//! committing the calls and linking them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use fcrscan::link::{DurationError, LinkConfig, format_duration_s, parse_duration_s};
use fcrscan::linking::{LinkReport, LinkScope, SHARD_CALLS, link_dataset_in_shards};
use fcrscan::output::fcr_tables::link_settings;
use fcrscan::output::history;
use fcrscan::output::lock::DatasetLock;
use fcrscan::output::manifest::{LinkManifest, RunManifest};
use fcrscan::zone::Zone;

use super::clock::{RunStart, rfc3339};
use super::exit::Exit;
use super::ui;

/// The linking options, shared by `scan` and `link`.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Linking (FCR)")]
pub struct LinkFlags {
    /// Repeat window: a contact within this time after another contact of the same customer
    /// makes that one unresolved.
    ///
    /// Measured start to start; a contact exactly one window later still counts. Written as a
    /// whole number and a unit: 24h, 3d, 7d, 30d (s, m, h, d, w). A contact whose window
    /// reaches past the newest call in DIR is censored until a later night decides it. Each
    /// night reads back the calls from four windows before the earliest day it adds (beyond
    /// two windows only those of customers seen since), so a longer window costs more time
    /// and memory per night. Changing it relinks the whole dataset once, on the next run.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration_arg)]
    window: i64,

    /// A contact that starts within this gap after the previous one ended is a transfer or a
    /// dropped-call continuation, not a repeat.
    ///
    /// Measured from the end of the earlier contact (its start plus duration_s, or its start
    /// when the duration is unknown) to the start of the later one. Must be shorter than the
    /// window. Written like --window: 0s, 90s, 15m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration_arg)]
    transfer_gap: i64,

    /// Link only contacts in the same channel (a contact with no channel matches any).
    #[arg(long, overrides_with = "no_same_channel")]
    same_channel: bool,

    /// Link contacts across channels: a chat after a call is a repeat (the default).
    #[arg(long, overrides_with = "same_channel")]
    no_same_channel: bool,

    /// Link only contacts that share a topic_* category (a contact with no topic matches any).
    ///
    /// Topics come from the lexicon's topic_* categories (billing, outage, delivery, account,
    /// cancellation, refund…); a QA lead can add more. Untagged contacts still link, so a
    /// failure is not counted as a resolution because the topic lexicon missed the issue.
    #[arg(long, overrides_with = "no_same_issue")]
    same_issue: bool,

    /// Link contacts whatever their topics (the default).
    #[arg(long, overrides_with = "same_issue")]
    no_same_issue: bool,

    /// Link at most this many recent calls at once, in customer shards.
    ///
    /// Linking holds about 1 KB per call it links (ids, attributes, contact rows). A night with
    /// more recent calls is linked one shard of customers after another (from three shards, the
    /// calls are read once and wait on disk, about 120 bytes each, in their shard's file; the
    /// previous shard's contact rows, about 110 bytes a call, are written meanwhile), so memory
    /// stays bounded whatever the size of the night
    /// (305,000 calls: 148 MB with the default, 106 MB with 25000, 295 MB in one shard). Lower
    /// it in memory-tight containers; the rows written do not change.
    #[arg(long, value_name = "CALLS", default_value_t = SHARD_CALLS,
          value_parser = clap::value_parser!(u64).range(1..))]
    link_shard_calls: u64,
}

fn parse_duration_arg(text: &str) -> Result<i64, DurationError> {
    parse_duration_s(text)
}

impl LinkFlags {
    /// `--link-shard-calls`.
    pub fn shard_calls(&self) -> u64 {
        self.link_shard_calls
    }

    /// The checked linking config, or the usage error to print.
    pub fn config(&self) -> Result<LinkConfig, String> {
        LinkConfig::try_new(
            self.window,
            self.transfer_gap,
            self.same_channel,
            self.same_issue,
        )
        .map_err(|e| {
            format!(
                "--window {} --transfer-gap {}: {e}",
                format_duration_s(self.window),
                format_duration_s(self.transfer_gap)
            )
        })
    }
}

/// Prints a linking-option error and returns the usage exit code.
pub fn usage_error(message: &str) -> Exit {
    eprintln!("fcrscan: error: {message}");
    Exit::Usage
}

/// Relink everything a dataset holds: rewrite its contacts and fcr tables from its calls.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  fcrscan link /data/fcr\n  fcrscan link /data/fcr --window 30d --same-channel\n\nA nightly `fcrscan scan TONIGHT/ --out DIR` links by itself; run `link` after changing the\nlinking options, or when a scan failed after writing its calls."
)]
pub struct LinkArgs {
    /// The dataset directory written by `fcrscan scan --out DIR`.
    ///
    /// Every call in DIR/calls is read and linked, in customer shards of at most
    /// --link-shard-calls calls held in memory at once, and DIR/contacts and DIR/fcr are
    /// rewritten, partition by partition.
    #[arg(value_name = "DIR", value_parser = ui::local_path)]
    dir: PathBuf,

    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,

    /// Threads reading, linking and writing; 0 means one per available core.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    jobs: usize,

    #[command(flatten)]
    link: LinkFlags,
}

/// The threads `--jobs N` asks for: N, or one per available core for 0.
pub fn thread_count(jobs: usize) -> usize {
    if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    }
}

/// Runs `f` on a pool of `threads` threads: rayon would otherwise use every core.
pub fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the link step's threads")?;
    Ok(pool.install(f))
}

/// Takes the lock of the dataset at `dir` for this command ([`DatasetLock`]), saying so when
/// another run holds it and this one waits. `doing` names the command's work in an error.
pub(super) fn lock_dataset(dir: &Path, doing: &str) -> anyhow::Result<DatasetLock> {
    let shown = ui::sanitize(&dir.display().to_string());
    let lock = DatasetLock::acquire(dir, || {
        eprintln!("fcrscan: another run is using {shown}: waiting for it to finish");
    })
    .with_context(|| format!("{doing} {}", dir.display()))?;
    if let Some(why) = lock.not_held() {
        eprintln!(
            "fcrscan: warning: cannot lock {shown} ({why}): make sure no other run writes to it at the same time"
        );
    }
    Ok(lock)
}

/// The time zone the dataset at `dir` counts its call dates in: the one it was written in, or
/// `given` (`--timezone`) for a dataset without calls, UTC without either. A dataset keeps one
/// zone: `given` differing from the stored one is an error, since the same calls would
/// otherwise fall into other partitions and split a day's FCR between two dates.
pub(super) fn dataset_zone(dir: &Path, given: Option<&Zone>) -> anyhow::Result<Zone> {
    let stored = history::stored_zone(dir)
        .with_context(|| format!("reading the time zone of {}", dir.display()))?;
    let Some(stored) = stored else {
        return Ok(given.cloned().unwrap_or_default());
    };
    let stored = Zone::parse(&stored).with_context(|| {
        format!(
            "{} records its call dates in a time zone this host does not know",
            dir.display()
        )
    })?;
    match given {
        Some(zone) if *zone != stored => anyhow::bail!(
            "{} counts its call dates in {stored}, not {zone}: a dataset keeps one time zone \
             (scan into a new directory to use {zone}, or leave out --timezone)",
            dir.display()
        ),
        _ => Ok(stored),
    }
}

/// Runs `fcrscan link`.
pub fn run(args: LinkArgs) -> anyhow::Result<Exit> {
    let cfg = match args.link.config() {
        Ok(cfg) => cfg,
        Err(message) => return Ok(usage_error(&message)),
    };
    anyhow::ensure!(
        args.dir.join("calls").is_dir(),
        "{} holds no calls table ({} is missing): write a dataset with `fcrscan scan PATH --out {}` first",
        args.dir.display(),
        args.dir.join("calls").display(),
        args.dir.display()
    );
    let _lock = lock_dataset(&args.dir, "linking the calls in")?;
    let zone = dataset_zone(&args.dir, None)?;
    let start = RunStart::now();
    let run_id = start.run_id("link");
    let jobs = thread_count(args.jobs);
    let report = on_threads(jobs, || {
        link_dataset_in_shards(
            &args.dir,
            &cfg,
            &zone,
            &LinkScope::All,
            &run_id,
            args.link.shard_calls(),
        )
    })?
    .with_context(|| format!("linking the calls in {}", args.dir.display()))?;
    let manifest = LinkManifest {
        version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: fcrscan::output::manifest::schema_version().to_string(),
        run_id,
        command: "link",
        started_at: start.started_at(),
        settings: {
            let mut settings = settings(&report, &cfg);
            settings.insert("jobs".to_string(), jobs.to_string());
            settings.insert("timezone".to_string(), zone.name().to_string());
            settings
        },
        calls_linked: report.calls_linked,
        partitions_rewritten: report.partitions_rewritten.iter().cloned().collect(),
        fcr_counts: report.rewritten,
        rows_written: report.rows_written.clone(),
        rows_replaced: report.rows_replaced.clone(),
        timings_ms: [("link".to_string(), report.elapsed_ms)].into(),
    };
    let manifest_path = manifest
        .write(&args.dir)
        .context("writing the run manifest")?;
    if !args.quiet {
        eprintln!(
            "fcrscan: {} Output: {} (manifest {}).",
            summary(&report, &cfg),
            ui::sanitize(&args.dir.display().to_string()),
            ui::sanitize(&manifest_path.display().to_string())
        );
    }
    Ok(Exit::Clean)
}

/// The linking step of `fcrscan scan`, after its calls are committed.
pub fn after_scan(
    out: &Path,
    cfg: &LinkConfig,
    zone: &Zone,
    shard_calls: u64,
    call_dates: &BTreeSet<String>,
    run_id: &str,
) -> anyhow::Result<LinkReport> {
    let scope = LinkScope::Scanned(call_dates.clone());
    link_dataset_in_shards(out, cfg, zone, &scope, run_id, shard_calls).with_context(|| {
        format!(
            "linking contacts in {} (the calls are written; run `fcrscan link {}` with the same linking options to finish)",
            out.display(),
            out.display()
        )
    })
}

/// Records the linking run in a scan's manifest: the options under `settings`, rows under
/// `rows_written` / `rows_replaced`, and the time under `timings_ms.link`.
pub fn record(report: &LinkReport, cfg: &LinkConfig, manifest: &mut RunManifest) {
    manifest.settings.extend(settings(report, cfg));
    for (table, rows) in &report.rows_written {
        manifest.rows_written.insert(table.clone(), *rows);
    }
    for (table, rows) in &report.rows_replaced {
        manifest.rows_replaced.insert(table.clone(), *rows);
    }
    manifest
        .timings_ms
        .insert("link".to_string(), report.elapsed_ms);
}

/// The linking options and what the link step found, as a manifest's `settings`: the same
/// keys in a scan's manifest and in `fcrscan link`'s.
fn settings(report: &LinkReport, cfg: &LinkConfig) -> BTreeMap<String, String> {
    let mut settings: BTreeMap<String, String> = [
        ("window", format_duration_s(cfg.window_s)),
        ("transfer_gap", format_duration_s(cfg.transfer_gap_s)),
        ("same_channel", cfg.same_channel.to_string()),
        ("same_issue", cfg.same_issue.to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect();
    let found = [
        ("link_data_end", report.data_end_us.map(rfc3339)),
        (
            "link_full_relink",
            report.full_relink.as_ref().map(ToString::to_string),
        ),
        ("link_history_from", report.history_from.clone()),
        ("link_recomputed_from", report.recomputed_from.clone()),
    ];
    for (key, value) in found {
        if let Some(value) = value {
            settings.insert(key.to_string(), value);
        }
    }
    settings
}

/// One or two sentences for the end-of-run summary.
pub fn summary(report: &LinkReport, cfg: &LinkConfig) -> String {
    let mut s = match &report.full_relink {
        Some(reason) if reason.is_notable() => format!("Relinked every call ({reason}): "),
        _ => String::from("Linked: "),
    };
    let c = &report.rewritten;
    s.push_str(&format!(
        "{} calls read with {}",
        report.calls_linked,
        link_settings(cfg)
    ));
    if let Some(from) = &report.history_from {
        s.push_str(&format!(" from {from} on"));
    }
    if report.partitions_rewritten.is_empty() {
        s.push_str("; contacts and fcr already up to date.");
    } else {
        s.push_str(&format!(
            "; contacts and fcr rewritten for {} call date(s), whose {} first contacts are {} resolved, {} unresolved, {} censored.",
            report.partitions_rewritten.len(),
            c.first_contacts,
            c.resolved,
            c.unresolved,
            c.censored
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        link: LinkFlags,
    }

    fn config(args: &[&str]) -> Result<LinkConfig, String> {
        let cli = Cli::try_parse_from(std::iter::once("fcrscan").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.link.config()
    }

    #[test]
    fn defaults_are_seven_days_and_fifteen_minutes_across_channels_and_issues() {
        assert_eq!(config(&[]), Ok(LinkConfig::default()));
    }

    #[test]
    fn flags_set_the_window_gap_and_filters_and_the_last_switch_wins() {
        let cfg = config(&[
            "--window",
            "30d",
            "--transfer-gap",
            "90s",
            "--same-channel",
            "--same-issue",
            "--no-same-issue",
        ])
        .expect("valid");
        assert_eq!(
            cfg,
            LinkConfig {
                window_s: 2_592_000,
                transfer_gap_s: 90,
                same_channel: true,
                same_issue: false
            }
        );
    }

    #[test]
    fn a_duration_without_a_unit_is_a_usage_error_that_says_so() {
        let err = config(&["--window", "7"]).expect_err("no unit");
        assert!(err.contains("has no unit"), "{err}");
        let err = config(&["--window", "1h", "--transfer-gap", "2h"]).expect_err("gap > window");
        assert!(
            err.contains("must be shorter than the repeat window"),
            "{err}"
        );
    }

    #[test]
    fn timestamps_print_as_rfc3339_utc() {
        assert_eq!(rfc3339(1_793_610_845_000_000), "2026-11-02T09:14:05Z");
    }
}
