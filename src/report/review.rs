//! What a review shows, computed from the rows [`super::load`] reads: the at-a-glance counts
//! (overall, per day, queue and agent), the top phrases per category and language, and the
//! flagged calls ranked by severity with their hits and transcripts. Also one call for `show`.
//!
//! This module decides *what* is shown and in which order; how it looks belongs to
//! [`super::html`] and the `show` command; cutting text into highlighted, redacted segments
//! belongs to [`super::redact`].
//!
//! Invariants:
//! - **Counts come from the calls table, rates from counts.** Every group is an
//!   [`FcrCounts`] (calls, repeat contacts, escalations, negative calls) summed with `+=`;
//!   rates and their Wilson intervals are derived at the end ([`Rate::of`]), never averaged.
//! - **A flagged call** is what `scan --transcripts flagged` stores a transcript for: a
//!   repeat-contact or escalation flag, or customer sentiment at or below
//!   [`STRONGLY_NEGATIVE`].
//! - **Severity order** is total and deterministic: escalation, then repeat contact, then
//!   strongly negative, then several cues, then more counted cues, then lower sentiment, then
//!   earlier start, then `call_id`.
//! - Memory holds the flagged calls of the selection (their call rows and hits) and the
//!   transcripts of the calls shown, never every call or every hit.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::aggregate::fcr::{FcrCounts, Rate};
use crate::zone::Zone;

use super::load::{self, CallRow, FcrTable, HitRow, ReportError, Selection, TurnRow};
use super::redact::{self, Segment};

/// Customer sentiment at or below which a call is strongly negative (and flagged).
pub const STRONGLY_NEGATIVE: f32 = -0.5;

/// Counted cues (repeat contact, escalation, negative sentiment) from which a call has
/// "several cues".
pub const SEVERAL_CUES: i32 = 3;

/// Flagged calls a report shows unless told otherwise (the most severe first).
pub const DEFAULT_LIMIT: usize = 10_000;

/// Characters of context shown on each side of a cue in an excerpt.
pub const EXCERPT_CONTEXT_CHARS: usize = 60;

/// Phrases listed per category and language in "top phrases".
pub const TOP_PHRASES: usize = 5;

/// What to put in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// Which calls the report covers.
    pub selection: Selection,
    /// Keep only flagged calls with a counted hit in one of these categories (empty: all).
    pub categories: Vec<String>,
    /// At most this many flagged calls, the most severe first (`None`: all).
    pub limit: Option<usize>,
    /// Redact PII in everything shown.
    pub redact: bool,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            selection: Selection::default(),
            categories: Vec::new(),
            limit: Some(DEFAULT_LIMIT),
            redact: true,
        }
    }
}

/// Why a call ranks where it does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Severity {
    /// The customer asked for a supervisor or threatened to leave or complain.
    pub escalation: bool,
    /// The customer said they had contacted before about the same thing.
    pub repeat_contact: bool,
    /// Customer sentiment at or below [`STRONGLY_NEGATIVE`].
    pub strongly_negative: bool,
    /// At least [`SEVERAL_CUES`] counted cues.
    pub several_cues: bool,
    /// Counted repeat-contact, escalation and negative cues.
    pub cues: i32,
}

impl Severity {
    /// The severity of a call from its flags.
    pub fn of(call: &CallRow) -> Severity {
        let cues = call.repeat_contact_hits + call.escalation_hits + call.negative_hits;
        Severity {
            escalation: call.escalation,
            repeat_contact: call.repeat_contact,
            strongly_negative: call.sentiment.is_some_and(|s| s <= STRONGLY_NEGATIVE),
            several_cues: cues >= SEVERAL_CUES,
            cues,
        }
    }

    /// Whether the call is flagged for review.
    pub fn is_flagged(&self) -> bool {
        self.escalation || self.repeat_contact || self.strongly_negative
    }

