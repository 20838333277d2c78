#!/usr/bin/env python3
"""Times fcrscan next to ripgrep and a Python baseline on the same corpus, in interleaved rounds.

Round r runs the tools in the order A B C ... rotated by r, so machine noise lands on all of
them alike. Each run is wrapped in `/usr/bin/time -v` (peak RSS, user and system CPU) and timed
with a monotonic clock; the page cache is warmed once before the first round. The report is a
Markdown table of medians, and every run is appended to bench-data/results.jsonl.

Tools (names for --only / --skip):
  fcrscan        fcrscan scan CORPUS --phrases PHRASES.tsv --out TMP --quiet
  fcrscan_jN     the same with --jobs N, one per value of --jobs (the scaling table)
  fcrscan_core1  the same with --jobs 1, pinned to one CPU with taskset (with --jobs; Linux):
                 --jobs counts scanning workers, and the reader and writer threads run beside
                 them, so --jobs 1 alone uses more than one core
  rg_cm          rg --count-matches -i -F -f PHRASES.txt CORPUS   (every match, not just lines)
  rg_c           rg -c -i -F -f PHRASES.txt CORPUS                (matching lines = calls)
  py_w1, py_w2   benches/baseline_py.py with 1 and 2 worker processes (pyahocorasick, Parquet)

A tool that is not installed is skipped with a note. Each tool's first output is checked against
the generator's truth file (<corpus>.truth.json): calls per category for fcrscan and Python,
matching calls for rg -c, matches for rg --count-matches.

    python3 benches/side_by_side.py                                   # bench-data/corpus-100mb.jsonl, 5 rounds
    python3 benches/side_by_side.py --rounds 3 --only fcrscan,rg_cm
    python3 benches/side_by_side.py --jobs 1,2                        # adds the --jobs scaling table
    python3 benches/side_by_side.py --split-dir bench-data/split      # many small files
"""
import argparse
import glob
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CATEGORIES = ("repeat_contact", "escalation", "sentiment_negative", "sentiment_positive")
TIME_FIELDS = {
    "user_s": re.compile(r"User time \(seconds\): ([\d.]+)"),
    "sys_s": re.compile(r"System time \(seconds\): ([\d.]+)"),
    "maxrss_kb": re.compile(r"Maximum resident set size \(kbytes\): (\d+)"),
}


def q(s):
    return shlex.quote(str(s))


def input_bytes(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path)


def find_rg(arg):
    if arg:
        return arg if os.path.exists(arg) or shutil.which(arg) else None
    for cand in (shutil.which("rg"), os.path.join(ROOT, "bench-data/tools/bin/rg")):
        if cand and os.path.exists(cand):
            return cand
    return None


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception:  # noqa: BLE001 - a version string is only informative
        return "?"


def python_has(*mods):
    code = "import " + ", ".join(mods)
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


class Tool:
    def __init__(self, name, cmd, what, ok_codes=(0,), prepare=None, verify=None, produced=None):
        self.name, self.cmd, self.what = name, cmd, what
        self.ok_codes, self.prepare, self.verify, self.produced = ok_codes, prepare, verify, produced


def run_one(tool, tmp, use_time):
    if tool.prepare:
        tool.prepare()
    err_path = os.path.join(tmp, f"stderr_{tool.name}.txt")
    time_path = os.path.join(tmp, f"time_{tool.name}.txt")
    argv = ["bash", "-c", tool.cmd]
    if use_time:
        argv = ["/usr/bin/time", "-v", "-o", time_path] + argv
    t0 = time.perf_counter()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        if use_time:
            rc = proc.wait()
            ru = None
        else:
            _, status, ru = os.wait4(proc.pid, 0)
            rc = os.waitstatus_to_exitcode(status)
            proc.returncode = rc
    wall = time.perf_counter() - t0
    rec = {"wall_s": round(wall, 4), "rc": rc}
    if use_time and os.path.exists(time_path):
        txt = open(time_path, errors="replace").read()
        for k, rx in TIME_FIELDS.items():
            m = rx.search(txt)
            if m:
                rec[k] = float(m.group(1)) if k != "maxrss_kb" else int(m.group(1))
    elif ru is not None:
        rec.update(user_s=ru.ru_utime, sys_s=ru.ru_stime, maxrss_kb=ru.ru_maxrss)
    rec["stderr_tail"] = open(err_path, errors="replace").read()[-800:].strip()
    return rec


