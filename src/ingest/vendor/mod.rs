//! Speech-to-text engines' own output formats (issue #6): one module per vendor behind the
//! [`Format`] trait, detected by content. This module is the dispatch point the rest of ingest
//! calls ([`parse_file`]) and the catalogue `fcrscan formats` prints ([`catalogue`]).
//!
//! Detection, in order:
//! 1. `--format NAME` forces one format for every file.
//! 2. A file whose text starts with `{`, `[` or `"` is JSON: it is parsed once (a syntax error is
//!    a reject naming the line and column, with a hint for comments, elided `...` parts and stray
//!    brackets), then offered to each JSON format's `detect` in the order of [`FORMATS`], most
//!    specific first (Contact Lens before Call Analytics, whisperX before Whisper). Valid JSON
//!    that no format claims is a reject that names its top-level keys.
//!    A JSON Lines table of turns (`.jsonl` whose first line is one turn, sent here whole by
//!    the reader) is read before, as its lines are many JSON values.
//! 3. Otherwise the text formats are tried: WebVTT (a `WEBVTT` header), SRT (a `-->` timing line
//!    after a cue number), CSV/TSV turn tables (`.csv`/`.tsv`, or a header naming a text column).
//!
//! Every format produces [`Call`]s through [`TurnBuilder`], so the turn invariants (no blank
//! turns, word spans that spell the word, times filled from words) hold for all of them. Vendor
//! parsing may allocate freely: it is not the canonical JSON hot path.
//!
//! Units: every time becomes seconds from the start of the call (`f64`), whatever the engine
//! wrote (decimal strings, integer milliseconds, 100-ns ticks, `"1.3s"`, `{seconds, nanos}`,
//! `PT1.3S`). docs/FORMATS.md lists, per format, which field becomes what.

mod assemblyai;
mod aws_analytics;
mod aws_pca;
mod aws_transcribe;
mod azure;
pub mod channels;
mod csv_turns;
mod deepgram;
mod google;
mod gridspace;
mod revai;
mod subtitles;
mod turns;
mod whisper;

use serde_json::Value;

pub use turns::{TurnBuilder, UNLABELLED_TURN_PAUSE_S};

use super::{IngestOptions, InputFile, Reject, RejectReason, file_stem_id, record_extension};
use crate::lexicon::Lang;
use crate::model::{Call, RoleSource, SourceRef, Speaker};

/// What a format is offered: the parsed JSON value, or the file's text.
#[derive(Clone, Copy, Debug)]
pub enum Content<'a> {
    /// The whole file parsed as JSON.
    Json(&'a Value),
    /// The file's text (UTF-8, decompressed).
    Text(&'a str),
}

/// Whether a format reads JSON or text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The file is one JSON value.
    Json,
    /// The file is text with its own syntax (subtitles, CSV).
    Text,
}

/// The file being read and the options that apply to it.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The file.
    pub file: &'a InputFile,
    /// What ingest was configured with.
    pub options: &'a IngestOptions,
}

impl Input<'_> {
    /// A reference to the whole file.
    pub fn source(&self) -> SourceRef {
        SourceRef::file(self.file.name.clone())
    }

    /// The file name without directory and extensions: the call_id of single-call files.
    pub fn stem(&self) -> String {
        file_stem_id(&self.file.path)
    }

    /// A reject of the whole file.
    pub fn reject(&self, reason: RejectReason, call_id: Option<String>) -> Reject {
        Reject {
            source: self.source(),
            call_id,
            reason,
        }
    }
}

/// One speech-to-text output format.
pub trait Format: Sync {
    /// The stable name: the value of the `format` column and of `--format`.
    fn name(&self) -> &'static str;
    /// What it is, for people (`Amazon Transcribe batch JSON`).
    fn title(&self) -> &'static str;
    /// How it is recognised by content.
    fn detection(&self) -> &'static str;
    /// The fields fcrscan reads and what they become.
    fn fields(&self) -> &'static str;
    /// JSON or text.
    fn kind(&self) -> Kind;
    /// Whether `content` is in this format.
    fn detect(&self, content: Content<'_>, input: &Input<'_>) -> bool;
    /// Reads the calls in `content` (most formats hold one call per file).
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>>;
}

/// Every vendor format, in detection order (most specific first).
pub static FORMATS: &[&dyn Format] = &[
    &aws_analytics::ContactLens,
    &aws_analytics::CallAnalytics,
    &aws_pca::PostCallAnalytics,
    &aws_transcribe::Transcribe,
    &whisper::WhisperX,
    &whisper::Whisper,
    &google::GoogleStt,
    &azure::AzureBatch,
    &deepgram::Deepgram,
    &assemblyai::AssemblyAi,
    &revai::RevAi,
    &gridspace::Gridspace,
    &subtitles::WebVtt,
    &subtitles::Srt,
    &csv_turns::CsvTurns,
    &csv_turns::JsonTurns,
];

