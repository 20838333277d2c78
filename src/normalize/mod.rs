//! Folding text for matching, with a map back to the original.
//!
//! Phrases and transcripts go through the same [`fold_into`], so a lexicon entry and the words a
//! customer said compare equal whenever a person would say they are the same words:
//!
//! - compatibility decomposition (NFKD, per character): full-width `Ａ` → `a`, half-width `ｶ` →
//!   `カ`, ligatures `ﬁ` → `fi`;
//! - Unicode lower case, and `ß` → `ss`, `ä ö ü` → `ae oe ue` (so "schön" stays apart from
//!   "schon", and matches "schoen" as typed without umlauts), `đ` → `d`;
//! - Latin combining accents (U+0300–U+036F) and Arabic harakat and tatweel are removed, so
//!   `ja liguei` = `já liguei` and `اتصلت` = `اتَّصَلْتُ`; marks that carry meaning in other
//!   scripts (Devanagari matras, Japanese dakuten) are kept;
//! - every run of whitespace and punctuation becomes one space (none at the start or end), but an
//!   apostrophe inside a word is kept (`don't`; `’` and `ʼ` become `'`);
//! - spaces between two characters of scripts written without spaces (Han, Kana, Hangul) are
//!   removed, so `전화 했었는데` = `전화했었는데`.
//!
//! The folded text is used only to find matches; every hit is reported on the original text
//! through [`OffsetMap::orig_span`].
//!
//! Invariant (tested with properties): `orig` has one entry per folded byte plus one, it is
//! non-decreasing, and every entry is a char boundary of the original text. Folding is
//! idempotent: folding folded text changes nothing.
//!
//! Cost: one pass, no allocation once the buffers have grown (they are reused per thread); ASCII
//! bytes take a branch-light fast path, which is most of the input in most languages' ASR
//! output.

use std::sync::atomic::{AtomicU32, Ordering};

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folded text and the map from each of its bytes back to the original text.
///
/// Reused across turns: [`fold_into`] clears it first.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// `orig[i]` is the byte offset in the original text of the character that produced folded
    /// byte `i`; `orig[text.len()]` is the end of the last character that produced output.
    pub orig: Vec<u32>,
}

impl Folded {
    /// An empty buffer.
    pub fn new() -> Folded {
        Folded::default()
    }

    /// The offset map, borrowed: [`OffsetMap::orig_span`] maps a match back to the original.
    pub fn map(&self) -> OffsetMap<'_> {
        OffsetMap(&self.orig)
    }
}

/// A folded text's map back to its original ([`Folded::orig`]), borrowed: the matcher keeps the
/// maps of a whole call's turns in one buffer and hands out each turn's part.
#[derive(Clone, Copy, Debug)]
pub struct OffsetMap<'a>(pub &'a [u32]);

impl OffsetMap<'_> {
    /// Maps a span of the folded text to the span of `original` (the text that was folded)
    /// that produced it: from the first character of the span to the end of its last one,
    /// together with any combining marks folding removed after it ("café" written with a
    /// combining accent keeps its accent). Punctuation that folding dropped after the span
    /// (a Chinese "，") is not included.
    pub fn orig_span(
        &self,
        original: &str,
        folded_start: usize,
        folded_end: usize,
    ) -> (usize, usize) {
        let start = self.0[folded_start] as usize;
        if folded_end <= folded_start {
            return (start, start);
        }
        let last = self.0[folded_end - 1] as usize;
        let mut end = last + original[last..].chars().next().map_or(0, char::len_utf8);
        for c in original[end..]
            .chars()
            .take_while(|&c| is_combining_mark(c) || is_removed_mark(c))
        {
            end += c.len_utf8();
        }
        (start, end.max(start))
    }

    /// The original byte offset where folded byte `folded_at` came from.
    pub fn orig_offset(&self, folded_at: usize) -> usize {
        self.0[folded_at] as usize
    }
}

/// Folds `text` into `out` (cleared first), with the offset map. See the module docs for what
/// folding does.
pub fn fold_into(text: &str, out: &mut Folded) {
    if text.is_ascii() {
        fold_ascii_folded::<true>(text.as_bytes(), out);
    } else {
        fold_impl::<true>(text, out);
    }
}

/// Folds `text` into `out.text` only, leaving `out.orig` empty: for the first look at a turn.
/// Most turns hold no cue, so the map is built ([`fold_into`]) only for turns that do —
/// measured at about a tenth of the scan's CPU time on the benchmark corpus.
pub fn fold_text_into(text: &str, out: &mut Folded) {
    if text.is_ascii() {
        fold_ascii_folded::<false>(text.as_bytes(), out);
    } else {
        fold_impl::<false>(text, out);
    }
}

/// Folds `text` onto the end of `out`, and with `map` its offset map onto the end of `map` (one
/// entry per byte appended plus one, as in [`Folded::orig`]): for the matcher, which searches a
/// call's turns folded one after another. All-ASCII text is folded in place there; other text
/// through `scratch` and copied.
pub fn fold_onto(text: &str, out: &mut Vec<u8>, map: Option<&mut Vec<u32>>, scratch: &mut Folded) {
    match (text.is_ascii(), map) {
        (true, Some(map)) => fold_ascii::<true>(text.as_bytes(), out, map),
        (true, None) => fold_ascii::<false>(text.as_bytes(), out, &mut Vec::new()),
        (false, Some(map)) => {
            fold_impl::<true>(text, scratch);
            out.extend_from_slice(scratch.text.as_bytes());
            map.extend_from_slice(&scratch.orig);
        }
        (false, None) => {
            fold_impl::<false>(text, scratch);
            out.extend_from_slice(scratch.text.as_bytes());
        }
    }
}

