//! Call metadata from outside the transcript (issue #6): the `--metadata FILE` join and the
//! `--call-id-from REGEX` file-name fields, plus the column names both (and CSV turn tables)
//! understand.
//!
//! Speech-to-text engines know the audio, not the contact: their output has no customer_id,
//! agent, queue or start time, so FCR linking needs them joined from the contact-center system.
//!
//! - [`MetadataTable`] loads a CSV/TSV, JSON Lines, JSON array or Parquet file keyed by call_id
//!   (columns found by name, see [`Field`] and `--column FIELD=NAME`). Loading problems are
//!   configuration errors, fatal before any work starts, with file and line.
//! - The join ([`MetadataTable::apply`]) runs once per call in the workers. Non-blank metadata
//!   values replace the transcript's (the contact-center system is the system of record for
//!   who called and when). Which rows were used is tracked with one atomic flag per row, so
//!   "metadata rows without transcripts" and "transcripts without metadata" are counted without a
//!   lock, whatever the thread count.
//! - [`apply_file_name_fields`] reads `call_id` (and `customer_id`, `agent_id`, `queue`,
//!   `channel`, `language`, `started_at` or `date`) from named groups of `--call-id-from`.
//!
//! This module reads Parquet (an input, not the dataset), the one place outside `output` that
//! touches arrow; it only reads column values as strings and timestamps.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use regex::Regex;

use super::local_dates::{self, DateOrder};
use super::time::{Stamp, parse_timestamp};
use crate::model::Call;

/// A field fcrscan reads from CSV turn tables and metadata files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The call's identifier.
    CallId,
    /// Who spoke a turn (turn tables).
    Speaker,
    /// What was said (turn tables).
    Text,
    /// Turn start (turn tables; seconds, or milliseconds when the column name says `ms`).
    Start,
    /// Turn end (turn tables).
    End,
    /// Turn order within a call (turn tables).
    Turn,
    /// The customer's identifier.
    CustomerId,
    /// The agent's identifier.
    AgentId,
    /// Queue, skill or line of business.
    Queue,
    /// `voice`, `chat`, …
    Channel,
    /// BCP-47 language tag.
    Language,
    /// When the call started.
    StartedAt,
    /// ASR confidence of a turn (turn tables).
    Confidence,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 13] = [
        Field::CallId,
        Field::Speaker,
        Field::Text,
        Field::Start,
        Field::End,
        Field::Turn,
        Field::CustomerId,
        Field::AgentId,
        Field::Queue,
        Field::Channel,
        Field::Language,
        Field::StartedAt,
        Field::Confidence,
    ];

    /// The name used in `--column FIELD=NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Field::CallId => "call_id",
            Field::Speaker => "speaker",
            Field::Text => "text",
            Field::Start => "start",
            Field::End => "end",
            Field::Turn => "turn",
            Field::CustomerId => "customer_id",
            Field::AgentId => "agent_id",
            Field::Queue => "queue",
            Field::Channel => "channel",
            Field::Language => "language",
            Field::StartedAt => "started_at",
            Field::Confidence => "confidence",
        }
    }

    /// The field named `name` (as in `--column`).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name.trim())
    }

    /// Whether `name` is one of the field's [`aliases`](Field::aliases), ignoring case, `_`,
    /// `-` and spaces.
    pub fn is_named(self, name: &str) -> bool {
        let name = fold_name(name);
        self.aliases().iter().any(|alias| fold_name(alias) == name)
    }

    /// Column names recognised without `--column`, compared ignoring case, `_`, `-` and spaces.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::CallId => &[
                "call_id",
                "callid",
                "contact_id",
                "conversation_id",
                "dialogue_id",
                "dialog_id",
                "interaction_id",
                "session_id",
            ],
            Field::Speaker => &[
                "speaker",
                "role",
                "speaker_role",
                "participant",
                "participant_role",
                "author_role",
                "party",
                "speaker_label",
            ],
            Field::Text => &[
                "text",
                "transcript",
                "utterance",
                "transcription",
                "content",
                "message",
                "display_text",
            ],
            Field::Start => &[
                "start_s",
                "start",
                "start_time",
                "begin",
                "begin_s",
                "start_ms",
                "begin_offset_millis",
                "start_offset_ms",
            ],
            Field::End => &[
                "end_s",
                "end",
                "end_time",
                "end_ms",
                "end_offset_millis",
                "end_offset_ms",
            ],
            Field::Turn => &[
                "turn",
                "turn_index",
                "turn_num",
                "turn_number",
                "turn_no",
                "seq",
                "sequence",
                "utterance_index",
            ],
            Field::CustomerId => &[
                "customer_id",
                "customer",
                "caller_id",
                "account_id",
                "account_number",
                "customer_number",
            ],
            Field::AgentId => &["agent_id", "agent", "agent_name", "rep_id", "employee_id"],
            Field::Queue => &["queue", "queue_name", "skill", "line_of_business", "lob"],
            Field::Channel => &["channel", "contact_channel", "media_type"],
            Field::Language => &["language", "language_code", "lang", "locale"],
            Field::StartedAt => &[
                "started_at",
                "call_start",
                "call_started_at",
                "contact_start",
                "initiation_timestamp",
                "start_timestamp",
                "call_date",
            ],
            Field::Confidence => &["confidence", "asr_confidence"],
        }
    }
}

