#!/usr/bin/env bash
# Scores the whole pipeline's output, not the html stage alone, on an html dev set (JSONL with
# `id`, `html` and `gold`, as build_dev.py and build_dev2.py write them): `corpusmill run` with
# `input.html_key = "html"` and the default config (entities off; they do not change the text),
# then the shingle scorer of examples/html_eval.rs over every page of the set, a page that the
# pipeline dropped counting as empty output. Prints the rejection reasons, the pipeline's score
# and the html stage's own score on the same pages.
#
# With WARC=1 the pages go in as a gzipped WARC of HTTP responses with an image response after
# each (benches/html/to_warc.py), and the output is matched to the pages by `url`.
#
# KEEP=<path> keeps the pipeline's text per page (JSONL with `id` and `out`, as html_eval's
# DUMP writes it) for a page-by-page comparison.
#
# usage: benches/html/pipeline.sh DEV.jsonl [MIN_PAGE_BYTES] [corpusmill run flags...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV=$1
MIN=${2:-0}
shift $(($# < 2 ? $# : 2))
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
(cd "$ROOT" && cargo build --release --quiet --example html_eval && cargo build --release --quiet)
printf '[input]\nhtml_key = "html"\n[entities]\nenabled = false\n' >"$OUT/run.toml"
INPUT=$DEV
if [ -n "${WARC:-}" ]; then
  INPUT=$OUT/pages.warc.gz
  python3 "$ROOT/benches/html/to_warc.py" "$DEV" "$INPUT"
fi
code=0
"$ROOT/target/release/corpusmill" run --no-progress --config "$OUT/run.toml" --input "$INPUT" \
  --output "$OUT/run" "$@" 2>/dev/null || code=$?
# Exit code 2 reports recoverable input errors (listed in errors.jsonl); anything else failed.
[ "$code" -le 2 ] || exit "$code"
python3 - "$OUT/run" "$OUT/outs.jsonl" <<'PY'
import collections, glob, json, subprocess, sys
run, outs = sys.argv[1], sys.argv[2]
def lines(path):
    return subprocess.run(["zstd", "-dc", path], capture_output=True, text=True, check=True).stdout.splitlines()
with open(outs, "w") as f:
    for part in sorted(glob.glob(run + "/part-*.jsonl.zst")):
        for l in lines(part):
            v = json.loads(l)
            # From a WARC, the page's own id is the last part of its url.
            page = v["url"].rsplit("/", 1)[1] if v.get("url", "").startswith("http://dev.example/") else v["id"]
            f.write(json.dumps({"id": page, "out": v.get("text", "")}) + "\n")
why = collections.Counter()
for side in ("rejected", "duplicates"):
    for path in glob.glob(f"{run}/{side}.jsonl.zst"):
        for l in lines(path):
            v = json.loads(l)
            why[f"{v['stage']}/{v['rule']}" if side == "rejected" else "near or exact duplicate"] += 1
print("dropped:", ", ".join(f"{k} {n}" for k, n in why.most_common()) or "none")
PY
if [ -n "${KEEP:-}" ]; then cp "$OUT/outs.jsonl" "$KEEP"; fi
printf 'pipeline:   '
OUTS="$OUT/outs.jsonl" "$ROOT/target/release/examples/html_eval" "$DEV" "$MIN" | sed 's/  [0-9]* pages\/s$//'
printf 'html stage: '
"$ROOT/target/release/examples/html_eval" "$DEV" "$MIN" | sed 's/  [0-9]* pages\/s$//'
