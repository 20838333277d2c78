//! Reads the dataset back for the report and `show`: the `calls`, `hits` and `turns` tables and,
//! when a linking run has written it, the `fcr` table.
//!
//! This module owns where files are (the Hive layout: `DIR/<table>/call_date=YYYY-MM-DD/*.parquet`)
//! and turning record batches into plain rows; it leaves every decision about what to show to
//! [`super::review`]. Columns are read by name, projected so that only the columns used are
//! decoded; the names are those of [`crate::output::schema`], and a test writes each table with
//! the output batch builder and reads it back here.
//!
//! Invariants:
//! - **Date partitions are pruned by directory name**, before any file is opened: a report for
//!   one night reads one night, however many nights the dataset holds.
//! - **Streaming.** Rows are handed to a callback batch by batch ([`for_each_call`],
//!   [`for_each_hit`]), so memory follows what the caller keeps, not the table size.
//! - **Files are read in path order**, so rows come out in the same order every time.
//! - Files and directories whose names start with `.` or `_` (staging, trash, temporary files)
//!   are never read, as Hive readers do.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, ListArray,
    RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array, UInt64Array,
};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::aggregate::fcr::FcrCounts;
use crate::output::history::{self, HistoryError};
use crate::zone::{UnknownZone, Zone};

/// Errors reading the dataset back.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The directory holds no `calls` table.
    #[error("{} holds no calls table ({}/calls/): pass the --out directory of `fcrscan scan`", dir.display(), dir.display())]
    NotADataset {
        /// The directory given.
        dir: PathBuf,
    },
    /// A file-system operation failed.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A Parquet file could not be decoded.
    #[error("reading {}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The error.
        source: parquet::errors::ParquetError,
    },
    /// A Parquet file lacks a column the report needs, or has it with another type.
    #[error("{}: column {column} {problem} (was the dataset written by another version of fcrscan?)", path.display())]
    Column {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The report could not be written.
    #[error("writing {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The dataset's time zone could not be read.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The dataset records a time zone this host does not know.
    #[error("the dataset's call dates: {0}")]
    Zone(#[from] UnknownZone),
}

/// The time zone the dataset in `dir` counts its call dates in (UTC for a dataset written
/// before `--timezone`, or without calls).
pub fn dataset_zone(dir: &Path) -> Result<Zone, ReportError> {
    match history::stored_zone(dir)? {
        Some(name) => Ok(Zone::parse(&name)?),
        None => Ok(Zone::utc()),
    }
}

/// Which calls a report covers: a date range (inclusive, `call_date`) and routing filters.
/// An empty list means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// First `call_date`, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last `call_date`, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Queues to keep.
    pub queues: Vec<String>,
    /// Agents to keep.
    pub agents: Vec<String>,
    /// Lexicon languages to keep (`en`, `zh-Hans`).
    pub languages: Vec<String>,
}

impl Selection {
    /// Whether the partition `call_date` (a date or `unknown`) can hold selected calls. Calls
    /// without a start time (`unknown`) are included only when no date bound is given.
    pub fn includes_date(&self, call_date: &str) -> bool {
        if call_date == "unknown" {
            return self.from.is_none() && self.to.is_none();
        }
        self.from.as_deref().is_none_or(|f| call_date >= f)
            && self.to.as_deref().is_none_or(|t| call_date <= t)
    }

    /// Whether a call with this routing is selected (its date is checked by the partition).
    pub fn includes_routing(
        &self,
        queue: Option<&str>,
        agent_id: Option<&str>,
        language: &str,
    ) -> bool {
        let keep = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        };
        keep(&self.queues, queue)
            && keep(&self.agents, agent_id)
            && keep(&self.languages, Some(language))
    }

    /// Whether only dates are filtered (every call of a selected partition is selected).
    pub fn is_dates_only(&self) -> bool {
        self.queues.is_empty() && self.agents.is_empty() && self.languages.is_empty()
    }
}

