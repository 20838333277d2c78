//! Reading the dataset back for linking: the calls of chosen `call_date` partitions as
//! [`ContactInput`]s, the stored `contacts` rows, and the linking options the stored rows were
//! computed with.
//!
//! This module decides nothing about which partitions a run needs (that is
//! [`crate::linking`]'s plan); it reads what it is asked for, one partition at a time, with a
//! column projection so only the columns linking uses are decoded. A file whose columns are not
//! those of [`super::schema::CALLS`] or [`super::fcr_tables::CONTACTS`] is an error naming the
//! file and the column, never a silent default.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::{
    Array, BooleanArray, Float32Array, Float64Array, Int32Array, ListArray, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;

use super::dataset::BATCH_ROWS;
use super::dataset::ZONE_KEY;
use super::fcr_tables::{CONTACTS, LINK_SETTINGS_KEY};
use super::schema::{CALLS, Table};
use crate::aggregate::fcr::UNKNOWN_DATE;
use crate::link::{ContactInput, ContactRow, Outcome};

/// A partition or file of the dataset that could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A directory or file could not be read.
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
    /// A column is missing or has another type than fcrscan writes.
    #[error(
        "{}: column {column} is missing or is not {expected}; files under this directory must be written by fcrscan",
        path.display()
    )]
    Column {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The type expected, in docs/SCHEMA.md's words.
        expected: &'static str,
    },
    /// A value that fcrscan never writes (a null `call_id`, an unknown `outcome`).
    #[error("{}: row {row}: {problem}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// 0-based row in the file.
        row: usize,
        /// What is wrong.
        problem: String,
    },
}

/// The `call_date` partitions of a table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partitions {
    /// Dated partitions (`YYYY-MM-DD`), in order.
    pub dated: BTreeSet<String>,
    /// Whether a `call_date=unknown` partition exists.
    pub unknown: bool,
}

impl Partitions {
    /// Whether the table has no partition.
    pub fn is_empty(&self) -> bool {
        self.dated.is_empty() && !self.unknown
    }

    /// Whether partition `date` (a date or `unknown`) exists.
    pub fn contains(&self, date: &str) -> bool {
        if date == UNKNOWN_DATE {
            self.unknown
        } else {
            self.dated.contains(date)
        }
    }
}

/// Whether `s` looks like `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The partitions of `table` under `root`; directories that are not `call_date=YYYY-MM-DD` or
/// `call_date=unknown` are ignored. A missing table has no partitions.
pub fn partitions(root: &Path, table: &Table) -> Result<Partitions, HistoryError> {
    let dir = root.join(table.name);
    let mut found = Partitions::default();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(source) => return Err(HistoryError::Io { path: dir, source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| HistoryError::Io {
            path: dir.clone(),
            source,
        })?;
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name();
        let Some(value) = name.to_str().and_then(|n| n.strip_prefix("call_date=")) else {
            continue;
        };
        if value == UNKNOWN_DATE {
            found.unknown = true;
        } else if is_date(value) {
            found.dated.insert(value.to_string());
        }
    }
    Ok(found)
}

