//! The bundled samples against the expectations a person wrote for them
//! (samples/EXPECTED.tsv): flags, language and the sign of customer sentiment, in every
//! shipped language, hard negatives included.

use std::collections::BTreeMap;

use crate::util::{Workspace, by_call_id, read_table, repo, stderr};

struct Expected {
    language: String,
    repeat_contact: bool,
    escalation: bool,
    sentiment: String,
    why: String,
}

fn expectations() -> BTreeMap<String, Expected> {
    let text =
        std::fs::read_to_string(repo().join("samples/EXPECTED.tsv")).expect("samples/EXPECTED.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header[..5],
        [
            "call_id",
            "language",
            "repeat_contact",
            "escalation",
            "customer_sentiment"
        ]
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let flag = |s: &str| match s {
                "true" => true,
                "false" => false,
                other => panic!("bad flag {other:?} in {l}"),
            };
            (
                f[0].to_string(),
                Expected {
                    language: f[1].to_string(),
                    repeat_contact: flag(f[2]),
                    escalation: flag(f[3]),
                    sentiment: f[4].to_string(),
                    why: f.get(5).unwrap_or(&"").to_string(),
                },
            )
        })
        .collect()
}

#[test]
fn sample_flags_match_their_written_expectations() {
    let ws = Workspace::new();
    let samples = repo().join("samples");
    let out = ws.run(&["scan", samples.to_str().unwrap(), "--out", "out", "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the samples scan cleanly: {}",
        stderr(&out)
    );
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let expected = expectations();
    assert_eq!(
        calls.len(),
        expected.len(),
        "every sample call has an expectation"
    );
    let mut failures = Vec::new();
    for (id, e) in &expected {
        let Some(c) = calls.get(id) else {
            failures.push(format!("{id}: not in the calls table"));
            continue;
        };
        let mut check = |what: &str, got: String, want: String| {
            if got != want {
                failures.push(format!(
                    "{id}: {what} is {got}, expected {want} ({})",
                    e.why
                ));
            }
        };
        check(
            "language",
            c["language"].str().to_string(),
            e.language.clone(),
        );
        check(
            "repeat_contact",
            c["repeat_contact"].bool().to_string(),
            e.repeat_contact.to_string(),
        );
        check(
            "escalation",
            c["escalation"].bool().to_string(),
            e.escalation.to_string(),
        );
        let s = c["sentiment"].float().unwrap_or(0.0);
        match e.sentiment.as_str() {
            "negative" if s >= 0.0 => check("sentiment sign", format!("{s}"), "negative".into()),
            "positive" if s <= 0.0 => check("sentiment sign", format!("{s}"), "positive".into()),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} sample calls differ:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
}

#[test]
fn samples_cover_every_lexicon_language_and_both_outcomes() {
    let expected = expectations();
    for lang in [
        "en", "es", "pt", "de", "fr", "id", "vi", "ko", "ja", "zh-Hans", "zh-Hant", "hi", "ar",
    ] {
        let of_lang: Vec<&Expected> = expected.values().filter(|e| e.language == lang).collect();
        assert!(
            of_lang.iter().any(|e| e.repeat_contact),
            "{lang}: a repeat contact"
        );
        assert!(
            of_lang.iter().any(|e| e.escalation),
            "{lang}: an escalation"
        );
        assert!(
            of_lang.iter().any(|e| !e.repeat_contact && !e.escalation),
            "{lang}: an unflagged call"
        );
    }
}