/// For each ASCII byte, its folded form if it is a word byte (lower-cased letter or digit),
/// else a space.
static ASCII_FOLD: [u8; 128] = {
    let mut table = [b' '; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            table[b] = c;
        } else if c.is_ascii_uppercase() {
            table[b] = c + 32;
        }
        b += 1;
    }
    table
};

/// [`fold_ascii`] into a [`Folded`] (cleared first).
fn fold_ascii_folded<const MAP: bool>(bytes: &[u8], out: &mut Folded) {
    let mut text = std::mem::take(&mut out.text).into_bytes();
    text.clear();
    out.orig.clear();
    fold_ascii::<MAP>(bytes, &mut text, &mut out.orig);
    out.text = String::from_utf8(text).expect("folded ASCII is ASCII");
}

/// The same folding as [`fold_impl`] for all-ASCII text, as one table-driven loop: the common
/// case of Latin-script ASR output. The folded bytes are appended to `text_out`, and with `MAP`
/// the offset map to `map_out` (turns with a hit are folded again with it; with the default lexicons
/// most are, and the general path made that second fold a tenth of the run). Equivalence with
/// the general path is a tested property.
fn fold_ascii<const MAP: bool>(bytes: &[u8], text_out: &mut Vec<u8>, map_out: &mut Vec<u32>) {
    // Every rule is local on ASCII: a byte is a word byte, an apostrophe between two word bytes,
    // or a separator, and a separator is kept (as one space) unless the byte before it was a
    // separator too. So each byte is written at the output position and counted only when kept:
    // the loop has no branch on the text and no dependency but the output length. Folded text
    // is never longer than its input, so the buffers are sized once and written by index. A
    // kept separator maps to the first byte of its run, as in the general path, because the
    // bytes after it are written at the next position and overwritten there.
    let (text_base, map_base) = (text_out.len(), map_out.len());
    text_out.resize(text_base + bytes.len(), 0);
    let v = &mut text_out[text_base..];
    if MAP {
        map_out.resize(map_base + bytes.len() + 1, 0);
    }
    let map = &mut map_out[map_base..];
    let mut len = 0;
    let mut last_end = 0; // the end of the last word byte or kept apostrophe
    let mut after_separator = true; // the start drops separators like a separator before it
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at once when no rule needs a look at them one by one: the common case of
        // words and single spaces. Else the bytes up to the next eight-byte boundary go one by
        // one.
        let chunk_end = (i + 8).min(bytes.len());
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Some(plain) = PlainChunk::of(chunk, after_separator)
        {
            v[len..len + 8].copy_from_slice(&plain.folded);
            if MAP {
                for (k, at) in map[len..len + 8].iter_mut().enumerate() {
                    *at = (i + k) as u32;
                }
                last_end = i + plain.last_word + 1;
            }
            len += 8;
            after_separator = plain.ends_with_separator;
            i += 8;
            continue;
        }
        for i in i..chunk_end {
            let b = bytes[i];
            let mut folded = ASCII_FOLD[b as usize];
            let mut at = i;
            // The one branch, rarely taken: an apostrophe after a word byte is kept when a word
            // byte follows; else it is punctuation, and (as in the general path, which emits it
            // and then takes it back) a separator run it starts maps to the byte after it.
            if (b == b'\'' || b == b'`') && i > 0 && is_ascii_word(bytes[i - 1]) {
                if bytes.get(i + 1).is_some_and(|&n| is_ascii_word(n)) {
                    folded = b'\'';
                } else {
                    at = i + 1;
                }
            }
            let separator = folded == b' ';
            v[len] = folded;
            if MAP {
                map[len] = at as u32;
                last_end = if separator { last_end } else { i + 1 };
            }
            len += usize::from(!(separator & after_separator));
            after_separator = separator;
        }
        i = chunk_end;
    }
    if after_separator && len > 0 {
        len -= 1; // a trailing separator
    }
    if MAP {
        map[len] = last_end as u32;
    }
    text_out.truncate(text_base + len);
    if MAP {
        map_out.truncate(map_base + len + 1);
    }
}

/// Eight ASCII bytes that fold byte for byte: no apostrophe or backtick, and no separator
/// after another (or at the start of the text), so each letter is lower-cased, each digit
/// kept and each separator becomes one space in place. The test is SWAR arithmetic on a
/// `u64`, a few instructions for eight bytes; [`fold_ascii`] takes the bytes one by one
/// otherwise.
struct PlainChunk {
    folded: [u8; 8],
    /// The index of the last letter or digit (there is one: separators are never adjacent).
    last_word: usize,
    ends_with_separator: bool,
}

impl PlainChunk {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = Self::ONES * 0x80;

