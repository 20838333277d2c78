//! Lexicons: the phrase lists a QA lead edits, parsed into [`Phrase`]s with their [`Category`],
//! language and the file and line they came from.
//!
//! Three sources, one result: the default set embedded in the binary (`phrases/`, see
//! `build.rs`), a directory laid out the same way (`--phrases DIR`), or a spreadsheet export
//! (`--phrases FILE.tsv|FILE.csv` with `phrase`, `category`, `language` columns). The format is
//! documented for people in docs/LEXICONS.md.
//!
//! Loading fails on anything that would change what is matched in a way the author did not mean
//! (an unknown language or category, a malformed exclusion): bad configuration is fatal before
//! any work starts. [`check`] reports softer problems too (duplicates, conflicts).
//!
//! This module does not match: [`crate::matcher`] compiles a [`Lexicon`] into an automaton.

mod check;
mod language;
mod parse;
mod table;

pub use check::{CheckProblem, check};
pub use language::{LANGUAGES, Lang};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::Speaker;
use crate::normalize;

/// What a phrase signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// The customer says they contacted before about the same problem.
    RepeatContact,
    /// The customer asks for a supervisor or threatens to complain, cancel or go elsewhere.
    Escalation,
    /// Negative feeling or judgement.
    SentimentNegative,
    /// Positive feeling or judgement.
    SentimentPositive,
    /// Flips the polarity of a sentiment phrase that follows closely.
    Negator,
    /// Strengthens a sentiment phrase that follows closely.
    Intensifier,
    /// Vetoes an overlapping hit of another category (see [`Phrase::vetoes`]).
    Exclusion,
    /// Something agents say and customers don't (role inference).
    AgentCue,
    /// What the contact is about: an index into [`Lexicon::topics`].
    Topic(u16),
}

/// The categories whose hits go to the hits table and the call flags, in a fixed order.
pub const CUE_CATEGORIES: [Category; 4] = [
    Category::RepeatContact,
    Category::Escalation,
    Category::SentimentNegative,
    Category::SentimentPositive,
];

impl Category {
    /// Parses a category name as used in file names and phrase tables. Spreadsheet aliases
    /// (`repeat`, `negative`, `positive`) are accepted. Topics are resolved by the caller.
    fn from_fixed_name(name: &str) -> Option<Category> {
        Some(match name {
            "repeat_contact" | "repeat" | "repeat-contact" => Category::RepeatContact,
            "escalation" => Category::Escalation,
            "sentiment_negative" | "negative" => Category::SentimentNegative,
            "sentiment_positive" | "positive" => Category::SentimentPositive,
            "negator" => Category::Negator,
            "intensifier" => Category::Intensifier,
            "exclusion" => Category::Exclusion,
            "agent_cue" => Category::AgentCue,
            _ => return None,
        })
    }

    /// The stable name for categories that are not topics (topics are named by the lexicon).
    pub fn fixed_name(self) -> Option<&'static str> {
        Some(match self {
            Category::RepeatContact => "repeat_contact",
            Category::Escalation => "escalation",
            Category::SentimentNegative => "sentiment_negative",
            Category::SentimentPositive => "sentiment_positive",
            Category::Negator => "negator",
            Category::Intensifier => "intensifier",
            Category::Exclusion => "exclusion",
            Category::AgentCue => "agent_cue",
            Category::Topic(_) => return None,
        })
    }

    /// Which speaker's hits count toward the call's flag for this category by default.
    pub fn default_speaker(self) -> SpeakerRule {
        match self {
            Category::RepeatContact | Category::Escalation => SpeakerRule::Only(Speaker::Customer),
            _ => SpeakerRule::Any,
        }
    }

    /// Whether hits of this category are cues reported in the hits table (modifiers, vetoes
    /// and role cues are not).
    pub fn is_reported(self) -> bool {
        matches!(
            self,
            Category::RepeatContact
                | Category::Escalation
                | Category::SentimentNegative
                | Category::SentimentPositive
                | Category::Topic(_)
        )
    }
}

