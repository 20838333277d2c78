//! Conversation timing (issue #6): talk time, silence, overtalk, talk speed and chat response time,
//! measured from word times when the engine gave them and from turn times otherwise; `None` when
//! the format has no times. Also the ASR confidence of a call and of each hit.
//!
//! Definitions (docs/FORMATS.md states them for readers of the data):
//! - **Speech** of a turn is the union of its timed words, or `[start_s, end_s]` when it has no
//!   words with a duration. Pauses inside a turn are therefore silence when the engine timed its
//!   words.
//! - **Talk time** of a role is the length of the union of its speech; the two roles' talk times
//!   can add up to more than the call when they talk over each other.
//! - **Silences** are the gaps between consecutive stretches of anyone's speech;
//!   `non_talk_time_s` sums those of at least the threshold (default 3 s, `--silence-threshold`),
//!   `longest_silence_s` is the longest gap of any length. Time before the first and after the
//!   last speech (ringing, hold music before pick-up) is not counted.
//! - **Overtalk**: `overtalk_s` is the time both roles speak at once. An interruption is a turn
//!   that starts while the other role's turn is under way and overlaps it by at least
//!   [`INTERRUPTION_MIN_OVERLAP_S`]; it is counted for the role that started talking
//!   (`overtalk_by_agent`, `overtalk_by_customer`), and `overtalk_count` is their sum.
//! - **Talk speed**: words per minute of talk time (characters per minute for Chinese and
//!   Japanese, which are not written with spaces), over the turns that have speech times.
//!   Seconds are rounded to the millisecond and speeds to 0.1 per minute.
//! - **First response** (chat only): seconds from the customer's first message to the agent's
//!   first message after it.
//! - **ASR confidence**: the mean of word confidences, else of turn confidences weighted by
//!   words; per hit, the mean of the words the hit covers, else its turn's.
//!
//! Everything is computed per call inside one task (no floating-point sums across threads), with
//! a few small vectors per call and nothing at all when the call has no times. Cost, measured
//! with `perf` on the 100 MB benchmark corpus (6,649 canonical calls, 778,524 timed turns, one
//! thread): about 75 ms for [`measure`] over all calls, a third of it counting words for talk
//! speed — some 4 % of the scan's CPU time (1.6–1.8 CPU-seconds for that file on the 2-core
//! benchmark machine).

use crate::matcher::Hit;
use crate::model::{Call, Speaker, Turn, Word};

/// An interruption must overlap the other speaker by at least this long: engines' turn
/// boundaries overlap by a few tens of milliseconds when speakers merely alternate (Contact
/// Lens's own example has a 20 ms overlap it does not count as an interruption).
pub const INTERRUPTION_MIN_OVERLAP_S: f64 = 0.5;

/// How timing is measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimingOptions {
    /// Silences at least this long count as non-talk time (seconds).
    pub silence_threshold_s: f64,
    /// Hits in speech whose ASR confidence is below this do not count toward flags.
    pub min_confidence: Option<f32>,
}

impl Default for TimingOptions {
    fn default() -> TimingOptions {
        TimingOptions {
            silence_threshold_s: 3.0,
            min_confidence: None,
        }
    }
}

/// The timing columns of one call; every field is `None` when it cannot be measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timing {
    /// Seconds the agent spoke.
    pub talk_time_agent_s: Option<f64>,
    /// Seconds the customer spoke.
    pub talk_time_customer_s: Option<f64>,
    /// Seconds of silences at least as long as the threshold.
    pub non_talk_time_s: Option<f64>,
    /// The longest silence between speech, seconds.
    pub longest_silence_s: Option<f64>,
    /// Interruptions by either role.
    pub overtalk_count: Option<u32>,
    /// Seconds both roles spoke at once.
    pub overtalk_s: Option<f64>,
    /// Interruptions started by the agent.
    pub overtalk_by_agent: Option<u32>,
    /// Interruptions started by the customer.
    pub overtalk_by_customer: Option<u32>,
    /// Agent words (or characters) per minute of talk time.
    pub talk_speed_agent: Option<f64>,
    /// Customer words (or characters) per minute of talk time.
    pub talk_speed_customer: Option<f64>,
    /// Chat: seconds from the customer's first message to the agent's first reply.
    pub first_response_s: Option<f64>,
    /// Mean ASR confidence of the call.
    pub asr_confidence_mean: Option<f32>,
}