    /// `None` unless `chunk` is eight plain ASCII bytes; `after_separator` says the byte before
    /// them was a separator or that they start the text.
    #[inline]
    fn of(chunk: &[u8], after_separator: bool) -> Option<PlainChunk> {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        if x & Self::HIGH != 0 {
            return None; // not all ASCII
        }
        let upper = Self::in_range(x, b'A', b'Z');
        let lower = x | (upper >> 2); // 0x80 >> 2 is the case bit
        let word = Self::in_range(lower, b'a', b'z') | Self::in_range(x, b'0', b'9');
        let apostrophe = Self::in_range(x, b'\'', b'\'') | Self::in_range(x, b'`', b'`');
        let separator = !word & Self::HIGH;
        let separator_before = (separator << 8) | (u64::from(after_separator) << 7);
        if apostrophe != 0 || separator & separator_before != 0 {
            return None;
        }
        let word_bytes = (word >> 7) * 0xff;
        let folded = (lower & word_bytes) | ((separator >> 7) * u64::from(b' '));
        Some(PlainChunk {
            folded: folded.to_le_bytes(),
            last_word: (63 - word.leading_zeros() as usize) / 8,
            ends_with_separator: separator >> 63 != 0,
        })
    }

    /// 0x80 in each byte of `x` (all below 0x80) that lies in `lo..=hi`, 0 in the others. No
    /// sum carries into the next byte: each stays at most 0xff.
    #[inline]
    fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
        let at_least_lo = x + Self::ONES * u64::from(0x80 - lo);
        let above_hi = x + Self::ONES * u64::from(0x7f - hi);
        at_least_lo & !above_hi & Self::HIGH
    }
}

fn fold_impl<const MAP: bool>(text: &str, out: &mut Folded) {
    out.text.clear();
    out.orig.clear();
    out.text.reserve(text.len());
    if MAP {
        out.orig.reserve(text.len() + 1);
    }
    let mut state = FoldState::<MAP> {
        out,
        pending_space: None,
        last: Last::Start,
        last_end: 0,
        end_before_apostrophe: 0,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if is_ascii_word(b) && state.last != Last::Apostrophe {
                // Fastest path: eight bytes of words and single spaces at a time.
                if let Some(plain) = bytes.get(i..i + 8).and_then(|c| PlainChunk::of(c, false)) {
                    state.plain_chunk(&plain, i);
                    i += 8;
                    continue;
                }
                // Fast path: a word of ASCII letters and digits (and accented letters) folded
                // in one loop (most of most transcripts).
                i = state.latin_word(text, i);
                continue;
            }
            state.ascii(b, i);
            i += 1;
            continue;
        }
        if is_han_or_hangul_lead(b) {
            // Fast path: a run of Han or Hangul syllables folds to itself, copied as a block.
            let mut end = i + 3;
            while end < bytes.len() && is_han_or_hangul_lead(bytes[end]) {
                end += 3;
            }
            state.identity_run(&text[i..end], i, true);
            i = end;
            continue;
        }
        let c = text[i..].chars().next().expect("i is on a char boundary");
        let unspaced = match identity_class(c) {
            Identity::Unspaced => true,
            Identity::Spaced => false,
            Identity::Removed => {
                i += c.len_utf8();
                continue;
            }
            Identity::No => {
                // Fast path: an accented Latin letter starts a word, folded in one loop with
                // the letters after it (Spanish, French, Portuguese, Vietnamese).
                if state.last != Last::Apostrophe && ascii_letter_of(c).is_some() {
                    i = state.latin_word(text, i);
                } else {
                    state.folded(c, i);
                    i += c.len_utf8();
                }
                continue;
            }
        };
        // A run of characters that fold to themselves (a word of Arabic, Devanagari, Kana) is
        // copied as a block: the state machine is stepped once per run, not once per character.
        let mut end = i + c.len_utf8();
        while let Some(next) = text[end..].chars().next().filter(|&n| !n.is_ascii()) {
            match (identity_class(next), unspaced) {
                (Identity::Unspaced, true) | (Identity::Spaced, false) => end += next.len_utf8(),
                _ => break,
            }
        }
        state.identity_run(&text[i..end], i, unspaced);
        i = end;
    }
    // A trailing apostrophe is punctuation, and a trailing separator is dropped; the end
    // sentinel is the end of the last kept character.
    if state.last == Last::Apostrophe {
        state.separator(text.len());
    }
    if MAP {
        let end = state.last_end;
        state.out.orig.push(end as u32);
    }
}

/// Folds a phrase (or any short text) into a new `String`, for building automata and lookups.
pub fn fold(text: &str) -> String {
    let mut out = Folded::new();
    fold_into(text, &mut out);
    out.text
}

/// What the last emitted character was, for the spacing and apostrophe rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Start,
    /// A word character of a script that separates words with spaces.
    Spaced,
    /// A character of a script written without spaces (Han, Kana, Hangul).
    Unspaced,
    /// A word-internal apostrophe.
    Apostrophe,
}

struct FoldState<'a, const MAP: bool> {
    out: &'a mut Folded,
    /// Where a separator run started, if one is pending (emitted lazily before the next word).
    pending_space: Option<usize>,
    last: Last,
    /// End (exclusive) in the original of the last character that produced output.
    last_end: usize,
    /// `last_end` before a pending apostrophe, restored if the apostrophe is un-emitted.
    end_before_apostrophe: usize,
}

