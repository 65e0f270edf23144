#!/usr/bin/env bash
# End-to-end scaling harness: runs `corpusmill run` on one corpus at 1, 2, 4, ... N threads (and N)
# and prints docs/s, MB/s, MB/s per core, parallel efficiency and peak RSS as a markdown table and CSV.
#
# usage: benches/harness/scale.sh CORPUS_DIR [MAX_THREADS] [BINARY]
#   CORPUS_DIR   folder of part-*.jsonl.zst shards (made with `corpusmill gen`); generated there
#                when empty, with CORPUS_MB (default 200) megabytes
#   MAX_THREADS  default: number of cores
#   BINARY       default: target/release/corpusmill
# environment:
#   RUN_ARGS     extra arguments for every run, e.g. "--disable entities" or "--config my.toml"
#   LABEL        name of this variant in the output (default "all stages")
#   REPEAT       runs per thread count, best wall time kept (default 1)
#   OUT_CSV      also write the CSV here
#   OUT_MD       also write the markdown table here
# efficiency(T) = (MB/s at T / T) / (MB/s at 1 thread); MB = uncompressed input bytes / 1e6.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CORPUS=${1:?usage: scale.sh CORPUS_DIR [MAX_THREADS] [BINARY]}
MAX=${2:-$(nproc)}
BIN=${3:-$ROOT/target/release/corpusmill}
RUN_ARGS=${RUN_ARGS:-}
LABEL=${LABEL:-all stages}
REPEAT=${REPEAT:-1}
[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release" >&2; exit 1; }
gen_corpus "$BIN" "$CORPUS" "${CORPUS_MB:-200}" 42 16
read -r DOCS BYTES < <(corpus_size "$CORPUS")

THREADS=()
t=1
while [ "$t" -lt "$MAX" ]; do THREADS+=("$t"); t=$((t * 2)); done
THREADS+=("$MAX")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/corpusmill-scale.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CSV="variant,threads,docs,mb,wall_s,docs_per_s,mb_per_s,mb_per_s_per_core,efficiency,peak_rss_mb"
MD="| threads | wall s | docs/s | MB/s | MB/s per core | efficiency | peak RSS MB |
|---:|---:|---:|---:|---:|---:|---:|"
BASE=""
for T in "${THREADS[@]}"; do
  best=""
  rss=""
  for _ in $(seq "$REPEAT"); do
    rm -rf "$WORK/out"
    # shellcheck disable=SC2086 # RUN_ARGS is a list of words on purpose
    /usr/bin/time -v -o "$WORK/time.txt" "$BIN" run --input "$CORPUS/part-*.jsonl.zst" --output "$WORK/out" \
      --threads "$T" --no-progress $RUN_ARGS >"$WORK/run.log" 2>&1 || {
      echo "corpusmill run failed at $T threads:" >&2; tail -20 "$WORK/run.log" >&2; exit 1; }
    wall=$(stats_field "$WORK/out/stats.json" wall_s)
    if [ -z "$wall" ]; then # fall back to /usr/bin/time's elapsed (h:mm:ss or m:ss.ss)
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
    fi
    r=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; rss=$r; fi
  done
  d=$(stats_field "$WORK/out/stats.json" docs_in); [ -n "$d" ] && DOCS=$d
  b=$(stats_field "$WORK/out/stats.json" bytes_in); [ -n "$b" ] && BYTES=$b
  row=$(awk -v t="$T" -v w="$best" -v d="$DOCS" -v b="$BYTES" -v base="$BASE" -v rss="$rss" 'BEGIN{
    mb=b/1e6; mbs=mb/w; pc=mbs/t; if (base=="") base=mbs; eff=pc/base;
    printf "%d %.3f %.0f %.2f %.2f %.2f %s %s %.1f", t, w, d/w, mbs, pc, eff, rss, base, mb }')
  read -r _ w dps mbs pc eff rss_mb base mb <<<"$row"
  BASE=$base
  CSV+=$'\n'"$LABEL,$T,$DOCS,$mb,$w,$dps,$mbs,$pc,$eff,$rss_mb"
  MD+=$'\n'"| $T | $w | $dps | $mbs | $pc | $eff | $rss_mb |"
  echo "threads=$T wall=${w}s MB/s=$mbs per-core=$pc efficiency=$eff rss=${rss_mb}MB" >&2
done

HEAD="**$LABEL** — corpus $CORPUS: $DOCS docs, $(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1e6}') MB uncompressed; $(nproc) cores, $(lscpu 2>/dev/null | awk -F': +' '/Model name/ {print $2; exit}')"
printf '%s\n\n%s\n\n```csv\n%s\n```\n' "$HEAD" "$MD" "$CSV"
[ -n "${OUT_CSV:-}" ] && printf '%s\n' "$CSV" >"$OUT_CSV"
[ -n "${OUT_MD:-}" ] && printf '%s\n\n%s\n' "$HEAD" "$MD" >"$OUT_MD"
exit 0
