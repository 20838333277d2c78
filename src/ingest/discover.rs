//! Finding input files: each command-line path is a file or a directory walked recursively, in
//! a deterministic order (sorted by file name). Problems (a symlink loop, an unreadable
//! directory, a path that does not exist) become rejects; the walk goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::reject::{Reject, RejectReason};
use crate::model::SourceRef;

/// One input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// Where to open it.
    pub path: PathBuf,
    /// How it is named in output (the path as reached from the command-line argument).
    pub name: Arc<str>,
    /// Size in bytes on disk (compressed size for compressed files).
    pub size_bytes: u64,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to read, in order.
    pub files: Vec<InputFile>,
    /// Paths that could not be walked or read.
    pub rejects: Vec<Reject>,
    /// Documentation and hidden files skipped on purpose (README.md, LICENSE, .gitignore…).
    pub skipped: Vec<PathBuf>,
}

/// Walks `paths` in order, leaving out the paths in `leave_out` where they lie inside one of
/// them: the dataset the run writes, and its `--metadata` file. A nightly `fcrscan scan
/// /data/calls --out /data/calls/fcr` would otherwise read its own Parquet files and manifests
/// back as transcripts, and reject them, at every run after the first; a night's directory
/// holding its `metadata.csv` beside the transcripts would have it rejected as a turn table
/// every night, and exit 3.
pub fn discover(paths: &[PathBuf], leave_out: &[&Path]) -> Discovery {
    let mut found = Discovery::default();
    for root in paths {
        let (skipped, rejects) = (found.skipped.len(), found.rejects.len());
        let within: Vec<PathBuf> = leave_out
            .iter()
            .filter_map(|path| path_within(root, path))
            .collect();
        // Unsorted walk, sorted after: see `walk_order_key`.
        let mut files = walk_and_size(root, &within, &mut found.skipped, &mut found.rejects);
        files.sort_by_cached_key(|f| walk_order_key(&f.path));
        if found.files.is_empty() {
            // One list of 100,000 files is 5 MB: not copied when there is nothing before it.
            found.files = files;
        } else {
            found.files.append(&mut files);
        }
        found.skipped[skipped..].sort_by_cached_key(|p| walk_order_key(p));
        found.rejects[rejects..].sort_by_cached_key(|r| walk_order_key(Path::new(&*r.source.path)));
    }
    if paths.len() > 1 {
        read_once(&mut found);
    }
    found
}

/// Keeps the first of the paths that reach the same file: a file named twice, or named and
/// inside a directory also named (`scan night night/calls.jsonl`, or overlapping globs in a
/// job's command), is read once instead of having its every call rejected as a duplicate.
/// The repeats are counted as skipped. Asked only of runs with more than one path: one walk
/// reaches each file once.
fn read_once(found: &mut Discovery) {
    let Discovery { files, skipped, .. } = found;
    let mut seen = std::collections::HashSet::with_capacity(files.len());
    files.retain(|file| {
        let real = file
            .path
            .canonicalize()
            .unwrap_or_else(|_| file.path.clone());
        let first = seen.insert(real);
        if !first {
            skipped.push(file.path.clone());
        }
        first
    });
}

/// Why a path that is neither a file nor a directory is not read.
const NOT_A_FILE: &str = "not a regular file (a pipe, socket or device): name the file itself; \
                          .gz and .zst files are read as they are";

/// Where `path` lies under `root`, as a walk of `root` names it; `None` when it does not (or
/// does not exist yet, and so holds nothing to leave out).
fn path_within(root: &Path, path: &Path) -> Option<PathBuf> {
    let root_real = root.canonicalize().ok()?;
    let path_real = path.canonicalize().ok()?;
    let below = path_real.strip_prefix(&root_real).ok()?;
    // The root itself is walked whatever it is: a path named on the command line is read.
    (!below.as_os_str().is_empty()).then(|| root.join(below))
}

/// Files sized per task while the walk goes on.
const SIZE_CHUNK: usize = 1024;

