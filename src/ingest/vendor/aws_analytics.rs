//! Amazon Transcribe Call Analytics post-call output and Amazon Connect Contact Lens analysis
//! files: turn-by-turn `Transcript[]` with roles given.
//!
//! - **Call Analytics** turns carry `ParticipantRole` (`AGENT`, `CUSTOMER`), `Content`,
//!   `BeginOffsetMillis`/`EndOffsetMillis`, `LoudnessScores` (plural) and `Items[]` (words with
//!   `Confidence`). The roles come from the `ChannelDefinitions` of the job request — a channel
//!   map — so fcrscan checks them for a swap (`roles_from_channel_map`).
//! - **Contact Lens** voice turns carry `ParticipantId`, joined to `Participants[]` for the role,
//!   and `LoudnessScore` (singular); chat turns carry `ParticipantRole`, `AbsoluteTime` (RFC 3339)
//!   and `Type` (`MESSAGE` or `EVENT`; events such as "participant joined" are skipped). Amazon
//!   Connect knows who the agent is, so these roles are taken as they are. The call_id is
//!   `CustomerMetadata.ContactId` (the raw and redacted files of one contact share it).
//!
//! Loudness is not read. `SYSTEM` messages (queue notices) are kept as turns of unknown role, so
//! they never count as the agent's reply; `CUSTOM_BOT` and `SUPERVISOR` speak for the company.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Content, Format, Input, Kind, TurnBuilder, array, confidence, id, language_tag, make_call, ms,
    text,
};
use crate::ingest::Reject;
use crate::ingest::time::{parse_rfc3339, parse_rfc3339_us};
use crate::model::{Call, Speaker};

/// Amazon Transcribe Call Analytics post-call JSON.
pub struct CallAnalytics;

/// Amazon Connect Contact Lens post-contact analysis JSON (voice and chat).
pub struct ContactLens;

impl Format for CallAnalytics {
    fn name(&self) -> &'static str {
        "aws_call_analytics"
    }
    fn title(&self) -> &'static str {
        "Amazon Transcribe Call Analytics post-call JSON"
    }
    fn detection(&self) -> &'static str {
        "JSON object with Transcript[] turns carrying ParticipantRole and BeginOffsetMillis, without Contact Lens markers"
    }
    fn fields(&self) -> &'static str {
        "Transcript[]{ParticipantRole, Content, BeginOffsetMillis, EndOffsetMillis, Items[]{Content, Type, BeginOffsetMillis, \
         EndOffsetMillis, Confidence}}; LanguageCode; Channel; ConversationCharacteristics.TotalConversationDurationMillis; \
         roles given (checked for a swap); call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        let turns = array(v.get("Transcript"));
        v.is_object()
            && turns
                .first()
                .is_some_and(|t| t.get("ParticipantRole").is_some() && t.get("Content").is_some())
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input, false)]
    }
}

impl Format for ContactLens {
    fn name(&self) -> &'static str {
        "aws_contact_lens"
    }
    fn title(&self) -> &'static str {
        "Amazon Connect Contact Lens analysis JSON (voice and chat)"
    }
    fn detection(&self) -> &'static str {
        "JSON object with Transcript[] and one of Participants[].ParticipantId, CustomerMetadata, ChatTranscriptVersion, \
         or a VOICE-/CHAT- Version"
    }
    fn fields(&self) -> &'static str {
        "Transcript[]{ParticipantId → Participants[].ParticipantRole, or ParticipantRole; Content; BeginOffsetMillis/EndOffsetMillis \
         (voice) or AbsoluteTime (chat); Type}; Channel; LanguageCode; CustomerMetadata.ContactId (call_id); \
         ConversationCharacteristics.TotalConversationDurationMillis; roles given"
    }
    fn kind(&self) -> Kind {
        Kind::Json
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        if !v.get("Transcript").is_some_and(Value::is_array) {
            return false;
        }
        let version = text(v.get("Version")).unwrap_or("");
        array(v.get("Participants"))
            .iter()
            .any(|p| p.get("ParticipantId").is_some())
            || v.get("CustomerMetadata").is_some()
            || v.get("ChatTranscriptVersion").is_some()
            || version.starts_with("VOICE-")
            || version.starts_with("CHAT-")
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Json(v) = content else {
            return Vec::new();
        };
        vec![parse(v, input, true)]
    }
}

