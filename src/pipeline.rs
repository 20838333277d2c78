//! The scan pipeline: the one place that knows about threads, chunking and ordering.
//!
//! ```text
//!  reader thread            rayon pool (--jobs)             writer thread
//!  files → work units  ──►  units → scanned calls   ──►  dedup, rows, Parquet, counts
//!  (batches, bounded)       (indexed, order kept)         (in input order)
//! ```
//!
//! - **Deterministic.** Work units are discovered in a fixed order (sorted walk; large JSON Lines
//!   files cut into line ranges). Batches are cut into pieces of consecutive units, which the
//!   workers take as they come, across batch ends, and whose outputs reach the writer in input
//!   order ([`crate::ordered`]). Rows are therefore written in (file, line) order whatever
//!   `--jobs` is, and the first occurrence of a duplicate call_id wins.
//! - **Bounded memory.** The reader and the pool exchange at most one batch ahead
//!   (`sync_channel(1)`), as do the pool and the writer; a batch holds about `batch_bytes` of
//!   input, and at most half a batch of pieces is in flight on the pool. Memory grows with the
//!   batch size and the thread count, not with the corpus.
//! - **Small files are read by the workers**, so opening 100,000 files is parallel too; large
//!   JSON Lines files are read by the reader thread, which only splits them at line ends. A
//!   file whose bytes are not in the page cache is not waited for: reading threads of its own
//!   fetch it while the worker scans the next (`scan_piece`), so a cold night keeps many
//!   reads in flight and no core idles on the disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Instant;

use crate::aggregate::RunCounts;
use crate::ingest::vendor::channels::{
    ChannelGroup, WorkItem, group_channel_files, merge_channels,
};
use crate::ingest::{
    self, FileKind, IngestOptions, InputFile, Reject, RejectReason, discover, open,
};
use crate::matcher::Scratch;
use crate::model::{Call, SourceRef};
use crate::ordered;
use crate::output::id_set::IdSet;
use crate::output::rows::{TranscriptPolicy, call_date, write_call, write_reject};
use crate::output::schema::SCAN_TABLES;
use crate::output::{DatasetWriter, OutputError, Replacement, writer_properties};
use crate::scan::{ScannedCall, Scanner};

/// How a scan runs.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Which transcripts go to the turns table.
    pub transcripts: TranscriptPolicy,
    /// Input bytes per batch handed to the pool.
    pub batch_bytes: usize,
    /// What ingest needs.
    pub ingest: IngestOptions,
    /// The run's id (names the manifest; written in file metadata).
    pub run_id: String,
}

impl ScanOptions {
    /// Defaults for `jobs` threads.
    pub fn new(jobs: usize, run_id: String) -> ScanOptions {
        ScanOptions {
            jobs: jobs.max(1),
            transcripts: TranscriptPolicy::Flagged,
            batch_bytes: 4 << 20,
            ingest: IngestOptions::default(),
            run_id,
        }
    }

    /// Bytes per JSON Lines chunk: small enough for every thread to get several per batch.
    fn chunk_bytes(&self) -> usize {
        (self.batch_bytes / (4 * self.jobs)).clamp(64 << 10, 4 << 20)
    }
}

/// Live progress, readable from another thread (the progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes handed to the workers so far.
    pub bytes: AtomicU64,
    /// Input bytes to read in all (file sizes on disk).
    pub total_bytes: AtomicU64,
    /// Calls scanned so far.
    pub calls: AtomicU64,
}

/// What a scan did.
#[derive(Debug)]
pub struct ScanReport {
    /// Counts.
    pub counts: RunCounts,
    /// The first rejects, for messages (the rest are in the rejects table).
    pub first_rejects: Vec<Reject>,
    /// Rows written per table.
    pub rows_written: std::collections::BTreeMap<String, u64>,
    /// Rows of earlier runs replaced, per table.
    pub rows_replaced: std::collections::BTreeMap<String, u64>,
    /// Partitions (call dates) this run wrote, and those calls of this run left (`unknown`, or
    /// another date, when scanned again with a start time on another day): the partitions
    /// whose contacts the link step redoes.
    pub call_dates: std::collections::BTreeSet<String>,
    /// Wall time per stage in ms.
    pub timings_ms: std::collections::BTreeMap<String, u64>,
}

