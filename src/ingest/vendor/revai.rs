//! Rev.ai transcript JSON (`Accept: application/vnd.rev.transcript.v1.0+json`):
//! `monologues[]{speaker, speaker_name?, elements[]}`.
//!
//! One turn per monologue, labelled `speaker_name` when set, else `spk_N`. Elements are `text`
//! (a word with `ts`, `end_ts` in seconds and `confidence`) or `punct` (punctuation *and* the
//! spaces between words, without times); their values are concatenated as written, so the turn
//! text is Rev's own. Rev numbers speakers even when it did not diarize, so a one-speaker file has
//! one label and its roles stay unknown. The call_id is the file name.

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, confidence, id, language_tag, make_call, num,
    speaker_label, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Rev.ai transcript JSON.
pub struct RevAi;

impl Format for RevAi {
    fn name(&self) -> &'static str {
        "revai"
    }
    fn title(&self) -> &'static str {
        "Rev.ai transcript JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with monologues[]"
    }
    fn fields(&self) -> &'static str {
        "monologues[]{speaker, speaker_name, elements[]{type text|punct, value, ts, end_ts, confidence}}; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("monologues").is_some_and(Value::is_array))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let mut builder = TurnBuilder::new();
    for m in array(v.get("monologues")) {
        let label = text(m.get("speaker_name"))
            .map(str::to_string)
            .or_else(|| id(m.get("speaker")).map(speaker_label))
            .unwrap_or_default();
        builder.turn(&label, Speaker::Unknown);
        for e in array(m.get("elements")) {
            let Some(value) = e.get("value").and_then(Value::as_str) else {
                continue;
            };
            if e.get("type").and_then(Value::as_str) == Some("text") {
                builder.word_in_turn(
                    value,
                    num(e.get("ts")),
                    num(e.get("end_ts")),
                    confidence(e.get("confidence")),
                );
            } else {
                builder.punct(value);
            }
        }
    }
    let mut call = make_call(input, input.stem(), builder, "revai")?;
    call.language_tag = language_tag(text(v.get("language")));
    Ok(call)
}
