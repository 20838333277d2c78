//! Tables of turns: one row per turn, with a header — what teams export from other tools — in
//! CSV/TSV, or in JSON Lines, one object per turn, whose keys are the columns (a warehouse's
//! JSON export). Both are read by the same [`Table`], so they mean the same thing.
//!
//! Columns are found by name ([`Field`] aliases, or `--column FIELD=NAME`): `call_id` and `text`
//! are needed (without a call_id column, a file with a speaker column is one call named after the
//! file; a table with neither is not a turn table, like a list of single messages);
//! `speaker`, `start`, `end`, `turn` (order), `confidence` and the call fields `customer_id`,
//! `agent_id`, `queue`, `channel`, `language`, `started_at` are optional. Times are seconds, or
//! milliseconds when the column name says so (`start_ms`, `BeginOffsetMillis`), or `hh:mm:ss`.
//! A numeric `channel` column is an audio channel (label `ch_N` when there is no speaker column),
//! otherwise it is the contact channel (`voice`, `chat`).
//!
//! Rows of one call need not be adjacent; calls come out in order of their first row, each
//! pointing at that row's line. Turns are ordered by the `turn` column when there is one, else
//! kept in file order. A row without a call_id (when the column exists) is rejected on its own
//! line; the other rows are read.

use std::collections::HashMap;

use super::{Content, Format, Input, Kind, TurnBuilder, extension, make_call};
use crate::ingest::local_dates::{order_of, parse_start_time};
use crate::ingest::metadata::{ColumnMap, Field, is_millis_column};
use crate::ingest::{Reject, RejectReason};
use crate::model::{Call, SourceRef, Speaker};

/// CSV/TSV turn tables.
pub struct CsvTurns;

fn delimiter(text: &str, ext: &str) -> u8 {
    crate::tabular::delimiter(crate::tabular::header_line(text), ext == "tsv")
}

fn header_fields(text: &str, ext: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text, ext))
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .headers()
        .map(|h| h.iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

impl Format for CsvTurns {
    fn name(&self) -> &'static str {
        "csv_turns"
    }
    fn title(&self) -> &'static str {
        "CSV/TSV table of turns (one row per turn, with a header)"
    }
    fn detection(&self) -> &'static str {
        ".csv/.tsv files, or text whose first line names a call_id and a text column"
    }
    fn fields(&self) -> &'static str {
        "call_id, speaker, start, end, text, turn, confidence, customer_id, agent_id, queue, channel, language, started_at \
         (names matched ignoring case and separators; --column FIELD=NAME to rename)"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn detect(&self, content: Content<'_>, input: &Input<'_>) -> bool {
        let Content::Text(t) = content else {
            return false;
        };
        let ext = extension(input);
        if matches!(ext.as_str(), "csv" | "tsv") {
            return true;
        }
        let first = t.lines().next().unwrap_or("");
        if !first.contains([',', '\t']) {
            return false;
        }
        let headers = header_fields(t, &ext);
        let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
        let cols = &input.options.columns;
        cols.find(Field::CallId, &heads).is_some() && cols.find(Field::Text, &heads).is_some()
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Text(t) = content else {
            return Vec::new();
        };
        parse(t.trim_start_matches('\u{feff}'), input)
    }
}

/// JSON Lines tables of turns, one object per line: what a warehouse's JSON export of a turns
/// table writes.
pub struct JsonTurns;

impl Format for JsonTurns {
    fn name(&self) -> &'static str {
        "json_turns"
    }
    fn title(&self) -> &'static str {
        "JSON Lines table of turns (one object per turn)"
    }
    fn detection(&self) -> &'static str {
        ".jsonl/.ndjson files whose first line is one turn (a text and a call_id or speaker, no turns list); read whole"
    }
    fn fields(&self) -> &'static str {
        "the keys as a CSV turn table's columns: call_id, speaker, start, end, text, turn, confidence, customer_id, agent_id, queue, channel, language, started_at"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn detect(&self, content: Content<'_>, input: &Input<'_>) -> bool {
        let Content::Text(t) = content else {
            return false;
        };
        matches!(extension(input).as_str(), "jsonl" | "ndjson")
            && crate::ingest::canonical::starts_as_turn_table(t.as_bytes())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Text(t) = content else {
            return Vec::new();
        };
        parse_json_lines(t, input)
    }
}

