//! Bad input: every record is accounted for, each reject names its file, line and reason, and
//! the good records still make a complete calls table.

use std::io::Write;

use crate::util::{Workspace, by_call_id, manifest, read_table, stderr};

fn good(id: &str) -> String {
    format!(
        r#"{{"call_id":"{id}","language":"en","turns":[{{"speaker":"customer","text":"hello there"}}]}}"#
    )
}

/// The corrupted input set of issue #3: bad JSON lines, invalid UTF-8, a truncated .gz, an
/// empty file, a binary file, missing call_id, empty turns, a duplicate call_id.
fn corrupted_inputs(ws: &Workspace) {
    let mut lines = vec![
        good("g1"),
        "{\"call_id\": \"broken\", \"turns\": [".to_string(),
        good("g2"),
        r#"{"turns":[{"text":"no id"}]}"#.to_string(),
    ];
    lines.push(r#"{"call_id":"empty","turns":[]}"#.to_string());
    lines.push(good("g1"));
    let mut mixed = lines.join("\n").into_bytes();
    // Line 7: invalid UTF-8 inside a string (the byte 0xE9 alone is Latin-1 "é").
    mixed.extend_from_slice(b"\n{\"call_id\":\"latin1\",\"turns\":[{\"text\":\"caf\xe9\"}]}\n");
    mixed.extend_from_slice(good("g3").as_bytes());
    ws.write("in/mixed.jsonl", mixed);

    // A gzip stream cut in half: the calls before the cut are kept, the rest is one reject.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..2000 {
        writeln!(enc, "{}", good(&format!("z{i:04}"))).unwrap();
    }
    let gz = enc.finish().unwrap();
    ws.write("in/truncated.jsonl.gz", &gz[..gz.len() / 2]);
    ws.write("in/empty.jsonl", "");
    ws.write("in/blob.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
}

#[test]
fn corrupted_inputs_become_rejects_and_the_run_goes_on() {
    let ws = Workspace::new();
    corrupted_inputs(&ws);
    let out = ws.run(&["scan", "in", "--out", "out"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "some records rejected: exit 3\n{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("in/mixed.jsonl:2: invalid JSON"), "{err}");
    assert!(err.contains("records read ="), "{err}");

    let rejects = read_table(&ws.path("out"), "rejects");
    let codes: Vec<(String, Option<i64>, String)> = rejects
        .iter()
        .map(|r| {
            (
                r["source_file"].str().to_string(),
                (!r["source_line"].is_null()).then(|| r["source_line"].int()),
                r["reason_code"].str().to_string(),
            )
        })
        .collect();
    let expect = [
        ("in/blob.json", None, "binary_file"),
        ("in/empty.jsonl", None, "empty_file"),
        ("in/mixed.jsonl", Some(2), "invalid_json"),
        ("in/mixed.jsonl", Some(4), "missing_call_id"),
        ("in/mixed.jsonl", Some(5), "empty_turns"),
        ("in/mixed.jsonl", Some(6), "duplicate_call_id"),
        ("in/mixed.jsonl", Some(7), "invalid_utf8"),
    ];
    for (file, line, code) in expect {
        assert!(
            codes.contains(&(file.to_string(), line, code.to_string())),
            "missing {file}:{line:?} {code} in {codes:#?}"
        );
    }
    assert!(
        codes.iter().any(|(f, l, c)| f == "in/truncated.jsonl.gz"
            && l.is_some()
            && c == "truncated_compression"),
        "{codes:#?}"
    );
    assert_eq!(rejects.len(), 8);

    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    for id in ["g1", "g2", "g3"] {
        assert!(calls.contains_key(id), "{id} is kept");
    }
    let from_gz = calls.keys().filter(|k| k.starts_with('z')).count();
    assert!(
        from_gz > 0 && from_gz < 2000,
        "the readable part of the truncated gzip is kept: {from_gz}"
    );

    let m = manifest(&ws.path("out"));
    let c = &m["counts"];
    assert_eq!(c["records_rejected"], 8);
    assert_eq!(c["calls_written"].as_u64().unwrap(), calls.len() as u64);
    assert_eq!(
        c["records_read"].as_u64().unwrap(),
        calls.len() as u64 + 8,
        "read = written + rejected"
    );
    assert_eq!(m["accounting_balanced"], true);
}

#[test]
fn a_missing_input_path_is_a_reject_not_a_crash() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", good("a"));
    let out = ws.run(&["scan", "in", "nowhere", "--out", "out"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("nowhere: cannot read: no such file or directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_table(&ws.path("out"), "calls").len(), 1);
}

#[test]
fn an_unwritable_output_is_fatal_and_says_where() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", good("a"));
    ws.write("out", "a file, not a directory");
    let out = ws.run(&["scan", "in", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("fcrscan: error: scanning into out: creating output directory out"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_spreadsheet_saved_in_a_legacy_code_page_is_named_by_line_with_how_to_convert_it() {
    // Excel's "CSV" format writes Windows-1252: é is the lone byte 0xE9.
    let ws = Workspace::new();
    ws.write(
        "in/turns.csv",
        b"call_id,speaker,text\r\nc1,agent,Bonjour\r\nc1,customer,J'ai d\xe9j\xe0 appel\xe9\r\n",
    );
    ws.write("in/good.jsonl", good("g1") + "\n");
    let out = ws.run(&["scan", "in", "--out", "out"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("in/turns.csv:3: not valid UTF-8 text (byte 0xE9)"),
        "{err}"
    );
    assert!(err.contains("iconv -f WINDOWS-1252 -t UTF-8"), "{err}");
    let rejects = read_table(&ws.path("out"), "rejects");
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["reason_code"].str(), "invalid_utf8");
    assert_eq!(rejects[0]["source_line"].int(), 3);
    assert!(by_call_id(read_table(&ws.path("out"), "calls")).contains_key("g1"));
}