/// The ASR confidence of a hit and whether it falls below `--min-confidence`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HitAsr {
    /// Mean confidence of the words the hit covers, else of its turn.
    pub confidence: Option<f32>,
    /// The confidence is below `--min-confidence`: the hit is kept but does not count.
    pub below_min: bool,
}

/// One stretch of speech.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: f64,
    end: f64,
    speaker: Speaker,
}

/// The words of turn `turn` (words are sorted by turn).
fn turn_words(words: &[Word], turn: u32) -> &[Word] {
    let from = words.partition_point(|w| w.turn < turn);
    let to = from + words[from..].partition_point(|w| w.turn == turn);
    &words[from..to]
}

fn is_chat(call: &Call) -> bool {
    call.channel
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("chat"))
}

/// Counts the words (or, for unspaced scripts, letters) of a turn.
fn turn_size(turn: &Turn, chars: bool) -> usize {
    if chars {
        turn.text.chars().filter(|&c| is_letter_or_digit(c)).count()
    } else {
        turn.word_count
            .map_or_else(|| count_words(&turn.text), |n| n as usize)
    }
}

/// `char::is_alphanumeric`, with the ranges of Han, Kana and Hangul text, and the punctuation
/// written between them, decided without the Unicode tables (their lookup was most of this
/// module's time on Chinese and Japanese calls; the punctuation, 0.5% of the instructions of
/// the benchmark's run).
#[inline]
fn is_letter_or_digit(c: char) -> bool {
    match c {
        // The punctuation between them: ideographic space, 、 。 〃 〄, and fullwidth ！ to ／
        // (among them ，) and ： to ＠ (among them ？).
        '\u{3000}'..='\u{3004}' | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' => false,
        // CJK unified ideographs, Hiragana and Katakana letters, the prolonged sound mark,
        // Hangul syllables.
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{30FC}'
        | '\u{AC00}'..='\u{D7A3}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// Whitespace-separated words, counted on bytes as word starts (a byte above space after a
/// space or control byte, or at the start). UTF-8 lead and continuation bytes are all above
/// space, so multi-byte text counts right; only non-ASCII spaces (rare in transcripts) would
/// merge two words. Eight bytes at a time in a `u64` (SWAR): turns are short, so SIMD blocks
/// would spend most of their time in the scalar tail, and the text was already read once by
/// the matcher, so this pass must stay cheap.
fn count_words(text: &str) -> usize {
    let mut starts = 0;
    // The word-byte flag of the byte before the current block, at bit 7.
    let mut carry = 0;
    let mut blocks = text.as_bytes().chunks_exact(8);
    for block in &mut blocks {
        let block: [u8; 8] = block.try_into().expect("chunks of 8");
        starts += word_starts(u64::from_le_bytes(block), &mut carry);
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // Zero padding reads as space: it starts no word.
        let mut block = [0u8; 8];
        block[..rest.len()].copy_from_slice(rest);
        starts += word_starts(u64::from_le_bytes(block), &mut carry);
    }
    starts
}

/// Word starts in eight bytes (little-endian: byte `i` is bits `8i..8i+8`); `carry` holds the
/// flag of the byte before them and is updated for the next block.
#[inline]
fn word_starts(bytes: u64, carry: &mut u64) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const TO_HIGH: u64 = 0x5F5F_5F5F_5F5F_5F5F;
    // Bit 7 of each byte set when the byte is above b' ': below 0x80, adding 0x5F carries into
    // bit 7 exactly from 0x21 up (never into the next byte); from 0x80 up, bit 7 is set already.
    let word = (((bytes & LOW) + TO_HIGH) | bytes) & HIGH;
    let before = (word << 8) | *carry;
    *carry = word >> 56;
    (word & !before).count_ones() as usize
}

/// Measures `call`. `chars_per_minute` selects characters instead of words for talk speed
/// (Chinese, Japanese).
pub fn measure(call: &Call, chars_per_minute: bool, options: &TimingOptions) -> Timing {
    let mut t = Timing {
        asr_confidence_mean: mean_confidence(call),
        ..Timing::default()
    };
    if is_chat(call) {
        t.first_response_s = first_response(call);
        return t;
    }
    if !call
        .turns
        .iter()
        .any(|t| t.start_s.is_some() && t.end_s.is_some())
        && !call
            .words
            .iter()
            .any(|w| w.start_s.is_some() && w.end_s.is_some())
    {
        return t;
    }
    // Sized for a span per turn (or per word): grown by doubling, these vectors were copied
    // several times per call.
    let mut spans: Vec<Span> = Vec::with_capacity(call.turns.len().max(call.words.len()));
    // Per role: words (or characters) of turns that have speech times.
    let mut size = [0usize; 2];
    for (i, turn) in call.turns.iter().enumerate() {
        let before = spans.len();
        for w in turn_words(&call.words, i as u32) {
            // Zero-length words (AWS post-call analytics writes StartTime = EndTime) say when a
            // word was said, not how long: the turn's own span measures such turns.
            if let (Some(s), Some(e)) = (w.start_s, w.end_s)
                && e > s
            {
                spans.push(Span {
                    start: s,
                    end: e,
                    speaker: turn.speaker,
                });
            }
        }
        if spans.len() == before
            && let (Some(s), Some(e)) = (turn.start_s, turn.end_s)
            && e >= s
        {
            spans.push(Span {
                start: s,
                end: e,
                speaker: turn.speaker,
            });
        }
        if spans.len() > before {
            match turn.speaker {
                Speaker::Agent => size[0] += turn_size(turn, chars_per_minute),
                Speaker::Customer => size[1] += turn_size(turn, chars_per_minute),
                Speaker::Unknown => {}
            }
        }
    }
    if spans.is_empty() {
        return t;
    }
    spans.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
    // Silences between anyone's speech.
    let mut longest = 0.0f64;
    let mut non_talk = 0.0f64;
    let mut reach = spans[0].end;
    for s in &spans[1..] {
        if s.start > reach {
            let gap = s.start - reach;
            longest = longest.max(gap);
            if gap >= options.silence_threshold_s {
                non_talk += gap;
            }
        }
        reach = reach.max(s.end);
    }
    t.longest_silence_s = Some(millis(longest));
    t.non_talk_time_s = Some(millis(non_talk));

    let has_roles = call.turns.iter().any(|t| t.speaker != Speaker::Unknown);
    if !has_roles {
        return t;
    }
    let agent = union(&spans, Speaker::Agent);
    let customer = union(&spans, Speaker::Customer);
    let (talk_agent, talk_customer) = (length(&agent), length(&customer));
    t.talk_time_agent_s = Some(millis(talk_agent));
    t.talk_time_customer_s = Some(millis(talk_customer));
    let speed = |n: usize, secs: f64| {
        (n > 0 && secs > 0.0).then(|| (n as f64 * 600.0 / secs).round() / 10.0)
    };
    t.talk_speed_agent = speed(size[0], talk_agent);
    t.talk_speed_customer = speed(size[1], talk_customer);
    t.overtalk_s = Some(millis(intersection(&agent, &customer)));
    let (by_agent, by_customer) = interruptions(call);
    t.overtalk_by_agent = Some(by_agent);
    t.overtalk_by_customer = Some(by_customer);
    t.overtalk_count = Some(by_agent + by_customer);
    t
}

/// Merges the sorted spans of `speaker` into disjoint intervals.
fn union(spans: &[Span], speaker: Speaker) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(spans.len());
    for s in spans.iter().filter(|s| s.speaker == speaker) {
        match out.last_mut() {
            Some(last) if s.start <= last.1 => last.1 = last.1.max(s.end),
            _ => out.push((s.start, s.end)),
        }
    }
    out
}

