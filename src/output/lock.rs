//! One writing run at a time per dataset.
//!
//! A scan or a link step starts by discarding what a crashed run left in `_staging` and moving
//! back partitions a crashed commit left in `_trash` ([`super::dataset::recover`]); a run
//! beside it would lose its staged files to that, and two commits that rebuild the same
//! partition would each keep only their own rows. A nightly job started again while the last
//! one still runs (a Kubernetes CronJob allows that by default) must therefore wait its turn.
//! The lock is an advisory `flock` on `<dataset>/_lock`, held for the whole command and
//! released by the system when the process ends, however it ends. Query engines skip the
//! file: its name starts with `_`, and it is not under a table's directory.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::Path;

use super::OutputError;
use super::dataset::io;

/// The lock file's name in the dataset's root.
pub const LOCK_FILE: &str = "_lock";

/// Holds the dataset for one run; dropping it lets the next run in.
#[derive(Debug)]
pub struct DatasetLock {
    _file: File,
    /// Why the file system would not lock the file, when it would not.
    not_held: Option<std::io::Error>,
}

impl DatasetLock {
    /// Takes the lock of the dataset at `root` (created if missing). When another run holds it,
    /// calls `waiting` once, then waits for it. A file system that cannot lock (`flock` on some
    /// network file systems fails with "no locks available") does not stop the run: it goes on
    /// unlocked, as runs did before there was a lock, and [`DatasetLock::not_held`] says why.
    pub fn acquire(root: &Path, waiting: impl FnOnce()) -> Result<DatasetLock, OutputError> {
        let path = root.join(LOCK_FILE);
        fs::create_dir_all(root).map_err(io("creating output directory", root))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("opening the dataset lock", &path))?;
        let not_held = match file.try_lock() {
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => {
                waiting();
                file.lock()
                    .map_err(io("waiting for the dataset lock", &path))?;
                None
            }
            Err(TryLockError::Error(e)) => Some(e),
        };
        Ok(DatasetLock {
            _file: file,
            not_held,
        })
    }

    /// Why the run goes on without the lock, if it does.
    pub fn not_held(&self) -> Option<&std::io::Error> {
        self.not_held.as_ref()
    }
}

/// A reader's hold on a dataset (`fcrscan report`): while it is held no run writes, so the
/// reader never meets a partition in the middle of its swap. Readers do not wait for each other.
#[derive(Debug)]
pub struct ReadLock {
    _file: Option<File>,
}

impl ReadLock {
    /// Takes a shared hold on the dataset at `root`, calling `waiting` once and then waiting
    /// while a run writes it. It never fails, nor writes anything: a dataset without a lock
    /// file (written before there was one), or one that cannot be locked (a read-only or
    /// network mount), is read without it, as before.
    pub fn acquire(root: &Path, waiting: impl FnOnce()) -> ReadLock {
        let Ok(file) = File::open(root.join(LOCK_FILE)) else {
            return ReadLock { _file: None };
        };
        let held = match file.try_lock_shared() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => {
                waiting();
                file.lock_shared().is_ok()
            }
            Err(TryLockError::Error(_)) => false,
        };
        ReadLock {
            _file: held.then_some(file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A second run waits, says so, and gets the lock when the first lets go.
    #[test]
    fn a_second_run_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let first = DatasetLock::acquire(&root, || panic!("nobody holds it yet")).unwrap();
        assert!(first.not_held().is_none());
        let (told, waits) = mpsc::channel();
        let (took, taken) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let second = DatasetLock::acquire(&root, || told.send(()).unwrap()).unwrap();
                took.send(()).unwrap();
                drop(second);
            });
            waits.recv().expect("the second run found the lock held");
            assert!(taken.try_recv().is_err(), "not before the first lets go");
            drop(first);
            taken.recv().expect("the second run got the lock");
        });
        // Readers share; a reader waits for a writer, and a writer for readers.
        let reader = ReadLock::acquire(&root, || panic!("free"));
        let another = ReadLock::acquire(&root, || panic!("readers do not wait for each other"));
        let (told, waits) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                DatasetLock::acquire(&root, || told.send(()).unwrap()).unwrap();
            });
            waits
                .recv()
                .expect("the writer found the dataset being read");
            drop((reader, another));
        });
        let (told, waits) = mpsc::channel();
        let writer = DatasetLock::acquire(&root, || panic!("free")).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _reader = ReadLock::acquire(&root, || told.send(()).unwrap());
            });
            waits
                .recv()
                .expect("the reader found the dataset being written");
            drop(writer);
        });
        // No lock file yet: nothing to wait for, nothing written.
        let fresh = dir.path().join("fresh");
        std::fs::create_dir(&fresh).unwrap();
        ReadLock::acquire(&fresh, || panic!("no lock file"));
        assert!(!fresh.join(LOCK_FILE).exists());
        // Free again, and the file stays for the next run.
        DatasetLock::acquire(&root, || panic!("free")).unwrap();
        assert!(root.join(LOCK_FILE).is_file());
    }
}
