//! Building turns from what engines write: a stream of words (Amazon Transcribe items, Google
//! words, Deepgram words), whole segments (Whisper, Azure phrases, AssemblyAI utterances), or
//! segments with their words beside them.
//!
//! Invariants of what [`TurnBuilder::finish`] returns:
//! - every turn has non-blank text; turns that ended up blank are dropped and the words'
//!   `turn` indices are renumbered to match;
//! - a word's `byte_span`, when set, lies on char boundaries of its turn's text and spells the
//!   word (it was found there, not computed);
//! - a turn without its own start or end takes them from its first and last timed word;
//! - a turn's confidence is the mean of its words' confidences when it has any, else what the
//!   engine gave for the whole segment.

use crate::model::{Speaker, Turn, Word};

/// Silence, in seconds, that starts a new turn in a word stream without speaker labels: one
/// unlabelled turn per recording would put every cue at position 0 of the call, and sentiment
/// over the first and last thirds needs turns spread over time.
pub const UNLABELLED_TURN_PAUSE_S: f64 = 1.5;

/// Accumulates turns and words; see the module docs for what `finish` guarantees.
#[derive(Debug, Default)]
pub struct TurnBuilder {
    turns: Vec<Turn>,
    words: Vec<Word>,
    /// Whether the last turn takes more words.
    open: bool,
    /// Sum and count of the open turn's word confidences.
    conf: Vec<(f64, u32)>,
    last_end: Option<f64>,
    pause_break_s: Option<f64>,
}

impl TurnBuilder {
    /// An empty builder.
    pub fn new() -> TurnBuilder {
        TurnBuilder::default()
    }

    /// Starts a new turn on a silence of at least `seconds` inside a word stream (for sources
    /// without speaker labels; see [`UNLABELLED_TURN_PAUSE_S`]).
    pub fn break_on_pause(mut self, seconds: f64) -> TurnBuilder {
        self.pause_break_s = Some(seconds);
        self
    }

    /// Starts a new, empty turn that takes words.
    pub fn turn(&mut self, label: &str, speaker: Speaker) {
        let mut turn = Turn::new(speaker, String::new());
        turn.speaker_label = label.to_string();
        self.turns.push(turn);
        self.conf.push((0.0, 0));
        self.open = true;
    }

