//! PII redaction for everything the report and `fcrscan show` display: payment card numbers
//! (Luhn-checked), e-mail addresses (written or spoken: "jane dot doe at example dot com"), phone
//! numbers and long digit runs (account, order and ID numbers), in any script the lexicons
//! support: ASCII, full-width (`４１１１`), Arabic-Indic (`٠١٠`), Extended Arabic-Indic,
//! Devanagari (`९८७`) and other decimal digits, CJK numerals (`一三八〇〇`), and digits spoken
//! as words in the lexicon languages ("four one one one…", "cuatro cinco…").
//!
//! This module owns two things: finding PII spans in a turn's text ([`find_pii`]), and cutting a
//! turn into display [`Segment`]s around the cue hits ([`segment`]), so that redaction never
//! shifts or breaks a highlighted span. The dataset keeps the text as transcribed; redaction
//! happens only on the way to a person.
//!
//! # Why segments, not same-length masks
//!
//! A turn is cut at hit boundaries first: each highlighted cue becomes one [`Segment::Mark`]
//! holding its own text, so its position is fixed by construction and never computed from
//! offsets into redacted text. Outside the marks, each PII span is replaced by one
//! [`Segment::Redacted`] placeholder that says what was removed (`[card]`, `[email]`), which is
//! what a reviewer needs and does not reveal the length of the number or address (a same-length
//! mask would). PII is found on the whole turn, so a number is caught even when a cue touches it;
//! the rare characters of PII that fall *inside* a cue are masked one for one with `•`, which
//! keeps the cue whole. Nothing in a turn is ever both highlighted and shown unredacted.
//!
//! # Rules, and what they cost
//!
//! Detection is deliberately greedy: a false alarm hides a few characters of context, a miss
//! shows a card number to every reader of the report.
//!
//! - **Digits** join across at most two separators (space, `-`, `.`, `/`, `,`, parentheses and
//!   their full-width forms), so `(415) 555-0132`, `4111 1111 1111 1111` and ASR's
//!   `4111, 1111, 1111` are one candidate. A candidate of 13–19 digits that passes the Luhn check
//!   is a card; 7–15 digits written in groups or starting with `+` or `0` a phone; anything else
//!   of 7 digits or more, or with an unbroken run of [`LONG_DIGIT_RUN`], a number (account,
//!   order, one-time code). The kind only labels the placeholder: all of them are redacted. Dates (`2026-11-02`, `02.11.2026`) and amounts with
//!   thousands separators (`1,250,000.00`) are left alone.
//! - **Spoken digits**: [`SPOKEN_DIGIT_RUN`] or more digit words in a row are classified the same
//!   way (a card read out digit by digit still passes the Luhn check).
//! - **Across turns**: a card read out in pieces, one turn each, is found on the whole call
//!   ([`cards_across_turns`]) and redacted in every turn it spans.
//! - **E-mail**: `local@domain.tld` (also `＠`), where local and domain are letters of alphabetic
//!   scripts, digits and `._%+-`; CJK characters end an address, since those scripts write no
//!   space before it. Spoken: `<word> (dot <word>)* at <word> (dot <word>)+` ending in a known
//!   top-level domain, with `at`/`arroba`/`arobase` and `dot`/`punto`/`ponto`/`punkt`/`point`/
//!   `titik`/`chấm`.
//!
//! Not detected: street addresses and names (no lexicon can tell them from other words), and
//! numbers spoken with multipliers ("double five", "triple zero").
//!
//! Cost: one pass over the turn's characters plus one over its words; the report redacts 10,000
//! flagged calls of about twenty turns each in well under a second.

use std::fmt;
use std::ops::RangeInclusive;

/// Unbroken digits from which a run is redacted as a number (account, order, one-time codes).
pub const LONG_DIGIT_RUN: usize = 6;

/// Digit words in a row from which spoken digits are redacted.
pub const SPOKEN_DIGIT_RUN: usize = 6;

/// The character that replaces the PII characters that fall inside a highlighted cue.
pub const MASK: char = '•';

/// What kind of PII a span holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiKind {
    /// An e-mail address, written or spoken.
    Email,
    /// A payment card number (13–19 digits passing the Luhn check).
    Card,
    /// A phone number (7–15 digits).
    Phone,
    /// Any other long digit run: account, order, customer or one-time code.
    Number,
}