impl<const MAP: bool> FoldState<'_, MAP> {
    #[inline]
    fn ascii(&mut self, b: u8, at: usize) {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => self.word_byte(b, at, at + 1),
            b'A'..=b'Z' => self.word_byte(b + 32, at, at + 1),
            b'\'' | b'`' => self.apostrophe(at, at + 1),
            _ => self.separator(at),
        }
    }

    /// The word starting at `at` in `text`, up to the first character that is neither an ASCII
    /// letter or digit nor a letter that folds to one ([`ascii_letter_of`]: `é`, `ñ`, `đ`,
    /// `ệ`); returns where it ends. Each character becomes its folded byte, mapped to where the
    /// character starts: what [`FoldState::word_byte`] and [`FoldState::emit_char`] do for it
    /// one at a time. In one loop, a word of accented Latin text folds like an ASCII word,
    /// rather than a character at a time through the state machine: folding the turns of 200
    /// Vietnamese calls, where most words hold such a letter, took 88 instructions per byte
    /// before and 58 after (French, 47 and 44).
    #[inline]
    fn latin_word(&mut self, text: &str, at: usize) -> usize {
        self.flush_space(false);
        let bytes = text.as_bytes();
        let mut i = at;
        while let Some(&b) = bytes.get(i) {
            let (folded, len) = if b < 0x80 {
                if !is_ascii_word(b) {
                    break;
                }
                (b.to_ascii_lowercase(), 1)
            } else {
                let c = text[i..].chars().next().expect("i is on a char boundary");
                match ascii_letter_of(c) {
                    Some(folded) => (folded, c.len_utf8()),
                    None => break,
                }
            };
            // Pushed byte by byte: a call to memcpy per word cost more than the copy itself.
            self.out.text.push(char::from(folded));
            if MAP {
                self.out.orig.push(i as u32);
            }
            i += len;
        }
        self.last = Last::Spaced;
        self.last_end = i;
        i
    }

    /// Eight plain ASCII bytes starting at `at` with a letter or digit ([`PlainChunk`]); a
    /// separator at their end is left pending, as [`FoldState::separator`] would.
    #[inline]
    fn plain_chunk(&mut self, plain: &PlainChunk, at: usize) {
        self.flush_space(false);
        let kept = if plain.ends_with_separator { 7 } else { 8 };
        // Byte by byte, like `ascii_run`: `push_str` would validate and call memcpy.
        for &b in &plain.folded[..kept] {
            self.out.text.push(char::from(b));
        }
        if MAP {
            self.out.orig.extend(at as u32..(at + kept) as u32);
        }
        self.last = Last::Spaced;
        self.last_end = at + plain.last_word + 1;
        if plain.ends_with_separator {
            self.pending_space = Some(at + 7);
        }
    }

    /// A run of characters that fold to themselves, all of an unspaced script or all of spaced
    /// ones, starting at `at`: the same as [`FoldState::emit_char`] for each of them.
    fn identity_run(&mut self, run: &str, at: usize, unspaced: bool) {
        if self.last == Last::Apostrophe && unspaced {
            self.separator(at);
        }
        self.flush_space(unspaced);
        self.out.text.push_str(run);
        if MAP {
            for (offset, c) in run.char_indices() {
                for _ in 0..c.len_utf8() {
                    self.out.orig.push((at + offset) as u32);
                }
            }
        }
        self.last = if unspaced {
            Last::Unspaced
        } else {
            Last::Spaced
        };
        self.last_end = at + run.len();
    }

    #[inline]
    fn word_byte(&mut self, b: u8, at: usize, end: usize) {
        self.flush_space(false);
        self.out.text.push(b as char);
        if MAP {
            self.out.orig.push(at as u32);
        }
        self.last = Last::Spaced;
        self.last_end = end;
    }

    #[inline]
    fn separator(&mut self, at: usize) {
        if self.last == Last::Apostrophe {
            // An apostrophe not followed by a word character is punctuation: un-emit it.
            self.out.text.pop();
            if MAP {
                self.out.orig.pop();
            }
            self.last = Last::Spaced;
            self.last_end = self.end_before_apostrophe;
        }
        if self.pending_space.is_none() && self.last != Last::Start {
            self.pending_space = Some(at);
        }
    }

    fn apostrophe(&mut self, at: usize, end: usize) {
        if self.last == Last::Spaced && self.pending_space.is_none() {
            self.out.text.push('\'');
            if MAP {
                self.out.orig.push(at as u32);
            }
            self.end_before_apostrophe = self.last_end;
            self.last = Last::Apostrophe;
            self.last_end = end;
        } else {
            self.separator(at);
        }
    }

    /// Emits a pending separator as one space, unless both sides are unspaced scripts.
    #[inline]
    fn flush_space(&mut self, next_unspaced: bool) {
        if let Some(at) = self.pending_space.take()
            && !(next_unspaced && self.last == Last::Unspaced)
        {
            self.out.text.push(' ');
            if MAP {
                self.out.orig.push(at as u32);
            }
        }
    }

    /// A non-ASCII character outside the identity ranges ([`identity_class`]), through the
    /// cached general path.
    fn folded(&mut self, c: char, at: usize) {
        let end = at + c.len_utf8();
        match folding_of(c) {
            Folding::Nothing => {}
            Folding::One(step) => self.step(step, at, end),
            Folding::Many => fold_steps(c, |step| self.step(step, at, end)),
        }
    }

    #[inline]
    fn step(&mut self, step: Step, at: usize, end: usize) {
        match step {
            Step::Emit { c, unspaced } => self.emit_char(c, at, end, unspaced),
            Step::Apostrophe => self.apostrophe(at, end),
            Step::Separator => self.separator(at),
        }
    }

    fn emit_char(&mut self, c: char, at: usize, end: usize, unspaced: bool) {
        if self.last == Last::Apostrophe && unspaced {
            self.separator(at);
        }
        self.flush_space(unspaced);
        self.out.text.push(c);
        if MAP {
            for _ in 0..c.len_utf8() {
                self.out.orig.push(at as u32);
            }
        }
        self.last = if unspaced {
            Last::Unspaced
        } else {
            Last::Spaced
        };
        self.last_end = end;
    }
}

