//! Finding cues: Aho-Corasick automata over the folded phrases (one per language, and one over
//! every language), each built once and shared by all threads (`&Matcher` is `Sync`), and the
//! rules that turn raw matches into [`Hit`]s.
//!
//! Match semantics, decided here and nowhere else:
//!
//! - **Every overlapping occurrence** is found (`MatchKind::Standard` with overlapping search):
//!   "I called twice" may be both "i called" and "called twice"; the hits table lists both.
//! - **Language**: a match counts when its phrase belongs to the call's lexicon language; a
//!   call whose language has no lexicon is matched against every language.
//! - **Word boundaries** in space-delimited scripts: a match must not start or end inside a word
//!   (`call back` does not match in `callback`). Han, Kana and Hangul have none; spacing between
//!   them was already removed by folding, so Korean matches whatever the spacing.
//! - **Exclusions** veto an overlapping hit of the category they name, in the same turn.
//! - **Sentiment**: when a positive and a negative hit overlap, the longer wins ("not happy"
//!   beats "happy"); a negator ending at most [`NEGATION_WORDS`] words (or
//!   [`NEGATION_CHARS`] characters in Han, Kana and Hangul) before a sentiment hit flips it, and an
//!   intensifier at most [`INTENSIFIER_WORDS`] words before strengthens it — but only the nearest
//!   sentiment hit after the modifier ("not helpful, but thank you": "thank you" stays positive).
//!
//! The automaton matches folded text ([`crate::normalize`]); every [`Hit`] carries the span of
//! the original text, so what a supervisor sees is what was said. Nothing here allocates per
//! hit: hits are small `Copy` values pushed into a caller's reused `Vec`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use aho_corasick::automaton::{Automaton as _, OverlappingState, StateID};
use aho_corasick::{Anchored, Input, MatchKind, PatternID, dfa, nfa};

use crate::lexicon::{Category, LANGUAGES, Lang, Lexicon};
use crate::normalize::{self, Folded, OffsetMap, is_unspaced_script, is_word_char};

/// A negator counts when at most this many words stand between it and the sentiment phrase.
pub const NEGATION_WORDS: usize = 2;
/// The same window in characters for scripts without spaces.
pub const NEGATION_CHARS: usize = 4;
/// An intensifier counts when at most this many words stand between it and the phrase.
pub const INTENSIFIER_WORDS: usize = 1;

/// One cue found in one turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index of the turn in the call.
    pub turn: u32,
    /// Index of the phrase in [`Lexicon::phrases`].
    pub phrase: u32,
    /// The phrase's category (copied to avoid a lookup per use).
    pub category: Category,
    /// Byte span in the turn's original text.
    pub orig_start: u32,
    /// Byte span end (exclusive) in the turn's original text.
    pub orig_end: u32,
    /// A negator precedes it (sentiment only).
    pub negated: bool,
    /// An intensifier precedes it (sentiment only).
    pub intensified: bool,
}

/// Why a matcher could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The lexicon has no phrases at all.
    #[error("the lexicon has no phrases")]
    Empty,
    /// The phrases are too large to compile (far beyond any real lexicon).
    #[error("the lexicon's phrases fold to {bytes} bytes; at most {MAX_PATTERN_BYTES} fit")]
    TooLarge {
        /// Folded phrase bytes.
        bytes: usize,
    },
}

/// Per-thread buffers, reused across calls so scanning does not allocate once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    /// One turn folded: a turn with non-ASCII text on its way into `call_text`, or a turn with
    /// a match folded again with its map when [`Scratch::call_maps`] has none.
    folded: Folded,
    /// The folded turns of the call, each followed by a line break (which no folded phrase
    /// holds, so no match spans two turns). Bytes, so that ASCII turns are folded straight
    /// into it; each turn's part is UTF-8.
    call_text: Vec<u8>,
    /// Where each turn's folded text ends in `call_text`.
    turn_ends: Vec<u32>,
    /// The turns' offset maps one after another (each one entry longer than its text), when
    /// the call was folded with them; else empty.
    call_maps: Vec<u32>,
    /// The automaton's matches in `call_text`, in order of their end.
    found: Vec<Found>,
    /// Matches of the second half of a split search, held until the first half is done.
    found_later: Vec<Found>,
    raw: Vec<RawHit>,
    /// How often recent turns held a hit, from 0 to [`HIT_SCORE_MAX`]: +1 for a turn with a
    /// hit, -1 for one without. See [`Matcher::scan_turns`].
    hit_score: u8,
}

/// One match of the automaton: start, end, pattern.
type Found = (u32, u32, PatternID);

/// The top of [`Scratch::hit_score`]; from half of it up, turns are folded with the offset map
/// at once.
const HIT_SCORE_MAX: u8 = 16;

impl Scratch {
    /// Empty buffers.
    pub fn new() -> Scratch {
        Scratch::default()
    }
}

#[derive(Clone, Copy, Debug)]
struct RawHit {
    phrase: u32,
    category: Category,
    vetoes: Option<Category>,
    start: u32,
    end: u32,
    alive: bool,
    negated: bool,
    intensified: bool,
}

