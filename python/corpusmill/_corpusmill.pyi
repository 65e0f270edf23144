"""Type stubs of the compiled module (src/python.rs)."""

import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union

_Path = Union[str, "os.PathLike[str]"]

__version__: str

def run(
    input: Union[_Path, Sequence[_Path]],
    output: _Path,
    config: Optional[_Path] = None,
    *,
    threads: int = ...,
    shards: int = ...,
    format: str = ...,
    disable: Union[str, Sequence[str]] = ...,
    profile: str = ...,
    strict: bool = ...,
    overwrite: bool = ...,
    resume: bool = ...,
) -> Dict[str, Any]:
    """Run the pipeline like ``corpusmill run`` and return the content of stats.json.

    ``input`` is a file, folder or glob (or a list of them), ``output`` the output folder and
    ``config`` a TOML config file (default: the built-in defaults, as config/default.toml).
    ``format`` is ``"jsonl"`` or ``"parquet"``; ``disable`` names stages to switch off;
    ``overwrite`` / ``resume`` say what to do with a folder that holds a run's files. The GIL is
    released while it runs. Ctrl-C stops it after a checkpoint (continue with ``resume=True``)
    and raises KeyboardInterrupt. Raises ValueError for bad config or input, OSError for I/O.
    """

def clean(text: str, url: Optional[str] = None) -> Optional[str]:
    """The text after the default cleaning stages, or None when a stage rejects it."""

def entities(text: str) -> List[Dict[str, Any]]:
    """Entities of ``text`` as dicts with ``text``, ``label``, ``start``, ``end``.

    Labels: PER, ORG, LOC, MISC (the tagger) and DATE, MONEY, PERCENT (patterns).
    ``text[start:end] == entity["text"]``: offsets count code points like Python str indices.
    """

class Pipeline:
    """The pipeline in-process: dicts in, kept dicts out, in input order."""

    def __init__(
        self,
        config: Optional[_Path] = None,
        *,
        threads: int = ...,
        disable: Union[str, Sequence[str]] = ...,
        profile: str = ...,
        strict: bool = ...,
    ) -> None:
        """Build the stages of a config file (default: the built-in defaults).

        The per-site repeated-lines stage needs a pass over the whole corpus and does not run
        here (``run`` does it).
        """

    def process(self, records: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
        """Yield the kept records with cleaned ``text``, ``lang``, ``lang_score``,
        ``entities`` and their other fields, in input order.

        Exact and near duplicates of anything this Pipeline has seen are dropped. Records are
        read in batches of up to 1024, so ``records`` may be a generator of any length.
        A bad record (no text field) is counted in ``stats()["errors"]`` and skipped, or
        raises ValueError with ``strict=True``.
        """

    def stats(self) -> Dict[str, Any]:
        """The counts so far, with the keys of stats.json."""
