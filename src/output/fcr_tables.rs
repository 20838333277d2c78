//! The two FCR tables, `contacts` and `fcr`: their schemas (defined here once, the way
//! [`super::schema`] defines the scan's tables) and their row writers.
//!
//! What the columns mean is decided elsewhere: linking ([`crate::link`]) makes one
//! [`ContactRow`] per call, the tallies ([`crate::aggregate::fcr`]) make the counts and rates;
//! docs/FCR.md states every rule. This module only turns those values into Arrow rows, in the
//! column order of the table definitions below (the batch builder checks every type).
//!
//! Invariants:
//! - **One partition per call date.** A contacts row lives in the `call_date` partition of its
//!   call; an fcr row in the partition of its cell's date. Every rollup row of a date lives in
//!   that date's partition beside the cells it sums, so a partition is rewritten as a unit.
//! - **Rollups are sums of cells.** For every `call_date`, the `date` row's counts are the sum
//!   of the `cell` rows' counts, and likewise per queue (`date_queue`) and per agent
//!   (`date_agent`); rates are derived from those summed counts, never averaged.

use std::fmt;

use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::batch::BatchBuilder;
use super::dataset::{DatasetWriter, OutputError, ZONE_KEY, writer_properties};
use super::schema::{ColType, SCHEMA_VERSION, Table, col};
use crate::aggregate::cells::CellTable;
use crate::aggregate::fcr::{FcrCounts, FcrKey, Rate, rollup};
use crate::link::{ContactRow, LinkConfig, format_duration_s};
use crate::zone::Zone;

use ColType::{Bool, Float64, Int32, Int64, Utf8};

/// One row per call: where it sits in its customer's chain of contacts and how it ended.
pub static CONTACTS: Table = Table::new(
    "contacts",
    true,
    &[
        col(
            "call_id",
            Utf8,
            false,
            "The call (the calls table's call_id).",
        ),
        col(
            "customer_id",
            Utf8,
            true,
            "The customer id used for linking; null when missing or blank (such a call is never linked).",
        ),
        col(
            "chain_id",
            Utf8,
            false,
            "The call_id of the first contact of this call's chain; the call's own id when it links to nothing.",
        ),
        col(
            "chain_position",
            Int32,
            false,
            "1 for the chain's first contact, then 2, 3… by start time (ties by call_id).",
        ),
        col(
            "prev_call_id",
            Utf8,
            true,
            "The earlier contact of the same customer this call links to (a repeat or a transfer leg).",
        ),
        col(
            "next_call_id",
            Utf8,
            true,
            "The earliest later contact that links to this call.",
        ),
        col(
            "gap_before_s",
            Float64,
            true,
            "Seconds from the start of prev_call_id to the start of this call.",
        ),
        col(
            "gap_after_s",
            Float64,
            true,
            "Seconds from the start of this call to the start of next_call_id.",
        ),
        col(
            "repeat",
            Bool,
            false,
            "The call links to an earlier contact as a repeat; prev_call_id set and repeat false means a transfer leg of the same episode.",
        ),
        col(
            "outcome",
            Utf8,
            false,
            "resolved, unresolved, censored (not known yet: never counted as resolved) or no_customer_id; shared by every leg of an episode (docs/FCR.md).",
        ),
        col(
            "phrase_evidence",
            Bool,
            false,
            "The customer said a repeat-contact cue in this call (the calls table's repeat_contact).",
        ),
        col(
            "resolved_combined",
            Bool,
            true,
            "Both signals joined: false when unresolved or a phrase-only repeat (phrase_evidence and no prev_call_id), true when resolved otherwise, null when unknown.",
        ),
    ],
);