/// A format as `fcrscan formats` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatInfo {
    /// The `format` column value and `--format` name.
    pub name: &'static str,
    /// What it is.
    pub title: &'static str,
    /// How it is recognised.
    pub detection: &'static str,
    /// Fields used.
    pub fields: &'static str,
}

/// Every input format fcrscan reads, the built-in ones first.
pub fn catalogue() -> Vec<FormatInfo> {
    let mut all = vec![
        FormatInfo {
            name: "canonical_json",
            title: "fcrscan canonical JSON / JSON Lines",
            detection: ".jsonl/.ndjson files (one call per line); .json files with \"call_id\" and \"turns\" keys",
            fields: "call_id, customer_id, agent_id, queue, channel, language, started_at (RFC 3339, a date or epoch seconds; a time without an offset is read in --timezone), duration_s, turns[]{speaker (a label or a number) or role, start_s (or from timestamp/created_at), end_s, text or content}",
        },
        FormatInfo {
            name: "text",
            title: "Plain-text transcript",
            detection: ".txt files that are not JSON or subtitles and have `Label: text` lines",
            fields: "one turn per `Label: text` line, optional [mm:ss] time; labels from speaker_labels.txt; call_id = file name",
        },
    ];
    all.extend(FORMATS.iter().map(|f| FormatInfo {
        name: f.name(),
        title: f.title(),
        detection: f.detection(),
        fields: f.fields(),
    }));
    all
}

/// The internal name for a `--format` value (`canonical_json` and `canonical` both mean the
/// canonical reader), or `None` for an unknown name.
pub fn resolve_format_name(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "canonical" | "canonical_json" | "json" | "jsonl" => Some("canonical"),
        "text" | "txt" => Some("text"),
        "vtt" => Some("webvtt"),
        "csv" | "tsv" => Some("csv_turns"),
        other => FORMATS.iter().map(|f| f.name()).find(|n| *n == other),
    }
}

/// Whether `text` looks like JSON or subtitles rather than a `Label: text` transcript (so a
/// `.txt` file holding vendor JSON is read as JSON). A `[` opens JSON only when an object, a
/// string or an array follows it: a transcript's first line may start with its time,
/// `[00:01] Agent: …`.
pub fn looks_structured(text: &str) -> bool {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let json_array = body
        .strip_prefix('[')
        .is_some_and(|rest| rest.trim_start().starts_with(['{', '[', '"', ']']));
    body.starts_with(['{', '"'])
        || json_array
        || subtitles::looks_like_webvtt(body)
        || subtitles::looks_like_srt(body)
}

/// Parses a whole file in a vendor format, or returns `None` when no vendor format recognises it.
pub fn parse_file(
    file: &InputFile,
    text: &str,
    options: &IngestOptions,
) -> Option<Vec<Result<Call, Reject>>> {
    let input = Input { file, options };
    if let Some(forced) = options.forced_format.as_deref() {
        let name = resolve_format_name(forced)?;
        let format = FORMATS.iter().find(|f| f.name() == name)?;
        return Some(match format.kind() {
            Kind::Json => match parse_json(text) {
                Ok(value) => format.parse(Content::Json(&value), &input),
                Err(reason) => vec![Err(input.reject(reason, None))],
            },
            Kind::Text => format.parse(Content::Text(text), &input),
        });
    }
    // Many JSON documents, one per line: not one value to parse.
    if csv_turns::JsonTurns.detect(Content::Text(text), &input) {
        return Some(csv_turns::JsonTurns.parse(Content::Text(text), &input));
    }
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with(['{', '[', '"']) {
        let value = match parse_json(text) {
            Ok(v) => v,
            Err(reason) => return Some(vec![Err(input.reject(reason, None))]),
        };
        for format in FORMATS.iter().filter(|f| f.kind() == Kind::Json) {
            if format.detect(Content::Json(&value), &input) {
                return Some(format.parse(Content::Json(&value), &input));
            }
        }
        return Some(vec![Err(input.reject(
            RejectReason::UnsupportedFormat(not_a_transcript(&value)),
            None,
        ))]);
    }
    for format in FORMATS.iter().filter(|f| f.kind() == Kind::Text) {
        if format.detect(Content::Text(text), &input) {
            return Some(format.parse(Content::Text(text), &input));
        }
    }
    None
}

