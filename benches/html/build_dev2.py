"""Builds the second html dev set, whose gold is human-annotated article text (the first,
build_dev.py, has readability's own output as gold). One JSON object per line with `id`,
`source`, `html` (the page) and `gold` (its article text), split at random (fixed seed,
half of each source) into a tuning half and a check half that is only scored at the end.

usage: build_dev2.py PAGE_SIGNAL_GIT_DIR HTML_CLEANING_MERGED_GIT_DIR OUT_DIR
writes: OUT_DIR/dev2-tune.jsonl, OUT_DIR/dev2-check.jsonl (and prints the counts)

Sources (read from git objects at HEAD of two public repositories; the pages are not part of
this repository):

- L3S-GN1 (Kohlschuetter, Fankhauser, Nejdl, "Boilerplate Detection using Shallow Text
  Features", WSDM 2010): 621 English news articles from 408 sites found through Google News in
  the first half of 2008, labelled by human assessors as headline / full text / supplemental
  (captions and the like) / related content / comments / not content. Licence: L3S grants a
  non-exclusive, royalty-free licence for research use only. Copy used: the per-page HTML
  conversion in github.com/geodrome/page-signal, directory L3S-GN1-20100130203947-00001
  (commit 186d8153b3d111f84865ddc180600a9cbe35ac7f): original/*.html is the page,
  annotated/*.html the labelled page. Gold: the text of the full-text and supplemental spans
  (x-nc-sel2, x-nc-sel3), one line per block; the headline (x-nc-sel1) is left out, since an
  article body is the target.
- Dragnet (Peters and Lecocq, "Content Extraction Using Diverse Feature Sets", WWW 2013):
  1381 English news and blog pages collected in 2012, with the main content corrected by hand.
  Licence: AGPL-3.0 (the data; github.com/seomoz/dragnet_data). The page tarball of that
  repository is over the size that can be brought here, so pages come from the copy in
  github.com/j-szulc/html-cleaning-dataset-merged (commit
  46e01a04b47051838a228bf23631430b2c9de375), dragnet_data/input/*.html; its
  dragnet_data/GoldStandard/*.txt are byte-identical to seomoz/dragnet_data's
  dragnet_Corrected.tar.gz (commit 95559be, all 1381 compared). Gold: the corrected text before
  the `!@#$%^&*() COMMENTS` marker, however
  spaced (the comments after it are not article text).

Excluded: the CleanEval and CleanPortalEval parts of the merged repository (2007 pages, many
not articles, gold with list/heading markup conventions of their own), its copy of the
readability test pages (already the first dev set), and the scrapinghub
article-extraction-benchmark (the held-out acceptance set: never read). Pages whose gold has
fewer than 30 words (nothing to extract, or a failed annotation) or whose page is under 2000
bytes are dropped; the counts are printed.
"""
import json, random, re, subprocess, sys
from html.parser import HTMLParser

SEED = 17
MIN_GOLD_WORDS = 30
MIN_PAGE_BYTES = 2000
L3S_DIR = "L3S-GN1-20100130203947-00001"
BLOCK = {"p","div","h1","h2","h3","h4","h5","h6","li","ul","ol","table","tr","td","th","blockquote",
         "pre","br","section","article","figure","figcaption","dd","dt","dl","header","footer","hr",
         "main","aside","nav","center","form","title"}
VOID = {"area","base","br","col","embed","hr","img","input","link","meta","param","source","track","wbr"}


def git_ls(repo, path):
    out = subprocess.check_output(["git", "-C", repo, "ls-tree", "--name-only", f"HEAD:{path}"])
    return out.decode().split()


def git_show(repo, path):
    return subprocess.check_output(["git", "-C", repo, "show", f"HEAD:{path}"])


def decode(raw):
    """Page bytes to text: a byte-order mark, the declared charset, else UTF-8, else
    Windows-1252 (some Dragnet gold files are UTF-16)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    if raw[:3] == b"\xef\xbb\xbf":
        return raw[3:].decode("utf-8", "replace")
    m = re.search(rb'charset\s*=\s*["\']?([A-Za-z0-9_\-]+)', raw[:4096], re.I)
    for enc in ([m.group(1).decode()] if m else []) + ["utf-8"]:
        try:
            return raw.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    return raw.decode("cp1252", "replace")


def lines_of(parts):
    lines = [" ".join(l.split()) for l in "".join(parts).split("\n")]
    return "\n".join(l for l in lines if l)


class Labelled(HTMLParser):
    """Text of the L3S-GN1 spans whose class is one of `keep`, block elements as lines."""

    def __init__(self, keep):
        super().__init__(convert_charrefs=True)
        self.keep, self.stack, self.out = keep, [], []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK:
            self.out.append("\n")
        if tag in VOID:
            return
        cls = (dict(attrs).get("class") or "").split()
        label = next((c for c in cls if c.startswith("x-nc-sel")), None)
        hidden = tag in ("script", "style") or "x-nc-invisible" in cls
        self.stack.append((tag, label, hidden))

    def handle_endtag(self, tag):
        if tag in BLOCK:
            self.out.append("\n")
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if any(h for _, _, h in self.stack):
            return
        label = next((l for _, l, _ in reversed(self.stack) if l), None)
        if label in self.keep:
            self.out.append(data)


def l3s(repo):
    for name in git_ls(repo, f"{L3S_DIR}/original"):
        html = decode(git_show(repo, f"{L3S_DIR}/original/{name}"))
        p = Labelled({"x-nc-sel2", "x-nc-sel3"})
        p.feed(decode(git_show(repo, f"{L3S_DIR}/annotated/{name}")))
        p.close()
        yield {"id": "l3s-" + name.rsplit(".", 1)[0], "source": "l3s-gn1", "html": html,
               "gold": lines_of(p.out)}


def dragnet(repo):
    for name in git_ls(repo, "dragnet_data/GoldStandard"):
        if not name.endswith(".txt"):
            continue
        stem = name[:-4]
        gold = decode(git_show(repo, f"dragnet_data/GoldStandard/{name}"))
        gold = re.split(r"!@#\$%\^&\*\(\)\s*COMMENTS", gold)[0]
        html = decode(git_show(repo, f"dragnet_data/input/{stem}.html"))
        yield {"id": "dragnet-" + stem, "source": "dragnet", "html": html,
               "gold": lines_of([gold])}


def main():
    page_signal, merged, out_dir = sys.argv[1:4]
    rng = random.Random(SEED)
    tune, check = [], []
    for source, pages in (("l3s-gn1", l3s(page_signal)), ("dragnet", dragnet(merged))):
        kept, short_gold, short_page = [], 0, 0
        for p in pages:
            if len(p["gold"].split()) < MIN_GOLD_WORDS:
                short_gold += 1
            elif len(p["html"]) < MIN_PAGE_BYTES:
                short_page += 1
            else:
                kept.append(p)
        kept.sort(key=lambda p: p["id"])
        rng.shuffle(kept)
        half = len(kept) // 2
        tune += kept[:half]
        check += kept[half:]
        print(f"{source}: kept {len(kept)} (tune {half}, check {len(kept) - half}); dropped "
              f"{short_gold} with gold under {MIN_GOLD_WORDS} words, {short_page} pages under "
              f"{MIN_PAGE_BYTES} bytes")
    for name, split in (("dev2-tune.jsonl", tune), ("dev2-check.jsonl", check)):
        with open(f"{out_dir}/{name}", "w") as f:
            for p in split:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