/// FCR counts and rates per date × queue × agent × channel × language (`level = 'cell'`) and
/// their rollups per date, per date × queue and per date × agent.
pub static FCR: Table = Table::new(
    "fcr",
    true,
    &[
        col(
            "level",
            Utf8,
            false,
            "cell (one row per call_date × queue × agent_id × channel × language), or a rollup of the date's cells: date, date_queue, date_agent. Filter on it: never sum rows of different levels.",
        ),
        col(
            "queue",
            Utf8,
            true,
            "The queue; null when the calls have none, and in date and date_agent rows.",
        ),
        col(
            "agent_id",
            Utf8,
            true,
            "The agent; null when the calls have none, and in date and date_queue rows.",
        ),
        col(
            "channel",
            Utf8,
            true,
            "The channel; null when the calls have none, and in every rollup row.",
        ),
        col(
            "language",
            Utf8,
            true,
            "The call language (the calls table's language); null in every rollup row.",
        ),
        col("contacts", Int64, false, "Calls."),
        col(
            "first_contacts",
            Int64,
            false,
            "Chain starts with a customer id (no prev_call_id): the calls FCR is measured on, counted in their own cell.",
        ),
        col(
            "resolved",
            Int64,
            false,
            "First contacts whose outcome is resolved.",
        ),
        col(
            "unresolved",
            Int64,
            false,
            "First contacts whose outcome is unresolved.",
        ),
        col(
            "censored",
            Int64,
            false,
            "First contacts whose outcome is censored (window not yet elapsed); first_contacts = resolved + unresolved + censored.",
        ),
        col(
            "phrase_repeats",
            Int64,
            false,
            "Calls with phrase_evidence.",
        ),
        col(
            "escalations",
            Int64,
            false,
            "Calls in which the customer said an escalation cue.",
        ),
        col(
            "negative_calls",
            Int64,
            false,
            "Calls with negative customer sentiment (sentiment < 0).",
        ),
        col(
            "resolved_combined",
            Int64,
            false,
            "Chain starts (with or without a customer id) whose resolved_combined is true.",
        ),
        col(
            "unresolved_combined",
            Int64,
            false,
            "Chain starts (with or without a customer id) whose resolved_combined is false.",
        ),
        col(
            "fcr_operational",
            Float64,
            true,
            "resolved / (resolved + unresolved); null when both are 0. Censored first contacts are left out.",
        ),
        col(
            "fcr_operational_low",
            Float64,
            true,
            "Lower bound of the Wilson 95% interval of fcr_operational.",
        ),
        col(
            "fcr_operational_high",
            Float64,
            true,
            "Upper bound of the Wilson 95% interval of fcr_operational.",
        ),
        col(
            "fcr_phrase",
            Float64,
            true,
            "1 - phrase_repeats / contacts; null when contacts is 0.",
        ),
        col(
            "fcr_phrase_low",
            Float64,
            true,
            "Lower bound of the Wilson 95% interval of fcr_phrase.",
        ),
        col(
            "fcr_phrase_high",
            Float64,
            true,
            "Upper bound of the Wilson 95% interval of fcr_phrase.",
        ),
        col(
            "fcr_combined",
            Float64,
            true,
            "resolved_combined / (resolved_combined + unresolved_combined); null when both are 0.",
        ),
        col(
            "fcr_combined_low",
            Float64,
            true,
            "Lower bound of the Wilson 95% interval of fcr_combined.",
        ),
        col(
            "fcr_combined_high",
            Float64,
            true,
            "Upper bound of the Wilson 95% interval of fcr_combined.",
        ),
    ],
);

/// The tables linking writes, in the order they are committed.
pub static FCR_TABLES: [&Table; 2] = [&CONTACTS, &FCR];

/// What an `fcr` row holds (the `level` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FcrLevel {
    /// One date × queue × agent × channel × language.
    Cell,
    /// The sum of a date's cells.
    Date,
    /// The sum of a date's cells with one queue.
    DateQueue,
    /// The sum of a date's cells with one agent.
    DateAgent,
}

impl FcrLevel {
    /// Every level, in the order rows are written.
    pub const ALL: [FcrLevel; 4] = [
        FcrLevel::Cell,
        FcrLevel::Date,
        FcrLevel::DateQueue,
        FcrLevel::DateAgent,
    ];

