//! AssemblyAI transcript JSON (`GET /v2/transcript/{id}`).
//!
//! With speaker labels (or dual/multichannel audio) `utterances[]` are the turns: `speaker` is a
//! letter (`A`, `B`), `channel` a number for multichannel audio (label `ch_N`); `start`/`end`
//! are integer **milliseconds**; words align to the utterance text. Without utterances the
//! top-level `words[]` form a stream split on speaker changes or, unlabelled, on silences of
//! [`UNLABELLED_TURN_PAUSE_S`]. `audio_duration` (seconds) is the duration, `language_code` the
//! language. The call_id is the file name (the transcript `id` is AssemblyAI's, not the call's).

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, UNLABELLED_TURN_PAUSE_S, array, channel_label,
    confidence, id, language_tag, make_call, ms, num, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// AssemblyAI transcript JSON.
pub struct AssemblyAi;

impl Format for AssemblyAi {
    fn name(&self) -> &'static str {
        "assemblyai"
    }
    fn title(&self) -> &'static str {
        "AssemblyAI transcript JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with words[] and utterances (array or null) and one of audio_url, audio_duration, acoustic_model"
    }
    fn fields(&self) -> &'static str {
        "utterances[]{speaker (letter), channel, start, end (ms), confidence, text, words[]{text, start, end, confidence}}; \
         words[]{text, start, end, confidence, speaker}; audio_duration (s); language_code; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        v.get("words").is_some_and(Value::is_array)
            && v.get("utterances").is_some()
            && (v.get("audio_url").is_some()
                || v.get("audio_duration").is_some()
                || v.get("acoustic_model").is_some())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

fn label(item: &Value) -> String {
    id(item.get("channel"))
        .map(channel_label)
        .or_else(|| id(item.get("speaker")))
        .unwrap_or_default()
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let utterances = array(v.get("utterances"));
    let mut builder;
    if !utterances.is_empty() {
        builder = TurnBuilder::new();
        for u in utterances {
            let Some(said) = text(u.get("text")) else {
                continue;
            };
            let index = builder.segment(
                &label(u),
                Speaker::Unknown,
                said,
                ms(u.get("start")),
                ms(u.get("end")),
                confidence(u.get("confidence")),
            );
            let words = array(u.get("words")).iter().filter_map(|w| {
                Some((
                    w.get("text")?.as_str()?,
                    ms(w.get("start")),
                    ms(w.get("end")),
                    confidence(w.get("confidence")),
                ))
            });
            builder.align_words(index, words);
        }
    } else {
        let words = array(v.get("words"));
        let labelled = words.iter().any(|w| !label(w).is_empty());
        builder = if labelled {
            TurnBuilder::new()
        } else {
            TurnBuilder::new().break_on_pause(UNLABELLED_TURN_PAUSE_S)
        };
        for w in words {
            let Some(word) = w.get("text").and_then(Value::as_str) else {
                continue;
            };
            builder.word(
                &label(w),
                Speaker::Unknown,
                word,
                ms(w.get("start")),
                ms(w.get("end")),
                confidence(w.get("confidence")),
            );
        }
    }
    let mut call = make_call(input, input.stem(), builder, "assemblyai")?;
    call.duration_s = num(v.get("audio_duration"));
    call.language_tag = language_tag(text(v.get("language_code")));
    Ok(call)
}