/// The Parquet files of one partition, sorted by name (none when it does not exist).
fn partition_files(root: &Path, table: &Table, date: &str) -> Result<Vec<PathBuf>, HistoryError> {
    let dir = root.join(table.name).join(format!("call_date={date}"));
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(HistoryError::Io { path: dir, source }),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| HistoryError::Io {
                path: dir.clone(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "parquet") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads the columns `names` of `path`, batch by batch, into `each`. `names` must all exist.
fn read_columns(
    path: &Path,
    names: &[&'static str],
    mut each: impl FnMut(&RecordBatch, usize) -> Result<(), HistoryError>,
) -> Result<(), HistoryError> {
    let parquet = |source| HistoryError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
    let mut roots = Vec::with_capacity(names.len());
    for &name in names {
        let index = builder
            .schema()
            .index_of(name)
            .map_err(|_| HistoryError::Column {
                path: path.to_path_buf(),
                column: name,
                expected: "present",
            })?;
        roots.push(index);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet)?;
    let mut first_row = 0;
    for batch in reader {
        let batch = batch.map_err(|e| parquet(e.into()))?;
        each(&batch, first_row)?;
        first_row += batch.num_rows();
    }
    Ok(())
}

/// The column `name` of `batch` as an array of type `A` (`expected` names it for errors).
fn column<'b, A: Array + 'static>(
    batch: &'b RecordBatch,
    path: &Path,
    name: &'static str,
    expected: &'static str,
) -> Result<&'b A, HistoryError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<A>())
        .ok_or_else(|| HistoryError::Column {
            path: path.to_path_buf(),
            column: name,
            expected,
        })
}

fn opt_str(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn opt<T>(a: &impl Array, i: usize, value: impl FnOnce() -> T) -> Option<T> {
    (!a.is_null(i)).then(value)
}

/// The calls columns linking reads; `topics` only when `with_topics`.
const CALL_COLUMNS: [&str; 12] = [
    "call_id",
    "customer_id",
    "channel",
    "queue",
    "agent_id",
    "language",
    "started_at",
    "duration_s",
    "repeat_contact",
    "escalation",
    "sentiment",
    "topics",
];

/// Reads the calls of partition `date` (a date or `unknown`) as linking inputs, appending to
/// `into` those for which `keep(call_id, customer)` is true (`customer`: the customer id when
/// it is not blank); the others are skipped before anything is copied. Topics are read only
/// when `with_topics` (they matter only to `--same-issue`). A call is `negative` when its
/// customer sentiment is below 0.
pub fn read_calls(
    root: &Path,
    date: &str,
    with_topics: bool,
    keep: &dyn Fn(&str, Option<&str>) -> bool,
    into: &mut Vec<ContactInput>,
) -> Result<(), HistoryError> {
    for_each_call(root, date, with_topics, keep, |call| into.push(call))
}

/// [`read_calls`], handing each call to `each` as it is read rather than collecting them.
pub fn for_each_call(
    root: &Path,
    date: &str,
    with_topics: bool,
    keep: &dyn Fn(&str, Option<&str>) -> bool,
    mut each: impl FnMut(ContactInput),
) -> Result<(), HistoryError> {
    debug_assert_eq!(CALLS.name, "calls");
    let names = if with_topics {
        &CALL_COLUMNS[..]
    } else {
        &CALL_COLUMNS[..CALL_COLUMNS.len() - 1]
    };
    for path in partition_files(root, &CALLS, date)? {
        read_columns(&path, names, |batch, first_row| {
            let p = path.as_path();
            let call_id = column::<StringArray>(batch, p, "call_id", "a string")?;
            let customer = column::<StringArray>(batch, p, "customer_id", "a string")?;
            let channel = column::<StringArray>(batch, p, "channel", "a string")?;
            let queue = column::<StringArray>(batch, p, "queue", "a string")?;
            let agent = column::<StringArray>(batch, p, "agent_id", "a string")?;
            let language = column::<StringArray>(batch, p, "language", "a string")?;
            let started =
                column::<TimestampMicrosecondArray>(batch, p, "started_at", "a timestamp[us]")?;
            let duration = column::<Float64Array>(batch, p, "duration_s", "a float64")?;
            let repeat = column::<BooleanArray>(batch, p, "repeat_contact", "a bool")?;
            let escalation = column::<BooleanArray>(batch, p, "escalation", "a bool")?;
            let sentiment = column::<Float32Array>(batch, p, "sentiment", "a float32")?;
            let topics = if with_topics {
                Some(column::<ListArray>(
                    batch,
                    p,
                    "topics",
                    "a list of strings",
                )?)
            } else {
                None
            };
            for i in 0..batch.num_rows() {
                if call_id.is_null(i) {
                    return Err(HistoryError::Value {
                        path: path.clone(),
                        row: first_row + i,
                        problem: "call_id is null".into(),
                    });
                }
                let customer_key = (!customer.is_null(i))
                    .then(|| customer.value(i))
                    .filter(|id| !id.trim().is_empty());
                if !keep(call_id.value(i), customer_key) {
                    continue;
                }
                let mut call = ContactInput::new(
                    call_id.value(i),
                    opt_str(language, i).unwrap_or_else(|| "und".to_string()),
                );
                call.customer_id = opt_str(customer, i);
                call.channel = opt_str(channel, i);
                call.queue = opt_str(queue, i);
                call.agent_id = opt_str(agent, i);
                call.started_at_us = opt(started, i, || started.value(i));
                call.duration_s = opt(duration, i, || duration.value(i));
                call.repeat_cue = !repeat.is_null(i) && repeat.value(i);
                call.escalation = !escalation.is_null(i) && escalation.value(i);
                call.negative = !sentiment.is_null(i) && sentiment.value(i) < 0.0;
                if let Some(topics) = topics.filter(|t| !t.is_null(i)) {
                    let list = topics.value(i);
                    let names = list.as_any().downcast_ref::<StringArray>().ok_or_else(|| {
                        HistoryError::Column {
                            path: path.clone(),
                            column: "topics",
                            expected: "a list of strings",
                        }
                    })?;
                    call.topics = (0..names.len())
                        .filter(|&j| !names.is_null(j))
                        .map(|j| names.value(j).to_string())
                        .collect();
                }
                each(call);
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// What linking needs to know of the calls of some partitions before reading them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallsSummary {
    /// Rows (calls) in their files.
    pub rows: u64,
    /// The latest `started_at` among them; `None` when no call has one.
    pub latest_start: Option<i64>,
}

/// Sums up the `calls` files of the partitions `dates` from their footers: the row counts, and
/// the latest start from each row group's `started_at` statistics. Only a file whose row
/// groups lack those statistics has that column read (fcrscan always writes them). Reading
/// the column of every file cost a decompression context per row group: a tenth of the link
/// step on 100,000 small files.
pub fn calls_summary(root: &Path, dates: &[&str]) -> Result<CallsSummary, HistoryError> {
    let mut summary = CallsSummary::default();
    for date in dates {
        for path in partition_files(root, &CALLS, date)? {
            let file = File::open(&path).map_err(|source| HistoryError::Io {
                path: path.clone(),
                source,
            })?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| {
                HistoryError::Parquet {
                    path: path.clone(),
                    source,
                }
            })?;
            let metadata = builder.metadata();
            summary.rows += u64::try_from(metadata.file_metadata().num_rows()).unwrap_or(0);
            let latest = match latest_start_in_footer(metadata) {
                Some(latest) => latest,
                None => latest_start_in_column(&path)?,
            };
            summary.latest_start = summary.latest_start.max(latest);
        }
    }
    Ok(summary)
}

/// The latest `started_at` of a file from its row-group statistics; `None` when some row group
/// with rows has no exact maximum to tell (or the column is missing: the read that follows
/// names the problem).
fn latest_start_in_footer(metadata: &ParquetMetaData) -> Option<Option<i64>> {
    let column = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == "started_at")?;
    let mut latest = None;
    for group in metadata.row_groups() {
        if group.num_rows() == 0 {
            continue;
        }
        let Some(Statistics::Int64(stats)) = group.column(column).statistics() else {
            return None;
        };
        match stats.max_opt() {
            Some(&max) if stats.max_is_exact() => latest = latest.max(Some(max)),
            // No maximum: fine only when every value is null.
            None if stats.null_count_opt() == Some(group.num_rows() as u64) => {}
            _ => return None,
        }
    }
    Some(latest)
}

/// The latest `started_at` of a file, reading that column.
fn latest_start_in_column(path: &Path) -> Result<Option<i64>, HistoryError> {
    let mut latest = None;
    read_columns(path, &["started_at"], |batch, _| {
        let started =
            column::<TimestampMicrosecondArray>(batch, path, "started_at", "a timestamp[us]")?;
        latest = latest.max(started.iter().flatten().max());
        Ok(())
    })?;
    Ok(latest)
}

/// The `contacts` columns, in file order.
const CONTACT_COLUMNS: [&str; 12] = [
    "call_id",
    "customer_id",
    "chain_id",
    "chain_position",
    "prev_call_id",
    "next_call_id",
    "gap_before_s",
    "gap_after_s",
    "repeat",
    "outcome",
    "phrase_evidence",
    "resolved_combined",
];

/// Reads the stored contacts rows of partition `date` (a date or `unknown`), in file order.
pub fn read_contacts(root: &Path, date: &str) -> Result<Vec<ContactRow>, HistoryError> {
    debug_assert_eq!(CONTACTS.columns.len(), CONTACT_COLUMNS.len());
    let mut rows = Vec::new();
    for path in partition_files(root, &CONTACTS, date)? {
        read_columns(&path, &CONTACT_COLUMNS, |batch, first_row| {
            let p = path.as_path();
            let strings = |name| column::<StringArray>(batch, p, name, "a string");
            let floats = |name| column::<Float64Array>(batch, p, name, "a float64");
            let bools = |name| column::<BooleanArray>(batch, p, name, "a bool");
            let (call_id, customer, chain) = (
                strings("call_id")?,
                strings("customer_id")?,
                strings("chain_id")?,
            );
            let (prev, next, outcome) = (
                strings("prev_call_id")?,
                strings("next_call_id")?,
                strings("outcome")?,
            );
            let position = column::<Int32Array>(batch, p, "chain_position", "an int32")?;
            let (before, after) = (floats("gap_before_s")?, floats("gap_after_s")?);
            let (repeat, phrase, combined) = (
                bools("repeat")?,
                bools("phrase_evidence")?,
                bools("resolved_combined")?,
            );
            for i in 0..batch.num_rows() {
                let bad = |problem: String| HistoryError::Value {
                    path: path.clone(),
                    row: first_row + i,
                    problem,
                };
                let required = [
                    ("call_id", call_id.is_null(i)),
                    ("chain_id", chain.is_null(i)),
                    ("outcome", outcome.is_null(i)),
                    ("chain_position", position.is_null(i)),
                ];
                if let Some((name, _)) = required.iter().find(|(_, null)| *null) {
                    return Err(bad(format!("{name} is null")));
                }
                let outcome_name = outcome.value(i);
                let outcome = Outcome::from_name(outcome_name)
                    .ok_or_else(|| bad(format!("unknown outcome '{outcome_name}'")))?;
                let chain_position = u32::try_from(position.value(i))
                    .map_err(|_| bad(format!("chain_position {} < 0", position.value(i))))?;
                rows.push(ContactRow {
                    call_id: call_id.value(i).to_string(),
                    customer_id: opt_str(customer, i),
                    chain_id: chain.value(i).to_string(),
                    chain_position,
                    prev_call_id: opt_str(prev, i),
                    next_call_id: opt_str(next, i),
                    gap_before_s: opt(before, i, || before.value(i)),
                    gap_after_s: opt(after, i, || after.value(i)),
                    repeat: !repeat.is_null(i) && repeat.value(i),
                    outcome,
                    phrase_evidence: !phrase.is_null(i) && phrase.value(i),
                    resolved_combined: opt(combined, i, || combined.value(i)),
                });
            }
            Ok(())
        })?;
    }
    Ok(rows)
}

/// The linking options recorded in the newest stored contacts file (the last file of the
/// latest partition), `None` when there is no contacts file or it records none.
pub fn stored_link_settings(root: &Path) -> Result<Option<String>, HistoryError> {
    Ok(latest_file_value(root, &CONTACTS, LINK_SETTINGS_KEY)?.flatten())
}

/// The time zone the dataset at `root` counts its call dates in: the `fcrscan.timezone` of
/// its latest calls file, `UTC` for a file written before the key existed (UTC was then the
/// only zone), `None` when the dataset holds no calls yet.
pub fn stored_zone(root: &Path) -> Result<Option<String>, HistoryError> {
    Ok(latest_file_value(root, &CALLS, ZONE_KEY)?
        .map(|value| value.unwrap_or_else(|| "UTC".to_string())))
}

/// The value of the key-value metadata `key` in the last file of `table`'s latest partition:
/// `None` without a file, `Some(None)` when that file lacks the key.
fn latest_file_value(
    root: &Path,
    table: &Table,
    key: &str,
) -> Result<Option<Option<String>>, HistoryError> {
    let found = partitions(root, table)?;
    let latest = found
        .dated
        .last()
        .map(String::as_str)
        .or(found.unknown.then_some(UNKNOWN_DATE));
    let Some(date) = latest else {
        return Ok(None);
    };
    let Some(path) = partition_files(root, table, date)?.pop() else {
        return Ok(None);
    };
    let file = File::open(&path).map_err(|source| HistoryError::Io {
        path: path.clone(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|source| HistoryError::Parquet { path, source })?;
    let value = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kvs| kvs.iter().find(|kv| kv.key == key))
        .and_then(|kv| kv.value.clone());
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_call_date_directories_are_partitions() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in [
            "call_date=2026-11-02",
            "call_date=2026-11-10",
            "call_date=unknown",
            "call_date=yesterday",
            "notes",
        ] {
            fs::create_dir_all(dir.path().join("calls").join(name)).expect("mkdir");
        }
        fs::write(dir.path().join("calls/call_date=2026-11-11"), "a file").expect("write");
        let found = partitions(dir.path(), &CALLS).expect("readable");
        assert_eq!(
            found.dated.iter().collect::<Vec<_>>(),
            ["2026-11-02", "2026-11-10"]
        );
        assert!(found.unknown && found.contains("unknown") && found.contains("2026-11-10"));
        assert!(
            partitions(dir.path(), &CONTACTS)
                .expect("missing is empty")
                .is_empty()
        );
    }

    #[test]
    fn calls_summary_reads_footers_and_falls_back_to_the_column_without_statistics() {
        use crate::output::batch::BatchBuilder;
        use crate::output::schema::{ColType, Column};
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::{EnabledStatistics, WriterProperties};

        static STARTS: Table = Table::new(
            "calls",
            true,
            &[
                Column {
                    name: "call_id",
                    ty: ColType::Utf8,
                    nullable: false,
                    doc: "an id",
                },
                Column {
                    name: "started_at",
                    ty: ColType::TimestampUs,
                    nullable: true,
                    doc: "a start",
                },
            ],
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |date: &str, file: &str, starts: &[Option<i64>], stats: EnabledStatistics| {
            let part = dir.path().join(format!("calls/call_date={date}"));
            fs::create_dir_all(&part).expect("mkdir");
            let mut b = BatchBuilder::new(&STARTS);
            for (i, start) in starts.iter().enumerate() {
                b.row().str(&format!("c{i}")).opt_timestamp_us(*start).end();
            }
            let batch = b.finish().expect("batch");
            let props = WriterProperties::builder()
                .set_statistics_enabled(stats)
                .set_max_row_group_row_count(Some(2))
                .build();
            let out = File::create(part.join(file)).expect("create");
            let mut w = ArrowWriter::try_new(out, batch.schema(), Some(props)).expect("writer");
            w.write(&batch).expect("write");
            w.close().expect("close");
        };
        // Row groups of two rows; the latest start in the first, and one group all null.
        write(
            "2026-11-02",
            "part-00000.parquet",
            &[Some(1), Some(90), Some(5), None, None, None],
            EnabledStatistics::Chunk,
        );
        // No statistics: its column is read, and it holds the latest start of all.
        write(
            "2026-11-03",
            "part-00000.parquet",
            &[Some(7), Some(120), None],
            EnabledStatistics::None,
        );
        write(
            "2026-11-04",
            "part-00000.parquet",
            &[None],
            EnabledStatistics::Chunk,
        );

        let summary = |dates: &[&str]| calls_summary(dir.path(), dates).expect("readable");
        let want = |rows, latest_start| CallsSummary { rows, latest_start };
        assert_eq!(summary(&["2026-11-02"]), want(6, Some(90)));
        assert_eq!(summary(&["2026-11-02", "2026-11-03"]), want(9, Some(120)));
        assert_eq!(summary(&["2026-11-04"]), want(1, None));
        assert_eq!(summary(&["2026-11-05"]), want(0, None));
    }

    #[test]
    fn a_file_without_a_needed_column_names_the_file_and_column() {
        use crate::output::batch::BatchBuilder;
        use crate::output::schema::{ColType, Column};
        use parquet::arrow::ArrowWriter;

        static ODD: Table = Table::new(
            "calls",
            true,
            &[Column {
                name: "call_id",
                ty: ColType::Utf8,
                nullable: false,
                doc: "only an id",
            }],
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let part = dir.path().join("calls/call_date=2026-11-02");
        fs::create_dir_all(&part).expect("mkdir");
        let path = part.join("part-00000.parquet");
        let mut b = BatchBuilder::new(&ODD);
        b.row().str("x1").end();
        let batch = b.finish().expect("batch");
        let mut w =
            ArrowWriter::try_new(File::create(&path).expect("create"), batch.schema(), None)
                .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let mut calls = Vec::new();
        let err = read_calls(dir.path(), "2026-11-02", false, &|_, _| true, &mut calls)
            .expect_err("customer_id is missing");
        let message = err.to_string();
        assert!(
            message.contains("part-00000.parquet") && message.contains("column customer_id"),
            "{message}"
        );
    }
}