impl PiiKind {
    /// The stable lowercase name used in the report data and placeholders.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Card => "card",
            PiiKind::Phone => "phone",
            PiiKind::Number => "number",
        }
    }

    /// The placeholder shown instead of the PII: `[card]`.
    pub fn placeholder(self) -> String {
        format!("[{}]", self.as_str())
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span of PII in a text, in Unicode characters (`char_end` exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiiSpan {
    /// What it is.
    pub kind: PiiKind,
    /// First character.
    pub char_start: usize,
    /// One past the last character.
    pub char_end: usize,
}

/// One piece of a displayed turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Plain text (redacted when redaction is on).
    Text(String),
    /// A highlighted cue: the union of one or more overlapping hits. `hits` are the indices of
    /// the hits (as given to [`segment`]) it covers, in input order.
    Mark {
        /// Indices of the hits this mark shows.
        hits: Vec<usize>,
        /// The cue as transcribed; any PII characters inside it are replaced by [`MASK`].
        text: String,
    },
    /// Removed PII.
    Redacted(PiiKind),
}

impl Segment {
    /// The text a reader sees for this segment (a placeholder for redacted PII).
    pub fn display_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Segment::Text(t) | Segment::Mark { text: t, .. } => std::borrow::Cow::Borrowed(t),
            Segment::Redacted(kind) => std::borrow::Cow::Owned(kind.placeholder()),
        }
    }

    /// Displayed length in characters.
    fn display_len(&self) -> usize {
        self.display_text().chars().count()
    }
}

/// Joins segments into the text a reader sees.
///
/// ```
/// use fcrscan::report::redact::{display_text, segment};
///
/// let segs = segment("i called last week, card 4111 1111 1111 1111", &[(2, 18)], true);
/// assert_eq!(display_text(&segs), "i called last week, card [card]");
/// ```
pub fn display_text(segments: &[Segment]) -> String {
    segments.iter().map(|s| s.display_text()).collect()
}

/// Redacts PII in a text with no cues in it (metadata values, a lone matched phrase).
///
/// ```
/// use fcrscan::report::redact::redact_text;
///
/// assert_eq!(redact_text("mail jane.doe@example.com or call +1 415 555 0132"), "mail [email] or call [phone]");
/// assert_eq!(redact_text("cust-en-77"), "cust-en-77");
/// ```
pub fn redact_text(text: &str) -> String {
    display_text(&segment(text, &[], true))
}

/// `text` with control characters (other than tab and newline) and bidirectional overrides and
/// isolates replaced one for one by U+FFFD, for values shown without redaction (ids, queues).
///
/// ```
/// use fcrscan::report::redact::clean;
///
/// assert_eq!(clean("chat\u{202E}<i>"), "chat\u{FFFD}<i>");
/// ```
pub fn clean(text: &str) -> String {
    text.chars().map(displayable).collect()
}

/// Cuts `text` into display segments: hits (character spans `(char_start, char_end)`, as in
/// the hits table) become [`Segment::Mark`]s, overlapping hits merged into one mark; with
/// `redact`, PII outside marks becomes [`Segment::Redacted`] and PII inside marks is masked
/// with [`MASK`], one for one.
///
/// Control characters (other than tab and newline) and bidirectional overrides and isolates are
/// replaced one for one with U+FFFD, so a transcript cannot reorder what the reader sees. Spans
/// that are empty or reach past the text are ignored (the text is still shown).
pub fn segment(text: &str, hits: &[(usize, usize)], redact: bool) -> Vec<Segment> {
    segment_with(text, hits, redact, &[])
}

/// [`segment`], with PII spans found beyond the turn's own text redacted too (a card read out
/// over several turns: [`cards_across_turns`]).
pub fn segment_with(
    text: &str,
    hits: &[(usize, usize)],
    redact: bool,
    also: &[PiiSpan],
) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().map(displayable).collect();
    let n = chars.len();

    // Which merged mark each character belongs to.
    let mut spans: Vec<(usize, usize, usize)> = hits
        .iter()
        .enumerate()
        .filter(|(_, (s, e))| s < e && *e <= n)
        .map(|(i, &(s, e))| (s, e, i))
        .collect();
    spans.sort();
    let mut marks: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    for (s, e, i) in spans {
        match marks.last_mut() {
            Some(last) if s < last.1 => {
                last.1 = last.1.max(e);
                last.2.push(i);
            }
            _ => marks.push((s, e, vec![i])),
        }
    }
    let mut mark_of: Vec<Option<usize>> = vec![None; n];
    for (m, (s, e, hits)) in marks.iter_mut().enumerate() {
        hits.sort_unstable();
        mark_of[*s..*e].iter_mut().for_each(|x| *x = Some(m));
    }

    let mut pii_of: Vec<Option<usize>> = vec![None; n];
    let pii = if redact {
        let mut found = find_pii_chars(&chars);
        found.extend(
            also.iter()
                .filter(|s| s.char_start < s.char_end && s.char_end <= n),
        );
        merge(found)
    } else {
        Vec::new()
    };
    for (p, span) in pii.iter().enumerate() {
        pii_of[span.char_start..span.char_end]
            .iter_mut()
            .for_each(|x| *x = Some(p));
    }

    let mut out: Vec<Segment> = Vec::new();
    let mut i = 0;
    while i < n {
        if let Some(m) = mark_of[i] {
            let (s, e, ref hits) = marks[m];
            let text: String = (s..e)
                .map(|j| if pii_of[j].is_some() { MASK } else { chars[j] })
                .collect();
            out.push(Segment::Mark {
                hits: hits.clone(),
                text,
            });
            i = e;
        } else if let Some(p) = pii_of[i] {
            while i < n && pii_of[i] == Some(p) && mark_of[i].is_none() {
                i += 1;
            }
            out.push(Segment::Redacted(pii[p].kind));
        } else {
            let start = i;
            while i < n && pii_of[i].is_none() && mark_of[i].is_none() {
                i += 1;
            }
            out.push(Segment::Text(chars[start..i].iter().collect()));
        }
    }
    out
}

