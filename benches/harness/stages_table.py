#!/usr/bin/env python3
"""Prints the `stages` block of a corpusmill stats.json as a markdown table.

usage: benches/harness/stages_table.py STATS_JSON
"""
import json
import sys

s = json.load(open(sys.argv[1]))
stages = s["stages"]
total = sum(v["seconds"] for v in stages.values()) or 1e-9
mb = s["bytes_in"] / 1e6
print("| stage | docs in | dropped | CPU s | share of stage CPU | MB/s of input per stage CPU s |")
print("|---|---:|---:|---:|---:|---:|")
for name, v in stages.items():
    rate = f"{mb / v['seconds']:.0f}" if v["seconds"] > 0 else "–"
    print(f"| {name} | {v['docs_in']} | {v['docs_dropped']} | {v['seconds']:.2f} | "
          f"{100 * v['seconds'] / total:.1f}% | {rate} |")
