# Shared helpers for the bench scripts (sourced, not run).
# Field names of corpusmill's stats.json live here, in one place: adjust them if stats.json changes.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SEED_INPUT="${SEED_INPUT:-$ROOT/../shared/data/bbc/articles.jsonl.zst}"

# Every stage that `corpusmill run --disable` accepts, in pipeline order, from the stage registry
# (`corpusmill stages`); build the binary first.
ALL_STAGES="$("$ROOT/target/release/corpusmill" stages 2>/dev/null | awk '{print $1}' | tr '\n' ' ')"

# disable_args "STAGE ...": prints, one per line, the --disable arguments that switch off every
# stage not in the list (read them with mapfile -t).
disable_args() {
  local s
  for s in $ALL_STAGES; do
    case " $1 " in *" $s "*) ;; *) printf '%s\n' --disable "$s" ;; esac
  done
}

# gen_corpus BIN OUT_DIR SIZE_MB SEED SHARDS: generate a corpus with `corpusmill gen`.
# Reuses OUT_DIR when it already has shards.
gen_corpus() {
  local bin=$1 out=$2 mb=$3 seed=$4 shards=$5
  if compgen -G "$out/part-*.jsonl.zst" >/dev/null; then
    echo "corpus: reusing $out" >&2
    return 0
  fi
  mkdir -p "$out"
  "$bin" gen --input "$SEED_INPUT" --size "${mb}MB" --output "$out" --seed "$seed" --shards "$shards" >"$out/gen-report.json"
}

# stats_field STATS_JSON KEY: prints one field of stats.json ('' when missing). Keys:
#   docs_in   documents read       bytes_in  uncompressed input bytes     wall_s  run wall time
stats_field() {
  python3 - "$1" "$2" <<'PY'
import json, sys
path, key = sys.argv[1], sys.argv[2]
PATHS = {  # where each value lives in stats.json; first match wins
    "docs_in": [("docs_in",), ("docs", "in"), ("input", "docs")],
    "bytes_in": [("bytes_in",), ("bytes", "in"), ("input", "bytes")],
    "wall_s": [("timing", "wall_s"), ("wall_s",), ("elapsed_s",)],
}
try:
    data = json.load(open(path))
except Exception:
    print("")
    sys.exit(0)
for p in PATHS.get(key, [(key,)]):
    v = data
    for k in p:
        v = v.get(k) if isinstance(v, dict) else None
    if v is not None:
        print(v)
        break
else:
    print("")
PY
}

# corpus_size DIR: prints "docs bytes" (uncompressed) of the corpus shards, from gen-report.json when
# present, else by decompressing.
corpus_size() {
  python3 - "$1" <<'PY'
import glob, json, os, subprocess, sys
d = sys.argv[1]
rep = os.path.join(d, "gen-report.json")
try:
    r = json.load(open(rep))
    print(r["docs"], r["bytes"])
    sys.exit(0)
except Exception:
    pass
docs = nbytes = 0
for f in sorted(glob.glob(os.path.join(d, "part-*.jsonl*"))):
    data = subprocess.run(["zstd", "-dcq", f], capture_output=True).stdout if f.endswith(".zst") else open(f, "rb").read()
    docs += data.count(b"\n")
    nbytes += len(data)
print(docs, nbytes)
PY
}