struct Row {
    line: u64,
    order: Option<f64>,
    label: String,
    text: String,
    start: Option<f64>,
    end: Option<f64>,
    confidence: Option<f32>,
}

struct CallRows {
    id: String,
    line: u64,
    rows: Vec<Row>,
    fields: HashMap<Field, String>,
}

/// Seconds from a cell: a number (scaled by `scale`), or `hh:mm:ss[.fff]` / `mm:ss`.
fn seconds(cell: &str, scale: f64) -> Option<f64> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    if let Ok(x) = cell.parse::<f64>() {
        return (x.is_finite() && x >= 0.0).then_some(x * scale);
    }
    let parts: Vec<&str> = cell.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    parts.iter().try_fold(0.0, |acc, p| {
        p.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| acc * 60.0 + v)
    })
}

fn parse(text: &str, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
    let ext = extension(input);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text, &ext))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            return vec![Err(input.reject(
                RejectReason::InvalidField(format!("CSV header: {e}")),
                None,
            ))];
        }
    };
    let columns = match Columns::find(&headers, input, "CSV/TSV header") {
        Ok(columns) => columns,
        Err(reason) => return vec![Err(input.reject(reason, None))],
    };
    let mut table = Table::new(input, CsvTurns.name(), columns);
    let mut lines = crate::tabular::LineNumbers::new(text.as_bytes());
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.at(p.byte()));
                table.row(line, |i| i.and_then(|i| record.get(i)).unwrap_or(""));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                table.reject(line, RejectReason::InvalidField(format!("CSV: {e}")));
            }
        }
    }
    table.finish()
}

/// Reads a JSON Lines table of turns, one object per line (`{"call_id": …, "speaker": …,
/// "text": …}`), as a warehouse exports a turns table: its keys are the columns, as a CSV
/// header's names are, and a line that is not a JSON object is a reject of its own.
fn parse_json_lines(text: &str, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
    type Object = serde_json::Map<String, serde_json::Value>;
    let text = text.trim_start_matches('\u{feff}');
    let mut records: Vec<(u64, Result<Object, String>)> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<Object>(line).map_err(|e| e.to_string());
        if let Ok(object) = &record {
            for key in object.keys() {
                if !headers.contains(key) {
                    headers.push(key.clone());
                }
            }
        }
        records.push((i as u64 + 1, record));
    }
    let columns = match Columns::find(&headers, input, "JSON Lines keys") {
        Ok(columns) => columns,
        Err(reason) => return vec![Err(input.reject(reason, None))],
    };
    let mut table = Table::new(input, JsonTurns.name(), columns);
    for (line, record) in records {
        match record {
            Ok(object) => {
                let cells: Vec<String> = headers
                    .iter()
                    .map(|h| match object.get(h) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                            v.to_string()
                        }
                        _ => String::new(),
                    })
                    .collect();
                table.row(line, |i| {
                    i.and_then(|i| cells.get(i)).map_or("", String::as_str)
                });
            }
            Err(e) => table.reject(line, RejectReason::InvalidJson(e)),
        }
    }
    table.finish()
}

/// A turn table's columns, found by name in its CSV header or its JSON keys.
struct Columns {
    text: usize,
    id: Option<usize>,
    speaker: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    /// 0.001 for a column of milliseconds, else 1.
    start_scale: f64,
    end_scale: f64,
    turn: Option<usize>,
    confidence: Option<usize>,
    channel: Option<usize>,
    /// The call's own fields (customer_id, started_at…), the first value of each call wins.
    call: Vec<(Field, usize)>,
}

