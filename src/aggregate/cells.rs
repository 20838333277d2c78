//! FCR cells of a whole night, held compactly while the link step goes from shard to shard.
//!
//! A cell is keyed by [`FcrKey`], five strings. Summed over the night as a `BTreeMap<FcrKey,
//! FcrCounts>` they were the largest thing the link step held on large nights with many agents
//! (a cell is nearly one per call then): 30 MiB of heap for 130,000 calls, and many small
//! strings that the allocator cannot return. Here the strings are interned (dates, queues,
//! agents, channels and languages are few next to the cells) and a cell is 20 bytes of ids and
//! 40 of counts (32-bit counts). Owned keys and counts are made again one date at a time, when
//! the date is written.
//!
//! Each shard's contacts rows are counted straight into the table ([`CellTable::add_contacts`]):
//! a call's five fields are looked up as borrowed strings, so a row costs a few hash lookups and
//! no allocation. (Before, each shard sorted its rows by their five strings and built a B-tree
//! of owned keys, which the table then interned again: a sixth of the link step.)

use std::collections::BTreeMap;

use hashbrown::HashMap;

use super::fcr::{COUNT_FIELDS, FcrCounts, FcrKey, MissingCall, call_date_of_day, day_of};
use crate::link::{ContactInput, ContactRow};
use crate::zone::Zone;

/// Interned strings; id 0 stands for `None`.
#[derive(Debug)]
struct Names {
    strings: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Default for Names {
    fn default() -> Names {
        Names {
            strings: vec!["".into()],
            ids: HashMap::new(),
        }
    }
}

impl Names {
    fn id(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else {
            return 0;
        };
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 2^32 distinct names");
        self.strings.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> Option<&str> {
        (id != 0).then(|| &*self.strings[id as usize])
    }
}

/// A cell's key as ids: date, queue, agent, channel, language.
type CellIds = [u32; 5];

/// A cell's [`FcrCounts`] as the table holds them: 32-bit counts, 40 bytes instead of 80. With
/// agents known a night has nearly a cell per call (120,151 cells for the 130,000 calls of the
/// 2 GB benchmark corpus), and as 64-bit counts the table's 262,144 buckets took 26 MiB, with
/// the 13 MiB of the table it replaced beside them while it grew: the peak of that run, in its
/// link step. A cell counts calls of one date, far fewer than 2^32.
#[derive(Clone, Copy, Debug, Default)]
struct CellCounts([u32; COUNT_FIELDS]);

impl CellCounts {
    fn add(&mut self, counts: FcrCounts) {
        for (sum, count) in self.0.iter_mut().zip(counts.to_array()) {
            *sum =
                u32::try_from(u64::from(*sum) + count).expect("fewer than 2^32 calls in one cell");
        }
    }

    fn counts(self) -> FcrCounts {
        FcrCounts::from_array(self.0.map(u64::from))
    }
}

/// FCR cells summed across shards.
#[derive(Debug, Default)]
pub struct CellTable {
    names: Names,
    cells: HashMap<CellIds, CellCounts>,
}

impl CellTable {
    /// An empty table.
    pub fn new() -> CellTable {
        CellTable::default()
    }

    /// Adds `counts` to the cell `key`.
    pub fn add(&mut self, key: &FcrKey, counts: FcrCounts) {
        let ids = [
            self.names.id(Some(&key.call_date)),
            self.names.id(key.queue.as_deref()),
            self.names.id(key.agent_id.as_deref()),
            self.names.id(key.channel.as_deref()),
            self.names.id(Some(&key.language)),
        ];
        self.cells.entry(ids).or_default().add(counts);
    }

