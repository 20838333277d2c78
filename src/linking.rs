//! The linking step of a run: after the calls are committed, read back the history linking
//! needs, link it, tally it, and rewrite the `contacts` and `fcr` partitions whose rows changed.
//!
//! [`crate::link`] and [`crate::aggregate::fcr`] are pure; this module decides what to read and
//! what to rewrite, and leaves reading and writing Parquet to [`crate::output`]. docs/FCR.md
//! ("Nightly runs") states the plan for readers of the data.
//!
//! The plan, with W the window and B the earliest day the run may have changed (the earliest
//! `call_date` the scan wrote, or the latest day the dataset held before, if earlier):
//!
//! - **Recompute** every dated partition from R = midnight of B − 2W on. New calls and a later
//!   data end change rows of calls that started from B − W on and the earlier legs of their
//!   episodes; an episode (contacts joined by transfers minutes apart) is assumed to span less
//!   than W, so every changed row starts at or after R.
//! - **Read** the calls from R on, and the calls of the same customers from R − 2W to R: a row
//!   that starts at or after R depends only on calls from its episode's first leg minus W on.
//! - **Chains older than what is read** keep their stored `chain_id` and `chain_position`: a
//!   recomputed call whose chain reaches back before R takes the chain of the last earlier
//!   contact it links through (its *anchor*, which started within W before R) from the stored
//!   contacts rows, and positions continue from the highest stored position of that chain.
//! - **Rewrite** only the recomputed partitions whose rows differ from the stored ones, or that
//!   the scan wrote (their calls may carry new flags), or whose fcr partition is missing.
//!
//! So the cost of a night grows with the night and with W, not with the history. A full relink
//! ([`LinkScope::All`], `fcrscan link DIR`) recomputes and rewrites everything; it is also used
//! when the dataset has no contacts yet, when the stored rows were linked with other options,
//! or when an anchor's stored row is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use crate::aggregate::cells::CellTable;
use crate::aggregate::fcr::{FcrCounts, UNKNOWN_DATE, call_date_of_day, day_of};
use crate::ingest::time::day_of_date;
use crate::link::{ContactInput, ContactRow, LinkConfig, link};
use crate::output::fcr_tables::{
    CONTACTS, FCR, FCR_TABLES, append_contacts, link_settings, link_writer_properties,
    write_contacts, write_fcr,
};
use crate::zone::Zone;
use hashbrown::{HashMap, HashSet};
use rayon::prelude::*;

use crate::output::history::{self, HistoryError, Partitions};
use crate::output::schema::CALLS;
use crate::output::shard_files::{self, Kind, ShardFiles};
use crate::output::{DatasetWriter, OutputError};

/// Which part of the dataset a linking run must bring up to date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkScope {
    /// Everything: recompute every partition (`fcrscan link DIR`).
    All,
    /// What a scan changed: the `call_date` partitions it wrote (dates or `unknown`).
    Scanned(BTreeSet<String>),
}

/// Why a linking run recomputed every partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullRelink {
    /// `fcrscan link DIR` asked for it.
    Requested,
    /// The dataset had calls but no contacts yet (its first run, or one written before
    /// linking existed).
    NoContactsYet,
    /// The stored rows were linked with other options, so none of them can be kept.
    OptionsChanged {
        /// The stored options ([`link_settings`]), when recorded.
        stored: Option<String>,
        /// This run's options.
        now: String,
    },
    /// A recomputed call links to an earlier call that has no stored contacts row (a run
    /// failed after committing its calls, or rows were deleted), so its chain is unknown.
    MissingAnchor {
        /// The earlier call.
        call_id: String,
    },
}

impl FullRelink {
    /// Whether people should be told: the options changed, or the dataset needed repair.
    pub fn is_notable(&self) -> bool {
        matches!(
            self,
            FullRelink::OptionsChanged { .. } | FullRelink::MissingAnchor { .. }
        )
    }
}

impl std::fmt::Display for FullRelink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FullRelink::Requested => f.write_str("requested"),
            FullRelink::NoContactsYet => f.write_str("the dataset had no contacts yet"),
            FullRelink::OptionsChanged { stored, now } => write!(
                f,
                "the linking options changed from {} to {now}",
                stored.as_deref().unwrap_or("unrecorded options")
            ),
            FullRelink::MissingAnchor { call_id } => write!(
                f,
                "call {call_id}, which a recomputed call links to, had no stored contacts row"
            ),
        }
    }
}

