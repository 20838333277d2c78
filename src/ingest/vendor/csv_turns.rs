//! CSV/TSV turn tables: one row per turn, with a header — what teams export from other tools.
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
    let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
    let cols: &ColumnMap = &input.options.columns;
    let col = |f: Field| cols.find(f, &heads);
    let Some(text_col) = col(Field::Text) else {
        let shown: Vec<String> = heads.iter().take(12).map(|h| format!("{h:?}")).collect();
        let why = match cols.named(Field::Text) {
            Some(n) => format!("CSV/TSV header has no column {n:?} (named with --column text=)"),
            None => format!(
                "CSV/TSV header ({}) has no text column: not a turn table (name the column with --column text=NAME)",
                shown.join(", ")
            ),
        };
        return vec![Err(input.reject(RejectReason::UnsupportedFormat(why), None))];
    };
    let id_col = col(Field::CallId);
    if id_col.is_none() && col(Field::Speaker).is_none() && cols.named(Field::CallId).is_none() {
        let shown: Vec<String> = heads.iter().take(12).map(|h| format!("{h:?}")).collect();
        let why = format!(
            "CSV/TSV header ({}) has neither a call_id nor a speaker column: not a turn table (name them with --column call_id=NAME or speaker=NAME)",
            shown.join(", ")
        );
        return vec![Err(input.reject(RejectReason::UnsupportedFormat(why), None))];
    }
    if id_col.is_none()
        && let Some(n) = cols.named(Field::CallId)
    {
        return vec![Err(input.reject(
            RejectReason::UnsupportedFormat(format!(
                "CSV/TSV header has no column {n:?} (named with --column call_id=)"
            )),
            None,
        ))];
    }
    let speaker_col = col(Field::Speaker);
    let start_col = col(Field::Start);
    let end_col = col(Field::End);
    let scale = |c: Option<usize>| {
        if c.is_some_and(|i| is_millis_column(&headers[i])) {
            0.001
        } else {
            1.0
        }
    };
    let (start_scale, end_scale) = (scale(start_col), scale(end_col));
    let turn_col = col(Field::Turn);
    let conf_col = col(Field::Confidence);
    let call_fields = [
        Field::CustomerId,
        Field::AgentId,
        Field::Queue,
        Field::Channel,
        Field::Language,
        Field::StartedAt,
    ];
    let call_cols: Vec<(Field, usize)> = call_fields
        .iter()
        .filter_map(|&f| col(f).map(|i| (f, i)))
        .collect();

    let mut out: Vec<Result<Call, Reject>> = Vec::new();
    let mut calls: Vec<CallRows> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let file_id = input.stem();
    let mut lines = crate::tabular::LineNumbers::new(text.as_bytes());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                out.push(Err(Reject {
                    source: SourceRef::line(input.file.name.clone(), line),
                    call_id: None,
                    reason: RejectReason::InvalidField(format!("CSV: {e}")),
                }));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let id = match id_col {
            Some(_) => cell(id_col).to_string(),
            None => file_id.clone(),
        };
        if id.is_empty() {
            out.push(Err(Reject {
                source: SourceRef::line(input.file.name.clone(), line),
                call_id: None,
                reason: RejectReason::MissingCallId,
            }));
            continue;
        }
        let slot = *index.entry(id.clone()).or_insert_with(|| {
            calls.push(CallRows {
                id: id.clone(),
                line,
                rows: Vec::new(),
                fields: HashMap::new(),
            });
            calls.len() - 1
        });
        let call = &mut calls[slot];
        for &(f, i) in &call_cols {
            let v = cell(Some(i));
            if !v.is_empty() {
                call.fields.entry(f).or_insert_with(|| v.to_string());
            }
        }
        let mut label = cell(speaker_col).to_string();
        if speaker_col.is_none() {
            let channel = cell(col(Field::Channel));
            if !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_digit()) {
                label = super::channel_label(channel);
            }
        }
        call.rows.push(Row {
            line,
            order: cell(turn_col).parse::<f64>().ok().filter(|x| x.is_finite()),
            label,
            text: cell(Some(text_col)).to_string(),
            start: seconds(cell(start_col), start_scale),
            end: seconds(cell(end_col), end_scale),
            confidence: cell(conf_col).parse::<f32>().ok(),
        });
    }
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
        let result = make_call(input, c.id.clone(), builder, "csv_turns").map_err(|mut r| {
            r.source = source.clone();
            r
        });
        out.push(result.and_then(|mut call| {
            call.source = source.clone();
            let get = |f: Field| c.fields.get(&f).cloned();
            call.customer_id = get(Field::CustomerId);
            call.agent_id = get(Field::AgentId);
            call.queue = get(Field::Queue);
            call.channel = get(Field::Channel).filter(|ch| !ch.bytes().all(|b| b.is_ascii_digit()));
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