/// The segments `segments[marks]` (from one mark to another, or one mark alone) with up to
/// `context_chars` displayed characters on each side, cut at a space where there is one, with
/// `…` where text was cut. Redacted placeholders and other marks are kept whole or left out,
/// never cut.
pub fn excerpt(
    segments: &[Segment],
    marks: RangeInclusive<usize>,
    context_chars: usize,
) -> Vec<Segment> {
    let (first, last) = (*marks.start(), *marks.end());
    let mut out = context(segments[..first].iter().rev(), context_chars, true);
    out.reverse();
    out.extend_from_slice(&segments[first..=last]);
    out.extend(context(segments[last + 1..].iter(), context_chars, false));
    out
}

/// Displayed characters of `segments`.
pub fn display_len(segments: &[Segment]) -> usize {
    segments.iter().map(Segment::display_len).sum()
}

/// Up to `budget` displayed characters of `segs`, walking away from a mark (`before`: leftwards).
fn context<'a>(
    segs: impl Iterator<Item = &'a Segment>,
    mut budget: usize,
    before: bool,
) -> Vec<Segment> {
    let mut out = Vec::new();
    for seg in segs {
        let len = seg.display_len();
        if len <= budget {
            budget -= len;
            out.push(seg.clone());
            continue;
        }
        let cut = match seg {
            Segment::Text(t) if before => {
                let tail: String = t.chars().skip(len - budget).collect();
                // Drop the partial first word when there is a space to cut at (not in CJK text).
                let tail = tail
                    .find(char::is_whitespace)
                    .map_or(tail.as_str(), |at| tail[at..].trim_start());
                format!("…{tail}")
            }
            Segment::Text(t) => {
                let head: String = t.chars().take(budget).collect();
                let head = head
                    .rfind(char::is_whitespace)
                    .map_or(head.as_str(), |at| head[..at].trim_end());
                format!("{head}…")
            }
            _ => "…".to_string(),
        };
        out.push(Segment::Text(cut));
        break;
    }
    out
}

/// Finds PII in `text`: sorted, non-overlapping spans in characters.
///
/// ```
/// use fcrscan::report::redact::{PiiKind, find_pii};
///
/// let spans = find_pii("カード番号は４１１１１１１１１１１１１１１１です");
/// assert_eq!(spans.len(), 1);
/// assert_eq!(spans[0].kind, PiiKind::Card);
/// assert_eq!((spans[0].char_start, spans[0].char_end), (6, 22));
/// ```
pub fn find_pii(text: &str) -> Vec<PiiSpan> {
    let chars: Vec<char> = text.chars().collect();
    find_pii_chars(&chars)
}

fn find_pii_chars(chars: &[char]) -> Vec<PiiSpan> {
    let words = words(chars);
    let mut spans = Vec::new();
    emails(chars, &mut spans);
    spoken_emails(chars, &words, &mut spans);
    digit_runs(chars, &mut spans);
    spoken_digits(chars, &words, &mut spans);
    merge(spans)
}

/// Sorts spans and merges overlapping ones; the merged span keeps the first kind in
/// [`PiiKind`] order (an e-mail containing digits stays an e-mail).
fn merge(mut spans: Vec<PiiSpan>) -> Vec<PiiSpan> {
    spans.sort_by_key(|s| (s.char_start, s.char_end));
    let mut out: Vec<PiiSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.char_start < last.char_end => {
                last.char_end = last.char_end.max(s.char_end);
                last.kind = last.kind.min(s.kind);
            }
            _ => out.push(s),
        }
    }
    out
}

/// Replaces characters that could reorder or hide text with U+FFFD (one for one).
fn displayable(c: char) -> char {
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
    if bidi || (c.is_control() && c != '\n' && c != '\t') {
        '\u{FFFD}'
    } else {
        c
    }
}