/// What a linking run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkReport {
    /// Why every partition was recomputed, when it was; `None` for an incremental run.
    pub full_relink: Option<FullRelink>,
    /// The end of the data (µs since the epoch, UTC): the latest start among the calls read.
    pub data_end_us: Option<i64>,
    /// The first dated partition recomputed.
    pub recomputed_from: Option<String>,
    /// The first dated partition read.
    pub history_from: Option<String>,
    /// Calls read and linked.
    pub calls_linked: u64,
    /// Partitions (dates or `unknown`) whose contacts and fcr rows were rewritten.
    pub partitions_rewritten: BTreeSet<String>,
    /// Rows written per table (`contacts`, `fcr`).
    pub rows_written: BTreeMap<String, u64>,
    /// Rows of the replaced partitions per table.
    pub rows_replaced: BTreeMap<String, u64>,
    /// The counts of the rewritten partitions, summed.
    pub rewritten: FcrCounts,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

/// Why linking could not finish. Nothing of the contacts and fcr tables is replaced when it
/// fails before the commit; the calls a scan committed stay.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The dataset could not be read back.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The contacts or fcr tables could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// The first instant of a `YYYY-MM-DD` date in `zone` (its midnight), in µs since the epoch;
/// `None` for anything else.
///
/// ```
/// use fcrscan::linking::date_start_us;
/// use fcrscan::zone::Zone;
///
/// assert_eq!(date_start_us("1970-01-02", &Zone::utc()), Some(86_400_000_000));
/// let tokyo = Zone::parse("Asia/Tokyo").unwrap();
/// assert_eq!(date_start_us("1970-01-02", &tokyo), Some(15 * 3_600_000_000));
/// assert_eq!(date_start_us("unknown", &Zone::utc()), None);
/// ```
pub fn date_start_us(date: &str, zone: &Zone) -> Option<i64> {
    Some(zone.day_start_us(day_of_date(date)?))
}

/// Which partitions a run reads and recomputes.
#[derive(Debug, Default)]
struct Plan {
    /// Why everything is recomputed, when it is.
    full: Option<FullRelink>,
    /// Dated calls partitions whose rows are recomputed (every call read).
    recent: Vec<String>,
    /// Dated calls partitions read for context: only calls of customers seen in `recent`.
    lookback: Vec<String>,
    /// Dated contacts partitions holding the anchors' stored rows.
    anchors: Vec<String>,
    /// Whether the `unknown` partition is recomputed.
    unknown: bool,
    /// Which dated partitions are recomputed.
    range: Range,
}

/// The dated partitions a plan recomputes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Range {
    /// Every one.
    #[default]
    All,
    /// Those from R (the first instant of a day in the dataset's zone, µs since the epoch) on.
    From(i64),
    /// None: the run changed no dated call.
    Nothing,
}

impl Range {
    /// Whether the dated partition `date` (of a dataset in `zone`) is recomputed.
    fn contains(self, date: &str, zone: &Zone) -> bool {
        match self {
            Range::All => true,
            Range::From(r_us) => date_start_us(date, zone).is_some_and(|d| d >= r_us),
            Range::Nothing => false,
        }
    }
}

impl Plan {
    fn full(reason: FullRelink, calls: &Partitions) -> Plan {
        Plan {
            full: Some(reason),
            recent: calls.dated.iter().cloned().collect(),
            unknown: calls.unknown,
            ..Plan::default()
        }
    }

    /// The incremental plan after a scan that wrote `scanned`.
    fn incremental(
        scanned: &BTreeSet<String>,
        calls: &Partitions,
        cfg: &LinkConfig,
        zone: &Zone,
    ) -> Plan {
        // Also when the calls' `unknown` partition is gone: its last calls were scanned again
        // with a start time, and their contacts rows there must go too.
        let unknown = scanned.contains(UNKNOWN_DATE);
        let touched: BTreeSet<&String> = scanned
            .iter()
            .filter(|d| calls.dated.contains(*d) && day_of_date(d).is_some())
            .collect();
        let Some(&earliest_touched) = touched.first() else {
            // No dated call changed, so no link and no data end moved.
            return Plan {
                unknown,
                range: Range::Nothing,
                ..Plan::default()
            };
        };
        // The latest day held before this run is at least the latest day the run did not
        // touch: the data end may have moved from there.
        let latest_untouched = calls.dated.iter().rev().find(|d| !touched.contains(d));
        let b_day = latest_untouched.map_or(earliest_touched, |d| d.min(earliest_touched));
        let w = cfg.window_s.saturating_mul(1_000_000);
        let b_us = date_start_us(b_day, zone).expect("only parseable dates are planned");
        let r_us = zone.day_start_us(zone.day_of(b_us.saturating_sub(w.saturating_mul(2))));
        let (r_day, l_day, anchor_day) = (
            zone.date_of(r_us),
            zone.date_of(r_us.saturating_sub(w.saturating_mul(2))),
            zone.date_of(r_us.saturating_sub(w)),
        );
        let dated = || {
            calls
                .dated
                .iter()
                .filter(|d| day_of_date(d).is_some())
                .cloned()
        };
        Plan {
            full: None,
            recent: dated().filter(|d| *d >= r_day).collect(),
            lookback: dated().filter(|d| *d >= l_day && *d < r_day).collect(),
            anchors: dated().filter(|d| *d >= anchor_day && *d < r_day).collect(),
            unknown,
            range: Range::From(r_us),
        }
    }
}

