//! fcrscan's canonical JSON: one call per JSON Lines record, or one per `.json` file.
//!
//! `{"call_id", "customer_id"?, "agent_id"?, "queue"?, "channel"?, "language"?, "started_at"?,
//! "duration_s"?, "turns": [{"speaker", "start_s"?, "end_s"?, "text"}]}`, with `role` read for a
//! turn without `speaker` and `content` for one without `text`; unknown fields are ignored. `started_at` is read as metadata files' start times are (RFC 3339, a date, or epoch
//! seconds or milliseconds, as a string or a number). Parsing borrows from the input buffer (`Cow`), so text without JSON escapes is copied
//! once, into the [`Call`]. Records in the usual shape are read by a reader of their own
//! (`fast.rs`); serde_json reads the rest and words the errors.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

mod fast;

use super::InputFile;
use super::metadata::Field;
use super::reject::{Reject, RejectReason};
use super::time::{Stamp, parse_timestamp};
use crate::model::{Call, SourceRef, Speaker, Turn};

/// A record's fields as read, before they are checked. Both readers produce it: [`fast::read`]
/// for the usual shape, serde_json for everything else.
#[derive(Debug, Default, PartialEq, Deserialize)]
struct RawCall<'a> {
    #[serde(default, borrow, deserialize_with = "id_string")]
    call_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "id_string")]
    customer_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "id_string")]
    agent_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    queue: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    channel: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    language: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "time_string")]
    started_at: Option<Cow<'a, str>>,
    #[serde(default)]
    duration_s: Option<f64>,
    #[serde(default, borrow)]
    turns: Option<Vec<RawTurn<'a>>>,
}

/// A turn's fields as read. Keys that stand in for one another (`text` or `content`,
/// `timestamp` or `created_at`) share a field, so that the struct stays within 128 bytes:
/// larger, each turn's moves became `memcpy` calls (measured: 1% more instructions for the
/// whole scan).
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(from = "SerdeTurn<'a>", bound(deserialize = "'de: 'a"))]
struct RawTurn<'a> {
    speaker: Option<Cow<'a, str>>,
    start_s: Option<f64>,
    end_s: Option<f64>,
    /// `text`, else `content` (chat logs often say `content`).
    text: Option<Cow<'a, str>>,
    /// The role when `speaker` is absent or names none (`"speaker": "spk_0", "role": "agent"`):
    /// exports and chat logs often say `role`.
    role: Option<Cow<'a, str>>,
    /// When the turn (a chat message) was sent, as chat exports write it (`timestamp`, else
    /// `created_at`): a timestamp or epoch seconds. Gives `start_s` from the call's start, and
    /// the start itself when the record has none.
    sent_at: Option<Cow<'a, str>>,
}

/// [`RawTurn`] with each key in a field of its own, as serde_json reads it.
#[derive(Deserialize)]
struct SerdeTurn<'a> {
    /// A label, or a diarizer's speaker number (`"speaker": 0`).
    #[serde(default, borrow, deserialize_with = "id_string")]
    speaker: Option<Cow<'a, str>>,
    #[serde(default)]
    start_s: Option<f64>,
    #[serde(default)]
    end_s: Option<f64>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    role: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrowed_str")]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "time_string")]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "time_string")]
    created_at: Option<Cow<'a, str>>,
}

impl<'a> From<SerdeTurn<'a>> for RawTurn<'a> {
    fn from(t: SerdeTurn<'a>) -> RawTurn<'a> {
        RawTurn {
            speaker: t.speaker,
            start_s: t.start_s,
            end_s: t.end_s,
            text: t.text.or(t.content),
            role: t.role,
            sent_at: t.timestamp.or(t.created_at),
        }
    }
}

/// Whether `bytes` looks like a canonical call object (has `"turns"` and `"call_id"` keys), for
/// format detection of `.json` files.
pub fn looks_canonical(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1 << 20)];
    contains(head, b"\"turns\"") && contains(head, b"\"call_id\"")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Parses one canonical record. On failure returns the reason and the call_id when readable.