/// Why a scan could not finish. Nothing is committed when it fails.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Writing the dataset failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The thread pool could not be built.
    #[error("starting {jobs} worker threads: {source}")]
    Threads {
        /// Requested threads.
        jobs: usize,
        /// The error.
        source: rayon::ThreadPoolBuildError,
    },
}

/// How many rejects are kept in memory for messages.
const FIRST_REJECTS: usize = 20;

/// One piece of work for the pool.
enum Unit {
    /// Lines of a JSON Lines file: `bytes` starts at line `first_line`.
    Lines {
        file: Arc<str>,
        first_line: u64,
        bytes: Vec<u8>,
    },
    /// A whole file, and its stored bytes once read (see [`scan_piece`]).
    File { file: InputFile, raw: Option<Raw> },
    /// The per-channel files of one call, read and merged by the worker (issue #6).
    Channels(ChannelGroup),
    /// A file or stream that failed before any record could be read.
    Failed(Reject),
}

/// A file's bytes as stored (compressed or not), or why they could not be read.
type Raw = Result<Vec<u8>, RejectReason>;

impl Unit {
    fn input_bytes(&self) -> usize {
        match self {
            Unit::Lines { bytes, .. } => bytes.len(),
            Unit::File { file, .. } => file.size_bytes as usize,
            Unit::Channels(g) => g.parts.iter().map(|(_, f)| f.size_bytes as usize).sum(),
            Unit::Failed(_) => 0,
        }
    }
}

/// Threads that read the files whose bytes are not in memory (see [`scan_piece`]), started
/// when the first such file comes: a scan of files the page cache holds starts none. They
/// mostly wait on the device, so there are more of them than workers where there are few:
/// two per worker, 4 to 32, for storage slower to answer than this machine's. Measured on
/// 100,000 files after dropping the page cache (two cores, a virtual disk): 2, 4, 8 and 16
/// threads all 2.7–3.2 s against 6.7–7.5 s read by the workers; peak memory 118–121, 122,
/// 128–132 and 123–132 MiB.
struct WaitingReaders {
    threads: usize,
    pool: std::sync::OnceLock<Option<rayon::ThreadPool>>,
}

impl WaitingReaders {
    fn new(jobs: usize) -> WaitingReaders {
        WaitingReaders {
            threads: (2 * jobs).clamp(4, 32),
            pool: std::sync::OnceLock::new(),
        }
    }

    /// Runs `read` on a reading thread, or here when none could be started.
    fn spawn(&self, read: impl FnOnce() + Send + 'static) {
        let pool = self.pool.get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads)
                .thread_name(|i| format!("fcrscan-read-{i}"))
                .build()
                .ok()
        });
        match pool {
            Some(pool) => pool.spawn(read),
            None => read(),
        }
    }
}

/// Scans a piece's units, in order except for files whose bytes are not all in the page cache
/// (a night's transcripts fresh from the network or the disk, or pages the system reclaimed
/// since): those are read on `readers` while the worker scans the rest, and scanned as they
/// arrive. Read by the worker, every such file left a core idle while it waited, and a cold
/// directory was read one file per worker at a time. Outputs keep the units' order.
/// `read_now` reads a file if that does not wait ([`open::read_if_cached`]).
fn scan_piece(
    piece: Vec<Unit>,
    readers: &WaitingReaders,
    read_now: impl Fn(&InputFile) -> open::Cached,
    mut process: impl FnMut(Unit) -> UnitOutput,
) -> Vec<UnitOutput> {
    let mut outputs: Vec<Option<UnitOutput>> = Vec::with_capacity(piece.len());
    let mut reading = 0;
    let (read_tx, read_rx) = std::sync::mpsc::channel::<(usize, InputFile, Raw)>();
    for (index, unit) in piece.into_iter().enumerate() {
        let unit = match unit {
            Unit::File { file, raw: None } => match read_now(&file) {
                open::Cached::Read(raw) => Unit::File {
                    file,
                    raw: Some(raw),
                },
                open::Cached::NotInMemory => {
                    let read_tx = read_tx.clone();
                    readers.spawn(move || {
                        let raw = open::read_raw(&file.path, Some(file.size_bytes));
                        // The receiver waits for every read sent.
                        let _ = read_tx.send((index, file, raw));
                    });
                    reading += 1;
                    outputs.push(None);
                    continue;
                }
            },
            unit => unit,
        };
        outputs.push(Some(process(unit)));
    }
    drop(read_tx);
    for (index, file, raw) in read_rx.iter().take(reading) {
        outputs[index] = Some(process(Unit::File {
            file,
            raw: Some(raw),
        }));
    }
    outputs
        .into_iter()
        .map(|output| output.expect("every unit was scanned"))
        .collect()
}