/// Recent calls linked at once, at most. The link step holds about 1 KB per call while it
/// links (owned ids and attributes, the contact rows), so a night with more recent calls than
/// this is linked in customer shards, one after another: memory then grows with this constant,
/// not with the night. (A second shard reads the recent partitions again; from three, the calls
/// are read once and wait in shard files, `crate::output::shard_files`.) Measured, before the
/// shard files, on 305,000 calls: one shard 295 MB and 1.65 s; shards of 100,000, 148 MB and
/// 1.77 s; of 25,000, 106 MB and 2.34 s (docs/FCR.md). 50,000 so that a scan's link step stays under
/// the scan's own peak: with 100,000, linking the 65,000 calls of the 1 GB benchmark corpus in
/// one shard was the run's peak, 20 MiB above the scan's. Smaller shards cost time and no
/// longer lower the peak: on 100,000 small files, 25,000 took 0.45 CPU s more than 50,000 for
/// the same peak RSS.
pub const SHARD_CALLS: u64 = 50_000;

/// Brings the `contacts` and `fcr` tables of the dataset at `root` up to date with its calls.
///
/// With [`LinkScope::Scanned`], only what the scan's partitions can have changed is recomputed
/// (see the module docs); with [`LinkScope::All`], everything. Files are staged under
/// `root/_staging/<run_id>/` and swapped in partition by partition.
pub fn link_dataset(
    root: &Path,
    cfg: &LinkConfig,
    zone: &Zone,
    scope: &LinkScope,
    run_id: &str,
) -> Result<LinkReport, LinkError> {
    link_dataset_in_shards(root, cfg, zone, scope, run_id, SHARD_CALLS)
}

/// [`link_dataset`], linking at most about `shard_calls` recent calls at once. The rows do not
/// depend on the shard size (tests check this with tiny shards); only memory and time do.
pub fn link_dataset_in_shards(
    root: &Path,
    cfg: &LinkConfig,
    zone: &Zone,
    scope: &LinkScope,
    run_id: &str,
    shard_calls: u64,
) -> Result<LinkReport, LinkError> {
    let started = Instant::now();
    let calls = history::partitions(root, &CALLS)?;
    let contacts = history::partitions(root, &CONTACTS)?;
    let plan = match scope {
        LinkScope::All => Plan::full(FullRelink::Requested, &calls),
        LinkScope::Scanned(scanned) => {
            let now = link_settings(cfg);
            let stored = history::stored_link_settings(root)?;
            if contacts.is_empty() && !calls.is_empty() {
                Plan::full(FullRelink::NoContactsYet, &calls)
            } else if !contacts.is_empty() && stored.as_ref() != Some(&now) {
                Plan::full(FullRelink::OptionsChanged { stored, now }, &calls)
            } else {
                Plan::incremental(scanned, &calls, cfg, zone)
            }
        }
    };
    let relink = |plan: &Plan| {
        Relink {
            root,
            cfg,
            zone,
            plan,
            scope,
            calls_parts: &calls,
            run_id,
        }
        .run(shard_calls)
    };
    let mut report = match relink(&plan)? {
        Relinked::Done(report) => *report,
        Relinked::NeedsFull(reason) => match relink(&Plan::full(reason, &calls))? {
            Relinked::Done(report) => *report,
            Relinked::NeedsFull(_) => unreachable!("a full plan has no anchors"),
        },
    };
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// The outcome of carrying out a plan.
enum Relinked {
    /// The partitions were rewritten; what was done.
    Done(Box<LinkReport>),
    /// The plan cannot be carried out incrementally, for this reason; nothing was replaced.
    NeedsFull(FullRelink),
}

/// The customer id linking uses (`None` when missing or blank).
fn customer_key(call: &ContactInput) -> Option<&str> {
    call.customer_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
}

/// Which of `shards` shards a call (or its contacts row) belongs to: by its customer, so that a
/// customer's whole history is linked together, or by its own id when it has no customer.
/// FNV-1a, so the split is the same on every run and machine.
fn shard_of(call_id: &str, customer: Option<&str>, shards: u64) -> u64 {
    let key = customer.unwrap_or(call_id);
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % shards
}

/// One plan being carried out.
struct Relink<'a> {
    root: &'a Path,
    cfg: &'a LinkConfig,
    /// The zone the dataset counts its call dates in.
    zone: &'a Zone,
    plan: &'a Plan,
    scope: &'a LinkScope,
    calls_parts: &'a Partitions,
    run_id: &'a str,
}

