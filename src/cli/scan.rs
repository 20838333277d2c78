//! `fcrscan scan PATH... --out DIR`: the nightly job.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};

use fcrscan::lexicon::Lexicon;
use fcrscan::output::manifest::{LexiconInfo, RunManifest};
use fcrscan::output::rows::TranscriptPolicy;
use fcrscan::pipeline::{Progress, ScanOptions, run_scan};
use fcrscan::scan::Scanner;
use fcrscan::zone::Zone;

use super::clock::RunStart;
use super::exit::Exit;
use super::ui::{self, ProgressView};

/// Scan transcripts into a Parquet dataset.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  fcrscan scan samples --out out\n  fcrscan scan /data/transcripts/2026-11-23/ --out /data/fcr --jobs 8\n  fcrscan scan calls.jsonl.gz --phrases my-phrases.tsv --out out --quiet"
)]
pub struct ScanArgs {
    /// Transcript files or directories (walked recursively).
    #[arg(value_name = "PATH", required = true, value_parser = ui::local_path)]
    paths: Vec<PathBuf>,

    /// Output dataset directory (created if missing; an existing dataset is updated).
    ///
    /// Tables are written as Hive-partitioned Parquet: DIR/calls/call_date=YYYY-MM-DD/part-*.parquet,
    /// DIR/hits/…, DIR/turns/…, DIR/rejects/part-*.parquet, and a manifest DIR/runs/<run-id>.json.
    /// Calls already in DIR with the same call_id are replaced, never duplicated.
    #[arg(long, value_name = "DIR", value_parser = ui::local_path)]
    out: PathBuf,

    /// Lexicon directory or .tsv/.csv phrase table (default: the embedded lexicons).
    ///
    /// A directory is laid out as phrases/<language>/<category>.txt (see docs/LEXICONS.md); a
    /// table has a header row naming the columns phrase, category and language.
    #[arg(long, value_name = "PATH", value_parser = ui::local_path)]
    phrases: Option<PathBuf>,

    /// Phrases to add to the lexicon in use (the embedded one, or --phrases): a directory or
    /// .tsv/.csv table of a team's own cues, product names, local expressions. Repeatable.
    ///
    /// --phrases replaces the embedded lexicons; this keeps them and adds. Check a table first
    /// with `fcrscan phrases check FILE`.
    #[arg(long, value_name = "PATH", value_parser = ui::local_path)]
    extra_phrases: Vec<PathBuf>,

    /// Worker threads; 0 means one per available core.
    ///
    /// These are the threads that parse and scan. A reader thread and a writer thread run
    /// beside them, so `--jobs 1` keeps a little more than one core busy (about 1.2 on the
    /// benchmark corpus); files not in the page cache are fetched by up to 2N more threads
    /// (4 at least), which mostly wait on the disk and start only when such a file comes.
    /// Memory grows with the thread count by about one chunk of input per thread (default
    /// batches of 4 MiB in all), not with the corpus.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    jobs: usize,

    /// Which calls get their transcript written to DIR/turns (for the review report).
    ///
    /// flagged: calls with a repeat-contact or escalation cue, or customer sentiment ≤ -0.5.
    /// The turns table holds unredacted text: protect it like the transcripts themselves.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = Transcripts::Flagged)]
    transcripts: Transcripts,

    /// Read every file as this format instead of detecting it (see `fcrscan formats`).
    #[arg(long, value_name = "NAME")]
    format: Option<String>,

    /// The time zone call dates are counted in: an IANA name (Asia/Seoul, America/New_York),
    /// an offset (+09:00) or UTC.
    ///
    /// A call's call_date partition, and the day the fcr table counts it on, is its local date
    /// there; start times written without an offset (2026-11-02 08:00:00, a file name's
    /// 20261102_080000) are read as local times there. Default: the zone the dataset in DIR
    /// was written with, or UTC for a new one. A dataset keeps one zone: a different one is
    /// refused (US/Eastern and America/New_York are one zone, recorded under the latter).
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,

