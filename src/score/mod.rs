//! Per-call flags and sentiment from hits: pure functions of the call's turns and its hits.
//!
//! - A hit **counts** toward its category's flag when its speaker is allowed by the category's
//!   speaker rule ([`Lexicon::speaker_rule`]): repeat-contact and escalation cues count only when
//!   the customer says them, so an agent's "call us again any time" never flags a call.
//! - **Sentiment** of a speaker is a smoothed balance of that speaker's sentiment hits:
//!   `score = Σv / (Σ|v| + 1)` where each hit is worth `v = +1` (positive) or `−1` (negative),
//!   a negated positive is `−1`, a negated negative is `+0.5` ("not bad" is faint praise), and an
//!   intensifier multiplies by 1.5. The `+1` keeps one remark from reading as ±1: one negative
//!   phrase gives −0.5, three give −0.75. Overlapping hits of one category count once. A speaker
//!   with turns but no sentiment hits scores 0; a speaker with no turns has no score.
//! - **Start and end** sentiment use the customer's hits in the first and last third of the
//!   call, by time when the turns have times, else by turn position.

use crate::lexicon::{Category, Lexicon};
use crate::matcher::Hit;
use crate::model::{Call, Speaker};

/// Flags and scores of one call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallScore {
    /// The customer said at least one repeat-contact cue.
    pub repeat_contact: bool,
    /// Counted repeat-contact hits.
    pub repeat_contact_hits: u32,
    /// The customer said at least one escalation cue.
    pub escalation: bool,
    /// Counted escalation hits.
    pub escalation_hits: u32,
    /// Customer sentiment in [-1, 1]; `None` without customer turns.
    pub sentiment: Option<f32>,
    /// Agent sentiment in [-1, 1]; `None` without agent turns.
    pub sentiment_agent: Option<f32>,
    /// Customer sentiment over the first third of the call.
    pub sentiment_start: Option<f32>,
    /// Customer sentiment over the last third of the call.
    pub sentiment_end: Option<f32>,
    /// Customer hits that are negative once negation is applied.
    pub negative_hits: u32,
    /// Customer hits that are positive once negation is applied.
    pub positive_hits: u32,
    /// Start time of the turn with the first counted repeat-contact cue.
    pub first_repeat_cue_s: Option<f64>,
    /// Topics found in the call (indices into [`Lexicon::topics`]), sorted, unique.
    pub topics: Vec<u16>,
}

/// Whether a hit of `category` spoken by `speaker` counts toward the call's flag.
pub fn is_counted(lexicon: &Lexicon, category: Category, speaker: Speaker) -> bool {
    lexicon.speaker_rule(category).allows(speaker)
}

/// The signed worth of a sentiment hit (see the module docs), or `None` for other categories.
pub fn sentiment_value(hit: &Hit) -> Option<f32> {
    let base = match (hit.category, hit.negated) {
        (Category::SentimentPositive, false) => 1.0,
        (Category::SentimentPositive, true) => -1.0,
        (Category::SentimentNegative, false) => -1.0,
        (Category::SentimentNegative, true) => 0.5,
        _ => return None,
    };
    Some(if hit.intensified { base * 1.5 } else { base })
}

/// Scores one call. `hits` are ordered by turn, then position (as the matcher emits them).
pub fn score_call(call: &Call, hits: &[Hit], lexicon: &Lexicon) -> CallScore {
    let mut s = CallScore::default();
    let n_turns = call.turns.len().max(1);
    let duration = call.effective_duration_s().filter(|d| *d > 0.0);
    let position = |turn: usize| -> f64 {
        match (duration, call.turns[turn].start_s) {
            (Some(d), Some(start)) => (start / d).clamp(0.0, 1.0),
            _ => turn as f64 / n_turns as f64,
        }
    };
    let mut whole = [Balance::default(); 2];
    let mut thirds = [Balance::default(); 2];
    let mut last_counted: Option<(u32, Category, u32)> = None;
    for hit in hits {
        let speaker = call.turns[hit.turn as usize].speaker;
        if let Category::Topic(t) = hit.category {
            s.topics.push(t);
        }
        if !is_counted(lexicon, hit.category, speaker) {
            continue;
        }
        match hit.category {
            Category::RepeatContact => {
                s.repeat_contact_hits += 1;
                if s.first_repeat_cue_s.is_none() {
                    s.first_repeat_cue_s = call.turns[hit.turn as usize].start_s;
                }
            }
            Category::Escalation => s.escalation_hits += 1,
            _ => {}
        }
        let Some(v) = sentiment_value(hit) else {
            continue;
        };
        // Overlapping hits of one category ("very unhappy", "unhappy") are one remark.
        if last_counted.is_some_and(|(turn, cat, end)| {
            turn == hit.turn && cat == hit.category && hit.orig_start < end
        }) {
            continue;
        }
        last_counted = Some((hit.turn, hit.category, hit.orig_end));
        let who = match speaker {
            Speaker::Customer => 0,
            Speaker::Agent => 1,
            Speaker::Unknown => continue,
        };
        whole[who].add(v);
        if who == 0 {
            if v < 0.0 {
                s.negative_hits += 1;
            } else {
                s.positive_hits += 1;
            }
            let p = position(hit.turn as usize);
            if p < 1.0 / 3.0 {
                thirds[0].add(v);
            } else if p >= 2.0 / 3.0 {
                thirds[1].add(v);
            }
        }
    }
    s.repeat_contact = s.repeat_contact_hits > 0;
    s.escalation = s.escalation_hits > 0;
    let has_turns = |who: Speaker, range: Option<(f64, f64)>| {
        call.turns.iter().enumerate().any(|(i, t)| {
            t.speaker == who && range.is_none_or(|(lo, hi)| (lo..hi).contains(&position(i)))
        })
    };
    s.sentiment = has_turns(Speaker::Customer, None).then(|| whole[0].score());
    s.sentiment_agent = has_turns(Speaker::Agent, None).then(|| whole[1].score());
    s.sentiment_start =
        has_turns(Speaker::Customer, Some((0.0, 1.0 / 3.0))).then(|| thirds[0].score());
    s.sentiment_end =
        has_turns(Speaker::Customer, Some((2.0 / 3.0, f64::INFINITY))).then(|| thirds[1].score());
    s.topics.sort_unstable();
    s.topics.dedup();
    s
}