/// What one shard produced (its FCR cells went into the night's [`CellTable`]).
struct ShardRows {
    /// New contacts rows per partition, each sorted by `call_id`.
    by_date: BTreeMap<String, Vec<ContactRow>>,
    calls: u64,
}

/// What the shards placed so far said about the candidate partitions.
#[derive(Default)]
struct Placed {
    /// New contacts rows per partition.
    new_rows: BTreeMap<String, u64>,
    /// Partitions whose new rows differ from the stored ones.
    changed: BTreeSet<String>,
    /// With one shard, rows wait in memory (they are there anyway) and are written at the end,
    /// a partition per file in parallel, if their partition is rewritten; with several, they
    /// are staged at once and dropped at the swap if unchanged, so that memory stays bounded
    /// by the shard.
    pending: BTreeMap<String, Vec<ContactRow>>,
}

/// Shards from which the calls are read once and routed to shard files
/// ([`crate::output::shard_files`]) rather than read again by each shard. With two, the second
/// read runs beside the first shard's rows being placed, and routing was no faster: 100,000
/// calls in 2 shards, link step 546–749 against 438–622 ms (5 interleaved rounds, a noisy
/// hour). A night of 1,516 calls into a month of history, 3 rounds each: 2 shards 190–213
/// against 203–233 ms, 3 shards 188–223 against 257–299, 8 shards 237–257 against 406–542.
const ROUTED_FROM_SHARDS: u64 = 3;

/// Where a shard's calls come from.
#[derive(Clone, Copy)]
enum ShardCalls<'a> {
    /// The partitions themselves (one or two shards).
    Read {
        recent: &'a [&'a str],
        lookback: &'a [&'a str],
    },
    /// The files the calls were routed to, and the shard's number (three shards or more).
    Routed(&'a ShardFiles, usize),
}

/// Whether a call (or its contacts row) is in shard `shard` of `shards`.
fn in_shard(shard: u64, shards: u64) -> impl Fn(&str, Option<&str>) -> bool + Sync {
    move |call_id, customer| shard_of(call_id, customer, shards) == shard
}

