"""Runs trafilatura (`trafilatura.extract`, default settings) over the html dev set on one core
and writes its outputs for the Rust scorer, so every extractor is scored by the same code.

usage: python trafilatura_eval.py DEV.jsonl MIN_PAGE_BYTES OUT.jsonl
prints: pages/s (CPU time of this process)
"""
import json, sys, time

import trafilatura

pages = [json.loads(l) for l in open(sys.argv[1])]
pages = [p for p in pages if len(p["html"]) >= int(sys.argv[2])]
t = time.process_time()
outs = [trafilatura.extract(p["html"]) or "" for p in pages]
secs = time.process_time() - t
with open(sys.argv[3], "w") as f:
    for p, o in zip(pages, outs):
        f.write(json.dumps({"id": p["id"], "out": o}) + "\n")
print(f"{len(pages) / secs:.1f}")