    /// Print nothing but errors and warnings: no summary, no progress (a bar on a terminal,
    /// else a line a minute).
    #[arg(long, short = 'q')]
    quiet: bool,

    #[command(flatten)]
    link: super::link::LinkFlags,

    #[command(flatten)]
    ingest: super::formats::IngestFlags,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transcripts {
    Flagged,
    All,
    None,
}

/// How many per-record problems are printed before pointing to the rejects table.
const REJECTS_SHOWN: usize = 5;

/// Runs a scan.
pub fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let link_config = match args.link.config() {
        Ok(cfg) => cfg,
        Err(message) => return Ok(super::link::usage_error(&message)),
    };
    let zone = match args.timezone.as_deref().map(Zone::parse).transpose() {
        Ok(zone) => zone,
        Err(e) => return Ok(super::link::usage_error(&format!("--timezone: {e}"))),
    };
    let ingest_setup = match args.ingest.setup(args.format.as_deref()) {
        Ok(setup) => setup,
        Err(super::formats::FlagError::Usage(message)) => {
            return Ok(super::link::usage_error(&message));
        }
        Err(super::formats::FlagError::Fatal(e)) => return Err(e),
    };
    let mut lexicon = match &args.phrases {
        Some(p) => Lexicon::load(p).with_context(|| format!("loading lexicon {}", p.display()))?,
        None => Lexicon::embedded().context("loading the embedded lexicons")?,
    };
    for extra in &args.extra_phrases {
        lexicon.extend(
            Lexicon::load(extra).with_context(|| format!("loading lexicon {}", extra.display()))?,
        );
    }
    let phrase_count = lexicon.phrases.len();
    let lexicon_source = lexicon.source.clone();
    let speaker_labels = lexicon.speaker_labels.clone();
    let mut scanner = Scanner::new(lexicon).context("compiling the lexicon")?;
    let jobs = super::link::thread_count(args.jobs);
    let start = RunStart::now();
    let run_id = start.run_id("");
    let mut options = ScanOptions::new(jobs, run_id.clone());
    options.transcripts = match args.transcripts {
        Transcripts::Flagged => TranscriptPolicy::Flagged,
        Transcripts::All => TranscriptPolicy::All,
        Transcripts::None => TranscriptPolicy::None,
    };
    options.ingest.speaker_labels = speaker_labels;
    options.ingest.forced_format = args.format.clone();
    ingest_setup.install(&mut options.ingest, &mut scanner);