/// Which speaker a category counts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpeakerRule {
    /// Hits from any speaker count.
    Any,
    /// Only hits spoken by this speaker count.
    Only(Speaker),
}

impl SpeakerRule {
    /// Whether a hit spoken by `speaker` counts.
    pub fn allows(self, speaker: Speaker) -> bool {
        match self {
            SpeakerRule::Any => true,
            SpeakerRule::Only(s) => s == speaker,
        }
    }
}

/// One lexicon entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Phrase {
    /// The phrase as written in the lexicon (what the hits table reports).
    pub text: String,
    /// The phrase after [`normalize::fold`]: what is matched.
    pub folded: String,
    /// What it signals.
    pub category: Category,
    /// The lexicon language it belongs to.
    pub lang: Lang,
    /// For exclusions: the category whose overlapping hits it vetoes.
    pub vetoes: Option<Category>,
    /// Where it was defined (`phrases/en/escalation.txt:12`).
    pub origin: Origin,
}

/// Where a lexicon line came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file (relative to the lexicon root for directories): shared by the file's phrases,
    /// one allocation per file rather than per phrase.
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A speaker label of plain-text transcripts (`Agent:`, `상담사:`) and the role it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeakerLabel {
    /// The label, lower-cased, without the colon.
    pub label: String,
    /// The role.
    pub speaker: Speaker,
}

/// A parsed set of lexicons: every phrase of every language, the topic names, the speaker
/// labels and per-category speaker overrides.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    /// All phrases, in a deterministic order (language, file, line).
    pub phrases: Vec<Phrase>,
    /// Topic names (`topic_billing`…), indexed by [`Category::Topic`].
    pub topics: Vec<String>,
    /// Speaker labels for plain-text transcripts, from every language.
    pub speaker_labels: Vec<SpeakerLabel>,
    /// `@speaker:` overrides: (category, rule). Later entries win.
    pub speaker_overrides: Vec<(Category, SpeakerRule)>,
    /// Where the lexicon came from, for messages and the run manifest.
    pub source: String,
}

