//! Subtitle files as Whisper, whisperX and many engines write them: SubRip (`.srt`) and WebVTT
//! (`.vtt`). One turn per cue; the cue's lines are joined with a space.
//!
//! Speakers, when present, come from a WebVTT voice span (`<v Agent>…`), a bracketed prefix
//! (`[SPEAKER_00]: …`, whisperX's SRT), or a `Label: …` prefix whose label is a role name (from
//! the lexicons' `speaker_labels.txt` or the built-in English names) or a diarization label
//! (`Speaker 1`, `spk_0`, `SPEAKER_01`). Other markup (`<i>`, `<c.x>`, `<00:00:01.000>`) is
//! removed. Times: `hh:mm:ss,mmm` (SRT) and `[hh:]mm:ss.mmm` (WebVTT). The call_id is the file
//! name. A file whose cues have no text is rejected like any other empty transcript.

use super::{Content, Format, Input, Kind, TurnBuilder, extension, make_call};
use crate::ingest::{Reject, RejectReason};
use crate::lexicon::SpeakerLabel;
use crate::model::{Call, Speaker};

/// SubRip subtitles.
pub struct Srt;

/// WebVTT subtitles.
pub struct WebVtt;

/// Whether `body` (trimmed start) is a WebVTT file.
pub fn looks_like_webvtt(body: &str) -> bool {
    body.starts_with("WEBVTT")
}

/// Whether `body` (trimmed start) is an SRT file: a cue number, then a timing line.
pub fn looks_like_srt(body: &str) -> bool {
    let mut lines = body.lines().map(str::trim);
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) && parse_timing(second).is_some()
}

impl Format for Srt {
    fn name(&self) -> &'static str {
        "srt"
    }
    fn title(&self) -> &'static str {
        "SubRip subtitles (.srt) from Whisper, whisperX and others"
    }
    fn detection(&self) -> &'static str {
        "text starting with a cue number and a `hh:mm:ss,mmm --> hh:mm:ss,mmm` line, or a .srt file"
    }
    fn fields(&self) -> &'static str {
        "cue start/end times; cue text (lines joined); speaker from a `[SPEAKER_00]:` or `Label:` prefix; call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn detect(&self, content: Content<'_>, input: &Input<'_>) -> bool {
        let Content::Text(t) = content else {
            return false;
        };
        let body = t.trim_start_matches('\u{feff}').trim_start();
        looks_like_srt(body) || (extension(input) == "srt" && !looks_like_webvtt(body))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Text(t) = content else {
            return Vec::new();
        };
        vec![parse(t, input, "srt")]
    }
}

impl Format for WebVtt {
    fn name(&self) -> &'static str {
        "webvtt"
    }
    fn title(&self) -> &'static str {
        "WebVTT subtitles (.vtt) from Whisper, whisperX and others"
    }
    fn detection(&self) -> &'static str {
        "text starting with WEBVTT"
    }
    fn fields(&self) -> &'static str {
        "cue start/end times; cue text (lines joined, markup removed); speaker from <v Name>, `[SPEAKER_00]:` or `Label:`; \
         call_id = file name"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn detect(&self, content: Content<'_>, _input: &Input<'_>) -> bool {
        matches!(content, Content::Text(t) if looks_like_webvtt(t.trim_start_matches('\u{feff}').trim_start()))
    }
    fn parse(&self, content: Content<'_>, input: &Input<'_>) -> Vec<Result<Call, Reject>> {
        let Content::Text(t) = content else {
            return Vec::new();
        };
        vec![parse(t, input, "webvtt")]
    }
}

fn parse(text: &str, input: &Input<'_>, format: &'static str) -> Result<Call, Reject> {
    let text = text.trim_start_matches('\u{feff}');
    let mut builder = TurnBuilder::new();
    let mut timing: Option<(f64, f64)> = None;
    let mut lines: Vec<&str> = Vec::new();
    let mut cues = 0usize;
    let flush =
        |timing: &mut Option<(f64, f64)>, lines: &mut Vec<&str>, builder: &mut TurnBuilder| {
            if let Some((start, end)) = timing.take() {
                let joined = lines.join(" ");
                let (label, speaker, said) = split_speaker(&joined, &input.options.speaker_labels);
                let said = strip_markup(said);
                builder.segment(&label, speaker, &said, Some(start), Some(end), None);
            }
            lines.clear();
        };
    for line in text.lines() {
        let line = line.trim();
        if let Some(t) = parse_timing(line) {
            flush(&mut timing, &mut lines, &mut builder);
            timing = Some(t);
            cues += 1;
        } else if line.is_empty() {
            flush(&mut timing, &mut lines, &mut builder);
        } else if timing.is_some() {
            lines.push(line);
        }
    }
    flush(&mut timing, &mut lines, &mut builder);
    if cues == 0 {
        return Err(input.reject(
            RejectReason::UnsupportedFormat(format!("{format} file without any `-->` timing line")),
            None,
        ));
    }
    make_call(input, input.stem(), builder, format)
}

