#!/usr/bin/env python3
"""Reads the dataset of a scan of samples/ back with DuckDB and pyarrow, independently of the
Rust code, and checks it against samples/EXPECTED.tsv (written by a person) and the layout
contract in docs/SCHEMA.md. Run from the repository root after `cargo build`:

    python3 tests/read_back.py
"""
import csv
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import duckdb
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "debug" / "fcrscan"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / "out"
    run = subprocess.run([str(BIN), "scan", str(ROOT / "samples"), "--out", str(out), "--quiet"])
    check(run.returncode == 0, f"scan of samples/ exits 0 (got {run.returncode})")

    calls_glob = f"{out}/calls/**/*.parquet"
    # Acceptance query of issue #3, as a data team would write it.
    rows = duckdb.sql(
        f"select language, count(*), avg(repeat_contact::int) from read_parquet('{calls_glob}', hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    print("language, calls, repeat rate:", rows)
    langs = {r[0] for r in rows}
    for lang in ["en", "es", "pt", "de", "fr", "id", "vi", "ko", "ja", "zh-Hans", "zh-Hant", "hi", "ar"]:
        check(lang in langs, f"DuckDB sees calls in {lang}")

    with open(ROOT / "samples" / "EXPECTED.tsv", newline="", encoding="utf-8") as f:
        expected = {r["call_id"]: r for r in csv.DictReader(f, delimiter="\t")}
    got = {
        r[0]: r
        for r in duckdb.sql(
            f"select call_id, language, repeat_contact, escalation, sentiment, call_date from read_parquet('{calls_glob}', hive_partitioning=true)"
        ).fetchall()
    }
    check(set(got) == set(expected), f"{len(got)} calls read back = {len(expected)} expected")
    wrong = [
        cid
        for cid, e in expected.items()
        if cid in got
        and (str(got[cid][2]).lower() != e["repeat_contact"] or str(got[cid][3]).lower() != e["escalation"] or got[cid][1] != e["language"])
    ]
    check(not wrong, f"flags and language match EXPECTED.tsv (mismatches: {wrong})")

    # Partition values are UTC dates or 'unknown', never a 'date' column in the files.
    schema = pq.read_schema(next(out.glob("calls/call_date=*/*.parquet")))
    check("call_date" not in schema.names and "date" not in schema.names, "partition key only in the path")
    check(schema.field("started_at").type.tz == "UTC", "started_at is a UTC timestamp")
    check(schema.field("call_id").metadata[b"description"].startswith(b"The call"), "field descriptions travel in the metadata")

    hits = duckdb.sql(
        f"select count(*), count(distinct call_id) from read_parquet('{out}/hits/**/*.parquet', hive_partitioning=true) where category='repeat_contact' and counted"
    ).fetchall()[0]
    repeat_calls = sum(1 for e in expected.values() if e["repeat_contact"] == "true")
    check(hits[1] == repeat_calls, f"counted repeat hits cover {hits[1]} calls = {repeat_calls} expected repeat calls")

    manifest = json.loads(next((out / "runs").glob("*.json")).read_text())
    c = manifest["counts"]
    check(c["records_read"] == c["calls_written"] + c["records_rejected"], "read = written + rejected in the manifest")

    # Hits point at the original words.
    bad = duckdb.sql(
        f"""select count(*) from read_parquet('{out}/hits/**/*.parquet', hive_partitioning=true) h
            join read_parquet('{out}/turns/**/*.parquet', hive_partitioning=true) t using (call_id, turn)
            where substr(t.text, h.char_start + 1, h.char_end - h.char_start) <> h.matched_text"""
    ).fetchall()[0][0]
    check(bad == 0, f"hit offsets select matched_text in the transcript ({bad} mismatches)")

# FCR (issue 5): the fixture of tests/data/fcr scanned night by night into one dataset. DuckDB
# reads the fcr aggregates; summing cell counts across partitions reproduces every rollup, and
# the README's per-agent query gives the values worked out by hand in tests/it/fcr.rs.
FCR_COUNTS = [
    "contacts", "first_contacts", "resolved", "unresolved", "censored",
    "phrase_repeats", "escalations", "negative_calls", "resolved_combined", "unresolved_combined",
]
with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / "fcr"
    fixture = ROOT / "tests" / "data" / "fcr"
    for night in ["night1.jsonl", "night2.jsonl", "night3.jsonl"]:
        run = subprocess.run(
            [str(BIN), "scan", str(fixture / night), "--phrases", str(fixture / "phrases.tsv"), "--out", str(out), "--quiet"]
        )
        check(run.returncode == 0, f"nightly scan of {night} exits 0 (got {run.returncode})")
    fcr = f"read_parquet('{out}/fcr/**/*.parquet', hive_partitioning=true)"
    sums = ", ".join(f"sum({c})" for c in FCR_COUNTS)
    cols = ", ".join(FCR_COUNTS)
    for level, keys in [("date", "call_date"), ("date_queue", "call_date, queue"), ("date_agent", "call_date, agent_id")]:
        summed = duckdb.sql(f"select {keys}, {sums} from {fcr} where level = 'cell' group by {keys} order by all").fetchall()
        stored = duckdb.sql(f"select {keys}, {cols} from {fcr} where level = '{level}' order by all").fetchall()
        check(summed == stored and len(stored) > 0, f"summing fcr cells across partitions gives the {len(stored)} {level} rows")
    total = duckdb.sql(f"select sum(contacts), sum(first_contacts) from {fcr} where level = 'date'").fetchall()[0]
    check(tuple(total) == (18, 9), f"fcr counts 18 calls and 9 first contacts over three nights (got {tuple(total)})")
    contacts = duckdb.sql(
        f"select count(*), count(distinct call_id) from read_parquet('{out}/contacts/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0]
    check(tuple(contacts) == (18, 18), f"one contacts row per call after three nights (got {tuple(contacts)})")
    per_agent = duckdb.sql(
        f"""with per_agent as (
              select agent_id, sum(resolved) as s, sum(resolved + unresolved) as n
              from {fcr} where level = 'cell' group by agent_id)
            select agent_id, s, n, round(s / n, 4) as fcr,
                   round((s/n + 1.96^2/(2*n) - 1.96*sqrt(s/n*(1 - s/n)/n + 1.96^2/(4*n*n))) / (1 + 1.96^2/n), 4) as low,
                   round((s/n + 1.96^2/(2*n) + 1.96*sqrt(s/n*(1 - s/n)/n + 1.96^2/(4*n*n))) / (1 + 1.96^2/n), 4) as high
            from per_agent where n > 0 order by agent_id"""
    ).fetchall()
    print("FCR per agent (s, n, fcr, low, high):", per_agent)
    want = [("ag1", 0, 2, 0.0, 0.0, 0.6576), ("ag2", 2, 2, 1.0, 0.3424, 1.0), ("ag3", 1, 2, 0.5, 0.0945, 0.9055)]
    check([tuple(r) for r in per_agent] == want, "the README's FCR-per-agent query gives the hand-computed rates")

passed = "passed" if not failures else "failed"
print(f"read_back: {len(failures)} failed")
sys.exit(1 if failures else 0)