pub fn parse_call(bytes: &[u8], source: SourceRef) -> Result<Call, (RejectReason, Option<String>)> {
    // Validating the whole record once with SIMD lets serde skip per-string validation.
    let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
        let byte = super::reject::first_invalid_utf8(bytes).map(|(_, byte)| byte);
        return Err((RejectReason::InvalidUtf8(byte), None));
    };
    parse_call_text(text, source)
}

/// [`parse_call`] for a record already known to be UTF-8 (a whole file, validated once).
pub fn parse_call_text(
    text: &str,
    source: SourceRef,
) -> Result<Call, (RejectReason, Option<String>)> {
    // A byte order mark, which JSON does not allow, but which Windows tools (PowerShell 5's
    // `Out-File`, .NET, Excel's "UTF-8" exports) write at the start of a file, and which `cat`
    // of such files leaves at the start of a line: the record after it is whole.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = match fast::read(text) {
        Some(raw) => raw,
        None => serde_json::from_str(text).map_err(|e| (json_reason(&e), None))?,
    };
    let call_id = match raw.call_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => return Err((RejectReason::MissingCallId, None)),
    };
    let fail = |reason| Err((reason, Some(call_id.clone())));
    let started_at = match raw.started_at.as_deref() {
        None | Some("") => None,
        Some(s) => match parse_timestamp(s) {
            Some(stamp) => Some(stamp),
            None => {
                return fail(RejectReason::InvalidField(format!(
                    "started_at {s:?} is not a timestamp (RFC 3339, YYYY-MM-DD or epoch seconds)"
                )));
            }
        },
    };
    if raw.duration_s.is_some_and(|d| !d.is_finite() || d < 0.0) {
        return fail(RejectReason::InvalidField(
            "duration_s must be a non-negative number".into(),
        ));
    }
    let raw_turns = raw.turns.unwrap_or_default();
    let mut turns = Vec::with_capacity(raw_turns.len());
    // Each kept turn's own time, when it has one (chat messages).
    let mut sent_at: Vec<Option<Stamp>> = Vec::new();
    for t in raw_turns {
        let Some(text) = t.text else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        // `speaker` is kept as the label (a name, `spk_0`); `role` gives the role when the
        // label names none.
        let label = t.speaker.as_deref().or(t.role.as_deref()).unwrap_or("");
        let speaker = match Speaker::from_label(label) {
            Speaker::Unknown => t
                .role
                .as_deref()
                .map_or(Speaker::Unknown, Speaker::from_label),
            named => named,
        };
        if let Some(at) = t.sent_at.as_deref() {
            sent_at.resize(turns.len(), None);
            sent_at.push(parse_timestamp(at));
        }
        turns.push(Turn {
            speaker,
            // The usual labels ("agent", "customer") are not stored again: an empty label means
            // "the role's name", which saves an allocation per turn.
            speaker_label: if label == speaker.as_str() {
                String::new()
            } else {
                label.to_string()
            },
            start_s: t.start_s.filter(|s| s.is_finite()),
            end_s: t.end_s.filter(|s| s.is_finite()),
            text: text.into_owned(),
            confidence: None,
            word_count: None,
        });
    }
    if turns.is_empty() {
        return fail(if is_one_turn(text) {
            RejectReason::SingleTurn
        } else {
            RejectReason::EmptyTurns
        });
    }
    let started_at = place_sent_turns(&mut turns, &sent_at, started_at);
    let owned = |s: Option<Cow<'_, str>>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut call = Call::new(call_id, source, turns);
    call.customer_id = owned(raw.customer_id);
    call.agent_id = owned(raw.agent_id);
    call.queue = owned(raw.queue);
    call.channel = owned(raw.channel);
    call.language_tag = owned(raw.language);
    call.set_start(started_at);
    call.duration_s = raw.duration_s;
    Ok(call)
}