/// Parses JSON, explaining errors the way people fix them: where, and the usual cause in
/// documentation examples (comments, `...` elisions, a stray closing bracket).
pub fn parse_json(text: &str) -> Result<Value, RejectReason> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(body).map_err(|e| {
        let line = body.lines().nth(e.line().saturating_sub(1)).unwrap_or("").trim();
        let hint = if line.starts_with("//") || line.contains(" // ") || line.starts_with("/*") || has_comment(body) {
            " (JSON does not allow comments; strip them or export the file again)"
        } else if line.contains("...") || line.starts_with("Items removed") {
            " (the file has elided parts such as `...`; it is an excerpt, not a complete transcript)"
        } else if body.trim_start().starts_with('"') {
            " (a JSON fragment starting with a quoted key, not a whole document)"
        } else if e.to_string().starts_with("control character") {
            " (a raw line break or tab inside a string: JSON strings must escape it)"
        } else if e.to_string().starts_with("trailing characters") {
            " (extra text after the end of the JSON value: a stray bracket or a second document)"
        } else if e.is_eof() {
            " (the file ends early: truncated?)"
        } else {
            ""
        };
        if e.is_data() { RejectReason::InvalidField(format!("{e}{hint}")) } else { RejectReason::InvalidJson(format!("{e}{hint}")) }
    })
}

/// Whether a line of `text` starts with a `//` comment (outside any string, by a cheap test:
/// a comment line has nothing before the slashes).
fn has_comment(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("//"))
}

/// Says what valid JSON that no format claims looks like, and names the near misses.
fn not_a_transcript(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            if map.contains_key("TranscriptResultStream")
                || map
                    .get("Transcript")
                    .is_some_and(|t| t.get("Results").is_some())
            {
                return "Amazon Transcribe streaming event: partial results of a live stream, not a whole-call transcript".into();
            }
            if map.contains_key("successfulTranscriptionsCount") {
                return "Azure batch transcription report (a job summary), not a transcript: read the contenturl_*.json result files".into();
            }
            let mut keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
            keys.sort_unstable();
            let more = if map.len() > keys.len() { ", …" } else { "" };
            format!(
                "JSON, but not a transcript format fcrscan reads (top-level keys: {}{more}; see `fcrscan formats`)",
                keys.join(", ")
            )
        }
        Value::Array(items) => {
            let first: Vec<&str> = items
                .first()
                .and_then(Value::as_object)
                .map(|o| o.keys().map(String::as_str).take(8).collect())
                .unwrap_or_default();
            format!(
                "JSON array of {} item(s), not a transcript format fcrscan reads (first item keys: {}; see `fcrscan formats`)",
                items.len(),
                if first.is_empty() {
                    "none".to_string()
                } else {
                    first.join(", ")
                }
            )
        }
        _ => "JSON, but not an object or array: not a transcript".into(),
    }
}

/// Turns a builder into a call: rejects a call without text, records the format, and decides
/// the initial role source (given when any turn has a role, else unknown until resolved).
pub fn make_call(
    input: &Input<'_>,
    call_id: String,
    builder: TurnBuilder,
    format: &'static str,
) -> Result<Call, Reject> {
    let (turns, words) = builder.finish();
    if turns.is_empty() {
        return Err(input.reject(RejectReason::EmptyTurns, Some(call_id)));
    }
    let mut call = Call::new(call_id, input.source(), turns);
    call.format = format;
    call.words = words;
    if !call.turns.iter().any(|t| t.speaker != Speaker::Unknown) {
        call.role_source = RoleSource::Unknown;
        call.role_confidence = 0.0;
    }
    Ok(call)
}

/// A number written as a JSON number or a numeric string (`"4.87"`), finite.
pub fn num(v: Option<&Value>) -> Option<f64> {
    let x = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// Milliseconds (number or numeric string) as seconds.
pub fn ms(v: Option<&Value>) -> Option<f64> {
    num(v).map(|x| x / 1000.0)
}

/// A string value, trimmed; `None` for other types and blank strings.
pub fn text(v: Option<&Value>) -> Option<&str> {
    v?.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// An identifier written as a string or an integer.
pub fn id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An array, or an empty slice.
pub fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A confidence in [0, 1] from a number or numeric string.
pub fn confidence(v: Option<&Value>) -> Option<f32> {
    num(v).map(|c| c as f32)
}

/// Google's two time encodings: `"1.300s"` and `{"seconds": "1", "nanos": 300000000}` (either
/// part may be missing); plain numbers are taken as seconds.
pub fn google_seconds(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::String(s) => s
            .trim()
            .strip_suffix('s')
            .unwrap_or(s.trim())
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite()),
        Value::Object(o) => {
            let secs = num(o.get("seconds")).unwrap_or(0.0);
            let nanos = num(o.get("nanos")).unwrap_or(0.0);
            Some(secs + nanos / 1e9)
        }
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// An ISO 8601 duration as Azure writes offsets (`PT1.32S`, `PT1M2.5S`, `PT1H`), in seconds.
pub fn iso8601_duration_s(s: &str) -> Option<f64> {
    let rest = s.trim().strip_prefix("PT")?;
    let mut total = 0.0;
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = number.parse().ok()?;
                total += v * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                number.clear();
            }
            _ => return None,
        }
    }
    number.is_empty().then_some(total)
}