    /// The stable name used in data: `cell`, `date`, `date_queue`, `date_agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            FcrLevel::Cell => "cell",
            FcrLevel::Date => "date",
            FcrLevel::DateQueue => "date_queue",
            FcrLevel::DateAgent => "date_agent",
        }
    }
}

impl fmt::Display for FcrLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key-value metadata name under which contacts and fcr files record the linking options
/// they were computed with ([`link_settings`]).
pub const LINK_SETTINGS_KEY: &str = "fcrscan.link_settings";

/// The linking options as one stable string, for file metadata and the run manifest:
/// `window=7d transfer_gap=15m same_channel=false same_issue=false`.
///
/// ```
/// use fcrscan::link::LinkConfig;
/// use fcrscan::output::fcr_tables::link_settings;
///
/// assert_eq!(
///     link_settings(&LinkConfig::default()),
///     "window=7d transfer_gap=15m same_channel=false same_issue=false"
/// );
/// ```
pub fn link_settings(cfg: &LinkConfig) -> String {
    format!(
        "window={} transfer_gap={} same_channel={} same_issue={}",
        format_duration_s(cfg.window_s),
        format_duration_s(cfg.transfer_gap_s),
        cfg.same_channel,
        cfg.same_issue
    )
}

/// Writer properties for the contacts and fcr files: those of every file
/// ([`writer_properties`]), with the linking options in place of a lexicon fingerprint (a
/// contacts row depends on many calls, possibly scanned with different lexicons).
pub fn link_writer_properties(run_id: &str, cfg: &LinkConfig, zone: &Zone) -> WriterProperties {
    writer_properties(run_id, "", zone)
        .into_builder()
        .set_key_value_metadata(Some(vec![
            KeyValue::new(
                "fcrscan.schema_version".to_string(),
                SCHEMA_VERSION.to_string(),
            ),
            KeyValue::new("fcrscan.run_id".to_string(), run_id.to_string()),
            KeyValue::new(LINK_SETTINGS_KEY.to_string(), link_settings(cfg)),
            KeyValue::new(ZONE_KEY.to_string(), zone.name().to_string()),
        ]))
        .build()
}

/// A count as the `int64` columns store it.
fn count(n: u64) -> i64 {
    i64::try_from(n).expect("a count of calls fits in 63 bits")
}

/// Appends contacts rows to the partition `call_date` (the calls' date in the dataset's zone, or
/// `unknown`), in one append: the writer finds the partition's part once for all of them.
pub fn append_contacts(
    out: &mut DatasetWriter,
    call_date: &str,
    rows: &[ContactRow],
) -> Result<(), OutputError> {
    out.append(&CONTACTS, Some(call_date), |b| {
        for row in rows {
            contact_row(b, row);
        }
    })
}

/// Writes whole contacts partitions, one file each, in parallel (see
/// [`DatasetWriter::write_partitions`]). Returns the rows written.
pub fn write_contacts(
    out: &mut DatasetWriter,
    partitions: &[(String, Vec<ContactRow>)],
) -> Result<u64, OutputError> {
    out.write_partitions(&CONTACTS, partitions, |rows, b| {
        for row in rows {
            contact_row(b, row);
        }
    })
}

fn contact_row(b: &mut BatchBuilder, row: &ContactRow) {
    let position = i32::try_from(row.chain_position).unwrap_or(i32::MAX);
    b.row()
        .str(&row.call_id)
        .opt_str(row.customer_id.as_deref())
        .str(&row.chain_id)
        .i32(position)
        .opt_str(row.prev_call_id.as_deref())
        .opt_str(row.next_call_id.as_deref())
        .opt_f64(row.gap_before_s)
        .opt_f64(row.gap_after_s)
        .bool(row.repeat)
        .str(row.outcome.as_str())
        .bool(row.phrase_evidence)
        .opt_bool(row.resolved_combined)
        .end();
}

/// The dimensions of one fcr row.
struct FcrDims<'a> {
    level: FcrLevel,
    queue: Option<&'a str>,
    agent_id: Option<&'a str>,
    channel: Option<&'a str>,
    language: Option<&'a str>,
}