    /// Counts each contacts row in its call's cell ([`FcrKey::of`] the call, with
    /// [`FcrCounts::of_contact`]). `call_of` finds a row's call by `call_id`; a row whose call
    /// it does not find is an error, and the rows before it stay counted.
    pub fn add_contacts<'c>(
        &mut self,
        rows: &[ContactRow],
        zone: &Zone,
        call_of: impl Fn(&str) -> Option<&'c ContactInput>,
    ) -> Result<(), MissingCall> {
        // Each day is named and interned once, not once per row.
        let mut dates: HashMap<Option<i64>, u32> = HashMap::new();
        for row in rows {
            let call = call_of(&row.call_id).ok_or_else(|| MissingCall {
                call_id: row.call_id.clone(),
            })?;
            let day = day_of(call.started_at_us, zone);
            let date = match dates.get(&day) {
                Some(&id) => id,
                None => {
                    let id = self.names.id(Some(&call_date_of_day(day)));
                    dates.insert(day, id);
                    id
                }
            };
            let ids = [
                date,
                self.names.id(call.queue.as_deref()),
                self.names.id(call.agent_id.as_deref()),
                self.names.id(call.channel.as_deref()),
                self.names.id(Some(&call.language)),
            ];
            self.cells
                .entry(ids)
                .or_default()
                .add(FcrCounts::of_contact(row, call));
        }
        Ok(())
    }

    /// Every cell with its owned key.
    pub fn into_map(self) -> BTreeMap<FcrKey, FcrCounts> {
        let days = self.into_days();
        days.days()
            .iter()
            .flat_map(|(_, day)| days.cells(day))
            .collect()
    }

    /// Keeps the cells of the dates `keep` accepts.
    pub fn retain_dates(&mut self, keep: impl Fn(&str) -> bool) {
        let names = &self.names;
        self.cells
            .retain(|ids, _| keep(names.name(ids[0]).expect("a date is never None")));
    }

    /// The sum of every cell.
    pub fn total(&self) -> FcrCounts {
        self.cells.values().map(|c| c.counts()).sum()
    }

    /// How many cells the table holds.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the table holds no cell.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cells grouped by date, dates in order.
    pub fn into_days(self) -> CellDays {
        let mut by_date: HashMap<u32, Vec<(CellIds, CellCounts)>> = HashMap::new();
        for (ids, counts) in self.cells {
            by_date.entry(ids[0]).or_default().push((ids, counts));
        }
        let mut days: Vec<(String, DayCells)> = by_date
            .into_iter()
            .map(|(date, cells)| {
                let date = self.names.name(date).expect("a date is never None");
                (date.to_string(), DayCells(cells))
            })
            .collect();
        days.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        CellDays {
            names: self.names,
            days,
        }
    }
}

/// One date's cells, as ids (see [`CellDays::cells`]).
#[derive(Debug)]
pub struct DayCells(Vec<(CellIds, CellCounts)>);

/// The cells of a [`CellTable`] by date.
#[derive(Debug)]
pub struct CellDays {
    names: Names,
    days: Vec<(String, DayCells)>,
}

impl CellDays {
    /// Each date with its cells, dates in order.
    pub fn days(&self) -> &[(String, DayCells)] {
        &self.days
    }

