//! `fcrscan scan` end to end on small fixtures: layout, values read back with arrow.

use crate::util::{Workspace, by_call_id, file_run_ids, manifest, read_table};

const LEXICON: &str = "phrase\tcategory\tlanguage\n\
i called last week\trepeat_contact\ten\n\
already called\trepeat_contact\ten\n\
speak to a manager\tescalation\ten\n\
frustrated\tsentiment_negative\ten\n\
thank you\tsentiment_positive\ten\n\
helpful\tsentiment_positive\ten\n\
not\tnegator\ten\n\
já liguei\trepeat_contact\tpt\n\
저번에 전화했는데\trepeat_contact\tko\n";

const CALLS: &str = r#"{"call_id":"a1","customer_id":"u1","agent_id":"ag7","queue":"billing","channel":"voice","language":"en-US","started_at":"2026-11-02T23:59:30Z","duration_s":120,"turns":[{"speaker":"agent","start_s":0,"end_s":3,"text":"Thanks for calling, how can I help?"},{"speaker":"customer","start_s":4,"end_s":9,"text":"I called last week and I'm frustrated. Let me Speak To A Manager."}]}
{"call_id":"a2","language":"pt-BR","started_at":"2026-11-03T00:00:10+01:00","turns":[{"speaker":"customer","text":"Eu ja liguei ontem"}]}
{"call_id":"a3","turns":[{"speaker":"customer","text":"저번에 전화 했는데요 아직도 안 돼요"}]}
{"call_id":"a4","language":"en","started_at":"2026-11-03T10:00:00Z","turns":[{"speaker":"agent","text":"I already called the courier for you."},{"speaker":"customer","text":"That was not helpful, but thank you"}]}
"#;

fn scan_fixture() -> (Workspace, std::process::Output) {
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    ws.write("in/calls.jsonl", CALLS);
    let out = ws.run(&[
        "scan",
        "in",
        "--phrases",
        "lex.tsv",
        "--out",
        "out",
        "--quiet",
    ]);
    (ws, out)
}

#[test]
fn writes_the_hive_layout_with_call_date_partitions() {
    let (ws, out) = scan_fixture();
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    for dir in [
        "calls/call_date=2026-11-02",
        "calls/call_date=2026-11-02",
        "calls/call_date=unknown",
        "hits/call_date=2026-11-02",
    ] {
        assert!(
            ws.path(&format!("out/{dir}/part-00000.parquet")).exists(),
            "{dir}"
        );
    }
    // 00:00:10+01:00 is 23:00:10 UTC the day before: the partition is the UTC date.
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls["a2"]["call_date"].str(), "2026-11-02");
    assert_eq!(calls["a4"]["call_date"].str(), "2026-11-03");
    assert!(!ws.path("out/_staging").exists());
    assert_eq!(std::fs::read_dir(ws.path("out/runs")).unwrap().count(), 1);
}

#[test]
fn flags_and_metadata_are_read_back_with_their_values() {
    let (ws, _) = scan_fixture();
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let a1 = &calls["a1"];
    assert!(a1["repeat_contact"].bool());
    assert!(a1["escalation"].bool());
    assert_eq!(a1["repeat_contact_hits"].int(), 1);
    assert_eq!(a1["customer_id"].str(), "u1");
    assert_eq!(a1["queue"].str(), "billing");
    assert_eq!(a1["language"].str(), "en");
    assert_eq!(a1["language_source"].str(), "given");
    assert_eq!(a1["first_repeat_cue_s"].float(), Some(4.0));
    // One negative cue, no positive: -1 / (1 + 1).
    assert_eq!(a1["sentiment"].float(), Some(-0.5));
    assert_eq!(a1["started_at"].int(), 1_793_663_970_000_000);
    assert!(
        calls["a2"]["repeat_contact"].bool(),
        "accent-insensitive pt match"
    );
    let a3 = &calls["a3"];
    assert_eq!(a3["language"].str(), "ko");
    assert_eq!(a3["language_source"].str(), "detected");
    assert!(
        a3["repeat_contact"].bool(),
        "Korean matches whatever the spacing"
    );
    let a4 = &calls["a4"];
    assert!(
        !a4["repeat_contact"].bool(),
        "the agent's 'already called' does not count"
    );
    // "not helpful" is a negated positive (-1) and "thank you" a positive (+1): 0 / 3.
    assert_eq!(a4["sentiment"].float(), Some(0.0));
    assert_eq!(a4["negative_hits"].int(), 1);
    assert_eq!(a4["positive_hits"].int(), 1);
}

