//! Linking: the same customer's contacts chained over time into repeat flags, contact episodes
//! and First Contact Resolution outcomes, one [`ContactRow`] per call (the `contacts` table).
//!
//! This module owns every linking rule (docs/FCR.md states them for readers of the data): which
//! earlier contact a contact links to, when a link is a transfer rather than a repeat, when an
//! outcome is resolved, unresolved or censored, and the combined estimate. It is pure: calls in,
//! rows out; no I/O, no clock, and rows that do not depend on the threads that link customers
//! side by side. Loading history from the dataset, choosing the data end and writing rows
//! belong to the pipeline and output; summing belongs to [`crate::aggregate::fcr`].
//!
//! Invariants:
//! - **Deterministic.** Rows come out sorted by `call_id`, one per distinct `call_id`; the input
//!   order only decides which version of a repeated `call_id` is used (the last). Ties in start
//!   time are broken by `call_id`. No floating-point value is carried from one call to another.
//! - **Links point backwards in time.** A contact links to at most one earlier contact of the
//!   same customer that started within the window before it; `chain_id` is the `call_id` of the
//!   chain's earliest contact, so re-linking the same calls gives the same ids.
//! - **Censored is never resolved.** A contact is resolved only when every contact that could
//!   still link to its episode would have started at or before the data end.
//! - **Local.** A row depends only on the data end and on the same customer's calls from two
//!   windows before it to one window after its episode, except `chain_id` and
//!   `chain_position`, which follow the chain back to its start (see docs/FCR.md, "How much
//!   history a run needs").

mod config;
#[cfg(test)]
pub(crate) mod fixture;

use rayon::prelude::*;
use std::fmt;

pub use config::{DurationError, LinkConfig, LinkConfigError, format_duration_s, parse_duration_s};

/// One call as linking and the FCR tallies need it: identity, time, routing and the flags the
/// scan found in it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactInput {
    /// The call's identifier, the key across runs.
    pub call_id: String,
    /// The customer's identifier; `None` (or blank) means the call cannot be linked by metadata.
    pub customer_id: Option<String>,
    /// `voice`, `chat`, `email`…, when known.
    pub channel: Option<String>,
    /// The queue (skill, line of business), when known.
    pub queue: Option<String>,
    /// The agent who took the call, when known.
    pub agent_id: Option<String>,
    /// The call's language tag as the FCR tallies group it (for example `en`, `pt-BR`, `und`).
    pub language: String,
    /// Start of the call in microseconds since the Unix epoch, UTC; `None` when unknown.
    pub started_at_us: Option<i64>,
    /// Duration in seconds, when known.
    pub duration_s: Option<f64>,
    /// The customer said a repeat-contact cue ("I called last week about this").
    pub repeat_cue: bool,
    /// The customer said an escalation cue.
    pub escalation: bool,
    /// The customer's sentiment in the call is negative.
    pub negative: bool,
    /// Topic category names found in the call (`topic_billing`, `topic_outage`…).
    pub topics: Vec<String>,
}

impl ContactInput {
    /// A call with an id and a language; everything else unknown or false.
    pub fn new(call_id: impl Into<String>, language: impl Into<String>) -> ContactInput {
        ContactInput {
            call_id: call_id.into(),
            customer_id: None,
            channel: None,
            queue: None,
            agent_id: None,
            language: language.into(),
            started_at_us: None,
            duration_s: None,
            repeat_cue: false,
            escalation: false,
            negative: false,
            topics: Vec::new(),
        }
    }

    /// The channel, trimmed: `None` when missing or blank.
    fn known_channel(&self) -> Option<&str> {
        self.channel
            .as_deref()
            .map(str::trim)
            .filter(|ch| !ch.is_empty())
    }

    /// The customer id used for linking: `None` when missing or blank.
    fn customer_key(&self) -> Option<&str> {
        self.customer_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
    }
}

/// The operational FCR outcome of a contact (the `outcome` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// No contact of the customer linked to this contact's episode as a repeat, and the window
    /// after every contact of the episode lies inside the data.
    Resolved,
    /// A later contact of the customer linked to this contact's episode as a repeat.
    Unresolved,
    /// Not known yet: the window after the episode reaches past the data end, or the call has
    /// no start time. Never counted as resolved.
    Censored,
    /// The call has no customer id, so metadata cannot link it.
    NoCustomerId,
}

impl Outcome {
    /// Every outcome, in the order of the enum.
    pub const ALL: [Outcome; 4] = [
        Outcome::Resolved,
        Outcome::Unresolved,
        Outcome::Censored,
        Outcome::NoCustomerId,
    ];

    /// The stable lowercase name used in data (`resolved`, `unresolved`, `censored`,
    /// `no_customer_id`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Unresolved => "unresolved",
            Outcome::Censored => "censored",
            Outcome::NoCustomerId => "no_customer_id",
        }
    }

    /// The outcome with this data name (the inverse of [`Outcome::as_str`]), for reading the
    /// `contacts` table back.
    ///
    /// ```
    /// use fcrscan::link::Outcome;
    ///
    /// assert_eq!(Outcome::from_name("no_customer_id"), Some(Outcome::NoCustomerId));
    /// assert_eq!(Outcome::from_name("Resolved"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the `contacts` table: where a call sits in its customer's chain and how it ended.