impl RawHit {
    fn overlaps(&self, other: &RawHit) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// The compiled lexicon. Build once with [`Matcher::new`], share by reference.
///
/// A call's language is known before its turns are matched, and only that language's phrases
/// can count, so each language gets an automaton of its own phrases; the automaton over every
/// language serves calls whose language has no lexicon. A small automaton is a dense DFA that
/// stays in cache whatever the size of the whole lexicon (measured on the benchmark corpus:
/// the search over one language's phrases ran at about twice the speed of the search over all
/// of them, and the 18,000 default phrases no longer force the slower NFA). Automata are built
/// on first use, so a run pays only for the languages its calls are in.
#[derive(Debug)]
pub struct Matcher {
    /// Folded phrase texts, deduplicated and sorted, with the phrases that share each one.
    patterns: PatternSet,
    /// One per lexicon language (indexed by [`Lang`]), over that language's patterns.
    by_lang: Vec<OnceLock<Automaton>>,
    /// Over every pattern, for calls whose language has no lexicon.
    all: OnceLock<Automaton>,
    /// Copied from the lexicon for the hot loop: (category, language, vetoes) per phrase.
    phrase_info: Vec<(Category, Lang, Option<Category>)>,
    /// Automata built from now on are contiguous NFAs ([`Matcher::expect_input_bytes`]).
    quick_build: AtomicBool,
}

/// Every distinct folded phrase text, in sorted order, and the phrases that fold to it.
#[derive(Debug)]
struct PatternSet {
    texts: Vec<String>,
    /// For pattern `p`, its phrases are `phrase_ids[ranges[p].0 .. ranges[p].1]`.
    ranges: Vec<(u32, u32)>,
    phrase_ids: Vec<u32>,
    /// The languages of each pattern's phrases, one bit per [`Lang`].
    langs: Vec<u32>,
}

/// One Aho-Corasick automaton over a subset of the patterns.
#[derive(Debug)]
struct Automaton {
    search: Search,
    /// Automaton pattern id → index in [`PatternSet::texts`].
    pattern: Vec<u32>,
    /// The length of its longest pattern, in bytes: the automaton's state at any point
    /// depends on at most this many bytes before it.
    longest: usize,
}

/// The automaton itself, of the fastest kind that builds, searched by [`Search::find_all`].
#[derive(Debug)]
enum Search {
    Dfa(dfa::DFA),
    Contiguous(nfa::contiguous::NFA),
    Noncontiguous(nfa::noncontiguous::NFA),
}

impl Search {
    /// Appends every occurrence of every pattern in `hay` to `found`, overlapping ones
    /// included, in order of their end, then of pattern; the two halves of a long text are
    /// searched together ([`find_in_halves`]). `later` is a buffer for the second half's
    /// matches.
    fn find_all(&self, hay: &[u8], longest: usize, found: &mut Vec<Found>, later: &mut Vec<Found>) {
        match self {
            Search::Dfa(a) => find_in_halves(a, hay, longest, found, later),
            Search::Contiguous(a) => find_in_halves(a, hay, longest, found, later),
            Search::Noncontiguous(a) => find_in_halves(a, hay, longest, found, later),
        }
    }

