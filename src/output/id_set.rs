//! A set of strings stored end to end in fixed-size chunks: the call_ids a run has written.
//!
//! The scan keeps every call_id it wrote, to refuse a second call with the same id and, at the
//! commit, to drop earlier rows of the calls it re-scanned. That set is the one thing in the
//! scan that grows with the number of calls. As a `HashSet<String>` it cost about 85 bytes per
//! id (a 24-byte `String`, its own allocation, the table's slack): 5.5 MiB at the peak on the
//! 1 GB benchmark corpus (65,000 calls). Then as one growing `String` and a table of
//! `(usize, usize)` ranges: 6.4 MiB at the end of that run, as the buffer doubled (copying
//! itself each time) to twice the bytes it held. Now an id costs its bytes, one length byte
//! (for ids under 128 bytes) and 9 bytes in the table, and the bytes never move.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::BuildHasher;

/// Bytes per chunk of ids. Small enough that the unused tail of the last chunk does not
/// matter; large enough that chunks are few. An id longer than this gets a chunk of its own.
const CHUNK_BYTES: usize = 256 << 10;

/// Bits of a location that hold the offset within its chunk; the chunk's index is above them.
const OFFSET_BITS: u32 = 40;

/// A set of strings, exact (no fingerprints: two ids are equal only when their bytes are).
#[derive(Default)]
pub struct IdSet {
    /// Every id, each as its length (LEB128) then its bytes. A chunk is never reallocated:
    /// it is created with the capacity it will have.
    chunks: Vec<Vec<u8>>,
    /// Where each id starts: its chunk's index above [`OFFSET_BITS`], the offset below.
    table: HashTable<u64>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl IdSet {
    /// An empty set.
    pub fn new() -> IdSet {
        IdSet::default()
    }

    /// Adds `id`; `false` when it was already there.
    pub fn insert(&mut self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id.as_bytes());
        let (chunks, hasher) = (&self.chunks, &self.hasher);
        match self.table.entry(
            hash,
            |&at| id_at(chunks, at) == id.as_bytes(),
            |&at| hasher.hash_one(id_at(chunks, at)),
        ) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(store(&mut self.chunks, id));
                true
            }
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id.as_bytes());
        self.table
            .find(hash, |&at| id_at(&self.chunks, at) == id.as_bytes())
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

/// Appends `id` (its length, then its bytes) to the last chunk, or to a new one when it does
/// not fit; returns where it starts.
fn store(chunks: &mut Vec<Vec<u8>>, id: &str) -> u64 {
    let mut length = [0u8; 10];
    let length = leb128(id.len(), &mut length);
    let needed = length.len() + id.len();
    if chunks
        .last()
        .is_none_or(|chunk| chunk.capacity() - chunk.len() < needed)
    {
        chunks.push(Vec::with_capacity(needed.max(CHUNK_BYTES)));
    }
    let index = chunks.len() - 1;
    let chunk = &mut chunks[index];
    let offset = chunk.len();
    chunk.extend_from_slice(length);
    chunk.extend_from_slice(id.as_bytes());
    ((index as u64) << OFFSET_BITS) | offset as u64
}

/// The bytes of the id stored at `at`.
fn id_at(chunks: &[Vec<u8>], at: u64) -> &[u8] {
    let chunk = &chunks[(at >> OFFSET_BITS) as usize];
    let mut offset = (at & ((1 << OFFSET_BITS) - 1)) as usize;
    let mut length = 0usize;
    let mut shift = 0;
    loop {
        let byte = chunk[offset];
        offset += 1;
        length |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    &chunk[offset..offset + length]
}

/// Writes `value` as LEB128 into `buffer`; returns the bytes written.
fn leb128(mut value: usize, buffer: &mut [u8; 10]) -> &[u8] {
    let mut written = 0;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            buffer[written] = byte;
            return &buffer[..written + 1];
        }
        buffer[written] = byte | 0x80;
        written += 1;
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

    #[test]
    fn ids_of_every_length_across_many_chunks() {
        // Lengths around the LEB128 steps (128, 16,384) and beyond a chunk, enough ids to fill
        // several chunks, so that ids land at a chunk's end and at the start of the next.
        let lengths = [
            0,
            1,
            127,
            128,
            129,
            16_383,
            16_384,
            CHUNK_BYTES - 3,
            CHUNK_BYTES + 1,
        ];
        let mut ids: Vec<String> = lengths.iter().map(|&n| "x".repeat(n)).collect();
        ids.extend((0..20_000).map(|i| format!("{i:0>width$}", width = i % 300)));
        let mut set = IdSet::new();
        for id in &ids {
            assert!(set.insert(id), "{} bytes", id.len());
        }
        assert_eq!(set.len(), ids.len());
        assert!(set.chunks.len() > 10);
        for id in &ids {
            assert!(set.contains(id), "{} bytes", id.len());
            assert!(!set.insert(id), "{} bytes", id.len());
        }
        assert!(!set.contains(&"x".repeat(CHUNK_BYTES)));
        assert!(!set.contains("-1"));
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