/// A lexicon that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// A line or file that does not follow the format.
    #[error("{origin}: {reason}")]
    Invalid {
        /// Where.
        origin: Origin,
        /// Why, and what to do.
        reason: String,
    },
    /// The lexicon could not be read.
    #[error("reading lexicon {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Lexicon {
    /// The default lexicons embedded in the binary.
    pub fn embedded() -> Result<Lexicon, LexiconError> {
        let files = embedded::EMBEDDED
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()));
        parse::from_files(files, "embedded default lexicons")
    }

    /// Loads a lexicon directory (`phrases/` layout) or a `.tsv`/`.csv` phrase table. A table
    /// has no place for speaker labels, so it takes the embedded lexicons' (see
    /// [`Lexicon::embedded_speaker_labels`]).
    pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
        if path.is_dir() {
            parse::from_dir(path)
        } else {
            let mut lexicon = table::from_table(path)?;
            lexicon.speaker_labels = Lexicon::embedded_speaker_labels();
            Ok(lexicon)
        }
    }

    /// The speaker labels of the embedded lexicons (`Kunde`, `상담사`, `Cliente`…). Without
    /// them a transcript labelled in German or Korean names no role, so none of its
    /// customer's cues would count: a QA team's phrase spreadsheet would silently find nothing
    /// in its own language's calls. They are read, not matched: the lexicon's fingerprint does
    /// not change.
    pub fn embedded_speaker_labels() -> Vec<SpeakerLabel> {
        let files = embedded::EMBEDDED
            .iter()
            .filter(|(path, _)| path.ends_with("/speaker_labels.txt"))
            .map(|(p, t)| (p.to_string(), t.to_string()));
        parse::from_files(files, "embedded speaker labels")
            .expect("the shipped speaker labels are valid")
            .speaker_labels
    }

    /// The embedded lexicons' agent cues ("thank you for calling", "상담사 ○○입니다"), every
    /// language's: what role inference reads when a lexicon has none of its own
    /// ([`Lexicon::has_agent_cues`]), so that a QA team's phrase table still finds the customer
    /// in transcripts whose speakers are only numbered (`spk_0`).
    pub fn embedded_agent_cues() -> Lexicon {
        let files = embedded::EMBEDDED
            .iter()
            .filter(|(path, _)| path.ends_with("/agent_cue.txt"))
            .map(|(p, t)| (p.to_string(), t.to_string()));
        parse::from_files(files, "embedded agent cues").expect("the shipped agent cues are valid")
    }

    /// Adds the phrases of `other` (`--extra-phrases`): a team's own phrases on top of the
    /// embedded lexicons, without copying them. Topics keep their names (a new one is added),
    /// speaker labels and `@speaker:` overrides are added after this lexicon's, and the source
    /// names both.
    pub fn extend(&mut self, other: Lexicon) {
        let rename = |lex: &mut Lexicon, category: Category| match category {
            Category::Topic(i) => lex
                .category_for(&other.topics[i as usize])
                .expect("a topic name read once is valid"),
            fixed => fixed,
        };
        for mut phrase in other.phrases.iter().cloned() {
            phrase.category = rename(self, phrase.category);
            phrase.vetoes = phrase.vetoes.map(|v| rename(self, v));
            self.phrases.push(phrase);
        }
        for (category, rule) in &other.speaker_overrides {
            let category = rename(self, *category);
            self.speaker_overrides.push((category, *rule));
        }
        for label in other.speaker_labels {
            if !self.speaker_labels.contains(&label) {
                self.speaker_labels.push(label);
            }
        }
        self.source = format!("{} + {}", self.source, other.source);
    }

    /// Whether any phrase is an `agent_cue`: the evidence role inference reads.
    pub fn has_agent_cues(&self) -> bool {
        self.phrases
            .iter()
            .any(|p| p.category == Category::AgentCue)
    }

    /// The rule for which speaker's hits of `category` count.
    pub fn speaker_rule(&self, category: Category) -> SpeakerRule {
        self.speaker_overrides
            .iter()
            .rev()
            .find(|(c, _)| *c == category)
            .map_or(category.default_speaker(), |(_, r)| *r)
    }

    /// The data name of a category: `repeat_contact`, …, or the topic's name.
    pub fn category_name(&self, category: Category) -> &str {
        match category {
            Category::Topic(i) => &self.topics[i as usize],
            other => other.fixed_name().expect("only topics have no fixed name"),
        }
    }

    /// The category named `name` (fixed names, aliases, or a `topic_*` name, which is added).
    fn category_for(&mut self, name: &str) -> Option<Category> {
        if let Some(c) = Category::from_fixed_name(name) {
            return Some(c);
        }
        let topic = name.strip_prefix("topic_")?;
        if topic.is_empty()
            || !topic
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let index = match self.topics.iter().position(|t| t == name) {
            Some(i) => i,
            None => {
                self.topics.push(name.to_string());
                self.topics.len() - 1
            }
        };
        Some(Category::Topic(index as u16))
    }

    /// Adds a phrase, folding it. Returns `false` when it folds to nothing.
    fn push(
        &mut self,
        text: &str,
        category: Category,
        lang: Lang,
        vetoes: Option<Category>,
        origin: Origin,
    ) -> bool {
        let folded = normalize::fold(text);
        if folded.is_empty() {
            return false;
        }
        self.phrases.push(Phrase {
            text: text.to_string(),
            folded,
            category,
            lang,
            vetoes,
            origin,
        });
        true
    }

    /// A stable fingerprint of what is matched (language, category, folded phrase), written
    /// into every output so results from different lexicons are never mixed unknowingly.
    pub fn fingerprint(&self) -> String {
        let mut keys: Vec<(&str, &str, &str, &str)> = self
            .phrases
            .iter()
            .map(|p| {
                let veto = p.vetoes.map_or("", |v| self.category_name(v));
                (
                    p.lang.code(),
                    self.category_name(p.category),
                    p.folded.as_str(),
                    veto,
                )
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut hash = Fnv64::new();
        for (lang, cat, phrase, veto) in keys {
            for part in [lang, cat, phrase, veto] {
                hash.write(part.as_bytes());
                hash.write(&[0]);
            }
        }
        format!("{:016x}", hash.0)
    }

    /// Number of phrases per (language, category name), sorted.
    pub fn counts(&self) -> Vec<(Lang, String, usize)> {
        let mut map = std::collections::BTreeMap::<(Lang, String), usize>::new();
        for p in &self.phrases {
            *map.entry((p.lang, self.category_name(p.category).to_string()))
                .or_default() += 1;
        }
        map.into_iter().map(|((l, c), n)| (l, c, n)).collect()
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_phrases.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lexicons_load_and_cover_every_language() {
        let lex = Lexicon::embedded().expect("the shipped lexicons are valid");
        for code in LANGUAGES {
            let lang = Lang::from_code(code).unwrap();
            for cat in [Category::RepeatContact, Category::Escalation] {
                let n = lex
                    .phrases
                    .iter()
                    .filter(|p| p.lang == lang && p.category == cat)
                    .count();
                assert!(n >= 20, "{code} has only {n} {cat:?} phrases");
            }
        }
    }

    #[test]
    fn a_phrase_table_takes_the_embedded_speaker_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tsv");
        std::fs::write(
            &path,
            "phrase\tcategory\tlanguage\nschon angerufen\trepeat\tde\n",
        )
        .unwrap();
        let table = Lexicon::load(&path).unwrap();
        let embedded = Lexicon::embedded().unwrap();
        assert_eq!(table.speaker_labels, embedded.speaker_labels);
        let role = |label: &str| {
            table
                .speaker_labels
                .iter()
                .find(|l| l.label == label)
                .map(|l| l.speaker)
        };
        assert_eq!(role("kunde"), Some(Speaker::Customer));
        assert_eq!(role("상담사"), Some(Speaker::Agent));
    }

    #[test]
    fn extra_phrases_are_added_with_their_topics_by_name() {
        let lexicon = |files: &[(&str, &str)], source: &str| {
            parse::from_files(
                files.iter().map(|(p, t)| (p.to_string(), t.to_string())),
                source,
            )
            .unwrap()
        };
        let mut base = lexicon(
            &[
                ("en/topic_billing.txt", "my bill\n"),
                ("en/topic_refund.txt", "refund\n"),
            ],
            "base",
        );
        let extra = lexicon(
            &[
                ("en/topic_product.txt", "turbo plan\n"),
                ("en/topic_refund.txt", "money back\n"),
                ("en/exclusion.txt", "topic_refund: no money back\n"),
            ],
            "team",
        );
        let fingerprint = base.fingerprint();
        base.extend(extra);
        assert_eq!(base.source, "base + team");
        assert_eq!(
            base.topics,
            ["topic_billing", "topic_refund", "topic_product"]
        );
        let named = |text: &str| {
            let p = base.phrases.iter().find(|p| p.text == text).unwrap();
            (
                base.category_name(p.category).to_string(),
                p.vetoes.map(|v| base.category_name(v).to_string()),
            )
        };
        assert_eq!(named("turbo plan"), ("topic_product".into(), None));
        assert_eq!(named("money back"), ("topic_refund".into(), None));
        assert_eq!(named("my bill"), ("topic_billing".into(), None));
        assert_eq!(
            named("no money back"),
            ("exclusion".into(), Some("topic_refund".into()))
        );
        assert_ne!(base.fingerprint(), fingerprint);
    }

    #[test]
    fn fingerprint_ignores_order_and_spelling_variants() {
        let mut a = Lexicon::default();
        let en = Lang::from_code("en").unwrap();
        let o = || Origin {
            file: "x".into(),
            line: 1,
        };
        a.push("I called", Category::RepeatContact, en, None, o());
        a.push("manager", Category::Escalation, en, None, o());
        let mut b = Lexicon::default();
        b.push("MANAGER", Category::Escalation, en, None, o());
        b.push("i called!", Category::RepeatContact, en, None, o());
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.push("supervisor", Category::Escalation, en, None, o());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
