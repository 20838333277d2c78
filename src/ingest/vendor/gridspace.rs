//! Gridspace transcripts as published with the Gridspace-Stanford Harper Valley speech dataset:
//! a JSON array of segments `{channel_index, speaker_role, offset_ms, duration_ms, transcript,
//! word_offsets_ms[], word_durations_ms[], start_timestamp_ms, …}`.
//!
//! One turn per segment, text from the machine transcript (`transcript`, not the
//! human-corrected `human_transcript`), start `offset_ms` (the recording-relative time:
//! `start_ms` of the agent channel is shifted by the channel's delay, which
//! `start_timestamp_ms` confirms), end `offset_ms + duration_ms`. Word times are relative to the
//! segment. Segments that only hold non-speech tags (`[noise]`, `[laughter]`) are dropped.
//! `speaker_role` `agent`/`caller` gives the role per channel (label `ch_N`); it is a channel
//! assignment, so it is checked for a swap. The call start is `start_timestamp_ms - offset_ms`
//! of the first segment. The call_id is the file name (the dataset's session id).

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, channel_label, id, make_call, ms, num, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Gridspace segment-array JSON (Harper Valley).
pub struct Gridspace;

fn segments(v: &Value) -> Option<&[Value]> {
    let segs = v.as_array()?;
    let first = segs.first()?;
    (first.get("channel_index").is_some()
        && first.get("transcript").is_some()
        && (first.get("offset_ms").is_some() || first.get("start_ms").is_some()))
    .then_some(segs.as_slice())
}

impl Format for Gridspace {
    fn name(&self) -> &'static str {
        "gridspace"
    }
    fn title(&self) -> &'static str {
        "Gridspace segment JSON (Harper Valley speech dataset)"
    }
    fn detection(&self) -> &'static str {
        "JSON array whose items have channel_index, transcript and offset_ms or start_ms"
    }
    fn fields(&self) -> &'static str {
        "[]{channel_index (label ch_N), speaker_role (agent|caller, checked for a swap), offset_ms (else start_ms), duration_ms, \
         transcript, word_offsets_ms[], word_durations_ms[], start_timestamp_ms}; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if segments(v).is_some())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

/// Whether the text is only non-speech tags like `[noise]`.
fn is_non_speech(said: &str) -> bool {
    said.split_whitespace()
        .all(|t| t.starts_with('[') && t.ends_with(']'))
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let segs = segments(v).unwrap_or(&[]);
    let mut ordered: Vec<&Value> = segs.iter().collect();
    let start_of = |s: &Value| ms(s.get("offset_ms")).or_else(|| ms(s.get("start_ms")));
    ordered.sort_by(|a, b| {
        start_of(a)
            .unwrap_or(f64::INFINITY)
            .total_cmp(&start_of(b).unwrap_or(f64::INFINITY))
    });
    let mut builder = TurnBuilder::new();
    for seg in &ordered {
        let Some(said) = text(seg.get("transcript")) else {
            continue;
        };
        if is_non_speech(said) {
            continue;
        }
        let label = id(seg.get("channel_index"))
            .map(channel_label)
            .unwrap_or_default();
        let speaker = match text(seg.get("speaker_role")) {
            Some(r) if r.eq_ignore_ascii_case("agent") => Speaker::Agent,
            Some(r) if r.eq_ignore_ascii_case("caller") || r.eq_ignore_ascii_case("customer") => {
                Speaker::Customer
            }
            _ => Speaker::Unknown,
        };
        let start = start_of(seg);
        let end = start.zip(ms(seg.get("duration_ms"))).map(|(s, d)| s + d);
        let index = builder.segment(&label, speaker, said, start, end, None);
        let offsets = array(seg.get("word_offsets_ms"));
        let durations = array(seg.get("word_durations_ms"));
        let tokens: Vec<&str> = said.split_whitespace().collect();
        if tokens.len() == offsets.len() {
            let words = tokens.iter().zip(offsets).enumerate().map(|(i, (t, off))| {
                let s = start.zip(ms(Some(off))).map(|(a, b)| a + b);
                let e = s.zip(ms(durations.get(i))).map(|(a, b)| a + b);
                (*t, s, e, None)
            });
            builder.align_words(index, words);
        }
    }
    let mut call = make_call(input, input.stem(), builder, "gridspace")?;
    call.roles_from_channel_map = true;
    call.channel = Some("voice".to_string());
    call.started_at_us = ordered.first().and_then(|s| {
        let wall = num(s.get("start_timestamp_ms"))?;
        let offset = num(s.get("offset_ms"))?;
        Some(((wall - offset) * 1000.0).round() as i64)
    });
    Ok(call)
}
