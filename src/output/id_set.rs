//! A set of strings stored end to end in one buffer: the call_ids a run has written.
//!
//! The scan keeps every call_id it wrote, to refuse a second call with the same id and, at the
//! commit, to drop earlier rows of the calls it re-scanned. That set is the one thing in the
//! scan that grows with the number of calls. As a `HashSet<String>` it cost about 85 bytes per
//! id (a 24-byte `String`, its own allocation, the table's slack): 5.5 MiB at the peak on the
//! 1 GB benchmark corpus (65,000 calls). Here an id costs its bytes plus 16 in the table.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::BuildHasher;

/// A set of strings, exact (no fingerprints: two ids are equal only when their bytes are).
#[derive(Default)]
pub struct IdSet {
    /// Every id, end to end.
    bytes: String,
    /// Where each id lies in `bytes`: (start, end).
    table: HashTable<(usize, usize)>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl IdSet {
    /// An empty set.
    pub fn new() -> IdSet {
        IdSet::default()
    }

    /// Adds `id`; `false` when it was already there.
    pub fn insert(&mut self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id);
        let (bytes, hasher) = (&self.bytes, &self.hasher);
        match self.table.entry(
            hash,
            |&(start, end)| &bytes[start..end] == id,
            |&(start, end)| hasher.hash_one(&bytes[start..end]),
        ) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                let start = self.bytes.len();
                slot.insert((start, start + id.len()));
                self.bytes.push_str(id);
                true
            }
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |&(start, end)| &self.bytes[start..end] == id)
            .is_some()
    }

    /// How many ids the set holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl std::fmt::Debug for IdSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdSet").field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn an_id_is_added_once() {
        let mut set = IdSet::new();
        assert!(set.insert("call-1"));
        assert!(set.insert("call-10"));
        assert!(!set.insert("call-1"));
        assert!(set.insert(""));
        assert!(!set.insert(""));
        assert_eq!(set.len(), 3);
        assert!(set.contains("call-10"));
        assert!(!set.contains("call-"));
        assert!(!set.contains("call-100"));
    }

    proptest! {
        /// Ids made of few characters, so that many are prefixes of others and collide.
        #[test]
        fn behaves_like_a_hash_set(ids in proptest::collection::vec("[ab1é]{0,4}", 0..300),
                                   probes in proptest::collection::vec("[ab1é]{0,4}", 0..50)) {
            let mut set = IdSet::new();
            let mut reference = HashSet::new();
            for id in &ids {
                prop_assert_eq!(set.insert(id), reference.insert(id.clone()));
            }
            prop_assert_eq!(set.len(), reference.len());
            for probe in ids.iter().chain(&probes) {
                prop_assert_eq!(set.contains(probe), reference.contains(probe));
            }
        }
    }
}
