//! FCR end to end: `fcrscan scan` links contacts after writing the calls, night after night,
//! and `fcrscan link` relinks a dataset; the contacts and fcr tables are read back with arrow.
//!
//! The fixture (tests/data/fcr/, described in its README.md) is the worked example of
//! docs/FCR.md split into three nights, plus one call per night that sets the data end. Every
//! expected value below is worked out by hand from the rules in docs/FCR.md, in the comments
//! beside it; none was produced by running the code.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::Output;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::util::{
    Row, Value, Workspace, by_call_id, file_run_ids, manifest, read_table, repo, stderr,
};

/// The fixture file `name` under tests/data/fcr.
fn fixture(name: &str) -> String {
    repo()
        .join("tests/data/fcr")
        .join(name)
        .display()
        .to_string()
}

/// Runs `fcrscan scan FILES --phrases tests/data/fcr/phrases.tsv --out OUT EXTRA…` (the
/// fixture files by name) and checks it succeeded.
fn scan(ws: &Workspace, out: &str, files: &[&str], extra: &[&str]) -> Output {
    let lexicon = fixture("phrases.tsv");
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(files.iter().map(|f| fixture(f)));
    args.extend(["--phrases".into(), lexicon, "--out".into(), out.into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = ws.run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

/// The manifest of the run that printed `output`'s summary: several runs can start within the
/// same second, so run ids do not say which ran last.
fn run_manifest(ws: &Workspace, output: &Output) -> serde_json::Value {
    let message = stderr(output);
    let path = message
        .split("(manifest ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("a manifest path in {message}"));
    serde_json::from_str(&std::fs::read_to_string(ws.dir.path().join(path)).expect("the manifest"))
        .expect("json")
}

/// [`scan`], printing nothing.
fn scan_quietly(ws: &Workspace, out: &str, files: &[&str]) -> Output {
    scan(ws, out, files, &["--quiet"])
}

fn opt_str(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(other.str().to_string()),
    }
}

fn opt_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        other => Some(other.bool()),
    }
}

/// A contacts row as written by hand below: (call_id, customer_id, chain_id, chain_position,
/// prev_call_id, next_call_id, gap_before_s, gap_after_s, repeat, outcome, phrase_evidence,
/// resolved_combined, call_date).
type Contact<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    i64,
    Option<&'a str>,
    Option<&'a str>,
    Option<f64>,
    Option<f64>,
    bool,
    &'a str,
    bool,
    Option<bool>,
    &'a str,
);

/// A contacts row read back (or written out by hand), with its `call_date`.
#[derive(Clone, Debug, PartialEq)]
struct OwnedContact {
    call_id: String,
    customer_id: Option<String>,
    chain_id: String,
    chain_position: i64,
    prev_call_id: Option<String>,
    next_call_id: Option<String>,
    gap_before_s: Option<f64>,
    gap_after_s: Option<f64>,
    repeat: bool,
    outcome: String,
    phrase_evidence: bool,
    resolved_combined: Option<bool>,
    call_date: String,
}

fn owned(c: &Contact<'_>) -> OwnedContact {
    let o = |v: Option<&str>| v.map(str::to_string);
    OwnedContact {
        call_id: c.0.to_string(),
        customer_id: o(c.1),
        chain_id: c.2.to_string(),
        chain_position: c.3,
        prev_call_id: o(c.4),
        next_call_id: o(c.5),
        gap_before_s: c.6,
        gap_after_s: c.7,
        repeat: c.8,
        outcome: c.9.to_string(),
        phrase_evidence: c.10,
        resolved_combined: c.11,
        call_date: c.12.to_string(),
    }
}

fn contact_of(r: &Row) -> OwnedContact {
    OwnedContact {
        call_id: r["call_id"].str().to_string(),
        customer_id: opt_str(&r["customer_id"]),
        chain_id: r["chain_id"].str().to_string(),
        chain_position: r["chain_position"].int(),
        prev_call_id: opt_str(&r["prev_call_id"]),
        next_call_id: opt_str(&r["next_call_id"]),
        gap_before_s: r["gap_before_s"].float(),
        gap_after_s: r["gap_after_s"].float(),
        repeat: r["repeat"].bool(),
        outcome: r["outcome"].str().to_string(),
        phrase_evidence: r["phrase_evidence"].bool(),
        resolved_combined: opt_bool(&r["resolved_combined"]),
        call_date: r["call_date"].str().to_string(),
    }
}

/// Every contacts row of `out`, by call_id.
fn contacts(out: &Path) -> BTreeMap<String, OwnedContact> {
    by_call_id(read_table(out, "contacts"))
        .into_iter()
        .map(|(id, r)| (id, contact_of(&r)))
        .collect()
}