/// The value of a decimal digit in any script with a Unicode `Nd` block, or of a CJK numeral.
///
/// Unicode lays out every decimal digit block as ten consecutive code points from zero, so the
/// value is the distance from the block's zero.
pub fn digit_value(c: char) -> Option<u8> {
    const ZEROS: &[u32] = &[
        0x0030, // ASCII
        0x0660, // Arabic-Indic
        0x06F0, // Extended Arabic-Indic (Persian, Urdu)
        0x07C0, // NKo
        0x0966, // Devanagari
        0x09E6, // Bengali
        0x0A66, // Gurmukhi
        0x0AE6, // Gujarati
        0x0B66, // Oriya
        0x0BE6, // Tamil
        0x0C66, // Telugu
        0x0CE6, // Kannada
        0x0D66, // Malayalam
        0x0E50, // Thai
        0x0ED0, // Lao
        0x0F20, // Tibetan
        0x1040, // Myanmar
        0x17E0, // Khmer
        0x1810, // Mongolian
        0xFF10, // Full-width
    ];
    let cp = c as u32;
    if let Some(zero) = ZEROS.iter().find(|&&z| (z..z + 10).contains(&cp)) {
        return Some((cp - zero) as u8);
    }
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_cjk_numeral(c: char) -> bool {
    digit_value(c).is_some() && !c.is_numeric() || c == '〇'
}

/// Characters that may sit between two digit groups of one number.
fn is_digit_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}' | '\u{202F}' | '\u{3000}' | '-' | '.' | '/' | ',' | '(' | ')' | '‐'
            ..='―' | '－' | '．' | '／' | '，' | '、' | '（' | '）' | 'ー' | '・'
    )
}

/// The Luhn check used by every payment card number.
///
/// ```
/// use fcrscan::report::redact::luhn_valid;
///
/// assert!(luhn_valid(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
/// assert!(!luhn_valid(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
/// ```
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if !i.is_multiple_of(2) {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What a digit candidate is, from its digits, its longest unbroken group, and whether it
/// looks dialled: written in groups, or starting with `+` or a trunk `0`. An unbroken run
/// that does not look dialled (`1234567890`) is more often an account or ID number.
fn classify(digits: &[u8], longest_group: usize, dialled: bool) -> Option<PiiKind> {
    let n = digits.len();
    if (13..=19).contains(&n) && luhn_valid(digits) {
        Some(PiiKind::Card)
    } else if (7..=15).contains(&n) && (dialled || longest_group < LONG_DIGIT_RUN) {
        Some(PiiKind::Phone)
    } else if n >= 7 || longest_group >= LONG_DIGIT_RUN {
        Some(PiiKind::Number)
    } else {
        None
    }
}

/// Digits joined across at most two separators, as one number might be written.
struct DigitCandidate {
    /// The first digit, and one past the last.
    start: usize,
    end: usize,
    digits: Vec<u8>,
    /// Each group's length in digits.
    lengths: Vec<usize>,
    /// The separators between groups.
    seps: Vec<char>,
}

impl DigitCandidate {
    /// A date or an amount, which are not PII.
    fn is_date_or_amount(&self) -> bool {
        is_date(&self.digits, &self.lengths, &self.seps) || is_amount(&self.lengths, &self.seps)
    }
}

/// Every run of digits in `chars`, joined across separators. CJK numerals are their own
/// candidates, never joined.
fn digit_candidates(chars: &[char]) -> Vec<DigitCandidate> {
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if digit_value(chars[i]).is_none() {
            i += 1;
            continue;
        }
        // A CJK-numeral run stands alone: those characters also write words ("一下", "三月"),
        // so they never join across separators.
        let cjk = is_cjk_numeral(chars[i]);
        let start = i;
        let mut digits: Vec<u8> = Vec::new();
        let mut lengths: Vec<usize> = Vec::new();
        let mut seps: Vec<char> = Vec::new();
        let mut end = i;
        loop {
            let g = end;
            while end < n
                && digit_value(chars[end]).is_some_and(|_| is_cjk_numeral(chars[end]) == cjk)
            {
                digits.push(digit_value(chars[end]).expect("checked just above"));
                end += 1;
            }
            lengths.push(end - g);
            if cjk {
                break;
            }
            // Up to two separators, then another digit group.
            let mut k = end;
            while k < n && k - end < 2 && is_digit_separator(chars[k]) {
                k += 1;
            }
            if k > end && k < n && digit_value(chars[k]).is_some() && !is_cjk_numeral(chars[k]) {
                seps.extend(&chars[end..k]);
                end = k;
            } else {
                break;
            }
        }
        i = end;
        out.push(DigitCandidate {
            start,
            end,
            digits,
            lengths,
            seps,
        });
    }
    out
}

/// Digit groups joined by separators, classified.
fn digit_runs(chars: &[char], out: &mut Vec<PiiSpan>) {
    for c in digit_candidates(chars) {
        if c.is_date_or_amount() {
            continue;
        }
        let longest = c.lengths.iter().copied().max().unwrap_or(0);
        // A leading `+` or `(` belongs to a phone number.
        let prefixed = c.start > 0 && matches!(chars[c.start - 1], '+' | '(' | '＋' | '（');
        let dialled = c.lengths.len() > 1 || prefixed || c.digits.first() == Some(&0);
        if let Some(kind) = classify(&c.digits, longest, dialled) {
            out.push(PiiSpan {
                kind,
                char_start: if prefixed { c.start - 1 } else { c.start },
                char_end: c.end,
            });
        }
    }
}