/// What folding one character does, as steps of the spacing state machine ([`FoldState`]).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// Emits a word character (`unspaced`: of a script written without spaces).
    Emit { c: char, unspaced: bool },
    /// An apostrophe: kept inside a word, punctuation elsewhere.
    Apostrophe,
    /// Punctuation or space.
    Separator,
}

/// The steps folding takes for a non-ASCII character outside the identity ranges: the one
/// definition of the general path, which [`folding_of`] caches.
fn fold_steps(c: char, mut step: impl FnMut(Step)) {
    let emit = |c| Step::Emit { c, unspaced: false };
    // German umlauts are letters of their own ("schön" is not "schon"): they fold to the
    // spelling Germans type without them (oe), not to the bare vowel. Only they are decided
    // before decomposition, which would split them into vowel and mark.
    if let 'ä' | 'Ä' | 'ö' | 'Ö' | 'ü' | 'Ü' = c {
        let base = match c {
            'ä' | 'Ä' => 'a',
            'ö' | 'Ö' => 'o',
            _ => 'u',
        };
        step(emit(base));
        step(emit('e'));
        return;
    }
    decompose_compatible(c, |d| {
        for l in d.to_lowercase() {
            if l == 'ß' {
                step(emit('s'));
                step(emit('s'));
            } else if let Some(s) = folded_char_step(l) {
                step(s);
            }
        }
    });
}

/// The step for one character after decomposition and lower-casing (`None`: removed).
fn folded_char_step(c: char) -> Option<Step> {
    if c.is_ascii() {
        return Some(match c {
            'a'..='z' | '0'..='9' => Step::Emit { c, unspaced: false },
            '\'' => Step::Apostrophe,
            _ => Step::Separator,
        });
    }
    // Arabic spelling variants that speech-to-text engines and typists use interchangeably at
    // the end of words: teh marbuta as heh, alef maksura as yeh (after decomposition, so
    // presentation forms fold the same way).
    let c = match c {
        '\u{0629}' => '\u{0647}',
        '\u{0649}' => '\u{064A}',
        // Letters and apostrophes that decomposition leaves alone but a typist would not
        // distinguish; applied after decomposition so that their compatibility forms (`ǿ` is
        // `ø` with an accent, `ŉ` is `ʼn`) fold the same way and folding stays idempotent.
        '\u{2019}' | '\u{2018}' | '\u{02BC}' => return Some(Step::Apostrophe),
        'ø' => 'o',
        'đ' => 'd',
        'ł' => 'l',
        other => other,
    };
    if c.is_ascii() {
        return Some(Step::Emit { c, unspaced: false });
    }
    if is_removed_mark(c) {
        None
    } else if c.is_alphanumeric() || is_combining_mark(c) {
        Some(Step::Emit {
            c,
            unspaced: is_unspaced_script(c),
        })
    } else {
        Some(Step::Separator)
    }
}

/// How a character folds, as cached: most characters take at most one step.
enum Folding {
    Nothing,
    One(Step),
    Many,
}

/// The folding of each BMP character, computed on first sight: 0 is "not yet", else
/// `kind << 24 | char`. Decomposition and case tables cost several lookups per character;
/// Vietnamese, accented Latin and Cyrillic text repeat a few hundred characters, so the cache
/// turns the general path into one load. Races only ever store the same value.
static FOLD_CACHE: [AtomicU32; 0x10000] = [const { AtomicU32::new(0) }; 0x10000];

const NOTHING: u32 = 1 << 24;
const MANY: u32 = 2 << 24;
const APOSTROPHE: u32 = 3 << 24;
const SEPARATOR: u32 = 4 << 24;
const EMIT_SPACED: u32 = 5 << 24;
const EMIT_UNSPACED: u32 = 6 << 24;

fn folding_of(c: char) -> Folding {
    let code = fold_code(c);
    let emitted = || char::from_u32(code & 0x00FF_FFFF).expect("a char was stored");
    match code & 0xFF00_0000 {
        NOTHING => Folding::Nothing,
        APOSTROPHE => Folding::One(Step::Apostrophe),
        SEPARATOR => Folding::One(Step::Separator),
        EMIT_SPACED => Folding::One(Step::Emit {
            c: emitted(),
            unspaced: false,
        }),
        EMIT_UNSPACED => Folding::One(Step::Emit {
            c: emitted(),
            unspaced: true,
        }),
        _ => Folding::Many,
    }
}

/// The ASCII letter or digit `c` folds to when it folds to exactly one (`é` → `e`, `Đ` → `d`,
/// `ệ` → `e`); `None` for every other character. Only characters outside the identity ranges
/// fold to ASCII, so this needs no [`identity_class`] first.
#[inline]
fn ascii_letter_of(c: char) -> Option<u8> {
    let code = fold_code(c);
    let folded = code & 0x00FF_FFFF;
    (code & 0xFF00_0000 == EMIT_SPACED && folded < 0x80).then_some(folded as u8)
}