fn length(intervals: &[(f64, f64)]) -> f64 {
    intervals.iter().map(|(s, e)| e - s).sum()
}

/// Total overlap of two sets of disjoint, sorted intervals.
fn intersection(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if hi > lo {
            total += hi - lo;
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

/// Turns that start inside the other role's turn and overlap it long enough, by who started.
///
/// One sweep over the turns ordered by start, keeping each role's latest end so far: a turn of
/// role X starting at `s` is an interruption when it lasts at least the minimum overlap and
/// some earlier-starting turn of the other role ends at or after `s + min`, because
/// `min(u_end, t_end) - s >= min` holds exactly then. Linear after the sort, where comparing
/// every pair of turns cost as much as parsing the call.
fn interruptions(call: &Call) -> (u32, u32) {
    let mut timed: Vec<(f64, f64, Speaker)> = Vec::with_capacity(call.turns.len());
    timed.extend(
        call.turns
            .iter()
            .filter(|t| t.speaker != Speaker::Unknown)
            .filter_map(|t| Some((t.start_s?, t.end_s?, t.speaker))),
    );
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut by_agent, mut by_customer) = (0, 0);
    // Latest end of agent and customer turns that started strictly before the current group.
    let mut reach = [f64::NEG_INFINITY; 2];
    let role = |s: Speaker| usize::from(s == Speaker::Customer);
    let mut i = 0;
    while i < timed.len() {
        let start = timed[i].0;
        let group_end = i + timed[i..].iter().take_while(|t| t.0 == start).count();
        for &(s, e, speaker) in &timed[i..group_end] {
            let other = reach[1 - role(speaker)];
            if e - s >= INTERRUPTION_MIN_OVERLAP_S && other - s >= INTERRUPTION_MIN_OVERLAP_S {
                if speaker == Speaker::Agent {
                    by_agent += 1;
                } else {
                    by_customer += 1;
                }
            }
        }
        for &(_, e, speaker) in &timed[i..group_end] {
            let r = &mut reach[role(speaker)];
            *r = r.max(e);
        }
        i = group_end;
    }
    (by_agent, by_customer)
}

fn first_response(call: &Call) -> Option<f64> {
    let first_customer = call
        .turns
        .iter()
        .find(|t| t.speaker == Speaker::Customer)?
        .start_s?;
    let reply = call
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Agent)
        .filter_map(|t| t.start_s)
        .find(|&s| s > first_customer)?;
    Some(millis(reply - first_customer))
}