/// Compares column names the way people write them: `conversationId` = `conversation_id`.
fn fold_name(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Which column holds which [`Field`]: `--column` assignments first, then the aliases.
#[derive(Clone, Debug, Default)]
pub struct ColumnMap {
    named: Vec<(Field, String)>,
}

impl ColumnMap {
    /// Parses `--column` values (`call_id=ContactId`). Errors name the bad value.
    pub fn parse(assignments: &[String]) -> Result<ColumnMap, String> {
        let mut named = Vec::new();
        for a in assignments {
            let Some((field, column)) = a.split_once('=') else {
                return Err(format!(
                    "--column {a:?}: expected FIELD=NAME, for example call_id=ContactId"
                ));
            };
            let Some(f) = Field::from_name(field) else {
                let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                return Err(format!(
                    "--column {a:?}: unknown field {field:?} (one of {})",
                    names.join(", ")
                ));
            };
            if column.trim().is_empty() {
                return Err(format!("--column {a:?}: the column name is empty"));
            }
            named.push((f, column.trim().to_string()));
        }
        Ok(ColumnMap { named })
    }

    /// The column named for `field` with `--column`, if any.
    pub fn named(&self, field: Field) -> Option<&str> {
        self.named
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| c.as_str())
    }

    /// The index of the header holding `field`, if any.
    pub fn find(&self, field: Field, headers: &[&str]) -> Option<usize> {
        if let Some(name) = self.named(field) {
            let name = fold_name(name);
            return headers.iter().position(|h| fold_name(h) == name);
        }
        field.aliases().iter().find_map(|a| {
            let a = fold_name(a);
            headers.iter().position(|h| fold_name(h) == a)
        })
    }
}

/// Whether a time column holds milliseconds, by its name (`start_ms`, `BeginOffsetMillis`).
pub fn is_millis_column(name: &str) -> bool {
    let n = fold_name(name);
    n.ends_with("ms") || n.contains("millis")
}

/// One metadata row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetaRecord {
    /// The customer's identifier.
    pub customer_id: Option<String>,
    /// The agent's identifier.
    pub agent_id: Option<String>,
    /// Queue.
    pub queue: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Start, which may name no offset.
    pub started_at: Option<Stamp>,
    /// Kept extra columns, in the order named.
    pub extra: Vec<(String, String)>,
}

/// Why a metadata file cannot be used (fatal: bad configuration).
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct MetadataError {
    /// The metadata file.
    pub path: String,
    /// The 1-based line (row) when the problem is in one row.
    pub line: Option<u64>,
    /// What is wrong and, where possible, what to do.
    pub message: String,
}

/// The `--metadata` table: call_id → row, with per-row "used" flags.
pub struct MetadataTable {
    path: PathBuf,
    index: HashMap<String, usize>,
    records: Vec<MetaRecord>,
    used: Vec<AtomicBool>,
    calls_without_row: AtomicU64,
    duplicate_rows: u64,
    /// The row ids in lower case, built at the first call without a row, to tell whether its
    /// id differs from a row's only in case.
    lower_index: OnceLock<HashMap<String, String>>,
    /// The first [`CASE_EXAMPLES`] calls (by id) without a row whose id a row has in another
    /// case: (the call's id, the row's).
    case_only: Mutex<Vec<(String, String)>>,
}

/// How many calls whose id differs from a row's only in case the run's summary names.
const CASE_EXAMPLES: usize = 3;