#[test]
fn hits_carry_speaker_original_words_and_character_offsets() {
    let (ws, _) = scan_fixture();
    let hits = read_table(&ws.path("out"), "hits");
    let manager = hits
        .iter()
        .find(|h| h["category"].str() == "escalation")
        .expect("an escalation hit");
    assert_eq!(manager["call_id"].str(), "a1");
    assert_eq!(manager["speaker"].str(), "customer");
    assert_eq!(manager["matched_text"].str(), "Speak To A Manager");
    assert_eq!(manager["phrase"].str(), "speak to a manager");
    let text = "I called last week and I'm frustrated. Let me Speak To A Manager.";
    let start = text.find("Speak").unwrap() as i64;
    assert_eq!(
        (manager["char_start"].int(), manager["char_end"].int()),
        (start, start + 18)
    );
    assert_eq!(manager["start_s"].float(), Some(4.0));
    let agent_hit = hits
        .iter()
        .find(|h| h["call_id"].str() == "a4" && h["category"].str() == "repeat_contact")
        .unwrap();
    assert_eq!(agent_hit["speaker"].str(), "agent");
    assert!(!agent_hit["counted"].bool());
    let ko = hits.iter().find(|h| h["call_id"].str() == "a3").unwrap();
    assert_eq!(ko["matched_text"].str(), "저번에 전화 했는데");
    assert_eq!((ko["char_start"].int(), ko["char_end"].int()), (0, 10));
}

#[test]
fn flagged_transcripts_go_to_the_turns_table() {
    let (ws, _) = scan_fixture();
    let turns = read_table(&ws.path("out"), "turns");
    let ids: std::collections::BTreeSet<&str> = turns.iter().map(|t| t["call_id"].str()).collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["a1", "a2", "a3"],
        "a4 is not flagged"
    );
}

#[test]
fn manifest_accounts_for_every_record() {
    let (ws, _) = scan_fixture();
    let m = manifest(&ws.path("out"));
    assert_eq!(m["counts"]["records_read"], 4);
    assert_eq!(m["counts"]["calls_written"], 4);
    assert_eq!(m["counts"]["records_rejected"], 0);
    assert_eq!(m["accounting_balanced"], true);
    assert_eq!(m["counts"]["calls_flagged"]["repeat_contact"], 3);
    assert_eq!(m["lexicon"]["phrases"], 9);
    assert_eq!(m["rows_written"]["calls"], 4);
}

