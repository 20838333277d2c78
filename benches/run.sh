#!/usr/bin/env bash
# The fcrscan benchmark, in one command, from a fresh clone:
#
#   benches/run.sh                       # 100 MB corpus, 5 interleaved rounds
#   MB=1000 ROUNDS=3 benches/run.sh      # 1 GB corpus, 3 rounds
#   JOBS=1,2 benches/run.sh              # adds the fcrscan --jobs scaling table
#   SPLIT=100000 benches/run.sh          # also the many-small-files case (100,000 files of about 2 kB)
#   benches/run.sh --only fcrscan,rg_cm  # anything after the script name goes to side_by_side.py
#
# It builds fcrscan in release mode, generates the corpus into bench-data/ if it is not there yet
# (benches/gen_corpus.py, deterministic), installs what is missing (pyahocorasick, pyarrow and
# orjson with pip; ripgrep with `cargo install` into bench-data/tools when there is no rg on
# PATH), then times everything side by side (benches/side_by_side.py) and prints the table. The
# table is also saved to bench-data/report-<tag>.md, and every run is appended to
# bench-data/results.jsonl. Nothing that cannot be installed stops the run: that tool is skipped
# with a note. See docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MB="${MB:-100}"
ROUNDS="${ROUNDS:-5}"
SEED="${SEED:-20261102}"
SPLIT="${SPLIT:-}"
JOBS="${JOBS:-}"
PY="${PYTHON:-python3}"
TAG="${TAG:-$(date +%Y%m%dT%H%M%S)}"
DATA=bench-data
mkdir -p "$DATA"

say() { printf '[run.sh] %s\n' "$*" >&2; }

# 1. fcrscan, release build
if command -v cargo >/dev/null 2>&1; then
  say "cargo build --release"
  cargo build --release || say "warning: the release build failed; fcrscan rows will be skipped"
else
  say "warning: cargo not found; fcrscan rows will be skipped"
fi

# 2. the corpus (generated once per size and seed)
SFX=""
if [ "$SEED" != 20261102 ]; then SFX="-s$SEED"; fi
CORPUS="$DATA/corpus-${MB}mb$SFX.jsonl"
if [ ! -s "$CORPUS" ] || [ ! -s "$CORPUS.truth.json" ]; then
  say "generating $CORPUS ($MB MB)"
  "$PY" benches/gen_corpus.py --mb "$MB" --seed "$SEED" --out "$CORPUS"
fi
if [ -n "$SPLIT" ]; then
  SPLIT_JSONL="$DATA/split-${SPLIT}$SFX.jsonl"
  SPLIT_DIR="$DATA/split-${SPLIT}$SFX"
  if [ ! -s "$SPLIT_JSONL.truth.json" ] || [ ! -d "$SPLIT_DIR" ]; then
    say "generating $SPLIT_DIR ($SPLIT files)"
    rm -rf "$SPLIT_DIR"
    "$PY" benches/gen_corpus.py --calls "$SPLIT" --mean-kb 2.0 --seed "$SEED" --split-dir "$SPLIT_DIR" --out "$SPLIT_JSONL"
  fi
fi

# 3. the tools fcrscan is compared with
if ! "$PY" -c "import ahocorasick, pyarrow, orjson" >/dev/null 2>&1; then
  say "pip install pyahocorasick pyarrow orjson"
  "$PY" -m pip install --quiet pyahocorasick pyarrow orjson \
    || "$PY" -m pip install --quiet --user pyahocorasick pyarrow orjson \
    || say "warning: pip install failed; the Python baseline may be skipped"
fi
RG="$(command -v rg || true)"
if [ -z "$RG" ] && [ -x "$DATA/tools/bin/rg" ]; then
  RG="$DATA/tools/bin/rg"
fi
if [ -z "$RG" ] && command -v cargo >/dev/null 2>&1; then
  say "cargo install ripgrep --locked --root $DATA/tools"
  if cargo install ripgrep --locked --root "$DATA/tools"; then
    RG="$DATA/tools/bin/rg"
  else
    say "warning: could not install ripgrep; rg rows will be skipped"
  fi
fi
RG_ARGS=()
if [ -n "$RG" ]; then RG_ARGS=(--rg "$RG"); fi
JOBS_ARGS=()
if [ -n "$JOBS" ]; then JOBS_ARGS=(--jobs "$JOBS"); fi

# 4. side by side
REPORT="$DATA/report-$TAG.md"
"$PY" benches/side_by_side.py --corpus "$CORPUS" --rounds "$ROUNDS" --tag "$TAG" \
  ${RG_ARGS[@]+"${RG_ARGS[@]}"} ${JOBS_ARGS[@]+"${JOBS_ARGS[@]}"} "$@" | tee "$REPORT"
if [ -n "$SPLIT" ]; then
  echo | tee -a "$REPORT"
  "$PY" benches/side_by_side.py --split-dir "$SPLIT_DIR" --rounds "$ROUNDS" --tag "$TAG-split" \
    ${RG_ARGS[@]+"${RG_ARGS[@]}"} "$@" | tee -a "$REPORT"
fi
say "report saved to $REPORT"