    /// Adds a spoken word. A new turn starts when there is no open turn, when `label` differs
    /// from the open turn's, or after a long silence (see [`TurnBuilder::break_on_pause`]).
    pub fn word(
        &mut self,
        label: &str,
        speaker: Speaker,
        text: &str,
        start_s: Option<f64>,
        end_s: Option<f64>,
        confidence: Option<f32>,
    ) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let paused = match (self.pause_break_s, self.last_end, start_s) {
            (Some(pause), Some(last), Some(start)) => start - last >= pause,
            _ => false,
        };
        let same = self.open
            && self
                .turns
                .last()
                .is_some_and(|t| t.speaker_label == label && t.speaker == speaker);
        if !same || paused {
            self.turn(label, speaker);
        }
        self.push_word_to_open(text, start_s, end_s, confidence, true);
    }

    /// Adds a word to the open turn whatever its label (used by formats whose turns are given and
    /// whose words are listed inside them). Starts an unlabelled turn if none is open.
    pub fn word_in_turn(
        &mut self,
        text: &str,
        start_s: Option<f64>,
        end_s: Option<f64>,
        confidence: Option<f32>,
    ) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !self.open {
            self.turn("", Speaker::Unknown);
        }
        self.push_word_to_open(text, start_s, end_s, confidence, true);
    }

    /// Appends punctuation (or any text that sticks to the previous word) to the open turn.
    /// Punctuation before any word is dropped.
    pub fn punct(&mut self, text: &str) {
        if !self.open {
            return;
        }
        if let Some(turn) = self.turns.last_mut() {
            if turn.text.is_empty() {
                return;
            }
            turn.text.push_str(text);
        }
    }

    fn push_word_to_open(
        &mut self,
        text: &str,
        start_s: Option<f64>,
        end_s: Option<f64>,
        confidence: Option<f32>,
        spaced: bool,
    ) {
        let index = self.turns.len() - 1;
        let turn = self
            .turns
            .last_mut()
            .expect("a turn is open: callers open one first");
        if spaced && !turn.text.is_empty() && !turn.text.ends_with(char::is_whitespace) {
            turn.text.push(' ');
        }
        let begin = turn.text.len();
        turn.text.push_str(text);
        let span = span(begin, turn.text.len());
        turn.word_count = Some(turn.word_count.unwrap_or(0) + 1);
        self.push_word(index, start_s, end_s, confidence, span);
    }

    fn push_word(
        &mut self,
        index: usize,
        start_s: Option<f64>,
        end_s: Option<f64>,
        confidence: Option<f32>,
        byte_span: Option<(u32, u32)>,
    ) {
        let confidence = confidence
            .filter(|c| c.is_finite())
            .map(|c| c.clamp(0.0, 1.0));
        if let Some(c) = confidence
            && let Some(acc) = self.conf.get_mut(index)
        {
            acc.0 += f64::from(c);
            acc.1 += 1;
        }
        let (start_s, end_s) = (finite(start_s), finite(end_s));
        if let Some(e) = end_s.or(start_s) {
            self.last_end = Some(e);
        }
        self.words.push(Word {
            turn: index as u32,
            start_s,
            end_s,
            confidence,
            byte_span,
        });
    }

    /// Adds a whole turn (a segment, an utterance, a phrase). The turn is closed: later
    /// [`TurnBuilder::word`] calls start a new one. Returns its index for
    /// [`TurnBuilder::align_words`].
    pub fn segment(
        &mut self,
        label: &str,
        speaker: Speaker,
        text: &str,
        start_s: Option<f64>,
        end_s: Option<f64>,
        confidence: Option<f32>,
    ) -> usize {
        let mut turn = Turn::new(speaker, text.trim());
        turn.speaker_label = label.to_string();
        turn.start_s = finite(start_s);
        turn.end_s = finite(end_s);
        turn.confidence = confidence
            .filter(|c| c.is_finite())
            .map(|c| c.clamp(0.0, 1.0));
        self.turns.push(turn);
        self.conf.push((0.0, 0));
        self.open = false;
        if let Some(e) = finite(end_s).or(finite(start_s)) {
            self.last_end = Some(e);
        }
        self.turns.len() - 1
    }

    /// Attaches the engine's words to turn `index`, locating each in the turn's text in order
    /// (a word that cannot be found keeps its times and confidence but no span).
    pub fn align_words<'w>(
        &mut self,
        index: usize,
        words: impl IntoIterator<Item = (&'w str, Option<f64>, Option<f64>, Option<f32>)>,
    ) {
        let mut cursor = 0usize;
        let mut count = 0u32;
        for (text, start, end, confidence) in words {
            let Some(turn) = self.turns.get(index) else {
                return;
            };
            let found = locate(&turn.text, cursor, text.trim());
            if let Some((_, end)) = found {
                cursor = end;
            }
            count += 1;
            self.push_word(
                index,
                start,
                end,
                confidence,
                found.and_then(|(b, e)| span(b, e)),
            );
        }
        if count > 0
            && let Some(turn) = self.turns.get_mut(index)
        {
            turn.word_count = Some(count);
        }
    }

    /// The turns and words, with the invariants in the module docs.
    pub fn finish(self) -> (Vec<Turn>, Vec<Word>) {
        let TurnBuilder {
            mut turns,
            mut words,
            conf,
            ..
        } = self;
        for (turn, (sum, n)) in turns.iter_mut().zip(&conf) {
            if *n > 0 {
                turn.confidence = Some((sum / f64::from(*n)) as f32);
            }
        }
        // A turn's own start/end, when the engine gave them, win; words fill the gaps.
        fill_times_from_words(&mut turns, &words);
        for t in &mut turns {
            // Only trailing whitespace is cut (Rev.ai ends monologues with a space element), so
            // word spans, which never cover it, stay valid.
            let kept = t.text.trim_end().len();
            t.text.truncate(kept);
        }
        let mut renumber = Vec::with_capacity(turns.len());
        let mut kept = 0u32;
        for t in &turns {
            if t.text.trim().is_empty() {
                renumber.push(None);
            } else {
                renumber.push(Some(kept));
                kept += 1;
            }
        }
        words.retain_mut(|w| match renumber[w.turn as usize] {
            Some(n) => {
                w.turn = n;
                true
            }
            None => false,
        });
        turns.retain(|t| !t.text.trim().is_empty());
        (turns, words)
    }

    /// Whether any turn has been started.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }
}