/// Pieces a batch is cut into per worker: a piece is about as large as a JSON Lines chunk
/// ([`ScanOptions::chunk_bytes`]), so that workers share a batch evenly.
const PIECES_PER_WORKER: usize = 4;

/// Pieces in flight per worker (being scanned, or done and waiting for an earlier one): enough
/// that a worker never waits for a slow piece before it, few enough that what waits for the
/// writer stays within a batch. With four per worker, the 1 GB benchmark's peak RSS rose by
/// 9 MiB for no more speed than two gave.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// Cuts a batch into up to [`PIECES_PER_WORKER`] pieces per worker, of consecutive units.
fn split_batch<T>(mut batch: Vec<T>, workers: usize) -> Vec<Vec<T>> {
    let per_piece = batch.len().div_ceil(PIECES_PER_WORKER * workers).max(1);
    let mut pieces = Vec::new();
    while batch.len() > per_piece {
        let rest = batch.split_off(per_piece);
        pieces.push(std::mem::replace(&mut batch, rest));
    }
    pieces.push(batch);
    pieces
}

/// What a unit produced, in order.
#[derive(Default)]
struct UnitOutput {
    records: Vec<Result<ScannedCall, Reject>>,
    bytes: u64,
}

/// Scans `inputs` into the dataset at `out_dir`.
pub fn run_scan(
    inputs: &[PathBuf],
    out_dir: &Path,
    scanner: &Scanner,
    options: &ScanOptions,
    progress: &Progress,
) -> Result<ScanReport, PipelineError> {
    let started = Instant::now();
    let mut timings = std::collections::BTreeMap::new();
    let metadata = options.ingest.metadata.as_ref().map(|table| table.path());
    let leave_out: Vec<&Path> = std::iter::once(out_dir).chain(metadata).collect();
    let found = discover(inputs, &leave_out);
    let total: u64 = found.files.iter().map(|f| f.size_bytes).sum();
    progress.total_bytes.store(total, Ordering::Relaxed);
    // A small run is over before a DFA would pay for its build.
    scanner.matcher.expect_input_bytes(total);
    timings.insert("discover".to_string(), started.elapsed().as_millis() as u64);

    let props = writer_properties(&options.run_id, &scanner.fingerprint, &options.ingest.zone);
    let mut writer = DatasetWriter::create(out_dir, &options.run_id, props)?;
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs)
            .thread_name(|i| format!("fcrscan-worker-{i}"))
            .build()
            .map_err(|source| PipelineError::Threads {
                jobs: options.jobs,
                source,
            })?,
    );
    // Row groups are encoded by the workers, so that the one writer thread does not cap what
    // more workers can do; with one worker the writer thread keeps encoding, beside it.
    if pool.current_num_threads() > 1 {
        writer.encode_on(Arc::clone(&pool));
    }

    let scan_started = Instant::now();
    let source_files: HashSet<Arc<str>> = found
        .files
        .iter()
        .map(|f| Arc::clone(&f.name))
        .chain(found.rejects.iter().map(|r| Arc::clone(&r.source.path)))
        .collect();
    let mut counts = RunCounts {
        files: found.files.len() as u64,
        files_skipped: found.skipped.len() as u64,
        ..Default::default()
    };
    let (unit_tx, unit_rx) = sync_channel::<Vec<Unit>>(1);
    let (out_tx, out_rx) = sync_channel::<Vec<UnitOutput>>(1);
    let discovery_rejects = found.rejects;
    let files = found.files;
    let readers = WaitingReaders::new(options.jobs);
    let result = thread::scope(|scope| {
        let reader_options = options.clone();
        // Named, so that `top -H` and profiles tell the stages apart.
        thread::Builder::new()
            .name("fcrscan-reader".to_string())
            .spawn_scoped(scope, move || {
                read_units(files, discovery_rejects, &reader_options, unit_tx)
            })
            .expect("the reader thread starts");
        let writer_handle = thread::Builder::new()
            .name("fcrscan-writer".to_string())
            .spawn_scoped(scope, || {
                write_outputs(writer, out_rx, scanner, options, &pool)
            })
            .expect("the writer thread starts");
        // One scratch per worker; a worker only ever locks its own.
        let workers = pool.current_num_threads();
        let scratches: Vec<Mutex<Scratch>> =
            (0..workers).map(|_| Mutex::new(Scratch::new())).collect();
        let pieces = unit_rx
            .into_iter()
            .flat_map(|batch| split_batch(batch, workers));
        ordered::map_in_order(
            &pool,
            pieces,
            IN_FLIGHT_PER_WORKER * workers,
            |piece: Vec<Unit>| {
                let worker = rayon::current_thread_index().expect("runs on the pool");
                let mut scratch = scratches[worker]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                scan_piece(
                    piece,
                    &readers,
                    |file| open::read_if_cached(&file.path, file.size_bytes),
                    |unit| process_unit(unit, scanner, options, &mut scratch, progress),
                )
            },
            // `false` when the writer failed; its error is reported below.
            |ready| out_tx.send(ready.into_iter().flatten().collect()).is_ok(),
        );
        drop(out_tx);
        writer_handle
            .join()
            .expect("the writer thread does not panic")
    });
    let written = result?;
    timings.insert(
        "scan".to_string(),
        scan_started.elapsed().as_millis() as u64,
    );
    counts += &written.counts;

    let commit_started = Instant::now();
    let replacement = Replacement {
        call_ids: written.call_ids,
        source_files,
        call_dates: written.call_dates.clone(),
    };
    let rows_written: std::collections::BTreeMap<String, u64> = written
        .staged_rows
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    // Partitions are carried over in parallel, on the scan's workers (idle by now).
    let committed = pool.install(|| written.staged.commit(&SCAN_TABLES, &replacement))?;
    let mut call_dates = written.call_dates;
    // Partitions calls left (`unknown`, or another date): their contacts are linked again like
    // the dates written.
    call_dates.extend(committed.moved_from);
    timings.insert(
        "commit".to_string(),
        commit_started.elapsed().as_millis() as u64,
    );
    timings.insert("total".to_string(), started.elapsed().as_millis() as u64);
    Ok(ScanReport {
        counts,
        first_rejects: written.first_rejects,
        rows_written,
        rows_replaced: committed
            .dropped
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        call_dates,
        timings_ms: timings,
    })
}