/// The cached folding of `c` ([`FOLD_CACHE`]), computed on first sight; [`MANY`] outside the
/// BMP.
#[inline]
fn fold_code(c: char) -> u32 {
    let Some(slot) = FOLD_CACHE.get(c as usize) else {
        return MANY;
    };
    let mut code = slot.load(Ordering::Relaxed);
    if code == 0 {
        let (mut steps, mut first) = (0, None);
        fold_steps(c, |s| {
            steps += 1;
            first.get_or_insert(s);
        });
        code = match (steps, first) {
            (1, Some(Step::Emit { c, unspaced: false })) => EMIT_SPACED | c as u32,
            (1, Some(Step::Emit { c, unspaced: true })) => EMIT_UNSPACED | c as u32,
            (1, Some(Step::Apostrophe)) => APOSTROPHE,
            (1, Some(Step::Separator)) => SEPARATOR,
            (0, _) => NOTHING,
            _ => MANY,
        };
        slot.store(code, Ordering::Relaxed);
    }
    code
}

/// Whether `b` is the first byte of a three-byte character in U+5000–U+9FFF (CJK unified
/// ideographs) or U+B000–U+CFFF (Hangul syllables): characters that fold to themselves and are
/// of unspaced scripts, recognised from their first byte alone.
#[inline]
fn is_han_or_hangul_lead(b: u8) -> bool {
    matches!(b, 0xE5..=0xE9 | 0xEB..=0xEC)
}

#[inline]
fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Characters that fold to themselves (no case, no compatibility decomposition), decided by
/// range so the common letters of Han, Kana, Hangul, Devanagari and Arabic text skip the
/// Unicode tables. Measured: the tables were a third of the scan on a 12-language corpus.
enum Identity {
    /// A letter of a script without spaces, kept as is.
    Unspaced,
    /// A letter of a spaced script, kept as is.
    Spaced,
    /// A mark removed by folding.
    Removed,
    /// Needs the general path.
    No,
}

#[inline]
fn identity_class(c: char) -> Identity {
    match c {
        // Hangul syllables: NFKD would split them into jamo; they are kept whole (both sides
        // alike). CJK ideographs and precomposed kana are kept precomposed (NFC), as ASR
        // engines write them.
        '\u{AC00}'..='\u{D7A3}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{30FC}' => Identity::Unspaced,
        // Arabic letters without hamza and Arabic-Indic digits have no case or decomposition.
        // Alef, waw and yeh with hamza (U+0622–U+0626) take the general path, where the hamza
        // mark is removed (`أتصلت` = `اتصلت`); teh marbuta and alef maksura are folded below.
        '\u{0621}'
        | '\u{0627}'..='\u{0628}'
        | '\u{062A}'..='\u{063A}'
        | '\u{0641}'..='\u{0648}'
        | '\u{064A}'
        | '\u{0660}'..='\u{0669}'
        | '\u{0671}'..='\u{06D3}' => Identity::Spaced,
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => Identity::Removed,
        // Devanagari letters, signs and digits, except the nukta forms that decompose.
        '\u{0900}'..='\u{0928}'
        | '\u{092A}'..='\u{0930}'
        | '\u{0932}'..='\u{0933}'
        | '\u{0935}'..='\u{0957}'
        | '\u{0962}'..='\u{0963}'
        | '\u{0966}'..='\u{096F}' => Identity::Spaced,
        _ => Identity::No,
    }
}

/// Marks removed by folding: Latin combining accents, Arabic harakat, superscript alef and
/// tatweel. Their removal is what makes matching accent-insensitive.
#[inline]
fn is_removed_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// Scripts written without spaces between words: no word-boundary checks, and spaces between
/// two of their characters are dropped (ASR engines insert them inconsistently).
#[inline]
pub fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'   // Hangul Jamo
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3130}'..='\u{318F}' // Hangul compatibility Jamo
        | '\u{31F0}'..='\u{31FF}' // Katakana extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{AC00}'..='\u{D7A3}' // Hangul syllables
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{3005}' | '\u{3006}')
}

