//! The Hive-partitioned Parquet dataset: staged writing, then an all-or-nothing commit that
//! replaces earlier rows of the same calls.
//!
//! Layout: `DIR/<table>/call_date=YYYY-MM-DD/part-NNNNN.parquet` for partitioned tables,
//! `DIR/<table>/part-NNNNN.parquet` otherwise, `DIR/runs/<run-id>.json` for manifests.
//!
//! - **Stage, then swap.** A run writes under `DIR/_staging/<run-id>/` (no reader glob matches
//!   it). At commit, every partition the run touches is rebuilt in staging — this run's rows plus
//!   the earlier rows of that partition whose call was not re-scanned — and swapped in with two
//!   renames (old directory to `DIR/_trash/<run-id>/`, staged directory into place). A failed run
//!   leaves no `.parquet` under a final name; a crash between the two renames is repaired by the
//!   next run ([`recover`]).
//! - **Keyed by call.** A call seen again (a re-run, a corrected transcript) replaces its earlier
//!   rows in every partitioned table of the partitions the run touches, and of `unknown` (a
//!   call first scanned without a start time); rejects are replaced by source file. Re-running
//!   a night therefore never duplicates rows.
//! - **Bounded memory.** Rows are buffered per (table, partition) in Arrow builders until a
//!   part has a row group's worth ([`ROW_GROUP_ROWS`] rows or [`ROW_GROUP_BYTES`]); when the
//!   rows buffered in all builders pass [`OPEN_BUFFER_BUDGET`], the largest are spilled to disk
//!   ([`super::spill`]) and read back when their row group is written. A backfill touching
//!   hundreds of `call_date` partitions spills more, and holds no more memory; and at most
//!   [`MAX_OPEN_PARTS`] files are open at once (the least recently used is closed, and a later
//!   row for its partition starts the next `part-NNNNN` file), so memory does not grow with the
//!   corpus or the number of its dates.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use arrow_array::{Array, BooleanArray, RecordBatch, RecordBatchReader, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use rayon::ThreadPool;
use rayon::prelude::*;

use super::batch::BatchBuilder;
use super::history::HistoryError;
use super::id_set::IdSet;
use super::schema::{CALLS, ColType, SCHEMA_VERSION, Table};
use super::spill::Spill;
use crate::aggregate::fcr::UNKNOWN_DATE;
use crate::ingest::time::day_of_date;
use crate::zone::Zone;

/// Rows per record batch when reading Parquet back (carry-over, history).
pub const BATCH_ROWS: usize = 8192;
/// Upper bound on the rows buffered in builders across all open part files; beyond it, the
/// largest builders are spilled to disk ([`super::spill`]) until their row group is written.
///
/// A row group is encoded only once whole, from its spilled rows and its builder: no row group
/// stays open between appends, so the memory an open row group holds (column encoders, and a
/// zstd compression and decompression context per column, which the Parquet crate creates with
/// every column chunk) is never multiplied by the number of open partitions. (Measured before
/// this bound existed: peak RSS grew by 0.35 MB per MB of input on a corpus spanning many
/// dates, because every partition kept its own buffers.) Row groups do not depend on this
/// budget, only memory does: when it wrote the largest builders out as row groups instead of
/// spilling them, 32 MiB held the 1 GB benchmark (43 dates) 45 MiB above the 100 MB slice,
/// and 16 MiB nearly doubled the row groups of 100,000 small files, for 12% more CPU.
///
/// Three times [`ROW_GROUP_BYTES`], so that a night of one date, whose calls, hits and turns
/// parts all fill at once, completes its row groups without spilling (measured on 100 MB of one
/// date: a budget equal to the row-group size spilled 35 MB of the turns; this one, none).
/// Where many dates are open, most rows are spilled once whatever the budget (about 450 MB of
/// Arrow buffers on the 1 GB benchmark, which costs about 4% more CPU than holding them).
pub const OPEN_BUFFER_BUDGET: usize = 3 * ROW_GROUP_BYTES;
/// At most this many part files are open at once (bounded by file descriptors, not memory:
/// an open file without buffered rows holds little). Measured on 100,000 small files whose
/// dates interleave (66 dates × 3 tables): with 24, files were closed and reopened thousands of
/// times and creating encoders for each tiny file took half the run; with 192, just under the
/// 198 parts needed, the same; with 384, 330 files and 5.0 s instead of 10. Keep `ulimit -n`
/// above this plus the worker threads' input files.
pub const MAX_OPEN_PARTS: usize = 384;
/// Rows handed to the background encoder ([`DatasetWriter::encode_on`]) and not yet settled,
/// at most (in bytes, counted like [`OPEN_BUFFER_BUDGET`]); beyond, the appending thread waits
/// for the oldest. Separate from the budget, so that which rows form a row group does not
/// depend on where they are encoded: the files are the same either way. Two whole row groups
/// ([`ROW_GROUP_BYTES`]), so that a night of one date still encodes one while filling the next.
pub const ENCODING_BUDGET: usize = 2 * ROW_GROUP_BYTES;
/// A part's pending rows (spilled and buffered) are written as a row group at this many rows…
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// …or at this many bytes (counted like [`OPEN_BUFFER_BUDGET`]), whichever comes first: about
/// 1 MB of zstd-compressed transcript text.
pub const ROW_GROUP_BYTES: usize = 4 << 20;

/// Errors writing the dataset. Fatal for the run: nothing is committed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Parquet encoding or decoding failed.
    #[error("parquet {}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The error.
        source: parquet::errors::ParquetError,
    },
    /// Building a batch failed (a bug in a table's row writer).
    #[error("building a {table} batch: {source}")]
    Arrow {
        /// The table.
        table: &'static str,
        /// The error.
        source: arrow_schema::ArrowError,
    },
    /// Rows spilled to disk could not be written or read back.
    #[error("spilled rows {}: {source}", path.display())]
    Spill {
        /// The spill file.
        path: PathBuf,
        /// The error.
        source: arrow_schema::ArrowError,
    },
}

/// An I/O error with what was being done, and on which path.
pub(super) fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> OutputError + 'a {
    move |source| OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The key-value metadata key of the time zone a file's `call_date` is counted in.
pub const ZONE_KEY: &str = "fcrscan.timezone";

/// Writer properties shared by every file: zstd, statistics, provenance in the metadata.
pub fn writer_properties(run_id: &str, lexicon_fingerprint: &str, zone: &Zone) -> WriterProperties {
    let provenance = vec![
        KeyValue::new(
            "fcrscan.schema_version".to_string(),
            SCHEMA_VERSION.to_string(),
        ),
        KeyValue::new("fcrscan.run_id".to_string(), run_id.to_string()),
        KeyValue::new(
            "fcrscan.lexicon_fingerprint".to_string(),
            lexicon_fingerprint.to_string(),
        ),
        KeyValue::new(ZONE_KEY.to_string(), zone.name().to_string()),
    ];
    properties(provenance, |_| true)
}