/// The reader thread: turns files into batches of units.
fn read_units(
    files: Vec<InputFile>,
    discovery_rejects: Vec<Reject>,
    options: &ScanOptions,
    tx: SyncSender<Vec<Unit>>,
) {
    let mut batch = Batcher {
        tx,
        units: Vec::new(),
        bytes: 0,
        limit: options.batch_bytes,
    };
    for reject in discovery_rejects {
        batch.push(Unit::Failed(reject));
    }
    // Grouping channel files here keeps the order deterministic: a group takes the place of its
    // first file in the sorted walk.
    for item in group_channel_files(files, options.ingest.channel_files.as_ref()) {
        let file = match item {
            WorkItem::File(file) => file,
            WorkItem::Channels(group) => {
                batch.push(Unit::Channels(group));
                continue;
            }
        };
        if ingest::file_kind(&file.path) != FileKind::JsonLines {
            batch.push(Unit::File { file, raw: None });
            continue;
        }
        let mut stream = match open::open_stream(&file.path) {
            Ok(s) => s,
            Err(reason) => {
                batch.push(Unit::Failed(Reject {
                    source: SourceRef::file(file.name.clone()),
                    call_id: None,
                    reason,
                }));
                continue;
            }
        };
        let chunk = options.chunk_bytes();
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 1u64;
        loop {
            let mut buf = std::mem::take(&mut carry);
            buf.reserve(chunk + (64 << 10));
            let read = fill(&mut stream, &mut buf, chunk);
            // Cut at the last newline and keep the partial line for the next chunk. When the
            // stream broke, the partial line is part of what was lost: the truncation reject
            // below stands for it, rather than a second, misleading invalid-JSON reject.
            match (&read, memchr::memrchr(b'\n', &buf)) {
                (Ok(true), Some(cut)) => carry = buf.split_off(cut + 1),
                (Err(_), Some(cut)) => buf.truncate(cut + 1),
                (Err(_), None) => buf.clear(),
                _ => {}
            }
            // A table of turns, one per line, groups lines into calls: read whole, as CSV
            // turn tables are.
            if line == 1 && ingest::canonical::starts_as_turn_table(&buf) {
                batch.push(Unit::File { file, raw: None });
                break;
            }
            if !buf.is_empty() {
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u64
                    + u64::from(buf.last() != Some(&b'\n'));
                batch.push(Unit::Lines {
                    file: file.name.clone(),
                    first_line: line,
                    bytes: buf,
                });
                line += lines;
            }
            match read {
                Ok(true) => continue,
                Ok(false) => break,
                Err(reason) => {
                    batch.push(Unit::Failed(Reject {
                        source: SourceRef::line(file.name.clone(), line),
                        call_id: None,
                        reason,
                    }));
                    break;
                }
            }
        }
    }
    batch.flush();
}