    fn memory_usage(&self) -> usize {
        match self {
            Search::Dfa(a) => a.memory_usage(),
            Search::Contiguous(a) => a.memory_usage(),
            Search::Noncontiguous(a) => a.memory_usage(),
        }
    }
}

/// One pass of [`Search::find_all`] for one kind of automaton. Without a prefilter (lexicons
/// of hundreds of phrases have none), one pass over the bytes: the crate's overlapping
/// iterator keeps its place in a state object and is entered again for every match, which took
/// 14% longer over the turns of the 100 MB benchmark slice with its 2,089 phrases. With one,
/// the crate's search, which skips ahead with it.
fn for_each_overlapping<A: aho_corasick::automaton::Automaton>(
    aut: &A,
    hay: &[u8],
    mut found: impl FnMut(usize, usize, PatternID),
) {
    if aut.prefilter().is_some() {
        let input = Input::new(hay);
        let mut state = OverlappingState::start();
        while let Ok(()) = aut.try_find_overlapping(&input, &mut state) {
            let Some(m) = state.get_match() else { break };
            found(m.start(), m.end(), m.pattern());
        }
        return;
    }
    let Ok(mut sid) = aut.start_state(Anchored::No) else {
        return; // every kind built here supports unanchored searches
    };
    let mut at = 0;
    while at < hay.len() {
        (at, sid) = next_special(aut, hay, at, sid);
        if !aut.is_special(sid) {
            return; // the end of the text
        }
        if aut.is_dead(sid) {
            return;
        }
        if aut.is_match(sid) {
            for k in 0..aut.match_len(sid) {
                let pattern = aut.match_pattern(sid, k);
                found(at - aut.pattern_len(pattern), at, pattern);
            }
        }
    }
}

/// Bytes in each half below which a text is searched in one pass: a split costs a second start
/// `longest` bytes early, which pays only when the halves are much longer.
const MIN_HALF: usize = 1024;

/// [`for_each_overlapping`] into `found`, with the text cut in two halves that are stepped
/// together. One search is a chain of dependent table lookups, each waiting on the one before,
/// so the processor idles between them; two independent chains fill those waits (measured on
/// the folded calls of the 100 MB benchmark slice with their language's phrases: about 1.6×
/// the bytes per second of one chain; four chains were slower than two).
///
/// The second half starts `longest` bytes before the middle, from the start state: an
/// automaton's state is the longest pattern prefix ending at that point, never longer than the
/// longest pattern, so by the middle it is the state a single pass would have. Matches of the
/// second half that end by the middle are the first half's, and dropped; the others are held
/// in `later` and appended after the first half's, so the order is that of one pass.
fn find_in_halves<A: aho_corasick::automaton::Automaton>(
    aut: &A,
    hay: &[u8],
    longest: usize,
    found: &mut Vec<Found>,
    later: &mut Vec<Found>,
) {
    let middle = hay.len() / 2;
    let one_pass = |hay: &[u8], found: &mut Vec<Found>| {
        for_each_overlapping(aut, hay, |start, end, pattern| {
            found.push((start as u32, end as u32, pattern));
        });
    };
    if aut.prefilter().is_some() || middle < MIN_HALF.max(2 * longest) {
        return one_pass(hay, found);
    }
    let Ok(start) = aut.start_state(Anchored::No) else {
        return; // every kind built here supports unanchored searches
    };
    let second_from = middle - longest;
    let (first, second) = (&hay[..middle], &hay[second_from..]);
    // The matches of state `sid`, which the search entered at `end`, if `end` is past `after`.
    let record = |sid: StateID, end: usize, after: usize, out: &mut Vec<Found>| {
        if end <= after || !aut.is_match(sid) {
            return;
        }
        for k in 0..aut.match_len(sid) {
            let pattern = aut.match_pattern(sid, k);
            out.push(((end - aut.pattern_len(pattern)) as u32, end as u32, pattern));
        }
    };
    later.clear();
    let (mut a, mut a_sid, mut b, mut b_sid) = (0, start, 0, start);
    while a < first.len() && b < second.len() {
        (a, a_sid, b, b_sid) = next_special_in_both(aut, (first, a, a_sid), (second, b, b_sid));
        if aut.is_dead(a_sid) {
            a = first.len();
        } else {
            record(a_sid, a, 0, found);
        }
        if aut.is_dead(b_sid) {
            b = second.len();
        } else {
            record(b_sid, second_from + b, middle, later);
        }
    }
    // The longer half goes on alone (`from`: where `hay` starts in the whole text).
    let go_on = |hay: &[u8],
                 mut at: usize,
                 mut sid: StateID,
                 from: usize,
                 after: usize,
                 out: &mut Vec<Found>| {
        while at < hay.len() {
            (at, sid) = next_special(aut, hay, at, sid);
            if !aut.is_special(sid) || aut.is_dead(sid) {
                break;
            }
            record(sid, from + at, after, out);
        }
    };
    go_on(first, a, a_sid, 0, 0, found);
    go_on(second, b, b_sid, second_from, middle, later);
    found.append(later);
}

/// [`next_special`] over two texts at once, one step in each per round, until either enters a
/// special state or either ends: returns both positions and states.
#[inline(never)]
fn next_special_in_both<A: aho_corasick::automaton::Automaton>(
    aut: &A,
    (a_hay, mut a, mut a_sid): (&[u8], usize, StateID),
    (b_hay, mut b, mut b_sid): (&[u8], usize, StateID),
) -> (usize, StateID, usize, StateID) {
    let steps = (a_hay.len() - a).min(b_hay.len() - b);
    for _ in 0..steps {
        a_sid = aut.next_state(Anchored::No, a_sid, a_hay[a]);
        b_sid = aut.next_state(Anchored::No, b_sid, b_hay[b]);
        a += 1;
        b += 1;
        if aut.is_special(a_sid) | aut.is_special(b_sid) {
            break;
        }
    }
    (a, a_sid, b, b_sid)
}

/// Steps the automaton from `sid` over `hay[at..]` until it enters a special state (a match or
/// the dead state), and returns the position after the byte that led there, with that state;
/// or the end of the text and the state there. Kept out of line so that the loop, where most
/// of the matching time goes, holds its state in registers: inlined into the caller beside the
/// hit handling, the state went through the stack at every byte (a store and a reload on the
/// one dependency chain the loop has).
#[inline(never)]
fn next_special<A: aho_corasick::automaton::Automaton>(
    aut: &A,
    hay: &[u8],
    mut at: usize,
    mut sid: StateID,
) -> (usize, StateID) {
    while let Some(&byte) = hay.get(at) {
        sid = aut.next_state(Anchored::No, sid, byte);
        at += 1;
        if aut.is_special(sid) {
            break;
        }
    }
    (at, sid)
}

/// Folded phrase bytes above which an automaton is a contiguous NFA rather than a DFA: a DFA
/// is the fastest search (one table lookup per byte), but its table grows with the patterns
/// times the byte classes, and past this size it stops fitting in cache. Scripts written in
/// two- and three-byte UTF-8 have many byte classes: the default Arabic and Hindi lexicons
/// (93 and 76 kB folded) made DFAs of about 18 and 14 MB that took 50 and 30 ms to build. As
/// contiguous NFAs, a one-call Arabic scan takes 0.04 s and 24 MB instead of 0.09 s and
/// 42 MB, and the 624 Arabic and Hindi calls of the 100 MB benchmark slice were scanned in the
/// same CPU time (3 interleaved rounds), in 54 instead of 89 MB.
const DFA_MAX_PATTERN_BYTES: usize = 60_000;

/// Input (bytes of the files a run reads) below which every automaton is a contiguous NFA,
/// whatever its size: a DFA searches faster but takes longer to build, and a small run never
/// earns the time back. Building the call language's DFA was a third of a one-call scan with
/// the default lexicons (English 48 → 33 ms, Japanese 46 → 33, Spanish 46 → 35; medians of 15
/// runs), while the contiguous NFA searches the benchmark corpus with the 2,089-phrase set about
/// 3 ms per MB slower (and with the default lexicons no slower measurably): under a few MB of
/// text, the NFA's run ends first. 1 MiB rather than the break-even of about 6 MB, because
/// compressed input holds several times its size in text.
pub const QUICK_BUILD_INPUT_BYTES: u64 = 1 << 20;

/// The most folded phrase bytes a lexicon may have: far beyond any real lexicon, and low
/// enough that every automaton is within the Aho-Corasick crate's state limits.
const MAX_PATTERN_BYTES: usize = 256 << 20;

impl Automaton {
    /// Builds the automaton over the patterns `include` selects: a DFA when `dfa_wanted` and
    /// the patterns are small enough, else a contiguous NFA.
    fn build(
        patterns: &PatternSet,
        include: impl Fn(usize) -> bool,
        dfa_wanted: bool,
    ) -> Automaton {
        let pattern: Vec<u32> = (0..patterns.texts.len())
            .filter(|&p| include(p))
            .map(|p| p as u32)
            .collect();
        let texts = pattern.iter().map(|&p| patterns.texts[p as usize].as_str());
        let total_len: usize = texts.clone().map(str::len).sum();
        let dfa = || {
            dfa::DFA::builder()
                .match_kind(MatchKind::Standard)
                .build(texts.clone())
                .ok()
                .map(Search::Dfa)
        };
        let contiguous = || {
            nfa::contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .build(texts.clone())
                .ok()
                .map(Search::Contiguous)
        };
        // A DFA that would exceed its size limit falls back to the contiguous NFA; the
        // noncontiguous NFA only fails past `MAX_PATTERN_BYTES`, which `Matcher::new` rules out.
        let search = (dfa_wanted && total_len <= DFA_MAX_PATTERN_BYTES)
            .then(dfa)
            .flatten()
            .or_else(contiguous)
            .unwrap_or_else(|| {
                let nfa = nfa::noncontiguous::NFA::builder()
                    .match_kind(MatchKind::Standard)
                    .build(texts.clone())
                    .expect("patterns within MAX_PATTERN_BYTES always build");
                Search::Noncontiguous(nfa)
            });
        let longest = pattern
            .iter()
            .map(|&p| patterns.texts[p as usize].len())
            .max()
            .unwrap_or(0);
        Automaton {
            search,
            pattern,
            longest,
        }
    }
}

impl Matcher {
    /// Compiles every phrase of `lexicon`; the automata themselves are built on first use.
    pub fn new(lexicon: &Lexicon) -> Result<Matcher, MatcherError> {
        if lexicon.phrases.is_empty() {
            return Err(MatcherError::Empty);
        }
        // Phrases that fold to the same text share one pattern.
        let mut order: Vec<u32> = (0..lexicon.phrases.len() as u32).collect();
        order.sort_by(|&a, &b| {
            lexicon.phrases[a as usize]
                .folded
                .cmp(&lexicon.phrases[b as usize].folded)
                .then(a.cmp(&b))
        });
        let mut patterns = PatternSet {
            texts: Vec::new(),
            ranges: Vec::new(),
            phrase_ids: Vec::with_capacity(order.len()),
            langs: Vec::new(),
        };
        for id in order {
            let phrase = &lexicon.phrases[id as usize];
            if patterns.texts.last() != Some(&phrase.folded) {
                patterns.texts.push(phrase.folded.clone());
                let at = patterns.phrase_ids.len() as u32;
                patterns.ranges.push((at, at));
                patterns.langs.push(0);
            }
            patterns.phrase_ids.push(id);
            patterns.ranges.last_mut().expect("pushed above").1 += 1;
            *patterns.langs.last_mut().expect("pushed above") |= 1 << phrase.lang.0;
        }
        let total_len: usize = patterns.texts.iter().map(String::len).sum();
        if total_len > MAX_PATTERN_BYTES {
            return Err(MatcherError::TooLarge { bytes: total_len });
        }
        let phrase_info = lexicon
            .phrases
            .iter()
            .map(|p| (p.category, p.lang, p.vetoes))
            .collect();
        Ok(Matcher {
            patterns,
            by_lang: (0..LANGUAGES.len()).map(|_| OnceLock::new()).collect(),
            all: OnceLock::new(),
            phrase_info,
            quick_build: AtomicBool::new(false),
        })
    }

