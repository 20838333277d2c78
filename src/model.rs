//! The shared vocabulary of the pipeline: a [`Call`] made of [`Turn`]s, the [`Speaker`] of a
//! turn, where a record came from ([`SourceRef`]), and the lexicon [`Category`](crate::lexicon::Category) a cue belongs to.
//!
//! Every ingest format produces a [`Call`]; every later stage (normalize, matcher, score, link,
//! output) only ever sees a `Call`. Nothing here parses, matches or writes.

use std::fmt;
use std::sync::Arc;

/// Where a record came from: the input file and, for line-oriented files, the 1-based line.
///
/// The path is shared (`Arc`) because every call and reject of one file carries it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    /// The input file as it was discovered (relative to the command line argument's root).
    pub path: Arc<str>,
    /// 1-based line number for JSON Lines, CSV and text inputs; `None` for whole-file records.
    pub line: Option<u64>,
}

impl SourceRef {
    /// A reference to a whole file.
    pub fn file(path: Arc<str>) -> SourceRef {
        SourceRef { path, line: None }
    }

    /// A reference to one line of a file.
    pub fn line(path: Arc<str>, line: u64) -> SourceRef {
        SourceRef {
            path,
            line: Some(line),
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path, line),
            None => write!(f, "{}", self.path),
        }
    }
}

/// Who spoke a turn.
///
/// Repeat-contact and escalation cues only count when the customer says them; `Unknown` turns
/// still get their hits, marked so, but never raise those flags on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Speaker {
    /// The contact-center agent (or a bot speaking for the company).
    Agent,
    /// The customer.
    Customer,
    /// A speaker whose role is not known (an unmapped diarization label, an IVR, a third party).
    Unknown,
}

impl Speaker {
    /// The stable lowercase name used in data (`agent`, `customer`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
            Speaker::Unknown => "unknown",
        }
    }

    /// Maps the speaker labels found in canonical JSON and plain text (`agent`, `Customer`,
    /// `CUSTOMER`, `caller`, `rep`…) to a role. Labels that name no role map to `Unknown`.
    pub fn from_label(label: &str) -> Speaker {
        // The canonical labels first: nearly every turn has one, and this runs per turn.
        match label {
            "agent" => return Speaker::Agent,
            "customer" => return Speaker::Customer,
            _ => {}
        }
        let label = label.trim();
        const AGENT: &[&str] = &[
            "agent",
            "rep",
            "representative",
            "advisor",
            "operator",
            "csr",
            "staff",
            "support",
            "bot",
            "assistant",
        ];
        const CUSTOMER: &[&str] = &[
            "customer", "caller", "client", "user", "consumer", "member", "visitor",
        ];
        if AGENT.iter().any(|a| label.eq_ignore_ascii_case(a)) {
            Speaker::Agent
        } else if CUSTOMER.iter().any(|c| label.eq_ignore_ascii_case(c)) {
            Speaker::Customer
        } else {
            Speaker::Unknown
        }
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One turn of a conversation: a stretch of speech (or one chat message) by one speaker.
#[derive(Clone, Debug, PartialEq)]
pub struct Turn {
    /// Who spoke.
    pub speaker: Speaker,
    /// The speaker label as the source wrote it (`spk_0`, `SPEAKER_01`, `Customer`), kept for
    /// display and for role inference; empty when it is exactly the role's name (`agent`).
    pub speaker_label: String,
    /// Seconds from the start of the call, when the source has times.
    pub start_s: Option<f64>,
    /// Seconds from the start of the call, when the source has times.
    pub end_s: Option<f64>,
    /// The text as transcribed, never modified (hit offsets point into it).
    pub text: String,
    /// Mean ASR confidence of the turn's words in [0, 1], when the source has it.
    pub confidence: Option<f32>,
    /// Number of words the engine timed in this turn, when the source has word timings.
    pub word_count: Option<u32>,
}

impl Turn {
    /// A turn with a role, a text and no timing; the label is the role's name.
    pub fn new(speaker: Speaker, text: impl Into<String>) -> Turn {
        Turn {
            speaker,
            speaker_label: speaker.as_str().to_string(),
            start_s: None,
            end_s: None,
            text: text.into(),
            confidence: None,
            word_count: None,
        }
    }
}

/// One timed word of a turn, as a speech-to-text engine reported it (issue #6).
///
/// Words are kept per call, not per turn, so formats without word timings (canonical JSON, plain
/// text) carry an empty `Vec` and pay nothing. Conversation timing uses them to find silences
/// inside turns; per-hit ASR confidence uses their spans in the turn text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Word {
    /// Index of the turn in [`Call::turns`] the word belongs to.
    pub turn: u32,
    /// Seconds from the start of the call, when the engine timed the word.
    pub start_s: Option<f64>,
    /// Seconds from the start of the call, when the engine timed the word.
    pub end_s: Option<f64>,
    /// The engine's confidence in the word, in [0, 1].
    pub confidence: Option<f32>,
    /// Byte range of the word in its turn's text, when it could be located there.
    pub byte_span: Option<(u32, u32)>,
}

/// How the language of a call was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LanguageSource {
    /// The record carried a language tag.
    Given,
    /// Identified from the text (script first, then a language identifier).
    Detected,
    /// Neither given nor identifiable.
    Unknown,
}

impl LanguageSource {
    /// The stable lowercase name used in data.
    pub fn as_str(self) -> &'static str {
        match self {
            LanguageSource::Given => "given",
            LanguageSource::Detected => "detected",
            LanguageSource::Unknown => "unknown",
        }
    }
}