/// Chat messages that carry their own time (`timestamp`, `created_at`): the record's start is
/// its first message's when it gives none, and a message without `start_s` starts its time
/// after that start. Times that cannot be compared (one with an offset, one without, or one
/// before the start) or do not parse give no `start_s`. Returns the call's start.
fn place_sent_turns(
    turns: &mut [Turn],
    sent_at: &[Option<Stamp>],
    started_at: Option<Stamp>,
) -> Option<Stamp> {
    let first = sent_at.iter().flatten().min_by_key(|t| t.us).copied();
    let Some(start) = started_at.or(first) else {
        return started_at;
    };
    for (turn, at) in turns.iter_mut().zip(sent_at) {
        let comparable = |at: &Stamp| at.local == start.local && at.us >= start.us;
        if let Some(at) = at.filter(|at| comparable(at) && turn.start_s.is_none()) {
            turn.start_s = Some((at.us - start.us) as f64 / 1e6);
        }
    }
    Some(start)
}

/// A JSON array of canonical records (`[{"call_id": …}, …]`, an export of many calls as one
/// document): each item is a call, or a reject naming the line its object starts on. The
/// items are split without building a tree, each read like a JSON Lines record.
pub fn parse_array(file: &InputFile, body: &str) -> Vec<Result<Call, Reject>> {
    let items: Vec<&serde_json::value::RawValue> = match serde_json::from_str(body) {
        Ok(items) => items,
        Err(e) => {
            return vec![Err(Reject {
                source: SourceRef::file(file.name.clone()),
                call_id: None,
                reason: RejectReason::InvalidJson(e.to_string()),
            })];
        }
    };
    let mut lines = crate::tabular::LineNumbers::new(body.as_bytes());
    items
        .into_iter()
        .map(|item| {
            let offset = item.get().as_ptr() as usize - body.as_ptr() as usize;
            let source = SourceRef::line(file.name.clone(), lines.at(offset as u64));
            parse_call_text(item.get(), source.clone()).map_err(|(reason, call_id)| Reject {
                source,
                call_id,
                reason,
            })
        })
        .collect()
}

fn json_reason(e: &serde_json::Error) -> RejectReason {
    match e.classify() {
        serde_json::error::Category::Data => RejectReason::InvalidField(e.to_string()),
        _ => RejectReason::InvalidJson(e.to_string()),
    }
}

/// Whether a JSON Lines file whose first bytes are `head` is a table of turns, one per line,
/// rather than calls: its first record has no `turns` and is one turn (a text and a call_id or
/// speaker, by the names turn tables use). Asked once per JSON Lines file, of its first chunk.
pub fn starts_as_turn_table(head: &[u8]) -> bool {
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let Some(first) = head
        .split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
    else {
        return false;
    };
    !contains(first, b"\"turns\"") && std::str::from_utf8(first).is_ok_and(is_one_turn)
}

/// Whether a record without turns is itself one turn: a text beside its call_id or speaker,
/// as a table of turns exported one per line (a warehouse's JSON export) writes it, with the
/// column names a CSV turn table may have ([`Field::aliases`]). Read again only for the
/// reject's message and once per JSON Lines file ([`starts_as_turn_table`]).
fn is_one_turn(record: &str) -> bool {
    let Ok(fields) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(record)
    else {
        return false;
    };
    let has = |field: Field| fields.keys().any(|key| field.is_named(key));
    let text = fields
        .iter()
        .any(|(key, value)| Field::Text.is_named(key) && value.is_string());
    text && (has(Field::CallId) || has(Field::Speaker))
}

/// Reads an optional string, borrowed from the input when it has no escapes. serde's derive
/// borrows a `Cow<str>` field marked `borrow`, but not one inside an `Option`: each such field
/// was allocated, a `String` per turn for the speaker label alone.
fn borrowed_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    struct StrVisitor;
    impl<'de> Visitor<'de> for StrVisitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(StrVisitor)
        }
    }
    d.deserialize_option(StrVisitor)
}

