#!/usr/bin/env bash
# Duplicate-heavy corpus, all default stages, one worker thread: two binaries side by side.
#
# usage: benches/harness/flow.sh BASE_BINARY [NEW_BINARY] [WORK_DIR]
#   BASE_BINARY  an older corpusmill to compare with (e.g. built from commit e50b775)
#   NEW_BINARY   default target/release/corpusmill
#   WORK_DIR     where the corpus and outputs go (default target/bench/flow)
# The corpus (benches/harness/dupheavy.py, 3 of every 4 documents are exact or near copies) is
# made from SEED_INPUT once. The binaries run alternately RUNS times each (default 3) so machine
# drift hits both alike; the row of each is its median CPU time (user + system of the process).
# Prints the comparison table, then the new binary's per-stage table from its stats.json, and
# how many kept documents differ between the two outputs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BASE=${1:?usage: flow.sh BASE_BINARY [NEW_BINARY] [WORK_DIR]}
NEW=${2:-$ROOT/target/release/corpusmill}
WORK=${3:-$ROOT/target/bench/flow}
mkdir -p "$WORK"
CORPUS=$WORK/dupheavy.jsonl.zst
if [ ! -f "$CORPUS" ]; then
  python3 "$ROOT/benches/harness/dupheavy.py" "$SEED_INPUT" "$WORK/dupheavy.jsonl" 2>/dev/null
  zstd -q -f --rm "$WORK/dupheavy.jsonl" -o "$CORPUS"
fi

# Each binary runs with its built-in defaults (not ./config/default.toml, which an older binary
# may not read).
cd "$WORK"
declare -A cpu
for i in $(seq "${RUNS:-3}"); do
  for which in base new; do
    bin=$BASE; [ "$which" = new ] && bin=$NEW
    rm -rf "$WORK/out-$which"
    /usr/bin/time -f "%U %S" -o "$WORK/time.txt" "$bin" run --input "$CORPUS" \
      --output "$WORK/out-$which" --threads 1 --no-progress -q
    read -r u s <"$WORK/time.txt"
    cpu[$which]="${cpu[$which]:-} $(echo "$u + $s" | bc)"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | sed -n "$(( (${RUNS:-3} + 1) / 2 ))p"; }
b=$(echo "${cpu[base]}" | median)
n=$(echo "${cpu[new]}" | median)
docs=$(stats_field "$WORK/out-new/stats.json" docs_in)
bytes=$(stats_field "$WORK/out-new/stats.json" bytes_in)
echo "| binary | CPU s (median of ${RUNS:-3}) | MB/s per core | docs/s per core |"
echo "|---|---:|---:|---:|"
awk -v b="$b" -v n="$n" -v d="$docs" -v m="$bytes" 'BEGIN{
  printf "| base | %.2f | %.1f | %.0f |\n", b, m/1e6/b, d/b
  printf "| new | %.2f | %.1f | %.0f |\n", n, m/1e6/n, d/n
  printf "\nSpeed-up: **%.2fx** (base CPU s / new CPU s)\n", b/n }'
echo
python3 "$ROOT/benches/harness/stages_table.py" "$WORK/out-new/stats.json"
echo
python3 - "$WORK/out-base" "$WORK/out-new" <<'PY'
import glob, json, subprocess, sys
def kept(d):
    recs = {}
    for p in sorted(glob.glob(f"{d}/part-*.jsonl.zst")):
        for line in subprocess.run(["zstd", "-dc", p], check=True, capture_output=True).stdout.splitlines():
            r = json.loads(line)
            recs[r["id"]] = r
    return recs
a, b = kept(sys.argv[1]), kept(sys.argv[2])
diff = sum(1 for k in a.keys() | b.keys() if a.get(k) != b.get(k))
ids = len(a.keys() ^ b.keys())
print(f"Kept documents: base {len(a)}, new {len(b)}; ids kept by only one: {ids} "
      f"({100 * ids / max(len(a), 1):.2f}%); records that differ in any field: {diff} "
      f"({100 * diff / max(len(a), 1):.2f}%)")
PY
