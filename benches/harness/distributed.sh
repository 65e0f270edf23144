#!/usr/bin/env bash
# The distributed plan against the single-process pipeline on one generated corpus: cost (wall
# and CPU seconds of the whole run, children included), whether the records are identical,
# near-duplicate quality of both (examples/planted_eval.rs against the corpus's truth.jsonl),
# the plan's per-stage figures from its completion markers, and a model of the wall time for
# 1 TB on 8 nodes × 16 cores from those per-stage rates.
#
# usage: benches/harness/distributed.sh CORPUS_DIR [BINARY]
#   CORPUS_DIR   made with `corpusmill gen --size 106MB --seed 42` there when empty
#                (CORPUS_MB overrides the size)
# environment: THREADS (default 2): --threads of every run; the plan runs --world-size 4 and 2.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CORPUS=${1:?usage: distributed.sh CORPUS_DIR [BINARY]}
BIN=${2:-$ROOT/target/release/corpusmill}
EVAL=$ROOT/target/release/examples/planted_eval
[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet --example planted_eval)
gen_corpus "$BIN" "$CORPUS" "${CORPUS_MB:-106}" 42 8
T=${THREADS:-2}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/corpusmill-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

timed() { # timed NAME ARGS...: runs corpusmill into $WORK/NAME; prints "wall cpu"
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/$name.time" "$BIN" run --input "$CORPUS/part-*.jsonl.zst" \
    --output "$WORK/$name" --threads "$T" --no-progress -q "$@" >"$WORK/$name.log" 2>&1 || {
    echo "corpusmill run failed ($name):" >&2; tail -20 "$WORK/$name.log" >&2; exit 1; }
  read -r wall user sys <"$WORK/$name.time"
  echo "$wall $(echo "$user + $sys" | bc)"
}
records() {
  for f in "$1"/part-*.jsonl.zst "$1"/rejected.jsonl.zst "$1"/duplicates.jsonl.zst; do
    zstd -dcq "$f"
  done
  cat "$1/errors.jsonl"
}

read -r s_wall s_cpu < <(timed single)
read -r w4_wall w4_cpu < <(timed w4 --executor local --world-size 4)
read -r w2_wall w2_cpu < <(timed w2 --executor local --world-size 2)
# The same cleaning without near dedup: every document's text as the pipeline cleaned it, for
# the similarity of planted pairs (per-site boilerplate removed, as the dedup saw them).
timed reference --disable entities --disable near_dedup >/dev/null
records "$WORK/single" >"$WORK/single.txt"
same() { records "$WORK/$1" | cmp -s - "$WORK/single.txt" && echo yes || echo NO; }
MB=$(stats_field "$WORK/single/stats.json" bytes_in | awk '{printf "%.1f", $1 / 1e6}')
DOCS=$(stats_field "$WORK/single/stats.json" docs_in)

echo "Corpus: $DOCS documents, $MB MB uncompressed JSONL ($(ls "$CORPUS"/part-*.jsonl.zst | wc -l) zstd files, so one piece each), all default stages, \`--threads $T\`."
echo
echo "| run | wall s | CPU s (all processes) | CPU vs one process | records identical to one process |"
echo "|---|---:|---:|---:|---|"
echo "| one process | $s_wall | $s_cpu | 1.00 | |"
for n in 4 2; do
  eval "w=\$w${n}_wall c=\$w${n}_cpu"
  echo "| --executor local --world-size $n | $w | $c | $(echo "scale=2; $c / $s_cpu" | bc) | $(same "w$n") |"
done
echo
echo "Near duplicates against the corpus's truth.jsonl (\`examples/planted_eval.rs\`):"
echo
echo '```'
echo "one process:      $("$EVAL" "$CORPUS" "$WORK/single" "$WORK/reference" 2>&1 | tail -1)"
echo "world size 4:     $("$EVAL" "$CORPUS" "$WORK/w4" "$WORK/reference" 2>&1 | tail -1)"
echo '```'
echo
python3 - "$WORK/w4/.work" "$MB" "$WORK/w4" <<'PY'
import glob, json, os, sys
work, mb, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
stages = ["prescan", "prepare", "match", "cluster", "finish", "merge", "manifest"]
out_mb = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "*.jsonl*"))) / 1e6
print("Per stage, `--world-size 4` (CPU s of all its tasks; MB/s per core = uncompressed input MB / "
      "CPU s; merge copies the output, %.1f MB, so its rate is output MB per wall second of a task):" % out_mb)
print()
print("| stage | tasks | CPU s | longest task s | MB/s per core | 1 TB on 8 × 16 cores, s |")
print("|---|---:|---:|---:|---:|---:|")
TB, CORES, NODES = 1e6, 128, 8
total = 0.0
for s in stages:
    ms = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, s, "r*.done")))]
    if not ms:
        continue
    cpu = sum(m["cpu_s"] for m in ms)
    longest = max(m["wall_s"] for m in ms)
    scale = TB / mb
    if s in ("cluster", "manifest"):
        # One task on one core: its CPU time grows with the corpus.
        rate, model = "(one task)", cpu * scale
    elif s == "merge":
        r = out_mb / max(longest * len(ms), 1e-9)  # MB per task-second
        rate, model = "%.0f (copy)" % r, out_mb * scale / (r * NODES)
    else:
        r = mb / max(cpu, 1e-9)
        rate, model = "%.1f" % r, TB / (r * CORES)
    total += model
    print("| %s | %d | %.2f | %.2f | %s | %.0f |" % (s, len(ms), cpu, longest, rate, model))
print("| **total** | | | | | **%.0f (%.1f h)** |" % (total, total / 3600))
PY
