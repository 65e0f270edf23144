#!/usr/bin/env python3
"""Throughput of corpusmill.Pipeline.process against `corpusmill run` on the same records.

Usage (from the repository root, in a venv where `pip install .` was run, after
`cargo build --release`):

    python benches/harness/py_stream.py [INPUT.jsonl(.zst)] [--threads N] [--rounds R]

Both run every default stage but the per-site repeated-lines stage (a Pipeline cannot pre-scan,
so the command line runs with --disable repeated_lines too) with the same thread count. The
command line's time is its wall time (reading, decompressing, writing zstd shards included);
the Pipeline's is the wall time of iterating process() over dicts already in memory (json
conversion in and out included). The best of R rounds of each is reported.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpusmill

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", default=str(ROOT / "tests/data/bbc-1000.jsonl.zst"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / "target/release/corpusmill"))
    a = ap.parse_args()
    raw = Path(a.input).read_bytes()
    if a.input.endswith(".zst"):
        raw = subprocess.run(["zstd", "-dc", a.input], capture_output=True, check=True).stdout
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    mb = len(raw) / 1e6

    cli, py = [], []
    for _ in range(a.rounds):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            subprocess.run(
                [a.bin, "run", "-q", "--no-progress", "-i", a.input, "-o", f"{d}/out",
                 "-t", str(a.threads), "--disable", "repeated_lines"],
                check=True,
            )
            cli.append(time.perf_counter() - t)
            written = json.loads(Path(f"{d}/out/stats.json").read_text())["docs_written"]
        p = corpusmill.Pipeline(threads=a.threads, disable=["repeated_lines"])
        t = time.perf_counter()
        n = sum(1 for _ in p.process(records))
        py.append(time.perf_counter() - t)
        assert n == written, (n, written)
    c, q = min(cli), min(py)
    print(f"records {len(records)}, {mb:.1f} MB, threads {a.threads}, kept {written}")
    print(f"corpusmill run:           {c:6.2f} s  {len(records) / c:7.0f} docs/s  {mb / c:5.2f} MB/s")
    print(f"Pipeline.process:         {q:6.2f} s  {len(records) / q:7.0f} docs/s  {mb / q:5.2f} MB/s")
    print(f"Pipeline / command line:  {c / q:6.1%}")


if __name__ == "__main__":
    sys.exit(main())
