"""The Python package: run() with Parquet output read by polars, duckdb and pandas; the
in-process Pipeline; clean() and entities(); errors as Python exceptions."""

import json
from pathlib import Path

import pytest

import corpusmill

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
MINI = ROOT / "tests" / "data" / "mini.jsonl"


def mini_records():
    return [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    stats = corpusmill.run(input=str(SAMPLE), output=out, format="parquet", threads=2)
    return out, stats


def test_run_returns_stats_and_writes_parquet(parquet_run):
    out, stats = parquet_run
    assert stats["docs_written"] > 0
    assert stats["docs_in"] == stats["docs_written"] + sum(stats["duplicates"].values()) + sum(
        n for rules in stats["rejected"].values() for n in rules.values()
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["file"] for f in manifest["shards"]] == [f"part-0000{i}.parquet" for i in range(4)]
    assert not list(out.glob("*.tmp")) and not list(out.glob("*.jsonl.zst"))


def test_polars_reads_shards_and_side_outputs(parquet_run):
    pl = pytest.importorskip("polars")
    out, stats = parquet_run
    df = pl.read_parquet(str(out / "part-*.parquet"))
    assert df.height == stats["docs_written"]
    ents = df.schema["entities"]
    assert isinstance(ents, pl.List)
    assert [f.name for f in ents.inner.fields] == ["text", "label", "start", "end"]
    assert df.schema["lang_score"] == pl.Float64
    # Offsets index the text as Python str indices do.
    row = df.filter(pl.col("entities").list.len() > 0).row(0, named=True)
    for e in row["entities"]:
        assert row["text"][e["start"] : e["end"]] == e["text"]
    rejected = pl.read_parquet(out / "rejected.parquet")
    assert rejected.columns == ["id", "reason", "stage", "rule", "value", "threshold", "source"]
    dups = pl.read_parquet(out / "duplicates.parquet")
    assert dups.height == sum(stats["duplicates"].values())
    assert dups.schema["similarity"] == pl.Float64


def test_duckdb_counts_the_glob(parquet_run):
    duckdb = pytest.importorskip("duckdb")
    out, stats = parquet_run
    [(n,)] = duckdb.sql(f"SELECT count(*) FROM '{out}/part-*.parquet'").fetchall()
    assert n == stats["docs_written"]
    [(k,)] = duckdb.sql(
        f"SELECT count(*) FROM (SELECT unnest(entities) AS e FROM '{out}/part-*.parquet') "
        "WHERE e.label = 'PER'"
    ).fetchall()
    assert k > 0


def test_pandas_reads_them(parquet_run):
    pd = pytest.importorskip("pandas")
    out, stats = parquet_run
    df = pd.concat(pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet")))
    assert len(df) == stats["docs_written"]
    rejected = pd.read_parquet(out / "rejected.parquet")
    # An empty file still has its columns.
    assert list(rejected.columns)[:2] == ["id", "reason"]
    dups = pd.read_parquet(out / "duplicates.parquet")
    assert str(dups["similarity"].dtype) == "float64"


def test_run_errors_are_python_exceptions(tmp_path, parquet_run):
    with pytest.raises(ValueError, match="no-such-file"):
        corpusmill.run(input=str(tmp_path / "no-such-file.jsonl"), output=tmp_path / "o")
    with pytest.raises(TypeError, match="shardz"):
        corpusmill.run(input=str(MINI), output=tmp_path / "o", shardz=3)
    with pytest.raises(ValueError, match="parquet"):
        corpusmill.run(input=str(MINI), output=tmp_path / "o", format="csv")
    out, _ = parquet_run
    with pytest.raises(FileExistsError, match="--overwrite"):
        corpusmill.run(input=str(MINI), output=out)


def test_run_jsonl_with_overrides(tmp_path):
    stats = corpusmill.run(
        [MINI], tmp_path / "o", threads=1, shards=2, disable=["entities", "near_dedup"]
    )
    assert stats["docs_in"] == 24
    assert sorted(p.name for p in (tmp_path / "o").glob("part-*")) == [
        "part-00000.jsonl.zst",
        "part-00001.jsonl.zst",
    ]
    assert "entities" not in stats["stages"] and "near_dedup" not in stats["stages"]


def test_pipeline_drops_an_exact_copy_and_returns_entities():
    records = mini_records()[:8]
    copy = dict(records[2], id="copy-of-2")
    p = corpusmill.Pipeline(threads=2)
    out = list(p.process(iter(records + [copy])))
    ids = [r["id"] for r in out]
    assert "copy-of-2" not in ids
    assert ids == [r["id"] for r in records if r["id"] in ids], "input order"
    assert len(ids) >= 6
    first = out[0]
    assert first["title"] == records[0]["title"]
    assert {"text", "lang", "lang_score", "entities"} <= first.keys()
    labels = {e["label"] for r in out for e in r["entities"]}
    assert {"PER", "ORG", "LOC"} & labels
    for r in out:
        for e in r["entities"]:
            assert r["text"][e["start"] : e["end"]] == e["text"]
    stats = p.stats()
    assert "repeated_lines" not in stats["stages"], "needs a pre-scan: not run in a Pipeline"
    assert stats["duplicates"]["exact"] == 1
    assert stats["docs_in"] == 9 and stats["docs_written"] == len(out)
    # Later calls remember what was seen.
    assert list(p.process([dict(records[0], id="again")])) == []


def test_pipeline_streams_a_generator_and_counts_bad_records():
    def gen():
        for i, r in enumerate(mini_records() * 3):
            yield dict(r, id=f"{r['id']}-{i}")
        yield {"id": "no-text"}

    p = corpusmill.Pipeline(threads=2, disable=["entities"])
    out = list(p.process(gen()))
    assert len(out) <= 24 and "entities" not in out[0]
    stats = p.stats()
    assert stats["errors"] == {"missing_text": 1}
    with pytest.raises(ValueError, match="text"):
        list(corpusmill.Pipeline(strict=True).process([{"id": "x"}]))


def test_entities_offsets_index_the_python_str():
    s = "Angela Merkel met Elon Musk in Berlin on Monday. Ça coûte 5 % de plus à Zürich."
    ents = corpusmill.entities(s)
    for e in ents:
        assert s[e["start"] : e["end"]] == e["text"]
    per = {e["text"] for e in ents if e["label"] == "PER"}
    loc = {e["text"] for e in ents if e["label"] == "LOC"}
    assert {"Angela Merkel", "Elon Musk"} <= per
    assert "Berlin" in loc and "Zürich" in loc


def test_clean():
    assert corpusmill.clean("too short") is None
    text = mini_records()[0]["text"]
    cleaned = corpusmill.clean("  " + text + "\n\nShare this article\n", url="https://bbc.co.uk/x")
    assert cleaned is not None and cleaned.startswith("Quarterly profits")
    assert "Share this article" not in cleaned


def test_ctrl_c_stops_run_after_a_checkpoint(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    records = mini_records()
    with open(tmp_path / "big.jsonl", "w", encoding="utf-8") as f:
        for r in range(300):
            for rec in records:
                f.write(json.dumps(dict(rec, id=f"{rec['id']}-{r}")) + "\n")
    script = (
        "import corpusmill, sys\n"
        "try:\n"
        f"    corpusmill.run({str(tmp_path / 'big.jsonl')!r}, {str(tmp_path / 'out')!r},"
        " threads=1, disable=['exact_dedup', 'near_dedup', 'repeated_lines'])\n"
        "except KeyboardInterrupt as e:\n"
        "    print('interrupted', e)\n"
        "    sys.exit(3)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Wait until the main pass has started (its checkpoint is written first), then Ctrl-C.
    # Every copy goes through the entity stage (no dedup, no per-site line removal), so the run
    # takes seconds after that on any machine.
    deadline = time.time() + 60
    while not (tmp_path / "out" / "checkpoint.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, (out, err)
    assert "interrupted" in out
    assert (tmp_path / "out" / "checkpoint.json").exists()
    assert not (tmp_path / "out" / "manifest.json").exists()