    /// The reasons that hold, most severe first, as stable names: `escalation`,
    /// `repeat_contact`, `strongly_negative`, `several_cues`.
    pub fn reasons(&self) -> Vec<&'static str> {
        [
            (self.escalation, "escalation"),
            (self.repeat_contact, "repeat_contact"),
            (self.strongly_negative, "strongly_negative"),
            (self.several_cues, "several_cues"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    fn key(&self) -> (bool, bool, bool, bool, i32) {
        (
            self.escalation,
            self.repeat_contact,
            self.strongly_negative,
            self.several_cues,
            self.cues,
        )
    }
}

/// One call with everything needed to show it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallView {
    /// The call's row.
    pub call: CallRow,
    /// Its severity.
    pub severity: Severity,
    /// Its hits, by turn and position.
    pub hits: Vec<HitRow>,
    /// Its stored transcript, by turn; `None` when the scan stored none for it.
    pub turns: Option<Vec<TurnRow>>,
}

impl CallView {
    /// The display segments of every stored turn (in [`CallView::turns`] order), with the
    /// call's hits marked; mark hit indices index [`CallView::hits`].
    pub fn turn_segments(&self, redact: bool) -> Vec<Vec<Segment>> {
        let Some(turns) = &self.turns else {
            return Vec::new();
        };
        let across = if redact {
            let texts: Vec<&str> = turns.iter().map(|t| t.text.as_str()).collect();
            redact::cards_across_turns(&texts)
        } else {
            vec![Vec::new(); turns.len()]
        };
        turns
            .iter()
            .zip(&across)
            .map(|(t, across)| {
                let ids: Vec<usize> = (0..self.hits.len())
                    .filter(|&h| self.hits[h].turn == t.turn)
                    .collect();
                let spans: Vec<(usize, usize)> = ids
                    .iter()
                    .map(|&h| {
                        (
                            self.hits[h].char_start.max(0) as usize,
                            self.hits[h].char_end.max(0) as usize,
                        )
                    })
                    .collect();
                let mut segs = redact::segment_with(&t.text, &spans, redact, across);
                for s in &mut segs {
                    if let Segment::Mark { hits, .. } = s {
                        hits.iter_mut().for_each(|i| *i = ids[*i]);
                    }
                }
                segs
            })
            .collect()
    }

    /// The excerpts shown in the list of cues, in turn order: in each stored turn, nearby cues
    /// (at most twice [`EXCERPT_CONTEXT_CHARS`] apart) share one excerpt, with
    /// [`EXCERPT_CONTEXT_CHARS`] of context on each side. A hit whose turn is not stored (or whose
    /// span does not fit its turn) gets an excerpt of the matched words alone. `turn_segments` is
    /// what [`CallView::turn_segments`] returned.
    pub fn excerpts(&self, turn_segments: &[Vec<Segment>], redact: bool) -> Vec<Excerpt> {
        let mut out: Vec<Excerpt> = Vec::new();
        let mut shown = vec![false; self.hits.len()];
        if let Some(turns) = &self.turns {
            for (turn, segs) in turns.iter().zip(turn_segments) {
                let marks: Vec<usize> = (0..segs.len())
                    .filter(|&i| matches!(segs[i], Segment::Mark { .. }))
                    .collect();
                let mut i = 0;
                while i < marks.len() {
                    let mut j = i;
                    while j + 1 < marks.len()
                        && redact::display_len(&segs[marks[j] + 1..marks[j + 1]])
                            <= 2 * EXCERPT_CONTEXT_CHARS
                    {
                        j += 1;
                    }
                    let mut hits: Vec<usize> = Vec::new();
                    for seg in &segs[marks[i]..=marks[j]] {
                        if let Segment::Mark { hits: h, .. } = seg {
                            hits.extend(h);
                        }
                    }
                    hits.iter().for_each(|&h| shown[h] = true);
                    out.push(Excerpt {
                        turn: turn.turn,
                        start_s: turn.start_s,
                        speaker: turn.speaker.clone(),
                        hits,
                        segments: redact::excerpt(segs, marks[i]..=marks[j], EXCERPT_CONTEXT_CHARS),
                    });
                    i = j + 1;
                }
            }
        }
        for (h, hit) in self.hits.iter().enumerate().filter(|(h, _)| !shown[*h]) {
            let n = hit.matched_text.chars().count();
            let mut segs = redact::segment(&hit.matched_text, &[(0, n)], redact);
            for s in &mut segs {
                if let Segment::Mark { hits, .. } = s {
                    *hits = vec![h];
                }
            }
            out.push(Excerpt {
                turn: hit.turn,
                start_s: hit.start_s,
                speaker: hit.speaker.clone(),
                hits: vec![h],
                segments: segs,
            });
        }
        out.sort_by_key(|e| (e.turn, e.hits.first().copied()));
        out
    }
}

/// A stretch of one turn around one or more cues.
#[derive(Clone, Debug, PartialEq)]
pub struct Excerpt {
    /// The turn index.
    pub turn: i32,
    /// When the turn started, seconds into the call.
    pub start_s: Option<f64>,
    /// Who spoke it.
    pub speaker: String,
    /// The hits it shows (indices into [`CallView::hits`]).
    pub hits: Vec<usize>,
    /// The text, highlighted and (when asked) redacted.
    pub segments: Vec<Segment>,
}

/// Calls and flag counts of one group (the whole selection, a day, a queue or an agent):
/// `contacts` calls, `phrase_repeats` with a repeat-contact flag, `escalations` with an
/// escalation flag, `negative_calls` with negative customer sentiment (below 0).
pub type Tally = FcrCounts;

fn tally_of(call: &CallRow) -> Tally {
    FcrCounts {
        contacts: 1,
        phrase_repeats: u64::from(call.repeat_contact),
        escalations: u64::from(call.escalation),
        negative_calls: u64::from(call.sentiment.is_some_and(|s| s < 0.0)),
        ..FcrCounts::default()
    }
}

/// The three call rates of a tally, each with its Wilson 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallRates {
    /// Calls with a repeat-contact flag.
    pub repeat_contact: Option<Rate>,
    /// Calls with an escalation flag.
    pub escalation: Option<Rate>,
    /// Calls with negative customer sentiment.
    pub negative: Option<Rate>,
}

