#!/usr/bin/env python3
"""A duplicate-heavy corpus: of every 4 documents, 3 are copies.

usage: benches/harness/dupheavy.py SEED_ARTICLES.jsonl(.zst) OUT.jsonl [ROUNDS]

Each round takes every seed article as an original (rounds after the first replace ~30% of its
words with other words of the article, so rounds are not copies of each other), then writes two
exact copies under new ids and one near copy with ~4% of its words replaced. Seeded: the same
input gives the same bytes. Reads .zst input through the `zstd` command.
"""
import json
import random
import subprocess
import sys

src, out_path = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout if src.endswith(".zst") else open(src, "rb").read()
arts = [json.loads(l) for l in raw.decode().splitlines() if l.strip()]
rng = random.Random(7)
n = 0
with open(out_path, "w") as out:
    for rnd in range(rounds):
        for a in arts:
            words = a["text"].split(" ")
            if rnd:
                for i in range(len(words)):
                    if rng.random() < 0.3:
                        words[i] = rng.choice(words)
            base = dict(a, id=f"r{rnd}-{a['id']}", text=" ".join(words))
            out.write(json.dumps(base) + "\n")
            for k in range(2):
                out.write(json.dumps(dict(base, id=f"{base['id']}-copy{k}")) + "\n")
            w = base["text"].split(" ")
            for i in range(len(w)):
                if rng.random() < 0.04:
                    w[i] = rng.choice(w)
            out.write(json.dumps(dict(base, id=f"{base['id']}-near", text=" ".join(w))) + "\n")
            n += 4
print(f"{n} documents written to {out_path}", file=sys.stderr)
