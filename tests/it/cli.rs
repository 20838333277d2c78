//! Command-line behaviour: help, exit codes, the summary.

use crate::util::{Workspace, stderr};

#[test]
fn help_documents_exit_codes_and_subcommands() {
    let out = Workspace::new().run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "scan",
        "phrases",
        "Exit codes:",
        "3  finished, but some records were rejected",
    ] {
        assert!(help.contains(needle), "{needle:?} in {help}");
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let out = Workspace::new().run(&["scan", "in"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--out"), "{}", stderr(&out));
}

#[test]
fn the_summary_is_one_paragraph_on_stderr_and_quiet_silences_it() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", r#"{"call_id":"a","language":"en","turns":[{"speaker":"customer","text":"I want to speak to a manager"}]}"#);
    let out = ws.run(&["scan", "in", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "results go to files, not stdout");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("1 records read = 1 calls written + 0 rejected"),
        "{err}"
    );
    let quiet = ws.run(&["scan", "in", "--out", "out2", "--quiet"]);
    assert!(quiet.stderr.is_empty());
}

#[test]
fn calls_without_a_customer_turn_are_counted_and_named_in_the_summary() {
    // r1 names its roles with `role`; r2 with a key fcrscan does not read, so no turn of it is
    // the customer's and its cue cannot count.
    let ws = Workspace::new();
    ws.write(
        "in/a.jsonl",
        concat!(
            r#"{"call_id":"r1","turns":[{"role":"agent","text":"how can I help"},{"role":"customer","text":"I already called twice"}]}"#,
            "\n",
            r#"{"call_id":"r2","turns":[{"participant":"customer","text":"I already called twice"}]}"#,
            "\n",
        ),
    );
    let out = ws.run(&["scan", "in", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Calls flagged: repeat_contact 1."), "{err}");
    assert!(err.contains(" 1 call(s) have no customer turn"), "{err}");
    let runs = ws.path("out/runs");
    let manifest = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    assert_eq!(m["counts"]["calls_without_customer"], 1, "{m}");
}

#[test]
fn a_fatal_error_names_its_cause_once() {
    let ws = Workspace::new();
    ws.write(
        "in/a.jsonl",
        r#"{"call_id":"a","turns":[{"speaker":"customer","text":"hi"}]}"#,
    );
    ws.write("taken", "a file where the output directory should go");
    let out = ws.run(&["scan", "in", "--out", "taken"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("creating output directory"), "{err}");
    // EEXIST, once: not again after the message that already ends with it.
    assert_eq!(err.matches("os error 17").count(), 1, "{err}");
}

/// Runs fcrscan with `args` in `ws` while the test holds the lock of the dataset at `out`
/// (as a writing run would), checks that its first line on stderr says it waits (`waiting`)
/// and that `untouched` does not exist yet, lets go, and returns whether it succeeded and the
/// rest of its stderr.
fn run_while_dataset_is_written(
    ws: &Workspace,
    out: &str,
    args: &[&str],
    waiting: &str,
    untouched: &str,
) -> (bool, Vec<String>) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let writing = fcrscan::output::lock::DatasetLock::acquire(&ws.path(out), || {
        panic!("nobody else holds it")
    })
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fcrscan"))
        .current_dir(ws.dir.path())
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("running fcrscan");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    assert!(first.contains(waiting), "{first}");
    assert!(
        !ws.path(untouched).exists(),
        "nothing written while it waits"
    );
    drop(writing);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    (child.wait().unwrap().success(), rest)
}

/// A run into a dataset that another run is writing waits for it, says so, and then does its
/// work: two runs at once would discard each other's staged files.
#[test]
fn a_run_waits_while_another_writes_the_dataset() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", r#"{"call_id":"a","language":"en","turns":[{"speaker":"customer","text":"I called last week"}]}"#);
    let (ok, rest) = run_while_dataset_is_written(
        &ws,
        "out",
        &["scan", "in", "--out", "out"],
        "another run is using out: waiting",
        "out/calls",
    );
    assert!(ok, "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("1 records read = 1 calls written")),
        "{rest:?}"
    );
    let calls = crate::util::read_table(&ws.path("out"), "calls");
    assert_eq!(calls.len(), 1);
}

/// A run that finds nothing to read says so, even with --quiet (cron mails stderr), and still
/// succeeds: a quiet night is possible.
#[test]
fn a_run_without_transcripts_warns_even_when_quiet() {
    let ws = Workspace::new();
    ws.write("night/README.md", "notes");
    for quiet in [false, true] {
        let mut args = vec!["scan", "night", "--out", "out"];
        if quiet {
            args.push("--quiet");
        }
        let out = ws.run(&args);
        assert_eq!(out.status.code(), Some(0));
        let err = stderr(&out);
        assert!(
            err.contains(
                "fcrscan: warning: no transcripts found in night (1 documentation or hidden files skipped)"
            ),
            "{err}"
        );
        assert_eq!(err.lines().count(), if quiet { 1 } else { 2 }, "{err}");
    }
    // A night with a transcript says nothing of the kind.
    ws.write(
        "night/a.jsonl",
        r#"{"call_id":"a","language":"en","turns":[{"speaker":"customer","text":"hello"}]}"#,
    );
    assert!(!stderr(&ws.run(&["scan", "night", "--out", "out", "-q"])).contains("warning"));
}

/// `fcrscan report` waits while a run writes the dataset (a partition being swapped in would be
/// missing from the report), says so, and then reports every call.
#[test]
fn a_report_waits_while_a_run_writes_the_dataset() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", r#"{"call_id":"a","language":"en","turns":[{"speaker":"customer","text":"I called last week"}]}"#);
    assert!(
        ws.run(&["scan", "in", "--out", "out", "-q"])
            .status
            .success()
    );
    let (ok, rest) = run_while_dataset_is_written(
        &ws,
        "out",
        &["report", "out", "--out", "review.html"],
        "a run is writing to out: waiting",
        "review.html",
    );
    assert!(ok, "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("1 calls")), "{rest:?}");
    assert!(ws.path("review.html").is_file());
}

/// `--out s3://bucket/fcr` wrote a local directory named `s3:` and exited 0: a job on
/// Kubernetes would have reported success with nothing in the bucket.
#[test]
fn object_store_urls_are_refused_before_anything_is_written() {
    let ws = Workspace::new();
    ws.write(
        "in/a.jsonl",
        r#"{"call_id":"a","turns":[{"speaker":"customer","text":"hi"}]}"#,
    );
    for args in [
        &["scan", "in", "--out", "s3://bucket/fcr"][..],
        &["scan", "gs://bucket/night/", "--out", "out"],
        &["report", "s3://bucket/fcr", "--out", "r.html"],
    ] {
        let o = ws.run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("not URLs"), "{}", stderr(&o));
    }
    assert!(!ws.path("s3:").exists() && !ws.path("out").exists());
}