    // Held until the calls are linked and the manifest written.
    let _lock = super::link::lock_dataset(&args.out, "scanning into")?;
    options.ingest.zone = super::link::dataset_zone(&args.out, zone.as_ref())?;
    let progress = Progress::default();
    let view = ProgressView::start(args.quiet);
    let done = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        if view.is_shown() {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    view.update(&progress);
                    std::thread::sleep(ui::TICK);
                }
            });
        }
        let result = run_scan(&args.paths, &args.out, &scanner, &options, &progress);
        done.store(true, Ordering::Relaxed);
        result
    });
    view.finish();
    let report = report.with_context(|| format!("scanning into {}", args.out.display()))?;
    crate::release_free_memory();
    // On `--jobs` threads, like the scan.
    let linked = super::link::on_threads(jobs, || {
        super::link::after_scan(
            &args.out,
            &link_config,
            &options.ingest.zone,
            args.link.shard_calls(),
            &report.call_dates,
            &run_id,
        )
    })??;

    let mut manifest = RunManifest {
        version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: fcrscan::output::manifest::schema_version().to_string(),
        run_id: run_id.clone(),
        started_at: start.started_at(),
        lexicon: LexiconInfo {
            source: lexicon_source,
            fingerprint: scanner.fingerprint.clone(),
            phrases: phrase_count,
        },
        inputs: args.paths.iter().map(|p| p.display().to_string()).collect(),
        settings: [
            ("jobs".to_string(), jobs.to_string()),
            (
                "transcripts".to_string(),
                format!("{:?}", args.transcripts).to_lowercase(),
            ),
            (
                "timezone".to_string(),
                options.ingest.zone.name().to_string(),
            ),
        ]
        .into(),
        accounting_balanced: report.counts.is_balanced(),
        counts: report.counts.clone(),
        rows_written: report.rows_written.clone(),
        rows_replaced: report.rows_replaced.clone(),
        timings_ms: report.timings_ms.clone(),
    };
    super::link::record(&linked, &link_config, &mut manifest);
    manifest.settings.extend(ingest_setup.settings());
    let manifest_path = manifest
        .write(&args.out)
        .context("writing the run manifest")?;

    if !args.quiet {
        for r in report.first_rejects.iter().take(REJECTS_SHOWN) {
            eprintln!(
                "fcrscan: {}: {}",
                ui::sanitize(&r.source.to_string()),
                ui::sanitize(&r.reason.to_string())
            );
        }
        if let Some(line) = ingest_setup.summary() {
            eprintln!("{}", ui::sanitize(&line));
        }
        let c = &report.counts;
        if c.records_rejected as usize > REJECTS_SHOWN {
            eprintln!(
                "fcrscan: … and {} more rejected records: see {}",
                c.records_rejected as usize - REJECTS_SHOWN,
                args.out.join("rejects").display()
            );
        }
        eprintln!(
            "{} {}",
            summary(
                &report.counts,
                &args.out,
                &manifest_path,
                started.elapsed().as_secs_f64()
            ),
            super::link::summary(&linked, &link_config)
        );
    }
    if report.counts.records_read == 0 {
        // Said even with --quiet: a night without transcripts is more often a failure upstream
        // than a quiet night, and cron mails what a job writes to stderr.
        let skipped = match report.counts.files_skipped {
            0 => String::new(),
            n => format!(" ({n} documentation or hidden files skipped)"),
        };
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| ui::sanitize(&p.display().to_string()))
            .collect();
        eprintln!(
            "fcrscan: warning: no transcripts found in {}{skipped}",
            paths.join(", ")
        );
    }
    anyhow::ensure!(
        report.counts.is_balanced(),
        "internal accounting error: records read != written + rejected ({:?})",
        report.counts
    );
    Ok(if report.counts.records_rejected > 0 {
        Exit::SomeRejected
    } else {
        Exit::Clean
    })
}

fn summary(
    c: &fcrscan::aggregate::RunCounts,
    out: &std::path::Path,
    manifest: &std::path::Path,
    secs: f64,
) -> String {
    let hits: Vec<String> = c
        .hits_by_category
        .iter()
        .filter(|(k, _)| !k.starts_with("topic_"))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let flagged: Vec<String> = c
        .calls_flagged
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let mut s = format!(
        "fcrscan: scanned {} file(s), {:.1} MB in {:.2}s: {} records read = {} calls written + {} rejected. Hits: {}. Calls flagged: {}.",
        c.files,
        c.bytes_read as f64 / 1e6,
        secs,
        c.records_read,
        c.calls_written,
        c.records_rejected,
        if hits.is_empty() {
            "none".into()
        } else {
            hits.join(", ")
        },
        if flagged.is_empty() {
            "none".into()
        } else {
            flagged.join(", ")
        },
    );
    if !c.rejected_by_reason.is_empty() {
        let mut reasons: Vec<(&String, &u64)> = c.rejected_by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!(" Top reject reasons: {}.", top.join(", ")));
    }
    if c.calls_without_customer > 0 {
        s.push_str(&format!(
            " {} call(s) have no customer turn (roles neither given nor inferred): their \
             repeat-contact and escalation cues do not count (docs/FORMATS.md, \"Speaker roles\").",
            c.calls_without_customer
        ));
    }
    s.push_str(&format!(
        " Output: {} (manifest {}).",
        out.display(),
        manifest.display()
    ));
    s
}
