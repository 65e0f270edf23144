"""Runs trafilatura (`trafilatura.extract`, default settings) over the html dev set on one core
and writes its outputs for the Rust scorer, so every extractor is scored by the same code.
With DATATROVE=1 it uses the settings datatrove's `Trafilatura` extractor passes
(`favor_precision=True`, `deduplicate=True`, `include_comments=False`), those of the
trafilatura figure measured on the acceptance pages.

usage: python trafilatura_eval.py DEV.jsonl MIN_PAGE_BYTES OUT.jsonl
prints: pages/s (CPU time of this process)
"""
import json, os, sys, time

import trafilatura

pages = [json.loads(l) for l in open(sys.argv[1])]
pages = [p for p in pages if len(p["html"]) >= int(sys.argv[2])]
t = time.process_time()
opts = {}
if os.environ.get("DATATROVE") == "1":
    opts = dict(favor_precision=True, deduplicate=True, include_comments=False)
outs = [trafilatura.extract(p["html"], **opts) or "" for p in pages]
secs = time.process_time() - t
with open(sys.argv[3], "w") as f:
    for p, o in zip(pages, outs):
        f.write(json.dumps({"id": p["id"], "out": o}) + "\n")
print(f"{len(pages) / secs:.1f}")