/// The rates of a tally.
pub fn call_rates(t: &Tally) -> CallRates {
    CallRates {
        repeat_contact: Rate::of(t.phrase_repeats, t.contacts),
        escalation: Rate::of(t.escalations, t.contacts),
        negative: Rate::of(t.negative_calls, t.contacts),
    }
}

/// The at-a-glance numbers of a selection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Glance {
    /// Every selected call.
    pub total: Tally,
    /// Flagged calls (before any category filter or limit).
    pub flagged: u64,
    /// Per `call_date`.
    pub by_date: BTreeMap<String, Tally>,
    /// Per queue.
    pub by_queue: BTreeMap<Option<String>, Tally>,
    /// Per agent.
    pub by_agent: BTreeMap<Option<String>, Tally>,
}

/// A phrase and how many counted hits it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhraseCount {
    /// The lexicon entry.
    pub phrase: String,
    /// Counted hits in the selection.
    pub hits: u64,
}

/// Everything a report shows.
#[derive(Clone, Debug)]
pub struct Review {
    /// The dataset directory.
    pub dataset: PathBuf,
    /// The options it was built with.
    pub options: ReportOptions,
    /// At-a-glance numbers.
    pub glance: Glance,
    /// Per (category, language): the phrases with the most counted hits, most first (ties by
    /// phrase), at most [`TOP_PHRASES`].
    pub top_phrases: BTreeMap<(String, String), Vec<PhraseCount>>,
    /// The FCR aggregates of the selection, when the dataset has an `fcr` table.
    pub fcr: Option<FcrTable>,
    /// Flagged calls that pass the category filter (before the limit).
    pub flagged_matching: usize,
    /// The flagged calls shown, most severe first.
    pub calls: Vec<CallView>,
    /// The time zone the dataset counts its call dates in; start times are shown in it.
    pub zone: Zone,
}