/// One row of the `calls` table, with the columns the report uses.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRow {
    /// The call.
    pub call_id: String,
    /// Its partition: the date in the dataset's time zone, or `unknown`.
    pub call_date: String,
    /// Lexicon language.
    pub language: String,
    /// The customer, when known.
    pub customer_id: Option<String>,
    /// The agent, when known.
    pub agent_id: Option<String>,
    /// The queue, when known.
    pub queue: Option<String>,
    /// The channel, when known.
    pub channel: Option<String>,
    /// Start, microseconds since the epoch, UTC.
    pub started_at_us: Option<i64>,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
    /// The customer said a repeat-contact cue.
    pub repeat_contact: bool,
    /// Counted repeat-contact cues.
    pub repeat_contact_hits: i32,
    /// The customer said an escalation cue.
    pub escalation: bool,
    /// Counted escalation cues.
    pub escalation_hits: i32,
    /// Customer sentiment in [-1, 1].
    pub sentiment: Option<f32>,
    /// Negative customer sentiment cues.
    pub negative_hits: i32,
    /// Topic categories found.
    pub topics: Vec<String>,
}

/// One row of the `hits` table.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRow {
    /// The call.
    pub call_id: String,
    /// 0-based turn index.
    pub turn: i32,
    /// `agent`, `customer` or `unknown`.
    pub speaker: String,
    /// The cue's category.
    pub category: String,
    /// The phrase's lexicon language.
    pub language: String,
    /// The lexicon entry.
    pub phrase: String,
    /// The words as transcribed.
    pub matched_text: String,
    /// Start in the turn's text, in characters.
    pub char_start: i32,
    /// End (exclusive) in the turn's text, in characters.
    pub char_end: i32,
    /// When the turn started, seconds into the call.
    pub start_s: Option<f64>,
    /// Sentiment cue under a negator.
    pub negated: bool,
    /// Counts toward the call's flags.
    pub counted: bool,
}

/// One row of the `turns` table.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnRow {
    /// The call.
    pub call_id: String,
    /// 0-based turn index.
    pub turn: i32,
    /// `agent`, `customer` or `unknown`.
    pub speaker: String,
    /// The label as the source wrote it.
    pub speaker_label: String,
    /// Start, seconds into the call.
    pub start_s: Option<f64>,
    /// The text as transcribed (unredacted).
    pub text: String,
}

/// The FCR counts of the selected cells of the `fcr` table: in total and per date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FcrTable {
    /// Every selected cell summed.
    pub total: FcrCounts,
    /// Per `call_date`.
    pub by_date: BTreeMap<String, FcrCounts>,
    /// Per queue (`None`: no queue).
    pub by_queue: BTreeMap<Option<String>, FcrCounts>,
    /// Count columns the table lacked (their counts read as 0 and their rates are not shown).
    pub missing_columns: Vec<&'static str>,
}

/// Whether `dir` holds a dataset (a `calls` table directory).
pub fn check_dataset(dir: &Path) -> Result<(), ReportError> {
    if dir.join("calls").is_dir() {
        Ok(())
    } else {
        Err(ReportError::NotADataset {
            dir: dir.to_path_buf(),
        })
    }
}

/// The Parquet files of `table` under `dir` with their partition date (`None` for an
/// unpartitioned file), in path order, keeping the partitions `keep_date` accepts.
pub fn table_files(
    dir: &Path,
    table: &str,
    keep_date: impl Fn(&str) -> bool,
) -> Result<Vec<(PathBuf, Option<String>)>, ReportError> {
    let root = dir.join(table);
    let mut files = Vec::new();
    if !root.is_dir() {
        return Ok(files);
    }
    for entry in sorted_entries(&root)? {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if entry.is_dir() {
            let Some(date) = name.strip_prefix("call_date=") else {
                continue;
            };
            if !keep_date(date) {
                continue;
            }
            for file in sorted_entries(&entry)? {
                if is_data_file(&file) {
                    files.push((file, Some(date.to_string())));
                }
            }
        } else if is_data_file(&entry) {
            files.push((entry, None));
        }
    }
    Ok(files)
}

