"""A third html dev set: trafilatura's own evaluation pages, scored by snippets.

trafilatura (github.com/adbar/trafilatura, Apache-2.0) keeps about 990 web pages (mostly
German and English news, blogs and shop pages of 2012-2023) in `tests/eval/` and
`tests/cache/`, and in `tests/evaldata.json`, for each page, a few sentences the main text
must hold (`with`) and a few pieces of furniture it must not (`without`). The pages are not
in this repository; build the set from a clone:

    python3 benches/html/snippets.py build TRAFILATURA_GIT_DIR target/bench/html/traf.jsonl

Score the whole pipeline (`corpusmill run` with `input.html_key = "html"`, entities off) or
trafilatura's outputs (`trafilatura_eval.py DEV.jsonl 0 OUT.jsonl`):

    python3 benches/html/snippets.py run target/bench/html/traf.jsonl
    python3 benches/html/snippets.py score target/bench/html/traf.jsonl OUT.jsonl

A `with` snippet found in the output (whitespace collapsed) is a true positive, one missing a
false negative; a `without` snippet found is a false positive. Precision, recall and F1 are
over all snippets, as in trafilatura's `tests/evaluate.py`. A page the pipeline dropped
counts as empty output. trafilatura was developed on these pages, so the set flatters it.
"""
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], capture_output=True, check=True).stdout


def build(repo, out):
    data = json.loads(git(repo, "show", "HEAD:tests/evaldata.json"))
    files = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD", "tests").decode().split("\n"))
    kept = missing = 0
    with open(out, "w") as f:
        for i, (url, v) in enumerate(data.items()):
            path = next((p for p in ("tests/eval/" + v["file"], "tests/cache/" + v["file"]) if p in files), None)
            if path is None:
                missing += 1
                continue
            raw = git(repo, "show", "HEAD:" + path)
            if path.endswith(".gz"):
                raw = gzip.decompress(raw)
            page = {"id": f"p{i}", "url": url, "html": raw.decode("utf-8", errors="replace")}
            page.update({"with": v["with"], "without": v["without"]})
            f.write(json.dumps(page) + "\n")
            kept += 1
    print(f"{kept} pages written, {missing} listed without a file")


def score(pages_path, outs):
    norm = lambda s: " ".join(s.split())
    tp = fn = fp = 0
    pages = 0
    for line in open(pages_path):
        page = json.loads(line)
        text = norm(outs.get(page["id"], ""))
        pages += 1
        tp += sum(norm(w) in text for w in page["with"])
        fn += sum(norm(w) not in text for w in page["with"])
        fp += sum(norm(w) in text for w in page["without"])
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * p * r / max(p + r, 1e-9)
    kept = sum(1 for v in outs.values() if v)
    print(f"pages {pages} ({kept} with text)  P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")


def run(pages_path, flags):
    binary = os.path.join(ROOT, "target", "release", "corpusmill")
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "run.toml")
        with open(config, "w") as f:
            f.write('[input]\nhtml_key = "html"\n[entities]\nenabled = false\n')
        cmd = [binary, "run", "--no-progress", "--config", config, "--input", pages_path]
        code = subprocess.run(cmd + ["--output", tmp + "/run", *flags], capture_output=True).returncode
        if code > 2:
            sys.exit(f"corpusmill run failed with exit code {code}")
        outs = {}
        for part in sorted(glob.glob(tmp + "/run/part-*.jsonl.zst")):
            text = subprocess.run(["zstd", "-dc", part], capture_output=True, text=True, check=True).stdout
            for line in text.splitlines():
                v = json.loads(line)
                outs[v["id"]] = v["text"]
    return outs


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("build", "run", "score"):
        sys.exit(__doc__)
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "run":
        score(sys.argv[2], run(sys.argv[2], sys.argv[3:]))
    else:
        score(sys.argv[2], {v["id"]: v["out"] for v in map(json.loads, open(sys.argv[3]))})
