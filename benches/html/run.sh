#!/usr/bin/env bash
# The html extraction benchmark: builds the dev set from a mozilla/readability checkout, runs
# the extractor comparison (corpusmill's html stage, rs-trafilatura, dom_smoothie, parse-only
# tl and scraper, and trafilatura from Python when TRAF_PYTHON names an interpreter that has
# it), then `corpusmill run --threads 1` with all stages but entities on the dev pages (five
# copies under distinct ids and sites). Prints the BENCHMARKS.md section.
#
# usage: benches/html/run.sh READABILITY_CHECKOUT [OUT_DIR]
# environment: TRAF_PYTHON (e.g. a venv's python with `pip install trafilatura lxml_html_clean`)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$1
OUT=${2:-$ROOT/target/bench/html}
MIN=10000
mkdir -p "$OUT"
python3 "$ROOT/benches/html/build_dev.py" "$SRC" "$OUT/dev.jsonl"
EXTRA=()
if [ -n "${TRAF_PYTHON:-}" ]; then
  rate=$("$TRAF_PYTHON" "$ROOT/benches/html/trafilatura_eval.py" "$OUT/dev.jsonl" $MIN "$OUT/traf-out.jsonl")
  EXTRA+=("trafilatura $("$TRAF_PYTHON" -c 'import trafilatura; print(trafilatura.__version__)') (Python)=$OUT/traf-out.jsonl@$rate")
fi
(cd "$ROOT/benches/html/compare" && cargo build --release --quiet --target-dir "$ROOT/target/html-compare")
"$ROOT/target/html-compare/release/html-compare" "$OUT/dev.jsonl" $MIN "${EXTRA[@]}" >"$OUT/compare.md"
(cd "$ROOT" && cargo build --release --quiet)
python3 - "$OUT/dev.jsonl" "$OUT/run-in.jsonl" $MIN <<'PY'
import json, sys
pages = [json.loads(l) for l in open(sys.argv[1])]
pages = [p for p in pages if len(p["html"]) >= int(sys.argv[3])]
with open(sys.argv[2], "w") as f:
    for k in range(5):
        for p in pages:
            f.write(json.dumps({"id": f"{p['id']}-{k}", "url": f"https://s{k}.example.org/{p['id']}", "html": p["html"]}) + "\n")
PY
printf '[input]\nhtml_key = "html"\n[entities]\nenabled = false\n' >"$OUT/run.toml"
rm -rf "$OUT/run"
/usr/bin/time -f "%U %S %M" -o "$OUT/time.txt" "$ROOT/target/release/corpusmill" run --no-progress \
  --threads 1 --config "$OUT/run.toml" --input "$OUT/run-in.jsonl" --output "$OUT/run" 2>/dev/null
read -r user sys rss <"$OUT/time.txt"
echo "Command: \`benches/html/run.sh\` on the $(wc -l <"$OUT/dev.jsonl") readability test pages, of which those of at least $MIN bytes"
echo
cat "$OUT/compare.md"
echo
echo "| run | docs | CPU s | docs/s per core (CPU) | wall s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|"
python3 - "$OUT/run/stats.json" "$user" "$sys" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
cpu = float(sys.argv[2]) + float(sys.argv[3])
docs = s["docs_in"]
html_s = s["stages"]["html"]["seconds"]
print(f"| `corpusmill run --threads 1`, all stages but entities | {docs} | {cpu:.2f} | {docs / cpu:.0f} | {s['timing']['wall_s']:.2f} | {int(sys.argv[4]) // 1024} |")
print(f"| of which the html stage (main pass; the pre-scan for repeated lines runs it again) | {docs} | {html_s:.2f} | {docs / html_s:.0f} | | |")
PY
