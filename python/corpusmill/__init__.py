"""corpusmill: streaming cleaning, deduplication and entity extraction for article corpora.

- ``run(input, output, config=None, **overrides)`` runs the whole pipeline into a folder
  (JSONL or Parquet shards, manifest.json, stats.json) and returns the stats.
- ``Pipeline(config=None, **overrides).process(records)`` runs it in-process on dicts.
- ``clean(text, url=None)`` and ``entities(text)`` apply single steps to one text.
"""

from ._corpusmill import Pipeline, __version__, clean, entities, run

__all__ = ["Pipeline", "run", "clean", "entities", "__version__"]
