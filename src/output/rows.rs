//! From scanned calls and rejects to table rows. The column order here follows
//! [`super::schema`]; the batch builder checks every value's type against it.

use crate::ingest::Reject;
use crate::lexicon::Lexicon;
use crate::scan::ScannedCall;
use crate::score::is_counted;
use crate::zone::Zone;

use super::batch::BatchBuilder;
use super::dataset::{DatasetWriter, OutputError};
use super::schema::{CALLS, HITS, REJECTS, TURNS};

/// Which calls get their transcript written to the `turns` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranscriptPolicy {
    /// Calls with a repeat-contact or escalation flag, or customer sentiment ≤ −0.5.
    Flagged,
    /// Every call.
    All,
    /// None.
    None,
}

impl TranscriptPolicy {
    /// Whether `call`'s transcript is written.
    pub fn includes(self, call: &ScannedCall) -> bool {
        match self {
            TranscriptPolicy::All => true,
            TranscriptPolicy::None => false,
            TranscriptPolicy::Flagged => {
                let s = &call.score;
                s.repeat_contact || s.escalation || s.sentiment.is_some_and(|v| v <= -0.5)
            }
        }
    }
}

/// The `call_date` partition of a call: its date in `zone`, or `unknown`.
pub fn call_date(scanned: &ScannedCall, zone: &Zone) -> String {
    scanned
        .call
        .started_at_us
        .map_or_else(|| "unknown".to_string(), |us| zone.date_of(us))
}

/// Appends a call's rows to the calls, hits and (per `transcripts`) turns tables, in the
/// partition `date` (its [`call_date`], which the caller also records).
pub fn write_call(
    out: &mut DatasetWriter,
    scanned: &ScannedCall,
    date: &str,
    lexicon: &Lexicon,
    fingerprint: &str,
    transcripts: TranscriptPolicy,
) -> Result<(), OutputError> {
    let c = &scanned.call;
    let s = &scanned.score;
    let t = &scanned.timing;
    let extra_metadata = (!c.extra_metadata.is_empty()).then(|| {
        let map: serde_json::Map<String, serde_json::Value> = c
            .extra_metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    });
    out.append(&CALLS, Some(date), |b: &mut BatchBuilder| {
        b.row()
            .str(&c.call_id)
            .str(&c.source.path)
            .opt_i64(c.source.line.map(|l| l as i64))
            .str(c.format)
            .str(&scanned.language.code)
            .opt_str(c.language_tag.as_deref())
            .str(scanned.language.source.as_str())
            .opt_str(c.customer_id.as_deref())
            .opt_str(c.agent_id.as_deref())
            .opt_str(c.queue.as_deref())
            .opt_str(c.channel.as_deref())
            .opt_timestamp_us(c.started_at_us)
            .opt_f64(c.effective_duration_s())
            .i32(c.turns.len() as i32)
            .bool(s.repeat_contact)
            .i32(s.repeat_contact_hits as i32)
            .bool(s.escalation)
            .i32(s.escalation_hits as i32)
            .opt_f32(s.sentiment)
            .opt_f32(s.sentiment_agent)
            .opt_f32(s.sentiment_start)
            .opt_f32(s.sentiment_end)
            .i32(s.negative_hits as i32)
            .i32(s.positive_hits as i32)
            .opt_f64(s.first_repeat_cue_s)
            .str_list(
                s.topics
                    .iter()
                    .map(|&t| lexicon.topics[t as usize].as_str()),
            )
            .str(c.role_source.as_str())
            .f32(c.role_confidence)
            .bool(c.roles_swapped)
            .str(fingerprint)
            .opt_f64(t.talk_time_agent_s)
            .opt_f64(t.talk_time_customer_s)
            .opt_f64(t.non_talk_time_s)
            .opt_f64(t.longest_silence_s)
            .opt_i32(t.overtalk_count.map(|n| n as i32))
            .opt_f64(t.overtalk_s)
            .opt_i32(t.overtalk_by_agent.map(|n| n as i32))
            .opt_i32(t.overtalk_by_customer.map(|n| n as i32))
            .opt_f64(t.talk_speed_agent)
            .opt_f64(t.talk_speed_customer)
            .opt_f64(t.first_response_s)
            .opt_f32(t.asr_confidence_mean)
            .opt_bool(c.metadata_matched)
            .opt_str(extra_metadata.as_deref())
            .end()
    })?;
    if scanned.hits.iter().any(|h| h.category.is_reported()) {
        out.append(&HITS, Some(date), |b| {
            for (i, hit) in scanned
                .hits
                .iter()
                .enumerate()
                .filter(|(_, h)| h.category.is_reported())
            {
                let asr = scanned.hit_asr.get(i).copied().unwrap_or_default();
                let turn = &c.turns[hit.turn as usize];
                let phrase = &lexicon.phrases[hit.phrase as usize];
                let (start, end) = (hit.orig_start as usize, hit.orig_end as usize);
                let char_start = turn.text[..start].chars().count();
                let char_end = char_start + turn.text[start..end].chars().count();
                b.row()
                    .str(&c.call_id)
                    .i32(hit.turn as i32)
                    .str(turn.speaker.as_str())
                    .str(lexicon.category_name(hit.category))
                    .str(phrase.lang.code())
                    .str(&phrase.text)
                    .str(&turn.text[start..end])
                    .i32(char_start as i32)
                    .i32(char_end as i32)
                    .opt_f64(turn.start_s)
                    .bool(hit.negated)
                    .bool(hit.intensified)
                    .bool(is_counted(lexicon, hit.category, turn.speaker) && !asr.below_min)
                    .opt_f32(asr.confidence)
                    .end();
            }
        })?;
    }
    if transcripts.includes(scanned) {
        out.append(&TURNS, Some(date), |b| {
            for (i, turn) in c.turns.iter().enumerate() {
                b.row()
                    .str(&c.call_id)
                    .i32(i as i32)
                    .str(turn.speaker.as_str())
                    .str(if turn.speaker_label.is_empty() {
                        turn.speaker.as_str()
                    } else {
                        &turn.speaker_label
                    })
                    .opt_f64(turn.start_s)
                    .opt_f64(turn.end_s)
                    .str(&turn.text)
                    .opt_f32(turn.confidence)
                    .end();
            }
        })?;
    }
    Ok(())
}

/// Appends a reject row.
pub fn write_reject(out: &mut DatasetWriter, reject: &Reject) -> Result<(), OutputError> {
    out.append(&REJECTS, None, |b| {
        b.row()
            .str(&reject.source.path)
            .opt_i64(reject.source.line.map(|l| l as i64))
            .opt_str(reject.call_id.as_deref())
            .str(reject.reason.code())
            .str(&reject.reason.to_string())
            .end()
    })
}