impl Columns {
    /// `what` names where the names were found, for messages ("CSV/TSV header").
    fn find(headers: &[String], input: &Input<'_>, what: &str) -> Result<Columns, RejectReason> {
        let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
        let cols: &ColumnMap = &input.options.columns;
        let col = |f: Field| cols.find(f, &heads);
        let shown = || {
            let shown: Vec<String> = heads.iter().take(12).map(|h| format!("{h:?}")).collect();
            shown.join(", ")
        };
        let Some(text) = col(Field::Text) else {
            return Err(RejectReason::UnsupportedFormat(
                match cols.named(Field::Text) {
                    Some(n) => format!("{what} has no column {n:?} (named with --column text=)"),
                    None => format!(
                        "{what} ({}) has no text column: not a turn table (name the column with --column text=NAME)",
                        shown()
                    ),
                },
            ));
        };
        let id = col(Field::CallId);
        if id.is_none() && col(Field::Speaker).is_none() && cols.named(Field::CallId).is_none() {
            return Err(RejectReason::UnsupportedFormat(format!(
                "{what} ({}) has neither a call_id nor a speaker column: not a turn table (name them with --column call_id=NAME or speaker=NAME)",
                shown()
            )));
        }
        if id.is_none()
            && let Some(n) = cols.named(Field::CallId)
        {
            return Err(RejectReason::UnsupportedFormat(format!(
                "{what} has no column {n:?} (named with --column call_id=)"
            )));
        }
        let scale = |c: Option<usize>| {
            if c.is_some_and(|i| is_millis_column(&headers[i])) {
                0.001
            } else {
                1.0
            }
        };
        let (start, end) = (col(Field::Start), col(Field::End));
        Ok(Columns {
            text,
            id,
            speaker: col(Field::Speaker),
            start,
            end,
            start_scale: scale(start),
            end_scale: scale(end),
            turn: col(Field::Turn),
            confidence: col(Field::Confidence),
            channel: col(Field::Channel),
            call: [
                Field::CustomerId,
                Field::AgentId,
                Field::Queue,
                Field::Channel,
                Field::Language,
                Field::StartedAt,
            ]
            .iter()
            .filter_map(|&f| col(f).map(|i| (f, i)))
            .collect(),
        })
    }
}

/// Rows of a turn table grouped into calls, in order of each call's first row.
struct Table<'i, 'a> {
    input: &'i Input<'a>,
    /// The `format` column's value: `csv_turns` or `json_turns`.
    format: &'static str,
    columns: Columns,
    calls: Vec<CallRows>,
    index: HashMap<String, usize>,
    /// Rejects of single rows, where they occurred.
    out: Vec<Result<Call, Reject>>,
    /// The call_id of every row when the table has no call_id column.
    file_id: String,
}

impl<'i, 'a> Table<'i, 'a> {
    fn new(input: &'i Input<'a>, format: &'static str, columns: Columns) -> Table<'i, 'a> {
        Table {
            input,
            format,
            columns,
            calls: Vec::new(),
            index: HashMap::new(),
            out: Vec::new(),
            file_id: input.stem(),
        }
    }

    /// A row that could not be read.
    fn reject(&mut self, line: u64, reason: RejectReason) {
        self.out.push(Err(Reject {
            source: SourceRef::line(self.input.file.name.clone(), line),
            call_id: None,
            reason,
        }));
    }

