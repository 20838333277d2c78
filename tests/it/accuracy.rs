//! Detection quality on the labelled sets (labelled by a person, written independently of the
//! lexicons): precision and recall per language and category.
//!
//! `tests/data/eval` is split by call number: odd numbers are the **dev** half (lexicon authors
//! may look at their misses), even numbers the **test** half (nobody tunes against it).
//! `tests/data/eval2` was written after the lexicon review of 2026-12-07, without the lexicons,
//! and is held out whole. `cargo test --test it accuracy -- --nocapture` prints the tables,
//! kept in docs/ACCURACY.md. The floors asserted on the held-out calls are the measured
//! figures rounded down, so a lexicon change that loses ground fails the build instead of
//! passing silently.

use std::collections::BTreeMap;

use crate::util::{Workspace, by_call_id, read_table, repo};

#[derive(Default, Clone, Copy)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Tally {
    fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fp)
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fn_)
        }
    }
}

struct Labels {
    language: String,
    is_test: bool,
    repeat_contact: bool,
    escalation: bool,
    sentiment: String,
}

/// The labels of the set in `tests/data/<set>`; `held_out` tells by call number which calls
/// are test calls.
fn labels(set: &str, held_out: fn(u32) -> bool) -> BTreeMap<String, Labels> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("tests/data").join(set))
        .unwrap()
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        let language = path.file_stem().unwrap().to_string_lossy().into_owned();
        for line in std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let l = &v["labels"];
            let call_id = v["call_id"].as_str().unwrap().to_string();
            let number: u32 = call_id.rsplit('-').next().unwrap().parse().unwrap();
            out.insert(
                call_id,
                Labels {
                    language: language.clone(),
                    is_test: held_out(number),
                    repeat_contact: l["repeat_contact"].as_bool().unwrap(),
                    escalation: l["escalation"].as_bool().unwrap(),
                    sentiment: l["customer_sentiment"].as_str().unwrap().to_string(),
                },
            );
        }
    }
    out
}

/// Scans the labelled set `tests/data/<set>` and returns per-language tallies for
/// repeat_contact, escalation and negative sentiment (customer sentiment < 0 against the label
/// `negative`), for the dev calls and the held-out calls.
fn measure(set: &str, held_out: fn(u32) -> bool) -> [BTreeMap<String, [Tally; 3]>; 2] {
    let ws = Workspace::new();
    let eval = repo().join("tests/data").join(set);
    let out = ws.run(&["scan", eval.to_str().unwrap(), "--out", "out", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    let calls = by_call_id(read_table(&ws.path("out"), "calls"));
    let mut halves: [BTreeMap<String, [Tally; 3]>; 2] = Default::default();
    for (id, l) in labels(set, held_out) {
        let c = &calls[&id];
        let t = halves[usize::from(l.is_test)]
            .entry(l.language.clone())
            .or_default();
        t[0].add(c["repeat_contact"].bool(), l.repeat_contact);
        t[1].add(c["escalation"].bool(), l.escalation);
        t[2].add(
            c["sentiment"].float().unwrap_or(0.0) < 0.0,
            l.sentiment == "negative",
        );
    }
    halves
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Prints one half's table and returns its totals.
fn table(name: &str, per_lang: &BTreeMap<String, [Tally; 3]>) -> [Tally; 3] {
    let mut total = [Tally::default(); 3];
    println!("\n{name}\n");
    println!(
        "| language | repeat P | repeat R | escalation P | escalation R | negative P | negative R |"
    );
    println!("|---|---|---|---|---|---|---|");
    let row = |name: &str, t: &[Tally; 3]| {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            pct(t[0].precision()),
            pct(t[0].recall()),
            pct(t[1].precision()),
            pct(t[1].recall()),
            pct(t[2].precision()),
            pct(t[2].recall())
        )
    };
    for (lang, t) in per_lang {
        for i in 0..3 {
            total[i].tp += t[i].tp;
            total[i].fp += t[i].fp;
            total[i].fn_ += t[i].fn_;
        }
        row(lang, t);
    }
    row("**all**", &total);
    let counts: Vec<String> = total
        .iter()
        .map(|t| format!("tp {} fp {} fn {}", t.tp, t.fp, t.fn_))
        .collect();
    println!(
        "\ncounts (repeat, escalation, negative): {}",
        counts.join("; ")
    );
    total
}

#[test]
fn precision_and_recall_on_the_labelled_set() {
    let [dev, test] = measure("eval", |n| n.is_multiple_of(2));
    table(
        "dev half (odd call numbers; lexicon authors may study its misses)",
        &dev,
    );
    let total = table("test half (even call numbers; held out)", &test);
    assert_eq!(test.len(), 13, "every lexicon language is measured");
    // Floors on the held-out half: the measured totals rounded down (see docs/ACCURACY.md).
    let floors = [
        (FLOOR_REPEAT_P, FLOOR_REPEAT_R),
        (FLOOR_ESCALATION_P, FLOOR_ESCALATION_R),
        (FLOOR_NEGATIVE_P, FLOOR_NEGATIVE_R),
    ];
    assert_floors(&total, &floors);
}

#[test]
fn precision_and_recall_on_the_second_held_out_set() {
    let [dev, held_out] = measure("eval2", |_| true);
    assert!(dev.is_empty());
    let total = table(
        "second held-out set (tests/data/eval2, written after the 2026-12-07 lexicon review)",
        &held_out,
    );
    assert_eq!(held_out.len(), 13, "every lexicon language is measured");
    assert_floors(&total, &EVAL2_FLOORS);
}

/// Fails when a category's precision or recall is under its (precision, recall) floor.
fn assert_floors(total: &[Tally; 3], floors: &[(f64, f64); 3]) {
    for (i, (p, r)) in floors.iter().enumerate() {
        assert!(
            total[i].precision() >= *p,
            "category {i}: precision {} < {p}",
            total[i].precision()
        );
        assert!(
            total[i].recall() >= *r,
            "category {i}: recall {} < {r}",
            total[i].recall()
        );
    }
}

const FLOOR_REPEAT_P: f64 = 0.95;
const FLOOR_REPEAT_R: f64 = 0.50;
const FLOOR_ESCALATION_P: f64 = 0.95;
const FLOOR_ESCALATION_R: f64 = 0.80;
const FLOOR_NEGATIVE_P: f64 = 0.95;
const FLOOR_NEGATIVE_R: f64 = 0.40;

/// The second held-out set's measured totals (2026-12-07), rounded down: (precision, recall)
/// for repeat contact, escalation and negative sentiment.
const EVAL2_FLOORS: [(f64, f64); 3] = [(0.85, 0.65), (0.95, 0.80), (0.95, 0.60)];