impl Relink<'_> {
    fn run(&self, shard_calls: u64) -> Result<Relinked, LinkError> {
        let (root, plan) = (self.root, self.plan);
        let mut recent: Vec<&str> = plan.recent.iter().map(String::as_str).collect();
        if plan.unknown {
            recent.push(UNKNOWN_DATE);
        }
        // Per date: routing reads about a shard's worth of dates at once.
        let recent_calls: Vec<history::CallsSummary> = recent
            .iter()
            .map(|date| history::calls_summary(root, &[date]))
            .collect::<Result<_, _>>()?;
        let recent_rows: Vec<u64> = recent_calls.iter().map(|c| c.rows).collect();
        let shards = recent_rows
            .iter()
            .sum::<u64>()
            .div_ceil(shard_calls.max(1))
            .max(1);
        // The data end is a property of all calls, not of one shard's: the latest start among
        // the recent calls (the calls read for context all started earlier).
        let data_end_us = recent_calls.iter().map(|c| c.latest_start).max().flatten();

        let fcr_parts = history::partitions(root, &FCR)?;
        let candidates = self.candidates(&history::partitions(root, &CONTACTS)?, &fcr_parts);
        let mut out = DatasetWriter::create(
            root,
            self.run_id,
            link_writer_properties(self.run_id, self.cfg, self.zone),
        )?;
        // Three shards or more: every call is read once and waits in its shard's file.
        let lookback: Vec<&str> = plan.lookback.iter().map(String::as_str).collect();
        let routed = if shards >= ROUTED_FROM_SHARDS {
            let dir = out.staging_dir().join("_shards");
            Some(self.route(
                (&recent, &recent_rows),
                &lookback,
                shards,
                shard_calls,
                &dir,
            )?)
        } else {
            None
        };
        let mut cells = CellTable::new();
        let mut placed = Placed::default();
        let mut calls_linked = 0;
        // A shard's rows are put in their partitions while the next shard is read and linked:
        // with two shards of 50,000 calls, 35 ms of appending rows on one thread no longer
        // stands between them (`fcrscan link` on 100,000 calls 0.57 -> 0.53 s). Only the rows
        // wait that much longer, not the calls: the peak rose 5.6 MiB, about 110 bytes a call.
        let mut linked: Option<(u64, ShardRows)> = None;
        for shard in 0..=shards {
            let (next, placing) = rayon::join(
                || {
                    (shard < shards).then(|| {
                        let source = match &routed {
                            Some(files) => ShardCalls::Routed(files, shard as usize),
                            None => ShardCalls::Read {
                                recent: &recent,
                                lookback: &lookback,
                            },
                        };
                        let in_shard = in_shard(shard, shards);
                        self.link_shard(source, &in_shard, data_end_us, &mut cells)
                    })
                },
                || {
                    linked.take().map(|(done, rows)| {
                        self.place(rows, (done, shards), &candidates, &mut placed, &mut out)
                    })
                },
            );
            placing.transpose()?;
            match next.transpose()? {
                None => {}
                Some(Ok(rows)) => {
                    calls_linked += rows.calls;
                    linked = Some((shard, rows));
                }
                Some(Err(reason)) => {
                    out.finish()?
                        .replace_partitions(&FCR_TABLES, &BTreeSet::new())?;
                    return Ok(Relinked::NeedsFull(reason));
                }
            }
        }

        let Placed {
            new_rows,
            changed,
            pending,
        } = placed;
        let partitions: BTreeSet<String> = candidates
            .into_iter()
            .filter(|date| {
                // fcr rows exist exactly where contacts rows do.
                let fcr_out_of_step = (new_rows[date] == 0) == fcr_parts.contains(date);
                self.forced(date) || fcr_out_of_step || changed.contains(date)
            })
            .collect();
        let pending: Vec<(String, Vec<ContactRow>)> = pending
            .into_iter()
            .filter(|(date, _)| partitions.contains(date))
            .collect();
        write_contacts(&mut out, &pending)?;
        cells.retain_dates(|date| partitions.contains(date));
        let rewritten = cells.total();
        let fcr_rows = write_fcr(&mut out, cells)?;
        let contacts_rows = partitions.iter().map(|d| new_rows[d]).sum();
        let replaced = out.finish()?.replace_partitions(&FCR_TABLES, &partitions)?;
        Ok(Relinked::Done(Box::new(LinkReport {
            full_relink: plan.full.clone(),
            data_end_us,
            recomputed_from: plan.recent.first().cloned(),
            history_from: plan.lookback.first().or(plan.recent.first()).cloned(),
            calls_linked,
            rewritten,
            rows_written: [
                (CONTACTS.name.to_string(), contacts_rows),
                (FCR.name.to_string(), fcr_rows),
            ]
            .into(),
            rows_replaced: replaced
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            partitions_rewritten: partitions,
            elapsed_ms: 0,
        })))
    }

    /// Whether `date`'s partitions are rewritten whatever their rows: everything in a full
    /// relink, and what the scan wrote (its calls may carry new flags).
    fn forced(&self, date: &str) -> bool {
        self.plan.full.is_some() || matches!(self.scope, LinkScope::Scanned(s) if s.contains(date))
    }

    /// Puts the rows of shard `shard.0` of `shard.1` in their candidate partitions: counted,
    /// compared with the stored rows where the partition is not rewritten anyway, and appended
    /// to `out` (several shards) or kept for the end (one).
    fn place(
        &self,
        rows: ShardRows,
        (shard, shards): (u64, u64),
        candidates: &BTreeSet<String>,
        placed: &mut Placed,
        out: &mut DatasetWriter,
    ) -> Result<(), LinkError> {
        let in_shard = in_shard(shard, shards);
        let mut by_date = rows.by_date;
        for date in candidates {
            let shard_rows = by_date.remove(date).unwrap_or_default();
            *placed.new_rows.entry(date.clone()).or_default() += shard_rows.len() as u64;
            if !self.forced(date) && !placed.changed.contains(date) {
                let mut stored: Vec<ContactRow> = history::read_contacts(self.root, date)?
                    .into_iter()
                    .filter(|r| in_shard(&r.call_id, r.customer_id.as_deref()))
                    .collect();
                stored.sort_by(|a, b| a.call_id.cmp(&b.call_id));
                if stored != shard_rows {
                    placed.changed.insert(date.clone());
                }
            }
            if shards > 1 {
                append_contacts(out, date, &shard_rows)?;
            } else {
                placed.pending.insert(date.clone(), shard_rows);
            }
        }
        debug_assert!(by_date.is_empty(), "every recomputed row is in a candidate");
        Ok(())
    }

    /// Every partition the plan may rewrite: the recomputed ones, including stale contacts and
    /// fcr partitions whose calls are all gone.
    fn candidates(&self, contacts_parts: &Partitions, fcr_parts: &Partitions) -> BTreeSet<String> {
        let plan = self.plan;
        let mut candidates: BTreeSet<String> = plan.recent.iter().cloned().collect();
        for parts in [contacts_parts, fcr_parts] {
            let stale = parts.dated.iter().filter(|d| {
                plan.range.contains(d, self.zone) && !self.calls_parts.dated.contains(*d)
            });
            candidates.extend(stale.cloned());
        }
        let unknown_held = contacts_parts.unknown || fcr_parts.unknown;
        if plan.unknown || (plan.full.is_some() && unknown_held) {
            candidates.insert(UNKNOWN_DATE.to_string());
        }
        candidates
    }

    /// Reads every call of `recent` (whose dates hold `recent_rows` calls), and every call with
    /// a customer of `lookback`, once, into the file of its shard (see
    /// [`crate::output::shard_files`]). Dates are read in parallel, as many at once as hold
    /// about `shard_calls` calls, and their calls are appended in date order, so that each
    /// shard's calls come back in the order one pass would read them.
    fn route(
        &self,
        (recent, recent_rows): (&[&str], &[u64]),
        lookback: &[&str],
        shards: u64,
        shard_calls: u64,
        dir: &Path,
    ) -> Result<ShardFiles, LinkError> {
        let root = self.root;
        let shard_count = usize::try_from(shards).expect("shards fit in memory");
        let mut files = ShardFiles::create(dir, shard_count)?;
        let keep_all: &(dyn Fn(&str, Option<&str>) -> bool + Sync) = &|_, _| true;
        let with_customer: &(dyn Fn(&str, Option<&str>) -> bool + Sync) =
            &|_, customer| customer.is_some();
        let lookback_rows: Vec<u64> = lookback
            .iter()
            .map(|date| Ok(history::calls_summary(root, &[date])?.rows))
            .collect::<Result<_, HistoryError>>()?;
        for (kind, dates, rows, keep) in [
            (Kind::Recent, recent, recent_rows, keep_all),
            (Kind::Context, lookback, &lookback_rows[..], with_customer),
        ] {
            let mut from = 0;
            while from < dates.len() {
                let mut to = from + 1;
                let mut held = rows[from];
                while to < dates.len() && held + rows[to] <= shard_calls {
                    held += rows[to];
                    to += 1;
                }
                // Each date's calls are encoded into their shards' bytes on the pool as they are
                // read (a call at a time is held, not a date's), and the bytes appended here in
                // date order.
                let encoded: Vec<Vec<(Vec<u8>, usize)>> = dates[from..to]
                    .par_iter()
                    .map(|date| {
                        let mut by_shard = vec![(Vec::new(), 0); shard_count];
                        history::for_each_call(root, date, self.cfg.same_issue, keep, |call| {
                            let shard = shard_of(&call.call_id, customer_key(&call), shards);
                            let (bytes, calls) =
                                &mut by_shard[usize::try_from(shard).expect("below shards")];
                            shard_files::encode(&call, bytes);
                            *calls += 1;
                        })?;
                        Ok(by_shard)
                    })
                    .collect::<Result<_, HistoryError>>()?;
                for by_shard in encoded {
                    for (shard, (bytes, calls)) in by_shard.iter().enumerate() {
                        files.push_encoded(shard, kind, bytes, *calls)?;
                    }
                }
                from = to;
            }
        }
        files.flush()?;
        Ok(files)
    }

    /// The calls of `dates` that `keep` selects. Partitions are read in parallel and
    /// concatenated in date order, so the calls do not depend on the thread count. (Measured:
    /// reading 65,000 calls back was most of the link step.)
    fn read_dates(
        &self,
        dates: &[&str],
        keep: &(dyn Fn(&str, Option<&str>) -> bool + Sync),
    ) -> Result<Vec<ContactInput>, HistoryError> {
        let with_topics = self.cfg.same_issue;
        let parts: Vec<Vec<ContactInput>> = dates
            .par_iter()
            .map(|date| {
                let mut part = Vec::new();
                history::read_calls(self.root, date, with_topics, keep, &mut part)?;
                Ok(part)
            })
            .collect::<Result<_, HistoryError>>()?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Reads and links the calls of one shard (`in_shard` selects them), and counts them into
    /// `cells`. `Err`: an anchor is missing (nothing was counted).
    fn link_shard(
        &self,
        source: ShardCalls<'_>,
        in_shard: &(dyn Fn(&str, Option<&str>) -> bool + Sync),
        data_end_us: Option<i64>,
        cells: &mut CellTable,
    ) -> Result<Result<ShardRows, FullRelink>, LinkError> {
        let (root, plan) = (self.root, self.plan);
        let mut calls = match source {
            ShardCalls::Read { recent, .. } => self.read_dates(recent, in_shard)?,
            ShardCalls::Routed(files, shard) => files.take(shard, Kind::Recent, |_| true)?,
        };
        // Earlier calls matter only as context for the customers of these.
        let customers: HashSet<String> = calls
            .iter()
            .filter_map(|c| customer_key(c).map(str::to_string))
            .collect();
        let of_these = |customer: Option<&str>| customer.is_some_and(|k| customers.contains(k));
        match source {
            ShardCalls::Read { lookback, .. } => {
                calls.extend(self.read_dates(lookback, &|_, customer| of_these(customer))?);
            }
            ShardCalls::Routed(files, shard) => {
                calls.extend(files.take(shard, Kind::Context, |c| of_these(customer_key(c)))?);
            }
        }

        let mut rows = link(&calls, data_end_us.unwrap_or(i64::MIN), self.cfg);
        let by_id: HashMap<&str, &ContactInput> =
            calls.iter().map(|c| (c.call_id.as_str(), c)).collect();
        let start_of = |id: &str| by_id.get(id).and_then(|c| c.started_at_us);
        let recompute_from_us = match plan.range {
            Range::All => None,
            Range::From(r_us) => Some(r_us),
            Range::Nothing => Some(i64::MAX),
        };
        if let Some(r_us) = recompute_from_us {
            // Rows of calls read only for context are not this run's to rewrite.
            rows.retain(|row| start_of(&row.call_id).is_none_or(|s| s >= r_us));
            if let Err(reason) = continue_old_chains(root, plan, &mut rows, &start_of, in_shard)? {
                return Ok(Err(reason));
            }
        }
        // Counting the rows into cells and finding each row's day both only read the rows:
        // side by side, they take the time of the longer (50,000 calls: 30 and 17 ms).
        let (counted, days) = rayon::join(
            || cells.add_contacts(&rows, self.zone, |id| by_id.get(id).copied()),
            || {
                rows.iter()
                    .map(|row| day_of(by_id[row.call_id.as_str()].started_at_us, self.zone))
                    .collect::<Vec<_>>()
            },
        );
        counted.expect("every row comes from these calls");
        // Grouped by day number, and named once per day rather than once per row.
        let mut by_day: HashMap<Option<i64>, Vec<ContactRow>> = HashMap::new();
        for (row, day) in rows.into_iter().zip(days) {
            by_day.entry(day).or_default().push(row);
        }
        let by_date: BTreeMap<String, Vec<ContactRow>> = by_day
            .into_iter()
            .map(|(day, rows)| (call_date_of_day(day), rows))
            .collect();
        Ok(Ok(ShardRows {
            by_date,
            calls: calls.len() as u64,
        }))
    }
}

