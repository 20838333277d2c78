//! The normalised output of AWS's open-source post-call analytics solution (PCA,
//! `aws-samples/amazon-transcribe-post-call-analytics`, `docs/output_json_structure.md`):
//! `ConversationAnalytics` (call facts) and `SpeechSegments[]` (turns).
//!
//! `SegmentSpeaker` (`spk_0`) is joined to `ConversationAnalytics.SpeakerLabels[].DisplayText`
//! (`Agent`, `Customer`). PCA assigns those by audio channel from its configuration, which is
//! exactly the mapping its users report as swapped, so the roles are given but checked for a swap
//! (`roles_from_channel_map`). Times are seconds (numbers); `Duration` is a decimal string;
//! `ConversationTime` has no UTC offset and is read in `--timezone` (UTC by default). The call_id
//! is the file name.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, confidence, language_tag, make_call, num,
    text,
};
use crate::ingest::Reject;
use crate::ingest::time::parse_rfc3339;
use crate::model::{Call, Speaker};

/// AWS post-call analytics (PCA) parsed output.
pub struct PostCallAnalytics;

impl Format for PostCallAnalytics {
    fn name(&self) -> &'static str {
        "aws_pca"
    }
    fn title(&self) -> &'static str {
        "AWS post-call analytics (PCA) parsed output JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with ConversationAnalytics{} and SpeechSegments[]"
    }
    fn fields(&self) -> &'static str {
        "SpeechSegments[]{SegmentSpeaker, SegmentStartTime, SegmentEndTime, DisplayText (else OriginalText), WordConfidence[]{Text, \
         Confidence, StartTime, EndTime}}; ConversationAnalytics{SpeakerLabels[]{Speaker, DisplayText} (roles, checked for a swap), \
         LanguageCode, Duration, ConversationTime (in --timezone), Agent}; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        v.get("SpeechSegments").is_some_and(Value::is_array)
            && v.get("ConversationAnalytics").is_some_and(Value::is_object)
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let ca = &v["ConversationAnalytics"];
    let roles: HashMap<&str, &str> = array(ca.get("SpeakerLabels"))
        .iter()
        .filter_map(|l| Some((text(l.get("Speaker"))?, text(l.get("DisplayText"))?)))
        .collect();
    let mut builder = TurnBuilder::new();
    for seg in array(v.get("SpeechSegments")) {
        let label = text(seg.get("SegmentSpeaker")).unwrap_or("");
        let speaker = roles
            .get(label)
            .map_or(Speaker::Unknown, |r| Speaker::from_label(r));
        let Some(said) = text(seg.get("DisplayText")).or_else(|| text(seg.get("OriginalText")))
        else {
            continue;
        };
        let index = builder.segment(
            label,
            speaker,
            said,
            num(seg.get("SegmentStartTime")),
            num(seg.get("SegmentEndTime")),
            None,
        );
        let words = array(seg.get("WordConfidence")).iter().filter_map(|w| {
            Some((
                w.get("Text")?.as_str()?,
                num(w.get("StartTime")),
                num(w.get("EndTime")),
                confidence(w.get("Confidence")),
            ))
        });
        builder.align_words(index, words);
    }
    let mut call = make_call(input, input.stem(), builder, "aws_pca")?;
    call.roles_from_channel_map = true;
    call.language_tag = language_tag(text(ca.get("LanguageCode")));
    call.duration_s = num(ca.get("Duration"));
    call.set_start(text(ca.get("ConversationTime")).and_then(parse_rfc3339));
    call.agent_id = text(ca.get("Agent"))
        .filter(|a| !a.eq_ignore_ascii_case("none"))
        .map(str::to_string);
    Ok(call)
}