/// Reads until `buf` holds `want` more bytes or the stream ends. `Ok(true)`: more may follow;
/// `Ok(false)`: end of stream; `Err`: the stream broke (what was read is in `buf`). Reads into
/// the buffer's spare capacity without zeroing it first.
fn fill(
    stream: &mut dyn std::io::BufRead,
    buf: &mut Vec<u8>,
    want: usize,
) -> Result<bool, RejectReason> {
    use std::io::Read;
    match stream.take(want as u64).read_to_end(buf) {
        Ok(read) => Ok(read == want),
        Err(e) => Err(open::compression_error(e)),
    }
}

struct Batcher {
    tx: SyncSender<Vec<Unit>>,
    units: Vec<Unit>,
    bytes: usize,
    limit: usize,
}

impl Batcher {
    fn push(&mut self, unit: Unit) {
        self.bytes += unit.input_bytes().max(256);
        self.units.push(unit);
        if self.bytes >= self.limit || self.units.len() >= 4096 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.units.is_empty() {
            // A closed channel means the run is failing; the error surfaces elsewhere.
            let _ = self.tx.send(std::mem::take(&mut self.units));
        }
        self.bytes = 0;
    }
}

/// The pieces of a buffer between `\n`s, like `bytes.split(|&b| b == b'\n')` (a trailing
/// newline yields a last, empty piece, which callers skip as blank), found with SIMD rather
/// than a byte-at-a-time predicate.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = Some(0);
    let mut ends = memchr::memchr_iter(b'\n', bytes);
    std::iter::from_fn(move || {
        let from = start?;
        match ends.next() {
            Some(end) => {
                start = Some(end + 1);
                Some(&bytes[from..end])
            }
            None => {
                start = None;
                Some(&bytes[from..])
            }
        }
    })
}

/// A worker: parses and scans one unit.
fn process_unit(
    unit: Unit,
    scanner: &Scanner,
    options: &ScanOptions,
    scratch: &mut Scratch,
    progress: &Progress,
) -> UnitOutput {
    let ingest = &options.ingest;
    let scan =
        |call, scratch: &mut Scratch| scan_for_writer(call, scanner, options.transcripts, scratch);
    let mut out = UnitOutput::default();
    match unit {
        Unit::Failed(reject) => out.records.push(Err(reject)),
        Unit::Lines {
            file,
            first_line,
            bytes,
        } => {
            out.bytes = bytes.len() as u64;
            for (i, line) in lines(&bytes).enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let source = SourceRef::line(file.clone(), first_line + i as u64);
                out.records
                    .push(match ingest::canonical::parse_call(line, source.clone()) {
                        Ok(mut call) => {
                            ingest::finish_call(&mut call, ingest, None);
                            Ok(scan(call, scratch))
                        }
                        Err((reason, call_id)) => Err(Reject {
                            source,
                            call_id,
                            reason,
                        }),
                    });
            }
        }
        Unit::File { file, raw } => {
            out.bytes = file.size_bytes;
            let raw = raw.unwrap_or_else(|| open::read_raw(&file.path, Some(file.size_bytes)));
            match raw.and_then(open::decode) {
                Ok(bytes) => {
                    for result in ingest::parse_whole_file(&file, &bytes, ingest) {
                        out.records.push(result.map(|mut call| {
                            ingest::finish_call(&mut call, ingest, None);
                            scan(call, scratch)
                        }));
                    }
                }
                Err(reason) => out.records.push(Err(Reject {
                    source: SourceRef::file(file.name.clone()),
                    call_id: None,
                    reason,
                })),
            }
        }
        Unit::Channels(group) => {
            let mut parsed = Vec::with_capacity(group.parts.len());
            for (_, file) in &group.parts {
                out.bytes += file.size_bytes;
                parsed.push(
                    match open::read_all_sized(&file.path, Some(file.size_bytes)) {
                        Ok(bytes) => ingest::parse_whole_file(file, &bytes, ingest),
                        Err(reason) => vec![Err(Reject {
                            source: SourceRef::file(file.name.clone()),
                            call_id: None,
                            reason,
                        })],
                    },
                );
            }
            for result in merge_channels(&group, parsed) {
                out.records.push(result.map(|mut call| {
                    ingest::finish_call(&mut call, ingest, Some(&group.name));
                    scan(call, scratch)
                }));
            }
        }
    }
    progress.bytes.fetch_add(out.bytes, Ordering::Relaxed);
    progress
        .calls
        .fetch_add(out.records.len() as u64, Ordering::Relaxed);
    out
}