/// Gives the recomputed rows (`rows`: calls that started at or after R, or have no start) whose
/// chain reaches back before R the stored `chain_id` of their anchor, and positions
/// that continue the stored chain. `Ok(Err(_))` when an anchor has no stored row.
fn continue_old_chains(
    root: &Path,
    plan: &Plan,
    rows: &mut [ContactRow],
    start_of: &dyn Fn(&str) -> Option<i64>,
    in_shard: &dyn Fn(&str, Option<&str>) -> bool,
) -> Result<Result<(), FullRelink>, LinkError> {
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.call_id.clone(), i))
        .collect();
    // std's set: hashbrown's may not be borrowed past the rows' assignment below.
    let anchors: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.prev_call_id.as_deref())
        .filter(|p| !index.contains_key(*p))
        .collect();
    if anchors.is_empty() {
        return Ok(Ok(()));
    }
    // Stored chain of each anchor, and the highest stored position of each chain before R.
    let mut anchor_chain: HashMap<String, String> = HashMap::new();
    let mut chain_len: HashMap<String, u32> = HashMap::new();
    for date in &plan.anchors {
        for row in history::read_contacts(root, date)?
            .into_iter()
            .filter(|r| in_shard(&r.call_id, r.customer_id.as_deref()))
        {
            let len = chain_len.entry(row.chain_id.clone()).or_default();
            *len = (*len).max(row.chain_position);
            if anchors.contains(row.call_id.as_str()) {
                anchor_chain.insert(row.call_id, row.chain_id);
            }
        }
    }
    if let Some(missing) = anchors.iter().find(|a| !anchor_chain.contains_key(**a)) {
        return Ok(Err(FullRelink::MissingAnchor {
            call_id: missing.to_string(),
        }));
    }

    // In time order, each row's true chain is its own (a chain start), its prev's (a
    // recomputed call), or its anchor's stored chain.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Each row's start looked up once, not at every comparison (the lookups, by call id, were
    // a tenth of a 1,500-call night's run).
    order.sort_by_cached_key(|&i| (start_of(&rows[i].call_id), i));
    let mut chain: Vec<Option<(String, u32)>> = vec![None; rows.len()];
    for &i in &order {
        chain[i] = Some(match rows[i].prev_call_id.as_deref() {
            None => (rows[i].call_id.clone(), 0),
            Some(prev) => match index.get(prev) {
                Some(&p) => chain[p]
                    .clone()
                    .expect("a prev starts earlier, so it was visited first"),
                None => {
                    let id = anchor_chain[prev].clone();
                    let base = chain_len.get(&id).copied().unwrap_or(0);
                    (id, base)
                }
            },
        });
    }
    // Positions follow time order within each true chain, after the stored ones.
    let mut next_position: HashMap<String, u32> = HashMap::new();
    for &i in &order {
        let (id, base) = chain[i].take().expect("every row was visited");
        let position = next_position.entry(id.clone()).or_insert(base + 1);
        rows[i].chain_id = id;
        rows[i].chain_position = *position;
        *position += 1;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Partitions 2026-09-01 to 2026-10-10 plus `extra`.
    fn held(extra: &[&str]) -> Partitions {
        let mut dated: BTreeSet<String> = (1..=30)
            .map(|d| format!("2026-09-{d:02}"))
            .chain((1..=10).map(|d| format!("2026-10-{d:02}")))
            .collect();
        dated.extend(extra.iter().map(|d| d.to_string()));
        Partitions {
            dated,
            unknown: true,
        }
    }

    fn scanned(dates: &[&str]) -> BTreeSet<String> {
        dates.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_night_after_the_history_recomputes_two_windows_and_reads_four() {
        let plan = Plan::incremental(
            &scanned(&["2026-10-11"]),
            &held(&["2026-10-11"]),
            &LinkConfig::default(),
            &Zone::utc(),
        );
        // B = 10-10 (the last day held before; earlier than 10-11), R = B − 14 d = 09-26,
        // reads from R − 14 d = 09-12, anchors from R − 7 d = 09-19.
        assert_eq!(
            plan.range,
            Range::From(date_start_us("2026-09-26", &Zone::utc()).expect("a date"))
        );
        assert_eq!(
            (plan.recent.first(), plan.recent.last(), plan.recent.len()),
            (Some(&"2026-09-26".into()), Some(&"2026-10-11".into()), 16)
        );
        assert_eq!(
            (plan.lookback.first(), plan.lookback.last()),
            (Some(&"2026-09-12".into()), Some(&"2026-09-25".into()))
        );
        assert_eq!(plan.anchors.first(), Some(&"2026-09-19".into()));
        assert!(!plan.unknown, "the night wrote no call without a start");
    }

    #[test]
    fn a_plan_counts_days_in_the_datasets_zone() {
        // The same night in a dataset dated in Seoul: the same partitions, but R is Seoul's
        // midnight, 15:00 UTC the day before. Rows of calls from R on are rewritten, so a call at
        // 08:00 on 09-26 in Seoul (23:00 UTC on 09-25) must be on this side of R.
        let seoul = Zone::parse("Asia/Seoul").expect("a zone");
        let plan = Plan::incremental(
            &scanned(&["2026-10-11"]),
            &held(&["2026-10-11"]),
            &LinkConfig::default(),
            &seoul,
        );
        let r_us = crate::ingest::time::parse_rfc3339_us("2026-09-25T15:00:00Z").expect("a time");
        assert_eq!(plan.range, Range::From(r_us));
        assert_eq!(plan.recent.first(), Some(&"2026-09-26".into()));
        assert_eq!(plan.lookback.first(), Some(&"2026-09-12".into()));
        assert!(plan.range.contains("2026-09-26", &seoul));
        assert!(!plan.range.contains("2026-09-25", &seoul));
    }

    #[test]
    fn a_late_night_recomputes_from_before_its_own_dates() {
        let plan = Plan::incremental(
            &scanned(&["2026-09-05", "unknown"]),
            &held(&[]),
            &LinkConfig::try_new(3 * 86_400, 900, false, false).expect("valid"),
            &Zone::utc(),
        );
        // B = 09-05, R = 08-30: every held partition is recomputed; nothing is before R.
        assert_eq!(plan.recent.len(), 40);
        assert!(plan.lookback.is_empty() && plan.anchors.is_empty());
        assert!(plan.unknown);
    }

    #[test]
    fn a_night_without_dated_calls_recomputes_no_dated_partition() {
        let plan = Plan::incremental(
            &scanned(&["unknown"]),
            &held(&[]),
            &LinkConfig::default(),
            &Zone::utc(),
        );
        assert_eq!(plan.range, Range::Nothing);
        assert!(plan.recent.is_empty() && plan.unknown);
    }
}