/// The role a Connect or Transcribe participant role names.
fn speaker_of(role: &str) -> Speaker {
    match role.to_ascii_uppercase().as_str() {
        "AGENT" | "SUPERVISOR" | "CUSTOM_BOT" => Speaker::Agent,
        "CUSTOMER" => Speaker::Customer,
        _ => Speaker::Unknown,
    }
}

fn parse(v: &Value, input: &Input<'_>, contact_lens: bool) -> Result<Call, Reject> {
    let roles: HashMap<&str, &str> = array(v.get("Participants"))
        .iter()
        .filter_map(|p| {
            Some((
                text(p.get("ParticipantId"))?,
                text(p.get("ParticipantRole"))?,
            ))
        })
        .collect();
    let transcript = array(v.get("Transcript"));
    // Chat times are wall-clock; the chat starts with its first transcript item (often an event).
    let chat_start = transcript
        .iter()
        .find_map(|t| text(t.get("AbsoluteTime")).and_then(parse_rfc3339));
    let chat_start_us = chat_start.map(|t| t.us);
    let mut builder = TurnBuilder::new();
    for turn in transcript {
        if text(turn.get("Type")).is_some_and(|t| t.eq_ignore_ascii_case("EVENT")) {
            continue;
        }
        let Some(content) = text(turn.get("Content")) else {
            continue;
        };
        let role = text(turn.get("ParticipantRole"))
            .or_else(|| {
                text(turn.get("ParticipantId")).and_then(|p| roles.get(p).copied().or(Some(p)))
            })
            .unwrap_or("");
        let (start, end) = match (
            text(turn.get("AbsoluteTime")).and_then(parse_rfc3339_us),
            chat_start_us,
        ) {
            (Some(at), Some(t0)) => (Some((at - t0) as f64 / 1e6), None),
            _ => (
                ms(turn.get("BeginOffsetMillis")),
                ms(turn.get("EndOffsetMillis")),
            ),
        };
        let index = builder.segment(role, speaker_of(role), content, start, end, None);
        let words = array(turn.get("Items"))
            .iter()
            .filter(|i| !text(i.get("Type")).is_some_and(|t| t.eq_ignore_ascii_case("punctuation")))
            .filter_map(|i| {
                Some((
                    i.get("Content")?.as_str()?,
                    ms(i.get("BeginOffsetMillis")),
                    ms(i.get("EndOffsetMillis")),
                    confidence(i.get("Confidence")),
                ))
            });
        builder.align_words(index, words);
    }
    let call_id = if contact_lens {
        id(v.get("CustomerMetadata").and_then(|m| m.get("ContactId")))
    } else {
        None
    }
    .unwrap_or_else(|| input.stem());
    let format = if contact_lens {
        "aws_contact_lens"
    } else {
        "aws_call_analytics"
    };
    let mut call = make_call(input, call_id, builder, format)?;
    call.roles_from_channel_map = !contact_lens;
    call.language_tag = language_tag(text(v.get("LanguageCode")));
    call.channel = text(v.get("Channel")).map(str::to_ascii_lowercase);
    call.duration_s = ms(v
        .get("ConversationCharacteristics")
        .and_then(|c| c.get("TotalConversationDurationMillis")));
    if call.channel.as_deref() == Some("chat") || chat_start_us.is_some() {
        call.set_start(chat_start);
        call.channel.get_or_insert_with(|| "chat".to_string());
        if call.duration_s.is_none()
            && let (Some(t0), Some(last)) = (
                chat_start_us,
                transcript
                    .iter()
                    .rev()
                    .find_map(|t| text(t.get("AbsoluteTime")).and_then(parse_rfc3339_us)),
            )
        {
            call.duration_s = Some((last - t0) as f64 / 1e6);
        }
    }
    Ok(call)
}
