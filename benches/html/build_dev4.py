"""Builds the fifth html dev set: news and blog pages of 2017 from about 240 sites, found
through Google searches, with article text marked by people. One JSON object per line with
`id`, `source`, `url` (empty: the source does not record it), `html` (the page) and `gold`
(its article text), split at random (fixed seed) into a tuning half and a check half that is
only scored at the end.

usage: build_dev4.py IR_RESEARCH_DATA_GIT_DIR OUT_DIR
writes: OUT_DIR/dev4-tune.jsonl, OUT_DIR/dev4-check.jsonl (and prints the counts)

Source (read from git objects at HEAD of a public repository; the pages are not part of this
repository): github.com/MSVCode/ir-research-data (commit cbb428c), the "Chaos" web content
extraction set of Utomo and Leu: 360 pages (Extraction/chaos-all/html/NAME.htm) with gold
text (Extraction/chaos-all/gold/NAME.txt), ten pages for each of 36 search queries. Terms of
use: research only, with a reference; the set is read at benchmark time and never copied into
this repository. Only that folder is read.

The gold's first line is the page's headline, which the html stage leaves out of the text as
metadata (`title`), so it is dropped from the gold. Gold files are UTF-8 or Windows-1252.
Pages whose gold has fewer than 30 words, and a page whose HTML is byte for byte that of an
earlier one, are dropped; the counts are printed.
"""
import hashlib, subprocess, sys

from build_dev2 import decode, git_show
from build_dev3 import write_halves

SEED = 31
MIN_GOLD_WORDS = 30
FOLDER = "Extraction/chaos-all"


def git_ls(repo, path):
    """File names under `path` at HEAD (these names hold spaces and parentheses)."""
    out = subprocess.check_output(["git", "-C", repo, "ls-tree", "-z", "--name-only", f"HEAD:{path}"])
    return [n for n in out.decode().split("\0") if n]


def gold_text(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    lines = [" ".join(l.split()) for l in text.replace("\r", "\n").split("\n")]
    lines = [l for l in lines if l]
    return "\n".join(lines[1:])


def main():
    repo, out_dir = sys.argv[1], sys.argv[2]
    pages, dropped, seen, repeated = [], 0, set(), 0
    htmls = {n.rsplit(".", 1)[0]: n for n in git_ls(repo, f"{FOLDER}/html")}
    for name in sorted(git_ls(repo, f"{FOLDER}/gold")):
        stem = name.rsplit(".", 1)[0]
        if stem not in htmls:
            dropped += 1
            continue
        gold = gold_text(git_show(repo, f"{FOLDER}/gold/{name}"))
        raw = git_show(repo, f"{FOLDER}/html/{htmls[stem]}")
        if len(gold.split()) < MIN_GOLD_WORDS:
            dropped += 1
            continue
        digest = hashlib.sha256(raw).digest()
        if digest in seen:
            repeated += 1
            continue
        seen.add(digest)
        ident = "chaos2017-" + "".join(c if c.isalnum() else "-" for c in stem).strip("-")
        pages.append({"id": ident, "source": "chaos2017", "url": "", "html": decode(raw),
                      "gold": gold})
    write_halves(pages, SEED, f"{out_dir}/dev4")
    print(f"dropped (short gold or no page): {dropped}; repeated pages dropped: {repeated}")


if __name__ == "__main__":
    main()
