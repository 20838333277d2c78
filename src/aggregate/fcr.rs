//! FCR tallies: linked contacts folded into integer counts per date × queue × agent × channel ×
//! language (the `fcr` table), the rollups, and the rates with Wilson score intervals.
//!
//! This module owns what is counted and how rates are derived from counts (docs/FCR.md states
//! every formula); linking, and so every outcome, belongs to [`crate::link`]; writing the table
//! belongs to output.
//!
//! Invariants:
//! - **Counts add up.** [`FcrCounts`] holds only integers and implements `+=`, so threads,
//!   shards, nights and rollups merge in any order to the same totals. Rates are derived from
//!   summed counts at the end ([`FcrCounts::rates`]), never averaged.
//! - **FCR belongs to the first contact.** Outcome counts (`first_contacts`, `resolved`,
//!   `unresolved`, `censored`, and `resolved_combined` / `unresolved_combined`, which also
//!   take calls without a customer id) count only chain starts, in the cell of the chain
//!   start's own date, queue, agent, channel and language: the contact that resolved the issue
//!   or failed to.
//!   Per-call counts (`contacts`, `phrase_repeats`, `escalations`, `negative_calls`) count every
//!   call in its own cell.
//! - `first_contacts = resolved + unresolved + censored` in every cell.
//! - **Deterministic.** Cells live in `BTreeMap`s, ordered by key.

use std::collections::BTreeMap;

// Hash maps keyed by call_id use hashbrown's default hasher: SipHash, std's, was 6% of
// `fcrscan link` on 100,000 calls, and the keys are not chosen by an attacker.
use hashbrown::HashMap;
use serde::Serialize;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use super::cells::CellTable;
use crate::ingest::time::date_of_day;
use crate::link::{ContactInput, ContactRow, Outcome};
use crate::zone::Zone;

/// The `call_date` of a call without a start time.
pub const UNKNOWN_DATE: &str = "unknown";

/// The day number (days since 1970-01-01) of the date in `zone` a call started on; `None`
/// without a start. Rows are grouped by it and named once per day ([`call_date_of_day`]), not
/// once per call.
pub fn day_of(started_at_us: Option<i64>, zone: &Zone) -> Option<i64> {
    started_at_us.map(|us| zone.day_of(us))
}

/// The `call_date` of a day number: `YYYY-MM-DD`, or [`UNKNOWN_DATE`] for `None`.
pub fn call_date_of_day(day: Option<i64>) -> String {
    day.map_or_else(|| UNKNOWN_DATE.to_string(), date_of_day)
}

/// The 0.975 quantile of the standard normal distribution: the `z` of a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// One cell of the `fcr` table: a call date (in the dataset's time zone) and the call's routing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FcrKey {
    /// The date the call started in the dataset's time zone, `YYYY-MM-DD`, or [`UNKNOWN_DATE`].
    pub call_date: String,
    /// The call's queue.
    pub queue: Option<String>,
    /// The agent who took the call.
    pub agent_id: Option<String>,
    /// The call's channel.
    pub channel: Option<String>,
    /// The call's language.
    pub language: String,
}

impl FcrKey {
    /// The cell a call is counted in: its own date, queue, agent, channel and language.
    pub fn of(call: &ContactInput, zone: &Zone) -> FcrKey {
        FcrKey {
            call_date: call_date_of_day(day_of(call.started_at_us, zone)),
            queue: call.queue.clone(),
            agent_id: call.agent_id.clone(),
            channel: call.channel.clone(),
            language: call.language.clone(),
        }
    }
}

/// The counts of one cell (or a rollup of cells). Every field is a count of calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FcrCounts {
    /// Calls.
    pub contacts: u64,
    /// Chain starts with a customer id: calls with no `prev_call_id` and an outcome other than
    /// `no_customer_id`. The calls FCR is measured on.
    pub first_contacts: u64,
    /// First contacts whose outcome is `resolved`.
    pub resolved: u64,
    /// First contacts whose outcome is `unresolved`.
    pub unresolved: u64,
    /// First contacts whose outcome is `censored`.
    pub censored: u64,
    /// Calls with phrase evidence (the customer said a repeat-contact cue).
    pub phrase_repeats: u64,
    /// Calls in which the customer said an escalation cue.
    pub escalations: u64,
    /// Calls with negative customer sentiment.
    pub negative_calls: u64,
    /// Chain starts (calls with no `prev_call_id`, with or without a customer id) whose
    /// `resolved_combined` is true.
    pub resolved_combined: u64,
    /// Chain starts (calls with no `prev_call_id`, with or without a customer id) whose
    /// `resolved_combined` is false.
    pub unresolved_combined: u64,
}