fn assert_contacts(out: &Path, want: &[Contact<'_>]) {
    let got = contacts(out);
    let want: BTreeMap<String, OwnedContact> =
        want.iter().map(|c| (c.0.to_string(), owned(c))).collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (id, w) in &want {
        assert_eq!(&got[id], w, "contacts row of {id}");
    }
}

/// The count columns of the fcr table, in schema order.
const COUNTS: [&str; 10] = [
    "contacts",
    "first_contacts",
    "resolved",
    "unresolved",
    "censored",
    "phrase_repeats",
    "escalations",
    "negative_calls",
    "resolved_combined",
    "unresolved_combined",
];

fn counts_of(r: &Row) -> [i64; 10] {
    COUNTS.map(|c| r[c].int())
}

/// The `fcr` rows of one level, keyed by (call_date, queue, agent_id, channel, language).
type Key = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn fcr_level(out: &Path, level: &str) -> BTreeMap<Key, Row> {
    let mut rows = BTreeMap::new();
    for r in read_table(out, "fcr") {
        if r["level"].str() != level {
            continue;
        }
        let key = (
            r["call_date"].str().to_string(),
            opt_str(&r["queue"]),
            opt_str(&r["agent_id"]),
            opt_str(&r["channel"]),
            opt_str(&r["language"]),
        );
        assert!(
            rows.insert(key.clone(), r).is_none(),
            "one {level} row per key: {key:?}"
        );
    }
    rows
}

/// Counts of the `date` rows, by call_date.
fn date_counts(out: &Path) -> BTreeMap<String, [i64; 10]> {
    fcr_level(out, "date")
        .into_iter()
        .map(|(k, r)| (k.0, counts_of(&r)))
        .collect()
}

fn dates(want: &[(&str, [i64; 10])]) -> BTreeMap<String, [i64; 10]> {
    want.iter().map(|(d, c)| (d.to_string(), *c)).collect()
}

fn close(got: Option<f64>, want: f64) -> bool {
    got.is_some_and(|g| (g - want).abs() < 5e-5)
}

/// The key-value metadata `key` of the first Parquet file of a partition directory.
fn file_metadata(dir: &Path, key: &str) -> Option<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(files.first()?).ok()?).ok()?;
    builder
        .metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
}

/// The worked example of docs/FCR.md (nights 1 and 2) plus z1, which starts at
/// 2026-11-16T00:00Z and so puts the data end where the example puts it. Gaps in seconds:
/// a1→a2 20 min, a2→a3 2 d 4 h 40 min, a3→a4 exactly 7 d, c1→c2 10 min, c2→c3 2 d 9 h 55 min,
/// f1→f2 20 min.
#[rustfmt::skip]
const WORKED_EXAMPLE: [Contact<'static>; 16] = [
    // a1 → a2 is a transfer (a2 starts 10 min after a1 ends); a3 is a chat two days later, a
    // repeat in another channel; a4 starts exactly 7 days after a3, inside the window, and its
    // own window reaches past 11-16: censored.
    ("a1", Some("A"), "a1", 1, None,       Some("a2"), None,            Some(1_200.0),   false, "unresolved",     false, Some(false), "2026-11-02"),
    ("a2", Some("A"), "a1", 2, Some("a1"), Some("a3"), Some(1_200.0),   Some(189_600.0), false, "unresolved",     false, Some(false), "2026-11-02"),
    ("a3", Some("A"), "a1", 3, Some("a2"), Some("a4"), Some(189_600.0), Some(604_800.0), true,  "unresolved",     false, Some(false), "2026-11-04"),
    ("a4", Some("A"), "a1", 4, Some("a3"), None,       Some(604_800.0), None,            true,  "censored",       false, None,        "2026-11-11"),
    // b1 crosses midnight; b2 starts 7 d 1 s after b1, outside the window; b1's window ended
    // 11-09 23:50 ≤ 11-16: resolved; b2's ends 11-16 23:50:01: censored.
    ("b1", Some("B"), "b1", 1, None,       None,       None,            None,            false, "resolved",       false, Some(true),  "2026-11-02"),
    ("b2", Some("B"), "b2", 1, None,       None,       None,            None,            false, "censored",       false, None,        "2026-11-09"),
    // c1 (chat, no duration) → c2 (voice, 10 min after c1's start, after midnight) is a
    // transfer; c3 is a repeat in which the customer also says so.
    ("c1", Some("C"), "c1", 1, None,       Some("c2"), None,            Some(600.0),     false, "unresolved",     false, Some(false), "2026-11-03"),
    ("c2", Some("C"), "c1", 2, Some("c1"), Some("c3"), Some(600.0),     Some(208_500.0), false, "unresolved",     false, Some(false), "2026-11-04"),
    ("c3", Some("C"), "c1", 3, Some("c2"), None,       Some(208_500.0), None,            true,  "resolved",       true,  Some(true),  "2026-11-06"),
    // d1 says "j'ai déjà appelé" with no earlier D contact in the data: a phrase-only repeat.
    ("d1", Some("D"), "d1", 1, None,       None,       None,            None,            false, "resolved",       true,  Some(false), "2026-11-05"),
    // e1 has no start time.
    ("e1", Some("E"), "e1", 1, None,       None,       None,            None,            false, "censored",       false, None,        "unknown"),
    // f1 has no duration, so f2, 20 min after its start, is past the 15-min gap: a repeat.
    ("f1", Some("F"), "f1", 1, None,       Some("f2"), None,            Some(1_200.0),   false, "unresolved",     false, Some(false), "2026-11-03"),
    ("f2", Some("F"), "f1", 2, Some("f1"), None,       Some(1_200.0),   None,            true,  "resolved",       false, Some(true),  "2026-11-03"),
    // No customer id; n1 says "i called last week": a phrase-only repeat.
    ("n1", None,      "n1", 1, None,       None,       None,            None,            false, "no_customer_id", true,  Some(false), "2026-11-04"),
    ("n2", None,      "n2", 1, None,       None,       None,            None,            false, "no_customer_id", false, None,        "2026-11-05"),
    ("z1", Some("Z"), "z1", 1, None,       None,       None,            None,            false, "censored",       false, None,        "2026-11-16"),
];

