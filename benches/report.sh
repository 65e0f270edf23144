#!/usr/bin/env bash
# Regenerates every table in BENCHMARKS.md: machine, per-stage criterion benches, the scaling
# harness (with and without NER) and the side-by-side comparison with datatrove and spaCy.
# Each table lands between `<!-- BEGIN name -->` and `<!-- END name -->` markers; text outside
# the markers is kept. Never edit the tables by hand.
#
# usage: benches/report.sh            (everything; about 25 minutes on 2 cores)
# environment:
#   SKIP_CRITERION=1 SKIP_QUALITY=1 SKIP_SCALE=1 SKIP_STAGESETS=1 SKIP_MEMORY=1 SKIP_COMPARE=1
#   SKIP_DIST=1
#                    leave that section as it is
#   CORPUS_MB        scaling corpus size (default 200)     MAX_THREADS  default: nproc
#   BENCH_ARGS       criterion arguments (default "--warm-up-time 1 --measurement-time 3")
#   PEER_MB          comparison corpus size (default 20)
#   READABILITY_SRC  a mozilla/readability checkout: the html section's dev set (section
#                    skipped when unset, or with SKIP_HTML=1); TRAF_PYTHON adds trafilatura
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/harness/common.sh"
cd "$ROOT"
MD=$ROOT/BENCHMARKS.md
OUT=$ROOT/target/bench
BIN=$ROOT/target/release/corpusmill
mkdir -p "$OUT"
cargo build --release --quiet

# replace_section NAME FILE: puts FILE's content between NAME's markers in BENCHMARKS.md.
replace_section() {
  python3 - "$MD" "$1" "$2" <<'PY'
import re, sys
md, name, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(md).read()
begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
if begin not in text:
    text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
pat = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
text = pat.sub(lambda _: f"{begin}\n{body}\n{end}", text)
open(md, "w").write(text)
PY
}

{
  echo "| | |"
  echo "|---|---|"
  echo "| CPU | $(lscpu | awk -F': +' '/Model name/ {print $2; exit}') |"
  echo "| cores | $(nproc) |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) |"
  echo "| OS | $(uname -sr) |"
  echo "| rustc | $(rustc --version) |"
  echo "| corpusmill | $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (modified)') |"
  echo "| date | $(date -u +%Y-%m-%d) |"
} >"$OUT/machine.md"
replace_section machine "$OUT/machine.md"

if [ -z "${SKIP_CRITERION:-}" ]; then
  # shellcheck disable=SC2086
  cargo bench --benches -- ${BENCH_ARGS:---warm-up-time 1 --measurement-time 3} >"$OUT/criterion.log" 2>&1
  python3 - "$ROOT/target/criterion" >"$OUT/criterion.md" <<'PY'
import glob, json, os, sys
rows = []
for bj in glob.glob(os.path.join(sys.argv[1], "**", "new", "benchmark.json"), recursive=True):
    b = json.load(open(bj))
    est = json.load(open(os.path.join(os.path.dirname(bj), "estimates.json")))
    ns = est["mean"]["point_estimate"]
    tp = b.get("throughput") or {}
    rows.append((b["group_id"], b.get("function_id") or "", ns, tp.get("Bytes"), tp.get("Elements")))
print("| group | bench | time per iteration | MB/s (1 core) | docs/s (1 core) |")
print("|---|---|---:|---:|---:|")
for g, f, ns, nbytes, elems in sorted(rows):
    mbs = f"{nbytes / ns * 1e3:.1f}" if nbytes else "–"
    eps = f"{elems / ns * 1e9:,.0f}" if elems else "–"
    print(f"| `{g}` | {f} | {ns / 1e6:.2f} ms | {mbs} | {eps} |")
PY
  replace_section criterion "$OUT/criterion.md"
fi

if [ -z "${SKIP_SCALE:-}" ]; then
  CORPUS=$OUT/scale-corpus
  MAXT=${MAX_THREADS:-$(nproc)}
  LABEL="all default stages" OUT_MD="$OUT/scale-all.md" OUT_CSV="$OUT/scale-all.csv" \
    benches/harness/scale.sh "$CORPUS" "$MAXT" "$BIN" >/dev/null
  LABEL="without NER (--disable entities)" RUN_ARGS="--disable entities" OUT_MD="$OUT/scale-noner.md" \
    OUT_CSV="$OUT/scale-noner.csv" benches/harness/scale.sh "$CORPUS" "$MAXT" "$BIN" >/dev/null
  {
    echo "Command: \`benches/harness/scale.sh $(realpath --relative-to="$ROOT" "$CORPUS") $MAXT\` (and \`RUN_ARGS=\"--disable entities\"\`)"
    echo
    cat "$OUT/scale-all.md"
    echo
    cat "$OUT/scale-noner.md"
    echo
    echo '```csv'
    cat "$OUT/scale-all.csv"
    tail -n +2 "$OUT/scale-noner.csv"
    echo '```'
  } >"$OUT/scale.md"
  replace_section scaling "$OUT/scale.md"
