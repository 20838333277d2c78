//! Linking inputs that wait on disk for their shard.
//!
//! The link step links at most `--link-shard-calls` recent calls at once, in shards by customer
//! ([`crate::linking`]). Each shard used to read every recent partition back and keep its own
//! calls, so with `n` shards every recent call was decoded `n` times: a night of 1,500 calls
//! into a month of history took 406–542 ms to link in 8 shards of 1,500 and 147 ms in one. Now
//! the partitions are read once, each call is appended to its shard's file in the compact
//! encoding below, and a shard reads its own file back: 237–257 ms in those 8 shards.
//!
//! A shard keeps its calls in a buffer and appends it to its file (opened only for that) when
//! it passes 32 KiB, so that a full relink of a large archive, with a thousand shards,
//! holds no file open and a few MiB of buffers.
//!
//! The encoding of a [`ContactInput`], all integers little-endian: each string as its length
//! (`u32`) and its UTF-8 bytes; `call_id`; `customer_id`, `channel`, `queue`, `agent_id` each as
//! a byte (0 absent, 1 present) and the string; `language`; `started_at_us` as a byte and an
//! `i64`; `duration_s` as a byte and an `f64`; one byte of flags (1 repeat cue, 2 escalation,
//! 4 negative); the topics as a count (`u32`) and the strings.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::history::HistoryError;
use crate::link::ContactInput;

/// Bytes a shard buffers before they are appended to its file.
const FLUSH_BYTES: usize = 32 << 10;

/// Which of a shard's two files a call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A call of the recomputed partitions.
    Recent,
    /// A call of an earlier partition, read for the context it may give a recent call.
    Context,
}

/// The files of `shards` shards under a directory, being written.
#[derive(Debug)]
pub struct ShardFiles {
    dir: PathBuf,
    /// Per shard, the bytes not yet appended to its recent and context files.
    pending: Vec<[Vec<u8>; 2]>,
    /// Per shard, the calls pushed to its recent and context files.
    calls: Vec<[usize; 2]>,
}

impl ShardFiles {
    /// Empty files for `shards` shards in `dir` (created if need be).
    pub fn create(dir: &Path, shards: usize) -> Result<ShardFiles, HistoryError> {
        fs::create_dir_all(dir).map_err(|source| HistoryError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(ShardFiles {
            dir: dir.to_path_buf(),
            pending: (0..shards).map(|_| [Vec::new(), Vec::new()]).collect(),
            calls: vec![[0, 0]; shards],
        })
    }

    /// Appends `calls` calls [`encode`]d back to back to shard `shard`'s file of `kind`.
    pub fn push_encoded(
        &mut self,
        shard: usize,
        kind: Kind,
        encoded: &[u8],
        calls: usize,
    ) -> Result<(), HistoryError> {
        self.pending[shard][kind as usize].extend_from_slice(encoded);
        self.calls[shard][kind as usize] += calls;
        self.flush_if_full(shard, kind)
    }

    fn flush_if_full(&mut self, shard: usize, kind: Kind) -> Result<(), HistoryError> {
        if self.pending[shard][kind as usize].len() >= FLUSH_BYTES {
            let path = self.path(shard, kind);
            append(&path, &mut self.pending[shard][kind as usize])?;
        }
        Ok(())
    }

    /// Appends what every shard still buffers to its files.
    pub fn flush(&mut self) -> Result<(), HistoryError> {
        for shard in 0..self.pending.len() {
            for kind in [Kind::Recent, Kind::Context] {
                let path = self.path(shard, kind);
                append(&path, &mut self.pending[shard][kind as usize])?;
            }
        }
        Ok(())
    }

    /// The calls of shard `shard`'s file of `kind` that `keep` accepts, in the order they were
    /// pushed (call [`ShardFiles::flush`] first). Each call is tested as it is decoded, so the
    /// others are never held together. The file is removed once read.
    pub fn take(
        &self,
        shard: usize,
        kind: Kind,
        keep: impl Fn(&ContactInput) -> bool,
    ) -> Result<Vec<ContactInput>, HistoryError> {
        let path = self.path(shard, kind);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(HistoryError::Io { path, source }),
        };
        // Every recent call is kept; most context calls are not (they are the shard's other
        // customers').
        let mut calls = Vec::with_capacity(match kind {
            Kind::Recent => self.calls[shard][kind as usize],
            Kind::Context => 0,
        });
        decode_each(&bytes, |call| {
            if keep(&call) {
                calls.push(call);
            }
        })
        .map_err(|(row, problem)| HistoryError::Value {
            path: path.clone(),
            row,
            problem,
        })?;
        fs::remove_file(&path).map_err(|source| HistoryError::Io { path, source })?;
        Ok(calls)
    }

