"""Builds the html dev set: one JSON object per line with `id`, `html` (the page), `gold`
(its article text) and `meta` (the expected metadata), from the test pages of a
mozilla/readability checkout (test/test-pages/*/source.html and expected.html; Apache-2.0).

usage: build_dev.py READABILITY_CHECKOUT OUT.jsonl

The gold text is the text of expected.html with block elements as lines and whitespace
collapsed. It is what readability keeps, so readability ports score near 1.0 on it (see
BENCHMARKS.md).
"""
import json, subprocess, sys
from html.parser import HTMLParser
repo, out_path = sys.argv[1], sys.argv[2]
BLOCK = {"p","div","h1","h2","h3","h4","h5","h6","li","ul","ol","table","tr","td","th","blockquote","pre","br","section","article","figure","figcaption","dd","dt","dl","header","footer","hr","main","aside","nav"}
class T(HTMLParser):
    def __init__(s): super().__init__(); s.out=[]; s.skip=0
    def handle_starttag(s, t, a):
        if t in ("script","style"): s.skip+=1
        if t in BLOCK: s.out.append("\n")
    def handle_endtag(s, t):
        if t in ("script","style"): s.skip-=1
        if t in BLOCK: s.out.append("\n")
    def handle_data(s, d):
        if not s.skip: s.out.append(d)
def text(h):
    p=T(); p.feed(h); p.close()
    lines=[" ".join(l.split()) for l in "".join(p.out).split("\n")]
    return "\n".join(l for l in lines if l)
names = subprocess.check_output(["git","-C",repo,"ls-tree","--name-only","HEAD:test/test-pages"]).decode().split()
out=open(out_path,"w")
for n in names:
    src = subprocess.check_output(["git","-C",repo,"show",f"HEAD:test/test-pages/{n}/source.html"])
    exp = subprocess.check_output(["git","-C",repo,"show",f"HEAD:test/test-pages/{n}/expected.html"]).decode("utf-8","replace")
    try: meta=json.loads(subprocess.check_output(["git","-C",repo,"show",f"HEAD:test/test-pages/{n}/expected-metadata.json"]))
    except Exception: meta={}
    out.write(json.dumps({"id":n,"html":src.decode("utf-8","replace"),"gold":text(exp),"meta":meta})+"\n")
