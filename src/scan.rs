//! Scanning one call: decide its language, match every turn, resolve speaker roles from the
//! matcher's `agent_cue` hits (when the format did not give them), measure conversation timing,
//! score the hits. Pure with respect to threads: the pipeline calls [`Scanner::scan`] from many
//! threads with a per-thread [`Scratch`].

use whatlang::Detector;

use crate::ingest::language::{CallLanguage, call_language, latin_detector};
use crate::ingest::roles::{RoleOptions, needs_cues, resolve_roles};
use crate::lexicon::{Lang, Lexicon};
use crate::matcher::{Hit, Matcher, MatcherError, Scratch};
use crate::model::Call;
use crate::score::{CallScore, score_call};
use crate::timing::{HitAsr, Timing, TimingOptions, hit_confidences, measure};

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
    /// Conversation timing and ASR confidence.
    pub timing: Timing,
    /// ASR confidence of each hit, parallel to `hits`; empty when the call has no confidences.
    pub hit_asr: Vec<HitAsr>,
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
    /// How speaker roles are resolved (`--trust-channel-map`).
    pub roles: RoleOptions,
    /// How timing is measured (`--silence-threshold`, `--min-confidence`).
    pub timing: TimingOptions,
    /// The embedded agent cues, compiled when the lexicon has none of its own: role inference
    /// reads them, and only for calls whose roles it decides or checks.
    role_cues: Option<Matcher>,
    detector: Detector,
}

impl Scanner {
    /// Compiles `lexicon`.
    pub fn new(lexicon: Lexicon) -> Result<Scanner, MatcherError> {
        // Each sorts every phrase (26,000 in the default lexicons): side by side, a one-call
        // scan starts about 5 ms sooner. A scoped thread rather than rayon's global pool, which
        // would start a thread per core that the scan, on its own pool, never uses.
        let (matcher, fingerprint, role_cues) = std::thread::scope(|scope| {
            let fingerprint = scope.spawn(|| lexicon.fingerprint());
            let role_cues = (!lexicon.has_agent_cues())
                .then(|| scope.spawn(|| Matcher::new(&Lexicon::embedded_agent_cues())));
            let matcher = Matcher::new(&lexicon);
            (
                matcher,
                fingerprint.join().expect("fingerprinting does not panic"),
                role_cues.map(|cues| cues.join().expect("compiling does not panic")),
            )
        });
        let matcher = matcher?;
        Ok(Scanner {
            lexicon,
            matcher,
            fingerprint,
            role_cues: role_cues.transpose()?,
            roles: RoleOptions::default(),
            timing: TimingOptions::default(),
            detector: latin_detector(),
        })
    }

    /// Scans one call.
    pub fn scan(&self, mut call: Call, scratch: &mut Scratch) -> ScannedCall {
        let language = call_language(&call, &self.detector);
        let mut hits = Vec::new();
        let texts = call.turns.iter().map(|turn| turn.text.as_str());
        self.matcher
            .scan_turns(texts.clone(), language.lexicon, scratch, &mut hits);
        // Roles before scoring: which hits count depends on who said them.
        match &self.role_cues {
            Some(cues) if needs_cues(&call) => {
                let mut cue_hits = Vec::new();
                cues.scan_turns(texts, language.lexicon, scratch, &mut cue_hits);
                resolve_roles(&mut call, &cue_hits, &self.roles);
            }
            _ => resolve_roles(&mut call, &hits, &self.roles),
        }
        let unspaced = matches!(
            language.lexicon.map(Lang::code),
            Some("ja" | "zh-Hans" | "zh-Hant")
        );
        let timing = measure(&call, unspaced, &self.timing);
        let hit_asr = hit_confidences(&call, &hits, &self.timing);
        let score = if hit_asr.iter().any(|a| a.below_min) {
            // Hits in speech below --min-confidence are kept (and written, marked) but not scored.
            let counted: Vec<Hit> = hits
                .iter()
                .zip(&hit_asr)
                .filter(|(_, a)| !a.below_min)
                .map(|(h, _)| *h)
                .collect();
            score_call(&call, &counted, &self.lexicon)
        } else {
            score_call(&call, &hits, &self.lexicon)
        };
        ScannedCall {
            call,
            language,
            hits,
            score,
            timing,
            hit_asr,
        }
    }
}
