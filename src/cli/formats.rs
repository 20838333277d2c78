//! `fcrscan formats`: the transcript formats fcrscan reads, how each is recognised and which
//! fields it uses; and the scan flags that shape ingest (`--metadata`, `--call-id-from`,
//! `--agent-channel`, `--trust-channel-map`, `--channel-file-pattern`, `--column`,
//! `--silence-threshold`, `--min-confidence`), validated here once into an [`IngestSetup`]
//! before any work starts.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use regex::Regex;

use fcrscan::ingest::IngestOptions;
use fcrscan::ingest::local_dates::DateOrder;
use fcrscan::ingest::metadata::{ColumnMap, MetadataTable};
use fcrscan::ingest::roles::RoleOptions;
use fcrscan::ingest::vendor::{self, channels};
use fcrscan::scan::Scanner;
use fcrscan::timing::TimingOptions;

use super::exit::Exit;

/// List the transcript formats fcrscan reads.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  fcrscan formats\n  fcrscan formats --names\n  fcrscan scan whisper/ --format whisper_json --out out"
)]
pub struct FormatsArgs {
    /// Print only the format names, one per line (the values `--format` accepts).
    #[arg(long)]
    names: bool,
}

/// Prints the catalogue to stdout.
pub fn run(args: FormatsArgs) -> anyhow::Result<Exit> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for f in vendor::catalogue() {
        let written = if args.names {
            writeln!(out, "{}", f.name)
        } else {
            writeln!(
                out,
                "{}: {}\n  detected by: {}\n  fields: {}\n",
                f.name, f.title, f.detection, f.fields
            )
        };
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Exit::Clean);
            }
            return Err(e).context("writing to stdout");
        }
    }
    Ok(Exit::Clean)
}

/// The scan flags for engine output: metadata, call ids, roles and timing.
/// `--date-order`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum DateOrderFlag {
    /// 11/2/2026 is 2 November.
    MonthFirst,
    /// 11/2/2026 is 11 February.
    DayFirst,
}

impl DateOrderFlag {
    fn order(self) -> DateOrder {
        match self {
            DateOrderFlag::MonthFirst => DateOrder::MonthFirst,
            DateOrderFlag::DayFirst => DateOrder::DayFirst,
        }
    }
}

#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Engine output: metadata, roles and timing")]
pub struct IngestFlags {
    /// Join call metadata from a CSV, TSV, JSON Lines or Parquet file keyed by call_id.
    ///
    /// Columns customer_id, agent_id, queue, channel, language and started_at (found by name,
    /// ignoring case and separators, or named with --column) fill each call whose call_id has a
    /// row; non-blank metadata values replace the transcript's. Transcripts without a row and
    /// rows without a transcript are counted in the summary and the run manifest, and
    /// calls.metadata_matched says which calls had one. The table is held in memory (about
    /// 200 bytes per row).
    #[arg(long, value_name = "FILE", value_parser = super::ui::local_path)]
    metadata: Option<PathBuf>,

    /// How slashed start dates in the --metadata file and in CSV/TSV turn tables are read:
    /// month-first (11/2/2026 is 2 November, as in the US) or day-first (11 February).
    ///
    /// Needed only when no date in the file settles it (a day above 12). Dotted (02.11.2026),
    /// year-first (2026/11/02) and ISO dates need no order.
    #[arg(long, value_enum, value_name = "ORDER")]
    date_order: Option<DateOrderFlag>,

    /// Extra metadata columns to keep, comma-separated; written as a JSON object in
    /// calls.extra_metadata.
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    metadata_keep: Vec<String>,

    /// Name the column that holds a field in CSV/TSV turn tables and metadata files.
    ///
    /// FIELD is one of call_id, speaker, text, start, end, turn, confidence, customer_id,
    /// agent_id, queue, channel, language, started_at. Repeat the flag for several fields.
    /// Without it, common names are recognised (conversation_id, utterance, start_ms…).
    #[arg(long = "column", value_name = "FIELD=NAME")]
    columns: Vec<String>,

    /// Derive the call_id from the file name with a regular expression.
    ///
    /// The named group call_id (else the first group, else the whole match) becomes the call_id
    /// of a file that holds one call; named groups customer_id, agent_id, queue, channel,
    /// language and started_at (or date: 2026-11-02, 20261102) fill those fields for every call
    /// of the file. Matched against the file name only; files it does not match keep their
    /// default call_id (the file name without extensions).
    #[arg(long, value_name = "REGEX")]
    call_id_from: Option<String>,