    fn path(&self, shard: usize, kind: Kind) -> PathBuf {
        let kind = match kind {
            Kind::Recent => "recent",
            Kind::Context => "context",
        };
        self.dir.join(format!("{shard:05}-{kind}.bin"))
    }
}

/// Appends `bytes` to the file at `path` and empties them.
fn append(path: &Path, bytes: &mut Vec<u8>) -> Result<(), HistoryError> {
    if bytes.is_empty() {
        return Ok(());
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|source| HistoryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    bytes.clear();
    Ok(())
}

/// Appends the encoding of `call` to `out` (see the module docs).
pub fn encode(call: &ContactInput, out: &mut Vec<u8>) {
    put_str(out, &call.call_id);
    for field in [
        &call.customer_id,
        &call.channel,
        &call.queue,
        &call.agent_id,
    ] {
        match field {
            Some(value) => {
                out.push(1);
                put_str(out, value);
            }
            None => out.push(0),
        }
    }
    put_str(out, &call.language);
    match call.started_at_us {
        Some(us) => {
            out.push(1);
            out.extend_from_slice(&us.to_le_bytes());
        }
        None => out.push(0),
    }
    match call.duration_s {
        Some(s) => {
            out.push(1);
            out.extend_from_slice(&s.to_le_bytes());
        }
        None => out.push(0),
    }
    out.push(
        u8::from(call.repeat_cue) | u8::from(call.escalation) << 1 | u8::from(call.negative) << 2,
    );
    put_len(out, call.topics.len());
    for topic in &call.topics {
        put_str(out, topic);
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).expect("a call's field or topic list under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Hands each call encoded back to back in `bytes` to `each`, in order; on damage, the index
/// of the call that could not be read and why.
fn decode_each(bytes: &[u8], mut each: impl FnMut(ContactInput)) -> Result<(), (usize, String)> {
    let mut reader = Reader { bytes, at: 0 };
    let mut index = 0;
    while reader.at < bytes.len() {
        each(reader.call().map_err(|problem| (index, problem))?);
        index += 1;
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| "the shard file ends inside a call".to_string())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn eight(&mut self) -> Result<[u8; 8], String> {
        Ok(self.take(8)?.try_into().expect("eight bytes"))
    }

    fn len(&mut self) -> Result<usize, String> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().expect("four bytes"));
        Ok(len as usize)
    }

    fn string(&mut self) -> Result<String, String> {
        let len = self.len()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }

    fn present(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("presence byte {other}")),
        }
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        Ok(if self.present()? {
            Some(self.string()?)
        } else {
            None
        })
    }

    fn call(&mut self) -> Result<ContactInput, String> {
        let call_id = self.string()?;
        let customer_id = self.opt_string()?;
        let channel = self.opt_string()?;
        let queue = self.opt_string()?;
        let agent_id = self.opt_string()?;
        let language = self.string()?;
        let started_at_us = if self.present()? {
            Some(i64::from_le_bytes(self.eight()?))
        } else {
            None
        };
        let duration_s = if self.present()? {
            Some(f64::from_le_bytes(self.eight()?))
        } else {
            None
        };
        let flags = self.byte()?;
        if flags > 7 {
            return Err(format!("flags byte {flags}"));
        }
        let topics = (0..self.len()?)
            .map(|_| self.string())
            .collect::<Result<_, _>>()?;
        Ok(ContactInput {
            call_id,
            customer_id,
            channel,
            queue,
            agent_id,
            language,
            started_at_us,
            duration_s,
            repeat_cue: flags & 1 != 0,
            escalation: flags & 2 != 0,
            negative: flags & 4 != 0,
            topics,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A call with every field set or not, depending on `i`.
    fn call(i: usize) -> ContactInput {
        let every = |n: usize| i.is_multiple_of(n);
        let mut call = ContactInput::new(format!("c{i}"), if every(2) { "en" } else { "pt-BR" });
        call.customer_id = (!every(3)).then(|| format!("u{}", i % 7));
        call.channel = every(4).then(|| "voice".to_string());
        call.started_at_us = (!every(5)).then_some(1_700_000_000_000_000 + i as i64);
        call.duration_s = every(2).then_some(12.5 * i as f64);
        call.repeat_cue = every(2);
        call.negative = every(3);
        call.topics = (0..i % 3).map(|t| format!("topic_{t}")).collect();
        call
    }

    /// Pushes one call.
    fn push(files: &mut ShardFiles, shard: usize, kind: Kind, call: &ContactInput) {
        let mut encoded = Vec::new();
        encode(call, &mut encoded);
        files.push_encoded(shard, kind, &encoded, 1).unwrap();
    }

    #[test]
    fn each_shard_gets_back_its_calls_in_order_and_the_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = ShardFiles::create(&dir.path().join("shards"), 3).unwrap();
        // Enough calls that every buffer is flushed several times on the way.
        let calls: Vec<ContactInput> = (0..5_000).map(call).collect();
        for (i, c) in calls.iter().enumerate() {
            let kind = if i % 5 == 0 {
                Kind::Context
            } else {
                Kind::Recent
            };
            push(&mut files, i % 3, kind, c);
        }
        files.flush().unwrap();
        for shard in 0..3 {
            for kind in [Kind::Recent, Kind::Context] {
                let expected: Vec<&ContactInput> = calls
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 3 == shard && (i % 5 == 0) == (kind == Kind::Context))
                    .map(|(_, c)| c)
                    .collect();
                let back = files.take(shard, kind, |_| true).unwrap();
                assert_eq!(
                    back.iter().collect::<Vec<_>>(),
                    expected,
                    "shard {shard} {kind:?}"
                );
            }
        }
        let left = fs::read_dir(dir.path().join("shards")).unwrap().count();
        assert_eq!(left, 0, "every file is removed once read");
        // A shard that got nothing reads back empty.
        assert!(files.take(0, Kind::Recent, |_| true).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_file_is_an_error_that_names_it_and_the_call() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = ShardFiles::create(dir.path(), 1).unwrap();
        for i in 0..3 {
            push(&mut files, 0, Kind::Recent, &call(i));
        }
        files.flush().unwrap();
        let path = files.path(0, Kind::Recent);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let err = files
            .take(0, Kind::Recent, |_| true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("00000-recent.bin"), "{err}");
        assert!(err.contains("row 2"), "{err}");
    }

    proptest! {
        #[test]
        fn any_call_reads_back_as_written(
            call_id in ".{0,20}",
            customer in proptest::option::of(".{0,12}"),
            channel in proptest::option::of("[a-z]{0,6}"),
            queue in proptest::option::of(".{0,6}"),
            agent in proptest::option::of("[a-z0-9-]{0,8}"),
            language in "[a-z]{2}(-[A-Z]{2})?",
            start in proptest::option::of(any::<i64>()),
            duration in proptest::option::of(-1e9f64..1e9),
            flags in 0u8..8,
            topics in proptest::collection::vec("[a-z_]{0,12}", 0..4),
        ) {
            let call = ContactInput {
                call_id,
                customer_id: customer,
                channel,
                queue,
                agent_id: agent,
                language,
                started_at_us: start,
                duration_s: duration,
                repeat_cue: flags & 1 != 0,
                escalation: flags & 2 != 0,
                negative: flags & 4 != 0,
                topics,
            };
            let mut bytes = Vec::new();
            encode(&call, &mut bytes);
            encode(&call, &mut bytes);
            let mut back = Vec::new();
            decode_each(&bytes, |c| back.push(c)).unwrap();
            prop_assert_eq!(back, vec![call.clone(), call]);
        }
    }
}