impl FcrCounts {
    /// The counts one call contributes to its cell.
    pub fn of_contact(row: &ContactRow, call: &ContactInput) -> FcrCounts {
        let is_chain_start = row.prev_call_id.is_none();
        let is_first = is_chain_start && row.outcome != Outcome::NoCustomerId;
        let first_with = |o: Outcome| u64::from(is_first && row.outcome == o);
        FcrCounts {
            contacts: 1,
            first_contacts: u64::from(is_first),
            resolved: first_with(Outcome::Resolved),
            unresolved: first_with(Outcome::Unresolved),
            censored: first_with(Outcome::Censored),
            phrase_repeats: u64::from(row.phrase_evidence),
            escalations: u64::from(call.escalation),
            negative_calls: u64::from(call.negative),
            resolved_combined: u64::from(is_chain_start && row.resolved_combined == Some(true)),
            unresolved_combined: u64::from(is_chain_start && row.resolved_combined == Some(false)),
        }
    }

    /// The rates derived from these counts.
    pub fn rates(&self) -> FcrRates {
        FcrRates {
            fcr_operational: Rate::of(self.resolved, self.resolved + self.unresolved),
            fcr_phrase: Rate::of(
                self.contacts.saturating_sub(self.phrase_repeats),
                self.contacts,
            ),
            fcr_combined: Rate::of(
                self.resolved_combined,
                self.resolved_combined + self.unresolved_combined,
            ),
        }
    }
}

/// How many counts an [`FcrCounts`] holds: the length of [`FcrCounts::to_array`].
pub(crate) const COUNT_FIELDS: usize = 10;

impl FcrCounts {
    /// The counts in field order, for code that treats them alike (sums, compact storage in
    /// [`crate::aggregate::cells`]). A new field cannot be forgotten: [`FcrCounts::from_array`]
    /// would not compile without it, nor this array once [`COUNT_FIELDS`] counts it.
    pub(crate) fn to_array(self) -> [u64; COUNT_FIELDS] {
        [
            self.contacts,
            self.first_contacts,
            self.resolved,
            self.unresolved,
            self.censored,
            self.phrase_repeats,
            self.escalations,
            self.negative_calls,
            self.resolved_combined,
            self.unresolved_combined,
        ]
    }

    /// The counts of [`FcrCounts::to_array`], back in their fields.
    pub(crate) fn from_array(counts: [u64; COUNT_FIELDS]) -> FcrCounts {
        FcrCounts {
            contacts: counts[0],
            first_contacts: counts[1],
            resolved: counts[2],
            unresolved: counts[3],
            censored: counts[4],
            phrase_repeats: counts[5],
            escalations: counts[6],
            negative_calls: counts[7],
            resolved_combined: counts[8],
            unresolved_combined: counts[9],
        }
    }
}

impl AddAssign for FcrCounts {
    fn add_assign(&mut self, other: FcrCounts) {
        let mut sum = self.to_array();
        for (sum, count) in sum.iter_mut().zip(other.to_array()) {
            *sum += count;
        }
        *self = FcrCounts::from_array(sum);
    }
}

impl Add for FcrCounts {
    type Output = FcrCounts;

    fn add(mut self, other: FcrCounts) -> FcrCounts {
        self += other;
        self
    }
}

impl Sum for FcrCounts {
    fn sum<I: Iterator<Item = FcrCounts>>(iter: I) -> FcrCounts {
        iter.fold(FcrCounts::default(), Add::add)
    }
}

impl<'a> Sum<&'a FcrCounts> for FcrCounts {
    fn sum<I: Iterator<Item = &'a FcrCounts>>(iter: I) -> FcrCounts {
        iter.copied().sum()
    }
}

/// A proportion and its Wilson 95% score interval (the `*`, `*_low` and `*_high` columns).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// successes / n.
    pub value: f64,
    /// Lower bound of the Wilson 95% interval.
    pub low: f64,
    /// Upper bound of the Wilson 95% interval.
    pub high: f64,
}