/// Scans a call on a worker and frees, on that same thread, the text the writer will not
/// need: turns without a hit lose their text unless the call's transcript is written. This keeps
/// most of the input from crossing to the writer thread (less memory in flight, and no
/// cross-thread frees, which showed as allocator contention in the profile).
fn scan_for_writer(
    call: Call,
    scanner: &Scanner,
    transcripts: TranscriptPolicy,
    scratch: &mut Scratch,
) -> ScannedCall {
    let mut scanned = scanner.scan(call, scratch);
    if !transcripts.includes(&scanned) {
        let mut has_hit = vec![false; scanned.call.turns.len()];
        for hit in &scanned.hits {
            has_hit[hit.turn as usize] = true;
        }
        for (turn, keep) in scanned.call.turns.iter_mut().zip(has_hit) {
            if !keep {
                turn.text = String::new();
            }
        }
    }
    scanned
}

struct Written {
    staged: crate::output::StagedRun,
    staged_rows: std::collections::BTreeMap<&'static str, u64>,
    counts: RunCounts,
    call_ids: IdSet,
    call_dates: std::collections::BTreeSet<String>,
    first_rejects: Vec<Reject>,
}

/// The writer thread: consumes outputs in order, drops duplicate call_ids, writes rows.
fn write_outputs(
    mut writer: DatasetWriter,
    rx: Receiver<Vec<UnitOutput>>,
    scanner: &Scanner,
    options: &ScanOptions,
    pool: &rayon::ThreadPool,
) -> Result<Written, OutputError> {
    let mut counts = RunCounts::default();
    let mut call_ids = IdSet::new();
    let mut call_dates = std::collections::BTreeSet::new();
    let mut first_rejects = Vec::new();
    let mut reject = |writer: &mut DatasetWriter,
                      counts: &mut RunCounts,
                      r: Reject|
     -> Result<(), OutputError> {
        write_reject(writer, &r)?;
        counts.records_rejected += 1;
        *counts
            .rejected_by_reason
            .entry(r.reason.code().to_string())
            .or_default() += 1;
        if first_rejects.len() < FIRST_REJECTS {
            first_rejects.push(r);
        }
        Ok(())
    };
    for outputs in rx {
        for output in outputs {
            counts.bytes_read += output.bytes;
            for record in output.records {
                counts.records_read += 1;
                let scanned = match record {
                    Ok(s) => s,
                    Err(r) => {
                        reject(&mut writer, &mut counts, r)?;
                        continue;
                    }
                };
                if !call_ids.insert(&scanned.call.call_id) {
                    let r = Reject {
                        source: scanned.call.source.clone(),
                        call_id: Some(scanned.call.call_id.clone()),
                        reason: RejectReason::DuplicateCallId(scanned.call.call_id.clone()),
                    };
                    reject(&mut writer, &mut counts, r)?;
                    continue;
                }
                let date = call_date(&scanned, &options.ingest.zone);
                write_call(
                    &mut writer,
                    &scanned,
                    &date,
                    &scanner.lexicon,
                    &scanner.fingerprint,
                    options.transcripts,
                )?;
                call_dates.insert(date);
                counts.calls_written += 1;
                tally(&mut counts, &scanned, scanner);
            }
        }
    }
    let staged_rows = writer.rows_written().clone();
    // Waited for here, not on a worker that the jobs might queue behind.
    writer.settle_all()?;
    // The workers are idle by now: they complete the files.
    let staged = pool.install(|| writer.finish())?;
    Ok(Written {
        staged,
        staged_rows,
        counts,
        call_ids,
        call_dates,
        first_rejects,
    })
}