    /// One date's cells with owned keys, in key order.
    pub fn cells(&self, day: &DayCells) -> Vec<(FcrKey, FcrCounts)> {
        let names = &self.names;
        let name = |id| names.name(id).map(str::to_string);
        let mut cells: Vec<(FcrKey, FcrCounts)> = day
            .0
            .iter()
            .map(|(ids, counts)| {
                let key = FcrKey {
                    call_date: name(ids[0]).expect("a date is never None"),
                    queue: name(ids[1]),
                    agent_id: name(ids[2]),
                    channel: name(ids[3]),
                    language: name(ids[4]).unwrap_or_default(),
                };
                (key, counts.counts())
            })
            .collect();
        cells.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn key(date: &str, queue: Option<&str>, agent: Option<&str>, language: &str) -> FcrKey {
        FcrKey {
            call_date: date.to_string(),
            queue: queue.map(str::to_string),
            agent_id: agent.map(str::to_string),
            channel: None,
            language: language.to_string(),
        }
    }

    fn counts(contacts: u64) -> FcrCounts {
        FcrCounts {
            contacts,
            ..FcrCounts::default()
        }
    }

    /// Summing shards into the table and reading it back by date gives what a B-tree of owned
    /// keys gives, including a language that reads like a queue and an empty string.
    #[test]
    fn sums_like_a_map_of_owned_keys() {
        let shards = [
            vec![
                (key("2026-11-02", Some("billing"), Some("a1"), "en"), 1),
                (key("2026-11-01", None, None, "billing"), 2),
                (key("2026-11-02", Some(""), Some("a1"), "en"), 3),
            ],
            vec![
                (key("2026-11-02", Some("billing"), Some("a1"), "en"), 10),
                (key("2026-11-02", Some("billing"), None, "en"), 20),
                (key("unknown", None, Some("a2"), "und"), 30),
            ],
        ];
        let mut table = CellTable::new();
        let mut reference: BTreeMap<FcrKey, FcrCounts> = BTreeMap::new();
        for shard in &shards {
            for (k, n) in shard {
                table.add(k, counts(*n));
                *reference.entry(k.clone()).or_default() += counts(*n);
            }
        }
        assert_eq!(table.len(), reference.len());
        assert_eq!(table.total(), reference.values().copied().sum());
        table.retain_dates(|d| d != "2026-11-01");
        reference.retain(|k, _| k.call_date != "2026-11-01");
        let days = table.into_days();
        let dates: Vec<&str> = days.days().iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(dates, ["2026-11-02", "unknown"]);
        let back: Vec<(FcrKey, FcrCounts)> = days
            .days()
            .iter()
            .flat_map(|(_, day)| days.cells(day))
            .collect();
        let expected: Vec<(FcrKey, FcrCounts)> = reference.into_iter().collect();
        assert_eq!(back, expected);
    }

    /// A cell's counts are held in 32 bits: past that, the run stops rather than count wrong.
    #[test]
    #[should_panic(expected = "fewer than 2^32 calls in one cell")]
    fn a_cell_past_32_bit_counts_stops_the_run() {
        let mut table = CellTable::new();
        let cell = key("2026-11-02", None, None, "en");
        table.add(&cell, counts(u64::from(u32::MAX)));
        assert_eq!(table.total(), counts(u64::from(u32::MAX)));
        table.add(&cell, counts(1));
    }

    /// Linked rows counted straight into the table, in two shards, give each call's cell
    /// ([`FcrKey::of`]) the sum of its rows' counts ([`FcrCounts::of_contact`]): the worked
    /// example, with some calls moved to other queues, agents and channels, an empty queue,
    /// and a call without a start (the `unknown` date).
    #[test]
    fn counts_contacts_rows_into_their_calls_cells() {
        use crate::link::fixture::{self, worked_example};
        use crate::link::{LinkConfig, link};

        let mut calls = worked_example();
        for (i, call) in calls.iter_mut().enumerate() {
            match i % 4 {
                0 => call.queue = Some(String::new()),
                1 => call.agent_id = Some(format!("agent-{}", i % 3)),
                2 => call.channel = Some("chat".to_string()),
                _ => {}
            }
        }
        calls[1].started_at_us = None;
        let rows = link(&calls, fixture::DATA_END_US, &LinkConfig::default());
        let call_of = |id: &str| calls.iter().rev().find(|c| c.call_id == id);
        let mut reference: BTreeMap<FcrKey, FcrCounts> = BTreeMap::new();
        for row in &rows {
            let call = call_of(&row.call_id).expect("rows come from these calls");
            *reference.entry(FcrKey::of(call, &Zone::utc())).or_default() +=
                FcrCounts::of_contact(row, call);
        }
        assert!(reference.len() > 4 && reference.keys().any(|k| k.call_date == "unknown"));

        let mut table = CellTable::new();
        let (first, second) = rows.split_at(rows.len() / 2);
        for shard in [first, second] {
            table
                .add_contacts(shard, &Zone::utc(), call_of)
                .expect("rows come from these calls");
        }
        assert_eq!(table.into_map(), reference);

        // A row whose call is not found is an error that names it.
        let others = &calls[1..];
        let err = CellTable::new()
            .add_contacts(&rows, &Zone::utc(), |id| {
                others.iter().rev().find(|c| c.call_id == id)
            })
            .expect_err("a call is missing");
        assert!(!others.iter().any(|c| c.call_id == err.call_id));
        assert!(rows.iter().any(|r| r.call_id == err.call_id));
    }
}