/// The files under `root` (but not at or under the paths of `leave_out`), in no particular
/// order, each with its size.
/// Sizes (for batching and progress) are one `stat` per file, which for a night of small files
/// costs more than the walk itself: they are taken on the pool, a chunk at a time, while this
/// thread walks on (100,000 files in one directory, two cores: walk 70 ms then sizes 100 ms
/// before; 50 ms less now).
/// The walk stays on this thread: walked on a pool thread, its 100,000 paths were allocated in
/// that thread's arena, and the scan's peak memory rose by 10 MiB.
fn walk_and_size(
    root: &Path,
    leave_out: &[PathBuf],
    skipped: &mut Vec<PathBuf>,
    rejects: &mut Vec<Reject>,
) -> Vec<InputFile> {
    let (sized_tx, sized_rx) = std::sync::mpsc::channel::<Vec<InputFile>>();
    rayon::in_place_scope(|scope| {
        let size_on_pool = |chunk: Vec<InputFile>| {
            let sized_tx = sized_tx.clone();
            scope.spawn(move |_| {
                // The receiver outlives the scope.
                let _ = sized_tx.send(sized(chunk));
            });
        };
        let mut chunk = Vec::with_capacity(SIZE_CHUNK);
        let walk = walkdir::WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !leave_out.iter().any(|path| e.path() == path));
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if is_skipped(e.path(), e.depth()) {
                        skipped.push(e.into_path());
                        continue;
                    }
                    let name: Arc<str> = e.path().to_string_lossy().into();
                    chunk.push(InputFile {
                        path: e.into_path(),
                        name,
                        size_bytes: 0,
                    });
                    if chunk.len() == SIZE_CHUNK {
                        size_on_pool(std::mem::replace(
                            &mut chunk,
                            Vec::with_capacity(SIZE_CHUNK),
                        ));
                    }
                }
                Ok(e) if !e.file_type().is_dir() => {
                    // A pipe, socket or device: `<(zcat night.jsonl.gz)` would otherwise be
                    // skipped without a word, and the run would write nothing.
                    rejects.push(Reject {
                        source: SourceRef::file(e.path().to_string_lossy().into()),
                        call_id: None,
                        reason: RejectReason::Unreadable(NOT_A_FILE.to_string()),
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    let path = err.path().unwrap_or(root).to_string_lossy().into();
                    let detail = if err.loop_ancestor().is_some() {
                        "symbolic link loop".to_string()
                    } else {
                        io_detail(&err)
                    };
                    rejects.push(Reject {
                        source: SourceRef::file(path),
                        call_id: None,
                        reason: RejectReason::Unreadable(detail),
                    });
                }
            }
        }
        if !chunk.is_empty() {
            size_on_pool(chunk);
        }
    });
    drop(sized_tx);
    // Joined into a list of the exact length, rather than one grown by doubling.
    let chunks: Vec<Vec<InputFile>> = sized_rx.into_iter().collect();
    let mut files = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for mut chunk in chunks {
        files.append(&mut chunk);
    }
    files
}

/// `files` with their sizes on disk (0 when the file cannot be stat'ed: reading it will say why).
fn sized(mut files: Vec<InputFile>) -> Vec<InputFile> {
    for file in &mut files {
        file.size_bytes = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    }
    files
}

/// The order of a walk that visits each directory's entries sorted by name: paths compared
/// component by component, each as bytes. As one byte string per path, with a 0 byte (which no
/// name holds, and which sorts first) after each component, so that `a/b` comes before `a.txt`
/// as in the walk. Sorting these once per file is cheaper than letting the walk sort each
/// directory: its comparator parsed both paths' names anew at every comparison, which took
/// most of discovering 100,000 files in one directory (0.25 of 0.3 s).
fn walk_order_key(path: &Path) -> Vec<u8> {
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for component in path.components() {
        key.extend_from_slice(component.as_os_str().as_encoded_bytes());
        key.push(0);
    }
    key
}

fn io_detail(err: &walkdir::Error) -> String {
    match err.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => "no such file or directory".into(),
        Some(io) => io.to_string(),
        None => err.to_string(),
    }
}