    /// Tells the matcher how many bytes of input the run will read, before its first search:
    /// under [`QUICK_BUILD_INPUT_BYTES`] the automata are built as contiguous NFAs, which build
    /// several times faster than DFAs and find the same hits. Without it, or for more input,
    /// each language gets the fastest automaton its size allows. Automata already built stay
    /// as they are.
    pub fn expect_input_bytes(&self, bytes: u64) {
        self.quick_build
            .store(bytes < QUICK_BUILD_INPUT_BYTES, Ordering::Relaxed);
    }

    /// Heap memory held by the automata built so far, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.by_lang
            .iter()
            .chain(std::iter::once(&self.all))
            .filter_map(OnceLock::get)
            .map(|a| a.search.memory_usage())
            .sum()
    }

    /// The automaton for calls in `lang` (`None`: every language), built on first use.
    fn automaton(&self, lang: Option<Lang>) -> &Automaton {
        let langs = &self.patterns.langs;
        match lang {
            Some(lang) => self.by_lang[lang.0 as usize]
                .get_or_init(|| self.build(|p| langs[p] & (1 << lang.0) != 0)),
            None => self.all.get_or_init(|| self.build(|_| true)),
        }
    }

    /// Builds the automaton over the patterns `include` selects, of the kind this run asked
    /// for ([`Matcher::expect_input_bytes`]): read here, once per automaton, not per call.
    fn build(&self, include: impl Fn(usize) -> bool) -> Automaton {
        let dfa_wanted = !self.quick_build.load(Ordering::Relaxed);
        Automaton::build(&self.patterns, include, dfa_wanted)
    }

