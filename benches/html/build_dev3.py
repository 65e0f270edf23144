"""Builds the fourth html dev set: article pages of the modern web (collected 2025-2026), whose
gold article text was drafted by a language model and checked by people. One JSON object per
line with `id`, `source`, `url`, `html` (the page) and `gold` (its article text), split at
random (fixed seed) into a tuning half and a check half that is only scored at the end.

usage: build_dev3.py WEB_CONTENT_EXTRACTION_BENCHMARK_GIT_DIR OUT_DIR
writes: OUT_DIR/dev3-tune.jsonl, OUT_DIR/dev3-check.jsonl (and prints the counts)

Source (read from git objects at HEAD of a public repository; the pages are not part of this
repository): github.com/tiptopjaw/web-content-extraction-benchmark (commit
977613a3a90de65c9ed5e1db251eeede7b9d9714), licence Apache-2.0. It holds 1000 pages
(release/html/NNNN.html.gz) with ground truth (benchmark/ground-truth/NNNN.json:
ground_truth.main_content, the article body without its headline; _internal.page_type.primary,
the kind of page). Only pages of kind `article` or `blog` are taken (452): the others are
product, service, forum, documentation and listing pages, where what counts as the main text
is a matter of convention rather than of extraction. That repository also carries, as a
submodule, the scrapinghub article-extraction-benchmark: it is the held-out acceptance set and
is never read; this script reads only the two folders named above.

Pages whose gold has fewer than 30 words or whose page is under 2000 bytes are dropped, and
so is a page whose HTML is byte for byte that of an earlier one (the source holds 18 pages
twice, annotated twice); the counts are printed.
"""
import gzip, hashlib, json, random, sys

from build_dev2 import decode, git_ls, git_show

SEED = 23
MIN_GOLD_WORDS = 30
MIN_PAGE_BYTES = 2000
KINDS = {"article", "blog"}


def write_halves(pages, seed, prefix):
    """Shuffles `pages` with `seed` and writes PREFIX-tune.jsonl and PREFIX-check.jsonl, a half
    each, sorted by id; prints the counts."""
    random.Random(seed).shuffle(pages)
    half = len(pages) // 2
    for split, part in (("tune", pages[:half]), ("check", pages[half:])):
        part.sort(key=lambda p: p["id"])
        with open(f"{prefix}-{split}.jsonl", "w", encoding="utf-8") as f:
            for p in part:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
        print(f"{split}: {len(part)} pages")


def main():
    repo, out_dir = sys.argv[1], sys.argv[2]
    pages, dropped, other_kind, seen, repeated = [], 0, 0, set(), 0
    for name in sorted(git_ls(repo, "benchmark/ground-truth")):
        stem = name.removesuffix(".json")
        meta = json.loads(git_show(repo, f"benchmark/ground-truth/{name}"))
        kind = ((meta.get("_internal") or {}).get("page_type") or {}).get("primary")
        if kind not in KINDS:
            other_kind += 1
            continue
        gold = (meta.get("ground_truth") or {}).get("main_content") or ""
        raw = gzip.decompress(git_show(repo, f"release/html/{stem}.html.gz"))
        if len(gold.split()) < MIN_GOLD_WORDS or len(raw) < MIN_PAGE_BYTES:
            dropped += 1
            continue
        digest = hashlib.sha256(raw).digest()
        if digest in seen:
            repeated += 1
            continue
        seen.add(digest)
        pages.append({"id": f"wceb2025-{stem}", "source": "wceb2025", "url": meta.get("url", ""),
                      "html": decode(raw), "gold": gold})
    write_halves(pages, SEED, f"{out_dir}/dev3")
    print(f"other kinds skipped: {other_kind}; dropped (short gold or page): {dropped}; "
          f"repeated pages dropped: {repeated}")


if __name__ == "__main__":
    main()