/// Running sums for one speaker's sentiment.
#[derive(Clone, Copy, Debug, Default)]
struct Balance {
    sum: f32,
    weight: f32,
}

impl Balance {
    fn add(&mut self, v: f32) {
        self.sum += v;
        self.weight += v.abs();
    }

    fn score(&self) -> f32 {
        (self.sum / (self.weight + 1.0)).clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SourceRef, Turn};

    fn lexicon() -> Lexicon {
        Lexicon::default()
    }

    fn hit(turn: u32, category: Category, start: u32, negated: bool) -> Hit {
        Hit {
            turn,
            phrase: 0,
            category,
            orig_start: start,
            orig_end: start + 5,
            negated,
            intensified: false,
        }
    }

    fn call(speakers: &[Speaker]) -> Call {
        let turns = speakers
            .iter()
            .map(|&s| Turn::new(s, "some words here and there"))
            .collect();
        Call::new("c1", SourceRef::file("f".into()), turns)
    }

    #[test]
    fn agent_repeat_cues_do_not_flag_the_call() {
        let c = call(&[Speaker::Agent, Speaker::Customer]);
        let s = score_call(&c, &[hit(0, Category::RepeatContact, 0, false)], &lexicon());
        assert!(!s.repeat_contact);
        assert_eq!(s.repeat_contact_hits, 0);
        let s = score_call(&c, &[hit(1, Category::RepeatContact, 0, false)], &lexicon());
        assert!(s.repeat_contact);
        assert_eq!(s.repeat_contact_hits, 1);
    }

    #[test]
    fn unknown_speakers_never_raise_customer_flags() {
        let c = call(&[Speaker::Unknown]);
        let s = score_call(&c, &[hit(0, Category::Escalation, 0, false)], &lexicon());
        assert!(!s.escalation);
        assert_eq!(s.sentiment, None);
    }

    #[test]
    fn sentiment_values_by_hand() {
        let c = call(&[Speaker::Customer, Speaker::Agent, Speaker::Customer]);
        // Customer: one negative (-1), one negated negative (+0.5) → (-0.5) / (1.5 + 1) = -0.2.
        let hits = [
            hit(0, Category::SentimentNegative, 0, false),
            hit(1, Category::SentimentPositive, 0, false),
            hit(2, Category::SentimentNegative, 0, true),
        ];
        let s = score_call(&c, &hits, &lexicon());
        assert!(
            (s.sentiment.unwrap() - -0.2).abs() < 1e-6,
            "{:?}",
            s.sentiment
        );
        // Agent: one positive → 1 / 2.
        assert_eq!(s.sentiment_agent, Some(0.5));
        assert_eq!((s.negative_hits, s.positive_hits), (1, 1));
        // Turn 0 is in the first third (-1 → -0.5), turn 2 in the last (+0.5 → 1/3).
        assert_eq!(s.sentiment_start, Some(-0.5));
        assert!((s.sentiment_end.unwrap() - 0.5 / 1.5).abs() < 1e-6);
    }

    #[test]
    fn overlapping_hits_of_one_category_are_one_remark() {
        let c = call(&[Speaker::Customer]);
        let a = hit(0, Category::SentimentNegative, 0, false);
        let b = Hit { orig_start: 2, ..a };
        let s = score_call(&c, &[a, b], &lexicon());
        assert_eq!(s.sentiment, Some(-0.5));
        assert_eq!(s.negative_hits, 1);
    }

    #[test]
    fn customer_without_sentiment_scores_zero_and_topics_are_unique() {
        let c = call(&[Speaker::Customer, Speaker::Customer]);
        let hits = [
            hit(0, Category::Topic(1), 0, false),
            hit(1, Category::Topic(1), 0, false),
            hit(1, Category::Topic(0), 9, false),
        ];
        let s = score_call(&c, &hits, &lexicon());
        assert_eq!(s.sentiment, Some(0.0));
        assert_eq!(s.sentiment_agent, None);
        assert_eq!(s.topics, [0, 1]);
    }
}
