#!/usr/bin/env bash
# Peak RSS for a 100 MB and a 1 GB input (issue: bounded memory whatever the input size).
#
# usage: benches/harness/memory.sh WORK_DIR [BINARY]
#   WORK_DIR  gets corpus-100/ and corpus-1000/ (generated with `corpusmill gen` when empty)
# Runs `corpusmill run --threads 2` with the read + normalize + exact dedup + write stage set,
# and with every stage but NER, and prints peak RSS (GNU time's %M) per input size. The bound
# checked: RSS(1 GB) <= 1.2 x RSS(100 MB) + 16 bytes x documents of the 1 GB input (the
# exact-dedup allowance), plus 200 bytes per document (the near-dedup index budget) for the set
# that runs near dedup.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WORK=${1:?usage: memory.sh WORK_DIR [BINARY]}
BIN=${2:-$ROOT/target/release/corpusmill}
[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release" >&2; exit 1; }
gen_corpus "$BIN" "$WORK/corpus-100" 100 42 8
gen_corpus "$BIN" "$WORK/corpus-1000" 1000 43 32

SETS=(
  "read + normalize + exact dedup + write|16|normalize min_length exact_dedup"
  "all but NER|216|normalize line_rules repeated_lines quality min_length lang exact_dedup near_dedup"
)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/corpusmill-mem.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
echo "| stages | RSS 100 MB (MB) | docs 1 GB | RSS 1 GB (MB) | growth | allowance B/doc | bound 1.2 x RSS100 + allowance (MB) | within |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for entry in "${SETS[@]}"; do
  name=${entry%%|*}
  rest=${entry#*|}
  per_doc=${rest%%|*}
  mapfile -t args < <(disable_args "${rest#*|}")
  declare -A rss docs
  for size in 100 1000; do
    rm -rf "$OUT/out"
    /usr/bin/time -f "%M" -o "$OUT/time.txt" "$BIN" run --input "$WORK/corpus-$size/part-*.jsonl.zst" \
      --output "$OUT/out" --threads 2 --no-progress -q "${args[@]}" >"$OUT/run.log" 2>&1 || {
      echo "corpusmill run failed for '$name' at $size MB:" >&2; tail -20 "$OUT/run.log" >&2; exit 1; }
    rss[$size]=$(cat "$OUT/time.txt")
    docs[$size]=$(stats_field "$OUT/out/stats.json" docs_in)
  done
  awk -v n="$name" -v a="${rss[100]}" -v b="${rss[1000]}" -v d="${docs[1000]}" -v p="$per_doc" 'BEGIN{
    a/=1024; b/=1024; bound=1.2*a + p*d/1048576;
    printf "| %s | %.1f | %d | %.1f | %+.0f%% | %d | %.1f | %s |\n", n, a, d, b, 100*(b-a)/a, p, bound, (b<=bound?"yes":"no") }'
done