    /// The audio channel that is the agent, for formats that only number channels.
    ///
    /// Channels are written as the engine numbers them (Amazon, Azure, Deepgram: 0 and 1;
    /// Google: 1 and 2); the turns on that channel become the agent, every other labelled turn
    /// the customer. A speaker label can be given instead (spk_0). Default: roles are inferred
    /// from what each speaker says.
    #[arg(long, value_name = "CHANNEL")]
    agent_channel: Option<String>,

    /// Keep channel-mapped roles even when the conversation says they are swapped.
    ///
    /// By default, when the channel mapped as the agent speaks like a customer (the other
    /// channel says the agent phrases), agent and customer are swapped and calls.roles_swapped is
    /// set. This applies to --agent-channel, per-channel file names, AWS post-call analytics and
    /// Call Analytics roles.
    #[arg(long, overrides_with = "no_trust_channel_map")]
    trust_channel_map: bool,

    /// Swap channel-mapped roles that the conversation contradicts (the default).
    #[arg(long, overrides_with = "trust_channel_map")]
    no_trust_channel_map: bool,

    /// How the per-channel files of one call are named; an empty value turns merging off.
    ///
    /// A regular expression matched against file names without extensions, with named groups
    /// call and channel. Files in one directory with the same call part are merged into one
    /// call, turns interleaved by time. Default: <call>.agent / .customer / .caller, or
    /// <call>_ch0 / _ch1 (separator `.`, `_` or `-`).
    #[arg(long, value_name = "REGEX")]
    channel_file_pattern: Option<String>,

    /// Silences at least this long count as non-talk time, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    silence_threshold: f64,

    /// Hits in speech whose ASR confidence is below this (0 to 1) are kept but do not count.
    ///
    /// They stay in the hits table with counted = false and their asr_confidence, and do not
    /// raise the call's flags or sentiment. Formats without confidences are not affected.
    #[arg(long, value_name = "CONFIDENCE")]
    min_confidence: Option<f32>,
}

/// Why the ingest flags cannot be used.
#[derive(Debug)]
pub enum FlagError {
    /// A value the user typed is invalid (exit code 2).
    Usage(String),
    /// A file the flags name could not be used (exit code 1).
    Fatal(anyhow::Error),
}

/// The validated ingest configuration, built before any work starts.
#[derive(Debug)]
pub struct IngestSetup {
    forced_format: Option<String>,
    columns: ColumnMap,
    metadata: Option<Arc<MetadataTable>>,
    call_id_from: Option<Regex>,
    agent_channel: Option<String>,
    channel_files: Option<Regex>,
    roles: RoleOptions,
    timing: TimingOptions,
    date_order: Option<DateOrder>,
    settings: Vec<(String, String)>,
}

fn regex(flag: &str, pattern: &str) -> Result<Regex, FlagError> {
    Regex::new(pattern).map_err(|e| {
        FlagError::Usage(format!(
            "{flag} {pattern:?} is not a valid regular expression: {e}"
        ))
    })
}