impl Rate {
    /// The rate `successes / n` with its interval; `None` when `n` is 0 or `successes > n`.
    pub fn of(successes: u64, n: u64) -> Option<Rate> {
        let (low, high) = wilson(successes, n)?;
        Some(Rate {
            value: successes as f64 / n as f64,
            low,
            high,
        })
    }
}

/// The three FCR rates of a cell; each is `None` when its denominator is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FcrRates {
    /// `resolved / (resolved + unresolved)`: censored first contacts are left out.
    pub fcr_operational: Option<Rate>,
    /// `1 − phrase_repeats / contacts`.
    pub fcr_phrase: Option<Rate>,
    /// `resolved_combined / (resolved_combined + unresolved_combined)`.
    pub fcr_combined: Option<Rate>,
}

/// The Wilson score interval at 95% for `successes` out of `n`, clamped to [0, 1]; `None` when
/// `n` is 0 or `successes > n`.
///
/// With p̂ = s/n and z = [`Z_95`]: centre = (p̂ + z²/2n) / (1 + z²/n), half-width =
/// z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n). Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays inside [0, 1] and
/// does not collapse to a point when p̂ is 0 or 1, which matters for one agent's few calls.
///
/// ```
/// use fcrscan::aggregate::fcr::wilson;
///
/// let (low, high) = wilson(8, 10).expect("n > 0");
/// assert!((low - 0.4902).abs() < 5e-5 && (high - 0.9433).abs() < 5e-5);
/// assert_eq!(wilson(0, 0), None);
/// ```
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || successes > n {
        return None;
    }
    let (all, s, n) = (successes == n, successes as f64, n as f64);
    let p = s / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    // At p̂ = 0 (or 1) the lower (upper) bound is exactly 0 (1); rounding would leave 1e-17.
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let high = if all {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    Some((low, high))
}

/// A `contacts` row whose call is not among the calls given to [`tally`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "contact row for call {call_id} has no matching call: tally the rows with the calls they were linked from"
)]
pub struct MissingCall {
    /// The row's `call_id`.
    pub call_id: String,
}

/// Folds linked rows into cells, dated in `zone`. Each row is matched to its call by `call_id`
/// (the last call with that id, as [`crate::link::link`] does).
///
/// ```
/// use fcrscan::aggregate::fcr::{FcrKey, tally};
/// use fcrscan::link::{ContactInput, LinkConfig, link};
/// use fcrscan::zone::Zone;
///
/// let mut call = ContactInput::new("c1", "en");
/// call.customer_id = Some("cust-7".into());
/// call.started_at_us = Some(0);
/// let rows = link(std::slice::from_ref(&call), 8 * 86_400_000_000, &LinkConfig::default());
/// let cells = tally(&rows, &[call], &Zone::utc())?;
/// let key = FcrKey {
///     call_date: "1970-01-01".into(),
///     queue: None,
///     agent_id: None,
///     channel: None,
///     language: "en".into(),
/// };
/// let counts = cells[&key];
/// assert_eq!((counts.first_contacts, counts.resolved), (1, 1));
/// # Ok::<(), fcrscan::aggregate::fcr::MissingCall>(())
/// ```
pub fn tally(
    rows: &[ContactRow],
    calls: &[ContactInput],
    zone: &Zone,
) -> Result<BTreeMap<FcrKey, FcrCounts>, MissingCall> {
    // Hashed: a B-tree of call_id strings was a tenth of the link step in string compares.
    let mut by_id: HashMap<&str, &ContactInput> = HashMap::with_capacity(calls.len());
    for call in calls {
        by_id.insert(&call.call_id, call);
    }
    let mut table = CellTable::new();
    table.add_contacts(rows, zone, |id| by_id.get(id).copied())?;
    Ok(table.into_map())
}

/// Sums cells under a coarser key (`key` maps each cell's key to its rollup key).
pub fn rollup<'a, K: Ord>(
    cells: impl IntoIterator<Item = (&'a FcrKey, &'a FcrCounts)>,
    key: impl Fn(&'a FcrKey) -> K,
) -> BTreeMap<K, FcrCounts> {
    let mut out: BTreeMap<K, FcrCounts> = BTreeMap::new();
    for (k, counts) in cells {
        *out.entry(key(k)).or_default() += *counts;
    }
    out
}

/// Counts per `call_date`.
pub fn by_date(cells: &BTreeMap<FcrKey, FcrCounts>) -> BTreeMap<String, FcrCounts> {
    rollup(cells, |k| k.call_date.clone())
}