/// `00:00:01,000 --> 00:00:04,500 align:start` → (1.0, 4.5).
fn parse_timing(line: &str) -> Option<(f64, f64)> {
    let (a, b) = line.split_once("-->")?;
    let b = b.split_whitespace().next()?;
    Some((parse_clock(a.trim())?, parse_clock(b)?))
}

/// `hh:mm:ss,mmm`, `hh:mm:ss.mmm` or `mm:ss.mmm` → seconds.
fn parse_clock(s: &str) -> Option<f64> {
    let s = s.replace(',', ".");
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut total = 0.0;
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit() || (last && b == b'.')) {
            return None;
        }
        total = total * 60.0 + p.parse::<f64>().ok()?;
    }
    Some(total)
}

/// Finds the speaker of a cue: `<v Name>`, `[Name]:`/`[Name]`, or `Name:` when the name is a
/// role or diarization label. Returns (label, role, rest of the text).
fn split_speaker<'a>(cue: &'a str, labels: &[SpeakerLabel]) -> (String, Speaker, &'a str) {
    let role = |name: &str| -> Speaker {
        let lower = name.to_lowercase();
        labels
            .iter()
            .find(|l| l.label == lower)
            .map_or_else(|| Speaker::from_label(name), |l| l.speaker)
    };
    if let Some(rest) = cue.strip_prefix("<v")
        && let Some(close) = rest.find('>')
    {
        let name = rest[..close].trim_start_matches(['.', ' ']).trim();
        let name = name
            .split_once(' ')
            .map_or(
                name,
                |(classes, n)| if classes.contains('.') { n } else { name },
            )
            .trim();
        return (name.to_string(), role(name), &rest[close + 1..]);
    }
    if let Some(rest) = cue.strip_prefix('[')
        && let Some(close) = rest.find(']')
    {
        let name = rest[..close].trim();
        if !name.is_empty()
            && name.chars().count() <= 40
            && (is_diarization_label(name) || role(name) != Speaker::Unknown)
        {
            let said = rest[close + 1..]
                .trim_start()
                .strip_prefix(':')
                .unwrap_or(&rest[close + 1..]);
            return (name.to_string(), role(name), said);
        }
    }
    if let Some(colon) = cue.find(':') {
        let name = cue[..colon].trim();
        if !name.is_empty()
            && name.chars().count() <= 40
            && (is_diarization_label(name) || role(name) != Speaker::Unknown)
        {
            return (name.to_string(), role(name), &cue[colon + 1..]);
        }
    }
    (String::new(), Speaker::Unknown, cue)
}

/// `Speaker 1`, `SPEAKER_01`, `spk_0`: labels that number speakers.
fn is_diarization_label(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches([' ', '_', '-']);
    stem.len() < lower.len()
        && matches!(
            stem,
            "speaker" | "spk" | "person" | "voice" | "channel" | "ch"
        )
}

/// Removes WebVTT/SRT markup (`<i>`, `</v>`, `<c.loud>`, `<00:01.000>`, `{\an8}`).
fn strip_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut brace = false;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            '{' if s.contains("{\\") => brace = true,
            '}' if brace => brace = false,
            _ if depth == 0 && !brace => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_timings() {
        assert_eq!(
            parse_timing("00:00:01,000 --> 00:00:04,500"),
            Some((1.0, 4.5))
        );
        assert_eq!(
            parse_timing("01:02.250 --> 01:03.000 align:start position:10%"),
            Some((62.25, 63.0))
        );
        assert_eq!(parse_timing("1 --> 2"), None);
        assert_eq!(parse_timing("hello"), None);
    }

    #[test]
    fn speakers_from_voice_spans_brackets_and_labels() {
        let labels = [SpeakerLabel {
            label: "상담사".into(),
            speaker: Speaker::Agent,
        }];
        let (l, s, rest) = split_speaker("<v Agent>Thanks for calling</v>", &labels);
        assert_eq!(
            (l.as_str(), s, strip_markup(rest).as_str()),
            ("Agent", Speaker::Agent, "Thanks for calling")
        );
        let (l, s, rest) = split_speaker("[SPEAKER_01]: I called yesterday", &labels);
        assert_eq!(
            (l.as_str(), s, rest.trim()),
            ("SPEAKER_01", Speaker::Unknown, "I called yesterday")
        );
        let (l, s, _) = split_speaker("상담사: 네 고객님", &labels);
        assert_eq!((l.as_str(), s), ("상담사", Speaker::Agent));
        let (l, _, rest) = split_speaker("Note: this is not a speaker", &labels);
        assert_eq!((l.as_str(), rest), ("", "Note: this is not a speaker"));
    }
}
