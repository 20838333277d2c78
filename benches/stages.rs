//! Micro-benchmarks of the hot stages, per byte of input: parse (canonical JSON), fold (text
//! normalisation), match (automaton + rules over folded text) and write (Parquet rows).
//!
//! `cargo bench --bench stages` — the input is a deterministic, multilingual sample of calls
//! built here, so the figures do not depend on any file outside the repository. The end-to-end
//! side-by-side is `benches/run.sh` (docs/PERFORMANCE.md).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use fcrscan::ingest::canonical::parse_call;
use fcrscan::lexicon::Lexicon;
use fcrscan::matcher::{Matcher, Scratch};
use fcrscan::model::SourceRef;
use fcrscan::normalize::{Folded, fold_into, fold_text_into};
use fcrscan::output::rows::{TranscriptPolicy, call_date, write_call};
use fcrscan::output::{DatasetWriter, writer_properties};
use fcrscan::scan::Scanner;
use fcrscan::zone::Zone;

const TURNS: &[(&str, &str)] = &[
    (
        "agent",
        "Thank you for calling, my name is Sam, how can I help you today?",
    ),
    (
        "customer",
        "Hi, I already called last week about my internet, it keeps dropping every evening.",
    ),
    (
        "agent",
        "I'm sorry to hear that. Can I have your account number, please?",
    ),
    (
        "customer",
        "sure it's the one ending in 4411 and honestly this is really frustrating",
    ),
    (
        "customer",
        "Ya llamé dos veces por lo mismo y nadie me soluciona nada, quiero hablar con un supervisor.",
    ),
    ("customer", "저번에 전화했었는데 아직도 해결이 안 됐어요"),
    ("customer", "先週も電話したんですけど、まだ直っていません"),
    (
        "customer",
        "我上次打过电话，你们说会处理，可是到现在还没有解决",
    ),
    (
        "agent",
        "I completely understand. Let me check the line from here.",
    ),
    (
        "customer",
        "Saya sudah menelepon minggu lalu tapi masalahnya belum selesai juga.",
    ),
];

fn sample_lines(calls: usize) -> Vec<String> {
    (0..calls)
        .map(|i| {
            let turns: Vec<String> = (0..30)
                .map(|t| {
                    let (speaker, text) = TURNS[(i + t) % TURNS.len()];
                    format!(r#"{{"speaker":"{speaker}","start_s":{t},"end_s":{},"text":"{text}"}}"#, t + 1)
                })
                .collect();
            format!(
                r#"{{"call_id":"c{i}","customer_id":"u{}","language":"en","started_at":"2026-11-02T10:00:00Z","turns":[{}]}}"#,
                i % 97,
                turns.join(",")
            )
        })
        .collect()
}

fn stages(c: &mut Criterion) {
    let lines = sample_lines(200);
    let bytes: usize = lines.iter().map(String::len).sum();
    let texts: Vec<&str> = TURNS.iter().map(|(_, t)| *t).collect();
    let text_bytes: usize = texts.iter().map(|t| t.len()).sum();
    let lexicon = Lexicon::embedded().expect("embedded lexicons");
    let matcher = Matcher::new(&lexicon).expect("matcher");

    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(parse_call(line.as_bytes(), SourceRef::line("b".into(), 1)).ok());
            }
        })
    });
    g.throughput(Throughput::Bytes(text_bytes as u64));
    let mut folded = Folded::new();
    g.bench_function("fold_text", |b| {
        b.iter(|| {
            for t in &texts {
                fold_text_into(black_box(t), &mut folded);
            }
        })
    });
    g.bench_function("fold_with_map", |b| {
        b.iter(|| {
            for t in &texts {
                fold_into(black_box(t), &mut folded);
            }
        })
    });
    let mut scratch = Scratch::new();
    let mut hits = Vec::new();
    g.bench_function("match", |b| {
        b.iter(|| {
            hits.clear();
            // The sample turns as the turns of one call.
            let turns = black_box(&texts).iter().copied();
            matcher.scan_turns(turns, None, &mut scratch, &mut hits);
        })
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    let scanner = Scanner::new(lexicon.clone()).expect("scanner");
    let scanned: Vec<_> = lines
        .iter()
        .map(|l| {
            scanner.scan(
                parse_call(l.as_bytes(), SourceRef::line("b".into(), 1)).expect("valid"),
                &mut scratch,
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    g.bench_function("write", |b| {
        b.iter(|| {
            let props = writer_properties("bench", &scanner.fingerprint, &Zone::utc());
            let mut out = DatasetWriter::create(dir.path(), "bench", props).expect("writer");
            for s in &scanned {
                write_call(
                    &mut out,
                    s,
                    &call_date(s, &Zone::utc()),
                    &scanner.lexicon,
                    &scanner.fingerprint,
                    TranscriptPolicy::Flagged,
                )
                .expect("write");
            }
            black_box(out.finish().expect("finish"));
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