    /// Finds every cue in the turns of one call (`texts`, in turn order) and appends the hits
    /// to `out`, ordered by turn and position. `lang` restricts matching to one lexicon
    /// language (`None`: all).
    ///
    /// The turns are folded into one text and searched in one go: turns are short (a median of
    /// about sixty bytes in the benchmark corpus), too short for a search to be split into two
    /// halves stepped together, and a call is not.
    pub fn scan_turns<'t>(
        &self,
        texts: impl Iterator<Item = &'t str> + Clone,
        lang: Option<Lang>,
        scratch: &mut Scratch,
        out: &mut Vec<Hit>,
    ) {
        // Most turns hold no cue, so offset maps are built only for those that do, by folding
        // them again. Where most turns do (a lexicon of common topic words), that second fold
        // was a tenth of the scan, so while recent turns mostly had hits every turn's map is
        // built in the first fold. Either way the folded text is the same: only the work
        // differs.
        let mapped = scratch.hit_score >= HIT_SCORE_MAX / 2;
        scratch.call_text.clear();
        scratch.turn_ends.clear();
        scratch.call_maps.clear();
        for text in texts.clone() {
            let map = mapped.then_some(&mut scratch.call_maps);
            normalize::fold_onto(text, &mut scratch.call_text, map, &mut scratch.folded);
            scratch.turn_ends.push(scratch.call_text.len() as u32);
            scratch.call_text.push(b'\n');
        }
        let automaton = self.automaton(lang);
        scratch.found.clear();
        automaton.search.find_all(
            &scratch.call_text,
            automaton.longest,
            &mut scratch.found,
            &mut scratch.found_later,
        );
        let (mut turn_start, mut map_start, mut next) = (0, 0, 0);
        for (turn, text) in texts.enumerate() {
            let turn_end = scratch.turn_ends[turn] as usize;
            let first = next;
            while scratch
                .found
                .get(next)
                .is_some_and(|&(_, end, _)| end as usize <= turn_end)
            {
                next += 1;
            }
            let map_end = map_start + (turn_end - turn_start) + 1;
            let held = self.turn_hits(
                TurnFound {
                    text,
                    turn: turn as u32,
                    start: turn_start,
                    end: turn_end,
                    found: first..next,
                    map: mapped.then_some(map_start..map_end),
                },
                automaton,
                lang,
                scratch,
                out,
            );
            scratch.hit_score = if held {
                (scratch.hit_score + 1).min(HIT_SCORE_MAX)
            } else {
                scratch.hit_score.saturating_sub(1)
            };
            turn_start = turn_end + 1;
            map_start = map_end;
        }
    }

    /// Turns the automaton's matches in one turn into hits appended to `out`. Returns whether
    /// the turn held a match of the call's language (what [`Scratch::hit_score`] counts).
    fn turn_hits(
        &self,
        turn: TurnFound<'_>,
        automaton: &Automaton,
        lang: Option<Lang>,
        scratch: &mut Scratch,
        out: &mut Vec<Hit>,
    ) -> bool {
        let Scratch {
            folded,
            call_text,
            call_maps,
            found,
            raw,
            ..
        } = scratch;
        raw.clear();
        if turn.found.is_empty() {
            return false;
        }
        let hay = std::str::from_utf8(&call_text[turn.start..turn.end])
            .expect("a turn's folded text is UTF-8");
        for &(start, end, found) in &found[turn.found] {
            let (start, end) = (start as usize - turn.start, end as usize - turn.start);
            if !is_on_boundaries(hay, start, end) {
                continue;
            }
            let pattern = automaton.pattern[found.as_usize()] as usize;
            let (from, to) = self.patterns.ranges[pattern];
            for &phrase in &self.patterns.phrase_ids[from as usize..to as usize] {
                let (category, phrase_lang, vetoes) = self.phrase_info[phrase as usize];
                if lang.is_some_and(|l| l != phrase_lang) {
                    continue;
                }
                raw.push(RawHit {
                    phrase,
                    category,
                    vetoes,
                    start: start as u32,
                    end: end as u32,
                    alive: true,
                    negated: false,
                    intensified: false,
                });
            }
        }
        if raw.is_empty() {
            return false;
        }
        let map = match turn.map {
            Some(range) => OffsetMap(&call_maps[range]),
            None => {
                // Only now is the offset map needed: fold again, with it (same text by
                // construction).
                normalize::fold_into(turn.text, folded);
                debug_assert_eq!(folded.text, hay);
                folded.map()
            }
        };
        let text = turn.text;
        // Punctuation is gone from folded text, but a clause break in the original still ends
        // the reach of a negator ("no news yet, disappointed").
        let clause_break = |from: u32, to: u32| {
            let a = map.orig_offset(from as usize);
            let b = map.orig_offset(to as usize);
            text[a.min(b)..b].contains(CLAUSE_PUNCTUATION)
        };
        apply_rules(hay, raw, clause_break);
        raw.sort_by_key(|h| (h.start, h.end, h.phrase));
        for h in raw
            .iter()
            .filter(|h| h.alive && h.category != Category::Exclusion)
        {
            if matches!(h.category, Category::Negator | Category::Intensifier) {
                continue;
            }
            let (orig_start, orig_end) = map.orig_span(text, h.start as usize, h.end as usize);
            out.push(Hit {
                turn: turn.turn,
                phrase: h.phrase,
                category: h.category,
                orig_start: orig_start as u32,
                orig_end: orig_end as u32,
                negated: h.negated,
                intensified: h.intensified,
            });
        }
        true
    }
}

/// One turn's place in [`Scratch`] during [`Matcher::scan_turns`].
struct TurnFound<'t> {
    /// The turn's original text.
    text: &'t str,
    /// Its index in the call.
    turn: u32,
    /// Where its folded text lies in [`Scratch::call_text`].
    start: usize,
    end: usize,
    /// Its matches in [`Scratch::found`].
    found: std::ops::Range<usize>,
    /// Its offset map in [`Scratch::call_maps`], when the call was folded with maps.
    map: Option<std::ops::Range<usize>>,
}

/// Exclusions, sentiment overlap, negation and intensifiers, in that order.
/// Punctuation that ends a clause, for the reach of negators and intensifiers.
const CLAUSE_PUNCTUATION: &[char] = &[
    ',', '.', ';', ':', '!', '?', '，', '。', '、', '；', '！', '？', '،', '؛', '؟', '।',
];

fn apply_rules(hay: &str, raw: &mut [RawHit], clause_break: impl Fn(u32, u32) -> bool) {
    let n = raw.len();
    // Exclusions veto overlapping hits of the category they name.
    for i in 0..n {
        if let Some(target) = raw[i].vetoes {
            for j in 0..n {
                if raw[j].category == target && raw[j].overlaps(&raw[i]) {
                    raw[j].alive = false;
                }
            }
        }
    }
    // A positive and a negative phrase over the same words: the longer, more specific one wins.
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (raw[i], raw[j]);
            if a.alive && b.alive && is_opposite_sentiment(a.category, b.category) && a.overlaps(&b)
            {
                let (la, lb) = (a.end - a.start, b.end - b.start);
                if la > lb {
                    raw[j].alive = false;
                }
            }
        }
    }
    for i in 0..n {
        if !raw[i].alive || !is_sentiment(raw[i].category) {
            continue;
        }
        for j in 0..n {
            let m = raw[j];
            if m.end > raw[i].start {
                continue;
            }
            // A modifier applies to the nearest sentiment phrase after it only:
            // in "not helpful, but thank you" the "not" belongs to "helpful".
            let claimed = raw.iter().any(|o| {
                o.alive && o.start >= m.end && o.start < raw[i].start && is_sentiment(o.category)
            });
            // A modifier inside another sentiment phrase belongs to that phrase ("pas content"
            // holds "pas"): it does not reach further.
            let inside = raw
                .iter()
                .any(|o| o.alive && is_sentiment(o.category) && o.overlaps(&m));
            if claimed
                || inside
                || !matches!(m.category, Category::Negator | Category::Intensifier)
                || clause_break(m.end, raw[i].start)
            {
                continue;
            }
            match m.category {
                Category::Negator
                    if is_within(hay, m.end, raw[i].start, NEGATION_WORDS, NEGATION_CHARS) =>
                {
                    raw[i].negated = true
                }
                Category::Intensifier
                    if is_within(hay, m.end, raw[i].start, INTENSIFIER_WORDS, NEGATION_CHARS) =>
                {
                    raw[i].intensified = true
                }
                _ => {}
            }
        }
    }
}