fn is_data_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.is_file() && name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with('_')
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let read = std::fs::read_dir(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in read {
        out.push(
            entry
                .map_err(|source| ReportError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?
                .path(),
        );
    }
    out.sort();
    Ok(out)
}

/// Reads `path`, decoding only the `wanted` columns that exist, and calls `f` per batch.
fn read_batches(
    path: &Path,
    wanted: &[&str],
    mut f: impl FnMut(&RecordBatch) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let parquet = |source| ReportError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
    let roots: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder.with_projection(mask).build().map_err(parquet)?;
    for batch in reader {
        let batch = batch.map_err(|e| ReportError::Parquet {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        f(&batch)?;
    }
    Ok(())
}

/// Typed access to the columns of one batch, by name, with errors naming the file.
struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

impl<'a> Columns<'a> {
    fn get(&self, name: &'static str) -> Result<&'a ArrayRef, ReportError> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| ReportError::Column {
                path: self.path.to_path_buf(),
                column: name,
                problem: "is missing",
            })
    }

    fn typed<T: 'static>(&self, name: &'static str) -> Result<&'a T, ReportError> {
        self.get(name)?
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| ReportError::Column {
                path: self.path.to_path_buf(),
                column: name,
                problem: "has an unexpected type",
            })
    }

    fn str(&self, name: &'static str) -> Result<&'a StringArray, ReportError> {
        self.typed(name)
    }
}