impl IngestFlags {
    /// Validates the flags (and `--format`) and loads the metadata file.
    pub fn setup(&self, format: Option<&str>) -> Result<IngestSetup, FlagError> {
        let mut settings = Vec::new();
        let forced_format = match format {
            None => None,
            Some(name) => match vendor::resolve_format_name(name) {
                Some(n) => {
                    settings.push(("format".to_string(), n.to_string()));
                    Some(n.to_string())
                }
                None => {
                    let names: Vec<&str> = vendor::catalogue().iter().map(|f| f.name).collect();
                    return Err(FlagError::Usage(format!(
                        "--format {name:?} is not a format fcrscan reads (one of {}; see `fcrscan formats`)",
                        names.join(", ")
                    )));
                }
            },
        };
        let columns = ColumnMap::parse(&self.columns).map_err(FlagError::Usage)?;
        if !(self.silence_threshold.is_finite() && self.silence_threshold >= 0.0) {
            return Err(FlagError::Usage(format!(
                "--silence-threshold {}: give a number of seconds, 0 or more",
                self.silence_threshold
            )));
        }
        if let Some(c) = self.min_confidence
            && !(0.0..=1.0).contains(&c)
        {
            return Err(FlagError::Usage(format!(
                "--min-confidence {c}: give a confidence between 0 and 1"
            )));
        }
        let call_id_from = self
            .call_id_from
            .as_deref()
            .map(|p| regex("--call-id-from", p))
            .transpose()?;
        let channel_files = match self.channel_file_pattern.as_deref() {
            None => Some(channels::default_pattern()),
            Some("") => None,
            Some(p) => {
                let re = regex("--channel-file-pattern", p)?;
                let names: Vec<&str> = re.capture_names().flatten().collect();
                if !names.contains(&"call") || !names.contains(&"channel") {
                    return Err(FlagError::Usage(format!(
                        "--channel-file-pattern {p:?} needs the named groups (?P<call>…) and (?P<channel>…)"
                    )));
                }
                Some(re)
            }
        };
        let metadata = match &self.metadata {
            None => None,
            Some(path) => {
                let order = self.date_order.map(DateOrderFlag::order);
                let table = MetadataTable::load(path, &columns, &self.metadata_keep, order)
                    .map_err(|e| {
                        FlagError::Fatal(anyhow::Error::new(e).context("loading --metadata"))
                    })?;
                settings.push(("metadata".to_string(), path.display().to_string()));
                Some(Arc::new(table))
            }
        };
        if let Some(order) = self.date_order {
            settings.push(("date_order".to_string(), order.order().name().to_string()));
        }
        if let Some(p) = &self.call_id_from {
            settings.push(("call_id_from".to_string(), p.clone()));
        }
        if let Some(a) = &self.agent_channel {
            settings.push(("agent_channel".to_string(), a.clone()));
        }
        if let Some(p) = &self.channel_file_pattern {
            settings.push(("channel_file_pattern".to_string(), p.clone()));
        }
        settings.push((
            "trust_channel_map".to_string(),
            self.trust_channel_map.to_string(),
        ));
        settings.push((
            "silence_threshold_s".to_string(),
            self.silence_threshold.to_string(),
        ));
        if let Some(c) = self.min_confidence {
            settings.push(("min_confidence".to_string(), c.to_string()));
        }
        Ok(IngestSetup {
            forced_format,
            columns,
            metadata,
            call_id_from,
            agent_channel: self.agent_channel.clone(),
            channel_files,
            roles: RoleOptions {
                trust_channel_map: self.trust_channel_map,
            },
            timing: TimingOptions {
                silence_threshold_s: self.silence_threshold,
                min_confidence: self.min_confidence,
            },
            date_order: self.date_order.map(DateOrderFlag::order),
            settings,
        })
    }
}

impl IngestSetup {
    /// Puts the configuration where the pipeline reads it.
    pub fn install(&self, ingest: &mut IngestOptions, scanner: &mut Scanner) {
        ingest.forced_format.clone_from(&self.forced_format);
        ingest.columns = self.columns.clone();
        ingest.metadata.clone_from(&self.metadata);
        ingest.call_id_from.clone_from(&self.call_id_from);
        ingest.agent_channel.clone_from(&self.agent_channel);
        ingest.channel_files.clone_from(&self.channel_files);
        ingest.date_order = self.date_order;
        scanner.roles = self.roles;
        scanner.timing = self.timing;
    }

    /// The settings to record in the run manifest, including, after the run, the metadata
    /// join counts.
    pub fn settings(&self) -> Vec<(String, String)> {
        let mut s = self.settings.clone();
        if let Some(m) = &self.metadata {
            s.push(("metadata_rows".to_string(), m.len().to_string()));
            s.push((
                "metadata_rows_without_transcript".to_string(),
                m.rows_without_transcript().to_string(),
            ));
            s.push((
                "metadata_transcripts_without_row".to_string(),
                m.transcripts_without_row().to_string(),
            ));
            s.push((
                "metadata_duplicate_rows".to_string(),
                m.duplicate_rows().to_string(),
            ));
        }
        s
    }

    /// The end-of-run sentence about the metadata join, when there was one.
    pub fn summary(&self) -> Option<String> {
        let m = self.metadata.as_ref()?;
        let mut s = format!(
            "fcrscan: metadata {}: {} row(s); {} transcript(s) without a row, {} row(s) without a transcript",
            m.path().display(),
            m.len(),
            m.transcripts_without_row(),
            m.rows_without_transcript()
        );
        if m.duplicate_rows() > 0 {
            s.push_str(&format!(
                ", {} duplicate call_id row(s) ignored (the first is used)",
                m.duplicate_rows()
            ));
        }
        let near: Vec<String> = m
            .case_only_misses()
            .iter()
            .map(|(call, row)| format!("{call} (row {row})"))
            .collect();
        if !near.is_empty() {
            s.push_str(&format!(
                "; call ids are compared as written, and some differ from a row's only in case: {}",
                near.join(", ")
            ));
        }
        s.push('.');
        Some(s)
    }
}
