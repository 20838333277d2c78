//! `fcrscan phrases check` and `fcrscan phrases list`.

use crate::util::{Workspace, stderr};

#[test]
fn check_reports_problems_with_file_and_line() {
    let ws = Workspace::new();
    ws.write(
        "lex/en/escalation.txt",
        "# escalation\nspeak to a manager\nSpeak to a MANAGER!\n",
    );
    ws.write("lex/en/exclusion.txt", "first time calling\n");
    ws.write("lex/xx/escalation.txt", "boss\n");
    let out = ws.run(&["phrases", "check", "lex"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("lex/en/escalation.txt:3: duplicate of en/escalation.txt:2"),
        "{err}"
    );
    assert!(
        err.contains("lex/en/exclusion.txt:1: an exclusion is written `<category>: <phrase>`"),
        "{err}"
    );
    assert!(
        err.contains("lex/xx/escalation.txt:0: unknown language directory \"xx\""),
        "{err}"
    );
}

#[test]
fn the_shipped_lexicons_check_clean() {
    let ws = Workspace::new();
    let out = ws.run(&["phrases", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn list_counts_phrases_per_language_and_category() {
    let ws = Workspace::new();
    ws.write(
        "p.tsv",
        "phrase\tcategory\tlanguage\na\trepeat\ten\nb\trepeat\ten\nc\tescalation\tko\n",
    );
    let out = ws.run(&["phrases", "list", "p.tsv"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("en\trepeat_contact\t2\n"), "{stdout}");
    assert!(stdout.contains("ko\tescalation\t1\n"), "{stdout}");
    assert!(stdout.ends_with("total\t\t3\n"), "{stdout}");
}

#[test]
fn a_bad_lexicon_stops_the_scan_before_any_work() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", r#"{"call_id":"a","turns":[{"text":"hi"}]}"#);
    ws.write(
        "bad.tsv",
        "phrase\tcategory\tlanguage\nhello\tgreeting\ten\n",
    );
    let out = ws.run(&["scan", "in", "--phrases", "bad.tsv", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "fcrscan: error: loading lexicon bad.tsv: bad.tsv:2: unknown category \"greeting\""
    );
    assert!(!ws.path("out").exists());
}

#[test]
fn check_reads_a_phrase_table_and_reports_every_bad_row() {
    let ws = Workspace::new();
    // A spreadsheet export: semicolons, with three bad rows after a good one.
    ws.write(
        "team.csv",
        "phrase;category;language\r\n\
         i called yesterday;repeat;en\r\n\
         supervisor please;escalaton;en\r\n\
         ???;repeat;en\r\n\
         manager escalation en\r\n\
         i called yesterday;repeat;en\r\n",
    );
    let out = ws.run(&["phrases", "check", "team.csv"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "team.csv:3: unknown category \"escalaton\"",
            "team.csv:4: phrase \"???\" is empty once case and punctuation are folded",
            "team.csv:5: the row has 1 field(s), the header 3: fields are separated by a ';'",
            "team.csv:6: duplicate of team.csv:2 (\"i called yesterday\" folds to the same text)",
            "checked 2 phrases in team.csv: 4 problem(s)",
        ],
        "{err}"
    );

    // A scan names the first and counts the rest.
    ws.write("in/a.jsonl", r#"{"call_id":"a","turns":[{"text":"hi"}]}"#);
    let out = ws.run(&["scan", "in", "--phrases", "team.csv", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "team.csv:3: unknown category \"escalaton\" (and 2 more problem(s): `fcrscan phrases check` lists them all)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_says_when_a_lexicon_has_no_phrases() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("empty")).unwrap();
    let out = ws.run(&["phrases", "check", "empty"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("empty: no phrases"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn extra_phrases_add_to_the_embedded_lexicons() {
    let ws = Workspace::new();
    ws.write(
        "team.tsv",
        "phrase\tcategory\tlanguage\nraise a formal dispute\tescalation\ten\nturbo plan\ttopic_product\ten\n",
    );
    ws.write(
        "in/a.jsonl",
        r#"{"call_id":"a","language":"en","turns":[{"speaker":"agent","text":"thank you for calling"},{"speaker":"customer","text":"I called last week and now I want to raise a formal dispute about the turbo plan"}]}"#,
    );
    let out = ws.run(&[
        "scan",
        "in",
        "--extra-phrases",
        "team.tsv",
        "--out",
        "out",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut hits: Vec<(String, String)> = crate::util::read_table(&ws.path("out"), "hits")
        .into_iter()
        .map(|r| {
            (
                r["category"].str().to_string(),
                r["phrase"].str().to_string(),
            )
        })
        .collect();
    hits.sort();
    // "i called last week" is the embedded lexicons'; the other two the team's.
    assert_eq!(
        hits,
        [
            (
                "escalation".to_string(),
                "raise a formal dispute".to_string()
            ),
            (
                "repeat_contact".to_string(),
                "i called last week".to_string()
            ),
            ("topic_product".to_string(), "turbo plan".to_string()),
        ]
    );
    let m = crate::util::manifest(&ws.path("out"));
    assert_eq!(
        m["lexicon"]["source"],
        "embedded default lexicons + team.tsv"
    );
}