fn is_sentiment(c: Category) -> bool {
    matches!(c, Category::SentimentNegative | Category::SentimentPositive)
}

fn is_opposite_sentiment(a: Category, b: Category) -> bool {
    matches!(
        (a, b),
        (Category::SentimentNegative, Category::SentimentPositive)
            | (Category::SentimentPositive, Category::SentimentNegative)
    )
}

/// Whether the gap `hay[from..to]` holds at most `max_words` words (spaced scripts) or at most
/// `max_chars` characters (when the gap is in an unspaced script).
fn is_within(hay: &str, from: u32, to: u32, max_words: usize, max_chars: usize) -> bool {
    let gap = &hay[from as usize..to as usize];
    if gap.chars().any(is_unspaced_script) || (!gap.contains(' ') && !gap.is_empty()) {
        return gap.chars().count() <= max_chars;
    }
    // Folded text has single spaces: a gap " a b " holds (spaces - 1) words.
    let spaces = gap.bytes().filter(|&b| b == b' ').count();
    spaces.saturating_sub(1) <= max_words
}

/// Whether `hay[start..end]` starts and ends on word boundaries (spaced scripts only).
fn is_on_boundaries(hay: &str, start: usize, end: usize) -> bool {
    let before = hay[..start].chars().next_back();
    let first = hay[start..].chars().next();
    if let (Some(b), Some(f)) = (before, first)
        && !is_unspaced_script(f)
        && is_word_char(b)
        && !is_unspaced_script(b)
    {
        return false;
    }
    let last = hay[..end].chars().next_back();
    let after = hay[end..].chars().next();
    if let (Some(l), Some(a)) = (last, after)
        && !is_unspaced_script(l)
        && is_word_char(a)
        && !is_unspaced_script(a)
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Origin;

    fn lexicon(entries: &[(&str, &str, &str)]) -> Lexicon {
        let tsv: String = std::iter::once("phrase\tcategory\tlanguage\n".to_string())
            .chain(entries.iter().map(|(p, c, l)| format!("{p}\t{c}\t{l}\n")))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tsv");
        std::fs::write(&path, tsv).unwrap();
        Lexicon::load(&path).unwrap()
    }

    fn scan(lex: &Lexicon, text: &str, lang: Option<&str>) -> Vec<(String, String, bool)> {
        let m = Matcher::new(lex).unwrap();
        let mut out = Vec::new();
        m.scan_turns(
            std::iter::once(text),
            lang.map(|l| Lang::from_code(l).unwrap()),
            &mut Scratch::new(),
            &mut out,
        );
        out.iter()
            .map(|h| {
                (
                    lex.category_name(h.category).to_string(),
                    text[h.orig_start as usize..h.orig_end as usize].to_string(),
                    h.negated,
                )
            })
            .collect()
    }

    #[test]
    fn turns_give_the_same_hits_whether_the_map_is_built_first_or_after() {
        let lex = lexicon(&[
            ("i called", "repeat_contact", "en"),
            ("called twice", "repeat_contact", "en"),
            ("not", "negator", "en"),
            ("happy", "sentiment_positive", "en"),
            ("très déçu", "sentiment_negative", "fr"),
        ]);
        let m = Matcher::new(&lex).unwrap();
        let turns = [
            ("Yes, I CALLED twice!", "en"),
            ("i'm not   happy... at ALL", "en"),
            ("nothing to see here", "en"),
            ("Je suis TRES deçu, vraiment", "fr"),
            ("I called. Twice? happy, not happy", "en"),
        ];
        let scan_with = |scratch: &mut Scratch, text: &str, lang: &str| {
            let mut out = Vec::new();
            let lang = Some(Lang::from_code(lang).unwrap());
            m.scan_turns(std::iter::once(text), lang, scratch, &mut out);
            out
        };
        let mut warm = Scratch::new();
        for _ in 0..HIT_SCORE_MAX {
            scan_with(&mut warm, "i called", "en");
        }
        for (text, lang) in turns {
            assert!(
                warm.hit_score >= HIT_SCORE_MAX / 2,
                "the map is built first"
            );
            let cold = scan_with(&mut Scratch::new(), text, lang);
            assert_eq!(scan_with(&mut warm, text, lang), cold, "{text}");
            assert!(!cold.is_empty() || text.starts_with("nothing"), "{text}");
        }
        // And back: turns without hits bring the first fold back to text only.
        for _ in 0..HIT_SCORE_MAX {
            scan_with(&mut warm, "nothing", "en");
        }
        assert_eq!(warm.hit_score, 0);
    }

    #[test]
    fn finds_overlapping_hits_and_reports_original_spans() {
        let lex = lexicon(&[
            ("i called", "repeat_contact", "en"),
            ("called twice", "repeat_contact", "en"),
        ]);
        let hits = scan(&lex, "Yes, I CALLED twice!", Some("en"));
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].1, "I CALLED");
        assert_eq!(hits[1].1, "CALLED twice");
    }

    #[test]
    fn word_boundaries_apply_to_spaced_scripts_only() {
        let lex = lexicon(&[
            ("call back", "repeat_contact", "en"),
            ("又打", "repeat_contact", "zh"),
        ]);
        assert!(scan(&lex, "the callback never came", None).is_empty());
        assert!(scan(&lex, "recall backup", None).is_empty());
        assert_eq!(scan(&lex, "you said you'd call back", None).len(), 1);
        assert_eq!(scan(&lex, "我又打了电话", None).len(), 1);
    }

    #[test]
    fn korean_matches_whatever_the_spacing() {
        let lex = lexicon(&[("전화 했었는데", "repeat_contact", "ko")]);
        assert_eq!(scan(&lex, "어제 전화했었는데요", Some("ko")).len(), 1);
        assert_eq!(scan(&lex, "어제 전화 했었는데요", Some("ko")).len(), 1);
    }

    #[test]
    fn accents_do_not_matter_where_the_language_tolerates_it() {
        let lex = lexicon(&[("já liguei", "repeat_contact", "pt")]);
        assert_eq!(scan(&lex, "eu ja liguei ontem", Some("pt")).len(), 1);
        assert_eq!(scan(&lex, "Eu JÁ LIGUEI ontem", Some("pt")).len(), 1);
    }

    #[test]
    fn phrases_of_other_languages_do_not_count() {
        let lex = lexicon(&[
            ("no", "negator", "es"),
            ("llamé ayer", "repeat_contact", "es"),
        ]);
        assert!(scan(&lex, "llame ayer", Some("en")).is_empty());
        assert_eq!(scan(&lex, "llame ayer", Some("es")).len(), 1);
        assert_eq!(scan(&lex, "llame ayer", None).len(), 1);
    }

    #[test]
    fn exclusions_veto_overlapping_hits_of_their_category() {
        let mut lex = lexicon(&[
            ("time calling", "repeat_contact", "en"),
            ("so frustrating", "sentiment_negative", "en"),
        ]);
        let en = Lang::from_code("en").unwrap();
        lex.phrases.push(crate::lexicon::Phrase {
            text: "first time calling".into(),
            folded: "first time calling".into(),
            category: Category::Exclusion,
            lang: en,
            vetoes: Some(Category::RepeatContact),
            origin: Origin {
                file: "x".into(),
                line: 1,
            },
        });
        assert!(scan(&lex, "this is my first time calling", Some("en")).is_empty());
        assert_eq!(
            scan(&lex, "this is the third time calling", Some("en")).len(),
            1
        );
        // An exclusion only vetoes the category it names.
        assert_eq!(
            scan(&lex, "first time calling and so frustrating", Some("en")).len(),
            1
        );
    }

    #[test]
    fn negation_and_longest_sentiment() {
        let lex = lexicon(&[
            ("happy", "sentiment_positive", "en"),
            ("not happy", "sentiment_negative", "en"),
            ("helpful", "sentiment_positive", "en"),
            ("never", "negator", "en"),
            ("not", "negator", "en"),
            ("very", "intensifier", "en"),
        ]);
        let hits = scan(&lex, "I'm not happy", Some("en"));
        assert_eq!(
            hits,
            [(
                "sentiment_negative".to_string(),
                "not happy".to_string(),
                false
            )]
        );
        let hits = scan(&lex, "you were never very helpful", Some("en"));
        assert_eq!(
            hits,
            [(
                "sentiment_positive".to_string(),
                "helpful".to_string(),
                true
            )]
        );
        let hits = scan(&lex, "never. helpful", Some("en"));
        assert!(
            !hits[0].2,
            "a clause break ends the negator's reach: {hits:?}"
        );
        let hits = scan(&lex, "not happy never helpful", Some("en"));
        assert_eq!(
            hits.iter().map(|h| h.2).collect::<Vec<_>>(),
            [false, true],
            "{hits:?}"
        );
        let hits = scan(&lex, "not happy, helpful", Some("en"));
        assert_eq!(
            hits.iter().map(|h| h.2).collect::<Vec<_>>(),
            [false, false],
            "'not' inside 'not happy' reaches no further: {hits:?}"
        );
        let hits = scan(&lex, "not helpful but happy", Some("en"));
        assert_eq!(
            hits.iter().map(|h| h.2).collect::<Vec<_>>(),
            [true, false],
            "a negator binds to the nearest cue only"
        );
        let hits = scan(
            &lex,
            "never, and I mean it, in my life was anyone helpful",
            Some("en"),
        );
        assert!(!hits[0].2, "negator too far away: {hits:?}");
    }

    #[test]
    fn every_kind_of_automaton_finds_what_the_crate_iterator_finds() {
        let patterns = [
            "i called",
            "called twice",
            "call",
            "twice",
            "ice",
            "d t",
            "twice nice. i called twice",
        ];
        let longest = patterns.iter().map(|p| p.len()).max().unwrap();
        let reference = |hay: &[u8]| -> Vec<(usize, usize, usize)> {
            aho_corasick::AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .unwrap()
                .find_overlapping_iter(hay)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect()
        };
        let short = "i called twice, then i called again; twice nice".to_string();
        // Long enough to be searched in halves, and shifted byte by byte so that matches of
        // every pattern end at, just before and just after the middle, and cross it (the middle
        // moves half a byte per shift, so 120 shifts cover the 49-byte sentence).
        let body = "i called twice, then i called again; twice nice. ".repeat(60);
        let texts = std::iter::once(short)
            .chain((0..120).map(|shift| format!("{}{body}", "x".repeat(shift))));
        let (mut found, mut later) = (Vec::new(), Vec::new());
        let (mut crossing, mut ending_at_middle) = (false, false);
        let (mut ending_after_middle, mut longest_after_middle) = (false, false);
        for (n, hay) in texts.enumerate() {
            let hay = hay.as_bytes();
            let expected = reference(hay);
            let middle = hay.len() / 2;
            if n == 0 {
                assert!(middle < MIN_HALF, "one pass");
                // The last pattern ends at the last byte: the stepping loop stops there.
                assert_eq!(expected.last().map(|m| m.1), Some(hay.len()));
            } else {
                assert!(middle >= MIN_HALF, "in halves");
                crossing |= expected.iter().any(|m| m.0 < middle && middle < m.1);
                ending_at_middle |= expected.iter().any(|m| m.1 == middle);
                ending_after_middle |= expected.iter().any(|m| m.1 == middle + 1);
                longest_after_middle |= expected.iter().any(|m| m.1 == middle + 1 && m.2 == 6);
            }
            for prefilter in [true, false] {
                for search in every_kind(&patterns, prefilter) {
                    let has_prefilter = match &search {
                        Search::Dfa(a) => a.prefilter().is_some(),
                        Search::Contiguous(a) => a.prefilter().is_some(),
                        Search::Noncontiguous(a) => a.prefilter().is_some(),
                    };
                    assert_eq!(has_prefilter, prefilter, "each path is taken");
                    found.clear();
                    search.find_all(hay, longest, &mut found, &mut later);
                    let got: Vec<(usize, usize, usize)> = found
                        .iter()
                        .map(|&(s, e, p)| (s as usize, e as usize, p.as_usize()))
                        .collect();
                    assert_eq!(got, expected, "text {n}: {search:?}");
                }
            }
        }
        assert!(crossing && ending_at_middle && ending_after_middle && longest_after_middle);
    }

    /// The three kinds of automaton over `patterns`, with or without a prefilter.
    fn every_kind(patterns: &[&str], prefilter: bool) -> [Search; 3] {
        let kind = MatchKind::Standard;
        [
            Search::Dfa(
                dfa::DFA::builder()
                    .match_kind(kind)
                    .prefilter(prefilter)
                    .build(patterns)
                    .unwrap(),
            ),
            Search::Contiguous(
                nfa::contiguous::NFA::builder()
                    .match_kind(kind)
                    .prefilter(prefilter)
                    .build(patterns)
                    .unwrap(),
            ),
            Search::Noncontiguous(
                nfa::noncontiguous::NFA::builder()
                    .match_kind(kind)
                    .prefilter(prefilter)
                    .build(patterns)
                    .unwrap(),
            ),
        ]
    }

    /// A small run's automata are contiguous NFAs, a large run's DFAs, and both find the same
    /// hits: with the default lexicons, in a sample call of each of three languages.
    #[test]
    fn a_small_run_builds_nfas_that_find_what_dfas_find() {
        let lex = Lexicon::embedded().unwrap();
        let small = Matcher::new(&lex).unwrap();
        small.expect_input_bytes(QUICK_BUILD_INPUT_BYTES - 1);
        let large = Matcher::new(&lex).unwrap();
        large.expect_input_bytes(QUICK_BUILD_INPUT_BYTES);
        let calls = [
            (
                "en",
                "I called last week about this and nobody fixed it. I want a supervisor.",
            ),
            (
                "es",
                "Ya llamé la semana pasada por lo mismo, quiero hablar con un supervisor.",
            ),
            (
                "ja",
                "先週も電話したのですが、まだ直っていません。上司に代わってください。",
            ),
        ];
        for (code, text) in calls {
            let lang = Lang::from_code(code);
            assert!(matches!(
                small.automaton(lang).search,
                Search::Contiguous(_)
            ));
            assert!(matches!(large.automaton(lang).search, Search::Dfa(_)));
            let hits = |m: &Matcher| {
                let mut out = Vec::new();
                m.scan_turns(std::iter::once(text), lang, &mut Scratch::new(), &mut out);
                out
            };
            let found = hits(&small);
            assert!(found.len() >= 2, "{code}: {found:?}");
            assert_eq!(found, hits(&large), "{code}");
        }
    }

    #[test]
    fn a_call_gives_the_hits_of_its_turns_scanned_alone() {
        let lex = lexicon(&[
            ("i called", "repeat_contact", "en"),
            ("called twice", "repeat_contact", "en"),
            ("call back", "repeat_contact", "en"),
            ("not", "negator", "en"),
            ("happy", "sentiment_positive", "en"),
            ("supervisor", "escalation", "en"),
        ]);
        let m = Matcher::new(&lex).unwrap();
        let en = Lang::from_code("en");
        let sentences = [
            "Yes, I CALLED twice!",
            "i'm not   happy... at ALL",
            "",
            "nothing to see here",
            "called",
            "twice - I want a supervisor",
            "please call back, not happy",
        ];
        // Long calls too, so that the call's text is searched in halves and turns with hits
        // lie on both sides of its middle.
        for turns in [7, 70, 700] {
            let texts: Vec<&str> = (0..turns).map(|i| sentences[i % sentences.len()]).collect();
            let mut alone = Vec::new();
            let mut scratch = Scratch::new();
            for (i, text) in texts.iter().enumerate() {
                let mut hits = Vec::new();
                m.scan_turns(std::iter::once(*text), en, &mut scratch, &mut hits);
                alone.extend(hits.into_iter().map(|h| Hit {
                    turn: i as u32,
                    ..h
                }));
            }
            let mut together = Vec::new();
            m.scan_turns(
                texts.iter().copied(),
                en,
                &mut Scratch::new(),
                &mut together,
            );
            assert_eq!(together, alone, "{turns} turns");
            assert!(together.len() >= turns * 6 / 7, "{turns} turns");
        }
    }

    #[test]
    fn matcher_agrees_with_naive_search_on_folded_text() {
        let phrases = ["call", "called", "i called", "back", "call back", "again"];
        let entries: Vec<(&str, &str, &str)> = phrases
            .iter()
            .map(|p| (*p, "repeat_contact", "en"))
            .collect();
        let lex = lexicon(&entries);
        let text = "I called. Call back again; i called back, called again";
        let folded = normalize::fold(text);
        let mut naive = 0;
        for p in phrases {
            for (i, _) in folded.match_indices(p) {
                if is_on_boundaries(&folded, i, i + p.len()) {
                    naive += 1;
                }
            }
        }
        assert_eq!(scan(&lex, text, Some("en")).len(), naive);
    }
}