/// `base` (from [`writer_properties`]) with the per-column settings of `table`'s columns only.
///
/// Each file's writer holds its own copy of its properties, and the settings of every column of
/// every table made that copy about 13 KB: with a file per table and date, 3.4 MB of the 1 GB
/// benchmark's peak (43 dates), and more with every date a night spans. A table's own columns
/// are about a third of them. The files written are the same: a setting for a column the file
/// does not have is never read.
fn table_properties(base: &WriterProperties, table: &Table) -> WriterProperties {
    let provenance = base.key_value_metadata().cloned().unwrap_or_default();
    properties(provenance, |path| {
        let root = path.parts().first().map(String::as_str);
        table.columns.iter().any(|c| Some(c.name) == root)
    })
}

/// The properties of [`writer_properties`], with the per-column settings of the columns `keep`
/// accepts.
fn properties(provenance: Vec<KeyValue>, keep: impl Fn(&ColumnPath) -> bool) -> WriterProperties {
    let mut builder = WriterProperties::builder();
    for path in uncompressed_columns().filter(|p| keep(p)) {
        builder = builder.set_column_compression(path, Compression::UNCOMPRESSED);
    }
    for path in measured_columns()
        .chain(identifier_columns())
        .filter(|p| keep(p))
    {
        builder = builder.set_column_dictionary_enabled(path, false);
    }
    let text = ColumnPath::from("text");
    if keep(&text) {
        builder = builder
            // Transcript text is unique per row: dictionary encoding only costs hashing and
            // memory (measured: it made the turns table a quarter of the scan's CPU and most of
            // its RSS).
            .set_column_dictionary_enabled(text.clone(), false)
            // Min/max statistics of transcript text are useless for pruning and cost a
            // comparison of every value.
            .set_column_statistics_enabled(text, EnabledStatistics::None);
    }
    builder
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("1 is a valid zstd level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_created_by(format!("fcrscan {}", env!("CARGO_PKG_VERSION")))
        .set_max_row_group_row_count(Some(1 << 20))
        .set_key_value_metadata(Some(provenance))
        .build()
}

/// Columns written without compression: flags, 32-bit scores, and [`LABEL_AND_COUNT_COLUMNS`].
///
/// Every compressed column chunk costs a zstd compression and a decompression context, which
/// the Parquet crate creates anew for each chunk, and creating one runs three `cpuid`
/// instructions. On a virtual machine each traps to the hypervisor: 9–11 µs apiece measured
/// here, so about 60 µs per chunk (a tenth of the run on 100,000 small files whose 66 dates
/// interleave; 2% on the 1 GB benchmark corpus). So only columns where zstd saves bytes are
/// compressed. 32-bit integers stay compressed: turn indexes shrink sixfold.
fn uncompressed_columns() -> impl Iterator<Item = ColumnPath> {
    let by_type = super::schema::all_tables()
        .into_iter()
        .flat_map(|table| table.columns.iter())
        .filter(|c| matches!(c.ty, ColType::Bool | ColType::Float32))
        .map(|c| ColumnPath::from(c.name));
    let named = LABEL_AND_COUNT_COLUMNS
        .iter()
        .map(|name| ColumnPath::from(*name));
    let topics = ColumnPath::new(vec!["topics".into(), "list".into(), "item".into()]);
    by_type.chain(named).chain([topics])
}

/// Columns written without a dictionary: seconds and speeds measured per turn or call
/// (`start_s`, `talk_time_agent_s`, `talk_speed_customer`…), 64-bit floats that hardly repeat
/// within a row group. Their dictionaries held nearly every value, so every row paid a hash
/// lookup for nothing, and zstd packs the plain values smaller: on the benchmark corpus
/// spread over 43 dates, `turns.start_s` 1,209 → 831 kB, the whole dataset 9.42 → 8.71 MB,
/// and 1.9% fewer instructions for the run. Scores and confidences (32-bit, few distinct
/// values, stored uncompressed) and the fcr table's rates keep theirs: there the dictionary is
/// what makes them small.
fn measured_columns() -> impl Iterator<Item = ColumnPath> {
    super::schema::all_tables()
        .into_iter()
        .flat_map(|table| table.columns.iter())
        .filter(|c| {
            c.ty == ColType::Float64 && (c.name.ends_with("_s") || c.name.starts_with("talk_speed"))
        })
        .map(|c| ColumnPath::from(c.name))
}

/// Columns written without a dictionary: call ids (`call_id`, and the contacts table's
/// `chain_id`, `prev_call_id`, `next_call_id`). A call id is unique within the calls and
/// contacts tables and repeats only a few times in a row in turns and hits, so a dictionary
/// mostly held every value once more and cost every row a hash lookup. Plain, zstd packs the
/// ids smaller in every table: on the 100,000-file benchmark the dataset 34.7 → 34.1 MB
/// (`call_id` in the calls table 2,074 → 1,934 kB, in turns 756 → 684, in hits 1,549 → 1,343),
/// for 0.7% fewer instructions on 10,000 of its files.
fn identifier_columns() -> impl Iterator<Item = ColumnPath> {
    ["call_id", "chain_id", "prev_call_id", "next_call_id"]
        .into_iter()
        .map(ColumnPath::from)
}

/// Labels from a small vocabulary (speaker, category, language, queue…) and small per-call
/// counts. Dictionary and run-length encoding leave them a few bits per row, and zstd made
/// most of these chunks larger (0.7–1.05× their encoded size on the 100,000-file benchmark),
/// for the cost of a context pair each (see [`uncompressed_columns`]).
const LABEL_AND_COUNT_COLUMNS: &[&str] = &[
    "format",
    "language",
    "language_tag",
    "language_source",
    "queue",
    "channel",
    "role_source",
    "lexicon_fingerprint",
    "speaker",
    "category",
    "outcome",
    "level",
    "turns",
    "repeat_contact_hits",
    "escalation_hits",
    "negative_hits",
    "positive_hits",
    "overtalk_count",
    "overtalk_by_agent",
    "overtalk_by_customer",
];

type PartKey = (&'static str, Option<String>);

struct OpenPart {
    /// The writer's clock when this part last got a row (least recently used is closed first).
    last_used: u64,
    table: &'static Table,
    builder: BatchBuilder,
    /// Rows of the next row group moved to disk by the budget, written before the builder's;
    /// `None` until the first spill, and while a background job has it.
    spill: Option<Spill>,
    /// How many rows are spilled for the next row group, and their bytes (as counted in the
    /// budget): kept here, not in the spill, so that they are known while a job has it.
    spilled: (usize, usize),
    /// The file; `None` while a background job (a row group or a spill) has it.
    writer: Option<PartFile>,
    /// The background job on this part, if any: it hands the writer and the spill back.
    encoding: Option<Receiver<Encoded>>,
    path: PathBuf,
    rows: u64,
}

/// A part's Parquet file, created when its first row group is written (or when it is closed
/// without one), not when its first row arrives. A night over 66 dates opens 198 parts within
/// its first rows, and creating a directory and a file took 0.2-0.3 ms each on ext4 here: on the
/// writer thread that was 50 ms in which the workers waited for it; in the jobs that write row
/// groups, it is spread over the pool.
enum PartFile {
    /// Not created yet: what it will be written with (its table's, shared by its parts).
    Unopened(Arc<WriterProperties>),
    /// Created (boxed: the writer is a few hundred bytes, and the file moves to and from the
    /// background jobs with it).
    Open(Box<ArrowWriter<File>>),
}

impl PartFile {
    /// The file's writer, creating the file at `path` (and its directory) first if need be.
    fn open(
        &mut self,
        path: &Path,
        table: &'static Table,
    ) -> Result<&mut ArrowWriter<File>, OutputError> {
        if let PartFile::Unopened(props) = self {
            let writer = create_part_file(path, table, WriterProperties::clone(props))?;
            *self = PartFile::Open(Box::new(writer));
        }
        match self {
            PartFile::Open(writer) => Ok(writer),
            PartFile::Unopened(_) => unreachable!("created above"),
        }
    }
}

/// A background job done (a row group encoded, or rows spilled): the file's writer and the
/// spill, the rows written to the file and the bytes handed over (as counted in the budget),
/// and how it went.
struct Encoded {
    writer: PartFile,
    spill: Option<Spill>,
    rows: u64,
    bytes: usize,
    result: Result<(), OutputError>,
}

impl OpenPart {
    /// Waits for the part's background job, if any, and takes the writer and the spill back.
    /// Returns the bytes it held; `None` when no job was running.
    fn settle(&mut self) -> Result<Option<usize>, OutputError> {
        let Some(encoding) = self.encoding.take() else {
            return Ok(None);
        };
        let done = encoding
            .recv()
            .expect("an encoding job always answers before it ends");
        self.writer = Some(done.writer);
        self.spill = done.spill;
        done.result?;
        self.rows += done.rows;
        Ok(Some(done.bytes))
    }

    /// Rows of the next row group: spilled and in the builder.
    fn pending_rows(&self) -> usize {
        self.builder.len() + self.spilled.0
    }

    /// Their bytes, counted as in the budget.
    fn pending_bytes(&self) -> usize {
        self.builder.approx_bytes() + self.spilled.1
    }

    /// The file's writer, the file created if need be.
    fn writer(&mut self) -> Result<&mut ArrowWriter<File>, OutputError> {
        self.writer
            .as_mut()
            .expect("settled before the writer is used")
            .open(&self.path, self.table)
    }
}

/// Writes one run's rows into staging.
pub struct DatasetWriter {
    root: PathBuf,
    run_id: String,
    staging: PathBuf,
    props: WriterProperties,
    /// [`table_properties`] of each table written so far, shared by its parts until each
    /// creates its file.
    table_props: BTreeMap<&'static str, Arc<WriterProperties>>,
    parts: BTreeMap<PartKey, OpenPart>,
    /// Rows written per table (for the manifest and the accounting check).
    rows_written: BTreeMap<&'static str, u64>,
    /// Bytes of rows buffered in all builders (kept up to date incrementally).
    buffered: usize,
    /// Files already closed per part key (the next file's number).
    closed_files: BTreeMap<PartKey, u32>,
    /// Counts appends, for least-recently-used closing.
    clock: u64,
    /// Where row groups are encoded, when not on the appending thread (see
    /// [`DatasetWriter::encode_on`]).
    encoder: Option<Arc<ThreadPool>>,
    /// Bytes of rows handed to the encoder and not yet settled, in the order handed over.
    encoding: VecDeque<PartKey>,
    /// Their bytes, counted in the budget until settled.
    encoding_bytes: usize,
    /// Spills started, naming the next spill file.
    spills: u64,
    /// Bytes of rows buffered in builders at most ([`OPEN_BUFFER_BUDGET`] unless set).
    budget: usize,
}

impl DatasetWriter {
    /// Prepares `root/_staging/<run_id>/`, repairing what an earlier crashed run left.
    ///
    /// `props` come from [`writer_properties`]: each table's files are written with its
    /// settings for that table's columns and its metadata (`table_properties`), so settings
    /// made on `props` otherwise are not carried over to them.
    pub fn create(
        root: &Path,
        run_id: &str,
        props: WriterProperties,
    ) -> Result<DatasetWriter, OutputError> {
        fs::create_dir_all(root).map_err(io("creating output directory", root))?;
        recover(root)?;
        let staging = root.join("_staging").join(run_id);
        fs::create_dir_all(&staging).map_err(io("creating staging directory", &staging))?;
        Ok(DatasetWriter {
            root: root.to_path_buf(),
            run_id: run_id.to_string(),
            staging,
            props,
            table_props: BTreeMap::new(),
            parts: BTreeMap::new(),
            rows_written: BTreeMap::new(),
            buffered: 0,
            closed_files: BTreeMap::new(),
            clock: 0,
            encoder: None,
            encoding: VecDeque::new(),
            encoding_bytes: 0,
            spills: 0,
            budget: OPEN_BUFFER_BUDGET,
        })
    }

    /// The output directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Sets the bytes of rows held in builders at most (default [`OPEN_BUFFER_BUDGET`]); beyond,
    /// the largest are spilled. The files do not depend on it: only memory and time do.
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }

    /// Encodes and compresses row groups, and spills rows, on `pool` rather than on the thread
    /// that appends, one job per part at a time, so each file's row groups keep their order
    /// and the files are the same. Rows handed over stay in memory until their part's job is
    /// done: up to [`ENCODING_BUDGET`] beside the budget.
    ///
    /// For the scan, whose single appending thread otherwise caps how far more workers help:
    /// measured on 1 GB, the writer thread used 2.90 CPU s against 4.25 + 4.15 for two workers,
    /// two thirds of it in Parquet encoding and zstd.
    pub fn encode_on(&mut self, pool: Arc<ThreadPool>) {
        self.encoder = Some(pool);
    }

    /// Writes `key`'s buffered rows out as a row group: in the background when an encoder is
    /// set, else here.
    fn write_out(&mut self, key: &PartKey) -> Result<(), OutputError> {
        self.settle(key)?;
        let Some(part) = self.parts.get_mut(key) else {
            return Ok(());
        };
        let held = part.builder.approx_bytes();
        self.buffered -= held;
        let batch = take_batch(part)?.map(|(_, batch)| batch);
        let rows = batch.as_ref().map_or(0, |b| b.num_rows()) + part.spilled.0;
        if rows == 0 {
            return Ok(());
        }
        part.spilled = (0, 0);
        let (path, table) = (part.path.clone(), part.table);
        self.run_job(key, held, move |file, spill| {
            let writer = file.open(&path, table)?;
            encode_row_group(writer, &path, spill.as_mut(), batch.as_ref())?;
            Ok(rows as u64)
        })
    }

    /// Runs `job` on `key`'s writer and spill (settled first), which returns the rows it wrote
    /// to the file: on the encoder's pool when one is set, its `held` bytes counted as in flight
    /// until it is settled, else here.
    fn run_job(
        &mut self,
        key: &PartKey,
        held: usize,
        job: impl FnOnce(&mut PartFile, &mut Option<Spill>) -> Result<u64, OutputError> + Send + 'static,
    ) -> Result<(), OutputError> {
        let Some(part) = self.parts.get_mut(key) else {
            return Ok(());
        };
        let Some(pool) = &self.encoder else {
            let writer = part
                .writer
                .as_mut()
                .expect("settled before the writer is used");
            part.rows += job(writer, &mut part.spill)?;
            return Ok(());
        };
        let mut writer = part.writer.take().expect("settled before a job");
        let mut spill = part.spill.take();
        let (tx, rx) = sync_channel(1);
        part.encoding = Some(rx);
        // A panic here (a bug in the Parquet crate) aborts the process, as rayon does for
        // spawned jobs; on the appending thread it ended the run too.
        pool.spawn(move || {
            let result = job(&mut writer, &mut spill);
            let _ = tx.send(Encoded {
                writer,
                spill,
                rows: *result.as_ref().unwrap_or(&0),
                bytes: held,
                result: result.map(|_| ()),
            });
        });
        self.encoding.push_back(key.clone());
        self.encoding_bytes += held;
        Ok(())
    }

    /// Waits for `key`'s row group being encoded in the background, if any, and takes it off
    /// the books.
    fn settle(&mut self, key: &PartKey) -> Result<(), OutputError> {
        let Some(part) = self.parts.get_mut(key) else {
            return Ok(());
        };
        if let Some(bytes) = part.settle()? {
            self.encoding_bytes -= bytes;
            let at = self
                .encoding
                .iter()
                .position(|k| k == key)
                .expect("a row group in flight is queued");
            self.encoding.remove(at);
        }
        Ok(())
    }

    /// Waits for the oldest row group encoded in the background. `false`: there was none.
    fn settle_oldest(&mut self) -> Result<bool, OutputError> {
        let Some(key) = self.encoding.front().cloned() else {
            return Ok(false);
        };
        self.settle(&key)?;
        Ok(true)
    }

    /// Completes `key`'s file, if it is open: its buffered rows become its last row group, and
    /// the part's next rows go to a new file.
    fn close(&mut self, key: &PartKey) -> Result<(), OutputError> {
        self.settle(key)?;
        let Some(mut part) = self.parts.remove(key) else {
            return Ok(());
        };
        self.buffered -= part.builder.approx_bytes();
        close_part(&mut part)?;
        *self.closed_files.entry(key.clone()).or_default() += 1;
        Ok(())
    }

    /// Appends the rows `fill` adds (usually one; a call's hits or turns at once, so the part is
    /// looked up once per call rather than once per row) to `table`, in partition `call_date`
    /// for partitioned tables, writing batches out as they fill up.
    pub fn append(
        &mut self,
        table: &'static Table,
        call_date: Option<&str>,
        fill: impl FnOnce(&mut BatchBuilder),
    ) -> Result<(), OutputError> {
        let key: PartKey = (
            table.name,
            table
                .partitioned
                .then(|| call_date.unwrap_or("unknown").to_string()),
        );
        self.clock += 1;
        if !self.parts.contains_key(&key) {
            if self.parts.len() >= MAX_OPEN_PARTS {
                self.close_least_recently_used()?;
            }
            let number = self.closed_files.get(&key).copied().unwrap_or(0);
            let part = self.open_part(table, key.1.as_deref(), number);
            self.parts.insert(key.clone(), part);
        }
        let clock = self.clock;
        let part = self.parts.get_mut(&key).expect("inserted above");
        part.last_used = clock;
        let (before, rows_before) = (part.builder.approx_bytes(), part.builder.len());
        fill(&mut part.builder);
        let after = part.builder.approx_bytes();
        self.buffered = self.buffered + after - before;
        *self.rows_written.entry(table.name).or_default() +=
            (part.builder.len() - rows_before) as u64;
        if part.pending_rows() >= ROW_GROUP_ROWS || part.pending_bytes() >= ROW_GROUP_BYTES {
            self.write_out(&key)?;
        }
        if self.buffered > self.budget {
            self.enforce_budget()?;
        }
        while self.encoding_bytes > ENCODING_BUDGET && self.settle_oldest()? {}
        Ok(())
    }

    /// Writes whole partitions of `table` at once, each named at most once in `partitions`, as
    /// a file of one row group holding the rows `fill` adds for it (no file when it adds none),
    /// in parallel on the current rayon pool. Returns the rows written.
    ///
    /// For partitions computed whole, like the link step's: their rows wait in no shared
    /// budget, and one partition is encoded and compressed while another is filled. (Measured:
    /// 144,000 fcr rows over 66 dates took 600 ms through [`DatasetWriter::append`], whose
    /// budget wrote them out a few row groups at a time on one thread.) A partition already
    /// open for appends is closed first, so its rows stay in their own file.
    pub fn write_partitions<T: Sync>(
        &mut self,
        table: &'static Table,
        partitions: &[(String, T)],
        fill: impl Fn(&T, &mut BatchBuilder) + Sync,
    ) -> Result<u64, OutputError> {
        let mut numbered = Vec::with_capacity(partitions.len());
        for (call_date, rows) in partitions {
            let key: PartKey = (table.name, table.partitioned.then(|| call_date.clone()));
            self.close(&key)?;
            let number = self.closed_files.get(&key).copied().unwrap_or(0);
            numbered.push((key, number, rows));
        }
        debug_assert!(
            numbered
                .iter()
                .map(|(key, _, _)| key)
                .collect::<HashSet<_>>()
                .len()
                == numbered.len(),
            "each partition at most once: two would write the same file"
        );
        let props = self.table_props(table);
        let (staging, props) = (&self.staging, &props);
        let written: Vec<u64> = numbered
            .par_iter()
            .map(|(key, number, rows)| {
                let mut builder = BatchBuilder::new(table);
                fill(rows, &mut builder);
                if builder.is_empty() {
                    return Ok(0);
                }
                let mut part = open_part(staging, props, table, key.1.as_deref(), *number);
                part.builder = builder;
                close_part(&mut part)?;
                Ok(part.rows)
            })
            .collect::<Result<_, OutputError>>()?;
        for ((key, _, _), rows) in numbered.into_iter().zip(&written) {
            if *rows > 0 {
                *self.closed_files.entry(key).or_default() += 1;
            }
        }
        let rows = written.iter().sum();
        *self.rows_written.entry(table.name).or_default() += rows;
        Ok(rows)
    }

    fn close_least_recently_used(&mut self) -> Result<(), OutputError> {
        let Some(key) = self
            .parts
            .iter()
            .min_by_key(|(_, p)| p.last_used)
            .map(|(k, _)| k.clone())
        else {
            return Ok(());
        };
        self.close(&key)
    }

    fn open_part(
        &mut self,
        table: &'static Table,
        partition: Option<&str>,
        number: u32,
    ) -> OpenPart {
        let props = self.table_props(table);
        open_part(&self.staging, &props, table, partition, number)
    }

    /// `table`'s writer properties, made on its first part.
    fn table_props(&mut self, table: &'static Table) -> Arc<WriterProperties> {
        let base = &self.props;
        self.table_props
            .entry(table.name)
            .or_insert_with(|| Arc::new(table_properties(base, table)))
            .clone()
    }

    /// Writes out the parts buffering the most rows, each as a row group, until the rows
    /// buffered are under three quarters of the budget (so that the next appends do not start
    /// another round at once).
    fn enforce_budget(&mut self) -> Result<(), OutputError> {
        while self.buffered > self.budget / 4 * 3 {
            let Some((key, held)) = self
                .parts
                .iter()
                .map(|(key, p)| (key, p.builder.approx_bytes()))
                .max_by_key(|&(_, held)| held)
                .map(|(key, held)| (key.clone(), held))
            else {
                break;
            };
            if held == 0 {
                break;
            }
            self.spill_out(&key)?;
        }
        Ok(())
    }

    /// Moves `key`'s buffered rows to its spill file, after the rows spilled before: in the
    /// background when an encoder is set (like row groups, one job per part at a time), else
    /// here.
    fn spill_out(&mut self, key: &PartKey) -> Result<(), OutputError> {
        self.settle(key)?;
        let dir = self.staging.join("_spill");
        let Some(part) = self.parts.get_mut(key) else {
            return Ok(());
        };
        let held = part.builder.approx_bytes();
        let Some((rows, batch)) = take_batch(part)? else {
            return Ok(());
        };
        self.buffered -= held;
        part.spilled.0 += rows as usize;
        part.spilled.1 += held;
        if part.spill.is_none() {
            if self.spills == 0 {
                fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
            }
            self.spills += 1;
            part.spill = Some(Spill::new(dir.join(format!("{:06}.arrow", self.spills))));
        }
        self.run_job(key, held, move |_, spill| {
            spill.as_mut().expect("created above").push(&batch)?;
            Ok(0)
        })
    }

    /// Waits for every row group being encoded in the background. Call it before
    /// [`DatasetWriter::finish`] runs on the encoder's pool, so that no worker of that pool
    /// waits for a job queued behind it.
    pub fn settle_all(&mut self) -> Result<(), OutputError> {
        while self.settle_oldest()? {}
        Ok(())
    }

    /// This run's staging directory, where other stages of the run may keep files that go
    /// with it.
    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// Rows appended so far, per table.
    pub fn rows_written(&self) -> &BTreeMap<&'static str, u64> {
        &self.rows_written
    }

    /// Closes every staged file. Nothing is visible under a final name yet.
    ///
    /// Files are completed in parallel on the current rayon pool: what is still buffered at the
    /// end (up to the whole budget, spread over every open partition) is encoded and compressed
    /// here, and done one file after another it was a serial tail of the run.
    pub fn finish(mut self) -> Result<StagedRun, OutputError> {
        self.settle_all()?;
        let mut parts: Vec<(PartKey, OpenPart)> =
            std::mem::take(&mut self.parts).into_iter().collect();
        parts
            .par_iter_mut()
            .try_for_each(|(_, part)| close_part(part))?;
        let mut partitions: BTreeMap<&'static str, BTreeSet<Option<String>>> = BTreeMap::new();
        for ((name, partition), _) in parts {
            partitions.entry(name).or_default().insert(partition);
        }
        for (name, partition) in self.closed_files.into_keys() {
            partitions.entry(name).or_default().insert(partition);
        }
        Ok(StagedRun {
            root: self.root,
            run_id: self.run_id,
            staging: self.staging,
            props: self.props,
            partitions,
        })
    }
}

