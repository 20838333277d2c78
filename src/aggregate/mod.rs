//! Counters that add up: across threads, chunks, shards and nights, with `+=`.
//!
//! Every sum in fcrscan is an integer count held here, so merging partial results in any order
//! gives the same totals (floating-point rates are derived from counts at the end, never summed).

pub mod cells;
pub mod fcr;

use std::collections::BTreeMap;
use std::ops::AddAssign;

use serde::Serialize;

/// What one run (or a part of it) read, wrote and rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    /// Input files discovered and read (or attempted).
    pub files: u64,
    /// Files skipped on purpose (documentation, hidden files).
    pub files_skipped: u64,
    /// Input bytes read (decompressed size for compressed files).
    pub bytes_read: u64,
    /// Records read: lines of JSON Lines files, whole-file records, and each file or stream
    /// remainder that could not be read at all.
    pub records_read: u64,
    /// Calls written to the calls table.
    pub calls_written: u64,
    /// Records rejected (one rejects row each).
    pub records_rejected: u64,
    /// Rejected records by reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Hits written, by category.
    pub hits_by_category: BTreeMap<String, u64>,
    /// Calls flagged, by flag (repeat_contact, escalation, negative_sentiment).
    pub calls_flagged: BTreeMap<String, u64>,
    /// Calls written with no turn of the customer's: roles neither given by the format nor
    /// inferred, so their repeat-contact and escalation cues do not count. Many of them in a
    /// run means a misread format (an unmapped label, a missing channel map), not quiet calls.
    pub calls_without_customer: u64,
}

impl RunCounts {
    /// Whether every record read is accounted for: read = written + rejected.
    pub fn is_balanced(&self) -> bool {
        self.records_read == self.calls_written + self.records_rejected
    }
}

fn add_map(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

impl AddAssign<&RunCounts> for RunCounts {
    fn add_assign(&mut self, o: &RunCounts) {
        self.files += o.files;
        self.files_skipped += o.files_skipped;
        self.bytes_read += o.bytes_read;
        self.records_read += o.records_read;
        self.calls_written += o.calls_written;
        self.records_rejected += o.records_rejected;
        add_map(&mut self.rejected_by_reason, &o.rejected_by_reason);
        add_map(&mut self.hits_by_category, &o.hits_by_category);
        add_map(&mut self.calls_flagged, &o.calls_flagged);
        self.calls_without_customer += o.calls_without_customer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_in_any_order() {
        let mut a = RunCounts {
            records_read: 3,
            calls_written: 2,
            records_rejected: 1,
            calls_without_customer: 1,
            ..Default::default()
        };
        a.rejected_by_reason.insert("invalid_json".into(), 1);
        let mut b = RunCounts {
            records_read: 5,
            calls_written: 5,
            ..Default::default()
        };
        b.hits_by_category.insert("escalation".into(), 4);
        let mut ab = a.clone();
        ab += &b;
        let mut ba = b.clone();
        ba += &a;
        assert_eq!(ab, ba);
        assert!(ab.is_balanced());
        assert_eq!(ab.records_read, 8);
        assert_eq!(ab.calls_without_customer, 1);
    }
}