/// Seconds rounded to the millisecond: engines time words to 10 ms at best, and sums of many
/// intervals would otherwise print as 7.380000000000001.
fn millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn mean_confidence(call: &Call) -> Option<f32> {
    let (sum, n) = call
        .words
        .iter()
        .filter_map(|w| w.confidence)
        .fold((0.0f64, 0u64), |(s, n), c| (s + f64::from(c), n + 1));
    if n > 0 {
        return Some((sum / n as f64) as f32);
    }
    let (sum, n) = call
        .turns
        .iter()
        .filter_map(|t| t.confidence.map(|c| (c, turn_size(t, false).max(1))))
        .fold((0.0f64, 0usize), |(s, n), (c, w)| {
            (s + f64::from(c) * w as f64, n + w)
        });
    (n > 0).then(|| (sum / n as f64) as f32)
}

/// The ASR confidence of each hit, parallel to `hits`; empty when the call has no confidence
/// anywhere (the common case for canonical JSON, which then costs nothing).
pub fn hit_confidences(call: &Call, hits: &[Hit], options: &TimingOptions) -> Vec<HitAsr> {
    if hits.is_empty()
        || (call.words.iter().all(|w| w.confidence.is_none())
            && call.turns.iter().all(|t| t.confidence.is_none()))
    {
        return Vec::new();
    }
    hits.iter()
        .map(|h| {
            let words = turn_words(&call.words, h.turn);
            let (sum, n) = words
                .iter()
                .filter(|w| {
                    w.byte_span
                        .is_some_and(|(s, e)| s < h.orig_end && h.orig_start < e)
                })
                .filter_map(|w| w.confidence)
                .fold((0.0f64, 0u32), |(s, n), c| (s + f64::from(c), n + 1));
            let confidence = if n > 0 {
                Some((sum / f64::from(n)) as f32)
            } else {
                call.turns.get(h.turn as usize).and_then(|t| t.confidence)
            };
            let below_min =
                matches!((options.min_confidence, confidence), (Some(min), Some(c)) if c < min);
            HitAsr {
                confidence,
                below_min,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Category;
    use crate::model::SourceRef;

    #[test]
    fn the_cjk_shortcut_agrees_with_the_unicode_tables() {
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(is_letter_or_digit(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    fn turn(speaker: Speaker, text: &str, start: f64, end: f64) -> Turn {
        let mut t = Turn::new(speaker, text);
        t.start_s = Some(start);
        t.end_s = Some(end);
        t
    }

    #[test]
    fn talk_silence_and_overtalk_from_turns() {
        // Agent 0-4, customer 3-8 (interrupts: starts 1 s before the agent ends), silence 8-12,
        // agent 12-15, customer 15.02-16 (a 0 s gap: not an interruption).
        let call = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![
                turn(Speaker::Agent, "hello how can i help", 0.0, 4.0),
                turn(
                    Speaker::Customer,
                    "i called about my bill last week",
                    3.0,
                    8.0,
                ),
                turn(Speaker::Agent, "let me check", 12.0, 15.0),
                turn(Speaker::Customer, "thanks", 15.02, 16.0),
            ],
        );
        let t = measure(&call, false, &TimingOptions::default());
        assert_eq!(t.talk_time_agent_s, Some(7.0));
        assert_eq!(t.talk_time_customer_s, Some(5.0 + 0.98));
        assert_eq!(t.overtalk_s, Some(1.0));
        assert_eq!(
            (
                t.overtalk_count,
                t.overtalk_by_agent,
                t.overtalk_by_customer
            ),
            (Some(1), Some(0), Some(1))
        );
        assert_eq!(t.non_talk_time_s, Some(4.0));
        assert_eq!(t.longest_silence_s, Some(4.0));
        // Agent: 8 words in 7 s.
        assert_eq!(
            t.talk_speed_agent,
            Some(68.6),
            "8 words in 7 s, to 0.1 word per minute"
        );
        assert_eq!(t.first_response_s, None);
        let short = measure(
            &call,
            false,
            &TimingOptions {
                silence_threshold_s: 5.0,
                min_confidence: None,
            },
        );
        assert_eq!(short.non_talk_time_s, Some(0.0));
    }

    #[test]
    fn word_times_find_pauses_inside_a_turn() {
        let mut call = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![turn(Speaker::Agent, "one two", 0.0, 10.0)],
        );
        call.words = vec![
            Word {
                turn: 0,
                start_s: Some(0.0),
                end_s: Some(1.0),
                confidence: Some(0.9),
                byte_span: Some((0, 3)),
            },
            Word {
                turn: 0,
                start_s: Some(6.0),
                end_s: Some(7.0),
                confidence: Some(0.5),
                byte_span: Some((4, 7)),
            },
        ];
        let t = measure(&call, false, &TimingOptions::default());
        assert_eq!(t.talk_time_agent_s, Some(2.0));
        assert_eq!(t.non_talk_time_s, Some(5.0));
        assert_eq!(t.asr_confidence_mean, Some(0.7));
        let hit = Hit {
            turn: 0,
            phrase: 0,
            category: Category::RepeatContact,
            orig_start: 4,
            orig_end: 7,
            negated: false,
            intensified: false,
        };
        let asr = hit_confidences(
            &call,
            &[hit],
            &TimingOptions {
                silence_threshold_s: 3.0,
                min_confidence: Some(0.6),
            },
        );
        assert_eq!(
            asr,
            [HitAsr {
                confidence: Some(0.5),
                below_min: true
            }]
        );
    }

    #[test]
    fn no_times_no_timing_and_chat_first_response() {
        let call = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![Turn::new(Speaker::Agent, "hi")],
        );
        assert_eq!(
            measure(&call, false, &TimingOptions::default()),
            Timing::default()
        );
        let mut chat = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![
                turn(Speaker::Agent, "hello", 1.0, 1.0),
                turn(Speaker::Customer, "my order", 5.0, 5.0),
                turn(Speaker::Agent, "let me look", 21.0, 21.0),
            ],
        );
        chat.channel = Some("chat".into());
        let t = measure(&chat, false, &TimingOptions::default());
        assert_eq!(t.first_response_s, Some(16.0));
        assert_eq!(t.talk_time_agent_s, None);
    }

    proptest::proptest! {
        #[test]
        fn words_are_counted_between_spaces_and_control_bytes(
            text in "[ \t\r\na-zA-Z0-9,.'é가我\u{1}\u{7f}]{0,100}"
        ) {
            // Control bytes separate words too, as documented.
            let words = text.split(|c: char| c <= ' ').filter(|w| !w.is_empty()).count();
            proptest::prop_assert_eq!(count_words(&text), words);
        }
    }

    #[test]
    fn words_are_counted_like_split_whitespace() {
        for text in [
            "",
            " ",
            "one",
            "  two  words ",
            "tab\tand\nnewline",
            "já liguei duas vezes",
            "상담사 연결 해주세요",
            "20% off, ok?",
        ] {
            // Also across the 64-byte blocks the count is summed in.
            let long = format!("{text} x  ").repeat(23);
            assert_eq!(
                count_words(&long),
                long.split_whitespace().count(),
                "{long:?}"
            );
            assert_eq!(
                count_words(text),
                text.split_whitespace().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn chinese_and_japanese_talk_speed_counts_characters() {
        let call = Call::new(
            "c",
            SourceRef::file("f".into()),
            vec![
                turn(Speaker::Customer, "我上次打过电话", 0.0, 6.0),
                turn(Speaker::Agent, "好的", 6.0, 7.0),
            ],
        );
        let t = measure(&call, true, &TimingOptions::default());
        assert_eq!(t.talk_speed_customer, Some(70.0));
    }
}