/// Builds a review of the dataset in `dir`.
pub fn build(dir: &Path, options: ReportOptions) -> Result<Review, ReportError> {
    let sel = &options.selection;
    let mut glance = Glance::default();
    let mut flagged: Vec<CallView> = Vec::new();
    // Selected call ids, needed to attribute hits only when routing filters apply.
    let mut selected: Option<HashSet<String>> = (!sel.is_dates_only()).then(HashSet::new);
    load::for_each_call(dir, sel, |call| {
        let t = tally_of(&call);
        glance.total += t;
        *glance.by_date.entry(call.call_date.clone()).or_default() += t;
        *glance.by_queue.entry(call.queue.clone()).or_default() += t;
        *glance.by_agent.entry(call.agent_id.clone()).or_default() += t;
        if let Some(ids) = &mut selected {
            ids.insert(call.call_id.clone());
        }
        let severity = Severity::of(&call);
        if severity.is_flagged() {
            flagged.push(CallView {
                call,
                severity,
                hits: Vec::new(),
                turns: None,
            });
        }
    })?;
    glance.flagged = flagged.len() as u64;

    let index: HashMap<String, usize> = flagged
        .iter()
        .enumerate()
        .map(|(i, c)| (c.call.call_id.clone(), i))
        .collect();
    let mut phrase_hits: HashMap<(String, String, String), u64> = HashMap::new();
    load::for_each_hit(
        dir,
        |d| sel.includes_date(d),
        |hit| {
            if selected
                .as_ref()
                .is_some_and(|ids| !ids.contains(&hit.call_id))
            {
                return;
            }
            if hit.counted {
                *phrase_hits
                    .entry((
                        hit.category.clone(),
                        hit.language.clone(),
                        hit.phrase.clone(),
                    ))
                    .or_default() += 1;
            }
            if let Some(&i) = index.get(&hit.call_id) {
                flagged[i].hits.push(hit);
            }
        },
    )?;
    let top_phrases = top_phrases(phrase_hits);

    if !options.categories.is_empty() {
        flagged.retain(|c| {
            c.hits
                .iter()
                .any(|h| h.counted && options.categories.contains(&h.category))
        });
    }
    flagged.sort_by(severity_order);
    let flagged_matching = flagged.len();
    if let Some(limit) = options.limit {
        flagged.truncate(limit);
    }
    for c in &mut flagged {
        c.hits.sort_by_key(|h| (h.turn, h.char_start, h.char_end));
    }
    let dates: HashSet<&str> = flagged.iter().map(|c| c.call.call_date.as_str()).collect();
    let ids: HashSet<&str> = flagged.iter().map(|c| c.call.call_id.as_str()).collect();
    let mut turns = load::read_turns(dir, |d| dates.contains(d), &ids)?;
    for c in &mut flagged {
        c.turns = turns.remove(&c.call.call_id);
    }
    let fcr = load::read_fcr(dir, sel)?;
    let zone = load::dataset_zone(dir)?;
    Ok(Review {
        dataset: dir.to_path_buf(),
        options,
        glance,
        top_phrases,
        fcr,
        flagged_matching,
        calls: flagged,
        zone,
    })
}

/// Most severe first; see the module docs for the full order.
fn severity_order(a: &CallView, b: &CallView) -> Ordering {
    let sentiment = |c: &CallView| c.call.sentiment.unwrap_or(f32::INFINITY);
    b.severity
        .key()
        .cmp(&a.severity.key())
        .then_with(|| sentiment(a).total_cmp(&sentiment(b)))
        .then_with(|| {
            a.call
                .started_at_us
                .unwrap_or(i64::MAX)
                .cmp(&b.call.started_at_us.unwrap_or(i64::MAX))
        })
        .then_with(|| a.call.call_id.cmp(&b.call.call_id))
}

fn top_phrases(
    counts: HashMap<(String, String, String), u64>,
) -> BTreeMap<(String, String), Vec<PhraseCount>> {
    let mut out: BTreeMap<(String, String), Vec<PhraseCount>> = BTreeMap::new();
    for ((category, language, phrase), hits) in counts {
        out.entry((category, language))
            .or_default()
            .push(PhraseCount { phrase, hits });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.phrase.cmp(&b.phrase)));
        list.truncate(TOP_PHRASES);
    }
    out
}

