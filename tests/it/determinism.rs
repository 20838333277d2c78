//! The same input gives the same rows whatever `--jobs` is, and a re-run changes no row count.

use crate::util::{Workspace, read_table};

/// A corpus large enough to be cut into many chunks and batches.
fn corpus(ws: &Workspace) {
    let mut lines = String::new();
    let texts = [
        "I already called about this last week and nobody fixed it",
        "thank you so much, that was really helpful",
        "I want to speak to your supervisor right now",
        "ok just checking my balance",
    ];
    for i in 0..3000 {
        let speaker = if i % 5 == 0 { "agent" } else { "customer" };
        lines.push_str(&format!(
            r#"{{"call_id":"c{i:05}","customer_id":"u{}","language":"en","started_at":"2026-11-{:02}T10:00:00Z","turns":[{{"speaker":"{speaker}","text":"{}"}},{{"speaker":"customer","text":"{}"}}]}}"#,
            i % 700,
            1 + i % 9,
            texts[i % 4],
            texts[(i / 4) % 4],
        ));
        lines.push('\n');
    }
    ws.write("in/big.jsonl", &lines);
    for i in 0..40 {
        ws.write(
            &format!("in/files/f{i:03}.json"),
            format!(
                r#"{{"call_id":"f{i}","turns":[{{"speaker":"customer","text":"{}"}}]}}"#,
                texts[i % 4]
            ),
        );
    }
    ws.write(
        "in/files/dup.json",
        r#"{"call_id":"c00007","turns":[{"speaker":"customer","text":"dup"}]}"#,
    );
}

#[test]
fn rows_are_identical_for_one_and_two_jobs() {
    let ws = Workspace::new();
    corpus(&ws);
    for jobs in ["1", "2", "3"] {
        let out = ws.run(&[
            "scan",
            "in",
            "--out",
            &format!("out{jobs}"),
            "--jobs",
            jobs,
            "--quiet",
        ]);
        assert_eq!(out.status.code(), Some(3), "one duplicate is rejected");
    }
    assert_same_rows(&ws, "out1", &["out2", "out3"]);
}

/// Every scan table in `first` has rows, and the same rows as in each of `others`.
fn assert_same_rows(ws: &Workspace, first: &str, others: &[&str]) {
    for table in ["calls", "hits", "turns", "rejects"] {
        let rows = read_table(&ws.path(first), table);
        assert!(!rows.is_empty(), "{table} has rows");
        for other in others {
            assert_eq!(
                rows,
                read_table(&ws.path(other), table),
                "{table}: {first} vs {other}"
            );
        }
    }
}

#[test]
fn rerunning_the_same_input_leaves_row_counts_unchanged() {
    let ws = Workspace::new();
    corpus(&ws);
    ws.run(&["scan", "in", "--out", "out", "--quiet"]);
    let counts = |ws: &Workspace| {
        ["calls", "hits", "turns", "rejects"].map(|t| read_table(&ws.path("out"), t).len())
    };
    let first = counts(&ws);
    ws.run(&["scan", "in", "--out", "out", "--quiet"]);
    assert_eq!(counts(&ws), first);
}

/// The same through the library with batches of 64 KiB, so that the input spans many batches
/// and workers run ahead across batch ends while earlier pieces are still being scanned.
#[test]
fn rows_are_identical_when_the_input_spans_many_batches() {
    use fcrscan::lexicon::Lexicon;
    use fcrscan::pipeline::{Progress, ScanOptions, run_scan};
    use fcrscan::scan::Scanner;

    let ws = Workspace::new();
    corpus(&ws);
    let scanner = Scanner::new(Lexicon::embedded().expect("the shipped lexicons load"))
        .expect("the shipped lexicons compile");
    for jobs in [1, 3] {
        let options = ScanOptions {
            batch_bytes: 64 << 10,
            ..ScanOptions::new(jobs, format!("run-{jobs}"))
        };
        let report = run_scan(
            &[ws.path("in")],
            &ws.path(&format!("out{jobs}")),
            &scanner,
            &options,
            &Progress::default(),
        )
        .expect("the scan runs");
        assert_eq!(report.counts.records_read, 3041);
        assert_eq!(report.counts.records_rejected, 1, "the duplicate");
    }
    assert_same_rows(&ws, "out1", &["out3"]);
}

/// Files whose bytes are not in the page cache are read by other threads while the workers go
/// on, and scanned when they arrive: the rows are the same as when every file was in memory.
/// Here the files are dropped from the cache (written back, then `POSIX_FADV_DONTNEED`), which
/// ext4 and most disk file systems honour; where it is not honoured both runs read from memory.
#[cfg(target_os = "linux")]
#[test]
fn rows_are_identical_when_the_files_are_not_in_memory() {
    use std::os::fd::AsRawFd;

    let ws = Workspace::new();
    corpus(&ws);
    for i in 0..300 {
        ws.write(
            &format!("in/more/m{i:03}.json"),
            format!(
                r#"{{"call_id":"m{i}","turns":[{{"speaker":"customer","text":"I called last week about this {i}"}}]}}"#
            ),
        );
    }
    ws.run(&["scan", "in", "--out", "warm", "--jobs", "2", "--quiet"]);
    for dir in ["in/files", "in/more"] {
        for entry in std::fs::read_dir(ws.path(dir)).unwrap() {
            let file = std::fs::File::open(entry.unwrap().path()).unwrap();
            file.sync_all().unwrap();
            // SAFETY: a plain system call on a descriptor that stays open across it.
            let dropped =
                unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
            assert_eq!(dropped, 0);
        }
    }
    ws.run(&["scan", "in", "--out", "cold", "--jobs", "2", "--quiet"]);
    assert_same_rows(&ws, "warm", &["cold"]);
}