/// Counts per (`call_date`, `queue`).
pub fn by_date_queue(
    cells: &BTreeMap<FcrKey, FcrCounts>,
) -> BTreeMap<(String, Option<String>), FcrCounts> {
    rollup(cells, |k| (k.call_date.clone(), k.queue.clone()))
}

/// Counts per (`call_date`, `agent_id`).
pub fn by_date_agent(
    cells: &BTreeMap<FcrKey, FcrCounts>,
) -> BTreeMap<(String, Option<String>), FcrCounts> {
    rollup(cells, |k| (k.call_date.clone(), k.agent_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::fixture::{self, worked_example};
    use crate::link::{LinkConfig, link};

    /// Counts in the field order of [`FcrCounts`]: contacts, first_contacts, resolved,
    /// unresolved, censored, phrase_repeats, escalations, negative_calls, resolved_combined,
    /// unresolved_combined.
    fn counts(c: [u64; 10]) -> FcrCounts {
        FcrCounts {
            contacts: c[0],
            first_contacts: c[1],
            resolved: c[2],
            unresolved: c[3],
            censored: c[4],
            phrase_repeats: c[5],
            escalations: c[6],
            negative_calls: c[7],
            resolved_combined: c[8],
            unresolved_combined: c[9],
        }
    }

    fn worked_example_cells() -> BTreeMap<FcrKey, FcrCounts> {
        let calls = worked_example();
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        tally(&rows, &calls, &Zone::utc()).expect("rows come from these calls")
    }

    fn assert_close(got: Option<Rate>, want: (f64, f64, f64)) {
        let rate = got.expect("a rate");
        let got = (rate.value, rate.low, rate.high);
        let close = (got.0 - want.0).abs() < 5e-5
            && (got.1 - want.1).abs() < 5e-5
            && (got.2 - want.2).abs() < 5e-5;
        assert!(close, "got {got:?}, want {want:?}");
    }

    /// The array form keeps every count in its field, and sums add field by field.
    #[test]
    fn counts_go_to_an_array_and_back_in_field_order() {
        let distinct = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(counts(distinct).to_array(), distinct);
        assert_eq!(FcrCounts::from_array(distinct), counts(distinct));
        let tens = distinct.map(|n| n * 10);
        assert_eq!(
            counts(distinct) + counts(tens),
            counts(distinct.map(|n| n * 11))
        );
    }

    #[test]
    fn wilson_bounds_match_published_values() {
        // Reference values: Wilson (1927) score interval, z = 1.959964, to four places.
        for (s, n, low, high) in [
            (8, 10, 0.4902, 0.9433),
            (50, 100, 0.4038, 0.5962),
            (0, 10, 0.0, 0.2775),
            (10, 10, 0.7225, 1.0),
            (2, 5, 0.1176, 0.7693),
            (1, 1, 0.2065, 1.0),
        ] {
            let (l, h) = wilson(s, n).expect("n > 0");
            assert!(
                (l - low).abs() < 5e-5 && (h - high).abs() < 5e-5,
                "{s}/{n}: got [{l}, {h}]"
            );
        }
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
        let (low, high) = wilson(0, 7).expect("n > 0");
        assert!(low == 0.0 && high < 1.0, "[{low}, {high}]");
        assert_eq!(wilson(7, 7).map(|(_, high)| high), Some(1.0));
    }

    #[test]
    fn worked_example_totals_and_rates() {
        let total: FcrCounts = worked_example_cells().values().sum();
        // 15 calls; first contacts a1 b1 b2 c1 d1 e1 f1; resolved b1 d1; unresolved a1 c1 f1;
        // censored b2 e1; phrase c3 d1 n1; escalation a3; negative a3 c3 n1; combined
        // resolved b1; combined unresolved a1 c1 f1 d1 n1.
        assert_eq!(total, counts([15, 7, 2, 3, 2, 3, 1, 3, 1, 5]));
        let rates = total.rates();
        assert_close(rates.fcr_operational, (2.0 / 5.0, 0.1176, 0.7693));
        assert_close(rates.fcr_phrase, (12.0 / 15.0, 0.5481, 0.9295));
        assert_close(rates.fcr_combined, (1.0 / 6.0, 0.0301, 0.5635));
    }

    #[test]
    fn worked_example_per_date() {
        let dates = by_date(&worked_example_cells());
        let want: BTreeMap<String, FcrCounts> = [
            ("2026-11-02", [3, 2, 1, 1, 0, 0, 0, 0, 1, 1]), // a1 a2 b1
            ("2026-11-03", [3, 2, 0, 2, 0, 0, 0, 0, 0, 2]), // c1 f1 f2
            ("2026-11-04", [3, 0, 0, 0, 0, 1, 1, 2, 0, 1]), // a3 c2 n1
            ("2026-11-05", [2, 1, 1, 0, 0, 1, 0, 0, 0, 1]), // d1 n2
            ("2026-11-06", [1, 0, 0, 0, 0, 1, 0, 1, 0, 0]), // c3
            ("2026-11-09", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), // b2
            ("2026-11-11", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // a4
            ("unknown", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]),    // e1
        ]
        .into_iter()
        .map(|(date, c)| (date.to_string(), counts(c)))
        .collect();
        assert_eq!(dates, want);
    }

    #[test]
    fn fcr_is_attributed_to_the_agent_of_the_first_contact() {
        let cells = worked_example_cells();
        let agents = by_date_agent(&cells);
        let get = |date: &str, agent: &str| agents[&(date.to_string(), Some(agent.to_string()))];
        // Chain a1 → a2 (transfer) → a3 → a4 failed on 2026-11-02: charged to ag1, who took
        // a1, not to ag2, who took the transfer leg; ag2's first contact that day is b1.
        assert_eq!(
            get("2026-11-02", "ag1"),
            counts([1, 1, 0, 1, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(
            get("2026-11-02", "ag2"),
            counts([2, 1, 1, 0, 0, 0, 0, 0, 1, 0])
        );
        let queues = by_date_queue(&cells);
        assert_eq!(
            queues[&("2026-11-03".to_string(), Some("billing".to_string()))],
            counts([2, 1, 0, 1, 0, 0, 0, 0, 0, 1])
        );
        // One full cell: the chat c1 on 2026-11-03, German, tech queue, agent ag3.
        let key = FcrKey {
            call_date: "2026-11-03".into(),
            queue: Some("tech".into()),
            agent_id: Some("ag3".into()),
            channel: Some("chat".into()),
            language: "de".into(),
        };
        assert_eq!(cells[&key], counts([1, 1, 0, 1, 0, 0, 0, 0, 0, 1]));
    }

    #[test]
    fn every_cell_has_first_contacts_equal_to_its_outcomes() {
        for (key, c) in worked_example_cells() {
            assert_eq!(
                c.first_contacts,
                c.resolved + c.unresolved + c.censored,
                "{key:?}"
            );
        }
    }

    #[test]
    fn nights_and_shards_add_up_to_one_run() {
        let calls = worked_example();
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        let one_run = worked_example_cells();

        // Two shards of the rows, tallied apart and merged with `+=`.
        let (left, right) = rows.split_at(6);
        let mut merged = tally(left, &calls, &Zone::utc()).expect("same calls");
        for (key, c) in tally(right, &calls, &Zone::utc()).expect("same calls") {
            *merged.entry(key).or_default() += c;
        }
        assert_eq!(merged, one_run);

        // Two nights re-linked over everything, tallied per date partition and summed.
        let (night1, night2): (Vec<_>, Vec<_>) = calls
            .iter()
            .cloned()
            .partition(|c| fixture::NIGHT_2.iter().all(|id| c.call_id != *id));
        let relinked: Vec<_> = night2.iter().chain(&night1).cloned().collect();
        let rows2 = link(&relinked, fixture::DATA_END_US, &LinkConfig::default());
        let cells2 = tally(&rows2, &relinked, &Zone::utc()).expect("same calls");
        assert_eq!(cells2, one_run);
        let per_date_sum: FcrCounts = by_date(&cells2).values().sum();
        assert_eq!(per_date_sum, one_run.values().sum());
        let a = counts([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(a + a, counts([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]));
    }

    #[test]
    fn a_row_without_its_call_is_an_error() {
        let calls = worked_example();
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        let err = tally(&rows, &calls[1..], &Zone::utc()).expect_err("a1 is missing");
        assert_eq!(
            err,
            MissingCall {
                call_id: "a1".into()
            }
        );
    }

    #[test]
    fn empty_cells_have_no_rates() {
        let rates = FcrCounts::default().rates();
        assert_eq!(
            (rates.fcr_operational, rates.fcr_phrase, rates.fcr_combined),
            (None, None, None)
        );
    }
}