# ------------------------------------------------------------------------------ verification

def read_int_lines(path):
    total, lines = 0, 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            lines += 1
            total += int(line.rsplit(":", 1)[-1])
    return total, lines


def verify_rg_c(out_path, truth, is_dir):
    total, lines = read_int_lines(out_path)
    got = lines if is_dir else total
    want = truth["calls_with_any_cue"]
    return got == want, f"calls with a match {got}, planted {want}"


def verify_rg_cm(out_path, truth):
    total, _ = read_int_lines(out_path)
    want = truth["total_cue_turns"]
    return total == want, f"matches {total}, planted cue turns {want}"


def verify_py(out_path, truth):
    with open(out_path) as f:
        lines = [x for x in f.read().splitlines() if x.startswith("{")]
    got = json.loads(lines[-1])["calls_flagged"]
    want = truth["calls_with_cue"]
    return got == want, "flagged calls " + ", ".join(f"{c} {got.get(c)}/{want[c]}" for c in CATEGORIES)


def verify_fcrscan(out_dir, truth):
    """Counts flagged calls in fcrscan's calls table (docs/SCHEMA.md) and compares them with the
    generator's planted cues: every call with a planted repeat-contact or escalation cue in a
    customer turn must be flagged, and no other."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None, "not checked (pyarrow is not installed)"
    files = sorted(glob.glob(os.path.join(out_dir, "calls", "**", "*.parquet"), recursive=True))
    if not files:
        return None, "not checked (no calls table under --out)"
    got = {"repeat_contact": 0, "escalation": 0}
    for path in files:
        t = pq.read_table(path, columns=list(got))
        for c in got:
            got[c] += sum(1 for v in t.column(c).to_pylist() if v)
    want = truth["calls_with_cue"]
    ok = all(got[c] == want[c] for c in got)
    return ok, ", ".join(f"{c} {got[c]}/{want[c]}" for c in got)


# ------------------------------------------------------------------------------ report

def fmt_s(x):
    return f"{x:.3f}" if x < 100 else f"{x:.1f}"


def summarize(runs, nbytes):
    ok = [r for r in runs if r.get("ok")]
    if not ok:
        return None
    walls = [r["wall_s"] for r in ok]
    cpu = statistics.median(r.get("user_s", 0) + r.get("sys_s", 0) for r in ok)
    w = statistics.median(walls)
    mb = nbytes / 1e6
    return {"runs": len(ok), "wall_median_s": w, "wall_min_s": min(walls), "wall_max_s": max(walls),
            "mb_per_s": mb / w if w else None, "cpu_s": cpu, "mb_per_cpu_s": mb / cpu if cpu else None,
            "maxrss_mib": max(r.get("maxrss_kb", 0) for r in ok) / 1024}


def table(tools, summ, notes_by_tool, ref_names):
    refs = {n: summ[n]["wall_median_s"] for n in ref_names if summ.get(n)}
    head = ["Tool", "Wall median s (min–max)", "MB/s", "CPU s", "MB per CPU-s", "Peak RSS MiB"]
    head += [f"Wall / {label}" for n, label in ref_names.items() if n in refs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tools:
        s = summ.get(t.name)
        if not s:
            lines.append(f"| `{t.name}` | skipped or failed: {notes_by_tool.get(t.name, '')} |" + " |" * (len(head) - 2))
            continue
        row = [f"`{t.name}` ({t.what})",
               f"{fmt_s(s['wall_median_s'])} ({fmt_s(s['wall_min_s'])}–{fmt_s(s['wall_max_s'])})",
               f"{s['mb_per_s']:.0f}", f"{s['cpu_s']:.2f}",
               f"{s['mb_per_cpu_s']:.0f}" if s["mb_per_cpu_s"] else "—", f"{s['maxrss_mib']:.0f}"]
        row += [f"{s['wall_median_s'] / refs[n]:.2f}" for n in ref_names if n in refs]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}


# ------------------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench-data/corpus-100mb.jsonl"),
                    help="JSONL corpus (default: the one benches/run.sh generates)")
    ap.add_argument("--split-dir", help="time the tools on this directory of one-call files instead of --corpus")
    ap.add_argument("--truth", help="truth file (default: <corpus>.truth.json, or <split-dir>.jsonl.truth.json)")
    ap.add_argument("--phrases", default=os.path.join(HERE, "phrases.tsv"), help="phrase table (TSV)")
    ap.add_argument("--fcrscan", default=os.path.join(ROOT, "target/release/fcrscan"))
    ap.add_argument("--fcrscan-args", default="", help="extra arguments for every fcrscan run")
    ap.add_argument("--rg", help="ripgrep binary (default: rg on PATH, else bench-data/tools/bin/rg)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", help="comma-separated tool names")
    ap.add_argument("--skip", help="comma-separated tool names")
    ap.add_argument("--jobs", help="comma-separated --jobs values for fcrscan (adds fcrscan_jN rows and a scaling table)")
    ap.add_argument("--tmp", default=os.path.join(ROOT, "bench-data/tmp"))
    ap.add_argument("--results", default=os.path.join(ROOT, "bench-data/results.jsonl"))
    ap.add_argument("--tag", default=time.strftime("%Y%m%dT%H%M%S"))
    a = ap.parse_args()

    is_dir = bool(a.split_dir)
    inp = os.path.abspath(a.split_dir or a.corpus)
    if not os.path.exists(inp):
        sys.exit(f"side_by_side: {inp} does not exist; generate it with benches/gen_corpus.py (or run benches/run.sh)")
    truth_path = a.truth or (inp.rstrip("/") + ".jsonl.truth.json" if is_dir else inp + ".truth.json")
    truth = json.load(open(truth_path)) if os.path.exists(truth_path) else None
    os.makedirs(a.tmp, exist_ok=True)
    tmp = os.path.abspath(a.tmp)
    phrases_tsv = os.path.abspath(a.phrases)
    phrases_txt = os.path.join(tmp, "phrases.txt")
    with open(phrases_tsv, encoding="utf-8") as f, open(phrases_txt, "w", encoding="utf-8") as out:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("phrase")
        for line in f:
            if line.strip():
                out.write(line.rstrip("\n").split("\t")[col].lower() + "\n")

    notes = []
    skipped = {}
    tools = []
    fcr = os.path.abspath(a.fcrscan) if os.path.sep in a.fcrscan else shutil.which(a.fcrscan)
    rg = find_rg(a.rg)
    have_py = python_has("ahocorasick")
    jobs = [int(j) for j in a.jobs.split(",")] if a.jobs else []

    def fcr_tool(name, extra, pin=""):
        out_dir = os.path.join(tmp, f"{name}_out")
        cmd = f"{pin}{q(fcr)} scan {q(inp)} --phrases {q(phrases_tsv)} --out {q(out_dir)} --quiet {extra} {a.fcrscan_args}".strip()

        def prepare():
            shutil.rmtree(out_dir, ignore_errors=True)
        return Tool(name, cmd, "per-call and per-hit Parquet" + (f", {extra}" if extra else "")
                    + (", one CPU" if pin else ""), prepare=prepare,
                    verify=(lambda: verify_fcrscan(out_dir, truth)) if truth else None,
                    produced=lambda: os.path.exists(out_dir))

    taskset = shutil.which("taskset") if jobs and hasattr(os, "sched_getaffinity") else None
    candidates = (["fcrscan"] + (["fcrscan_core1"] if jobs else []) + [f"fcrscan_j{j}" for j in jobs]
                  + ["rg_cm", "rg_c", "py_w1", "py_w2"])
    for name in candidates:
        if name.startswith("fcrscan"):
            if not fcr or not os.path.exists(fcr):
                skipped[name] = f"{a.fcrscan} not found (build it with `cargo build --release`)"
                continue
            if name == "fcrscan_core1":
                if not taskset:
                    skipped[name] = "taskset not found (util-linux)"
                    continue
                cpu = min(os.sched_getaffinity(0))
                tools.append(fcr_tool(name, "--jobs 1", pin=f"{q(taskset)} -c {cpu} "))
                continue
            extra = f"--jobs {name[len('fcrscan_j'):]}" if name.startswith("fcrscan_j") else ""
            tools.append(fcr_tool(name, extra))
        elif name.startswith("rg"):
            if not rg:
                skipped[name] = "ripgrep not found (install it, or pass --rg PATH)"
                continue
            out = os.path.join(tmp, f"{name}.out")
            flags = "--count-matches -i -F" if name == "rg_cm" else "-c -i -F"
            what = "number of matches" if name == "rg_cm" else ("files with a match" if is_dir else "lines (calls) with a match")
            ver = None
            if truth:
                ver = (lambda o=out: verify_rg_cm(o, truth)) if name == "rg_cm" else (lambda o=out: verify_rg_c(o, truth, is_dir))
            tools.append(Tool(name, f"{q(rg)} {flags} -f {q(phrases_txt)} {q(inp)} > {q(out)}", what,
                              ok_codes=(0, 1), verify=ver))
        else:
            if not have_py:
                skipped[name] = "pyahocorasick is not installed (pip install pyahocorasick pyarrow orjson)"
                continue
            w = int(name[-1])
            out = os.path.join(tmp, f"{name}.summary")
            cmd = (f"{q(sys.executable)} {q(os.path.join(HERE, 'baseline_py.py'))} --input {q(inp)} "
                   f"--phrases {q(phrases_tsv)} --out {q(os.path.join(tmp, name + '.parquet'))} --workers {w} > {q(out)}")
            tools.append(Tool(name, cmd, f"pyahocorasick, per-call Parquet, {w} process{'es' if w > 1 else ''}",
                              verify=(lambda o=out: verify_py(o, truth)) if truth else None))
    keep = set(a.only.split(",")) if a.only else None
    drop = set(a.skip.split(",")) if a.skip else set()
    tools = [t for t in tools if (keep is None or t.name in keep) and t.name not in drop]
    skipped = {k: v for k, v in skipped.items() if (keep is None or k in keep) and k not in drop}
    for name, why in skipped.items():
        notes.append(f"`{name}` skipped: {why}")
    use_time = os.path.exists("/usr/bin/time")
    if not use_time:
        notes.append("/usr/bin/time is missing: CPU and peak RSS come from wait4()")
    if truth is None:
        notes.append(f"no truth file at {truth_path}: outputs not checked")

    nbytes = input_bytes(inp)
    info = machine()
    versions = {"rg": first_line([rg, "--version"]) if rg else None,
                "fcrscan": first_line([fcr, "--version"]) if fcr and os.path.exists(fcr) else None}
    if have_py:
        versions["python_modules"] = subprocess.run(
            [sys.executable, "-c", "import importlib.metadata as m\nfor p in ('pyahocorasick','pyarrow','orjson'):\n"
             "    try: print(p, m.version(p))\n    except Exception: print(p, 'missing')"],
            capture_output=True, text=True).stdout.split("\n")[:-1]
    print(f"[side_by_side] tag {a.tag}; input {inp} ({nbytes / 1e6:.1f} MB{', directory' if is_dir else ''}); "
          f"{len(tools)} tools x {a.rounds} rounds", file=sys.stderr)
    for n in notes:
        print(f"[side_by_side] {n}", file=sys.stderr)
    if not tools:
        print("\n".join(f"- {n}" for n in notes))
        return 0
    # warm the page cache once
    if is_dir:
        subprocess.call(f"find {q(inp)} -type f -print0 | xargs -0 cat > /dev/null", shell=True)
    else:
        subprocess.call(["cat", inp], stdout=subprocess.DEVNULL)

    runs = {t.name: [] for t in tools}
    checks = {}
    os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
    with open(a.results, "a", encoding="utf-8") as res:
        for r in range(a.rounds):
            k = r % len(tools)
            for t in tools[k:] + tools[:k]:
                rec = run_one(t, tmp, use_time)
                rec["ok"] = rec["rc"] in t.ok_codes
                if rec["ok"] and t.produced and not t.produced():
                    rec["ok"] = False
                    rec["stderr_tail"] = ("it exited without writing its --out path. " + rec["stderr_tail"]).strip()
                if rec["ok"] and t.name not in checks and t.verify:
                    try:
                        checks[t.name] = t.verify()
                    except Exception as e:  # noqa: BLE001 - a check must never stop the benchmark
                        checks[t.name] = (False, f"could not read the output: {e}")
                runs[t.name].append(rec)
                res.write(json.dumps({"kind": "run", "tag": a.tag, "tool": t.name, "round": r + 1, "input": inp,
                                      "input_bytes": nbytes, "split_dir": is_dir, "cmd": t.cmd, **rec,
                                      "ts": time.time()}, ensure_ascii=False) + "\n")
                res.flush()
                print(f"[side_by_side] round {r + 1} {t.name:14s} wall {rec['wall_s']:8.3f} s  "
                      f"cpu {rec.get('user_s', 0) + rec.get('sys_s', 0):7.2f} s  rss {rec.get('maxrss_kb', 0) / 1024:7.1f} MiB"
                      + ("" if rec["ok"] else f"  FAILED rc={rec['rc']}: {rec['stderr_tail'][-300:]}"),
                      file=sys.stderr, flush=True)
        summ = {t.name: summarize(runs[t.name], nbytes) for t in tools}
        for t in tools:
            if summ[t.name] is None:
                tail = runs[t.name][-1]["stderr_tail"].replace("\n", " ")[-200:] if runs[t.name] else ""
                skipped[t.name] = f"no run succeeded (last exit code {runs[t.name][-1]['rc']}): {tail}"
                notes.append(f"`{t.name}` failed: {skipped[t.name]}")
        res.write(json.dumps({"kind": "summary", "tag": a.tag, "input": inp, "input_bytes": nbytes, "split_dir": is_dir,
                              "rounds": a.rounds, "machine": info, "versions": versions, "summary": summ,
                              "checks": {k: {"ok": v[0], "detail": v[1]} for k, v in checks.items()},
                              "ts": time.time()}, ensure_ascii=False) + "\n")

    ref_names = {"rg_c": "rg -c -i", "rg_cm": "rg --count-matches -i"}
    all_tools = tools + [Tool(n, "", "") for n in skipped if n not in runs]
    all_tools.sort(key=lambda t: candidates.index(t.name) if t.name in candidates else len(candidates))
    print(f"### {'Many small files' if is_dir else 'One JSONL file'}: {os.path.relpath(inp, ROOT) if inp.startswith(ROOT) else inp}, "
          f"{nbytes / 1e6:.1f} MB" + (f", {truth['calls']:,} calls" if truth else "") + f" ({a.rounds} rounds, tag `{a.tag}`)\n")
    print(f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, {info['os']}; "
          + "; ".join(f"{k} {v}" for k, v in versions.items() if v and not isinstance(v, list))
          + ("; " + ", ".join(versions.get("python_modules", [])) if versions.get("python_modules") else "") + "\n")
    print(table(all_tools, summ, skipped, ref_names))
    if jobs:
        base = summ.get(f"fcrscan_j{jobs[0]}")
        core = summ.get("fcrscan_core1")

        def speedup(ref, s):
            return f"{ref['wall_median_s'] / s['wall_median_s']:.2f}×" if ref else "—"

        print(f"\n#### Scaling with --jobs\n\n| run | Wall median s | Speed-up vs --jobs {jobs[0]} "
              "| Speed-up vs one CPU | CPU s | Cores busy (CPU s / wall) | Peak RSS MiB |\n|---|---|---|---|---|---|---|")
        rows = [("fcrscan_core1", "--jobs 1 on one CPU (taskset)")] if "fcrscan_core1" in candidates else []
        rows += [(f"fcrscan_j{j}", f"--jobs {j}") for j in jobs]
        for name, label in rows:
            if name not in runs and name not in skipped:
                continue
            s = summ.get(name)
            if s:
                print(f"| {label} | {fmt_s(s['wall_median_s'])} | {speedup(base, s)} | {speedup(core, s)} | {s['cpu_s']:.2f} "
                      f"| {s['cpu_s'] / s['wall_median_s']:.2f} | {s['maxrss_mib']:.0f} |")
            else:
                print(f"| {label} | skipped or failed | | | | | |")
    if checks:
        print("\nOutput checks against the planted cues:")
        for name, (ok, detail) in checks.items():
            mark = "ok" if ok else ("not checked" if ok is None else "MISMATCH")
            print(f"- `{name}`: {mark}: {detail}")
    if notes:
        print("\nNotes:")
        for n in notes:
            print(f"- {n}")
    print("\nMB = 10^6 bytes of input. Wall: median of the rounds, with min–max. CPU s: median user + system time. "
          "Peak RSS: the largest of the runs (for several processes, the largest single process). "
          f"Raw runs: {os.path.relpath(a.results, ROOT) if os.path.abspath(a.results).startswith(ROOT) else a.results} (tag `{a.tag}`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