///
/// Column names are the field names; docs/FCR.md defines each column.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactRow {
    /// The call.
    pub call_id: String,
    /// The customer id used for linking (`None` when missing or blank).
    pub customer_id: Option<String>,
    /// The `call_id` of the earliest contact of this call's chain (its own for a chain start).
    pub chain_id: String,
    /// 1-based rank of this call in its chain, by start time then `call_id`.
    pub chain_position: u32,
    /// The earlier contact this call links to (a repeat or a transfer leg), if any.
    pub prev_call_id: Option<String>,
    /// The earliest later contact that links to this call, if any.
    pub next_call_id: Option<String>,
    /// Seconds from the start of `prev_call_id` to the start of this call.
    pub gap_before_s: Option<f64>,
    /// Seconds from the start of this call to the start of `next_call_id`.
    pub gap_after_s: Option<f64>,
    /// This call links to an earlier contact as a repeat (not as a transfer leg).
    pub repeat: bool,
    /// The operational outcome of this call's episode.
    pub outcome: Outcome,
    /// The customer said a repeat-contact cue in this call.
    pub phrase_evidence: bool,
    /// Resolved by both signals: `false` when the outcome is unresolved or when the call is a
    /// phrase-only repeat (phrase evidence and no `prev_call_id`); `true` when resolved
    /// otherwise; `None` (unknown) when censored or without a customer id otherwise.
    pub resolved_combined: Option<bool>,
}

impl ContactRow {
    /// The row of a call that links to nothing: its own one-call chain.
    fn alone(call: &ContactInput) -> ContactRow {
        let customer_id = call.customer_key().map(str::to_string);
        // A call with a customer but no start cannot be placed in time: unknown, so censored.
        let outcome = if customer_id.is_some() {
            Outcome::Censored
        } else {
            Outcome::NoCustomerId
        };
        ContactRow {
            call_id: call.call_id.clone(),
            customer_id,
            chain_id: call.call_id.clone(),
            chain_position: 1,
            prev_call_id: None,
            next_call_id: None,
            gap_before_s: None,
            gap_after_s: None,
            repeat: false,
            outcome,
            phrase_evidence: call.repeat_cue,
            resolved_combined: None,
        }
    }
}

/// The combined estimate of a row (see [`ContactRow::resolved_combined`]).
fn resolved_combined(outcome: Outcome, phrase_evidence: bool, has_prev: bool) -> Option<bool> {
    match outcome {
        Outcome::Unresolved => Some(false),
        _ if phrase_evidence && !has_prev => Some(false),
        Outcome::Resolved => Some(true),
        Outcome::Censored | Outcome::NoCustomerId => None,
    }
}

/// Links calls into chains and decides each call's outcome. Returns one row per distinct
/// `call_id`, sorted by `call_id`.
///
/// `data_end_us` is the end of the data seen so far (µs since the epoch, UTC): every call that
/// started at or before it is assumed to be among `contacts`. It is raised to the latest start
/// among `contacts` if it is earlier, since a call in the data shows the data reaches it.
/// When a `call_id` appears more than once, its last occurrence is used (a re-run or corrected
/// transcript replaces the earlier version).
///
/// ```
/// use fcrscan::link::{ContactInput, LinkConfig, Outcome, link};
///
/// let day_us = 86_400 * 1_000_000;
/// let mut first = ContactInput::new("c1", "en");
/// first.customer_id = Some("cust-7".into());
/// first.started_at_us = Some(0);
/// let mut again = first.clone();
/// again.call_id = "c2".into();
/// again.started_at_us = Some(2 * day_us);
///
/// let rows = link(&[first, again], 20 * day_us, &LinkConfig::default());
/// assert_eq!(rows[0].outcome, Outcome::Unresolved);
/// assert_eq!((rows[1].repeat, rows[1].chain_id.as_str()), (true, "c1"));
/// assert_eq!(rows[1].outcome, Outcome::Resolved);
/// ```
pub fn link(contacts: &[ContactInput], data_end_us: i64, cfg: &LinkConfig) -> Vec<ContactRow> {
    // Sorted by call_id, the last of equal ids kept: the sort is stable, so equal ids stay in
    // input order. (A B-tree of the ids did the same with more string compares, and one node
    // allocation per few calls.)
    let mut sorted: Vec<&ContactInput> = contacts.iter().collect();
    sorted.par_sort_by(|a, b| a.call_id.cmp(&b.call_id));
    let calls: Vec<&ContactInput> = sorted
        .chunk_by(|a, b| a.call_id == b.call_id)
        .map(|same| *same.last().expect("chunks are never empty"))
        .collect();
    let data_end_us = calls
        .iter()
        .filter_map(|c| c.started_at_us)
        .fold(data_end_us, i64::max);

    // Each customer is linked on its own, so customers are linked in parallel: their calls
    // with a start, sorted by customer and then time, lie together. `idx` follows `call_id`
    // order, so equal starts are ordered by `call_id`.
    let mut timed: Vec<Timed> = calls
        .par_iter()
        .enumerate()
        .filter_map(|(idx, call)| {
            let customer = call.customer_key()?;
            let start_us = call.started_at_us?;
            Some(Timed {
                customer,
                idx,
                start_us,
                end_us: end_us(start_us, call.duration_s),
            })
        })
        .collect();
    timed.par_sort_unstable_by(|a, b| {
        (a.customer, a.start_us, a.idx).cmp(&(b.customer, b.start_us, b.idx))
    });
    let linked: Vec<(usize, ContactRow)> = timed
        .par_chunk_by(|a, b| a.customer == b.customer)
        .flat_map_iter(|group| link_customer(&calls, group, data_end_us, cfg))
        .collect();
    // Back in `call_id` order, with the calls that have no customer or no start alone.
    let mut rows: Vec<Option<ContactRow>> = (0..calls.len()).map(|_| None).collect();
    for (idx, row) in linked {
        rows[idx] = Some(row);
    }
    rows.into_iter()
        .zip(&calls)
        .map(|(row, call)| {
            let mut row = row.unwrap_or_else(|| ContactRow::alone(call));
            row.resolved_combined =
                resolved_combined(row.outcome, row.phrase_evidence, row.prev_call_id.is_some());
            row
        })
        .collect()
}

