#!/usr/bin/env bash
# Per-core throughput of `corpusmill run` for growing sets of stages, one worker thread.
#
# usage: benches/harness/stagesets.sh CORPUS_DIR [BINARY]
#   CORPUS_DIR   folder of part-*.jsonl.zst shards (made with `corpusmill gen`; generated there
#                when empty, CORPUS_MB megabytes, default 200)
# Per core = uncompressed input MB / CPU seconds (user + system) of the whole process (reader,
# worker, ordered and writer threads together): on a shared machine CPU time is steadier than
# wall time, and it charges every thread the run used. Wall-time MB/s is shown beside it.
# Each set runs RUNS times (default 3); the row is the run with the median CPU time.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CORPUS=${1:?usage: stagesets.sh CORPUS_DIR [BINARY]}
BIN=${2:-$ROOT/target/release/corpusmill}
[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release" >&2; exit 1; }
gen_corpus "$BIN" "$CORPUS" "${CORPUS_MB:-200}" 42 16

# name|stages kept on (every other stage is disabled)
SETS=(
  "read + normalize + exact dedup + write|normalize min_length exact_dedup"
  "+ cleaning (line rules, repeated lines, quality, lang)|normalize line_rules repeated_lines quality min_length lang exact_dedup"
  "+ near dedup (all but NER)|normalize line_rules repeated_lines quality min_length lang exact_dedup near_dedup"
  "all default stages (with NER)|$ALL_STAGES"
)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/corpusmill-sets.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "| stages | docs | MB | CPU s | MB/s per core (CPU) | docs/s per core (CPU) | wall MB/s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for entry in "${SETS[@]}"; do
  name=${entry%%|*}
  mapfile -t args < <(disable_args "${entry#*|}")
  runs=()
  for _ in $(seq "${RUNS:-3}"); do
    rm -rf "$WORK/out"
    /usr/bin/time -f "%U %S %M" -o "$WORK/time.txt" "$BIN" run --input "$CORPUS/part-*.jsonl.zst" \
      --output "$WORK/out" --threads 1 --no-progress -q "${args[@]}" >"$WORK/run.log" 2>&1 || {
      echo "corpusmill run failed for '$name':" >&2; tail -20 "$WORK/run.log" >&2; exit 1; }
    read -r user sys rss <"$WORK/time.txt"
    runs+=("$(echo "$user + $sys" | bc) $user $sys $rss $(stats_field "$WORK/out/stats.json" wall_s)")
  done
  read -r _ user sys rss wall < <(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (${#runs[@]} + 1) / 2 ))p")
  docs=$(stats_field "$WORK/out/stats.json" docs_in)
  bytes=$(stats_field "$WORK/out/stats.json" bytes_in)
  awk -v n="$name" -v u="$user" -v s="$sys" -v r="$rss" -v d="$docs" -v b="$bytes" -v w="$wall" 'BEGIN{
    cpu=u+s; mb=b/1e6;
    printf "| %s | %d | %.1f | %.2f | %.1f | %.0f | %.1f | %.0f |\n", n, d, mb, cpu, mb/cpu, d/cpu, mb/w, r/1024 }'
done
