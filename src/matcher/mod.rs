//! Finding cues: one Aho-Corasick automaton over every folded phrase of every language, built
//! once and shared by all threads (`&Matcher` is `Sync`), and the rules that turn raw matches
//! into [`Hit`]s.
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

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::lexicon::{Category, Lang, Lexicon};
use crate::normalize::{self, Folded, is_unspaced_script, is_word_char};

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
    /// The automaton could not be built (too many or too long phrases for its limits).
    #[error("building the phrase automaton: {0}")]
    Build(#[from] aho_corasick::BuildError),
    /// The lexicon has no phrases at all.
    #[error("the lexicon has no phrases")]
    Empty,
}

/// Per-thread buffers, reused across turns so scanning does not allocate once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    folded: Folded,
    raw: Vec<RawHit>,
}

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
#[derive(Debug)]
pub struct Matcher {
    automaton: AhoCorasick,
    /// For pattern `p`, its phrases are `phrase_ids[pattern_ranges[p].0 .. pattern_ranges[p].1]`.
    pattern_ranges: Vec<(u32, u32)>,
    phrase_ids: Vec<u32>,
    /// Copied from the lexicon for the hot loop: (category, language, vetoes) per phrase.
    phrase_info: Vec<(Category, Lang, Option<Category>)>,
}

impl Matcher {
    /// Compiles every phrase of `lexicon` into one automaton.
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
        let mut patterns: Vec<&str> = Vec::new();
        let mut pattern_ranges = Vec::new();
        let mut phrase_ids = Vec::with_capacity(order.len());
        for id in order {
            let folded = lexicon.phrases[id as usize].folded.as_str();
            if patterns.last() != Some(&folded) {
                patterns.push(folded);
                pattern_ranges.push((phrase_ids.len() as u32, phrase_ids.len() as u32));
            }
            phrase_ids.push(id);
            pattern_ranges.last_mut().expect("pushed above").1 += 1;
        }
        // A DFA is the fastest search (one table lookup per byte); its size grows with the
        // patterns, so very large lexicons use the contiguous NFA instead.
        let total_len: usize = patterns.iter().map(|p| p.len()).sum();
        let kind = if total_len <= 200_000 {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&patterns)?;
        let phrase_info = lexicon
            .phrases
            .iter()
            .map(|p| (p.category, p.lang, p.vetoes))
            .collect();
        Ok(Matcher {
            automaton,
            pattern_ranges,
            phrase_ids,
            phrase_info,
        })
    }

    /// Heap memory held by the automaton, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.automaton.memory_usage()
    }

    /// Finds every cue in `text` (turn number `turn`) and appends the hits to `out`, ordered by
    /// position. `lang` restricts matching to one lexicon language (`None`: all).
    pub fn scan_turn(
        &self,
        text: &str,
        turn: u32,
        lang: Option<Lang>,
        scratch: &mut Scratch,
        out: &mut Vec<Hit>,
    ) {
        let Scratch { folded, raw } = scratch;
        normalize::fold_text_into(text, folded);
        raw.clear();
        let hay = folded.text.as_str();
        for m in self.automaton.find_overlapping_iter(hay) {
            if !is_on_boundaries(hay, m.start(), m.end()) {
                continue;
            }
            let (from, to) = self.pattern_ranges[m.pattern().as_usize()];
            for &phrase in &self.phrase_ids[from as usize..to as usize] {
                let (category, phrase_lang, vetoes) = self.phrase_info[phrase as usize];
                if lang.is_some_and(|l| l != phrase_lang) {
                    continue;
                }
                raw.push(RawHit {
                    phrase,
                    category,
                    vetoes,
                    start: m.start() as u32,
                    end: m.end() as u32,
                    alive: true,
                    negated: false,
                    intensified: false,
                });
            }
        }
        if raw.is_empty() {
            return;
        }
        // Only now is the offset map needed: fold again, with it (same text by construction).
        normalize::fold_into(text, folded);
        let hay = folded.text.as_str();
        // Punctuation is gone from folded text, but a clause break in the original still ends
        // the reach of a negator ("no news yet, disappointed").
        let clause_break = |from: u32, to: u32| {
            let a = folded.orig_offset(from as usize);
            let b = folded.orig_offset(to as usize);
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
            let (orig_start, orig_end) = folded.orig_span(text, h.start as usize, h.end as usize);
            out.push(Hit {
                turn,
                phrase: h.phrase,
                category: h.category,
                orig_start: orig_start as u32,
                orig_end: orig_end as u32,
                negated: h.negated,
                intensified: h.intensified,
            });
        }
    }
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
        m.scan_turn(
            text,
            0,
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