/// Turns without digits of at most this many words ("go on", "mm-hmm, next four?") do not end
/// a number read out over several turns.
pub const FILLER_WORDS: usize = 8;

/// Card numbers read out over several turns ("4111 1111" … "mm-hmm" … "1111 1111"):
/// speech-to-text ends a turn at each pause, and each piece is too short to be redacted on its
/// own, while a reader of the whole call sees the number. The digit groups of a call's turns,
/// in order, are read as one number across turns separated at most by short turns without
/// digits ([`FILLER_WORDS`]); every run of them over more than one turn that is 13–19 digits
/// long and passes the Luhn check is a card, redacted in each turn it spans. Returns the spans
/// to redact, per turn, in characters of `texts[i]`.
pub fn cards_across_turns(texts: &[&str]) -> Vec<Vec<PiiSpan>> {
    let mut out = vec![Vec::new(); texts.len()];
    // (turn, first char, end char, digits) of the groups read since the chain last broke.
    let mut chain: Vec<(usize, usize, usize, Vec<u8>)> = Vec::new();
    for (turn, text) in texts.iter().enumerate() {
        let chars: Vec<char> = text.chars().map(displayable).collect();
        let candidates: Vec<DigitCandidate> = digit_candidates(&chars)
            .into_iter()
            .filter(|c| !c.is_date_or_amount() && !is_cjk_numeral(chars[c.start]))
            .collect();
        if candidates.is_empty() {
            if words(&chars).len() > FILLER_WORDS {
                chain.clear();
            }
            continue;
        }
        for c in candidates {
            chain.push((turn, c.start, c.end, c.digits));
            let mut total = 0;
            for first in (0..chain.len()).rev() {
                total += chain[first].3.len();
                if total > 19 {
                    // No card ends here with an earlier start, and none will start there.
                    chain.drain(..=first);
                    break;
                }
                let run = &chain[first..];
                if total >= 13 && run[0].0 != turn {
                    let digits: Vec<u8> = run.iter().flat_map(|g| g.3.iter().copied()).collect();
                    if luhn_valid(&digits) {
                        for &(t, start, end, _) in run {
                            out[t].push(PiiSpan {
                                kind: PiiKind::Card,
                                char_start: start,
                                char_end: end,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// `2026-11-02`, `02.11.2026`, `2/11/2026`, `02 11 2026`: three groups with a four-digit year
/// first or last, the same separator twice, and a plausible month and day.
fn is_date(digits: &[u8], lengths: &[usize], seps: &[char]) -> bool {
    if lengths.len() != 3 || seps.len() != 2 || seps[0] != seps[1] {
        return false;
    }
    let num = |from: usize, len: usize| {
        digits[from..from + len]
            .iter()
            .fold(0u32, |a, &d| a * 10 + u32::from(d))
    };
    let (a, b, c) = (lengths[0], lengths[1], lengths[2]);
    if a == 4 && b <= 2 && c <= 2 {
        let (m, d) = (num(4, b), num(4 + b, c));
        (1..=12).contains(&m) && (1..=31).contains(&d)
    } else if a <= 2 && b <= 2 && c == 4 {
        let (x, y) = (num(0, a), num(a, b));
        (1..=31).contains(&x) && (1..=31).contains(&y) && (x <= 12 || y <= 12)
    } else {
        false
    }
}

/// `1,250,000` or `1.250.000,00`: a first group of one to three digits, then groups of exactly
/// three joined by one and the same `,` or `.` (no space), optionally a decimal part last.
fn is_amount(lengths: &[usize], seps: &[char]) -> bool {
    if lengths.len() < 2 || lengths[0] > 3 || seps.len() != lengths.len() - 1 {
        return false;
    }
    let thousands = seps[0];
    if !matches!(thousands, ',' | '.' | '，' | '．') {
        return false;
    }
    let last = lengths.len() - 1;
    let decimal_tail = last >= 2
        && seps[last - 1] != thousands
        && matches!(seps[last - 1], ',' | '.')
        && lengths[last] <= 2;
    let body = if decimal_tail { last } else { last + 1 };
    (1..body).all(|g| lengths[g] == 3 && seps[g - 1] == thousands)
}

/// A word: a maximal run of characters that are not whitespace, with its character span and
/// its lowercase form without surrounding punctuation.
struct Word {
    start: usize,
    end: usize,
    folded: String,
}

fn words(chars: &[char]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        // Trim punctuation around the word (ASR punctuation: "one,", "com.").
        let (mut s, mut e) = (start, i);
        while s < e && is_edge_punct(chars[s]) {
            s += 1;
        }
        while e > s && is_edge_punct(chars[e - 1]) {
            e -= 1;
        }
        if s < e {
            out.push(Word {
                start: s,
                end: e,
                folded: chars[s..e].iter().flat_map(|c| c.to_lowercase()).collect(),
            });
        }
    }
    out
}

fn is_edge_punct(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | '"'
            | '\''
            | '('
            | ')'
            | '،'
            | '।'
            | '¿'
            | '¡'
            | '«'
            | '»'
    )
}

/// The value of a digit spoken as a word, in the lexicon languages that write numbers in words
/// of their own script. (Japanese, Korean and Chinese speech-to-text writes numerals as digits.)
fn spoken_digit(word: &str) -> Option<u8> {
    Some(match word {
        // en, de, fr, es, pt, id, vi, hi, ar
        "zero" | "oh" | "null" | "zéro" | "cero" | "nol" | "kosong" | "không" | "शून्य" | "صفر" => {
            0
        }
        "one" | "eins" | "un" | "uno" | "um" | "satu" | "một" | "mốt" | "एक" | "واحد" => {
            1
        }
        "two" | "zwei" | "zwo" | "deux" | "dos" | "dois" | "duas" | "dua" | "hai" | "दो"
        | "اثنين" | "اتنين" | "إثنين" => 2,
        "three" | "drei" | "trois" | "tres" | "três" | "tiga" | "ba" | "तीन" | "ثلاثة" | "تلاتة" => {
            3
        }
        "four" | "vier" | "quatre" | "cuatro" | "quatro" | "empat" | "bốn" | "tư" | "चार"
        | "أربعة" | "اربعة" | "اربعه" => 4,
        "five" | "fünf" | "cinq" | "cinco" | "lima" | "năm" | "lăm" | "पांच" | "पाँच" | "خمسة"
        | "خمسه" => 5,
        "six" | "sechs" | "seis" | "meia" | "enam" | "sáu" | "छह" | "छः" | "ستة" | "سته" => {
            6
        }
        "seven" | "sieben" | "sept" | "siete" | "sete" | "tujuh" | "bảy" | "सात" | "سبعة"
        | "سبعه" => 7,
        "eight" | "acht" | "huit" | "ocho" | "oito" | "delapan" | "tám" | "आठ" | "ثمانية"
        | "تمانية" | "تمانيه" => 8,
        "nine" | "neun" | "neuf" | "nueve" | "nove" | "sembilan" | "chín" | "नौ" | "تسعة"
        | "تسعه" => 9,
        _ => return None,
    })
}

fn spoken_digits(_chars: &[char], words: &[Word], out: &mut Vec<PiiSpan>) {
    let mut i = 0;
    while i < words.len() {
        let start = i;
        let mut digits = Vec::new();
        while i < words.len() {
            match spoken_digit(&words[i].folded) {
                Some(d) => digits.push(d),
                None => break,
            }
            i += 1;
        }
        if digits.len() >= SPOKEN_DIGIT_RUN {
            let kind =
                classify(&digits, digits.len(), true).expect("six or more digits always classify");
            out.push(PiiSpan {
                kind,
                char_start: words[start].start,
                char_end: words[i - 1].end,
            });
        }
        if i == start {
            i += 1;
        }
    }
}

/// Characters of an e-mail address: letters of alphabetic scripts, digits and `._%+-` (and their
/// full-width forms), but not CJK, kana or Hangul, which write no space before an address.
fn is_email_char(c: char) -> bool {
    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '．' | '＿' | '－')
    {
        return true;
    }
    if matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ') {
        return true;
    }
    c.is_alphanumeric() && !is_cjk_script(c)
}

fn is_cjk_script(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FFF | 0x3040..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFF66..=0xFFDC
        | 0x20000..=0x3FFFF)
}

fn is_dot(c: char) -> bool {
    c == '.' || c == '．'
}

/// Written addresses: `local@domain.tld`.
fn emails(chars: &[char], out: &mut Vec<PiiSpan>) {
    for (at, &c) in chars.iter().enumerate() {
        if c != '@' && c != '＠' {
            continue;
        }
        let mut s = at;
        while s > 0 && is_email_char(chars[s - 1]) {
            s -= 1;
        }
        while s < at && is_dot(chars[s]) {
            s += 1;
        }
        let mut e = at + 1;
        while e < chars.len()
            && (is_email_char(chars[e]) && !matches!(chars[e], '_' | '%' | '+' | '＿'))
        {
            e += 1;
        }
        while e > at + 1 && (is_dot(chars[e - 1]) || matches!(chars[e - 1], '-' | '－')) {
            e -= 1;
        }
        if s == at || e == at + 1 {
            continue;
        }
        let domain = &chars[at + 1..e];
        let labels: Vec<&[char]> = domain.split(|&c| is_dot(c)).collect();
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.iter().all(|c| c.is_alphabetic()));
        if labels.len() >= 2 && labels.iter().all(|l| !l.is_empty()) && tld_ok {
            out.push(PiiSpan {
                kind: PiiKind::Email,
                char_start: s,
                char_end: e,
            });
        }
    }
}

const SPOKEN_AT: &[&str] = &["at", "arroba", "arobase", "ät"];
const SPOKEN_DOT: &[&str] = &["dot", "punto", "ponto", "punkt", "point", "titik", "chấm"];
const SPOKEN_JOINERS: &[&str] = &[
    "underscore",
    "dash",
    "hyphen",
    "guion",
    "guión",
    "tiret",
    "traço",
    "strich",
    "unterstrich",
];
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "info", "biz", "io", "co", "me", "uk", "us", "ca", "au",
    "de", "at", "ch", "es", "fr", "be", "it", "nl", "pt", "br", "mx", "ar", "cl", "pe", "id", "vn",
    "in", "jp", "kr", "cn", "tw", "hk", "sg", "my", "ph", "th", "eg", "sa", "ae", "ma", "tn", "dz",
    "jo", "lb",
];

/// Spoken addresses: `jane dot doe at example dot com`.
fn spoken_emails(chars: &[char], words: &[Word], out: &mut Vec<PiiSpan>) {
    let _ = chars;
    let is = |i: usize, set: &[&str]| {
        words
            .get(i)
            .is_some_and(|w| set.contains(&w.folded.as_str()))
    };
    for k in 1..words.len() {
        if !is(k, SPOKEN_AT) {
            continue;
        }
        // Domain: `word (dot word)+` ending in a known TLD, or one word with written dots.
        let mut e = k + 1;
        let Some(first) = words.get(e) else { continue };
        // A written domain ("gmail.com") is letters, digits, `-` and `.`; an address after a
        // spoken "at" ("me at jane@example.com") is left to the written rule.
        if !first
            .folded
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        {
            continue;
        }
        let mut last_label = first.folded.rsplit('.').next().unwrap_or("").to_string();
        let mut dotted = first.folded.contains('.');
        while is(e + 1, SPOKEN_DOT) && words.get(e + 2).is_some() {
            e += 2;
            dotted = true;
            last_label = words[e].folded.clone();
        }
        if !dotted || !TLDS.contains(&last_label.as_str()) {
            continue;
        }
        // Local part: `word ((dot|underscore|dash) word)*` before `at`.
        let mut s = k - 1;
        while s >= 2 && (is(s - 1, SPOKEN_DOT) || is(s - 1, SPOKEN_JOINERS)) {
            s -= 2;
        }
        out.push(PiiSpan {
            kind: PiiKind::Email,
            char_start: words[s].start,
            char_end: words[e].end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, String)> {
        let chars: Vec<char> = text.chars().collect();
        find_pii(text)
            .into_iter()
            .map(|s| (s.kind, chars[s.char_start..s.char_end].iter().collect()))
            .collect()
    }

    #[test]
    fn cards_need_the_luhn_check() {
        assert_eq!(
            kinds("card 4111 1111 1111 1111 ok"),
            [(PiiKind::Card, "4111 1111 1111 1111".into())]
        );
        // One digit off: not a card, but still redacted as a long number.
        assert_eq!(
            kinds("card 4111 1111 1111 1112 ok"),
            [(PiiKind::Number, "4111 1111 1111 1112".into())]
        );
    }

    #[test]
    fn dates_and_amounts_are_not_pii() {
        assert!(
            kinds("on 2026-11-02 and 02.11.2026 we paid 1,250,000.50 or 1.250.000,50").is_empty()
        );
        assert!(kinds("last four 0000, order of 300 and 12 items").is_empty());
    }

    #[test]
    fn unbroken_runs_are_numbers_unless_dialled() {
        assert_eq!(
            kinds("rekening 1234567890,"),
            [(PiiKind::Number, "1234567890".into())]
        );
        assert_eq!(kinds("otp 482913"), [(PiiKind::Number, "482913".into())]);
        assert_eq!(
            kinds("رقمي ٠١٠٠١٢٣٤٥٦٧ ولو"),
            [(PiiKind::Phone, "٠١٠٠١٢٣٤٥٦٧".into())]
        );
        assert_eq!(
            kinds("नंबर ९८७६५४३२१० है"),
            [(PiiKind::Number, "९८७६५४३२१०".into())]
        );
    }

    #[test]
    fn phone_numbers_take_their_leading_plus_or_parenthesis() {
        assert_eq!(
            kinds("call (415) 555-0132 now"),
            [(PiiKind::Phone, "(415) 555-0132".into())]
        );
        assert_eq!(
            kinds("or +44 20 7946 0958."),
            [(PiiKind::Phone, "+44 20 7946 0958".into())]
        );
    }

    #[test]
    fn spoken_digits_are_redacted() {
        let text = "it's four one one one one one one one one one one one one one one one thanks";
        assert_eq!(kinds(text)[0].0, PiiKind::Card);
        assert!(
            kinds("one two three four five").is_empty(),
            "five digit words are not enough"
        );
    }

    #[test]
    fn cjk_numerals_do_not_join_words() {
        assert_eq!(
            kinds("电话一三八零零一三八零零零"),
            [(PiiKind::Number, "一三八零零一三八零零零".into())]
        );
        assert!(kinds("一下 一个 三月 二十").is_empty());
    }

    #[test]
    fn emails_stop_at_cjk_text() {
        assert_eq!(
            kinds("邮箱是abc.de@qq.com吧"),
            [(PiiKind::Email, "abc.de@qq.com".into())]
        );
        assert_eq!(
            kinds("mail: ömer@örnek.com.tr."),
            [(PiiKind::Email, "ömer@örnek.com.tr".into())]
        );
        assert!(kinds("@home and a@b").is_empty());
    }

    #[test]
    fn spoken_emails_need_a_known_domain() {
        assert_eq!(
            kinds("is jane dot doe at example dot com ok"),
            [(PiiKind::Email, "jane dot doe at example dot com".into())]
        );
        assert_eq!(
            kinds("mi correo es pepe arroba gmail punto com"),
            [(PiiKind::Email, "pepe arroba gmail punto com".into())]
        );
        assert!(kinds("i was at home dot dot dot").is_empty());
        assert_eq!(
            kinds("mail me at jane@example.com"),
            [(PiiKind::Email, "jane@example.com".into())]
        );
    }

    #[test]
    fn marks_stay_whole_and_pii_inside_them_is_masked() {
        // The hit covers "about 555": its digits belong to the phone number around it.
        let text = "called about 555 0132 123";
        let segs = segment(text, &[(7, 16)], true);
        assert_eq!(
            segs,
            [
                Segment::Text("called ".into()),
                Segment::Mark {
                    hits: vec![0],
                    text: "about •••".into()
                },
                Segment::Redacted(PiiKind::Phone),
            ]
        );
    }

    #[test]
    fn overlapping_hits_become_one_mark() {
        let segs = segment("speak to your manager now", &[(0, 21), (14, 21)], false);
        assert_eq!(
            segs[0],
            Segment::Mark {
                hits: vec![0, 1],
                text: "speak to your manager".into()
            }
        );
        assert_eq!(segs[1], Segment::Text(" now".into()));
    }

    #[test]
    fn out_of_range_hits_are_ignored_and_bidi_is_neutralised() {
        let segs = segment("a\u{202E}b", &[(1, 9)], false);
        assert_eq!(segs, [Segment::Text("a\u{FFFD}b".into())]);
    }

    #[test]
    fn excerpts_cut_at_spaces_and_keep_placeholders_whole() {
        let text = "well you know the thing is that i called last week and my card 4111 1111 1111 1111 still fails";
        let start = text.find("called").unwrap();
        let segs = segment(text, &[(start, start + 16)], true);
        let ex = excerpt(&segs, 1..=1, 20);
        assert_eq!(
            display_text(&ex),
            "…thing is that i called last week and my card [card]…"
        );
        let ex = excerpt(&segs, 1..=1, 10);
        assert_eq!(display_text(&ex), "…that i called last week and my…");
    }

    /// The turns of `texts` (per [`cards_across_turns`]) that get a card span, and the text each
    /// span covers.
    fn across(texts: &[&str]) -> Vec<(usize, String)> {
        cards_across_turns(texts)
            .iter()
            .enumerate()
            .flat_map(|(t, spans)| {
                spans.iter().map(move |s| {
                    let text: String = texts[t]
                        .chars()
                        .skip(s.char_start)
                        .take(s.char_end - s.char_start)
                        .collect();
                    (t, text)
                })
            })
            .collect()
    }

    #[test]
    fn a_card_read_out_over_several_turns_is_redacted_in_each() {
        let turns = [
            "sure, the card number is",
            "4111 1111",
            "mm-hmm, go on",
            "1111 1111",
            "okay thank you",
        ];
        assert_eq!(
            across(&turns),
            [(1, "4111 1111".to_string()), (3, "1111 1111".to_string())]
        );
        // Four digits a turn, the agent confirming in between.
        let turns = ["4111", "okay", "1111", "yes", "1111", "next four", "1111"];
        let got: Vec<usize> = across(&turns).iter().map(|(t, _)| *t).collect();
        assert_eq!(got, [0, 2, 4, 6]);
        // And the segments show a placeholder, not the digits.
        let segs = segment_with(turns[2], &[], true, &cards_across_turns(&turns)[2]);
        assert_eq!(segs, [Segment::Redacted(PiiKind::Card)]);
    }

    #[test]
    fn numbers_that_are_not_one_card_stay_as_they_are() {
        // Fails the Luhn check.
        assert!(across(&["4111", "1111", "1111", "1112"]).is_empty());
        // A long turn between the pieces ends the number.
        assert!(
            across(&[
                "4111 1111",
                "let me explain what happened with my bill over the last three months",
                "1111 1111",
            ])
            .is_empty()
        );
        // Dates and amounts are not pieces of a number.
        assert!(across(&["on 2026-11-02", "I paid 1,250.00", "order 4111"]).is_empty());
        // Within one turn, the turn's own redaction finds it: nothing to add across turns.
        assert!(across(&["4111 1111 1111 1111"]).is_empty());
    }
}