/// Counts per date of [`WORKED_EXAMPLE`], in the order of [`COUNTS`]: C F R U Z P X N RC UC.
/// The table of docs/FCR.md plus z1 on 11-16.
#[rustfmt::skip]
const WORKED_EXAMPLE_DATES: [(&str, [i64; 10]); 9] = [
    ("2026-11-02", [3, 2, 1, 1, 0, 0, 0, 0, 1, 1]), // a1 (F, U, UC) a2 b1 (F, R, RC)
    ("2026-11-03", [3, 2, 0, 2, 0, 0, 0, 0, 0, 2]), // c1 (F, U, UC) f1 (F, U, UC) f2
    ("2026-11-04", [3, 0, 0, 0, 0, 1, 1, 2, 0, 1]), // a3 (X, N) c2 n1 (P, N, UC)
    ("2026-11-05", [2, 1, 1, 0, 0, 1, 0, 0, 0, 1]), // d1 (F, R, P, UC) n2
    ("2026-11-06", [1, 0, 0, 0, 0, 1, 0, 1, 0, 0]), // c3 (P, N)
    ("2026-11-09", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), // b2 (F, Z)
    ("2026-11-11", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // a4
    ("2026-11-16", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), // z1 (F, Z)
    ("unknown",    [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), // e1 (F, Z)
];

#[test]
fn worked_example_gives_the_documented_contacts_and_counts() {
    let ws = Workspace::new();
    let out = ws.path("out");
    scan_quietly(&ws, "out", &["night1.jsonl", "night2.jsonl"]);
    assert_contacts(&out, &WORKED_EXAMPLE);
    assert_eq!(date_counts(&out), dates(&WORKED_EXAMPLE_DATES));

    let day = &fcr_level(&out, "date");
    let date_row = |d: &str| &day[&(d.to_string(), None, None, None, None)];
    // 2026-11-02: fcr_operational = 1 / (1 + 1) = 0.5, Wilson [0.0945, 0.9055] (docs/FCR.md).
    let r = date_row("2026-11-02");
    assert_eq!(r["fcr_operational"].float(), Some(0.5));
    assert!(close(r["fcr_operational_low"].float(), 0.0945));
    assert!(close(r["fcr_operational_high"].float(), 0.9055));
    // 2026-11-03: fcr_combined = 0 / 2; Wilson at 0 successes: low 0, high z²/(n + z²) =
    // 3.8415 / 5.8415 = 0.6576.
    let r = date_row("2026-11-03");
    assert_eq!(r["fcr_combined"].float(), Some(0.0));
    assert_eq!(r["fcr_combined_low"].float(), Some(0.0));
    assert!(close(r["fcr_combined_high"].float(), 0.6576));
    // 2026-11-04: no first contact, so no operational rate; fcr_phrase = 1 − 1/3.
    let r = date_row("2026-11-04");
    assert!(r["fcr_operational"].is_null() && r["fcr_operational_low"].is_null());
    assert!(close(r["fcr_phrase"].float(), 2.0 / 3.0));

    // FCR belongs to the first contact: on 11-02 the failed chain a1 → a2 → a3 is charged to
    // ag1, who took a1, not to ag2, who took the transfer leg a2; ag2's first contact is b1.
    let agents = fcr_level(&out, "date_agent");
    let agent =
        |a: &str| counts_of(&agents[&("2026-11-02".into(), None, Some(a.into()), None, None)]);
    assert_eq!(agent("ag1"), [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(agent("ag2"), [2, 1, 1, 0, 0, 0, 0, 0, 1, 0]);
    // One full cell: the chat c1 on 11-03, tech queue, ag3, German.
    let cells = fcr_level(&out, "cell");
    let key = (
        "2026-11-03".to_string(),
        Some("tech".to_string()),
        Some("ag3".to_string()),
        Some("chat".to_string()),
        Some("de".to_string()),
    );
    assert_eq!(counts_of(&cells[&key]), [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]);

    let m = manifest(&out);
    assert_eq!(m["settings"]["window"], "7d");
    assert_eq!(m["settings"]["transfer_gap"], "15m");
    assert_eq!(m["settings"]["link_data_end"], "2026-11-16T00:00:00Z");
    assert_eq!(m["rows_written"]["contacts"], 16);
}

#[test]
fn censored_contacts_are_decided_when_a_later_night_arrives() {
    let ws = Workspace::new();
    let out = ws.path("out");

    // Night 1 ends with n2 at 11-05 12:00: no 7-day window has elapsed, so every contact is
    // censored unless a later contact already returned (a3 after a1/a2, f2 after f1).
    scan_quietly(&ws, "out", &["night1.jsonl"]);
    let got: Vec<(String, String)> = contacts(&out)
        .into_values()
        .map(|c| (c.call_id, c.outcome))
        .collect();
    #[rustfmt::skip]
    let want = [
        ("a1", "unresolved"), ("a2", "unresolved"), ("a3", "censored"), ("b1", "censored"),
        ("c1", "censored"), ("c2", "censored"), ("d1", "censored"), ("e1", "censored"),
        ("f1", "unresolved"), ("f2", "censored"), ("n1", "no_customer_id"),
        ("n2", "no_customer_id"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    #[rustfmt::skip]
    let night1 = dates(&[
        ("2026-11-02", [3, 2, 0, 1, 1, 0, 0, 0, 0, 1]), // a1 (U, UC) b1 (Z)
        ("2026-11-03", [3, 2, 0, 1, 1, 0, 0, 0, 0, 1]), // c1 (Z) f1 (U, UC)
        ("2026-11-04", [3, 0, 0, 0, 0, 1, 1, 2, 0, 1]), // a3 c2 n1
        ("2026-11-05", [2, 1, 0, 0, 1, 1, 0, 0, 0, 1]), // d1 (Z, phrase-only: UC) n2
        ("unknown",    [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), // e1
    ]);
    assert_eq!(date_counts(&out), night1);

    // Night 2 brings a4, b2, c3 and z1: the data end moves to 11-16, a4 turns a3 unresolved,
    // c3 turns c1/c2 unresolved, and b1, d1, f2 have had their 7 days: the documented rows.
    scan_quietly(&ws, "out", &["night2.jsonl"]);
    assert_contacts(&out, &WORKED_EXAMPLE);
    assert_eq!(date_counts(&out), dates(&WORKED_EXAMPLE_DATES));

    // Night 3: a5 returns on 11-17 09:00, 5 d 19 h after a4 (500,400 s); y1 moves the data end
    // to 11-21 00:00, past the end of b2's window (11-16 23:50:01).
    let night3_run = scan(&ws, "out", &["night3.jsonl"], &[]);
    let mut want: Vec<Contact<'_>> = WORKED_EXAMPLE.to_vec();
    for c in &mut want {
        match c.0 {
            "a4" => {
                (c.5, c.7, c.9, c.11) = (Some("a5"), Some(500_400.0), "unresolved", Some(false))
            }
            "b2" => (c.9, c.11) = ("resolved", Some(true)),
            _ => {}
        }
    }
    #[rustfmt::skip]
    want.extend([
        ("a5", Some("A"), "a1", 5, Some("a4"), None, Some(500_400.0), None, true,  "censored", false, None, "2026-11-17"),
        ("y1", Some("Y"), "y1", 1, None,       None, None,            None, false, "censored", false, None, "2026-11-21"),
    ]);
    assert_contacts(&out, &want);
    let mut night3 = dates(&WORKED_EXAMPLE_DATES);
    night3.insert("2026-11-09".into(), [1, 1, 1, 0, 0, 0, 0, 0, 1, 0]); // b2 resolved
    night3.insert("2026-11-17".into(), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // a5
    night3.insert("2026-11-21".into(), [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]); // y1
    assert_eq!(date_counts(&out), night3);
    // Only the partitions whose rows changed were rewritten: b2's, a4's and the two new ones.
    let m = run_manifest(&ws, &night3_run);
    assert_eq!(m["rows_written"]["contacts"], 4, "b2, a4, a5, y1");
}

/// Every row of `table`, sorted, for comparing datasets.
fn sorted_rows(out: &Path, table: &str) -> Vec<String> {
    let mut rows: Vec<String> = read_table(out, table)
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    rows.sort();
    rows
}

#[test]
fn nights_run_one_after_another_give_the_same_rows_as_one_run() {
    let ws = Workspace::new();
    let nights = ["night1.jsonl", "night2.jsonl", "night3.jsonl"];
    scan_quietly(&ws, "all", &nights);
    for night in nights {
        scan_quietly(&ws, "nightly", &[night]);
    }
    // A late night: the nights arrive in reverse order, so each run reaches back before the
    // data already held.
    for night in nights.iter().rev() {
        scan_quietly(&ws, "reversed", &[night]);
    }
    for table in ["contacts", "fcr"] {
        let one_run = sorted_rows(&ws.path("all"), table);
        assert_eq!(one_run.len(), if table == "contacts" { 18 } else { 57 });
        assert_eq!(sorted_rows(&ws.path("nightly"), table), one_run, "{table}");
        assert_eq!(sorted_rows(&ws.path("reversed"), table), one_run, "{table}");
    }
}

#[test]
fn rerunning_a_night_leaves_row_counts_unchanged() {
    let ws = Workspace::new();
    let out = ws.path("out");
    scan_quietly(&ws, "out", &["night1.jsonl"]);
    scan_quietly(&ws, "out", &["night2.jsonl"]);
    let tables = ["calls", "hits", "turns", "contacts", "fcr"];
    let before: Vec<Vec<String>> = tables.iter().map(|t| sorted_rows(&out, t)).collect();
    // After a crash, or with fixed input, the same night runs again.
    let rerun = scan(&ws, "out", &["night2.jsonl"], &[]);
    for (table, rows) in tables.iter().zip(&before) {
        assert_eq!(&sorted_rows(&out, table), rows, "{table}");
    }
    assert_eq!(read_table(&out, "contacts").len(), 16);
    let m = run_manifest(&ws, &rerun);
    assert_eq!(
        m["rows_replaced"]["contacts"], m["rows_written"]["contacts"],
        "the re-run replaced the rows it rewrote, one for one"
    );
}

#[test]
fn summing_cells_across_partitions_reproduces_the_rollups() {
    let ws = Workspace::new();
    let out = ws.path("out");
    for night in ["night1.jsonl", "night2.jsonl", "night3.jsonl"] {
        scan_quietly(&ws, "out", &[night]);
    }
    let cells = fcr_level(&out, "cell");
    let sum_by = |key: &dyn Fn(&Key) -> Key| {
        let mut sums: BTreeMap<Key, [i64; 10]> = BTreeMap::new();
        for (k, r) in &cells {
            let total = sums.entry(key(k)).or_default();
            for (t, c) in total.iter_mut().zip(counts_of(r)) {
                *t += c;
            }
        }
        sums
    };
    let level_counts = |level: &str| -> BTreeMap<Key, [i64; 10]> {
        fcr_level(&out, level)
            .iter()
            .map(|(k, r)| (k.clone(), counts_of(r)))
            .collect()
    };
    let date = sum_by(&|k| (k.0.clone(), None, None, None, None));
    let queue = sum_by(&|k| (k.0.clone(), k.1.clone(), None, None, None));
    let agent = sum_by(&|k| (k.0.clone(), None, k.2.clone(), None, None));
    assert_eq!(date, level_counts("date"));
    assert_eq!(queue, level_counts("date_queue"));
    assert_eq!(agent, level_counts("date_agent"));
    // And over every partition: 18 calls, first contacts = resolved + unresolved + censored.
    let total = date.values().fold([0; 10], |mut t, c| {
        t.iter_mut().zip(c).for_each(|(t, c)| *t += c);
        t
    });
    assert_eq!(total, [18, 9, 3, 3, 3, 3, 1, 3, 2, 5]);
    for r in cells.values() {
        let c = counts_of(r);
        assert_eq!(c[1], c[2] + c[3] + c[4]);
    }
}

/// One call a day at 12:00 UTC from 2026-09-01 (`day` 0), each from its own customer.
fn daily_call(day: u32) -> String {
    let date = if day < 30 {
        format!("2026-09-{:02}", day + 1)
    } else {
        format!("2026-10-{:02}", day - 29)
    };
    format!(
        r#"{{"call_id":"k{day:02}","customer_id":"cust{day:02}","agent_id":"ag1","queue":"billing","channel":"voice","language":"en","started_at":"{date}T12:00:00Z","duration_s":60,"turns":[{{"speaker":"customer","text":"hi just a quick question about my account"}}]}}"#
    )
}

#[test]
fn a_night_reads_a_bounded_history_and_rewrites_only_the_partitions_it_changes() {
    let ws = Workspace::new();
    let out = ws.path("out");
    // 40 days of history, 2026-09-01 to 2026-10-10, one call a day, then one night with a call
    // on 2026-10-11.
    let history: Vec<String> = (0..40).map(daily_call).collect();
    ws.write("history/calls.jsonl", history.join("\n"));
    ws.write("night/calls.jsonl", daily_call(40));
    let lexicon = fixture("phrases.tsv");
    let mut last = None;
    for dir in ["history", "night"] {
        let o = ws.run(&["scan", dir, "--phrases", &lexicon, "--out", "out"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        last = Some(o);
    }
    let night = last.expect("two runs");
    let run_of = |date: &str| {
        file_metadata(
            &out.join(format!("contacts/call_date={date}")),
            "fcrscan.run_id",
        )
        .expect("a contacts file with a run id")
    };
    let history_run = run_of("2026-09-01");
    let night_run = run_of("2026-10-11");
    assert_ne!(history_run, night_run);
    // The data end moves from 10-10 12:00 to 10-11 12:00, so the one call whose window closes
    // in between, 10-04 12:00, becomes resolved: its partition is rewritten, no other.
    for day in 0..40 {
        let date = if day < 30 {
            format!("2026-09-{:02}", day + 1)
        } else {
            format!("2026-10-{:02}", day - 29)
        };
        let want = if date == "2026-10-04" {
            &night_run
        } else {
            &history_run
        };
        assert_eq!(&run_of(&date), want, "contacts of {date}");
    }
    let rows = by_call_id(read_table(&out, "contacts"));
    assert_eq!(rows["k33"]["outcome"].str(), "resolved"); // 10-04
    assert_eq!(rows["k34"]["outcome"].str(), "censored"); // 10-05 + 7 d > 10-11 12:00
    // The night read the calls from 4 windows before the last day held before it:
    // 2026-10-10 − 28 d = 2026-09-12, not the whole history.
    assert_eq!(
        run_manifest(&ws, &night)["settings"]["link_history_from"],
        "2026-09-12"
    );
}

/// A call of customer T on `day` (2026-11-01 + day) at 10:00 with the given words.
fn topic_call(day: u32, text: &str) -> String {
    format!(
        r#"{{"call_id":"t{day:02}","customer_id":"T","agent_id":"ag1","queue":"tech","channel":"voice","language":"en","started_at":"2026-11-{:02}T10:00:00Z","duration_s":120,"turns":[{{"speaker":"customer","text":"{text}"}}]}}"#,
        day + 1
    )
}

#[test]
fn chains_older_than_the_history_a_night_reads_keep_their_ids_and_positions() {
    // Customer T calls every day for 25 days under --same-issue --window 3d: day 0 without a
    // topic, then alternately about a bill (odd days) and about no signal (even days). Each
    // call links to the latest earlier call within 3 days that shares its topic, else to the
    // untagged t00: t01 → t00, t02 → t00 (t01 is billing), then t(d) → t(d−2). One chain, t00,
    // with two branches whose positions interleave by time: t(d) is at position d + 1.
    // The night of day d recomputes from day d − 1 − 2·3 and reads from day d − 1 − 4·3, so
    // from day 14 on it reads neither t00 nor the start of either branch: positions must
    // continue from the stored rows of both branches' anchors.
    let ws = Workspace::new();
    ws.write(
        "topics.tsv",
        "phrase\tcategory\tlanguage\nmy bill\ttopic_billing\ten\nno signal\ttopic_outage\ten\n",
    );
    let days = 25u32;
    let text = |d: u32| match d {
        0 => "hi i have a question",
        d if d % 2 == 1 => "hi its about my bill again",
        _ => "hi theres still no signal here",
    };
    for d in 0..days {
        ws.write(
            &format!("in/night{d:02}/calls.jsonl"),
            topic_call(d, text(d)),
        );
    }
    let args = |input: &str, out: &str| -> Vec<String> {
        [
            "scan",
            input,
            "--phrases",
            "topics.tsv",
            "--out",
            out,
            "--quiet",
            "--same-issue",
            "--window",
            "3d",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = ws.run(&a);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    for d in 0..days {
        run(args(&format!("in/night{d:02}"), "nightly"));
    }
    run(args("in", "all"));
    assert_eq!(
        sorted_rows(&ws.path("nightly"), "contacts"),
        sorted_rows(&ws.path("all"), "contacts")
    );
    assert_eq!(
        sorted_rows(&ws.path("nightly"), "fcr"),
        sorted_rows(&ws.path("all"), "fcr")
    );
    let rows = contacts(&ws.path("nightly"));
    for d in 0..days {
        let row = &rows[&format!("t{d:02}")];
        let prev = match d {
            0 => None,
            1 | 2 => Some("t00".to_string()),
            d => Some(format!("t{:02}", d - 2)),
        };
        // The last two calls have no later call sharing their topic, and the data ends at
        // t24's start: censored. Every other call is followed by t(d+2) within 2 days.
        let outcome = if d + 2 >= days {
            "censored"
        } else {
            "unresolved"
        };
        assert_eq!(
            (
                row.chain_id.as_str(),
                row.chain_position,
                row.prev_call_id.clone(),
                row.outcome.as_str()
            ),
            ("t00", i64::from(d) + 1, prev, outcome),
            "t{d:02}"
        );
    }
}

#[test]
fn changing_the_window_relinks_everything_once() {
    let ws = Workspace::new();
    let out = ws.path("out");
    scan_quietly(&ws, "out", &["night1.jsonl", "night2.jsonl"]);
    let o = ws.run(&["link", "out", "--window", "3d", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // With a 3-day window a4 (7 days after a3) links to nothing: its own chain, resolved since
    // 11-11 14:00 + 3 d ≤ 11-16; a3 (11-04 14:00 + 3 d = 11-07) is resolved. a2 → a3 (2 d 4 h
    // 40 min) is still a repeat.
    let rows = contacts(&out);
    assert_eq!(
        (
            rows["a4"].chain_id.as_str(),
            rows["a4"].chain_position,
            rows["a4"].outcome.as_str()
        ),
        ("a4", 1, "resolved")
    );
    assert_eq!(
        (rows["a3"].next_call_id.clone(), rows["a3"].outcome.as_str()),
        (None, "resolved")
    );
    assert_eq!(rows["a2"].outcome, "unresolved");

    // The next nightly run uses the default 7 days: the stored rows were linked with other
    // options, so it relinks everything, and says so.
    let o = scan(&ws, "out", &["night2.jsonl"], &[]);
    let message = stderr(&o);
    assert!(
        message.contains("Relinked every call (the linking options changed from window=3d"),
        "{message}"
    );
    assert_contacts(&out, &WORKED_EXAMPLE);
}

#[test]
fn a_relink_leaves_a_manifest_of_its_options_and_of_what_it_rewrote() {
    let ws = Workspace::new();
    let out = ws.path("out");
    scan_quietly(&ws, "out", &["night1.jsonl", "night2.jsonl"]);
    let o = ws.run(&["link", "out", "--window", "3d"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = run_manifest(&ws, &o);
    assert_eq!(m["command"], "link");
    let run_id = m["run_id"].as_str().unwrap();
    assert!(run_id.contains("-link"), "{run_id}");
    // The options the contacts and fcr tables now follow, not the scan's 7 days.
    assert_eq!(m["settings"]["window"], "3d");
    assert_eq!(m["settings"]["transfer_gap"], "15m");
    assert_eq!(m["settings"]["link_full_relink"], "requested");
    assert!(
        m["settings"]["jobs"]
            .as_str()
            .is_some_and(|j| j.parse::<usize>().unwrap() >= 1)
    );

    // What it says it did is what the tables hold.
    let calls = read_table(&out, "calls").len() as u64;
    let contacts = read_table(&out, "contacts");
    let fcr_rows = read_table(&out, "fcr").len() as u64;
    assert_eq!(m["calls_linked"], calls);
    assert_eq!(m["rows_written"]["contacts"], contacts.len() as u64);
    assert_eq!(m["rows_written"]["fcr"], fcr_rows);
    let counts = &m["fcr_counts"];
    assert_eq!(counts["contacts"], calls);
    let first_contacts: Vec<&Row> = contacts
        .iter()
        .filter(|r| r["prev_call_id"] == Value::Null && r["outcome"].str() != "no_customer_id")
        .collect();
    assert_eq!(counts["first_contacts"], first_contacts.len() as u64);
    for name in ["resolved", "unresolved", "censored"] {
        let n = first_contacts
            .iter()
            .filter(|r| r["outcome"].str() == name)
            .count();
        assert_eq!(counts[name], n as u64, "{name}");
    }
    let mut dates: Vec<String> = std::fs::read_dir(out.join("contacts"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().replace("call_date=", ""))
        .collect();
    dates.sort();
    assert_eq!(m["partitions_rewritten"], serde_json::json!(dates));
    // Every contacts file was written by this run.
    for date in &dates {
        let partition = out.join("contacts").join(format!("call_date={date}"));
        for (file, id) in file_run_ids(&partition) {
            assert_eq!(id, run_id, "{date}/{file}");
        }
    }
}

#[test]
fn bad_linking_options_are_usage_errors_that_say_what_to_write() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", r#"{"call_id":"a","turns":[{"text":"hi"}]}"#);
    let o = ws.run(&["scan", "in", "--out", "out", "--window", "7"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("has no unit: write 7d for days"),
        "{}",
        stderr(&o)
    );
    let o = ws.run(&[
        "scan",
        "in",
        "--out",
        "out",
        "--window",
        "1h",
        "--transfer-gap",
        "2h",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must be shorter than the repeat window"),
        "{}",
        stderr(&o)
    );
    assert!(!ws.path("out").exists(), "nothing is written");
    let o = ws.run(&["link", "in"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("holds no calls table"),
        "{}",
        stderr(&o)
    );
}

/// A small deterministic generator (64-bit LCG, Knuth's constants), so the calls below are the
/// same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn many_nights_in_any_order_agree_with_one_run() {
    // 150 calls over 30 days from 3 customers (and some without an id), in two channels, some
    // minutes apart (transfers), some without a duration; one night per day, most in order,
    // every fifth pair of days swapped (a night delivered late). Linked with a 3-day window
    // and --same-channel so chains outlive what each night reads. The nightly dataset must
    // end equal to one run over all calls.
    let ws = Workspace::new();
    let mut rng = Lcg(0x5eed);
    let mut nights: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut last_start = 0;
    for i in 0..150u64 {
        // Mostly hours apart; one call in five follows the previous one within minutes.
        let start = if i > 0 && rng.below(5) == 0 {
            last_start + 60 * (1 + rng.below(20))
        } else {
            i * 30 * 86_400 / 150 + rng.below(4 * 3_600)
        };
        last_start = start;
        let day = start / 86_400;
        let customer = match rng.below(5) {
            3 | 4 => String::new(),
            c => format!(r#""customer_id":"u{c}","#),
        };
        let channel = ["voice", "chat"][rng.below(2) as usize];
        let duration = match rng.below(4) {
            0 => String::new(),
            _ => format!(r#""duration_s":{},"#, 60 + rng.below(900)),
        };
        let text = [
            "i called last week about this",
            "hi a quick question",
            "im frustrated",
        ][rng.below(3) as usize];
        let (date, tod) = (day + 1, start % 86_400);
        nights.entry(day).or_default().push(format!(
            r#"{{"call_id":"r{i:03}",{customer}"agent_id":"ag{}","queue":"q{}","channel":"{channel}","language":"en",{duration}"started_at":"2026-11-{date:02}T{:02}:{:02}:{:02}Z","turns":[{{"speaker":"customer","text":"{text}"}}]}}"#,
            rng.below(3),
            rng.below(2),
            tod / 3_600,
            tod / 60 % 60,
            tod % 60,
        ));
    }
    let mut order: Vec<u64> = nights.keys().copied().collect();
    for pair in order.chunks_mut(2).step_by(5) {
        pair.reverse();
    }
    let lexicon = fixture("phrases.tsv");
    let link = ["--window", "3d", "--same-channel", "--quiet"];
    // The same nights again, linked in shards of a few customers at a time: the rows must not
    // depend on the shard size.
    let sharded = ["--link-shard-calls", "4"];
    for (k, day) in order.iter().enumerate() {
        let dir = format!("in/{day:02}");
        ws.write(&format!("{dir}/calls.jsonl"), nights[day].join("\n"));
        for (out, extra) in [("nightly", &[][..]), ("nightly_sharded", &sharded[..])] {
            let mut args = vec!["scan", &dir, "--phrases", &lexicon, "--out", out];
            args.extend(link);
            args.extend(extra);
            let o = ws.run(&args);
            assert_eq!(o.status.code(), Some(0), "night {k}: {}", stderr(&o));
        }
    }
    let mut args = vec!["scan", "in", "--phrases", &lexicon, "--out", "all"];
    args.extend(link);
    let o = ws.run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read_table(&ws.path("all"), "contacts").len(), 150);
    // One run in shards, then a full relink of it in smaller shards, on one thread.
    let mut args = vec!["scan", "in", "--phrases", &lexicon, "--out", "all_sharded"];
    args.extend(link);
    args.extend(["--link-shard-calls", "7"]);
    let o = ws.run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut args = vec![
        "link",
        "all_sharded",
        "--link-shard-calls",
        "3",
        "--jobs",
        "1",
    ];
    args.extend(link);
    let o = ws.run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = contacts(&ws.path("all"));
    for out in ["nightly", "nightly_sharded", "all_sharded"] {
        let other = contacts(&ws.path(out));
        assert_eq!(other.len(), all.len(), "{out}");
        for (id, row) in &all {
            assert_eq!(&other[id], row, "{out}: {id}");
        }
        assert_eq!(
            sorted_rows(&ws.path(out), "fcr"),
            sorted_rows(&ws.path("all"), "fcr"),
            "{out}"
        );
    }
}