/// A call of one customer that has a start time: the customer, the call's index in the sorted
/// calls, and its span.
struct Timed<'a> {
    customer: &'a str,
    idx: usize,
    start_us: i64,
    end_us: i64,
}

/// The end of a call: its start plus its duration, or its start when the duration is unknown
/// (or not a positive finite number).
fn end_us(start_us: i64, duration_s: Option<f64>) -> i64 {
    match duration_s {
        // `as` saturates on overflow, and so does the addition.
        Some(d) if d.is_finite() && d > 0.0 => start_us.saturating_add((d * 1e6).round() as i64),
        _ => start_us,
    }
}

/// Seconds between two microsecond timestamps.
fn seconds_between(from_us: i64, to_us: i64) -> f64 {
    to_us.saturating_sub(from_us) as f64 / 1e6
}

/// How well an earlier contact matches a later one under the `same_*` filters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    /// A filter rules the pair out.
    No,
    /// Allowed only because a channel or the topics of one side are unknown.
    Unknown,
    /// Allowed with every active filter satisfied by known values.
    Known,
}

fn match_kind(cfg: &LinkConfig, later: &ContactInput, earlier: &ContactInput) -> Match {
    let mut unknown = false;
    if cfg.same_channel {
        match (later.known_channel(), earlier.known_channel()) {
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            (Some(_), Some(_)) => return Match::No,
            _ => unknown = true,
        }
    }
    if cfg.same_issue {
        if later.topics.is_empty() || earlier.topics.is_empty() {
            unknown = true;
        } else if !later.topics.iter().any(|t| earlier.topics.contains(t)) {
            return Match::No;
        }
    }
    if unknown {
        Match::Unknown
    } else {
        Match::Known
    }
}