impl fmt::Debug for MetadataTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataTable")
            .field("path", &self.path)
            .field("rows", &self.records.len())
            .finish()
    }
}

/// Raw rows: (line, header → value), in file order.
type RawRows = Vec<(u64, Vec<(String, String)>)>;

impl MetadataTable {
    /// Loads `path` (CSV, TSV, JSON Lines, JSON array or Parquet; gzip/zstd for the text forms).
    /// `keep` names extra columns to carry into `extra_metadata`.
    /// `date_order` reads slashed dates (`11/2/2026`) that the file's own dates do not settle.
    pub fn load(
        path: &Path,
        columns: &ColumnMap,
        keep: &[String],
        date_order: Option<DateOrder>,
    ) -> Result<MetadataTable, MetadataError> {
        let shown = path.display().to_string();
        let err = |line: Option<u64>, message: String| MetadataError {
            path: shown.clone(),
            line,
            message,
        };
        let ext = super::record_extension(path);
        let rows: RawRows = if ext == "parquet" {
            read_parquet(path).map_err(|m| err(None, m))?
        } else {
            let bytes = super::open::read_all(path).map_err(|r| err(None, r.to_string()))?;
            let text =
                String::from_utf8(bytes).map_err(|e| {
                    match super::reject::first_invalid_utf8(e.as_bytes()) {
                        Some((line, byte)) => {
                            err(Some(line), super::reject::NotUtf8(byte).to_string())
                        }
                        None => err(None, "not valid UTF-8 text".into()),
                    }
                })?;
            match ext.as_str() {
                "jsonl" | "ndjson" | "json" => read_json(&text).map_err(|(l, m)| err(l, m))?,
                _ => read_csv(&text, ext == "tsv").map_err(|(l, m)| err(l, m))?,
            }
        };
        let Some((_, first)) = rows.first() else {
            return Err(err(None, "no rows".into()));
        };
        let headers: Vec<&str> = first.iter().map(|(h, _)| h.as_str()).collect();
        let Some(_) = columns.find(Field::CallId, &headers) else {
            return Err(err(
                None,
                format!(
                    "no call_id column among {} (name it with --column call_id=NAME)",
                    headers
                        .iter()
                        .take(12)
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        for k in keep {
            if !headers.iter().any(|h| fold_name(h) == fold_name(k)) {
                return Err(err(None, format!("--metadata-keep {k:?}: no such column")));
            }
        }
        // The file's own dates settle how its slashed dates are read, before any row is.
        let started = rows.iter().filter_map(|(_, row)| {
            let heads: Vec<&str> = row.iter().map(|(h, _)| h.as_str()).collect();
            columns
                .find(Field::StartedAt, &heads)
                .map(|i| row[i].1.trim())
        });
        let date_order = match local_dates::order_of(started) {
            Ok(Some(found)) if date_order.is_some_and(|given| given != found) => {
                return Err(err(
                    None,
                    format!(
                        "--date-order {}, but its started_at dates can only be read {}",
                        date_order.map_or("", DateOrder::name),
                        found.name()
                    ),
                ));
            }
            Ok(found) => found.or(date_order),
            Err((one, other)) => {
                return Err(err(
                    None,
                    format!(
                        "started_at has {one:?} (day first) and {other:?} (month first): the column mixes date orders"
                    ),
                ));
            }
        };
        let mut table = MetadataTable {
            path: path.to_path_buf(),
            index: HashMap::with_capacity(rows.len()),
            records: Vec::with_capacity(rows.len()),
            used: Vec::new(),
            calls_without_row: AtomicU64::new(0),
            duplicate_rows: 0,
            lower_index: OnceLock::new(),
            case_only: Mutex::new(Vec::new()),
        };
        for (line, row) in rows {
            let heads: Vec<&str> = row.iter().map(|(h, _)| h.as_str()).collect();
            let get = |f: Field| {
                columns
                    .find(f, &heads)
                    .map(|i| row[i].1.trim())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let Some(call_id) = get(Field::CallId) else {
                continue;
            };
            let started_at = match get(Field::StartedAt) {
                None => None,
                Some(s) => Some(
                    local_dates::parse_start_time(&s, date_order, &shown)
                        .map_err(|m| err(Some(line), m))?,
                ),
            };
            let extra = keep
                .iter()
                .filter_map(|k| {
                    row.iter()
                        .find(|(h, _)| fold_name(h) == fold_name(k))
                        .map(|(h, v)| (h.clone(), v.clone()))
                })
                .collect();
            let record = MetaRecord {
                customer_id: get(Field::CustomerId),
                agent_id: get(Field::AgentId),
                queue: get(Field::Queue),
                channel: get(Field::Channel),
                language: get(Field::Language),
                started_at,
                extra,
            };
            if table.index.contains_key(&call_id) {
                table.duplicate_rows += 1;
                continue;
            }
            table.index.insert(call_id, table.records.len());
            table.records.push(record);
        }
        table.used = (0..table.records.len())
            .map(|_| AtomicBool::new(false))
            .collect();
        Ok(table)
    }

    /// Fills `call` from its row, if there is one, and records whether there was.
    pub fn apply(&self, call: &mut Call) {
        let Some(&i) = self.index.get(call.call_id.as_str()) else {
            call.metadata_matched = Some(false);
            self.calls_without_row.fetch_add(1, Ordering::Relaxed);
            self.note_case_only(&call.call_id);
            return;
        };
        self.used[i].store(true, Ordering::Relaxed);
        let r = &self.records[i];
        call.metadata_matched = Some(true);
        let set = |slot: &mut Option<String>, v: &Option<String>| {
            if v.is_some() {
                slot.clone_from(v);
            }
        };
        set(&mut call.customer_id, &r.customer_id);
        set(&mut call.agent_id, &r.agent_id);
        set(&mut call.queue, &r.queue);
        set(&mut call.channel, &r.channel);
        set(&mut call.language_tag, &r.language);
        if r.started_at.is_some() {
            call.set_start(r.started_at);
        }
        call.extra_metadata.clone_from(&r.extra);
    }

    /// Rows in the table (first row per call_id).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Rows no transcript used so far.
    pub fn rows_without_transcript(&self) -> u64 {
        self.used
            .iter()
            .filter(|u| !u.load(Ordering::Relaxed))
            .count() as u64
    }

    /// Records `call_id` when a row has it in another case (`CALL-001` for `call-001`, a file
    /// name against an export's id): ids are compared as written, as ids that differ in case
    /// may be different calls, but the run's summary names such near misses.
    fn note_case_only(&self, call_id: &str) {
        let lower = self.lower_index.get_or_init(|| {
            self.index
                .keys()
                .map(|id| (id.to_lowercase(), id.clone()))
                .collect()
        });
        if let Some(row_id) = lower.get(&call_id.to_lowercase()) {
            // The first few in order, whichever thread meets them first.
            let mut examples = self.case_only.lock().unwrap_or_else(|e| e.into_inner());
            examples.push((call_id.to_string(), row_id.clone()));
            examples.sort();
            examples.truncate(CASE_EXAMPLES);
        }
    }

    /// Calls without a row whose id a row has in another case: (the call's id, the row's),
    /// the first few.
    pub fn case_only_misses(&self) -> Vec<(String, String)> {
        self.case_only
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Calls that found no row so far.
    pub fn transcripts_without_row(&self) -> u64 {
        self.calls_without_row.load(Ordering::Relaxed)
    }

    /// Rows skipped because their call_id appeared earlier in the file (the first is used).
    pub fn duplicate_rows(&self) -> u64 {
        self.duplicate_rows
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read_csv(text: &str, tab: bool) -> Result<RawRows, (Option<u64>, String)> {
    let body = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(crate::tabular::delimiter(
            crate::tabular::header_line(text),
            tab,
        ))
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut lines = crate::tabular::LineNumbers::new(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| (Some(1), format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            (
                e.position().map(|p| lines.at(p.byte())),
                format!("CSV: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let row = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), record.get(i).unwrap_or("").to_string()))
            .collect();
        rows.push((line, row));
    }
    Ok(rows)
}

fn read_json(text: &str) -> Result<RawRows, (Option<u64>, String)> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let objects: Vec<(u64, serde_json::Value)> = if body.starts_with('[') {
        let v: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| (Some(e.line() as u64), format!("invalid JSON: {e}")))?;
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, v))
            .collect()
    } else {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v = serde_json::from_str(line)
                .map_err(|e| (Some(i as u64 + 1), format!("invalid JSON: {e}")))?;
            out.push((i as u64 + 1, v));
        }
        out
    };
    let mut rows = Vec::with_capacity(objects.len());
    for (line, v) in objects {
        let serde_json::Value::Object(map) = v else {
            return Err((Some(line), "expected a JSON object per row".into()));
        };
        let row = map
            .into_iter()
            .map(|(k, v)| {
                let s = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, s)
            })
            .collect();
        rows.push((line, row));
    }
    Ok(rows)
}

fn read_parquet(path: &Path) -> Result<RawRows, String> {
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let mut rows = Vec::new();
    let mut line = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| format!("reading Parquet: {e}"))?;
        let schema = batch.schema();
        for i in 0..batch.num_rows() {
            line += 1;
            let row = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, col)| {
                    (
                        f.name().clone(),
                        if col.is_null(i) {
                            String::new()
                        } else {
                            cell_string(col.as_ref(), i)
                        },
                    )
                })
                .collect();
            rows.push((line, row));
        }
    }
    Ok(rows)
}

/// A Parquet cell as text: strings as they are, numbers in decimal, timestamps and dates in
/// RFC 3339 (UTC when the column has a zone, else without one), so every column goes through
/// the same parsing as CSV.
fn cell_string(col: &dyn arrow_array::Array, i: usize) -> String {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_schema::{DataType, TimeUnit};
    match col.data_type() {
        DataType::Utf8 => col.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => col.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => col.as_string_view().value(i).to_string(),
        DataType::Boolean => col.as_boolean().value(i).to_string(),
        DataType::Int8 => col.as_primitive::<Int8Type>().value(i).to_string(),
        DataType::Int16 => col.as_primitive::<Int16Type>().value(i).to_string(),
        DataType::Int32 => col.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::UInt8 => col.as_primitive::<UInt8Type>().value(i).to_string(),
        DataType::UInt16 => col.as_primitive::<UInt16Type>().value(i).to_string(),
        DataType::UInt32 => col.as_primitive::<UInt32Type>().value(i).to_string(),
        DataType::UInt64 => col.as_primitive::<UInt64Type>().value(i).to_string(),
        DataType::Float32 => col.as_primitive::<Float32Type>().value(i).to_string(),
        DataType::Float64 => col.as_primitive::<Float64Type>().value(i).to_string(),
        DataType::Timestamp(unit, zone) => {
            let us = match unit {
                TimeUnit::Second => col
                    .as_primitive::<TimestampSecondType>()
                    .value(i)
                    .saturating_mul(1_000_000),
                TimeUnit::Millisecond => col
                    .as_primitive::<TimestampMillisecondType>()
                    .value(i)
                    .saturating_mul(1000),
                TimeUnit::Microsecond => col.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => {
                    col.as_primitive::<TimestampNanosecondType>().value(i) / 1000
                }
            };
            // A timestamp without a zone is wall-clock time: written without one, so that
            // `--timezone` places it like the same value in a CSV file.
            let text = rfc3339_from_us(us);
            match zone {
                Some(_) => text,
                None => text.trim_end_matches('Z').to_string(),
            }
        }
        DataType::Date32 => super::time::utc_date(
            i64::from(col.as_primitive::<Date32Type>().value(i)) * 86_400_000_000,
        ),
        DataType::Date64 => super::time::utc_date(
            col.as_primitive::<Date64Type>()
                .value(i)
                .saturating_mul(1000),
        ),
        DataType::Dictionary(_, _) => {
            let Some(dict) = col.as_any_dictionary_opt() else {
                return String::new();
            };
            let key = dict.normalized_keys().get(i).copied().unwrap_or(0);
            cell_string(dict.values().as_ref(), key)
        }
        _ => String::new(),
    }
}

fn rfc3339_from_us(us: i64) -> String {
    let micros = us.rem_euclid(1_000_000);
    let (h, m, s) = super::time::utc_time_of_day(us);
    format!(
        "{}T{h:02}:{m:02}:{s:02}.{micros:06}Z",
        super::time::utc_date(us)
    )
}

/// Applies `--call-id-from` to `name` (a file name). In a file that holds one call, the
/// `call_id` group (else the first group, else the whole match) becomes the call_id; in any file
/// the other named groups fill their fields. Returns whether the pattern matched.
pub fn apply_file_name_fields(
    call: &mut Call,
    regex: &Regex,
    name: &str,
    single_call: bool,
) -> bool {
    let Some(caps) = regex.captures(name) else {
        return false;
    };
    if single_call {
        let id = caps
            .name("call_id")
            .or_else(|| caps.get(1))
            .or_else(|| caps.get(0))
            .map(|m| m.as_str().trim())
            .filter(|s| !s.is_empty());
        if let Some(id) = id {
            call.call_id = id.to_string();
        }
    }
    let group = |n: &str| {
        caps.name(n)
            .map(|m| m.as_str().trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if let Some(v) = group("customer_id") {
        call.customer_id = Some(v);
    }
    if let Some(v) = group("agent_id") {
        call.agent_id = Some(v);
    }
    if let Some(v) = group("queue") {
        call.queue = Some(v);
    }
    if let Some(v) = group("channel") {
        call.channel = Some(v);
    }
    if let Some(v) = group("language") {
        call.language_tag = Some(v);
    }
    if let Some(us) = group("started_at")
        .or_else(|| group("date"))
        .and_then(|v| parse_timestamp(&v))
    {
        call.set_start(Some(us));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SourceRef, Speaker, Turn};

    fn call() -> Call {
        Call::new(
            "x",
            SourceRef::file("f".into()),
            vec![Turn::new(Speaker::Customer, "hi")],
        )
    }

    #[test]
    fn columns_match_by_alias_ignoring_case_and_separators_and_by_name() {
        let headers = ["ConversationId", "Speaker Role", "Utterance", "StartMs"];
        let map = ColumnMap::default();
        assert_eq!(map.find(Field::CallId, &headers), Some(0));
        assert_eq!(map.find(Field::Speaker, &headers), Some(1));
        assert_eq!(map.find(Field::Text, &headers), Some(2));
        assert_eq!(map.find(Field::Start, &headers), Some(3));
        assert!(is_millis_column(headers[3]));
        let map = ColumnMap::parse(&["text=speaker role".into()]).unwrap();
        assert_eq!(map.find(Field::Text, &headers), Some(1));
        assert!(
            ColumnMap::parse(&["nope=x".into()])
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            ColumnMap::parse(&["call_id".into()])
                .unwrap_err()
                .contains("FIELD=NAME")
        );
    }

    #[test]
    fn timestamps_in_the_forms_metadata_uses() {
        let t = 1_793_610_845_000_000; // 2026-11-02T09:14:05Z
        let (utc, local) = (Some(Stamp::utc(t)), Some(Stamp::local(t)));
        assert_eq!(parse_timestamp("2026-11-02T09:14:05Z"), utc);
        assert_eq!(parse_timestamp("2026-11-02T18:14:05+09:00"), utc);
        assert_eq!(parse_timestamp("20261102T091405Z"), utc);
        assert_eq!(parse_timestamp("1793610845"), utc);
        assert_eq!(parse_timestamp("1793610845000"), utc);
        // Without an offset: wall-clock time, placed later in --timezone.
        assert_eq!(parse_timestamp("2026-11-02 09:14:05"), local);
        assert_eq!(parse_timestamp("2026-11-02T09:14:05"), local);
        assert_eq!(parse_timestamp("20261102T091405"), local);
        assert_eq!(parse_timestamp("20261102_091405"), local);
        assert_eq!(
            parse_timestamp("20261102"),
            Some(Stamp::local(t - (9 * 3600 + 14 * 60 + 5) * 1_000_000))
        );
        assert_eq!(parse_timestamp("last tuesday"), None);
    }

    #[test]
    fn file_names_give_the_call_id_and_named_fields() {
        let re = Regex::new(r"^(?P<date>\d{8})_(?P<call_id>[^_]+)_(?P<agent_id>a\d+)").unwrap();
        let mut c = call();
        assert!(apply_file_name_fields(
            &mut c,
            &re,
            "20261102_c-77_a12.agent.json",
            true
        ));
        assert_eq!(c.call_id, "c-77");
        assert_eq!(c.agent_id.as_deref(), Some("a12"));
        assert_eq!(c.started_at_us, parse_timestamp("2026-11-02").map(|t| t.us));
        assert!(c.started_at_local, "a file name's date names no zone");
        let mut c = call();
        assert!(apply_file_name_fields(
            &mut c,
            &re,
            "20261102_c-77_a12.jsonl",
            false
        ));
        assert_eq!(
            c.call_id, "x",
            "a file of many calls keeps each record's id"
        );
        assert!(!apply_file_name_fields(
            &mut call(),
            &re,
            "other.json",
            true
        ));
    }

    #[test]
    fn a_metadata_csv_joins_and_counts_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.csv");
        std::fs::write(&path, "ContactId,Customer,Queue,Started At,Region\nc1,cust-9,billing,2026-11-02T09:14:05Z,eu\nc2,cust-8,,,us\nc1,dup,,,\n").unwrap();
        let cols = ColumnMap::parse(&["call_id=ContactId".into(), "started_at=Started At".into()])
            .unwrap();
        let table = MetadataTable::load(&path, &cols, &["region".into()], None).unwrap();
        assert_eq!((table.len(), table.duplicate_rows()), (2, 1));
        let mut c = call();
        c.call_id = "c1".into();
        c.queue = Some("from transcript".into());
        table.apply(&mut c);
        assert_eq!(c.customer_id.as_deref(), Some("cust-9"));
        assert_eq!(c.queue.as_deref(), Some("billing"));
        assert_eq!(c.started_at_us, Some(1_793_610_845_000_000));
        assert_eq!(c.extra_metadata, [("Region".to_string(), "eu".to_string())]);
        assert_eq!(c.metadata_matched, Some(true));
        let mut other = call();
        table.apply(&mut other);
        assert_eq!(other.metadata_matched, Some(false));
        assert_eq!(
            (
                table.rows_without_transcript(),
                table.transcripts_without_row()
            ),
            (1, 1)
        );
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "id,x\n1,2\n").unwrap();
        let e = MetadataTable::load(&bad, &ColumnMap::default(), &[], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.csv") && e.contains("--column call_id="),
            "{e}"
        );
        let bad_time = dir.path().join("t.csv");
        std::fs::write(&bad_time, "call_id,started_at\nc1,yesterday\n").unwrap();
        let e = MetadataTable::load(&bad_time, &ColumnMap::default(), &[], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:2") && e.contains("yesterday"), "{e}");
    }

    #[test]
    fn start_times_as_spreadsheet_locales_save_them() {
        let dir = tempfile::tempdir().unwrap();
        let load = |name: &str, text: &str, order: Option<DateOrder>| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            MetadataTable::load(&path, &ColumnMap::default(), &[], order)
        };
        let start = |table: &MetadataTable, id: &str| {
            let mut c = Call::new(id, SourceRef::file("x".into()), Vec::new());
            table.apply(&mut c);
            (c.started_at_us, c.started_at_local)
        };
        let local = |s: &str| (parse_timestamp(s).map(|t| t.us), true);
        // German Excel: dotted, day first, semicolons.
        let de = load(
            "de.csv",
            "call_id;started_at\nk1;02.11.2026 10:00\nk2;2.11.2026 14:05:09\n",
            None,
        )
        .unwrap();
        assert_eq!(start(&de, "k1"), local("2026-11-02 10:00:00"));
        assert_eq!(start(&de, "k2"), local("2026-11-02 14:05:09"));
        // US Excel: month first, settled by the file's own 11/22.
        let us = load(
            "us.csv",
            "call_id,started_at\nu1,11/2/2026 10:00 AM\nu2,11/22/2026 2:05 PM\n",
            None,
        )
        .unwrap();
        assert_eq!(start(&us, "u1"), local("2026-11-02 10:00:00"));
        assert_eq!(start(&us, "u2"), local("2026-11-22 14:05:00"));
        // One night of the UK's: nothing settles it, so the error asks for --date-order.
        let uk = "call_id,started_at\nb1,02/11/2026 10:00\n";
        let e = load("uk.csv", uk, None).unwrap_err().to_string();
        assert!(e.contains("uk.csv:2") && e.contains("--date-order"), "{e}");
        let uk = load("uk.csv", uk, Some(DateOrder::DayFirst)).unwrap();
        assert_eq!(start(&uk, "b1"), local("2026-11-02 10:00:00"));
        // An order the file contradicts, and a column of both orders, are refused.
        let e = load(
            "us2.csv",
            "call_id,started_at\nu1,11/22/2026 10:00\n",
            Some(DateOrder::DayFirst),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("only be read month-first"), "{e}");
        let e = load(
            "mixed.csv",
            "call_id,started_at\nm1,22/11/2026\nm2,11/22/2026\n",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("mixes date orders"), "{e}");
    }
}
