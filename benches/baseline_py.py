#!/usr/bin/env python3
"""The Python baseline fcrscan is compared with: what a team would write in an afternoon.

Reads canonical JSON Lines (or a directory of one-call .json files), lower-cases each turn,
finds every phrase of a phrase table with a pyahocorasick automaton (every occurrence,
overlapping), counts hits per call by category and speaker, and writes one row per call to
Parquet (pyarrow; CSV when pyarrow is missing). With --workers N the input is cut into chunks
(byte ranges that end on a line break, or runs of files) and N processes scan them; the parent
writes the rows in input order, so the output does not depend on N.

Flags: repeat_contact and escalation count for the customer only; the sentiment flags for any
speaker. A one-line JSON summary (calls, flagged calls per category, hits) goes to stdout.

    python3 benches/baseline_py.py --input bench-data/corpus.jsonl --out /tmp/py.parquet --workers 2
"""
import argparse
import json
import os
import resource
from multiprocessing import get_context

CATEGORIES = ("repeat_contact", "escalation", "sentiment_negative", "sentiment_positive")
ALIASES = {"repeat": "repeat_contact", "repeat-contact": "repeat_contact", "negative": "sentiment_negative",
           "positive": "sentiment_positive"}
SPEAKERS = ("customer", "agent")
CUSTOMER_ONLY = (True, True, False, False)
CHUNK_BYTES = 8 << 20

_state = {}


def load_phrases(path):
    """{lower-case phrase: category index} from a phrase/category/language table (header row)."""
    sep = "," if path.endswith(".csv") else "\t"
    out = {}
    with open(path, encoding="utf-8") as f:
        header = [h.strip().lower() for h in f.readline().rstrip("\n").split(sep)]
        ip, ic = header.index("phrase"), header.index("category")
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split(sep)
            cat = ALIASES.get(cols[ic].strip(), cols[ic].strip())
            if cat in CATEGORIES:
                out[cols[ip].strip().lower()] = CATEGORIES.index(cat)
    return out


def setup(phrases_path, json_lib):
    import ahocorasick
    automaton = ahocorasick.Automaton()
    for phrase, cat in load_phrases(phrases_path).items():
        automaton.add_word(phrase, cat)
    automaton.make_automaton()
    _state["iter"] = automaton.iter
    if json_lib == "auto":
        try:
            import orjson  # noqa: F401
            json_lib = "orjson"
        except ImportError:
            json_lib = "json"
    if json_lib == "orjson":
        import orjson
        _state["loads"] = orjson.loads
    else:
        _state["loads"] = json.loads
    _state["json"] = json_lib


def scan_call(raw):
    """(call_id, customer_id, language, turns, counts[category * 2 + speaker])."""
    call = _state["loads"](raw)
    it = _state["iter"]
    counts = [0] * 8
    turns = call.get("turns") or []
    for turn in turns:
        sp = 0 if turn.get("speaker") == "customer" else 1
        for _end, cat in it(turn.get("text", "").lower()):
            counts[cat * 2 + sp] += 1
    return (call.get("call_id"), call.get("customer_id"), call.get("language"), len(turns), counts)


def scan_chunk(task):
    kind, arg = task
    rows = []
    if kind == "files":
        for path in arg:
            with open(path, "rb") as f:
                rows.append(scan_call(f.read()))
        return rows
    path, start, end = arg
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    for line in data.split(b"\n"):
        if line.strip():
            rows.append(scan_call(line))
    return rows


def line_chunks(path, n_chunks):
    """Byte ranges of a JSONL file, each ending just after a line break."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        for k in range(1, n_chunks):
            pos = max(size * k // n_chunks, bounds[-1])
            f.seek(pos)
            f.readline()
            bounds.append(min(f.tell(), size))
    bounds.append(size)
    return [("range", (path, a, b)) for a, b in zip(bounds, bounds[1:]) if b > a]


def write_rows(rows, out):
    names = ["call_id", "customer_id", "language", "n_turns"]
    names += [f"hits_{c}_{s}" for c in CATEGORIES for s in SPEAKERS]
    names += [f"flag_{c}" for c in CATEGORIES]

    def flags(counts):
        return [bool(counts[2 * i] if CUSTOMER_ONLY[i] else counts[2 * i] + counts[2 * i + 1]) for i in range(4)]

    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        import csv
        out = os.path.splitext(out)[0] + ".csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(names)
            for r in rows:
                w.writerow([r[0], r[1], r[2], r[3], *r[4], *flags(r[4])])
        return out
    cols = {
        "call_id": pa.array([r[0] for r in rows], pa.string()),
        "customer_id": pa.array([r[1] for r in rows], pa.string()),
        "language": pa.array([r[2] for r in rows], pa.string()),
        "n_turns": pa.array([r[3] for r in rows], pa.int32()),
    }
    for i, name in enumerate(names[4:12]):
        cols[name] = pa.array([r[4][i] for r in rows], pa.int32())
    fl = [flags(r[4]) for r in rows]
    for i, c in enumerate(CATEGORIES):
        cols[f"flag_{c}"] = pa.array([f[i] for f in fl], pa.bool_())
    pq.write_table(pa.table(cols), out, compression="zstd")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="JSONL file, or a directory of .json files")
    ap.add_argument("--phrases", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "phrases.tsv"))
    ap.add_argument("--out", required=True, help="Parquet file to write")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", choices=("auto", "json", "orjson"), default="auto")
    a = ap.parse_args()
    setup(a.phrases, a.json)
    if os.path.isdir(a.input):
        files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(a.input) for f in fs if f.endswith(".json"))
        per = max(1, min(2000, len(files) // (a.workers * 8) or 1))
        tasks = [("files", files[i:i + per]) for i in range(0, len(files), per)]
    else:
        n = max(a.workers * 4, os.path.getsize(a.input) // CHUNK_BYTES + 1)
        tasks = line_chunks(a.input, n)
    rows = []
    if a.workers > 1:
        ctx = get_context("fork")
        with ctx.Pool(a.workers, initializer=setup, initargs=(a.phrases, a.json)) as pool:
            for part in pool.imap(scan_chunk, tasks):
                rows.extend(part)
    else:
        for t in tasks:
            rows.extend(scan_chunk(t))
    out = write_rows(rows, a.out)
    flagged = {}
    for i, c in enumerate(CATEGORIES):
        if CUSTOMER_ONLY[i]:
            flagged[c] = sum(1 for r in rows if r[4][2 * i])
        else:
            flagged[c] = sum(1 for r in rows if r[4][2 * i] + r[4][2 * i + 1])
    summary = {
        "tool": "baseline_py", "json": _state["json"], "workers": a.workers, "out": out, "calls": len(rows),
        "calls_flagged": flagged, "calls_with_any_hit": sum(1 for r in rows if any(r[4])),
        "hits": sum(sum(r[4]) for r in rows),
        "maxrss_mib": {"self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                       "largest_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