/// Opens the staged file `number` of a part, under `staging`: its file is created when it is
/// first written ([`PartFile`]).
fn open_part(
    staging: &Path,
    props: &Arc<WriterProperties>,
    table: &'static Table,
    partition: Option<&str>,
    number: u32,
) -> OpenPart {
    let path = partition_dir(staging, table, partition).join(format!("part-{number:05}.parquet"));
    OpenPart {
        last_used: 0,
        table,
        builder: BatchBuilder::new(table),
        spill: None,
        spilled: (0, 0),
        writer: Some(PartFile::Unopened(Arc::clone(props))),
        encoding: None,
        path,
        rows: 0,
    }
}

/// Creates a part's file at `path`, and its directory.
fn create_part_file(
    path: &Path,
    table: &'static Table,
    props: WriterProperties,
) -> Result<ArrowWriter<File>, OutputError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io("creating", dir))?;
    }
    let file = File::create(path).map_err(io("creating", path))?;
    ArrowWriter::try_new(file, table.arrow_schema(), Some(props)).map_err(|source| {
        OutputError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Takes a part's buffered rows as a record batch, with their count; `None` when none.
fn take_batch(part: &mut OpenPart) -> Result<Option<(u64, RecordBatch)>, OutputError> {
    if part.builder.is_empty() {
        return Ok(None);
    }
    let rows = part.builder.len() as u64;
    let batch = part.builder.finish().map_err(|source| OutputError::Arrow {
        table: part.table.name,
        source,
    })?;
    Ok(Some((rows, batch)))
}

/// Writes a part's pending rows (spilled, then buffered) to its file as one row group.
fn write_row_group(part: &mut OpenPart) -> Result<(), OutputError> {
    let batch = take_batch(part)?;
    let rows = batch.as_ref().map_or(0, |(rows, _)| *rows) + part.spilled.0 as u64;
    if rows == 0 {
        return Ok(());
    }
    part.spilled = (0, 0);
    let writer = part
        .writer
        .as_mut()
        .expect("settled before the writer is used")
        .open(&part.path, part.table)?;
    encode_row_group(
        writer,
        &part.path,
        part.spill.as_mut(),
        batch.as_ref().map(|(_, batch)| batch),
    )?;
    part.rows += rows;
    Ok(())
}

/// Encodes one row group into `writer` (the file at `path`): the rows of `spill`, drained,
/// then `batch`.
fn encode_row_group(
    writer: &mut ArrowWriter<File>,
    path: &Path,
    spill: Option<&mut Spill>,
    batch: Option<&RecordBatch>,
) -> Result<(), OutputError> {
    let parquet = |source| OutputError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    if let Some(spill) = spill {
        spill.drain(|spilled| writer.write(spilled).map_err(parquet))?;
    }
    if let Some(batch) = batch {
        writer.write(batch).map_err(parquet)?;
    }
    writer.flush().map_err(parquet)
}

/// Writes what is buffered and completes the file (its row group in flight, if any, settled
/// first).
fn close_part(part: &mut OpenPart) -> Result<(), OutputError> {
    write_row_group(part)?;
    // A part that got no rows is still written, as an empty file.
    part.writer()?
        .finish()
        .map_err(|source| OutputError::Parquet {
            path: part.path.clone(),
            source,
        })?;
    Ok(())
}

fn partition_dir(base: &Path, table: &Table, partition: Option<&str>) -> PathBuf {
    let dir = base.join(table.name);
    match partition {
        Some(p) => dir.join(format!("call_date={p}")),
        None => dir,
    }
}

/// A run's files in staging, ready to commit.
pub struct StagedRun {
    root: PathBuf,
    run_id: String,
    staging: PathBuf,
    props: WriterProperties,
    partitions: BTreeMap<&'static str, BTreeSet<Option<String>>>,
}

/// What a commit replaces: earlier rows of these calls (partitioned tables) and of these source
/// files (unpartitioned tables).
#[derive(Debug, Default)]
pub struct Replacement {
    /// Every call_id this run wrote.
    pub call_ids: IdSet,
    /// Every source file this run read, by the name rows give it.
    pub source_files: HashSet<Arc<str>>,
    /// Every call_date partition this run wrote calls into.
    pub call_dates: BTreeSet<String>,
}

/// What a commit did to earlier rows.
#[derive(Debug, Default)]
pub struct Committed {
    /// Rows of earlier runs dropped, per table.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Partitions this run wrote no calls into from which it dropped calls (scanned again with
    /// a start time, or with another start date): their contacts must be linked again.
    pub moved_from: BTreeSet<String>,
}

/// How many days from the dates a run writes its calls' earlier rows are looked for. A call
/// scanned again with a start date at most this far from the one it was stored under (a
/// corrected time zone, metadata that came late) replaces its earlier rows there, as it does
/// within one date; further apart, they stay. Every run reads the `call_id` column of the calls
/// partitions this close to its dates, not every partition of the dataset, so that a night's
/// cost does not grow with the history: measured, a neighbouring partition of 65,000 calls
/// added 6–8 ms to a night's commit, so a week each side of such nights about 100 ms.
pub const MOVED_CALL_DAYS: i64 = 7;

impl StagedRun {
    /// Moves the run into place: for each table, every partition in `replace.call_dates` (and
    /// the unpartitioned tables) is rebuilt from this run's rows plus the earlier rows not
    /// replaced, then swapped in; so is every other partition that held calls of this run
    /// (`unknown`, and the dates within [`MOVED_CALL_DAYS`]).
    pub fn commit(
        self,
        tables: &[&'static Table],
        replace: &Replacement,
    ) -> Result<Committed, OutputError> {
        let trash = self.root.join("_trash").join(&self.run_id);
        let mut touched: Vec<(&'static Table, Option<String>)> = Vec::new();
        for &table in tables {
            if table.partitioned {
                let mut partitions: BTreeSet<Option<String>> =
                    replace.call_dates.iter().cloned().map(Some).collect();
                partitions.extend(self.partitions.get(table.name).cloned().unwrap_or_default());
                touched.extend(partitions.into_iter().map(|p| (table, p)));
            } else {
                touched.push((table, None));
            }
        }
        // A call scanned without a start time is in `unknown`; scanned again with one (its
        // metadata came a night later), it lands in its date, and its rows in `unknown` are
        // earlier rows of the same call like any other; so are the rows of a call scanned again
        // with another start date. The calls table's partitions where they may be are checked
        // (their call_id column alone), and each that holds a call of this run is rebuilt in
        // every table, like the dates written.
        let moved_from = if tables.iter().any(|t| t.name == CALLS.name) {
            self.partitions_holding_moved_calls(replace)?
        } else {
            BTreeSet::new()
        };
        for &table in tables.iter().filter(|t| t.partitioned) {
            for date in &moved_from {
                let partition = Some(date.clone());
                if !touched
                    .iter()
                    .any(|(t, p)| t.name == table.name && *p == partition)
                {
                    touched.push((table, partition));
                }
            }
        }
        // Each partition's earlier rows are carried over on its own (on the caller's pool):
        // they read and write only that partition's files.
        let dropped_per_partition: Vec<u64> = touched
            .par_iter()
            .map(|(table, partition)| {
                let staged = partition_dir(&self.staging, table, partition.as_deref());
                let live = partition_dir(&self.root, table, partition.as_deref());
                self.carry_over(table, &live, &staged, replace)
            })
            .collect::<Result<_, _>>()?;
        let mut committed = Committed {
            moved_from,
            ..Committed::default()
        };
        for ((table, partition), n) in touched.iter().zip(dropped_per_partition) {
            *committed.dropped.entry(table.name).or_default() += n;
            let staged = partition_dir(&self.staging, table, partition.as_deref());
            let live = partition_dir(&self.root, table, partition.as_deref());
            if live.exists() {
                // Replaced whole, or every earlier row of it was replaced and this run wrote
                // none.
                move_dir(&live, &partition_dir(&trash, table, partition.as_deref()))?;
            }
            if staged.exists() {
                move_dir(&staged, &live)?;
            }
        }
        remove_dir_if_exists(&trash)?;
        remove_dir_if_exists(&self.staging)?;
        remove_empty(&self.root.join("_trash"));
        remove_empty(&self.root.join("_staging"));
        Ok(committed)
    }

    /// The calls table's partitions, other than the dates this run wrote calls into, that hold
    /// a call of this run: `unknown` and the dates within [`MOVED_CALL_DAYS`] of a date written
    /// are looked at, each from its files' `call_id` columns, in parallel.
    fn partitions_holding_moved_calls(
        &self,
        replace: &Replacement,
    ) -> Result<BTreeSet<String>, OutputError> {
        let written: Vec<i64> = replace
            .call_dates
            .iter()
            .filter_map(|date| day_of_date(date))
            .collect();
        let near_a_date_written = |date: &str| {
            day_of_date(date)
                .is_some_and(|day| written.iter().any(|w| (day - w).abs() <= MOVED_CALL_DAYS))
        };
        let calls = super::history::partitions(&self.root, &CALLS).map_err(|e| match e {
            HistoryError::Io { path, source } => OutputError::Io {
                action: "listing the partitions of",
                path,
                source,
            },
            other => unreachable!("listing partitions reads no file: {other}"),
        })?;
        let candidates: Vec<String> = calls
            .dated
            .into_iter()
            .filter(|date| near_a_date_written(date))
            .chain(calls.unknown.then(|| UNKNOWN_DATE.to_string()))
            .filter(|date| !replace.call_dates.contains(date))
            .collect();
        candidates
            .into_par_iter()
            .filter_map(|date| {
                let dir = partition_dir(&self.root, &CALLS, Some(&date));
                match holds_a_call_of(&dir, replace) {
                    Ok(true) => Some(Ok(date)),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .collect()
    }

    /// Carries the rows of `live`'s files that this run does not replace over into `staged`,
    /// as further part files. Returns how many rows were dropped.
    ///
    /// Each file's key column is read first, alone: a file none of whose rows is kept is
    /// dropped without reading the rest, and a file all of whose rows are kept is linked into
    /// `staged` as it is (its rows were written by an earlier run, whose run id and lexicon its
    /// metadata keep naming). Only a file with rows of both kinds is read whole and rewritten.
    /// (Measured on 100,000 small files: reading and filtering every earlier row on one thread
    /// took the commit 300 ms when the files were scanned again into their own dataset, and
    /// 560 ms when a second night of 50,000 landed in the first night's dates; 60 and 40 now.)
    fn carry_over(
        &self,
        table: &'static Table,
        live: &Path,
        staged: &Path,
        replace: &Replacement,
    ) -> Result<u64, OutputError> {
        let Ok(entries) = fs::read_dir(live) else {
            return Ok(0);
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        let key_column = if table.partitioned {
            "call_id"
        } else {
            "source_file"
        };
        let replaced = |key: &str| {
            if table.partitioned {
                replace.call_ids.contains(key)
            } else {
                replace.source_files.contains(key)
            }
        };
        let mut next_part = 1 + fs::read_dir(staged).map(|d| d.count()).unwrap_or(0);
        let mut next_path = || {
            let path = staged.join(format!("part-{next_part:05}.parquet"));
            next_part += 1;
            path
        };
        let mut dropped = 0;
        for file in files {
            let (rows, replaced_rows) = count_replaced(&file, key_column, &replaced)?;
            if replaced_rows == rows {
                dropped += rows;
                continue;
            }
            fs::create_dir_all(staged).map_err(io("creating", staged))?;
            if replaced_rows == 0 {
                link_or_copy(&file, &next_path())?;
                continue;
            }
            dropped += self.rewrite_kept(&file, &next_path(), key_column, &replaced)?;
        }
        Ok(dropped)
    }

    /// Writes the rows of `file` that are not `replaced` to a new part file at `to`; returns
    /// how many were dropped.
    fn rewrite_kept(
        &self,
        file: &Path,
        to: &Path,
        key_column: &str,
        replaced: &impl Fn(&str) -> bool,
    ) -> Result<u64, OutputError> {
        let parquet = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputError::Parquet { path, source }
        };
        let reader = File::open(file).map_err(io("opening", file))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(reader)
            .and_then(|builder| builder.with_batch_size(BATCH_ROWS).build())
            .map_err(parquet(file))?;
        let out = File::create(to).map_err(io("creating", to))?;
        let mut writer = ArrowWriter::try_new(out, reader.schema(), Some(self.props.clone()))
            .map_err(parquet(to))?;
        let mut dropped = 0;
        for batch in reader {
            let batch = batch.map_err(|e| parquet(file)(e.into()))?;
            let (kept, n_dropped) = filter_out(&batch, key_column, replaced);
            dropped += n_dropped;
            if kept.num_rows() > 0 {
                writer.write(&kept).map_err(parquet(to))?;
            }
        }
        writer.close().map_err(parquet(to))?;
        Ok(dropped)
    }
}

/// The rows of the Parquet file at `path`, and how many of them have a `column` value that is
/// `replaced`, from that column alone. A file without the column has none replaced (as in
/// [`filter_out`]).
fn count_replaced(
    path: &Path,
    column: &str,
    replaced: &impl Fn(&str) -> bool,
) -> Result<(u64, u64), OutputError> {
    let parquet = |source| OutputError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io("opening", path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.parquet_schema();
    if !schema
        .columns()
        .iter()
        .any(|c| c.path().parts() == [column])
    {
        return Ok((rows, 0));
    }
    let mask = ProjectionMask::columns(schema, [column]);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet)?;
    let mut replaced_rows = 0;
    // The turns and hits of a call are consecutive rows: one lookup per call, not per row.
    let (mut last_key, mut last_replaced) = (String::new(), None);
    for batch in reader {
        let batch = batch.map_err(|e| parquet(e.into()))?;
        let Some(values) = batch.column(0).as_any().downcast_ref::<StringArray>() else {
            return Ok((rows, 0));
        };
        for value in values.iter().flatten() {
            let is_replaced = match last_replaced {
                Some(known) if last_key == value => known,
                _ => {
                    let known = replaced(value);
                    last_key.clear();
                    last_key.push_str(value);
                    last_replaced = Some(known);
                    known
                }
            };
            replaced_rows += u64::from(is_replaced);
        }
    }
    Ok((rows, replaced_rows))
}

/// Whether a Parquet file in `dir` has a `call_id` of `replace`'s calls.
fn holds_a_call_of(dir: &Path, replace: &Replacement) -> Result<bool, OutputError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(false);
    };
    for file in entries.flatten().map(|e| e.path()) {
        if file.extension().is_some_and(|e| e == "parquet") {
            let (_, replaced) =
                count_replaced(&file, "call_id", &|id| replace.call_ids.contains(id))?;
            if replaced > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A second name for `from` at `to` (the same file system: staging is inside the dataset), or
/// a copy where the file system has no hard links. Either way `from` may then be removed.
fn link_or_copy(from: &Path, to: &Path) -> Result<(), OutputError> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map(drop).map_err(io("copying", to))
}

/// Drops the rows whose `column` value is `replaced`.
fn filter_out(
    batch: &RecordBatch,
    column: &str,
    replaced: impl Fn(&str) -> bool,
) -> (RecordBatch, u64) {
    let Some(values) = batch
        .column_by_name(column)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
    else {
        return (batch.clone(), 0);
    };
    let keep: BooleanArray = (0..values.len())
        .map(|i| Some(values.is_null(i) || !replaced(values.value(i))))
        .collect();
    let dropped = keep.values().count_set_bits();
    let dropped = (batch.num_rows() - dropped) as u64;
    if dropped == 0 {
        return (batch.clone(), 0);
    }
    let kept = arrow_select::filter::filter_record_batch(batch, &keep)
        .expect("mask has the batch's length");
    (kept, dropped)
}

fn move_dir(from: &Path, to: &Path) -> Result<(), OutputError> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(io("creating", parent))?;
    }
    fs::rename(from, to).map_err(io("moving into place", to))
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), OutputError> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(OutputError::Io {
            action: "removing",
            path: dir.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn remove_empty(dir: &Path) {
    let _ = fs::remove_dir(dir);
}

/// Repairs what a crashed run left: staging is discarded (it was never visible); a partition
/// moved to `_trash` whose replacement never arrived is moved back.
pub fn recover(root: &Path) -> Result<(), OutputError> {
    remove_dir_if_exists(&root.join("_staging"))?;
    let trash = root.join("_trash");
    let Ok(runs) = fs::read_dir(&trash) else {
        return Ok(());
    };
    for run in runs.flatten() {
        for entry in walkdir::WalkDir::new(run.path())
            .min_depth(1)
            .max_depth(2)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let rel = entry
                .path()
                .strip_prefix(run.path())
                .expect("walked under run");
            let is_partition = rel.components().count() == 2
                || (rel.components().count() == 1 && !has_subdirs(entry.path()));
            if entry.file_type().is_dir() && is_partition {
                let live = root.join(rel);
                if !live.exists() {
                    move_dir(entry.path(), &live)?;
                }
            }
        }
    }
    remove_dir_if_exists(&trash)
}

fn has_subdirs(dir: &Path) -> bool {
    fs::read_dir(dir)
        .map(|d| d.flatten().any(|e| e.path().is_dir()))
        .unwrap_or(false)
}

impl StagedRun {
    /// Moves the run into place replacing whole partitions: for each partitioned table in
    /// `tables`, every partition in `partitions` becomes exactly what this run staged for it, or
    /// disappears when the run staged nothing there. What the run staged for other partitions
    /// is dropped (the link step stages rows before it knows whether their partition changed).
    ///
    /// Unlike [`StagedRun::commit`], no earlier row is carried over: this is for tables derived
    /// from others and recomputed a partition at a time (contacts and fcr are recomputed from
    /// the calls). Each partition is swapped with the same two renames as `commit`, so a crash
    /// leaves each partition either old or new, and [`recover`] repairs the rest. Returns the
    /// rows of the replaced partitions, per table (read from the file footers).
    pub fn replace_partitions(
        self,
        tables: &[&'static Table],
        partitions: &BTreeSet<String>,
    ) -> Result<BTreeMap<&'static str, u64>, OutputError> {
        let mut replaced = BTreeMap::new();
        let trash = self.root.join("_trash").join(&self.run_id);
        for &table in tables.iter().filter(|t| t.partitioned) {
            for partition in partitions {
                let staged = partition_dir(&self.staging, table, Some(partition));
                let live = partition_dir(&self.root, table, Some(partition));
                if live.exists() {
                    *replaced.entry(table.name).or_default() += footer_rows(&live)?;
                    move_dir(&live, &partition_dir(&trash, table, Some(partition)))?;
                }
                if staged.exists() {
                    move_dir(&staged, &live)?;
                }
            }
            remove_empty(&self.root.join(table.name));
        }
        remove_dir_if_exists(&trash)?;
        remove_dir_if_exists(&self.staging)?;
        remove_empty(&self.root.join("_trash"));
        remove_empty(&self.root.join("_staging"));
        Ok(replaced)
    }
}

/// The rows of the Parquet files in `dir`, from their footers.
fn footer_rows(dir: &Path) -> Result<u64, OutputError> {
    let mut rows = 0;
    for entry in fs::read_dir(dir).map_err(io("reading", dir))?.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let file = File::open(&path).map_err(io("opening", &path))?;
        rows += rows_in(file).map_err(|source| OutputError::Parquet { path, source })?;
    }
    Ok(rows)
}

/// The rows of a Parquet file, from its footer alone.
fn rows_in(file: File) -> Result<u64, parquet::errors::ParquetError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    Ok(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::schema::{Column, all_tables};
    use super::*;

    #[test]
    fn measured_seconds_speeds_and_call_ids_go_without_a_dictionary_and_nothing_else_does() {
        let props = writer_properties("run", "lexicon", &Zone::utc());
        let dictionary = |name: &str| props.dictionary_enabled(&ColumnPath::from(name));
        for name in [
            "call_id",
            "chain_id",
            "prev_call_id",
            "next_call_id",
            "start_s",
            "end_s",
            "duration_s",
            "talk_time_agent_s",
            "talk_speed_customer",
            "gap_before_s",
        ] {
            assert!(!dictionary(name), "{name}");
        }
        // Few distinct values: the dictionary is their compression. A night's customers call
        // again, and a JSON Lines file names one source for all its calls.
        for name in [
            "customer_id",
            "source_file",
            "sentiment",
            "role_confidence",
            "confidence",
            "fcr_operational",
            "turn",
        ] {
            assert!(dictionary(name), "{name}");
        }
        assert!(!dictionary("text"));
    }

    #[test]
    fn each_table_is_written_with_the_settings_of_all_tables_for_its_own_columns() {
        let base = writer_properties("run", "lexicon", &Zone::utc());
        for table in all_tables() {
            let own = table_properties(&base, table);
            let parquet = parquet::arrow::ArrowSchemaConverter::new()
                .convert(&table.arrow_schema())
                .unwrap();
            for column in parquet.columns() {
                let path = column.path();
                let name = format!("{}.{path}", table.name);
                assert_eq!(own.compression(path), base.compression(path), "{name}");
                assert_eq!(
                    own.dictionary_enabled(path),
                    base.dictionary_enabled(path),
                    "{name}"
                );
                assert_eq!(
                    own.statistics_enabled(path),
                    base.statistics_enabled(path),
                    "{name}"
                );
            }
            assert_eq!(own.key_value_metadata(), base.key_value_metadata());
            assert_eq!(own.created_by(), base.created_by());
        }
        // The point: a table's properties hold fewer column settings than all tables'.
        let turns = all_tables()
            .into_iter()
            .find(|t| t.name == "turns")
            .unwrap();
        let own = table_properties(&base, turns);
        assert_eq!(
            own.compression(&ColumnPath::from("queue")),
            base.compression(&ColumnPath::from("not_a_column"))
        );
        assert_ne!(
            base.compression(&ColumnPath::from("queue")),
            base.compression(&ColumnPath::from("not_a_column"))
        );
    }

    #[test]
    fn every_identifier_column_exists_as_a_string() {
        for path in identifier_columns() {
            let name = path.string();
            let found = all_tables()
                .into_iter()
                .flat_map(|table| table.columns.iter())
                .filter(|c| c.name == name)
                .map(|c| c.ty)
                .collect::<Vec<_>>();
            assert!(!found.is_empty(), "no table has a column {name}");
            assert!(
                found.iter().all(|ty| *ty == ColType::Utf8),
                "{name}: {found:?}"
            );
        }
    }

    #[test]
    fn every_column_named_for_no_compression_exists_with_a_small_type() {
        for name in LABEL_AND_COUNT_COLUMNS {
            let columns: Vec<&Column> = all_tables()
                .into_iter()
                .flat_map(|table| table.columns.iter())
                .filter(|c| c.name == *name)
                .collect();
            assert!(!columns.is_empty(), "no table has a column {name}");
            for column in columns {
                assert!(
                    matches!(column.ty, ColType::Utf8 | ColType::Int32),
                    "{name} is {:?}: labels are strings, counts 32-bit",
                    column.ty
                );
            }
        }
    }
}