    /// Adds the row on `line`, whose cells `cell` gives by column.
    fn row<'r>(&mut self, line: u64, cell: impl Fn(Option<usize>) -> &'r str) {
        let cell = |i: Option<usize>| cell(i).trim();
        let c = &self.columns;
        let id = match c.id {
            Some(_) => cell(c.id).to_string(),
            None => self.file_id.clone(),
        };
        if id.is_empty() {
            self.reject(line, RejectReason::MissingCallId);
            return;
        }
        let calls = &mut self.calls;
        let slot = *self.index.entry(id.clone()).or_insert_with(|| {
            calls.push(CallRows {
                id,
                line,
                rows: Vec::new(),
                fields: HashMap::new(),
            });
            calls.len() - 1
        });
        let call = &mut self.calls[slot];
        for &(f, i) in &c.call {
            let v = cell(Some(i));
            if !v.is_empty() {
                call.fields.entry(f).or_insert_with(|| v.to_string());
            }
        }
        let mut label = cell(c.speaker).to_string();
        if c.speaker.is_none() {
            let channel = cell(c.channel);
            if !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_digit()) {
                label = super::channel_label(channel);
            }
        }
        call.rows.push(Row {
            line,
            order: cell(c.turn).parse::<f64>().ok().filter(|x| x.is_finite()),
            label,
            text: cell(Some(c.text)).to_string(),
            start: seconds(cell(c.start), c.start_scale),
            end: seconds(cell(c.end), c.end_scale),
            confidence: cell(c.confidence).parse::<f32>().ok(),
        });
    }

    /// The calls, and the rows' rejects, in order of their lines.
    fn finish(self) -> Vec<Result<Call, Reject>> {
        let Table {
            input,
            format,
            columns,
            calls,
            mut out,
            ..
        } = self;
        let turn_col = columns.turn;
        // Slashed start dates (`11/2/2026`, a spreadsheet's) read in the order the file's own dates
        // settle, else `--date-order`; a file of both orders leaves each date to say for itself.
        let date_order = order_of(
            calls
                .iter()
                .filter_map(|c| c.fields.get(&Field::StartedAt))
                .map(String::as_str),
        )
        .ok()
        .flatten()
        .or(input.options.date_order);
        for mut c in calls {
            let source = SourceRef::line(input.file.name.clone(), c.line);
            if turn_col.is_some() {
                c.rows.sort_by(|a, b| {
                    a.order
                        .unwrap_or(f64::INFINITY)
                        .total_cmp(&b.order.unwrap_or(f64::INFINITY))
                        .then(a.line.cmp(&b.line))
                });
            }
            let mut builder = TurnBuilder::new();
            for r in &c.rows {
                let lower = r.label.to_lowercase();
                let speaker = input
                    .options
                    .speaker_labels
                    .iter()
                    .find(|l| l.label == lower)
                    .map_or_else(|| Speaker::from_label(&r.label), |l| l.speaker);
                builder.segment(&r.label, speaker, &r.text, r.start, r.end, r.confidence);
            }
            let result = make_call(input, c.id.clone(), builder, format).map_err(|mut r| {
                r.source = source.clone();
                r
            });
            out.push(result.and_then(|mut call| {
                call.source = source.clone();
                let get = |f: Field| c.fields.get(&f).cloned();
                call.customer_id = get(Field::CustomerId);
                call.agent_id = get(Field::AgentId);
                call.queue = get(Field::Queue);
                call.channel =
                    get(Field::Channel).filter(|ch| !ch.bytes().all(|b| b.is_ascii_digit()));
                call.language_tag = get(Field::Language);
                if let Some(s) = get(Field::StartedAt) {
                    match parse_start_time(&s, date_order, &input.file.name) {
                        Ok(stamp) => call.set_start(Some(stamp)),
                        Err(message) => {
                            return Err(Reject {
                                source: source.clone(),
                                call_id: Some(c.id.clone()),
                                reason: RejectReason::InvalidField(message),
                            });
                        }
                    }
                }
                Ok(call)
            }));
        }
        // Calls come out in order of their first row; row rejects sit where they occurred.
        out.sort_by_key(|r| match r {
            Ok(c) => c.source.line,
            Err(r) => r.source.line,
        });
        out
    }
}
