//! Amazon Transcribe batch JSON (`results.transcripts`, `results.items`): plain, speaker-diarized
//! (`items[].speaker_label`, or the legacy `speaker_labels.segments[].items[]` that carry the
//! label instead of the items) and channel-identified (`items[].channel_label`, or
//! `channel_labels.channels[].items[]` only).
//!
//! Times and confidences are decimal strings (`"4.87"`); punctuation items have no times and stick
//! to the word before them. A turn is a run of words with one label; a file with no labels at all
//! starts a new turn after a silence of [`UNLABELLED_TURN_PAUSE_S`]. Channel-identified items are
//! ordered by time, so the two channels interleave. Labels (`spk_0`, `ch_0`) name no role: roles
//! come from `--agent-channel` or inference. The call_id is the file name (Transcribe writes
//! `<job name>.json`).

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, UNLABELLED_TURN_PAUSE_S, array, confidence,
    language_tag, make_call, num, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Amazon Transcribe batch JSON.
pub struct Transcribe;

impl Format for Transcribe {
    fn name(&self) -> &'static str {
        "aws_transcribe"
    }
    fn title(&self) -> &'static str {
        "Amazon Transcribe batch JSON (plain, speaker labels, channel identification)"
    }
    fn detection(&self) -> &'static str {
        "JSON object with results.transcripts[] and results.items[] (or results.channel_labels)"
    }
    fn fields(&self) -> &'static str {
        "results.items[]{type, start_time, end_time, alternatives[0].content/confidence, speaker_label, channel_label}; \
         results.speaker_labels.segments[].items[] (legacy labels); results.channel_labels.channels[].items[]; \
         results.language_code; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        let Some(results) = v.get("results").filter(|r| r.is_object()) else {
            return false;
        };
        results.get("transcripts").is_some_and(Value::is_array)
            && (results.get("items").is_some_and(Value::is_array)
                || results.get("channel_labels").is_some())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

/// A pronunciation item with the punctuation that follows it.
struct Unit<'a> {
    label: String,
    start: Option<f64>,
    end: Option<f64>,
    word: &'a str,
    confidence: Option<f32>,
    punct: Vec<&'a str>,
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let results = &v["results"];
    let legacy = legacy_labels(results);
    let mut items: Vec<(&Value, Option<&str>)> = array(results.get("items"))
        .iter()
        .map(|i| (i, None))
        .collect();
    if items.is_empty() {
        for channel in array(
            results
                .get("channel_labels")
                .and_then(|c| c.get("channels")),
        ) {
            let label = text(channel.get("channel_label"));
            items.extend(array(channel.get("items")).iter().map(|i| (i, label)));
        }
    }
    let mut units: Vec<Unit<'_>> = Vec::new();
    let mut has_channels = false;
    let mut has_labels = false;
    let mut last_label = String::new();
    for (item, channel) in items {
        let alt = array(item.get("alternatives")).first();
        let Some(content) = alt.and_then(|a| a.get("content")).and_then(Value::as_str) else {
            continue;
        };
        if item.get("type").and_then(Value::as_str) == Some("punctuation") {
            if let Some(u) = units.last_mut() {
                u.punct.push(content);
            }
            continue;
        }
        let start = num(item.get("start_time"));
        let channel = text(item.get("channel_label")).or(channel);
        has_channels |= channel.is_some();
        let label = text(item.get("speaker_label"))
            .map(str::to_string)
            .or_else(|| start.and_then(|s| legacy.get(&millis(s)).cloned()))
            .or_else(|| channel.map(str::to_string));
        has_labels |= label.is_some();
        // An item the legacy segments do not cover keeps the previous speaker.
        let label = label.unwrap_or_else(|| last_label.clone());
        last_label.clone_from(&label);
        units.push(Unit {
            label,
            start,
            end: num(item.get("end_time")),
            word: content,
            confidence: confidence(alt.and_then(|a| a.get("confidence"))),
            punct: Vec::new(),
        });
    }
    if has_channels {
        // Two channels' words interleave by time; ties keep file order.
        units.sort_by(|a, b| {
            a.start
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.start.unwrap_or(f64::INFINITY))
        });
    }
    let mut builder = if has_labels {
        TurnBuilder::new()
    } else {
        TurnBuilder::new().break_on_pause(UNLABELLED_TURN_PAUSE_S)
    };
    for u in &units {
        builder.word(
            &u.label,
            Speaker::Unknown,
            u.word,
            u.start,
            u.end,
            u.confidence,
        );
        for p in &u.punct {
            builder.punct(p);
        }
    }
    let mut call = make_call(input, input.stem(), builder, "aws_transcribe")?;
    // Channel identification writes `language_code` on items inside `channel_labels` only.
    let channel_items = array(
        results
            .get("channel_labels")
            .and_then(|c| c.get("channels")),
    )
    .iter()
    .flat_map(|c| array(c.get("items")));
    let first_item_language = array(results.get("items"))
        .iter()
        .chain(channel_items)
        .find_map(|i| text(i.get("language_code")));
    call.language_tag = language_tag(text(results.get("language_code")).or(first_item_language));
    Ok(call)
}

/// Legacy diarization: `speaker_labels.segments[].items[]{start_time, speaker_label}` name the
/// speaker of the item that starts at that time. Keyed by start time in whole milliseconds.
fn legacy_labels(results: &Value) -> HashMap<i64, String> {
    let mut map = HashMap::new();
    for seg in array(
        results
            .get("speaker_labels")
            .and_then(|s| s.get("segments")),
    ) {
        let seg_label = text(seg.get("speaker_label"));
        for item in array(seg.get("items")) {
            let (Some(start), Some(label)) = (
                num(item.get("start_time")),
                text(item.get("speaker_label")).or(seg_label),
            ) else {
                continue;
            };
            map.entry(millis(start))
                .or_insert_with(|| label.to_string());
        }
    }
    map
}

fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}