/// How the speaker roles of a call were decided (issue #6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleSource {
    /// The format names the roles (canonical JSON, Call Analytics, Contact Lens, PCA, labelled text).
    Given,
    /// A channel map from the command line (`--agent-channel`).
    ChannelMap,
    /// Inferred from what each speaker says.
    Inferred,
    /// Not known: hits are kept but marked.
    Unknown,
}

impl RoleSource {
    /// The stable lowercase name used in data.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Given => "given",
            RoleSource::ChannelMap => "channel_map",
            RoleSource::Inferred => "inferred",
            RoleSource::Unknown => "unknown",
        }
    }
}

/// One call (or chat) as every ingest format delivers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The call's identifier; unique within a run and the key across runs.
    pub call_id: String,
    /// Where the record came from.
    pub source: SourceRef,
    /// Which input format produced it (`canonical_json`, `text`, `aws_transcribe`, …).
    pub format: &'static str,
    /// The customer's identifier, when known (the key for FCR linking).
    pub customer_id: Option<String>,
    /// The agent's identifier, when known.
    pub agent_id: Option<String>,
    /// The queue (skill, line of business), when known.
    pub queue: Option<String>,
    /// `voice`, `chat`, `email` or whatever the source says.
    pub channel: Option<String>,
    /// The BCP-47 tag as given by the record (`pt-BR`, `zh-Hant`), if any.
    pub language_tag: Option<String>,
    /// Start of the call in microseconds since the Unix epoch, UTC: once ingest has finished
    /// the call, always an instant ([`crate::ingest::finish_call`]).
    pub started_at_us: Option<i64>,
    /// `started_at_us` was read from a time without an offset and counts its wall-clock time
    /// as if it were UTC, until ingest places it in the run's `--timezone`.
    pub started_at_local: bool,
    /// Duration in seconds, when known (given, or from the last turn's end).
    pub duration_s: Option<f64>,
    /// The conversation, in order.
    pub turns: Vec<Turn>,
    /// How speaker roles were decided.
    pub role_source: RoleSource,
    /// Confidence in the roles, in [0, 1] (1 when given).
    pub role_confidence: f32,
    /// Whether the roles from the channel map were swapped after inference.
    pub roles_swapped: bool,
    /// The given roles come from a channel or speaker assignment made when the audio was
    /// transcribed (AWS post-call analytics `SpeakerLabels`, Call Analytics `ParticipantRole`),
    /// so they are checked for a swap like a `--agent-channel` map.
    pub roles_from_channel_map: bool,
    /// Timed words, in turn order; empty when the format has no word timings.
    pub words: Vec<Word>,
    /// Extra metadata columns kept with `--metadata-keep`, as (column, value) pairs in the order
    /// named.
    pub extra_metadata: Vec<(String, String)>,
    /// Whether a `--metadata` row was found for the call; `None` when no metadata was given.
    pub metadata_matched: Option<bool>,
}

impl Call {
    /// Sets the start time to one read from text, which may name no offset.
    pub fn set_start(&mut self, start: Option<crate::ingest::time::Stamp>) {
        self.started_at_us = start.map(|t| t.us);
        self.started_at_local = start.is_some_and(|t| t.local);
    }

    /// A call with an id, a source and turns; everything else unknown, roles given.
    pub fn new(call_id: impl Into<String>, source: SourceRef, turns: Vec<Turn>) -> Call {
        Call {
            call_id: call_id.into(),
            source,
            format: "canonical_json",
            customer_id: None,
            agent_id: None,
            queue: None,
            channel: None,
            language_tag: None,
            started_at_us: None,
            started_at_local: false,
            duration_s: None,
            turns,
            role_source: RoleSource::Given,
            role_confidence: 1.0,
            roles_swapped: false,
            roles_from_channel_map: false,
            words: Vec::new(),
            extra_metadata: Vec::new(),
            metadata_matched: None,
        }
    }

    /// The duration when given, else the latest turn end, else `None`.
    pub fn effective_duration_s(&self) -> Option<f64> {
        self.duration_s.or_else(|| {
            self.turns
                .iter()
                .filter_map(|t| t.end_s.or(t.start_s))
                .fold(None, |acc: Option<f64>, e| {
                    Some(acc.map_or(e, |a| a.max(e)))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_labels_map_to_roles_case_insensitively() {
        assert_eq!(Speaker::from_label("Agent"), Speaker::Agent);
        assert_eq!(Speaker::from_label(" CALLER "), Speaker::Customer);
        assert_eq!(Speaker::from_label("spk_0"), Speaker::Unknown);
        // The fast path for the canonical labels agrees with the general one.
        for (label, role) in [("agent", Speaker::Agent), ("customer", Speaker::Customer)] {
            assert_eq!(Speaker::from_label(label), role);
            assert_eq!(Speaker::from_label(&label.to_uppercase()), role);
            assert_eq!(Speaker::from_label(&format!(" {label}\t")), role);
        }
    }

    #[test]
    fn duration_falls_back_to_the_last_turn_end() {
        let mut t1 = Turn::new(Speaker::Agent, "hi");
        t1.end_s = Some(4.0);
        let mut t2 = Turn::new(Speaker::Customer, "hello");
        t2.start_s = Some(9.5);
        let call = Call::new("c", SourceRef::file("f".into()), vec![t1, t2]);
        assert_eq!(call.effective_duration_s(), Some(9.5));
    }
}
