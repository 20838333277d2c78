//! Plain-text transcripts: one turn per line as `Label: text`, optionally prefixed by a time
//! `[mm:ss]` or `[hh:mm:ss]`; lines starting with `#` are comments; a line without a known label
//! continues the previous turn. The call_id is the file name without its extensions.
//!
//! Labels come from the lexicons' `speaker_labels.txt` (every language), from the built-in
//! English role names, and from diarization-style names (`Speaker 1`, `spk_0`), which are kept
//! with an unknown role.

use crate::lexicon::SpeakerLabel;
use crate::model::{Call, SourceRef, Speaker, Turn};

use super::reject::RejectReason;

/// Parses a text transcript.
pub fn parse_text(
    text: &str,
    call_id: &str,
    source: SourceRef,
    labels: &[SpeakerLabel],
) -> Result<Call, RejectReason> {
    let mut turns: Vec<Turn> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (time, rest) = split_time(line);
        match split_label(rest, labels) {
            Some((label, speaker, said)) => {
                let mut turn = Turn::new(speaker, said.trim());
                turn.speaker_label = label.to_string();
                turn.start_s = time;
                turns.push(turn);
            }
            None => match turns.last_mut() {
                Some(prev) => {
                    prev.text.push(' ');
                    prev.text.push_str(rest);
                }
                None => {
                    let mut turn = Turn::new(Speaker::Unknown, rest);
                    turn.speaker_label = String::new();
                    turn.start_s = time;
                    turns.push(turn);
                }
            },
        }
    }
    turns.retain(|t| !t.text.trim().is_empty());
    if turns.is_empty() {
        return Err(RejectReason::EmptyTurns);
    }
    let mut call = Call::new(call_id, source, turns);
    call.format = "text";
    Ok(call)
}

/// `[01:02] rest` → (Some(62.0), "rest"); `[1:02:03]` also works.
fn split_time(line: &str) -> (Option<f64>, &str) {
    let Some(inner_end) = line.strip_prefix('[').and_then(|l| l.find(']')) else {
        return (None, line);
    };
    let inner = &line[1..=inner_end];
    let mut secs = 0.0;
    for part in inner.split(':') {
        let Ok(v) = part.trim().parse::<f64>() else {
            return (None, line);
        };
        secs = secs * 60.0 + v;
    }
    (Some(secs), line[inner_end + 2..].trim_start())
}

/// `Agent: hello` → ("Agent", Agent, " hello") when the label is known.
fn split_label<'a>(line: &'a str, labels: &[SpeakerLabel]) -> Option<(&'a str, Speaker, &'a str)> {
    let colon = line.find([':', '：'])?;
    let label = line[..colon].trim();
    let colon_len = line[colon..].chars().next().map_or(1, char::len_utf8);
    let said = &line[colon + colon_len..];
    if label.is_empty() || label.chars().count() > 40 {
        return None;
    }
    let lower = label.to_lowercase();
    if let Some(l) = labels.iter().find(|l| l.label == lower) {
        return Some((label, l.speaker, said));
    }
    match Speaker::from_label(label) {
        Speaker::Unknown if is_diarization_label(&lower) => Some((label, Speaker::Unknown, said)),
        Speaker::Unknown => None,
        known => Some((label, known, said)),
    }
}

/// `speaker 1`, `spk_0`, `SPEAKER_01`, `person 2`, `channel 0`: labels that name no role.
fn is_diarization_label(lower: &str) -> bool {
    let name = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches([' ', '_', '-']);
    name.len() < lower.len()
        && matches!(
            name,
            "speaker" | "spk" | "person" | "voice" | "channel" | "ch" | "s"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_times_and_continuations() {
        let labels = [SpeakerLabel {
            label: "상담사".into(),
            speaker: Speaker::Agent,
        }];
        let text = "# sample\n[00:01] 상담사: 안녕하세요\n[00:05] Customer: I called before:\nabout my bill\nSpeaker 2: hi\nNote to self: nothing\n";
        let call = parse_text(text, "t1", SourceRef::file("t1.txt".into()), &labels).unwrap();
        assert_eq!(call.turns.len(), 3);
        assert_eq!(call.turns[0].speaker, Speaker::Agent);
        assert_eq!(call.turns[0].start_s, Some(1.0));
        assert_eq!(call.turns[1].text, "I called before: about my bill");
        assert_eq!(call.turns[2].speaker, Speaker::Unknown);
        assert_eq!(call.turns[2].text, "hi Note to self: nothing");
        assert_eq!(call.format, "text");
    }

    #[test]
    fn a_file_without_text_is_rejected() {
        let err = parse_text(
            "# only a comment\n\n",
            "t",
            SourceRef::file("t.txt".into()),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.code(), "empty_turns");
    }
}
