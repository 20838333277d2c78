//! Azure AI Speech batch transcription results (`contenturl_N.json`): `recognizedPhrases[]`.
//!
//! One turn per phrase with `recognitionStatus` `Success`; the text is the best hypothesis's
//! `nBest[0].display` (punctuated, inverse-normalised), its confidence `nBest[0].confidence`.
//! Times are 100-ns ticks (`offsetInTicks`, `durationInTicks`), with the ISO 8601 strings
//! (`offset: "PT0.76S"`) as a fallback. Stereo calls give `channel` 0/1 (labels `ch_0`, `ch_1`),
//! diarization gives an integer `speaker` (`spk_N`); phrases are ordered by time across channels.
//! Words: `nBest[0].displayWords[]` (they spell the display text), else `nBest[0].words[]`.
//!
//! The call_id is the audio file named by `source` (every job names its results
//! `contenturl_0.json`, so the result's own file name would collide across jobs), else the file
//! name. `durationMilliseconds` (or the ticks) is the duration.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, channel_label, confidence, id,
    iso8601_duration_s, language_tag, make_call, num, speaker_label, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Azure AI Speech batch transcription result.
pub struct AzureBatch;

impl Format for AzureBatch {
    fn name(&self) -> &'static str {
        "azure_batch"
    }
    fn title(&self) -> &'static str {
        "Azure AI Speech batch transcription result JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with recognizedPhrases[]"
    }
    fn fields(&self) -> &'static str {
        "recognizedPhrases[]{recognitionStatus, channel, speaker, offsetInTicks|offset, durationInTicks|duration, locale, \
         nBest[0]{display, confidence, displayWords[]|words[]}}; durationMilliseconds; source (call_id = its file name)"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("recognizedPhrases").is_some_and(Value::is_array))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

/// Seconds from ticks, else from the ISO 8601 duration string.
fn seconds(obj: &Value, ticks: &str, iso: &str) -> Option<f64> {
    num(obj.get(ticks))
        .map(|t| t / 1e7)
        .or_else(|| text(obj.get(iso)).and_then(iso8601_duration_s))
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let phrases: Vec<&Value> = array(v.get("recognizedPhrases"))
        .iter()
        .filter(|p| {
            text(p.get("recognitionStatus")).is_none_or(|s| s.eq_ignore_ascii_case("success"))
        })
        .collect();
    let channels: BTreeSet<String> = phrases
        .iter()
        .filter_map(|p| id(p.get("channel")))
        .collect();
    let mut ordered: Vec<(&Value, Option<f64>)> = phrases
        .iter()
        .map(|p| (*p, seconds(p, "offsetInTicks", "offset")))
        .collect();
    ordered.sort_by(|a, b| {
        a.1.unwrap_or(f64::INFINITY)
            .total_cmp(&b.1.unwrap_or(f64::INFINITY))
    });
    let mut builder = TurnBuilder::new();
    for (p, start) in ordered {
        let best = array(p.get("nBest")).first();
        let Some(said) = best.and_then(|b| {
            text(b.get("display"))
                .or_else(|| text(b.get("itn")))
                .or_else(|| text(b.get("lexical")))
        }) else {
            continue;
        };
        let label = if channels.len() > 1 {
            id(p.get("channel")).map(channel_label).unwrap_or_default()
        } else {
            id(p.get("speaker")).map(speaker_label).unwrap_or_default()
        };
        let end = start
            .zip(seconds(p, "durationInTicks", "duration"))
            .map(|(s, d)| s + d);
        let index = builder.segment(
            &label,
            Speaker::Unknown,
            said,
            start,
            end,
            confidence(best.and_then(|b| b.get("confidence"))),
        );
        let display_words = array(best.and_then(|b| b.get("displayWords")));
        let (list, key) = if display_words.is_empty() {
            (array(best.and_then(|b| b.get("words"))), "word")
        } else {
            (display_words, "displayText")
        };
        let words = list.iter().filter_map(|w| {
            let s = seconds(w, "offsetInTicks", "offset");
            let e = s
                .zip(seconds(w, "durationInTicks", "duration"))
                .map(|(s, d)| s + d);
            Some((w.get(key)?.as_str()?, s, e, confidence(w.get("confidence"))))
        });
        builder.align_words(index, words);
    }
    let call_id = text(v.get("source"))
        .and_then(audio_name)
        .unwrap_or_else(|| input.stem());
    let mut call = make_call(input, call_id, builder, "azure_batch")?;
    call.duration_s = num(v.get("durationMilliseconds"))
        .map(|m| m / 1000.0)
        .or_else(|| seconds(v, "durationInTicks", "duration"));
    call.language_tag = language_tag(phrases.iter().find_map(|p| text(p.get("locale"))));
    Ok(call)
}

/// `https://host/path/call-0042.wav?sig=…` → `call-0042`; `None` for placeholders like `...`.
fn audio_name(source: &str) -> Option<String> {
    let path = source.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    (stem.chars().any(char::is_alphanumeric)).then(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_come_from_the_audio_url() {
        assert_eq!(
            audio_name("https://crbn.us/hello.wav").as_deref(),
            Some("hello")
        );
        assert_eq!(
            audio_name("https://x.blob.core.windows.net/c/2026/call-7.wav?sv=1&sig=a").as_deref(),
            Some("call-7")
        );
        assert_eq!(audio_name("..."), None);
    }
}
