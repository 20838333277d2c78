//! Deepgram pre-recorded (`/v1/listen`) responses: `results.channels[].alternatives[0].words[]`,
//! and `results.utterances[]` when the request asked for utterances.
//!
//! - With utterances: one turn per utterance (`transcript`, `start`, `end`, `confidence`), labelled
//!   `ch_N` for multichannel audio, else `spk_N` when diarized; words align to the text.
//! - Without: a word stream per channel; a turn is a run of one `speaker` (diarized), or, without
//!   speakers, a run without a silence of [`UNLABELLED_TURN_PAUSE_S`]. Multichannel turns are
//!   ordered by time. Word text is `punctuated_word` (smart format) else `word`.
//!
//! Times are seconds (numbers). `metadata.duration` is the duration; the language is the
//! channel's `detected_language` when language detection ran. The call_id is the file name.

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, UNLABELLED_TURN_PAUSE_S, array, channel_label,
    confidence, id, language_tag, make_call, num, speaker_label, text,
};
use crate::ingest::Reject;
use crate::model::{Call, Speaker};

/// Deepgram pre-recorded transcription response.
pub struct Deepgram;

impl Format for Deepgram {
    fn name(&self) -> &'static str {
        "deepgram"
    }
    fn title(&self) -> &'static str {
        "Deepgram pre-recorded response JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with results.channels[] (results is an object)"
    }
    fn fields(&self) -> &'static str {
        "results.channels[].alternatives[0].words[]{word, punctuated_word, start, end, confidence, speaker}; \
         results.utterances[]{start, end, confidence, channel, speaker, transcript, words[]}; metadata.duration; \
         channels[].detected_language; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("results").is_some_and(|r| r.get("channels").is_some_and(Value::is_array)))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input)]
    }
}

fn word_text(w: &Value) -> Option<&str> {
    w.get("punctuated_word")
        .or_else(|| w.get("word"))
        .and_then(Value::as_str)
}

fn parse(v: &Value, input: &Input<'_>) -> Result<Call, Reject> {
    let results = &v["results"];
    let channels = array(results.get("channels"));
    let multi = channels.len() > 1;
    let utterances = array(results.get("utterances"));
    let mut builder;
    if !utterances.is_empty() {
        builder = TurnBuilder::new();
        let mut ordered: Vec<&Value> = utterances.iter().collect();
        ordered.sort_by(|a, b| {
            num(a.get("start"))
                .unwrap_or(f64::INFINITY)
                .total_cmp(&num(b.get("start")).unwrap_or(f64::INFINITY))
        });
        for u in ordered {
            let Some(said) = text(u.get("transcript")) else {
                continue;
            };
            let label = label_for(u, multi, id(u.get("channel")));
            let index = builder.segment(
                &label,
                Speaker::Unknown,
                said,
                num(u.get("start")),
                num(u.get("end")),
                confidence(u.get("confidence")),
            );
            let words = array(u.get("words")).iter().filter_map(|w| {
                Some((
                    word_text(w)?,
                    num(w.get("start")),
                    num(w.get("end")),
                    confidence(w.get("confidence")),
                ))
            });
            builder.align_words(index, words);
        }
    } else {
        let mut words: Vec<(String, &Value)> = Vec::new();
        for (ci, ch) in channels.iter().enumerate() {
            let alt = array(ch.get("alternatives")).first();
            for w in array(alt.and_then(|a| a.get("words"))) {
                words.push((label_for(w, multi, Some(ci.to_string())), w));
            }
        }
        if multi {
            words.sort_by(|a, b| {
                num(a.1.get("start"))
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&num(b.1.get("start")).unwrap_or(f64::INFINITY))
            });
        }
        let labelled = words.iter().any(|(l, _)| !l.is_empty());
        builder = if labelled {
            TurnBuilder::new()
        } else {
            TurnBuilder::new().break_on_pause(UNLABELLED_TURN_PAUSE_S)
        };
        for (label, w) in words {
            let Some(word) = word_text(w) else { continue };
            builder.word(
                &label,
                Speaker::Unknown,
                word,
                num(w.get("start")),
                num(w.get("end")),
                confidence(w.get("confidence")),
            );
        }
    }
    let mut call = make_call(input, input.stem(), builder, "deepgram")?;
    call.duration_s = num(v.get("metadata").and_then(|m| m.get("duration")));
    call.language_tag = language_tag(
        channels
            .iter()
            .find_map(|c| text(c.get("detected_language"))),
    );
    Ok(call)
}

/// `ch_N` for multichannel audio, `spk_N` for a diarized speaker, else no label.
fn label_for(item: &Value, multi: bool, channel: Option<String>) -> String {
    if multi && let Some(c) = channel {
        return channel_label(c);
    }
    id(item.get("speaker"))
        .map(speaker_label)
        .unwrap_or_default()
}
