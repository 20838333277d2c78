//! FCR cells of a whole night, held compactly while the link step goes from shard to shard.
//!
//! Each shard's cells arrive keyed by [`FcrKey`], five owned strings. Summed over the night as a
//! `BTreeMap<FcrKey, FcrCounts>` they were the largest thing the link step held on large nights
//! with many agents (a cell is nearly one per call then): 30 MiB of heap for 130,000 calls,
//! and many small strings that the allocator cannot return. Here the strings are interned
//! (dates, queues, agents, channels and languages are few next to the cells) and a cell is 20
//! bytes of ids and its counts. Owned keys are made again one date at a time, when the date is
//! written.

use std::collections::HashMap;

use super::fcr::{FcrCounts, FcrKey};

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

/// FCR cells summed across shards.
#[derive(Debug, Default)]
pub struct CellTable {
    names: Names,
    cells: HashMap<CellIds, FcrCounts>,
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
        *self.cells.entry(ids).or_default() += counts;
    }

    /// Keeps the cells of the dates `keep` accepts.
    pub fn retain_dates(&mut self, keep: impl Fn(&str) -> bool) {
        let names = &self.names;
        self.cells
            .retain(|ids, _| keep(names.name(ids[0]).expect("a date is never None")));
    }

    /// The sum of every cell.
    pub fn total(&self) -> FcrCounts {
        self.cells.values().copied().sum()
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
        let mut by_date: HashMap<u32, Vec<(CellIds, FcrCounts)>> = HashMap::new();
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
pub struct DayCells(Vec<(CellIds, FcrCounts)>);

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
                (key, *counts)
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
}