/// Whether `c` continues a word in folded text (for word-boundary checks).
#[inline]
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || is_combining_mark(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The folding rules one character at a time, without any fast path: the reference the
    /// fast paths are tested against.
    fn fold_slow(text: &str, out: &mut Folded) {
        out.text.clear();
        out.orig.clear();
        let mut state = FoldState::<true> {
            out,
            pending_space: None,
            last: Last::Start,
            last_end: 0,
            end_before_apostrophe: 0,
        };
        for (i, c) in text.char_indices() {
            if c.is_ascii() {
                state.ascii(c as u8, i);
            } else {
                let end = i + c.len_utf8();
                match identity_class(c) {
                    Identity::Unspaced => state.emit_char(c, i, end, true),
                    Identity::Spaced => state.emit_char(c, i, end, false),
                    Identity::Removed => {}
                    Identity::No => state.folded(c, i),
                }
            }
        }
        if state.last == Last::Apostrophe {
            state.separator(text.len());
        }
        let end = state.last_end;
        state.out.orig.push(end as u32);
    }

    struct Case {
        name: &'static str,
        text: &'static str,
        expect: &'static str,
    }

    const CASES: &[Case] = &[
        Case {
            name: "ascii case and punctuation",
            text: "I called, YESTERDAY!!",
            expect: "i called yesterday",
        },
        Case {
            name: "runs of spaces",
            text: "  i   called \t again ",
            expect: "i called again",
        },
        Case {
            name: "apostrophe inside word kept",
            text: "I don't know",
            expect: "i don't know",
        },
        Case {
            name: "curly apostrophe",
            text: "I don’t know",
            expect: "i don't know",
        },
        Case {
            name: "quote marks are punctuation",
            text: "'hello' there",
            expect: "hello there",
        },
        Case {
            name: "portuguese accents",
            text: "Já liguei três vezes",
            expect: "ja liguei tres vezes",
        },
        Case {
            name: "decomposed accents",
            text: "Ja\u{301} liguei",
            expect: "ja liguei",
        },
        Case {
            name: "german umlauts fold to their typed spelling",
            text: "Schön, SCHOEN, schon, Grüße",
            expect: "schoen schoen schon gruesse",
        },
        Case {
            name: "german sharp s",
            text: "Straße",
            expect: "strasse",
        },
        Case {
            name: "vietnamese d bar and tones",
            text: "Tôi đã gọi",
            expect: "toi da goi",
        },
        Case {
            name: "full width latin",
            text: "ＡＢＣ１２３",
            expect: "abc123",
        },
        Case {
            name: "half width katakana",
            text: "ｶﾀｶﾅ",
            expect: "カタカナ",
        },
        Case {
            name: "korean spacing removed",
            text: "전화 했었는데요",
            expect: "전화했었는데요",
        },
        Case {
            name: "korean punctuation between hangul",
            text: "네, 알겠습니다",
            expect: "네알겠습니다",
        },
        Case {
            name: "chinese spaces removed",
            text: "我 上次 打过 电话。",
            expect: "我上次打过电话",
        },
        Case {
            name: "an apostrophe before han is punctuation",
            text: "don'我们 한국어'",
            expect: "don 我们한국어",
        },
        Case {
            name: "mixed scripts keep the space",
            text: "我 called",
            expect: "我 called",
        },
        Case {
            name: "arabic harakat removed",
            text: "اتَّصَلْتُ",
            expect: "اتصلت",
        },
        Case {
            name: "arabic hamza forms, teh marbuta and alef maksura",
            text: "أتصلت إلى مستشفى الشركة",
            expect: "اتصلت الي مستشفي الشركه",
        },
        Case {
            name: "arabic tatweel removed",
            text: "مـــرحبا",
            expect: "مرحبا",
        },
        Case {
            name: "devanagari matras kept",
            text: "मैंने कॉल किया",
            expect: "मैंने कॉल किया",
        },
        Case {
            name: "devanagari danda is punctuation",
            text: "ठीक है। धन्यवाद",
            expect: "ठीक है धन्यवाद",
        },
        Case {
            name: "japanese voiced kana stay precomposed",
            text: "ガッカリです",
            expect: "ガッカリです",
        },
        Case {
            name: "hinglish",
            text: "Maine PEHLE bhi call kiya tha",
            expect: "maine pehle bhi call kiya tha",
        },
        Case {
            name: "empty",
            text: "",
            expect: "",
        },
        Case {
            name: "only punctuation",
            text: "?!.",
            expect: "",
        },
    ];

    #[test]
    fn fold_table() {
        for case in CASES {
            assert_eq!(fold(case.text), case.expect, "case {:?}", case.name);
        }
    }

    #[test]
    fn folding_every_character_is_idempotent() {
        for c in (0..0x11_0000).filter_map(char::from_u32) {
            let once = fold(&c.to_string());
            assert_eq!(
                fold(&once),
                once,
                "{c:?} (U+{:04X}) folds to {once:?}",
                c as u32
            );
        }
    }

    #[test]
    fn the_cache_agrees_with_the_general_path_on_every_bmp_character() {
        for c in (0x80..0x10000).filter_map(char::from_u32) {
            let mut steps = Vec::new();
            fold_steps(c, |s| steps.push(s));
            // Twice: the first call fills the cache, the second reads it.
            for _ in 0..2 {
                match folding_of(c) {
                    Folding::Nothing => assert!(steps.is_empty(), "{c:?}"),
                    Folding::One(step) => assert_eq!(steps, [step], "{c:?}"),
                    Folding::Many => assert!(steps.len() > 1, "{c:?}"),
                }
            }
        }
    }

    #[test]
    fn spans_map_back_to_the_original_words() {
        let text = "Well, I CALLED yesterday!";
        let mut f = Folded::new();
        fold_into(text, &mut f);
        let at = f.text.find("i called").unwrap();
        let (s, e) = f.map().orig_span(text, at, at + "i called".len());
        assert_eq!(&text[s..e], "I CALLED");
        let at = f.text.find("yesterday").unwrap();
        let (s, e) = f.map().orig_span(text, at, at + "yesterday".len());
        assert_eq!(&text[s..e], "yesterday");
    }

    #[test]
    fn spans_end_with_the_last_character_and_its_marks() {
        let cases = [
            ("我上周已经打过电话了，还是不行", "打过电话了", "打过电话了"),
            ("팀장님 바꿔 주세요", "팀장님바꿔", "팀장님 바꿔"),
            ("un cafe\u{301}, merci", "un cafe", "un cafe\u{301}"),
            ("اتصلتُ أمس", "اتصلت", "اتصلتُ"),
        ];
        for (text, folded_hit, want) in cases {
            let mut f = Folded::new();
            fold_into(text, &mut f);
            let at = f
                .text
                .find(folded_hit)
                .unwrap_or_else(|| panic!("{folded_hit} in {}", f.text));
            let (s, e) = f.map().orig_span(text, at, at + folded_hit.len());
            assert_eq!(&text[s..e], want);
        }
    }

    #[test]
    fn spans_cover_accented_and_wide_characters() {
        let text = "eu JÁ liguei — ＯＫ";
        let mut f = Folded::new();
        fold_into(text, &mut f);
        let at = f.text.find("ja liguei").unwrap();
        let (s, e) = f.map().orig_span(text, at, at + "ja liguei".len());
        assert_eq!(&text[s..e], "JÁ liguei");
        let at = f.text.find("ok").unwrap();
        let (s, e) = f.map().orig_span(text, at, at + 2);
        assert_eq!(&text[s..e], "ＯＫ");
    }

    proptest! {
        #[test]
        fn offset_map_is_monotonic_and_on_char_boundaries(text in "\\PC{0,40}") {
            let mut f = Folded::new();
            fold_into(&text, &mut f);
            prop_assert_eq!(f.orig.len(), f.text.len() + 1);
            for w in f.orig.windows(2) {
                prop_assert!(w[0] <= w[1]);
            }
            for &o in &f.orig {
                prop_assert!(text.is_char_boundary(o as usize));
            }
        }

        #[test]
        fn folding_without_the_map_gives_the_same_text(text in "\\PC{0,60}") {
            let mut a = Folded::new();
            let mut b = Folded::new();
            fold_into(&text, &mut a);
            fold_text_into(&text, &mut b);
            prop_assert_eq!(a.text, b.text);
            prop_assert!(b.orig.is_empty());
        }

        #[test]
        fn the_ascii_fast_path_folds_like_the_general_path(text in "[a-zA-Z0-9 ,.'`!?-]{0,60}") {
            let mut a = Folded::new();
            let mut b = Folded::new();
            fold_impl::<false>(&text, &mut a);
            fold_ascii_folded::<false>(text.as_bytes(), &mut b);
            prop_assert_eq!(&a.text, &b.text);
            prop_assert!(b.orig.is_empty());
            fold_impl::<true>(&text, &mut a);
            fold_ascii_folded::<true>(text.as_bytes(), &mut b);
            prop_assert_eq!(a.text, b.text);
            prop_assert_eq!(a.orig, b.orig);
        }

        #[test]
        fn word_and_space_chunks_fold_like_the_general_path(
            text in "([a-zA-Z0-9]{1,9}[ ,.'`]){0,12}[a-zA-Z0-9]{0,9}",
            accent in prop::option::of(0usize..120),
        ) {
            let mut a = Folded::new();
            let mut b = Folded::new();
            fold_ascii_folded::<true>(text.as_bytes(), &mut a);
            fold_slow(&text, &mut b);
            prop_assert_eq!(&a.text, &b.text);
            prop_assert_eq!(&a.orig, &b.orig);
            // The same text with a non-ASCII letter somewhere, through the general path.
            if let Some(at) = accent.map(|at| at.min(text.len())) {
                let accented = format!("{}é{}", &text[..at], &text[at..]);
                fold_impl::<true>(&accented, &mut a);
                fold_slow(&accented, &mut b);
                prop_assert_eq!(&a.text, &b.text);
                prop_assert_eq!(a.orig, b.orig);
            }
        }

        #[test]
        fn accented_latin_words_fold_like_the_general_path(
            text in "[a-zA-Z0-9éÉèàâçñãõüöäßđĐệếươắạỳœøłıİ’'` ,.-]{0,40}",
            other in prop::option::of((0usize..40, "[\u{0300}\u{0301}가ア一اनि！Ａ]")),
        ) {
            // With one character of another script, a combining accent or a full-width form
            // somewhere.
            let text = match other {
                Some((at, c)) => {
                    let at = text.char_indices().map(|(i, _)| i).nth(at).unwrap_or(text.len());
                    format!("{}{c}{}", &text[..at], &text[at..])
                }
                None => text,
            };
            let mut a = Folded::new();
            let mut b = Folded::new();
            fold_impl::<true>(&text, &mut a);
            fold_slow(&text, &mut b);
            prop_assert_eq!(&a.text, &b.text);
            prop_assert_eq!(&a.orig, &b.orig);
            fold_impl::<false>(&text, &mut a);
            prop_assert_eq!(a.text, b.text);
        }

        #[test]
        fn folding_onto_a_buffer_appends_each_text_and_its_map(
            texts in proptest::collection::vec("[a-zA-Z0-9 ,.'é가]{0,30}", 0..5),
        ) {
            let (mut out, mut map, mut unmapped) = (Vec::new(), Vec::new(), Vec::new());
            let mut scratch = Folded::new();
            let (mut want, mut want_map) = (Vec::new(), Vec::new());
            for text in &texts {
                fold_onto(text, &mut out, Some(&mut map), &mut scratch);
                fold_onto(text, &mut unmapped, None, &mut scratch);
                let mut f = Folded::new();
                fold_into(text, &mut f);
                want.extend_from_slice(f.text.as_bytes());
                want_map.extend_from_slice(&f.orig);
            }
            prop_assert_eq!(&out, &want);
            prop_assert_eq!(&unmapped, &want);
            prop_assert_eq!(map, want_map);
        }

        #[test]
        fn folding_is_idempotent(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn folding_mixed_scripts_is_idempotent(text in "[a-zA-Z가-힣ぁ-んア-ン一-龥éàüß ,.!?'’]{0,30}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
        }
    }
}
