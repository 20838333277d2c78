//! OpenAI Whisper JSON (`whisper --output_format json`, the API's `verbose_json`) and whisperX
//! JSON.
//!
//! - **Whisper**: `segments[]{start, end, text, avg_logprob, words?[]{word, start, end,
//!   probability}}`, `language` as a code (`en`) or a name (`english`). One turn per segment;
//!   Whisper does not diarize, so roles are unknown (per-channel files of one call are merged by
//!   [`super::channels`]). Without word probabilities a segment's confidence is
//!   `exp(avg_logprob)`, the mean token probability.
//! - **whisperX**: segments carry `speaker` (`SPEAKER_00`) after diarization; words carry
//!   `score` and sometimes no `start`/`end` (numbers and symbols the aligner could not place):
//!   those words keep their text and score but no time.
//!
//! The call_id is the file name.

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, confidence, language_tag, make_call, num,
    text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// OpenAI Whisper JSON.
pub struct Whisper;

/// whisperX JSON (aligned words, diarized speakers).
pub struct WhisperX;

fn segments(v: &Value) -> Option<&[Value]> {
    let segs = v.get("segments")?.as_array()?;
    let first = segs.first()?;
    (first.get("start").is_some() && first.get("text").is_some()).then_some(segs.as_slice())
}

fn is_whisperx(v: &Value) -> bool {
    v.get("word_segments").is_some()
        || segments(v).is_some_and(|segs| {
            segs.iter().any(|s| {
                s.get("speaker").is_some()
                    || array(s.get("words"))
                        .iter()
                        .any(|w| w.get("score").is_some())
            })
        })
}

impl Format for Whisper {
    fn name(&self) -> &'static str {
        "whisper_json"
    }
    fn title(&self) -> &'static str {
        "OpenAI Whisper JSON (CLI json, API verbose_json)"
    }
    fn detection(&self) -> &'static str {
        "JSON object with segments[]{start, end, text} and no whisperX markers"
    }
    fn fields(&self) -> &'static str {
        "segments[]{start, end, text, avg_logprob (confidence = exp), words[]{word, start, end, probability}}; language (code or name); \
         call_id = file name; roles unknown"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if segments(v).is_some() && !is_whisperx(v))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input, "whisper_json")]
    }
}

impl Format for WhisperX {
    fn name(&self) -> &'static str {
        "whisperx_json"
    }
    fn title(&self) -> &'static str {
        "whisperX JSON (word alignment, diarization)"
    }
    fn detection(&self) -> &'static str {
        "JSON object with segments[]{start, end, text} and word_segments, a segment speaker, or word scores"
    }
    fn fields(&self) -> &'static str {
        "segments[]{start, end, text, speaker (SPEAKER_NN), words[]{word, start?, end?, score}}; language; call_id = file name; \
         roles from --agent-channel or inferred"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if segments(v).is_some() && is_whisperx(v))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input, "whisperx_json")]
    }
}

fn parse(v: &Value, input: &Input<'_>, format: &'static str) -> Result<Call, Reject> {
    let mut builder = TurnBuilder::new();
    for seg in segments(v).unwrap_or(&[]) {
        let Some(said) = text(seg.get("text")) else {
            continue;
        };
        let label = text(seg.get("speaker")).unwrap_or("");
        let segment_confidence = num(seg.get("avg_logprob")).map(|lp| lp.exp() as f32);
        let index = builder.segment(
            label,
            Speaker::Unknown,
            said,
            num(seg.get("start")),
            num(seg.get("end")),
            segment_confidence,
        );
        let words = array(seg.get("words")).iter().filter_map(|w| {
            let c = confidence(w.get("probability")).or_else(|| confidence(w.get("score")));
            Some((
                w.get("word")?.as_str()?,
                num(w.get("start")),
                num(w.get("end")),
                c,
            ))
        });
        builder.align_words(index, words);
    }
    let mut call = make_call(input, input.stem(), builder, format)?;
    call.language_tag = language_tag(text(v.get("language")));
    Ok(call)
}