fn opt_str(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn opt_f64(a: &Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}

const CALL_COLUMNS: &[&str] = &[
    "call_id",
    "language",
    "customer_id",
    "agent_id",
    "queue",
    "channel",
    "started_at",
    "duration_s",
    "repeat_contact",
    "repeat_contact_hits",
    "escalation",
    "escalation_hits",
    "sentiment",
    "negative_hits",
    "topics",
];

/// Calls `f` with every selected call, partition by partition in date order.
pub fn for_each_call(
    dir: &Path,
    selection: &Selection,
    mut f: impl FnMut(CallRow),
) -> Result<(), ReportError> {
    check_dataset(dir)?;
    for (path, date) in table_files(dir, "calls", |d| selection.includes_date(d))? {
        let call_date = date.unwrap_or_else(|| "unknown".to_string());
        read_batches(&path, CALL_COLUMNS, |batch| {
            let c = Columns { batch, path: &path };
            let (id, language, customer, agent, queue, channel) = (
                c.str("call_id")?,
                c.str("language")?,
                c.str("customer_id")?,
                c.str("agent_id")?,
                c.str("queue")?,
                c.str("channel")?,
            );
            let started: &TimestampMicrosecondArray = c.typed("started_at")?;
            let duration: &Float64Array = c.typed("duration_s")?;
            let (repeat, escalation): (&BooleanArray, &BooleanArray) =
                (c.typed("repeat_contact")?, c.typed("escalation")?);
            let repeat_hits: &Int32Array = c.typed("repeat_contact_hits")?;
            let escalation_hits: &Int32Array = c.typed("escalation_hits")?;
            let negative_hits: &Int32Array = c.typed("negative_hits")?;
            let sentiment: &Float32Array = c.typed("sentiment")?;
            let topics: &ListArray = c.typed("topics")?;
            for i in 0..batch.num_rows() {
                let language = language.value(i);
                let (q, a) = (opt_str(queue, i), opt_str(agent, i));
                if !selection.includes_routing(q.as_deref(), a.as_deref(), language) {
                    continue;
                }
                let topics = if topics.is_null(i) {
                    Vec::new()
                } else {
                    let inner = topics.value(i);
                    let items = inner.as_any().downcast_ref::<StringArray>().ok_or(
                        ReportError::Column {
                            path: path.clone(),
                            column: "topics",
                            problem: "is not a list of strings",
                        },
                    )?;
                    (0..items.len())
                        .filter(|&j| !items.is_null(j))
                        .map(|j| items.value(j).to_string())
                        .collect()
                };
                f(CallRow {
                    call_id: id.value(i).to_string(),
                    call_date: call_date.clone(),
                    language: language.to_string(),
                    customer_id: opt_str(customer, i),
                    agent_id: a,
                    queue: q,
                    channel: opt_str(channel, i),
                    started_at_us: (!started.is_null(i)).then(|| started.value(i)),
                    duration_s: opt_f64(duration, i),
                    repeat_contact: repeat.value(i),
                    repeat_contact_hits: repeat_hits.value(i),
                    escalation: escalation.value(i),
                    escalation_hits: escalation_hits.value(i),
                    sentiment: (!sentiment.is_null(i)).then(|| sentiment.value(i)),
                    negative_hits: negative_hits.value(i),
                    topics,
                });
            }
            Ok(())
        })?;
    }
    Ok(())
}

const HIT_COLUMNS: &[&str] = &[
    "call_id",
    "turn",
    "speaker",
    "category",
    "language",
    "phrase",
    "matched_text",
    "char_start",
    "char_end",
    "start_s",
    "negated",
    "counted",
];

/// Calls `f` with every hit in the partitions `keep_date` accepts.
pub fn for_each_hit(
    dir: &Path,
    keep_date: impl Fn(&str) -> bool,
    mut f: impl FnMut(HitRow),
) -> Result<(), ReportError> {
    for (path, _) in table_files(dir, "hits", keep_date)? {
        read_batches(&path, HIT_COLUMNS, |batch| {
            let c = Columns { batch, path: &path };
            let (id, speaker, category, language, phrase, matched) = (
                c.str("call_id")?,
                c.str("speaker")?,
                c.str("category")?,
                c.str("language")?,
                c.str("phrase")?,
                c.str("matched_text")?,
            );
            let (turn, start, end): (&Int32Array, &Int32Array, &Int32Array) = (
                c.typed("turn")?,
                c.typed("char_start")?,
                c.typed("char_end")?,
            );
            let start_s: &Float64Array = c.typed("start_s")?;
            let (negated, counted): (&BooleanArray, &BooleanArray) =
                (c.typed("negated")?, c.typed("counted")?);
            for i in 0..batch.num_rows() {
                f(HitRow {
                    call_id: id.value(i).to_string(),
                    turn: turn.value(i),
                    speaker: speaker.value(i).to_string(),
                    category: category.value(i).to_string(),
                    language: language.value(i).to_string(),
                    phrase: phrase.value(i).to_string(),
                    matched_text: matched.value(i).to_string(),
                    char_start: start.value(i),
                    char_end: end.value(i),
                    start_s: opt_f64(start_s, i),
                    negated: negated.value(i),
                    counted: counted.value(i),
                });
            }
            Ok(())
        })?;
    }
    Ok(())
}

const TURN_COLUMNS: &[&str] = &[
    "call_id",
    "turn",
    "speaker",
    "speaker_label",
    "start_s",
    "text",
];

/// The stored turns of the calls in `ids`, from the partitions `keep_date` accepts, grouped by
/// call and sorted by turn index.
pub fn read_turns(
    dir: &Path,
    keep_date: impl Fn(&str) -> bool,
    ids: &HashSet<&str>,
) -> Result<BTreeMap<String, Vec<TurnRow>>, ReportError> {
    let mut out: BTreeMap<String, Vec<TurnRow>> = BTreeMap::new();
    for (path, _) in table_files(dir, "turns", keep_date)? {
        read_batches(&path, TURN_COLUMNS, |batch| {
            let c = Columns { batch, path: &path };
            let (id, speaker, label, text) = (
                c.str("call_id")?,
                c.str("speaker")?,
                c.str("speaker_label")?,
                c.str("text")?,
            );
            let turn: &Int32Array = c.typed("turn")?;
            let start_s: &Float64Array = c.typed("start_s")?;
            for i in 0..batch.num_rows() {
                let call_id = id.value(i);
                if !ids.contains(call_id) {
                    continue;
                }
                out.entry(call_id.to_string()).or_default().push(TurnRow {
                    call_id: call_id.to_string(),
                    turn: turn.value(i),
                    speaker: speaker.value(i).to_string(),
                    speaker_label: label.value(i).to_string(),
                    start_s: opt_f64(start_s, i),
                    text: text.value(i).to_string(),
                });
            }
            Ok(())
        })?;
    }
    for turns in out.values_mut() {
        turns.sort_by_key(|t| t.turn);
    }
    Ok(out)
}

/// The count columns of the `fcr` table the report reads (see docs/FCR.md).
const FCR_COUNTS: &[&str] = &[
    "contacts",
    "first_contacts",
    "resolved",
    "unresolved",
    "censored",
    "phrase_repeats",
    "escalations",
    "negative_calls",
    "resolved_combined",
    "unresolved_combined",
];

/// The `level` of the `fcr` rows that are cells (the others are rollups of them).
const FCR_CELL_LEVEL: &str = "cell";

/// Sums the selected cells of `DIR/fcr`, or `None` when the dataset has no `fcr` table (no
/// linking run has written one). Columns are found by name: routing columns the table lacks
/// do not filter, count columns it lacks read as 0 and are listed in
/// [`FcrTable::missing_columns`].
pub fn read_fcr(dir: &Path, selection: &Selection) -> Result<Option<FcrTable>, ReportError> {
    let files = table_files(dir, "fcr", |d| selection.includes_date(d))?;
    if files.is_empty() {
        return Ok(None);
    }
    let mut table = FcrTable::default();
    let mut missing: Vec<&'static str> = Vec::new();
    let mut wanted: Vec<&str> = FCR_COUNTS.to_vec();
    wanted.extend(["level", "call_date", "queue", "agent_id", "language"]);
    for (path, date) in files {
        read_batches(&path, &wanted, |batch| {
            let c = Columns { batch, path: &path };
            let text = |name: &'static str| {
                c.get(name)
                    .ok()
                    .and_then(|a| a.as_any().downcast_ref::<StringArray>())
            };
            let (levels, dates, queues, agents, languages) = (
                text("level"),
                text("call_date"),
                text("queue"),
                text("agent_id"),
                text("language"),
            );
            let mut counts: Vec<Option<Vec<u64>>> = Vec::new();
            for &name in FCR_COUNTS {
                let values = c.get(name).ok().and_then(integers);
                if values.is_none() && !missing.contains(&name) {
                    missing.push(name);
                }
                counts.push(values);
            }
            for i in 0..batch.num_rows() {
                let value = |a: Option<&StringArray>| a.and_then(|a| opt_str(a, i));
                // The table holds cells and rollups of them; only cells add up.
                if levels.is_some() && value(levels).as_deref() != Some(FCR_CELL_LEVEL) {
                    continue;
                }
                let call_date = value(dates)
                    .or_else(|| date.clone())
                    .unwrap_or_else(|| "unknown".to_string());
                if !selection.includes_date(&call_date) {
                    continue;
                }
                // A routing filter keeps a cell only when the table has that column and the
                // cell's value is in the list.
                let keep = |list: &[String], column: Option<&StringArray>| {
                    list.is_empty() || value(column).is_some_and(|v| list.contains(&v))
                };
                if !keep(&selection.queues, queues)
                    || !keep(&selection.agents, agents)
                    || !keep(&selection.languages, languages)
                {
                    continue;
                }
                let queue = value(queues);
                let n = |k: usize| counts[k].as_ref().map_or(0, |v| v[i]);
                let cell = FcrCounts {
                    contacts: n(0),
                    first_contacts: n(1),
                    resolved: n(2),
                    unresolved: n(3),
                    censored: n(4),
                    phrase_repeats: n(5),
                    escalations: n(6),
                    negative_calls: n(7),
                    resolved_combined: n(8),
                    unresolved_combined: n(9),
                };
                table.total += cell;
                *table.by_date.entry(call_date).or_default() += cell;
                *table.by_queue.entry(queue).or_default() += cell;
            }
            Ok(())
        })?;
    }
    table.missing_columns = missing;
    Ok(Some(table))
}

