//! `--timezone`: call dates are local dates, start times without an offset are local times, and
//! a dataset keeps the zone it was written in.

use std::collections::BTreeMap;
use std::fs::File;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::util::{Workspace, read_table, stderr};

const LEXICON: &str = "phrase\tcategory\tlanguage\n\
i called last week\trepeat_contact\ten\n\
thank you\tsentiment_positive\ten\n";

/// A canonical record for customer `customer`.
fn call(id: &str, customer: &str, started_at: &str, text: &str) -> String {
    format!(
        r#"{{"call_id":"{id}","customer_id":"{customer}","language":"en","started_at":"{started_at}","turns":[{{"speaker":"customer","text":"{text}"}},{{"speaker":"agent","text":"let me check"}}]}}"#
    )
}

/// call_id → (started_at in µs UTC, call_date) of the calls table.
fn starts(ws: &Workspace) -> BTreeMap<String, (i64, String)> {
    read_table(&ws.path("out"), "calls")
        .into_iter()
        .map(|r| {
            (
                r["call_id"].str().to_string(),
                (r["started_at"].int(), r["call_date"].str().to_string()),
            )
        })
        .collect()
}

/// µs since the epoch of an RFC 3339 time with an offset.
fn us(rfc3339: &str) -> i64 {
    fcrscan::ingest::time::parse_rfc3339_us(rfc3339).expect("a time")
}

fn scan(ws: &Workspace, input: &str, zone: Option<&str>) -> std::process::Output {
    let mut args = vec![
        "scan",
        input,
        "--phrases",
        "lex.tsv",
        "--out",
        "out",
        "--quiet",
    ];
    if let Some(zone) = zone {
        args.extend(["--timezone", zone]);
    }
    ws.run(&args)
}

#[test]
fn call_dates_are_local_dates_in_the_datasets_time_zone() {
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    ws.write(
        "night1/calls.jsonl",
        [
            // 08:30 in Seoul, written without an offset: 23:30 UTC the day before.
            call("s1", "c1", "2026-11-02 08:30:00", "I called last week"),
            // An instant late on 11-02 UTC is 08:30 on 11-03 in Seoul.
            call("s2", "c2", "2026-11-02T23:30:00Z", "thank you"),
            call("s3", "c3", "2026-11-02T10:00:00+09:00", "thank you"),
        ]
        .join("\n"),
    );
    // A metadata file's start time without an offset is local time too.
    ws.write(
        "night1/meta.csv",
        "call_id,started_at\ns3,2026-11-02 07:00:00\n",
    );
    let out = ws.run(&[
        "scan",
        "night1/calls.jsonl",
        "--metadata",
        "night1/meta.csv",
        "--phrases",
        "lex.tsv",
        "--out",
        "out",
        "--quiet",
        "--timezone",
        "Asia/Seoul",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = |pairs: &[(&str, &str, &str)]| -> BTreeMap<String, (i64, String)> {
        pairs
            .iter()
            .map(|(id, at, date)| (id.to_string(), (us(at), date.to_string())))
            .collect()
    };
    let night1 = [
        ("s1", "2026-11-01T23:30:00Z", "2026-11-02"),
        ("s2", "2026-11-02T23:30:00Z", "2026-11-03"),
        ("s3", "2026-11-01T22:00:00Z", "2026-11-02"),
    ];
    assert_eq!(starts(&ws), expected(&night1));

    // The fcr table counts each call on its local date.
    let mut per_date: Vec<(String, i64)> = read_table(&ws.path("out"), "fcr")
        .into_iter()
        .filter(|r| r["level"].str() == "date")
        .map(|r| (r["call_date"].str().to_string(), r["contacts"].int()))
        .collect();
    per_date.sort();
    assert_eq!(
        per_date,
        [("2026-11-02".to_string(), 2), ("2026-11-03".to_string(), 1)]
    );

    // Every file says which zone its dates are in, and so does the run's manifest.
    for table in ["calls", "hits", "contacts", "fcr"] {
        let dir = ws.path("out").join(table).join("call_date=2026-11-02");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let reader = SerializedFileReader::new(File::open(&file).unwrap()).unwrap();
        let zone = reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kvs| kvs.iter().find(|kv| kv.key == "fcrscan.timezone"))
            .and_then(|kv| kv.value.clone());
        assert_eq!(zone.as_deref(), Some("Asia/Seoul"), "{table}");
    }
    assert_eq!(
        crate::util::manifest(&ws.path("out"))["settings"]["timezone"],
        "Asia/Seoul"
    );

    // The next night needs no --timezone: the dataset's zone is kept. 08:00 on 11-04 in Seoul is
    // 11-03 in UTC.
    ws.write(
        "night2/calls.jsonl",
        call("s4", "c1", "2026-11-04 08:00:00", "I called last week"),
    );
    let out = scan(&ws, "night2", None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        starts(&ws)["s4"],
        (us("2026-11-03T23:00:00Z"), "2026-11-04".to_string())
    );

    // Another zone is refused, and nothing is written.
    ws.write(
        "night3/calls.jsonl",
        call("s5", "c9", "2026-11-05 08:00:00", "thank you"),
    );
    let out = scan(&ws, "night3", Some("UTC"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("counts its call dates in Asia/Seoul, not UTC"),
        "{err}"
    );
    assert!(!starts(&ws).contains_key("s5"));

    // `show` prints the start in the dataset's zone.
    let shown = ws.run(&["show", "out", "s1", "--color", "never"]);
    assert_eq!(shown.status.code(), Some(0), "{}", stderr(&shown));
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(text.contains("2026-11-02 08:30 KST"), "{text}");

    // Relinking keeps the local dates.
    let relinked = ws.run(&["link", "out", "--quiet"]);
    assert_eq!(relinked.status.code(), Some(0), "{}", stderr(&relinked));
    let mut contacts: Vec<(String, String)> = read_table(&ws.path("out"), "contacts")
        .into_iter()
        .map(|r| {
            (
                r["call_id"].str().to_string(),
                r["call_date"].str().to_string(),
            )
        })
        .collect();
    contacts.sort();
    let dates: Vec<(String, String)> = starts(&ws)
        .into_iter()
        .map(|(id, (_, date))| (id, date))
        .collect();
    assert_eq!(contacts, dates);
}

#[test]
fn an_unknown_zone_is_a_usage_error() {
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    ws.write(
        "in/calls.jsonl",
        call("x1", "c1", "2026-11-02 08:30:00", "thank you"),
    );
    let out = scan(&ws, "in", Some("Seoul"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown time zone \"Seoul\""),
        "{}",
        stderr(&out)
    );
    assert!(!ws.path("out/calls").exists());
}

#[test]
fn a_zone_is_the_same_zone_under_its_other_names() {
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    ws.write(
        "night1/calls.jsonl",
        call("k1", "c1", "2026-11-02 03:00:00", "thank you"),
    );
    ws.write(
        "night2/calls.jsonl",
        call("k2", "c1", "2026-11-03 03:00:00", "I called last week"),
    );
    // The old name on the first night, the primary one on the next: one zone.
    let out = scan(&ws, "night1", Some("Asia/Calcutta"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan(&ws, "night2", Some("Asia/Kolkata"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // 03:00 in Kolkata is 21:30 UTC the day before.
    assert_eq!(
        starts(&ws)["k2"],
        (us("2026-11-02T21:30:00Z"), "2026-11-03".to_string())
    );
    assert_eq!(
        crate::util::manifest(&ws.path("out"))["settings"]["timezone"],
        "Asia/Kolkata"
    );
}