/// The dimensions of a rollup row: channel and language are always rolled up.
fn rollup_dims<'a>(
    level: FcrLevel,
    queue: Option<&'a str>,
    agent_id: Option<&'a str>,
) -> FcrDims<'a> {
    FcrDims {
        level,
        queue,
        agent_id,
        channel: None,
        language: None,
    }
}

/// Appends one fcr row.
fn fcr_row(b: &mut BatchBuilder, dims: FcrDims<'_>, counts: &FcrCounts) {
    let rates = counts.rates();
    let parts = |r: Option<Rate>| (r.map(|r| r.value), r.map(|r| r.low), r.map(|r| r.high));
    let (op, op_low, op_high) = parts(rates.fcr_operational);
    let (ph, ph_low, ph_high) = parts(rates.fcr_phrase);
    let (co, co_low, co_high) = parts(rates.fcr_combined);
    b.row()
        .str(dims.level.as_str())
        .opt_str(dims.queue)
        .opt_str(dims.agent_id)
        .opt_str(dims.channel)
        .opt_str(dims.language)
        .i64(count(counts.contacts))
        .i64(count(counts.first_contacts))
        .i64(count(counts.resolved))
        .i64(count(counts.unresolved))
        .i64(count(counts.censored))
        .i64(count(counts.phrase_repeats))
        .i64(count(counts.escalations))
        .i64(count(counts.negative_calls))
        .i64(count(counts.resolved_combined))
        .i64(count(counts.unresolved_combined))
        .opt_f64(op)
        .opt_f64(op_low)
        .opt_f64(op_high)
        .opt_f64(ph)
        .opt_f64(ph_low)
        .opt_f64(ph_high)
        .opt_f64(co)
        .opt_f64(co_low)
        .opt_f64(co_high)
        .end();
}

/// Writes the fcr rows of `cells`, one file per date: its `cell` rows in key order, then its
/// `date`, `date_queue` and `date_agent` rollups. Returns the rows written.
///
/// `cells` must hold every cell of each date it touches: a date's partition is rewritten
/// whole, rollups included. Dates are written in parallel (see
/// [`DatasetWriter::write_partitions`]); each date's owned keys are made while the date is
/// written, so only the dates being written hold them.
pub fn write_fcr(out: &mut DatasetWriter, cells: CellTable) -> Result<u64, OutputError> {
    let days = cells.into_days();
    out.write_partitions(&FCR, days.days(), |day, b| day_rows(b, &days.cells(day)))
}