/// The label of audio channel `n` as every format writes it (`ch_0`), so one `--agent-channel`
/// value works for all engines.
pub fn channel_label(n: impl std::fmt::Display) -> String {
    format!("ch_{n}")
}

/// The label of diarized speaker `n` for engines that number speakers (`spk_0`).
pub fn speaker_label(n: impl std::fmt::Display) -> String {
    format!("spk_{n}")
}

/// The language tag a record gives, with engine-style names (`english`) turned into the
/// lexicon code, and blank values dropped.
pub fn language_tag(v: Option<&str>) -> Option<String> {
    let tag = v?.trim();
    if tag.is_empty() {
        return None;
    }
    if Lang::from_bcp47(tag).is_none()
        && let Some(lang) = Lang::from_name(tag)
    {
        return Some(lang.code().to_string());
    }
    Some(tag.to_string())
}

/// The record extension of the input, lower case (`csv` for `calls.csv.gz`).
pub fn extension(input: &Input<'_>) -> String {
    record_extension(&input.file.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_text_transcript_is_not_taken_for_json() {
        for text in [
            "[00:01] Agent: Hello\r\n[00:05] Customer: hi",
            "[SPEAKER_00]: hello",
            "Agent: [laughs] hello",
        ] {
            assert!(!looks_structured(text), "{text:?}");
        }
        for text in [
            "{\"results\": {}}",
            "\u{feff}[{\"speaker\": \"A\"}]",
            "[\n  {\"start\": 1}\n]",
            "[]",
            "WEBVTT\n\n00:00.000 --> 00:01.000\nhello",
        ] {
            assert!(looks_structured(text), "{text:?}");
        }
    }

    #[test]
    fn json_errors_name_the_position_and_the_usual_cause() {
        let cases = [
            (
                "{\n  \"a\": 1, // note\n  \"b\": 2\n}",
                "line 2",
                "comments",
            ),
            ("{\n  \"a\": [\n    ...\n  ]\n}", "line 3", "elided"),
            ("{\"a\": 1}\n}", "line 2", "stray bracket"),
            ("{\"a\": [1, 2", "line 1", "truncated"),
        ];
        for (text, at, hint) in cases {
            let reason = parse_json(text).unwrap_err();
            let shown = reason.to_string();
            assert_eq!(reason.code(), "invalid_json", "{shown}");
            assert!(shown.contains(at) && shown.contains(hint), "{shown}");
        }
    }

    #[test]
    fn times_in_every_encoding() {
        let v: Value = serde_json::json!({"a": "1.300s", "b": {"seconds": "12", "nanos": 900000000}, "c": {"nanos": 5}, "d": "4.87", "e": 1500});
        assert_eq!(google_seconds(v.get("a")), Some(1.3));
        assert_eq!(google_seconds(v.get("b")), Some(12.9));
        assert_eq!(google_seconds(v.get("c")), Some(5e-9));
        assert_eq!(num(v.get("d")), Some(4.87));
        assert_eq!(ms(v.get("e")), Some(1.5));
        assert_eq!(iso8601_duration_s("PT0.76S"), Some(0.76));
        assert_eq!(iso8601_duration_s("PT1M2.5S"), Some(62.5));
        assert_eq!(iso8601_duration_s("P1D"), None);
    }

    #[test]
    fn format_names_resolve_and_unknown_ones_do_not() {
        assert_eq!(resolve_format_name("canonical_json"), Some("canonical"));
        assert_eq!(
            resolve_format_name("AWS_Transcribe"),
            Some("aws_transcribe")
        );
        assert_eq!(resolve_format_name("vtt"), Some("webvtt"));
        assert_eq!(resolve_format_name("mp3"), None);
        let names: Vec<&str> = catalogue().iter().map(|f| f.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "format names are unique");
    }

    #[test]
    fn engine_language_names_become_codes() {
        assert_eq!(language_tag(Some("english")).as_deref(), Some("en"));
        assert_eq!(language_tag(Some("pt-BR")).as_deref(), Some("pt-BR"));
        assert_eq!(language_tag(Some("polish")).as_deref(), Some("polish"));
        assert_eq!(language_tag(Some(" ")), None);
    }
}