fn fill_times_from_words(turns: &mut [Turn], words: &[Word]) {
    let mut bounds: Vec<(Option<f64>, Option<f64>)> = vec![(None, None); turns.len()];
    for w in words {
        let b = &mut bounds[w.turn as usize];
        if let Some(s) = w.start_s.or(w.end_s) {
            b.0 = Some(b.0.map_or(s, |x: f64| x.min(s)));
        }
        if let Some(e) = w.end_s.or(w.start_s) {
            b.1 = Some(b.1.map_or(e, |x: f64| x.max(e)));
        }
    }
    for (turn, (s, e)) in turns.iter_mut().zip(bounds) {
        if turn.start_s.is_none() {
            turn.start_s = s;
        }
        if turn.end_s.is_none() {
            turn.end_s = e;
        }
    }
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

fn span(begin: usize, end: usize) -> Option<(u32, u32)> {
    Some((u32::try_from(begin).ok()?, u32::try_from(end).ok()?))
}

/// Finds `word` in `text` at or after byte `from`; tries again without surrounding punctuation.
fn locate(text: &str, from: usize, word: &str) -> Option<(usize, usize)> {
    if word.is_empty() || from > text.len() || !text.is_char_boundary(from) {
        return None;
    }
    let hay = &text[from..];
    if let Some(p) = hay.find(word) {
        return Some((from + p, from + p + word.len()));
    }
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
    if bare.is_empty() {
        return None;
    }
    hay.find(bare).map(|p| (from + p, from + p + bare.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_make_turns_by_label_and_punctuation_sticks() {
        let mut b = TurnBuilder::new();
        b.word(
            "spk_0",
            Speaker::Unknown,
            "Hello",
            Some(0.5),
            Some(0.9),
            Some(1.0),
        );
        b.punct(",");
        b.word(
            "spk_0",
            Speaker::Unknown,
            "hi",
            Some(1.0),
            Some(1.2),
            Some(0.5),
        );
        b.punct(".");
        b.word("spk_1", Speaker::Unknown, "Yes", Some(2.0), Some(2.4), None);
        let (turns, words) = b.finish();
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].text, "Hello, hi.");
        assert_eq!((turns[0].start_s, turns[0].end_s), (Some(0.5), Some(1.2)));
        assert_eq!(turns[0].confidence, Some(0.75));
        assert_eq!(turns[0].word_count, Some(2));
        assert_eq!(words[1].byte_span, Some((7, 9)));
        assert_eq!(&turns[0].text[7..9], "hi");
        assert_eq!(words[2].turn, 1);
    }

    #[test]
    fn a_long_pause_splits_an_unlabelled_stream() {
        let mut b = TurnBuilder::new().break_on_pause(UNLABELLED_TURN_PAUSE_S);
        b.word("", Speaker::Unknown, "one", Some(0.0), Some(0.5), None);
        b.word("", Speaker::Unknown, "two", Some(1.0), Some(1.5), None);
        b.word("", Speaker::Unknown, "three", Some(3.0), Some(3.5), None);
        let (turns, _) = b.finish();
        assert_eq!(
            turns.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            ["one two", "three"]
        );
    }

    #[test]
    fn segments_keep_their_times_and_aligned_words_find_their_spans() {
        let mut b = TurnBuilder::new();
        b.segment("A", Speaker::Unknown, "   ", Some(0.0), Some(1.0), None);
        let i = b.segment(
            "B",
            Speaker::Unknown,
            "Well, my number is 123.",
            Some(2.0),
            Some(5.0),
            Some(0.9),
        );
        b.align_words(
            i,
            [
                ("Well,", Some(2.0), Some(2.3), Some(0.8)),
                ("missing", None, None, None),
                ("number", Some(2.6), Some(3.0), Some(0.6)),
            ],
        );
        let (turns, words) = b.finish();
        assert_eq!(turns.len(), 1, "the blank segment is dropped");
        assert_eq!(turns[0].start_s, Some(2.0));
        assert_eq!(words.len(), 3);
        assert!(
            words.iter().all(|w| w.turn == 0),
            "renumbered after the drop"
        );
        assert_eq!(words[0].byte_span, Some((0, 5)));
        assert_eq!(words[1].byte_span, None);
        assert_eq!(
            words[2]
                .byte_span
                .map(|(b, e)| &turns[0].text[b as usize..e as usize]),
            Some("number")
        );
        assert!(
            (turns[0].confidence.unwrap() - 0.7).abs() < 1e-6,
            "word confidences win over the segment's"
        );
    }
}