#[test]
fn rescanning_replaces_rows_instead_of_duplicating_them() {
    let (ws, _) = scan_fixture();
    let before = read_table(&ws.path("out"), "hits").len();
    // A corrected transcript of a1 arrives alone: its rows are replaced, the others kept.
    ws.write("fix/a1.jsonl", r#"{"call_id":"a1","started_at":"2026-11-02T23:59:30Z","language":"en","turns":[{"speaker":"customer","text":"all good now, thank you"}]}"#);
    let out = ws.run(&[
        "scan",
        "fix",
        "--phrases",
        "lex.tsv",
        "--out",
        "out",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls.len(), 4);
    assert!(!calls["a1"]["repeat_contact"].bool());
    let hits = read_table(&ws.path("out"), "hits");
    assert_eq!(
        hits.iter().filter(|h| h["call_id"].str() == "a1").count(),
        1
    );
    assert_eq!(hits.len(), before - 3 + 1);
    let turns = read_table(&ws.path("out"), "turns");
    assert!(
        turns.iter().all(|t| t["call_id"].str() != "a1"),
        "a1 is no longer flagged"
    );
}

/// Runs `fcrscan scan <input> --out out` in `ws` and returns the manifest it wrote.
fn scan_again(ws: &Workspace, input: &[&str]) -> serde_json::Value {
    let runs = ws.path("out/runs");
    let before: std::collections::BTreeSet<_> = std::fs::read_dir(&runs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let mut args = vec!["scan"];
    args.extend(input);
    args.extend(["--phrases", "lex.tsv", "--out", "out", "--quiet"]);
    let out = ws.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let new: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new.len(), 1, "one manifest per run");
    serde_json::from_str(&std::fs::read_to_string(&new[0]).unwrap()).unwrap()
}

/// `(call_id, call_date)` of every row of `table`, sorted.
fn ids_and_dates(out: &std::path::Path, table: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = read_table(out, table)
        .into_iter()
        .map(|r| {
            (
                r["call_id"].str().to_string(),
                r["call_date"].str().to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// `pairs` as [`ids_and_dates`] returns them.
fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_call_scanned_again_with_its_start_time_leaves_the_unknown_partition() {
    // A night's transcripts came without their metadata: u1 and u2 have no start time, so their
    // rows go to call_date=unknown. The metadata of u1 arrives the next night.
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    ws.write(
        "night/calls.jsonl",
        concat!(
            r#"{"call_id":"u1","customer_id":"c1","language":"en","turns":[{"speaker":"customer","text":"I called last week and I am frustrated"}]}"#,
            "\n",
            r#"{"call_id":"u2","customer_id":"c2","language":"en","turns":[{"speaker":"customer","text":"I already called"}]}"#,
            "\n",
            r#"{"call_id":"d1","customer_id":"c3","language":"en","started_at":"2026-11-02T08:00:00Z","turns":[{"speaker":"customer","text":"thank you"}]}"#,
            "\n"
        ),
    );
    let m = scan_again(&ws, &["night"]);
    assert_eq!(m["rows_written"]["calls"], 3);
    let out = ws.path("out");
    let hits_of = |id: &str| {
        read_table(&out, "hits")
            .into_iter()
            .filter(|r| r["call_id"].str() == id)
            .map(|r| r["call_date"].str().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(hits_of("u1"), ["unknown", "unknown"]);

    ws.write(
        "late/u1.jsonl",
        r#"{"call_id":"u1","customer_id":"c1","language":"en","started_at":"2026-11-03T09:00:00Z","turns":[{"speaker":"customer","text":"I called last week and I am frustrated"}]}"#,
    );
    let m = scan_again(&ws, &["late"]);
    // u1 moved to its date: its calls and hits rows in `unknown` are gone, u2's stay.
    assert_eq!(m["rows_replaced"]["calls"], 1, "{m}");
    assert_eq!(m["rows_replaced"]["hits"], 2, "{m}");
    let dates = |table: &str| ids_and_dates(&out, table);
    let one_each = expected(&[
        ("d1", "2026-11-02"),
        ("u1", "2026-11-03"),
        ("u2", "unknown"),
    ]);
    assert_eq!(dates("calls"), one_each);
    assert_eq!(hits_of("u1"), ["2026-11-03", "2026-11-03"]);
    // The link step rewrote the unknown partition of contacts too: one row per call.
    assert_eq!(dates("contacts"), one_each);

    // u2's metadata arrives: the unknown partitions go.
    ws.write(
        "later/u2.jsonl",
        r#"{"call_id":"u2","customer_id":"c2","language":"en","started_at":"2026-11-03T10:00:00Z","turns":[{"speaker":"customer","text":"I already called"}]}"#,
    );
    scan_again(&ws, &["later"]);
    for table in ["calls", "hits", "contacts"] {
        assert!(
            !out.join(table).join("call_date=unknown").exists(),
            "{table}: {:?}",
            dates(table)
        );
    }
    assert_eq!(
        dates("calls"),
        expected(&[
            ("d1", "2026-11-02"),
            ("u1", "2026-11-03"),
            ("u2", "2026-11-03")
        ])
    );
    assert_eq!(dates("contacts"), dates("calls"));
}

#[test]
fn a_call_scanned_again_with_another_date_leaves_its_old_date() {
    // m1 was stored under 2026-11-02 with a start time an hour off (a time-zone error); its
    // corrected transcript puts it on 2026-11-03.
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    let call = |id: &str, started_at: &str, text: &str| {
        format!(
            r#"{{"call_id":"{id}","customer_id":"c-{id}","language":"en","started_at":"{started_at}","turns":[{{"speaker":"customer","text":"{text}"}}]}}"#
        )
    };
    ws.write(
        "night/calls.jsonl",
        [
            call(
                "m1",
                "2026-11-02T23:30:00Z",
                "I called last week and I am frustrated",
            ),
            call("k1", "2026-11-02T08:00:00Z", "thank you"),
        ]
        .join("\n"),
    );
    scan_again(&ws, &["night"]);
    let out = ws.path("out");
    ws.write(
        "fix/m1.jsonl",
        call(
            "m1",
            "2026-11-03T00:30:00Z",
            "I called last week and I am frustrated",
        ),
    );
    let m = scan_again(&ws, &["fix"]);
    assert_eq!(m["rows_replaced"]["calls"], 1, "{m}");
    assert_eq!(m["rows_replaced"]["hits"], 2, "{m}");
    let one_each = expected(&[("k1", "2026-11-02"), ("m1", "2026-11-03")]);
    for table in ["calls", "contacts"] {
        assert_eq!(ids_and_dates(&out, table), one_each, "{table}");
    }
    assert_eq!(
        ids_and_dates(&out, "hits"),
        expected(&[
            ("k1", "2026-11-02"),
            ("m1", "2026-11-03"),
            ("m1", "2026-11-03")
        ])
    );

    // k1, the last call of 2026-11-02, moves to the day before: that date's partitions go from
    // every table, the fcr table's included.
    ws.write(
        "fix2/k1.jsonl",
        call("k1", "2026-11-01T23:00:00Z", "thank you"),
    );
    scan_again(&ws, &["fix2"]);
    for table in ["calls", "hits", "turns", "contacts", "fcr"] {
        assert!(
            !out.join(table).join("call_date=2026-11-02").exists(),
            "{table} keeps 2026-11-02"
        );
    }
    let moved = expected(&[("k1", "2026-11-01"), ("m1", "2026-11-03")]);
    assert_eq!(ids_and_dates(&out, "calls"), moved);
    assert_eq!(ids_and_dates(&out, "contacts"), moved);

    // More than a week away, the earlier rows are not looked for (docs/SCHEMA.md): they stay.
    ws.write(
        "far/m1.jsonl",
        call(
            "m1",
            "2026-11-20T10:00:00Z",
            "I called last week and I am frustrated",
        ),
    );
    scan_again(&ws, &["far"]);
    assert_eq!(
        ids_and_dates(&out, "calls"),
        expected(&[
            ("k1", "2026-11-01"),
            ("m1", "2026-11-03"),
            ("m1", "2026-11-20")
        ])
    );
}

#[test]
fn files_written_with_a_byte_order_mark_lose_no_record() {
    // PowerShell 5's `Out-File` and Excel's UTF-8 exports start a file with a byte order mark,
    // and `cat` of two such files leaves one at the start of a line; lines end in CRLF.
    let ws = Workspace::new();
    ws.write("lex.tsv", LEXICON);
    let record = |id: &str| {
        format!(
            "\u{feff}{{\"call_id\":\"{id}\",\"turns\":[{{\"speaker\":\"customer\",\"text\":\"I already called\"}}]}}\r\n"
        )
    };
    ws.write("night/a.jsonl", record("a1") + &record("a2"));
    ws.write("night/b.json", record("b1"));
    let m = scan_again(&ws, &["night"]);
    assert_eq!(m["counts"]["records_rejected"], 0, "{m}");
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls.len(), 3);
    assert!(
        ["a1", "a2", "b1"]
            .iter()
            .all(|id| calls[*id]["repeat_contact"].bool())
    );
}

#[test]
fn earlier_files_are_kept_whole_rewritten_or_dropped_by_what_a_rescan_replaces() {
    let (ws, out) = scan_fixture();
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let day = ws.path("out/calls/call_date=2026-11-02");
    let first_run = file_run_ids(&day)["part-00000.parquet"].clone();
    let ids = |ws: &Workspace| -> Vec<String> {
        by_call_id(read_table(&ws.path("out"), "calls"))
            .into_keys()
            .collect()
    };

    // A new call on the same day: the earlier file's rows are all kept, and it is carried over
    // as it was written (its footer still names the run that wrote it).
    ws.write(
        "more/b1.jsonl",
        r#"{"call_id":"b1","language":"en","started_at":"2026-11-02T12:00:00Z","turns":[{"speaker":"customer","text":"I already called"}]}"#,
    );
    let m = scan_again(&ws, &["more"]);
    assert_eq!(m["rows_replaced"]["calls"], 0);
    let files = file_run_ids(&day);
    assert_eq!(files.len(), 2, "{files:?}");
    let second_run = m["run_id"].as_str().unwrap().to_string();
    let mut runs: Vec<&String> = files.values().collect();
    runs.sort();
    let mut expected = vec![&first_run, &second_run];
    expected.sort();
    assert_eq!(runs, expected, "{files:?}");
    assert_eq!(ids(&ws), ["a1", "a2", "a3", "a4", "b1"]);
    let hits_before_the_fix = read_table(&ws.path("out"), "hits").len();

    // a1 corrected: the first run's file holds a1 and a2, so it is rewritten with a2 alone;
    // b1's file is carried over untouched.
    ws.write(
        "fix/a1.jsonl",
        r#"{"call_id":"a1","started_at":"2026-11-02T23:59:30Z","language":"en","turns":[{"speaker":"customer","text":"all good now, thank you"}]}"#,
    );
    let m = scan_again(&ws, &["fix"]);
    assert_eq!(m["rows_replaced"]["calls"], 1);
    let files = file_run_ids(&day);
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(
        files.values().filter(|r| **r == second_run).count(),
        1,
        "b1's file is kept as written: {files:?}"
    );
    assert!(!files.values().any(|r| *r == first_run), "{files:?}");
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(
        calls.keys().collect::<Vec<_>>(),
        ["a1", "a2", "a3", "a4", "b1"]
    );
    assert!(!calls["a1"]["repeat_contact"].bool());
    assert!(calls["b1"]["repeat_contact"].bool());

    // The first two inputs scanned again: every earlier row of the day is replaced, no earlier
    // file is left, and nothing is lost or doubled.
    let m = scan_again(&ws, &["in", "more"]);
    assert_eq!(m["rows_replaced"]["calls"], 5);
    let files = file_run_ids(&day);
    let third_run = m["run_id"].as_str().unwrap();
    assert!(files.values().all(|r| r == third_run), "{files:?}");
    assert_eq!(ids(&ws), ["a1", "a2", "a3", "a4", "b1"]);
    assert_eq!(
        read_table(&ws.path("out"), "hits").len(),
        hits_before_the_fix
    );
}

#[test]
fn untagged_chats_in_latin_letters_are_read_in_their_language() {
    // Customers often write Hindi (Hinglish) and Arabic (Arabizi) in Latin letters; the chat
    // export names no language.
    let ws = Workspace::new();
    ws.write(
        "in/chats.jsonl",
        concat!(
            r#"{"call_id":"h1","started_at":"2026-11-02T10:00:00Z","turns":["#,
            r#"{"speaker":"agent","text":"Namaste, main aapki kya madad kar sakta hoon?"},"#,
            r#"{"speaker":"customer","text":"maine pehle bhi call kiya tha, abhi tak mera refund nahi aaya"},"#,
            r#"{"speaker":"agent","text":"ji main check karta hoon"},"#,
            r#"{"speaker":"customer","text":"mujhe aapke senior se baat karni hai"}]}"#,
            "\n",
            r#"{"call_id":"z1","started_at":"2026-11-02T11:00:00Z","turns":["#,
            r#"{"speaker":"agent","text":"ahlan, ezay a2dar asa3dak?"},"#,
            r#"{"speaker":"customer","text":"ana etasalt 2abl keda w lessa el moshkela mat7alletsh"},"#,
            r#"{"speaker":"customer","text":"3ayez akalem el modeer law sama7t"}]}"#,
            "\n"
        ),
    );
    let out = ws.run(&["scan", "in", "--out", "out", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let h1 = &calls["h1"];
    assert_eq!(h1["language"].str(), "hi");
    assert_eq!(h1["language_source"].str(), "detected");
    assert!(h1["repeat_contact"].bool(), "pehle bhi call kiya tha");
    assert!(h1["escalation"].bool(), "senior se baat karni hai");
    let z1 = &calls["z1"];
    assert_eq!(z1["language"].str(), "ar");
    assert_eq!(z1["language_source"].str(), "detected");
    assert!(z1["repeat_contact"].bool(), "etasalt 2abl keda");
    assert!(z1["escalation"].bool(), "3ayez akalem el modeer");
}

#[test]
fn a_chinese_call_tagged_zh_is_matched_in_the_script_it_is_written_in() {
    // Whisper and many engines tag Mandarin `zh` (or `chinese`) whichever script they write.
    let ws = Workspace::new();
    ws.write(
        "in/calls.jsonl",
        concat!(
            r#"{"call_id":"t1","language":"zh","started_at":"2026-11-02T10:00:00Z","turns":["#,
            r#"{"speaker":"agent","text":"您好，請問有什麼可以幫您？"},"#,
            r#"{"speaker":"customer","text":"我上次打過電話，到現在還沒有解決"}]}"#,
            "\n",
            r#"{"call_id":"s1","language":"chinese","started_at":"2026-11-02T10:00:00Z","turns":["#,
            r#"{"speaker":"agent","text":"您好，请问有什么可以帮您？"},"#,
            r#"{"speaker":"customer","text":"我上次打过电话，到现在还没有解决"}]}"#,
            "\n"
        ),
    );
    let out = ws.run(&["scan", "in", "--out", "out", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert_eq!(calls["t1"]["language"].str(), "zh-Hant");
    assert!(calls["t1"]["repeat_contact"].bool(), "我上次打過電話");
    assert_eq!(calls["s1"]["language"].str(), "zh-Hans");
    assert!(calls["s1"]["repeat_contact"].bool(), "我上次打过电话");
}

#[test]
fn speakers_numbered_by_a_diarizer_get_their_roles_inferred() {
    let ws = Workspace::new();
    ws.write(
        "in/calls.jsonl",
        concat!(
            r#"{"call_id":"n1","language":"en","started_at":"2026-11-02T10:00:00Z","turns":["#,
            r#"{"speaker":0,"text":"Thank you for calling Acme, this is Dana, how can I help you?"},"#,
            r#"{"speaker":1,"text":"Hi, I called last week about my bill and it is still wrong"},"#,
            r#"{"speaker":0,"text":"I'm sorry about that, let me check your account"}]}"#,
            "\n"
        ),
    );
    let out = ws.run(&["scan", "in", "--out", "out", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let mut turns: Vec<(i64, String, String)> = read_table(&ws.path("out"), "turns")
        .into_iter()
        .map(|r| {
            (
                r["turn"].int(),
                r["speaker"].str().to_string(),
                r["speaker_label"].str().to_string(),
            )
        })
        .collect();
    turns.sort();
    let roles: Vec<(&str, &str)> = turns
        .iter()
        .map(|(_, s, l)| (s.as_str(), l.as_str()))
        .collect();
    assert_eq!(roles, [("agent", "0"), ("customer", "1"), ("agent", "0")]);
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    assert!(calls["n1"]["repeat_contact"].bool());
}

#[test]
fn a_file_named_twice_is_read_once() {
    // A job's paths overlap: the night's directory, and a file inside it.
    let ws = Workspace::new();
    ws.write(
        "night/calls.jsonl",
        r#"{"call_id":"d1","language":"en","turns":[{"speaker":"customer","text":"I called last week"}]}"#,
    );
    let out = ws.run(&[
        "scan",
        "night",
        "night/calls.jsonl",
        "--out",
        "out",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let m = manifest(&ws.path("out"));
    assert_eq!(m["counts"]["files"], 1, "{m}");
    assert_eq!(m["counts"]["files_skipped"], 1, "{m}");
    assert_eq!(m["counts"]["records_rejected"], 0, "{m}");
    assert_eq!(read_table(&ws.path("out"), "calls").len(), 1);
}
