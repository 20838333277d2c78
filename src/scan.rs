//! Scanning one call: decide its language, match every turn, score the hits. Pure with respect
//! to threads: the pipeline calls [`Scanner::scan`] from many threads with a per-thread
//! [`Scratch`].

use whatlang::Detector;

use crate::ingest::language::{CallLanguage, call_language, latin_detector};
use crate::lexicon::Lexicon;
use crate::matcher::{Hit, Matcher, MatcherError, Scratch};
use crate::model::Call;
use crate::score::{CallScore, score_call};

/// A call with everything the scan found in it.
#[derive(Clone, Debug)]
pub struct ScannedCall {
    /// The call as ingested.
    pub call: Call,
    /// Its language.
    pub language: CallLanguage,
    /// Every cue, ordered by turn and position.
    pub hits: Vec<Hit>,
    /// Flags and sentiment.
    pub score: CallScore,
}

/// The read-only state shared by all threads: the lexicon, its automaton, the language
/// identifier. Built once per run.
pub struct Scanner {
    /// The lexicon.
    pub lexicon: Lexicon,
    /// Its compiled automaton.
    pub matcher: Matcher,
    /// Fingerprint of the lexicon, written with every call.
    pub fingerprint: String,
    detector: Detector,
}

impl Scanner {
    /// Compiles `lexicon`.
    pub fn new(lexicon: Lexicon) -> Result<Scanner, MatcherError> {
        let matcher = Matcher::new(&lexicon)?;
        let fingerprint = lexicon.fingerprint();
        Ok(Scanner { lexicon, matcher, fingerprint, detector: latin_detector() })
    }

    /// Scans one call.
    pub fn scan(&self, call: Call, scratch: &mut Scratch) -> ScannedCall {
        let language = call_language(&call, &self.detector);
        let mut hits = Vec::new();
        for (i, turn) in call.turns.iter().enumerate() {
            self.matcher.scan_turn(&turn.text, i as u32, language.lexicon, scratch, &mut hits);
        }
        let score = score_call(&call, &hits, &self.lexicon);
        ScannedCall { call, language, hits, score }
    }
}