/// Links one customer's timed calls (`group`, sorted by start then `call_id`): their rows,
/// each with its index in `calls`.
fn link_customer(
    calls: &[&ContactInput],
    group: &[Timed],
    data_end_us: i64,
    cfg: &LinkConfig,
) -> Vec<(usize, ContactRow)> {
    let window_us = cfg.window_s.saturating_mul(1_000_000);
    let gap_us = cfg.transfer_gap_s.saturating_mul(1_000_000);
    let n = group.len();

    // prev[i] = (j, is_transfer): the earlier contact `i` links to. Candidates started within
    // the window before `i`; the latest with known matching values wins, else the latest that
    // matches only through an unknown channel or topic set. Without filters that is `i - 1`.
    let mut prev: Vec<Option<(usize, bool)>> = vec![None; n];
    for i in 0..n {
        let call = calls[group[i].idx];
        let mut known = None;
        let mut unknown = None;
        for j in (0..i).rev() {
            if group[i].start_us.saturating_sub(group[j].start_us) > window_us {
                break;
            }
            match match_kind(cfg, call, calls[group[j].idx]) {
                Match::Known => {
                    known = Some(j);
                    break;
                }
                Match::Unknown => {
                    unknown.get_or_insert(j);
                }
                Match::No => {}
            }
        }
        prev[i] = known.or(unknown).map(|j| {
            (
                j,
                group[i].start_us.saturating_sub(group[j].end_us) <= gap_us,
            )
        });
    }

    // Episodes follow transfer links, chains follow every link; both are named by their root,
    // which is always earlier, so one pass in time order resolves them.
    let mut episode = vec![0; n];
    let mut chain = vec![0; n];
    let mut chain_len = vec![0u32; n];
    let mut position = vec![0u32; n];
    let mut next = vec![None; n];
    let mut episode_has_repeat = vec![false; n];
    let mut episode_last_start = vec![i64::MIN; n];
    for i in 0..n {
        (episode[i], chain[i]) = match prev[i] {
            Some((j, true)) => (episode[j], chain[j]),
            Some((j, false)) => (i, chain[j]),
            None => (i, i),
        };
        chain_len[chain[i]] += 1;
        position[i] = chain_len[chain[i]];
        if let Some((j, is_transfer)) = prev[i] {
            next[j].get_or_insert(i);
            if !is_transfer {
                episode_has_repeat[episode[j]] = true;
            }
        }
        episode_last_start[episode[i]] = episode_last_start[episode[i]].max(group[i].start_us);
    }

    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let e = episode[i];
        let outcome = if episode_has_repeat[e] {
            Outcome::Unresolved
        } else if episode_last_start[e].saturating_add(window_us) <= data_end_us {
            Outcome::Resolved
        } else {
            Outcome::Censored
        };
        let call_id = |k: usize| calls[group[k].idx].call_id.clone();
        let mut row = ContactRow::alone(calls[group[i].idx]);
        row.chain_id = call_id(chain[i]);
        row.chain_position = position[i];
        row.prev_call_id = prev[i].map(|(j, _)| call_id(j));
        row.next_call_id = next[i].map(call_id);
        row.gap_before_s =
            prev[i].map(|(j, _)| seconds_between(group[j].start_us, group[i].start_us));
        row.gap_after_s = next[i].map(|k| seconds_between(group[i].start_us, group[k].start_us));
        row.repeat = matches!(prev[i], Some((_, false)));
        row.outcome = outcome;
        rows.push((group[i].idx, row));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::fixture::{self, at, worked_example};
    use super::*;

    /// An expected row, written out by hand: (call_id, customer_id, chain_id, chain_position,
    /// prev_call_id, next_call_id, gap_before_s, gap_after_s, repeat, outcome, phrase_evidence,
    /// resolved_combined).
    type Expect<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        u32,
        Option<&'a str>,
        Option<&'a str>,
        Option<f64>,
        Option<f64>,
        bool,
        Outcome,
        bool,
        Option<bool>,
    );

    fn expected(rows: &[Expect<'_>]) -> Vec<ContactRow> {
        rows.iter()
            .map(
                |&(
                    id,
                    customer,
                    chain,
                    pos,
                    prev,
                    next,
                    before,
                    after,
                    repeat,
                    outcome,
                    phrase,
                    combined,
                )| ContactRow {
                    call_id: id.into(),
                    customer_id: customer.map(Into::into),
                    chain_id: chain.into(),
                    chain_position: pos,
                    prev_call_id: prev.map(Into::into),
                    next_call_id: next.map(Into::into),
                    gap_before_s: before,
                    gap_after_s: after,
                    repeat,
                    outcome,
                    phrase_evidence: phrase,
                    resolved_combined: combined,
                },
            )
            .collect()
    }

    fn assert_rows(got: &[ContactRow], want: &[ContactRow]) {
        assert_eq!(got.len(), want.len(), "row count");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "row {}", w.call_id);
        }
    }

    /// (call_id, chain_id, prev_call_id, outcome) of every row.
    fn links(rows: &[ContactRow]) -> Vec<(&str, &str, Option<&str>, Outcome)> {
        rows.iter()
            .map(|r| {
                (
                    r.call_id.as_str(),
                    r.chain_id.as_str(),
                    r.prev_call_id.as_deref(),
                    r.outcome,
                )
            })
            .collect()
    }

    use Outcome::{Censored, NoCustomerId, Resolved, Unresolved};

    /// The worked example of docs/FCR.md; the fixture explains why each call has its shape.
    /// Gaps in seconds: a1→a2 20 min, a2→a3 2d 4h40m, a3→a4 exactly 7d, c1→c2 10 min,
    /// c2→c3 2d 9h55m, f1→f2 20 min.
    #[rustfmt::skip]
    fn worked_example_rows() -> Vec<ContactRow> {
        expected(&[
            ("a1", Some("A"), "a1", 1, None,       Some("a2"), None,            Some(1_200.0),   false, Unresolved,   false, Some(false)),
            ("a2", Some("A"), "a1", 2, Some("a1"), Some("a3"), Some(1_200.0),   Some(189_600.0), false, Unresolved,   false, Some(false)),
            ("a3", Some("A"), "a1", 3, Some("a2"), Some("a4"), Some(189_600.0), Some(604_800.0), true,  Unresolved,   false, Some(false)),
            ("a4", Some("A"), "a1", 4, Some("a3"), None,       Some(604_800.0), None,            true,  Censored,     false, None),
            ("b1", Some("B"), "b1", 1, None,       None,       None,            None,            false, Resolved,     false, Some(true)),
            ("b2", Some("B"), "b2", 1, None,       None,       None,            None,            false, Censored,     false, None),
            ("c1", Some("C"), "c1", 1, None,       Some("c2"), None,            Some(600.0),     false, Unresolved,   false, Some(false)),
            ("c2", Some("C"), "c1", 2, Some("c1"), Some("c3"), Some(600.0),     Some(208_500.0), false, Unresolved,   false, Some(false)),
            ("c3", Some("C"), "c1", 3, Some("c2"), None,       Some(208_500.0), None,            true,  Resolved,     true,  Some(true)),
            ("d1", Some("D"), "d1", 1, None,       None,       None,            None,            false, Resolved,     true,  Some(false)),
            ("e1", Some("E"), "e1", 1, None,       None,       None,            None,            false, Censored,     false, None),
            ("f1", Some("F"), "f1", 1, None,       Some("f2"), None,            Some(1_200.0),   false, Unresolved,   false, Some(false)),
            ("f2", Some("F"), "f1", 2, Some("f1"), None,       Some(1_200.0),   None,            true,  Resolved,     false, Some(true)),
            ("n1", None,      "n1", 1, None,       None,       None,            None,            false, NoCustomerId, true,  Some(false)),
            ("n2", None,      "n2", 1, None,       None,       None,            None,            false, NoCustomerId, false, None),
        ])
    }

    #[test]
    fn worked_example_gives_the_documented_chains_and_outcomes() {
        let rows = link(
            &worked_example(),
            fixture::DATA_END_US,
            &LinkConfig::default(),
        );
        assert_rows(&rows, &worked_example_rows());
    }

    #[test]
    fn transfer_gap_counts_from_the_end_of_the_previous_call() {
        let rows = link(
            &worked_example(),
            fixture::DATA_END_US,
            &LinkConfig::default(),
        );
        let row = |id: &str| rows.iter().find(|r| r.call_id == id).expect("fixture call");
        // a2 starts 20 min after a1 started but 10 min after a1 ended: a transfer leg.
        assert_eq!(
            (row("a2").prev_call_id.as_deref(), row("a2").repeat),
            (Some("a1"), false)
        );
        // f2 starts 20 min after f1, whose duration is unknown, so its end is its start: a repeat.
        assert_eq!(
            (row("f2").prev_call_id.as_deref(), row("f2").repeat),
            (Some("f1"), true)
        );
        // c1 (chat, no duration) → c2 (voice) 10 min later, after midnight: one episode.
        assert_eq!(
            (row("c2").prev_call_id.as_deref(), row("c2").repeat),
            (Some("c1"), false)
        );
    }

    #[test]
    fn input_order_does_not_change_the_rows() {
        let mut calls = worked_example();
        calls.reverse();
        calls.rotate_left(4);
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        assert_rows(&rows, &worked_example_rows());
    }

    /// Customers are linked side by side; the rows must not depend on how many threads do it.
    #[test]
    fn rows_do_not_depend_on_the_thread_count() {
        // 3,000 calls of 400 customers over three weeks, some without a customer or a start.
        let calls: Vec<ContactInput> = (0..3_000u32)
            .map(|i| {
                let mut call = ContactInput::new(format!("call-{:05}", (i * 7_919) % 3_000), "en");
                call.customer_id = (i % 11 != 0).then(|| format!("cust-{}", (i * 31) % 400));
                call.started_at_us = (i % 13 != 0).then(|| {
                    fixture::day_us(i64::from(i % 21)) + i64::from(i * 97 % 86_400) * 1_000_000
                });
                call.duration_s = Some(f64::from(60 + i % 600));
                call.repeat_cue = i % 5 == 0;
                call
            })
            .collect();
        let in_pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| link(&calls, fixture::DATA_END_US, &LinkConfig::default()))
        };
        let one = in_pool(1);
        assert_eq!(one.len(), 3_000);
        assert!(one.iter().filter(|r| r.repeat).count() > 100);
        assert_eq!(in_pool(4), one);
    }

    #[test]
    fn censored_contacts_are_decided_when_a_later_night_arrives() {
        let all = worked_example();
        let (night1, _): (Vec<_>, Vec<_>) = all
            .iter()
            .cloned()
            .partition(|c| fixture::NIGHT_2.iter().all(|id| c.call_id != *id));
        // Night 1 holds the calls up to 2026-11-05 and ends at 2026-11-06T00:00Z: every
        // contact whose 7-day window reaches past that is censored, unless already unresolved.
        let rows = link(&night1, fixture::NIGHT_1_END_US, &LinkConfig::default());
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.call_id.as_str(),
                    r.next_call_id.as_deref(),
                    r.outcome,
                    r.resolved_combined,
                )
            })
            .collect();
        #[rustfmt::skip]
        let want = vec![
            ("a1", Some("a2"), Unresolved,   Some(false)),
            ("a2", Some("a3"), Unresolved,   Some(false)),
            ("a3", None,       Censored,     None),
            ("b1", None,       Censored,     None),
            ("c1", Some("c2"), Censored,     None),
            ("c2", None,       Censored,     None),
            ("d1", None,       Censored,     Some(false)),
            ("e1", None,       Censored,     None),
            ("f1", Some("f2"), Unresolved,   Some(false)),
            ("f2", None,       Censored,     None),
            ("n1", None,       NoCustomerId, Some(false)),
            ("n2", None,       NoCustomerId, None),
        ];
        assert_eq!(got, want);

        // Night 2 adds a4, b2 and c3; linking everything again to 2026-11-16T00:00Z decides
        // a3 (unresolved by a4), b1 (resolved), c1/c2 (unresolved by c3), d1 and f2 (resolved).
        let rows = link(&all, fixture::DATA_END_US, &LinkConfig::default());
        assert_rows(&rows, &worked_example_rows());

        // Night 3: a5 on 2026-11-17 09:00, 5d 19h after a4, data to 2026-11-21T00:00Z.
        let mut later = all.clone();
        let mut a5 = later
            .iter()
            .find(|c| c.call_id == "a4")
            .expect("fixture call")
            .clone();
        a5.call_id = "a5".into();
        a5.started_at_us = at(15, 9, 0, 0);
        later.push(a5);
        let rows = link(&later, fixture::day_us(19), &LinkConfig::default());
        let mut want = worked_example_rows();
        let a4 = want
            .iter_mut()
            .find(|r| r.call_id == "a4")
            .expect("fixture row");
        (
            a4.next_call_id,
            a4.gap_after_s,
            a4.outcome,
            a4.resolved_combined,
        ) = (Some("a5".into()), Some(500_400.0), Unresolved, Some(false));
        let b2 = want
            .iter_mut()
            .find(|r| r.call_id == "b2")
            .expect("fixture row");
        (b2.outcome, b2.resolved_combined) = (Resolved, Some(true));
        let a5 = expected(&[(
            "a5",
            Some("A"),
            "a1",
            5,
            Some("a4"),
            None,
            Some(500_400.0),
            None,
            true,
            Censored,
            false,
            None,
        )]);
        want.insert(4, a5[0].clone());
        assert_rows(&rows, &want);
    }

    #[test]
    fn two_nights_relinked_give_the_same_rows_as_one_run() {
        let all = worked_example();
        let (night1, night2): (Vec<_>, Vec<_>) = all
            .iter()
            .cloned()
            .partition(|c| fixture::NIGHT_2.iter().all(|id| c.call_id != *id));
        let first = link(&night1, fixture::NIGHT_1_END_US, &LinkConfig::default());
        assert_eq!(first.len(), 12);
        // The second night re-links the history with tonight's calls, tonight's first.
        let history_then_tonight: Vec<_> = night2.iter().chain(&night1).cloned().collect();
        let second = link(
            &history_then_tonight,
            fixture::DATA_END_US,
            &LinkConfig::default(),
        );
        assert_eq!(
            second,
            link(&all, fixture::DATA_END_US, &LinkConfig::default())
        );
        // Re-running the second night (the same calls again) changes nothing and adds no rows.
        let rerun: Vec<_> = history_then_tonight
            .iter()
            .chain(&night2)
            .cloned()
            .collect();
        assert_eq!(
            link(&rerun, fixture::DATA_END_US, &LinkConfig::default()),
            second
        );
    }

    #[test]
    fn same_channel_keeps_chat_and_voice_apart() {
        let cfg = LinkConfig {
            same_channel: true,
            ..LinkConfig::default()
        };
        let rows = link(&worked_example(), fixture::DATA_END_US, &cfg);
        // a3 is a chat: the voice chain a1-a2 is resolved, a3 starts its own chain, and a4
        // (voice) finds only a3 within 7 days before it, so it starts a chain too. The chat c1
        // and the voice call c2 ten minutes later are no longer one episode.
        #[rustfmt::skip]
        let want = vec![
            ("a1", "a1", None,       Resolved),
            ("a2", "a1", Some("a1"), Resolved),
            ("a3", "a3", None,       Resolved),
            ("a4", "a4", None,       Censored),
            ("b1", "b1", None,       Resolved),
            ("b2", "b2", None,       Censored),
            ("c1", "c1", None,       Resolved),
            ("c2", "c2", None,       Unresolved),
            ("c3", "c2", Some("c2"), Resolved),
            ("d1", "d1", None,       Resolved),
            ("e1", "e1", None,       Censored),
            ("f1", "f1", None,       Unresolved),
            ("f2", "f1", Some("f1"), Resolved),
            ("n1", "n1", None,       NoCustomerId),
            ("n2", "n2", None,       NoCustomerId),
        ];
        assert_eq!(links(&rows), want);
        let a2 = &rows[1];
        assert_eq!((a2.repeat, a2.resolved_combined), (false, Some(true)));
    }

    #[test]
    fn same_issue_prefers_a_shared_topic_and_lets_untagged_calls_match_any() {
        let topic_call = |id: &str, customer: &str, day: i64, hour: i64, topics: &[&str]| {
            let mut c = fixture::call(
                id,
                Some(customer),
                "voice",
                at(day, hour, 0, 0),
                Some(300.0),
            );
            c.topics = topics.iter().map(|t| t.to_string()).collect();
            c
        };
        let calls = vec![
            topic_call("g1", "G", 0, 10, &["topic_billing"]),
            topic_call("g2", "G", 1, 10, &["topic_outage"]),
            topic_call("g3", "G", 2, 10, &[]),
            topic_call("g4", "G", 3, 10, &["topic_billing", "topic_refund"]),
            topic_call("h1", "H", 0, 12, &[]),
            topic_call("h2", "H", 1, 12, &["topic_billing"]),
            topic_call("h3", "H", 2, 12, &["topic_outage"]),
        ];
        let cfg = LinkConfig {
            same_issue: true,
            ..LinkConfig::default()
        };
        // g3 (no topic) links to the latest call, g2. g4 skips g3, which matches only because it
        // has no topic, for g1, which shares topic_billing. h3 (outage) skips h2 (billing) and
        // links to the untagged h1, which so has two later contacts: next_call_id names the
        // earliest and chain_position orders all three by start.
        #[rustfmt::skip]
        let want = expected(&[
            ("g1", Some("G"), "g1", 1, None,       Some("g4"), None,           Some(259_200.0), false, Unresolved, false, Some(false)),
            ("g2", Some("G"), "g2", 1, None,       Some("g3"), None,           Some(86_400.0),  false, Unresolved, false, Some(false)),
            ("g3", Some("G"), "g2", 2, Some("g2"), None,       Some(86_400.0), None,            true,  Resolved,   false, Some(true)),
            ("g4", Some("G"), "g1", 2, Some("g1"), None,       Some(259_200.0),None,            true,  Resolved,   false, Some(true)),
            ("h1", Some("H"), "h1", 1, None,       Some("h2"), None,           Some(86_400.0),  false, Unresolved, false, Some(false)),
            ("h2", Some("H"), "h1", 2, Some("h1"), None,       Some(86_400.0), None,            true,  Resolved,   false, Some(true)),
            ("h3", Some("H"), "h1", 3, Some("h1"), None,       Some(172_800.0),None,            true,  Resolved,   false, Some(true)),
        ]);
        assert_rows(&link(&calls, fixture::DATA_END_US, &cfg), &want);

        // Without the filter every call links to the one before it.
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        let prevs: Vec<_> = rows.iter().map(|r| r.prev_call_id.as_deref()).collect();
        assert_eq!(
            prevs,
            [
                None,
                Some("g1"),
                Some("g2"),
                Some("g3"),
                None,
                Some("h1"),
                Some("h2")
            ]
        );
    }

    #[test]
    fn calls_starting_together_form_one_episode_in_call_id_order() {
        let calls = vec![
            fixture::call("z2", Some("Z"), "voice", at(0, 9, 0, 0), Some(60.0)),
            fixture::call("z1", Some("Z"), "chat", at(0, 9, 0, 0), None),
        ];
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        assert_eq!(
            links(&rows),
            [
                ("z1", "z1", None, Resolved),
                ("z2", "z1", Some("z1"), Resolved)
            ]
        );
        assert_eq!((rows[1].repeat, rows[1].gap_before_s), (false, Some(0.0)));
    }

    #[test]
    fn a_call_after_the_data_end_moves_the_end() {
        // x1's window closes on day 7; the caller said the data ends on day 0, but y1 on day 8
        // is in the data, so the data reaches day 8 and x1 is resolved.
        let calls = vec![
            fixture::call("x1", Some("X"), "voice", at(0, 0, 0, 0), None),
            fixture::call("y1", Some("Y"), "voice", at(8, 0, 0, 0), None),
        ];
        let rows = link(&calls, fixture::day_us(0), &LinkConfig::default());
        assert_eq!(
            links(&rows),
            [("x1", "x1", None, Resolved), ("y1", "y1", None, Censored)]
        );
    }

    #[test]
    fn a_call_id_seen_twice_keeps_the_last_version() {
        let first = fixture::call("k1", Some("K"), "voice", at(0, 9, 0, 0), None);
        let mut corrected = first.clone();
        corrected.customer_id = Some("  ".into());
        corrected.repeat_cue = true;
        let other = fixture::call("k2", Some("K"), "voice", at(1, 9, 0, 0), None);
        let rows = link(
            &[first, other, corrected],
            fixture::DATA_END_US,
            &LinkConfig::default(),
        );
        // The corrected k1 has a blank customer id, so k2 has nothing to link to.
        assert_eq!(
            links(&rows),
            [
                ("k1", "k1", None, NoCustomerId),
                ("k2", "k2", None, Resolved)
            ]
        );
        assert_eq!(
            (rows[0].customer_id.as_deref(), rows[0].resolved_combined),
            (None, Some(false))
        );
    }

    #[test]
    fn outcome_names_are_stable() {
        let names: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(
            names,
            ["resolved", "unresolved", "censored", "no_customer_id"]
        );
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_name(o.as_str()), Some(o));
            assert_eq!(o.to_string(), o.as_str());
        }
    }

    mod properties {
        use std::collections::BTreeMap;

        use super::super::*;
        use proptest::prelude::*;

        /// A random call: customer (0..3, or 3 = none), start in minutes over 30 days (or none),
        /// duration in seconds (or unknown), repeat cue.
        type Spec = (u8, Option<i64>, Option<u16>, bool);

        fn calls_of(specs: &[Spec]) -> Vec<ContactInput> {
            specs
                .iter()
                .enumerate()
                .map(|(i, &(customer, minute, duration, cue))| {
                    let mut c = ContactInput::new(format!("k{i:02}"), "en");
                    c.customer_id = (customer < 3).then(|| format!("cust{customer}"));
                    c.started_at_us = minute.map(|m| m * 60_000_000);
                    c.duration_s = duration.map(f64::from);
                    c.repeat_cue = cue;
                    c
                })
                .collect()
        }

        /// The rules of docs/FCR.md without filters, stated over one customer's calls in time
        /// order: a call links to the call just before it if that one started within W; the
        /// link is a transfer if it also ended within the gap. An episode's outcome is
        /// unresolved when the call after its last leg started within W of that leg, else
        /// resolved when the last leg's window ends inside the data, else censored.
        fn oracle(
            calls: &[ContactInput],
            data_end_us: i64,
            w: i64,
            gap: i64,
        ) -> BTreeMap<String, (bool, Outcome)> {
            let mut out = BTreeMap::new();
            let end = |c: &ContactInput, s: i64| s + c.duration_s.map_or(0, |d| (d * 1e6) as i64);
            let data_end = calls
                .iter()
                .filter_map(|c| c.started_at_us)
                .fold(data_end_us, i64::max);
            for c in calls {
                let outcome = if c.customer_id.is_none() {
                    Outcome::NoCustomerId
                } else {
                    Outcome::Censored
                };
                out.insert(c.call_id.clone(), (false, outcome));
            }
            for customer in 0..3 {
                let id = format!("cust{customer}");
                let mut mine: Vec<(i64, &ContactInput)> = calls
                    .iter()
                    .filter(|c| c.customer_id.as_deref() == Some(id.as_str()))
                    .filter_map(|c| c.started_at_us.map(|s| (s, c)))
                    .collect();
                mine.sort_by(|a, b| (a.0, &a.1.call_id).cmp(&(b.0, &b.1.call_id)));
                let linked = |i: usize| i > 0 && mine[i].0 - mine[i - 1].0 <= w;
                let transfer =
                    |i: usize| linked(i) && mine[i].0 - end(mine[i - 1].1, mine[i - 1].0) <= gap;
                for i in 0..mine.len() {
                    let mut last = i;
                    while last + 1 < mine.len() && transfer(last + 1) {
                        last += 1;
                    }
                    let outcome = if last + 1 < mine.len() && linked(last + 1) {
                        Outcome::Unresolved
                    } else if mine[last].0 + w <= data_end {
                        Outcome::Resolved
                    } else {
                        Outcome::Censored
                    };
                    out.insert(
                        mine[i].1.call_id.clone(),
                        (linked(i) && !transfer(i), outcome),
                    );
                }
            }
            out
        }

        fn spec() -> impl Strategy<Value = Spec> {
            (
                0u8..4,
                prop::option::weighted(0.9, 0i64..43_200),
                prop::option::of(0u16..3_600),
                any::<bool>(),
            )
        }

        proptest! {
            #[test]
            fn linking_agrees_with_the_rules_stated_per_customer(
                specs in prop::collection::vec(spec(), 0..30),
                end_minute in 0i64..86_400,
                w_days in 1i64..8,
            ) {
                let cfg = LinkConfig { window_s: w_days * 86_400, ..LinkConfig::default() };
                let calls = calls_of(&specs);
                let end_us = end_minute * 60_000_000;
                let rows = link(&calls, end_us, &cfg);
                let (w_us, gap_us) = (cfg.window_s * 1_000_000, cfg.transfer_gap_s * 1_000_000);
                let want = oracle(&calls, end_us, w_us, gap_us);
                prop_assert_eq!(rows.len(), want.len());
                for row in &rows {
                    let got = (row.repeat, row.outcome);
                    prop_assert_eq!(Some(&got), want.get(&row.call_id), "{}", row.call_id);
                }
            }

            #[test]
            fn rows_do_not_depend_on_input_order(
                specs in prop::collection::vec(spec(), 0..30),
                rotate in 0usize..30,
            ) {
                let calls = calls_of(&specs);
                let mut shuffled = calls.clone();
                shuffled.reverse();
                let len = shuffled.len();
                shuffled.rotate_left(rotate.min(len));
                let end_us = 50 * 86_400 * 1_000_000;
                let cfg =
                    LinkConfig { same_issue: true, same_channel: true, ..LinkConfig::default() };
                prop_assert_eq!(link(&calls, end_us, &cfg), link(&shuffled, end_us, &cfg));
            }

            #[test]
            fn chains_are_consistent(specs in prop::collection::vec(spec(), 0..30)) {
                let rows = link(&calls_of(&specs), 0, &LinkConfig::default());
                let by_id: BTreeMap<&str, &ContactRow> =
                    rows.iter().map(|r| (r.call_id.as_str(), r)).collect();
                for row in &rows {
                    // Without filters a chain is a list: prev and next point at each other.
                    if let Some(prev) = &row.prev_call_id {
                        let p = by_id[prev.as_str()];
                        prop_assert_eq!(p.next_call_id.as_deref(), Some(row.call_id.as_str()));
                        let (p_pos, pos) = (p.chain_position + 1, row.chain_position);
                        prop_assert_eq!((&p.chain_id, p_pos), (&row.chain_id, pos));
                        prop_assert_eq!(p.gap_after_s, row.gap_before_s);
                    } else {
                        let got = (&row.chain_id, row.chain_position, row.repeat);
                        prop_assert_eq!(got, (&row.call_id, 1, false));
                    }
                    // A resolved call's episode has no repeat after it.
                    if let (Outcome::Resolved, Some(next)) = (row.outcome, &row.next_call_id) {
                        prop_assert!(!by_id[next.as_str()].repeat);
                    }
                }
            }
        }
    }
}
