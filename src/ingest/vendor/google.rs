//! Google Cloud Speech-to-Text JSON: the v1 `recognize`/`longrunningrecognize` response
//! (`results[]`, or `response.results[]` as the long-running operation is saved) and the v2
//! batch result (same shape, `startOffset`/`endOffset`, `speakerLabel`).
//!
//! - Times come in two encodings, `{"seconds": "12", "nanos": 900000000}` (either part may be
//!   missing) and `"13.300s"`; both become seconds.
//! - **Diarization**: Google repeats every word of the call, each with its `speakerTag`, in the
//!   *last* result only; the earlier results carry the same words without tags. When the last
//!   result holds at least as many tagged words as all the others together, only it is read, and
//!   turns are runs of one speaker (`spk_N`). Otherwise every tagged word is read in order.
//! - Without diarization each result is a turn; `channelTag` (numbered from 1) labels the turn
//!   `ch_N` when the call has more than one channel, and multichannel turns are ordered by time.
//!
//! Confidence: word `confidence` when present (newer responses), else the alternative's. The
//! call_id is the file name.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, channel_label, confidence, google_seconds,
    id, language_tag, make_call, speaker_label, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Google Cloud Speech-to-Text JSON.
pub struct GoogleStt;

fn results(v: &Value) -> Option<&[Value]> {
    let r = v
        .get("results")
        .or_else(|| v.get("response").and_then(|r| r.get("results")))?
        .as_array()?;
    r.first()?.get("alternatives")?.as_array()?;
    Some(r.as_slice())
}

impl Format for GoogleStt {
    fn name(&self) -> &'static str {
        "google_stt"
    }
    fn title(&self) -> &'static str {
        "Google Cloud Speech-to-Text JSON (v1 and v2)"
    }
    fn detection(&self) -> &'static str {
        "JSON object with results[] (or response.results[]) whose items have alternatives[]"
    }
    fn fields(&self) -> &'static str {
        "results[]{alternatives[0]{transcript, confidence, words[]{word, startTime|startOffset, endTime|endOffset, speakerTag|speakerLabel, \
         confidence}}, channelTag, resultEndTime, languageCode}; times as {seconds,nanos} or \"1.3s\"; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if results(v).is_some())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

fn words(result: &Value) -> &[Value] {
    array(
        array(result.get("alternatives"))
            .first()
            .and_then(|a| a.get("words")),
    )
}

fn speaker_of(word: &Value) -> Option<String> {
    id(word.get("speakerTag"))
        .or_else(|| id(word.get("speakerLabel")))
        .filter(|s| s != "0")
}

fn word_times(w: &Value) -> (Option<f64>, Option<f64>) {
    (
        google_seconds(w.get("startTime").or(w.get("startOffset"))),
        google_seconds(w.get("endTime").or(w.get("endOffset"))),
    )
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let results = results(v).unwrap_or(&[]);
    let mut builder = TurnBuilder::new();
    let tagged = |r: &Value| words(r).iter().filter(|w| speaker_of(w).is_some()).count();
    let diarized = results.iter().any(|r| tagged(r) > 0);
    if diarized {
        let (last, rest) = results
            .split_last()
            .expect("results() found at least one result");
        let earlier: usize = rest.iter().map(|r| words(r).len()).sum();
        let read: Vec<&Value> = if tagged(last) >= earlier {
            vec![last]
        } else {
            results.iter().collect()
        };
        for r in read {
            let alt_conf = confidence(
                array(r.get("alternatives"))
                    .first()
                    .and_then(|a| a.get("confidence")),
            );
            for w in words(r) {
                let (Some(word), Some(spk)) =
                    (w.get("word").and_then(Value::as_str), speaker_of(w))
                else {
                    continue;
                };
                let (start, end) = word_times(w);
                builder.word(
                    &speaker_label(spk),
                    Speaker::Unknown,
                    word,
                    start,
                    end,
                    confidence(w.get("confidence")).or(alt_conf),
                );
            }
        }
    } else {
        let channels: BTreeSet<String> = results
            .iter()
            .filter_map(|r| id(r.get("channelTag")))
            .collect();
        let mut segments: Vec<(&Value, String, Option<f64>)> = results
            .iter()
            .map(|r| {
                let label = if channels.len() > 1 {
                    id(r.get("channelTag"))
                        .map(channel_label)
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                let start = words(r).first().and_then(|w| word_times(w).0);
                (r, label, start)
            })
            .collect();
        if channels.len() > 1 {
            segments.sort_by(|a, b| {
                a.2.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.2.unwrap_or(f64::INFINITY))
            });
        }
        for (r, label, start) in segments {
            let alt = array(r.get("alternatives")).first();
            let Some(said) = text(alt.and_then(|a| a.get("transcript"))) else {
                continue;
            };
            let end = words(r)
                .last()
                .and_then(|w| word_times(w).1)
                .or_else(|| google_seconds(r.get("resultEndTime").or(r.get("resultEndOffset"))));
            let index = builder.segment(
                &label,
                Speaker::Unknown,
                said,
                start,
                end,
                confidence(alt.and_then(|a| a.get("confidence"))),
            );
            let ws = words(r).iter().filter_map(|w| {
                let (s, e) = word_times(w);
                Some((
                    w.get("word")?.as_str()?,
                    s,
                    e,
                    confidence(w.get("confidence")),
                ))
            });
            builder.align_words(index, ws);
        }
    }
    let mut call = make_call(input, input.stem(), builder, "google_stt")?;
    call.language_tag = language_tag(results.iter().find_map(|r| text(r.get("languageCode"))));
    Ok(call)
}