/// Accepts an identifier written as a string or an integer (`"call_id": 1234`). Not a float:
/// its digits would come back rounded (`123456789012345678901` as `123456789012345680000`).
fn id_string<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    d.deserialize_any(StringOrNumber::<false>)
}

/// Accepts a start time written as a string or a number (`"started_at": 1793610845`, epoch
/// seconds as databases export them; fractions of a second too).
fn time_string<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    d.deserialize_any(StringOrNumber::<true>)
}

/// A string, or a number as its decimal text; floats only when `FLOATS`.
struct StringOrNumber<const FLOATS: bool>;

impl<'de, const FLOATS: bool> Visitor<'de> for StringOrNumber<FLOATS> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if FLOATS {
            "a string or a number"
        } else {
            "a string or an integer"
        })
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if FLOATS {
            Ok(Some(Cow::Owned(v.to_string())))
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SourceRef {
        SourceRef::line("calls.jsonl".into(), 3)
    }

    #[test]
    fn parses_a_full_record_and_ignores_unknown_fields() {
        let line = br#"{"call_id":"c1","customer_id":77,"language":"pt-BR","started_at":"2026-11-02T09:14:05Z","duration_s":61.5,"extra":{"x":1},
            "turns":[{"speaker":"Agent","start_s":0,"end_s":2.5,"text":"Ol\u00e1"},{"speaker":"customer","text":"  "},{"speaker":"caller","text":"j\u00e1 liguei"}]}"#;
        let call = parse_call(line, src()).unwrap();
        assert_eq!(call.call_id, "c1");
        assert_eq!(call.customer_id.as_deref(), Some("77"));
        assert_eq!(call.turns.len(), 2, "blank turns are dropped");
        assert_eq!(call.turns[0].text, "Olá");
        assert_eq!(call.turns[1].speaker, Speaker::Customer);
        assert_eq!(call.started_at_us, Some(1_793_610_845_000_000));
    }

    #[test]
    fn a_start_time_may_be_epoch_seconds_or_milliseconds() {
        let start = |value: &str| {
            let line =
                format!(r#"{{"call_id":"e1","started_at":{value},"turns":[{{"text":"hi"}}]}}"#);
            parse_call(line.as_bytes(), src()).map(|c| c.started_at_us)
        };
        let expected = Ok(Some(1_793_610_845_000_000));
        assert_eq!(start(r#""2026-11-02T09:14:05Z""#), expected);
        assert_eq!(start("1793610845"), expected);
        assert_eq!(start("1793610845000"), expected);
        assert_eq!(start(r#""1793610845""#), expected);
        assert_eq!(start("1793610845.5"), Ok(Some(1_793_610_845_500_000)));
        assert!(matches!(
            start("true"),
            Err((RejectReason::InvalidField(_), None))
        ));
        assert!(
            matches!(start("-5"), Err((RejectReason::InvalidField(m), Some(_))) if m.contains("epoch seconds"))
        );
        // An id stays a string or an integer: a float's digits would come back rounded.
        let id = br#"{"call_id":123456789012345678901,"turns":[{"text":"hi"}]}"#;
        assert!(parse_call(id, src()).is_err());
    }

    #[test]
    fn a_record_that_is_one_turn_says_how_turn_tables_are_read() {
        let reason = |line: &str| {
            parse_call(line.as_bytes(), SourceRef::file("f".into()))
                .unwrap_err()
                .0
        };
        let turn = r#"{"call_id":"c1","speaker":"customer","text":"I called last week"}"#;
        assert_eq!(reason(turn), RejectReason::SingleTurn);
        assert_eq!(reason(turn).code(), "empty_turns");
        assert!(
            reason(turn)
                .to_string()
                .contains("read as a table of turns")
        );
        assert_eq!(
            reason(r#"{"call_id":"c1","turns":[]}"#),
            RejectReason::EmptyTurns
        );
        assert_eq!(
            reason(r#"{"call_id":"c1","text":7}"#),
            RejectReason::EmptyTurns
        );
    }

    #[test]
    fn a_speaker_number_is_a_label() {
        // Diarizers number speakers; a converter writes the number as it is.
        let line = br#"{"call_id":"n1","turns":[{"speaker":0,"text":"how can I help"},{"speaker":1,"text":"I already called"}]}"#;
        let call = parse_call(line, SourceRef::file("f".into())).unwrap();
        let labels: Vec<&str> = call
            .turns
            .iter()
            .map(|t| t.speaker_label.as_str())
            .collect();
        assert_eq!(labels, ["0", "1"]);
    }

    #[test]
    fn role_and_content_stand_in_for_a_missing_speaker_and_text() {
        let line = br#"{"call_id":"r1","turns":[{"role":"agent","content":"how can I help"},{"role":"Customer","text":"I already called"},{"speaker":"spk_1","role":"agent","text":"both"}]}"#;
        let call = parse_call(line, src()).unwrap();
        let turns: Vec<(Speaker, &str)> = call
            .turns
            .iter()
            .map(|t| (t.speaker, t.text.as_str()))
            .collect();
        assert_eq!(
            turns,
            [
                (Speaker::Agent, "how can I help"),
                (Speaker::Customer, "I already called"),
                // Where both are given, `speaker` is the label and `role` the role.
                (Speaker::Agent, "both"),
            ]
        );
        assert_eq!(call.turns[2].speaker_label, "spk_1");
    }

    #[test]
    fn chat_messages_with_their_own_times_give_the_start_and_offsets() {
        let parse =
            |line: &str| parse_call(line.as_bytes(), SourceRef::line("c.jsonl".into(), 1)).unwrap();
        let at = |s: &str| parse_timestamp(s).unwrap();
        // No started_at: the first message's time; each message starts that long after it.
        let call = parse(
            r#"{"call_id":"m1","turns":[{"role":"customer","content":"hi","timestamp":"2026-11-02T10:00:05Z"},{"role":"agent","content":"hello","created_at":1793613620},{"role":"customer","content":"no time"}]}"#,
        );
        assert_eq!(call.started_at_us, Some(at("2026-11-02T10:00:05Z").us));
        assert!(!call.started_at_local);
        let starts: Vec<Option<f64>> = call.turns.iter().map(|t| t.start_s).collect();
        assert_eq!(starts, [Some(0.0), Some(15.0), None]);
        // A given start and start_s are kept; times without an offset stay wall-clock time.
        let call = parse(
            r#"{"call_id":"m2","started_at":"2026-11-02 09:59:00","turns":[{"text":"a","timestamp":"2026-11-02 10:00:00"},{"text":"b","start_s":3,"timestamp":"2026-11-02 10:00:30"}]}"#,
        );
        assert_eq!(call.started_at_us, Some(at("2026-11-02 09:59:00").us));
        assert!(call.started_at_local);
        let starts: Vec<Option<f64>> = call.turns.iter().map(|t| t.start_s).collect();
        assert_eq!(starts, [Some(60.0), Some(3.0)]);
        // Times that cannot be compared with the start give no offset.
        let call = parse(
            r#"{"call_id":"m3","started_at":"2026-11-02T10:00:00Z","turns":[{"text":"a","timestamp":"2026-11-02 10:00:30"},{"text":"b","timestamp":"2026-11-02T09:00:00Z"},{"text":"c","timestamp":"soon"}]}"#,
        );
        assert!(call.turns.iter().all(|t| t.start_s.is_none()));
    }

    #[test]
    fn a_json_array_of_records_is_a_call_per_item_named_by_its_line() {
        let file = InputFile {
            path: "calls.json".into(),
            name: "calls.json".into(),
            size_bytes: 0,
        };
        let body = "[\n  {\"call_id\": \"a1\", \"turns\": [{\"text\": \"one\"}]},\n  {\"turns\": [{\"text\": \"no id\"}]},\n  {\"call_id\": \"a3\",\n   \"turns\": [{\"text\": \"three\"}]}\n]";
        let results = parse_array(&file, body);
        let summary: Vec<(Option<u64>, Result<String, String>)> = results
            .iter()
            .map(|r| match r {
                Ok(call) => (call.source.line, Ok(call.call_id.clone())),
                Err(reject) => (reject.source.line, Err(reject.reason.to_string())),
            })
            .collect();
        assert_eq!(
            summary,
            [
                (Some(2), Ok("a1".to_string())),
                (Some(3), Err(RejectReason::MissingCallId.to_string())),
                (Some(4), Ok("a3".to_string())),
            ]
        );
        let broken = parse_array(&file, "[{\"call_id\": \"a1\"");
        assert!(matches!(
            &broken[..],
            [Err(Reject {
                reason: RejectReason::InvalidJson(_),
                ..
            })]
        ));
    }

    #[test]
    fn a_byte_order_mark_before_a_record_is_not_part_of_it() {
        let line = r#"{"call_id":"b1","turns":[{"speaker":"customer","text":"I already called"}]}"#;
        let with_bom = format!("\u{feff}{line}");
        let call = parse_call(with_bom.as_bytes(), src()).unwrap();
        assert_eq!(call.call_id, "b1");
        assert_eq!(call.turns[0].text, "I already called");
        // Only at the start: inside a string it is text like any other.
        let inside = line.replace("I already", "\u{feff}I already");
        let call = parse_call(inside.as_bytes(), src()).unwrap();
        assert_eq!(call.turns[0].text, "\u{feff}I already called");
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_nulls_are_absent() {
        let line = r#"{"call_id":"c1","queue":null,"channel":"chat","turns":[{"speaker":"agent","text":"caf\u00e9 ok"},{"speaker":null,"text":"plain"}]}"#;
        let raw: RawCall<'_> = serde_json::from_str(line).unwrap();
        assert!(raw.queue.is_none());
        assert!(matches!(raw.channel, Some(Cow::Borrowed("chat"))));
        let turns = raw.turns.unwrap();
        assert!(matches!(turns[0].speaker, Some(Cow::Borrowed("agent"))));
        assert!(matches!(&turns[0].text, Some(Cow::Owned(t)) if t == "café ok"));
        assert!(turns[1].speaker.is_none());
        assert!(matches!(turns[1].text, Some(Cow::Borrowed("plain"))));
        let wrong = r#"{"call_id":"c1","turns":[{"speaker":true,"text":"hi"}]}"#;
        assert!(serde_json::from_str::<RawCall<'_>>(wrong).is_err());
    }

    #[test]
    fn rejects_say_why() {
        let cases: [(&[u8], &str); 6] = [
            (b"{\"call_id\": \"x\", ", "invalid_json"),
            (b"{\"turns\": [{\"speaker\":\"agent\",\"text\":\"hi\"}]}", "missing_call_id"),
            (b"{\"call_id\": \"x\", \"turns\": []}", "empty_turns"),
            (b"{\"call_id\": \"x\", \"turns\": 5}", "invalid_field"),
            (b"{\"call_id\": \"x\", \"started_at\": \"last tuesday\", \"turns\": [{\"text\":\"hi\"}]}", "invalid_field"),
            (b"{\"call_id\": \"x\", \"turns\": [{\"text\":\"caf\xe9\"}]}", "invalid_utf8"),
        ];
        for (bytes, code) in cases {
            let (reason, _) = parse_call(bytes, src()).unwrap_err();
            assert_eq!(reason.code(), code, "{}", String::from_utf8_lossy(bytes));
        }
    }
}