/// One date's fcr rows: its cells in key order, then the rollups.
fn day_rows(b: &mut BatchBuilder, day: &[(FcrKey, FcrCounts)]) {
    for (key, counts) in day {
        let dims = FcrDims {
            level: FcrLevel::Cell,
            queue: key.queue.as_deref(),
            agent_id: key.agent_id.as_deref(),
            channel: key.channel.as_deref(),
            language: Some(&key.language),
        };
        fcr_row(b, dims, counts);
    }
    let date: FcrCounts = day.iter().map(|(_, counts)| *counts).sum();
    fcr_row(b, rollup_dims(FcrLevel::Date, None, None), &date);
    let cells = || day.iter().map(|(key, counts)| (key, counts));
    for (queue, counts) in rollup(cells(), |k| k.queue.as_deref()) {
        fcr_row(b, rollup_dims(FcrLevel::DateQueue, queue, None), &counts);
    }
    for (agent, counts) in rollup(cells(), |k| k.agent_id.as_deref()) {
        fcr_row(b, rollup_dims(FcrLevel::DateAgent, None, agent), &counts);
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::sync::Arc;

    use arrow_array::{Array, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;
    use crate::aggregate::fcr::tally;
    use crate::link::fixture::{self, worked_example};
    use crate::link::{Outcome, link};

    /// The worked example's contacts rows, linked with the default options.
    fn linked() -> Vec<ContactRow> {
        link(
            &worked_example(),
            fixture::DATA_END_US,
            &LinkConfig::default(),
        )
    }

    /// A link-step writer into a new temporary dataset, with the default options.
    fn link_writer(run_id: &str) -> (tempfile::TempDir, DatasetWriter) {
        let dir = tempfile::tempdir().expect("temp dir");
        let props = link_writer_properties(run_id, &LinkConfig::default(), &Zone::utc());
        let out = DatasetWriter::create(dir.path(), run_id, props).expect("writer");
        (dir, out)
    }

    fn read(path: &std::path::Path) -> arrow_array::RecordBatch {
        let file = File::open(path).expect("written above");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("a parquet file")
            .build()
            .expect("a reader");
        let batches: Vec<_> = reader.map(|b| b.expect("a batch")).collect();
        arrow_select::concat::concat_batches(&batches[0].schema(), &batches).expect("one schema")
    }

    fn strings(batch: &arrow_array::RecordBatch, name: &str) -> Vec<Option<String>> {
        let a = batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .expect("a string column");
        (0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
            .collect()
    }

    #[test]
    fn contacts_rows_round_trip_through_parquet() {
        let (dir, mut out) = link_writer("t1");
        let rows = linked();
        let a4 = rows.iter().find(|r| r.call_id == "a4").expect("a4");
        let n1 = rows.iter().find(|r| r.call_id == "n1").expect("n1");
        append_contacts(&mut out, "2026-11-11", std::slice::from_ref(a4)).expect("append");
        append_contacts(&mut out, "2026-11-11", std::slice::from_ref(n1)).expect("append");
        let staged = out.finish().expect("finish");
        let dates = ["2026-11-11".to_string()].into_iter().collect();
        staged
            .replace_partitions(&FCR_TABLES, &dates)
            .expect("commit");

        let path = dir
            .path()
            .join("contacts/call_date=2026-11-11/part-00000.parquet");
        let batch = read(&path);
        assert_eq!(batch.schema(), CONTACTS.arrow_schema());
        assert_eq!(
            strings(&batch, "call_id"),
            [Some("a4".into()), Some("n1".into())]
        );
        assert_eq!(strings(&batch, "prev_call_id"), [Some("a3".into()), None]);
        assert_eq!(
            strings(&batch, "outcome"),
            [
                Some(Outcome::Censored.as_str().into()),
                Some("no_customer_id".into())
            ]
        );
        let pos = batch
            .column_by_name("chain_position")
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
            .expect("int32");
        assert_eq!(pos.values().to_vec(), [4, 1]);
        let gap = batch
            .column_by_name("gap_before_s")
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
            .expect("float64");
        assert_eq!((gap.value(0), gap.is_null(1)), (604_800.0, true));
        let combined = batch
            .column_by_name("resolved_combined")
            .and_then(|c| c.as_any().downcast_ref::<BooleanArray>())
            .expect("bool");
        assert_eq!(
            (combined.is_null(0), combined.value(1)),
            (true, false),
            "a4 censored: unknown; n1 phrase-only repeat: false"
        );
        let metadata = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).expect("file"))
            .expect("parquet")
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap_or_default();
        let settings = metadata
            .iter()
            .find(|kv| kv.key == LINK_SETTINGS_KEY)
            .and_then(|kv| kv.value.clone());
        assert_eq!(
            settings.as_deref(),
            Some(link_settings(&LinkConfig::default()).as_str())
        );
    }

    #[test]
    fn whole_partitions_get_a_file_each_after_the_rows_appended_before() {
        let (dir, mut out) = link_writer("t3");
        let rows = linked();
        let row = |id: &str| {
            rows.iter()
                .find(|r| r.call_id == id)
                .expect("a row")
                .clone()
        };
        append_contacts(&mut out, "2026-11-11", &[row("a4")]).expect("append");
        let whole = [
            ("2026-11-11".to_string(), vec![row("n1"), row("a3")]),
            ("2026-11-12".to_string(), vec![]),
            ("2026-11-13".to_string(), vec![row("b1")]),
        ];
        assert_eq!(write_contacts(&mut out, &whole).expect("write"), 3);
        assert_eq!(out.rows_written()[CONTACTS.name], 4);
        let dates = whole.iter().map(|(date, _)| date.clone()).collect();
        out.finish()
            .expect("finish")
            .replace_partitions(&FCR_TABLES, &dates)
            .expect("commit");

        let file = |date: &str, n: u32| {
            dir.path()
                .join(format!("contacts/call_date={date}/part-{n:05}.parquet"))
        };
        // The open partition was closed first: the appended row keeps its own file.
        assert_eq!(
            strings(&read(&file("2026-11-11", 0)), "call_id"),
            [Some("a4".into())]
        );
        assert_eq!(
            strings(&read(&file("2026-11-11", 1)), "call_id"),
            [Some("n1".into()), Some("a3".into())]
        );
        assert!(!dir.path().join("contacts/call_date=2026-11-12").exists());
        assert_eq!(
            strings(&read(&file("2026-11-13", 0)), "call_id"),
            [Some("b1".into())]
        );
    }

    /// The row groups (their row counts) and the call ids of every contacts file of `dir`, by
    /// partition and file.
    fn contacts_files(dir: &std::path::Path) -> Vec<(String, Vec<i64>, Vec<Option<String>>)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir.join("contacts"))
            .into_iter()
            .map(|e| e.expect("a listing").into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let builder =
                    ParquetRecordBatchReaderBuilder::try_new(File::open(&path).expect("a file"))
                        .expect("parquet");
                let groups = builder
                    .metadata()
                    .row_groups()
                    .iter()
                    .map(|g| g.num_rows())
                    .collect();
                let name = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                (name, groups, strings(&read(&path), "call_id"))
            })
            .collect()
    }

    #[test]
    fn row_groups_do_not_depend_on_the_pool_or_the_budget() {
        let rows = linked();
        // Enough rows for row groups to be written out while appending (each partition passes
        // the row-group size in bytes), over two interleaved partitions.
        let write = |encoder: Option<Arc<rayon::ThreadPool>>, budget: usize| {
            let (dir, mut out) = link_writer("t4");
            if let Some(pool) = encoder {
                out.encode_on(pool);
            }
            out.set_budget(budget);
            for i in 0..160_000 {
                let mut row = rows[i % rows.len()].clone();
                row.call_id = format!("c{i:06}");
                let date = if i % 2 == 0 {
                    "2026-11-11"
                } else {
                    "2026-11-12"
                };
                append_contacts(&mut out, date, &[row]).expect("append");
            }
            out.settle_all().expect("settle");
            let spilled = dir.path().join("_staging/t4/_spill").is_dir();
            let dates = ["2026-11-11".to_string(), "2026-11-12".to_string()]
                .into_iter()
                .collect();
            out.finish()
                .expect("finish")
                .replace_partitions(&FCR_TABLES, &dates)
                .expect("commit");
            (spilled, contacts_files(dir.path()))
        };
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("a pool"),
        );
        // Without a budget, rows stay in memory until their row group is written.
        let (spilled, here) = write(None, usize::MAX);
        assert!(!spilled);
        assert_eq!(here.len(), 2);
        assert!(
            here.iter().all(|(_, groups, _)| groups.len() > 1),
            "row groups were written while appending: {here:?}"
        );
        for (encoder, budget) in [
            (Some(Arc::clone(&pool)), usize::MAX),
            (None, 64 << 10),
            (Some(Arc::clone(&pool)), 64 << 10),
        ] {
            let on_pool = encoder.is_some();
            let (spilled, there) = write(encoder, budget);
            assert_eq!(spilled, budget < usize::MAX, "on a pool: {on_pool}");
            assert_eq!(here, there, "on a pool: {on_pool}, budget {budget}");
        }
    }

    #[test]
    fn a_part_file_that_cannot_be_created_is_an_error_that_names_it() {
        // Part files are created when their first row group is written: on the pool while
        // rows are appended (enough rows for a row group), or at the end (a few rows).
        let rows = linked();
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("a pool"),
        );
        for (on_pool, appended) in [(false, 10), (true, 10), (false, 140_000), (true, 140_000)] {
            let (dir, mut out) = link_writer("t5");
            if on_pool {
                out.encode_on(Arc::clone(&pool));
            }
            // A file where the table's directory would be.
            std::fs::write(dir.path().join("_staging/t5/contacts"), "in the way").unwrap();
            let mut result = Ok(());
            for i in 0..appended {
                let mut row = rows[i % rows.len()].clone();
                row.call_id = format!("c{i:06}");
                result = append_contacts(&mut out, "2026-11-11", &[row]);
                if result.is_err() {
                    break;
                }
            }
            let err = result
                .and_then(|()| out.settle_all())
                .and_then(|()| out.finish().map(|_| ()))
                .expect_err("the part file cannot be created");
            let message = err.to_string();
            assert!(
                message.starts_with("creating ")
                    && message.contains("contacts/call_date=2026-11-11"),
                "on a pool: {on_pool}, {appended} rows: {message}"
            );
        }
    }

    #[test]
    fn fcr_rows_hold_cells_then_rollups_that_sum_them() {
        let (dir, mut out) = link_writer("t2");
        let cfg = LinkConfig::default();
        let calls = worked_example();
        let rows = link(&calls, fixture::DATA_END_US, &cfg);
        let cells = tally(&rows, &calls, &Zone::utc()).expect("rows of these calls");
        let mut day = CellTable::new();
        for (key, counts) in cells.iter().filter(|(k, _)| k.call_date == "2026-11-02") {
            day.add(key, *counts);
        }
        // 2026-11-02: a1 (billing, ag1, voice, en), a2 (billing, ag2, voice, en), b1 (tech,
        // ag2, voice, de): 3 cells, 1 date row, 2 queues, 2 agents.
        assert_eq!(write_fcr(&mut out, day).expect("append"), 3 + 1 + 2 + 2);
        let staged = out.finish().expect("finish");
        let dates = ["2026-11-02".to_string()].into_iter().collect();
        staged
            .replace_partitions(&FCR_TABLES, &dates)
            .expect("commit");

        let batch = read(
            &dir.path()
                .join("fcr/call_date=2026-11-02/part-00000.parquet"),
        );
        assert_eq!(batch.schema(), FCR.arrow_schema());
        let levels = strings(&batch, "level");
        let want: Vec<Option<String>> = [
            "cell",
            "cell",
            "cell",
            "date",
            "date_queue",
            "date_queue",
            "date_agent",
            "date_agent",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
        assert_eq!(levels, want);
        let ints = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .expect("int64")
                .values()
                .to_vec()
        };
        // Hand-computed in docs/FCR.md: the date has C=3 F=2 R=1 U=1 RC=1 UC=1.
        let contacts = ints("contacts");
        assert_eq!(contacts[3], 3);
        assert_eq!(contacts[..3].iter().sum::<i64>(), contacts[3]);
        assert_eq!(contacts[4] + contacts[5], 3);
        assert_eq!(contacts[6] + contacts[7], 3);
        assert_eq!(
            (
                ints("first_contacts")[3],
                ints("resolved")[3],
                ints("unresolved")[3]
            ),
            (2, 1, 1)
        );
        let op = batch
            .column_by_name("fcr_operational")
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
            .expect("float64");
        assert_eq!(op.value(3), 0.5);
        // Rollups carry no channel or language.
        assert!(strings(&batch, "channel")[3..].iter().all(Option::is_none));
        assert!(strings(&batch, "language")[3..].iter().all(Option::is_none));
        assert_eq!(
            strings(&batch, "queue")[4..6],
            [Some("billing".into()), Some("tech".into())]
        );
    }

    #[test]
    fn level_names_are_stable() {
        let names: Vec<_> = FcrLevel::ALL.iter().map(|l| l.to_string()).collect();
        assert_eq!(names, ["cell", "date", "date_queue", "date_agent"]);
    }
}