/// Hidden files, and documentation that sits beside transcripts in a directory (`README.md`,
/// `SOURCE.md`, `LICENSE`, `NOTICE.txt`, the samples' `EXPECTED.tsv`), are not input. A
/// documentation name is the word alone or followed by `.` or `-` (`LICENSE-MIT`): a transcript
/// named `notice_of_cancellation.json` or `licensed-agent.json` is read. A file named
/// explicitly on the command line is always read. Compared as bytes, without a lowercase copy
/// of every name.
fn is_skipped(path: &Path, depth: usize) -> bool {
    if depth == 0 {
        return false;
    }
    let Some(name) = path.file_name() else {
        return false;
    };
    let name = name.as_encoded_bytes();
    let is_doc_word = |word: &[u8]| {
        name.get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word))
            && matches!(name.get(word.len()), None | Some(b'.' | b'-'))
    };
    name.starts_with(b".")
        || super::ends_with_ignore_ascii_case(name, b".md")
        || [
            &b"license"[..],
            b"licence",
            b"copying",
            b"notice",
            b"readme",
            b"expected",
        ]
        .into_iter()
        .any(is_doc_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files `found`, as paths relative to `base`, in order.
    fn names_under(found: &Discovery, base: &Path) -> Vec<String> {
        found
            .files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn walks_sorted_skips_docs_and_records_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("b")).unwrap();
        std::fs::create_dir(d.join("a")).unwrap();
        for f in [
            "b/2.jsonl",
            "b/1.json",
            "a.txt",
            "a/z.json",
            "a-1.json",
            "README.md",
            ".hidden",
            "LICENSE",
            "Notes.MD",
            "License-MIT",
            "EXPECTED.tsv",
            "notice_of_cancellation.json",
            "licensed-agent.json",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let found = discover(&[d.to_path_buf(), d.join("missing")], &[]);
        let names = names_under(&found, d);
        // Each directory's entries in name order: `a` before `a-1.json` and `a.txt`.
        assert_eq!(
            names,
            [
                "a/z.json",
                "a-1.json",
                "a.txt",
                "b/1.json",
                "b/2.jsonl",
                "licensed-agent.json",
                "notice_of_cancellation.json"
            ]
        );
        let skipped: Vec<_> = found
            .skipped
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            skipped,
            [
                ".hidden",
                "EXPECTED.tsv",
                "LICENSE",
                "License-MIT",
                "Notes.MD",
                "README.md"
            ]
        );
        assert_eq!(found.rejects.len(), 1);
        assert_eq!(found.rejects[0].reason.code(), "unreadable");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_reached_by_two_paths_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("night")).unwrap();
        std::fs::write(d.join("night/a.jsonl"), "x").unwrap();
        std::fs::write(d.join("night/b.jsonl"), "x").unwrap();
        let night = d.join("night");
        let found = discover(
            &[
                night.clone(),
                night.join("b.jsonl"),
                night.join("../night/a.jsonl"),
            ],
            &[],
        );
        assert_eq!(names_under(&found, d), ["night/a.jsonl", "night/b.jsonl"]);
        assert_eq!(
            found.skipped,
            [night.join("b.jsonl"), night.join("../night/a.jsonl")]
        );
    }

    #[test]
    fn symlink_loops_are_rejects_not_crashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
        std::fs::write(dir.path().join("sub/a.jsonl"), "x").unwrap();
        let found = discover(&[dir.path().to_path_buf()], &[]);
        assert_eq!(found.files.len(), 1);
        assert!(
            found
                .rejects
                .iter()
                .any(|r| r.reason.to_string().contains("loop")),
            "{:?}",
            found.rejects
        );
    }

    /// The dataset a run writes, inside a directory it scans, is not read back as input,
    /// however its path is spelled; named as the input itself, it is read.
    #[test]
    fn the_output_directory_inside_an_input_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("night/fcr/calls/call_date=2026-11-02")).unwrap();
        std::fs::create_dir_all(d.join("night/fcr/runs")).unwrap();
        std::fs::write(d.join("night/a.jsonl"), "x").unwrap();
        std::fs::write(
            d.join("night/fcr/calls/call_date=2026-11-02/part-0.parquet"),
            "PAR1",
        )
        .unwrap();
        std::fs::write(d.join("night/fcr/runs/r.json"), "{}").unwrap();
        std::fs::write(d.join("night/fcr.jsonl"), "x").unwrap();
        let names = |found: &Discovery| names_under(found, d);
        let night = d.join("night");
        for output in [night.join("fcr"), night.join("../night/./fcr")] {
            let found = discover(std::slice::from_ref(&night), &[&output]);
            assert_eq!(
                names(&found),
                ["night/a.jsonl", "night/fcr.jsonl"],
                "{output:?}"
            );
            assert!(found.rejects.is_empty() && found.skipped.is_empty());
        }
        // Elsewhere, or not there yet: nothing to leave out.
        let found = discover(std::slice::from_ref(&night), &[&d.join("other")]);
        assert_eq!(names(&found).len(), 4);
        let fcr = night.join("fcr");
        assert_eq!(
            names(&discover(std::slice::from_ref(&fcr), &[&fcr])).len(),
            2
        );
    }

    /// A pipe, socket or device, named or in a directory, is a reject that says what it is,
    /// not a path skipped without a word.
    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_files_are_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("calls.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std::fs::write(dir.path().join("a.jsonl"), "x").unwrap();
        for paths in [vec![dir.path().to_path_buf()], vec![socket.clone()]] {
            let found = discover(&paths, &[]);
            assert_eq!(found.rejects.len(), 1, "{paths:?}");
            let reject = &found.rejects[0];
            assert_eq!(&*reject.source.path, socket.to_string_lossy());
            assert_eq!(reject.reason.code(), "unreadable");
            assert!(reject.reason.to_string().contains("not a regular file"));
        }
        assert_eq!(discover(&[dir.path().to_path_buf()], &[]).files.len(), 1);
    }

    #[test]
    fn many_files_come_in_walk_order_each_with_its_own_size() {
        // More than a few sizing chunks, in nested directories, so that chunks sized on
        // different threads come back in any order and must be put in walk order again.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut written = Vec::new();
        for sub in ["b", "a", "a/deeper"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        for i in 0..(SIZE_CHUNK * 3 + 17) {
            let sub = ["b", "a", "a/deeper", ""][i % 4];
            let path = d.join(sub).join(format!("{:05}.json", (i * 7919) % 10_007));
            let len = i % 97;
            std::fs::write(&path, vec![b'x'; len]).unwrap();
            written.push((path, len as u64));
        }
        let found = discover(&[d.to_path_buf()], &[]);
        // The order a walk sorted by file name visits them in.
        let walked: Vec<PathBuf> = walkdir::WalkDir::new(d)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        let paths: Vec<PathBuf> = found.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(paths, walked);
        let sizes: std::collections::HashMap<&PathBuf, u64> =
            written.iter().map(|(p, len)| (p, *len)).collect();
        for file in &found.files {
            assert_eq!(
                file.size_bytes,
                sizes[&file.path],
                "{}",
                file.path.display()
            );
            assert_eq!(&*file.name, file.path.to_string_lossy());
        }
    }
}