fi

if [ -z "${SKIP_QUALITY:-}" ]; then
  # Cleaning: shingle P/R/F1 on the boilerplate-wrapped BBC evaluation set.
  cargo run --release --quiet --example clean_eval >"$OUT/clean_eval.log" 2>&1
  {
    echo "Command: \`cargo run --release --example clean_eval\`"
    echo
    sed -n '/^| subset/,/^$/p' "$OUT/clean_eval.log"
    echo '```'
    grep -E '^(eval set|raw BBC)' "$OUT/clean_eval.log"
    grep -E 'END-TO-END|sum of the stages' "$OUT/clean_eval.log"
    echo '```'
  } >"$OUT/clean_quality.md"
  replace_section clean_quality "$OUT/clean_quality.md"
  # Hard-wrapped, short and re-sent articles (issue #11 shapes), and unwrap's CPU throughput.
  cargo run --release --quiet --example wrap_eval -- ../shared/data/bbc/articles.jsonl.zst --speed \
    >"$OUT/wrap_eval.log" 2>&1
  {
    echo "Command: \`cargo run --release --example wrap_eval -- ../shared/data/bbc/articles.jsonl.zst --speed\`"
    echo
    grep -E '^\|(---| (set|wrapped|short|resent) )' "$OUT/wrap_eval.log"
    echo
    echo '```'
    grep -E '^unwrap, one thread' "$OUT/wrap_eval.log"
    echo '```'
  } >"$OUT/wrap_quality.md"
  replace_section wrap_quality "$OUT/wrap_quality.md"
  # Near duplicates: recall of planted copies and share of justified removals.
  cargo run --release --quiet --example near_eval >"$OUT/near_eval.log" 2>&1
  {
    echo "Command: \`cargo run --release --example near_eval\`"
    echo
    echo '```'
    cat "$OUT/near_eval.log"
    echo '```'
  } >"$OUT/near_quality.md"
  replace_section near_quality "$OUT/near_quality.md"
  # Entities: exact-span P/R/F1 on CoNLL-2003 dev with the shipped model.
  {
    echo "Command: \`corpusmill ner eval --conll ../shared/data/conll/dev.conll --seen ../shared/data/conll/train.conll\`"
    echo
    echo '```'
    "$BIN" ner eval --conll "$ROOT/../shared/data/conll/dev.conll" --seen "$ROOT/../shared/data/conll/train.conll"
    echo '```'
  } >"$OUT/ner_quality.md"
  replace_section ner_quality "$OUT/ner_quality.md"
fi

if [ -z "${SKIP_STAGESETS:-}" ]; then
  {
    echo "Command: \`benches/harness/stagesets.sh $(realpath --relative-to="$ROOT" "$OUT/scale-corpus")\`"
    echo
    benches/harness/stagesets.sh "$OUT/scale-corpus" "$BIN"
  } >"$OUT/stagesets.md"
  replace_section stagesets "$OUT/stagesets.md"
fi

if [ -z "${SKIP_MEMORY:-}" ]; then
  {
    echo "Command: \`benches/harness/memory.sh $(realpath --relative-to="$ROOT" "$OUT/mem")\`"
    echo
    benches/harness/memory.sh "$OUT/mem" "$BIN" 2>/dev/null
  } >"$OUT/memory.md"
  replace_section memory "$OUT/memory.md"
fi

if [ -z "${SKIP_DIST:-}" ]; then
  {
    echo "Command: \`benches/harness/distributed.sh $(realpath --relative-to="$ROOT" "$OUT/dist-corpus")\`"
    echo
    benches/harness/distributed.sh "$OUT/dist-corpus" "$BIN"
  } >"$OUT/distributed.md"
  replace_section distributed "$OUT/distributed.md"
fi

if [ -z "${SKIP_COMPARE:-}" ]; then
  OUT_DIR=$OUT/compare benches/compare/run.sh "$OUT/compare-corpus" "$BIN" >/dev/null
  {
    echo "Command: \`benches/compare/run.sh\` (PEER_MB=${PEER_MB:-20})"
    echo
    cat "$OUT/compare/compare.md"
    echo
    echo '```csv'
    cat "$OUT/compare/compare.csv"
    echo '```'
  } >"$OUT/compare-section.md"
  replace_section compare "$OUT/compare-section.md"
fi
if [ -z "${SKIP_HTML:-}" ] && [ -n "${READABILITY_SRC:-}" ]; then
  benches/html/run.sh "$READABILITY_SRC" "$OUT/html" >"$OUT/html-section.md"
  replace_section html "$OUT/html-section.md"
fi
echo "BENCHMARKS.md updated" >&2