fn tally(counts: &mut RunCounts, scanned: &ScannedCall, scanner: &Scanner) {
    for hit in scanned.hits.iter().filter(|h| h.category.is_reported()) {
        let name = scanner.lexicon.category_name(hit.category);
        match counts.hits_by_category.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                counts.hits_by_category.insert(name.to_string(), 1);
            }
        }
    }
    let s = &scanned.score;
    for (flag, on) in [
        ("repeat_contact", s.repeat_contact),
        ("escalation", s.escalation),
        ("negative_sentiment", s.sentiment.is_some_and(|v| v < 0.0)),
    ] {
        if on {
            *counts.calls_flagged.entry(flag.to_string()).or_default() += 1;
        }
    }
    if !scanned
        .call
        .turns
        .iter()
        .any(|t| t.speaker == crate::model::Speaker::Customer)
    {
        counts.calls_without_customer += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{
        PIECES_PER_WORKER, Unit, UnitOutput, WaitingReaders, lines, scan_piece, split_batch,
    };
    use crate::ingest::{InputFile, open};

    #[test]
    fn files_not_in_memory_are_read_aside_and_their_outputs_keep_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<InputFile> = (0..12)
            .map(|i| {
                let path = dir.path().join(format!("{i:02}.json"));
                std::fs::write(&path, "x".repeat(i + 1)).unwrap();
                InputFile {
                    name: path.to_string_lossy().into(),
                    path,
                    size_bytes: i as u64 + 1,
                }
            })
            .collect();
        let piece = || {
            files
                .iter()
                .map(|file| Unit::File {
                    file: file.clone(),
                    raw: None,
                })
                .collect::<Vec<_>>()
        };
        // Each output says which file it scanned: its length, which is its position plus one.
        let process = |unit| match unit {
            Unit::File {
                raw: Some(Ok(raw)), ..
            } => UnitOutput {
                records: Vec::new(),
                bytes: raw.len() as u64,
            },
            _ => panic!("a file reaches the worker read"),
        };
        let expected: Vec<u64> = (1..=12).collect();
        let readers = WaitingReaders::new(2);
        for cold in [vec![], vec![0, 5, 6, 11], (0..12).collect()] {
            let read_now = |file: &InputFile| {
                let i = file.size_bytes as usize - 1;
                if cold.contains(&i) {
                    open::Cached::NotInMemory
                } else {
                    open::read_if_cached(&file.path, file.size_bytes)
                }
            };
            let outputs = scan_piece(piece(), &readers, read_now, process);
            let scanned: Vec<u64> = outputs.iter().map(|o| o.bytes).collect();
            assert_eq!(scanned, expected, "files {cold:?} not in memory");
        }
        // The reading threads start only when a file needs them.
        assert!(WaitingReaders::new(2).pool.get().is_none());
        assert!(readers.pool.get().is_some());
    }

    #[test]
    fn a_batch_is_cut_into_consecutive_pieces_that_cover_it() {
        for workers in 1..=4 {
            for len in 0..60 {
                let batch: Vec<usize> = (0..len).collect();
                let pieces = split_batch(batch.clone(), workers);
                assert!(pieces.len() <= (PIECES_PER_WORKER * workers).max(1));
                assert!(len == 0 || pieces.iter().all(|p| !p.is_empty()));
                assert_eq!(pieces.concat(), batch, "{len} units, {workers} workers");
            }
        }
    }

    #[test]
    fn lines_split_exactly_like_split_on_newline() {
        let split = |s: &str| {
            lines(s.as_bytes())
                .map(|l| String::from_utf8(l.to_vec()).unwrap())
                .collect::<Vec<_>>()
        };
        for text in ["a\nb\n", "a\n\nb", "", "\n", "one"] {
            let expect: Vec<String> = text.split('\n').map(str::to_string).collect();
            assert_eq!(split(text), expect, "{text:?}");
        }
    }
}