/// One call by id, with its hits and stored transcript, or `None` when the dataset does not
/// hold it. Reads every `calls` partition; then only the call's own partition of `hits` and
/// `turns`.
pub fn find_call(dir: &Path, call_id: &str) -> Result<Option<CallView>, ReportError> {
    let mut found: Option<CallRow> = None;
    load::for_each_call(dir, &Selection::default(), |call| {
        if call.call_id == call_id {
            found = Some(call);
        }
    })?;
    let Some(call) = found else { return Ok(None) };
    let date = call.call_date.clone();
    let mut hits = Vec::new();
    load::for_each_hit(
        dir,
        |d| d == date,
        |hit| {
            if hit.call_id == call_id {
                hits.push(hit);
            }
        },
    )?;
    hits.sort_by_key(|h| (h.turn, h.char_start, h.char_end));
    let turns = load::read_turns(dir, |d| d == date, &HashSet::from([call_id]))?.remove(call_id);
    Ok(Some(CallView {
        severity: Severity::of(&call),
        call,
        hits,
        turns,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str) -> CallRow {
        CallRow {
            call_id: id.into(),
            call_date: "2026-11-02".into(),
            language: "en".into(),
            customer_id: None,
            agent_id: None,
            queue: None,
            channel: None,
            started_at_us: Some(0),
            duration_s: None,
            repeat_contact: false,
            repeat_contact_hits: 0,
            escalation: false,
            escalation_hits: 0,
            sentiment: None,
            negative_hits: 0,
            topics: Vec::new(),
        }
    }

    fn view(c: CallRow) -> CallView {
        CallView {
            severity: Severity::of(&c),
            call: c,
            hits: Vec::new(),
            turns: None,
        }
    }

    #[test]
    fn escalation_outranks_repeat_contact_which_outranks_negative_sentiment() {
        let mut esc = call("esc");
        (esc.escalation, esc.escalation_hits) = (true, 1);
        let mut rep = call("rep");
        (
            rep.repeat_contact,
            rep.repeat_contact_hits,
            rep.negative_hits,
        ) = (true, 1, 5);
        rep.sentiment = Some(-1.0);
        let mut neg = call("neg");
        (neg.sentiment, neg.negative_hits) = (Some(-0.9), 4);
        let mut neg2 = call("neg2");
        (neg2.sentiment, neg2.negative_hits) = (Some(-0.95), 4);
        let mut calls: Vec<CallView> = [neg.clone(), rep, esc, neg2]
            .into_iter()
            .map(view)
            .collect();
        calls.sort_by(severity_order);
        let order: Vec<&str> = calls.iter().map(|c| c.call.call_id.as_str()).collect();
        // neg2 before neg: same flags and cue count, lower sentiment.
        assert_eq!(order, ["esc", "rep", "neg2", "neg"]);
        assert!(!Severity::of(&call("calm")).is_flagged());
        assert_eq!(
            Severity::of(&neg).reasons(),
            ["strongly_negative", "several_cues"]
        );
    }

    #[test]
    fn nearby_cues_share_an_excerpt_and_distant_ones_do_not() {
        let mut v = view(call("c"));
        let far = "x".repeat(2 * EXCERPT_CONTEXT_CHARS + 1);
        let text = format!("i called before and i am angry {far} manager");
        let hit = |s: usize, e: usize| HitRow {
            call_id: "c".into(),
            turn: 0,
            speaker: "customer".into(),
            category: "escalation".into(),
            language: "en".into(),
            phrase: "x".into(),
            matched_text: text.chars().skip(s).take(e - s).collect(),
            char_start: s as i32,
            char_end: e as i32,
            start_s: Some(3.0),
            negated: false,
            counted: true,
        };
        let manager = text.chars().count() - 7;
        v.hits = vec![hit(2, 15), hit(25, 30), hit(manager, manager + 7)];
        v.turns = Some(vec![TurnRow {
            call_id: "c".into(),
            turn: 0,
            speaker: "customer".into(),
            speaker_label: "c".into(),
            start_s: Some(3.0),
            text,
        }]);
        let ex = v.excerpts(&v.turn_segments(false), false);
        let groups: Vec<&[usize]> = ex.iter().map(|e| e.hits.as_slice()).collect();
        assert_eq!(groups, [&[0, 1][..], &[2][..]]);
    }

    #[test]
    fn excerpt_indices_point_at_the_calls_hits() {
        let mut v = view(call("c"));
        let hit = |turn: i32, s: i32, e: i32| HitRow {
            call_id: "c".into(),
            turn,
            speaker: "customer".into(),
            category: "repeat_contact".into(),
            language: "en".into(),
            phrase: "x".into(),
            matched_text: "called before".into(),
            char_start: s,
            char_end: e,
            start_s: None,
            negated: false,
            counted: true,
        };
        v.hits = vec![hit(0, 0, 4), hit(1, 2, 15)];
        v.turns = Some(vec![
            TurnRow {
                call_id: "c".into(),
                turn: 0,
                speaker: "agent".into(),
                speaker_label: "agent".into(),
                start_s: None,
                text: "hello".into(),
            },
            TurnRow {
                call_id: "c".into(),
                turn: 1,
                speaker: "customer".into(),
                speaker_label: "customer".into(),
                start_s: None,
                text: "i called before, 555 0132 999".into(),
            },
        ]);
        let segs = v.turn_segments(true);
        assert_eq!(
            segs[1][1],
            Segment::Mark {
                hits: vec![1],
                text: "called before".into()
            }
        );
        let ex = v.excerpts(&segs, true);
        assert_eq!((ex[1].turn, ex[1].hits.as_slice()), (1, &[1][..]));
        assert_eq!(
            redact::display_text(&ex[1].segments),
            "i called before, [phone]"
        );
        // Without the transcript, the matched words alone.
        v.turns = None;
        let ex = v.excerpts(&[], true);
        assert_eq!(
            ex[1].segments,
            [Segment::Mark {
                hits: vec![1],
                text: "called before".into()
            }]
        );
    }
}