/// The values of an integer column as `u64` (nulls and negatives as 0), whatever its width.
fn integers(a: &ArrayRef) -> Option<Vec<u64>> {
    fn collect<I: Into<i128>>(values: impl Iterator<Item = Option<I>>) -> Vec<u64> {
        values
            .map(|v| v.map_or(0, |v| v.into().clamp(0, i128::from(u64::MAX)) as u64))
            .collect()
    }
    let any = a.as_any();
    if let Some(x) = any.downcast_ref::<Int64Array>() {
        return Some(collect(x.iter()));
    }
    if let Some(x) = any.downcast_ref::<UInt64Array>() {
        return Some(collect(x.iter()));
    }
    if let Some(x) = any.downcast_ref::<Int32Array>() {
        return Some(collect(x.iter()));
    }
    any.downcast_ref::<UInt32Array>().map(|x| collect(x.iter()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::batch::BatchBuilder;
    use crate::output::schema::{CALLS, ColType, HITS, TURNS, Table};
    use parquet::arrow::ArrowWriter;

    /// A value for the round-trip rows; columns not given get a default (null when nullable).
    #[derive(Clone)]
    enum V {
        S(&'static str),
        I(i64),
        F(f64),
        B(bool),
        L(&'static [&'static str]),
    }

    /// Writes one row per map to `dir/<table>/call_date=<date>/part-00000.parquet` with the
    /// output module's own batch builder, so the columns are exactly the written schema.
    fn write(dir: &Path, table: &'static Table, date: &str, rows: &[Vec<(&str, V)>]) {
        let mut b = BatchBuilder::new(table);
        for values in rows {
            let mut row = b.row();
            for c in table.columns {
                let v = values
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .map(|(_, v)| v.clone());
                row = match (c.ty, v) {
                    (ColType::Utf8, Some(V::S(s))) => row.str(s),
                    (ColType::Utf8, None) => row.opt_str((!c.nullable).then_some("x")),
                    (ColType::Bool, Some(V::B(x))) => row.bool(x),
                    (ColType::Bool, None) => row.opt_bool((!c.nullable).then_some(false)),
                    (ColType::Int32, Some(V::I(x))) => row.i32(x as i32),
                    (ColType::Int32, None) => row.opt_i32((!c.nullable).then_some(0)),
                    (ColType::Int64, Some(V::I(x))) => row.i64(x),
                    (ColType::Int64, None) => row.opt_i64((!c.nullable).then_some(0)),
                    (ColType::Float32, Some(V::F(x))) => row.f32(x as f32),
                    (ColType::Float32, None) => row.opt_f32((!c.nullable).then_some(0.0)),
                    (ColType::Float64, Some(V::F(x))) => row.f64(x),
                    (ColType::Float64, None) => row.opt_f64((!c.nullable).then_some(0.0)),
                    (ColType::TimestampUs, Some(V::I(x))) => row.timestamp_us(x),
                    (ColType::TimestampUs, None) => row.opt_timestamp_us(None),
                    (ColType::ListUtf8, Some(V::L(items))) => row.str_list(items.iter().copied()),
                    (ColType::ListUtf8, None) => row.str_list([]),
                    (ty, _) => panic!("test value for {} does not fit {ty:?}", c.name),
                };
            }
            row.end();
        }
        let batch = b.finish().expect("rows match the schema");
        let part = dir.join(table.name).join(format!("call_date={date}"));
        std::fs::create_dir_all(&part).unwrap();
        let mut w = ArrowWriter::try_new(
            File::create(part.join("part-00000.parquet")).unwrap(),
            table.arrow_schema(),
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn call(id: &'static str, queue: &'static str, escalation: bool) -> Vec<(&'static str, V)> {
        vec![
            ("call_id", V::S(id)),
            ("language", V::S("en")),
            ("queue", V::S(queue)),
            ("started_at", V::I(1_793_610_843_000_000)),
            ("duration_s", V::F(184.0)),
            ("escalation", V::B(escalation)),
            ("escalation_hits", V::I(i64::from(escalation))),
            ("sentiment", V::F(-0.75)),
            ("topics", V::L(&["topic_billing"])),
        ]
    }

    #[test]
    fn tables_written_by_the_output_module_read_back() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &CALLS,
            "2026-11-02",
            &[call("a", "billing", true), call("b", "retention", false)],
        );
        write(
            dir.path(),
            &CALLS,
            "2026-11-05",
            &[call("c", "billing", false)],
        );
        write(
            dir.path(),
            &HITS,
            "2026-11-02",
            &[vec![
                ("call_id", V::S("a")),
                ("turn", V::I(1)),
                ("category", V::S("escalation")),
                ("phrase", V::S("speak to your manager")),
                ("char_start", V::I(3)),
                ("char_end", V::I(24)),
                ("start_s", V::F(6.5)),
                ("counted", V::B(true)),
            ]],
        );
        write(
            dir.path(),
            &TURNS,
            "2026-11-02",
            &[vec![
                ("call_id", V::S("a")),
                ("turn", V::I(1)),
                ("text", V::S("no speak to your manager")),
            ]],
        );
        // A staging directory is never read.
        std::fs::create_dir_all(dir.path().join("calls/_staging/call_date=2026-11-02")).unwrap();

        let sel = Selection {
            to: Some("2026-11-03".into()),
            queues: vec!["billing".into()],
            ..Selection::default()
        };
        let mut calls = Vec::new();
        for_each_call(dir.path(), &sel, |c| calls.push(c)).unwrap();
        assert_eq!(calls.len(), 1, "c is after --to, b is in another queue");
        let a = &calls[0];
        assert_eq!(
            (a.call_id.as_str(), a.call_date.as_str(), a.queue.as_deref()),
            ("a", "2026-11-02", Some("billing"))
        );
        assert_eq!(
            (a.escalation, a.escalation_hits, a.sentiment, a.duration_s),
            (true, 1, Some(-0.75), Some(184.0))
        );
        assert_eq!(
            (a.started_at_us, a.topics.as_slice()),
            (
                Some(1_793_610_843_000_000),
                &["topic_billing".to_string()][..]
            )
        );

        let mut hits = Vec::new();
        for_each_hit(dir.path(), |d| sel.includes_date(d), |h| hits.push(h)).unwrap();
        assert_eq!(
            (
                hits[0].turn,
                hits[0].char_start,
                hits[0].char_end,
                hits[0].counted
            ),
            (1, 3, 24, true)
        );
        assert_eq!(
            (hits[0].phrase.as_str(), hits[0].start_s),
            ("speak to your manager", Some(6.5))
        );

        let turns = read_turns(dir.path(), |_| true, &HashSet::from(["a"])).unwrap();
        assert_eq!(turns["a"][0].text, "no speak to your manager");
        assert_eq!(
            read_fcr(dir.path(), &sel).unwrap(),
            None,
            "no fcr table, no FCR section"
        );
    }

    #[test]
    fn fcr_sums_cells_only_and_filters_by_column_name() {
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("fcr/call_date=2026-11-02");
        std::fs::create_dir_all(&part).unwrap();
        // Columns in an order of their own, counts as int64, no call_date column (it is in the
        // path), and a `date` rollup row that must not be added to the cells.
        let schema = Arc::new(Schema::new(vec![
            Field::new("resolved", DataType::Int64, true),
            Field::new("level", DataType::Utf8, false),
            Field::new("queue", DataType::Utf8, true),
            Field::new("contacts", DataType::Int64, true),
            Field::new("unresolved", DataType::Int64, true),
            Field::new("phrase_repeats", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![3, 1, 4])),
                Arc::new(StringArray::from(vec!["cell", "cell", "date"])),
                Arc::new(StringArray::from(vec![Some("billing"), Some("tech"), None])),
                Arc::new(Int64Array::from(vec![5, 2, 7])),
                Arc::new(Int64Array::from(vec![1, 1, 2])),
                Arc::new(Int64Array::from(vec![2, 0, 2])),
            ],
        )
        .unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            File::create(part.join("part-00000.parquet")).unwrap(),
            schema,
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();

        let all = read_fcr(dir.path(), &Selection::default())
            .unwrap()
            .expect("the table exists");
        assert_eq!(
            (
                all.total.contacts,
                all.total.resolved,
                all.total.unresolved,
                all.total.phrase_repeats
            ),
            (7, 4, 2, 2)
        );
        assert_eq!(all.by_date["2026-11-02"], all.total);
        assert!(
            all.missing_columns.contains(&"censored") && !all.missing_columns.contains(&"resolved")
        );
        let billing = Selection {
            queues: vec!["billing".into()],
            ..Selection::default()
        };
        let one = read_fcr(dir.path(), &billing).unwrap().unwrap();
        assert_eq!((one.total.contacts, one.total.resolved), (5, 3));
        let agent = Selection {
            agents: vec!["agt-1".into()],
            ..Selection::default()
        };
        assert_eq!(
            read_fcr(dir.path(), &agent)
                .unwrap()
                .unwrap()
                .total
                .contacts,
            0,
            "no agent_id column: no cell matches an agent filter"
        );
    }

    #[test]
    fn a_directory_without_calls_is_not_a_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let err = for_each_call(dir.path(), &Selection::default(), |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("holds no calls table") && err.contains("--out directory"),
            "{err}"
        );
    }

    #[test]
    fn unknown_dates_are_kept_only_without_date_bounds() {
        let open = Selection::default();
        let bounded = Selection {
            from: Some("2026-11-01".into()),
            ..Selection::default()
        };
        assert!(open.includes_date("unknown") && !bounded.includes_date("unknown"));
        assert!(bounded.includes_date("2026-11-01") && !bounded.includes_date("2026-10-31"));
    }
}
